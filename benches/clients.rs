//! N clients, each listing in passive mode against one server (N = 10, 100, 1,000): the time
//! of a whole simulation and, printed first, the events each makes (time per event is the
//! first divided by the second). `cargo bench --bench clients`.
//!
//! Two shapes: all clients start at once (the server holds N sessions at the same time), and
//! staggered (one starts every 10 ms, as users arriving).

use ftp_lab::ftp::Mode;
use ftp_lab::scenario::{
    ActionSpec, ClientSpec, LinkSpec, NodeSpec, RouterSpec, Scenario, ServerSpec,
};
use ftp_lab::{Expectation, Expected, simulate};

fn scenario(n: usize, stagger_ms: u64) -> Scenario {
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    for k in 0..n {
        let name = format!("c{k}");
        nodes.push(NodeSpec::Client(ClientSpec {
            profile: Default::default(),
            tcp: Default::default(),
            name: name.clone(),
            address: format!("198.18.{}.{}", k / 250, k % 250 + 1),
            server: "server".into(),
            mode: Mode::Passive,
            commands: Default::default(),
            data_ports: (32768, 60999),
            connect_timeout_s: None,
            server_address: None,
            start_ms: k as u64 * stagger_ms,
            actions: vec![
                ActionSpec::Connect,
                ActionSpec::Login {
                    user: "anonymous".into(),
                    pass: "bench@example.org".into(),
                },
                ActionSpec::Ls,
                ActionSpec::Quit,
            ],
        }));
        links.push(LinkSpec {
            a: name,
            b: "internet".into(),
            delay_ms: 1.0,
        });
    }
    nodes.push(NodeSpec::Router(RouterSpec {
        name: "internet".into(),
        address: None,
        no_route: Default::default(),
    }));
    let server: ServerSpec = ron::from_str(
        r#"(name: "server", address: "203.0.113.10", files: {"readme.txt": "hello\n"})"#,
    )
    .expect("server spec");
    nodes.push(NodeSpec::Server(server));
    links.push(LinkSpec {
        a: "internet".into(),
        b: "server".into(),
        delay_ms: 5.0,
    });
    Scenario {
        title: format!("{n} clients"),
        description: String::new(),
        seed: 1,
        time_limit_s: 900,
        nodes,
        links,
        expect: Expectation {
            result: Expected::Success,
            failed_action: None,
            reply: None,
            blocked_by: None,
            diagnosis: Vec::new(),
            clients: Default::default(),
        },
        questions: Vec::new(),
        exercise: None,
    }
}

fn main() {
    for stagger in [0, 10] {
        for n in [10, 100, 1000] {
            let t = simulate(&scenario(n, stagger)).expect("valid");
            let ok = t.clients.iter().filter(|c| c.outcome.success).count();
            println!(
                "{n:>5} clients, start every {stagger:>2} ms: {:>8} events, {:>7} packets, {ok} succeeded",
                t.events.len(),
                t.packets.len()
            );
        }
    }
    divan::main();
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn at_once(n: usize) {
    let s = scenario(n, 0);
    divan::black_box(simulate(&s).expect("valid"));
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn staggered(n: usize) {
    let s = scenario(n, 10);
    divan::black_box(simulate(&s).expect("valid"));
}
