#![allow(clippy::unwrap_used)]
//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod live;
pub mod peers;
pub mod ui;

use ftp_lab::trace::{EventKind, PacketFate, Trace};
use ftp_lab::{Scenario, simulate};
use std::path::PathBuf;

pub fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.ron"))
}

pub fn load(name: &str) -> Scenario {
    Scenario::load(&scenario_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn run(s: &Scenario) -> Trace {
    simulate(s).unwrap_or_else(|e| panic!("{}: {e:?}", s.title))
}

pub fn shipped() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let s = Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
            (
                p.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                s,
            )
        })
        .collect()
}

/// Times (seconds) at which SYNs of data connections were sent.
pub fn data_syn_times(t: &Trace) -> Vec<f64> {
    t.events
        .iter()
        .filter(|e| e.channel == Some(ftp_lab::trace::Channel::Data))
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                packet,
                fate: PacketFate::Sent { .. },
            } => {
                let p = &t.packets[*packet];
                (p.flags.syn && !p.flags.ack).then(|| e.time.secs_f64())
            }
            _ => None,
        })
        .collect()
}

/// Every line the clients' terminals showed, in order.
pub fn console(t: &Trace) -> Vec<String> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Console { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

/// The time of the first FTP line at any node whose text starts with `prefix`.
pub fn ftp_line_time(t: &Trace, prefix: &str) -> Option<f64> {
    t.events.iter().find_map(|e| match &e.kind {
        EventKind::FtpCommand { line, sent: true } if line.starts_with(prefix) => {
            Some(e.time.secs_f64())
        }
        EventKind::FtpReply {
            code,
            text,
            sent: false,
        } if format!("{code} {text}").starts_with(prefix) => Some(e.time.secs_f64()),
        _ => None,
    })
}

/// As many clients as the node limit leaves (one router, one server), each with as many
/// actions as the total allows: all listing in `mode` at once.
pub fn at_the_limits(mode: &str) -> String {
    let clients = ftp_lab::scenario::limits::NODES - 2;
    let per = (ftp_lab::scenario::limits::TOTAL_ACTIONS / clients)
        .min(ftp_lab::scenario::limits::ACTIONS);
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    for k in 0..clients {
        let a = format!("10.{}.{}.{}", k / 62_500, (k / 250) % 250, 1 + k % 250);
        let mut acts = vec![
            "Connect".to_owned(),
            "Login(user: \"anonymous\", pass: \"x\")".into(),
        ];
        acts.extend(std::iter::repeat_n("Ls".to_owned(), per - 3));
        acts.push("Quit".into());
        nodes.push(format!(
            "Client(name: \"c{k}\", address: \"{a}\", server: \"server\", mode: {mode}, actions: [{}])",
            acts.join(", ")
        ));
        links.push(format!("(a: \"c{k}\", b: \"internet\", delay_ms: 10)"));
    }
    nodes.push("Router(name: \"internet\")".into());
    nodes.push(
        "Server(name: \"server\", address: \"203.0.113.10\", files: {\"readme.txt\": \"hi\\n\"})"
            .into(),
    );
    links.push("(a: \"internet\", b: \"server\", delay_ms: 10)".into());
    format!(
        "(title: \"at the limits\", seed: 1, nodes: [{}], links: [{}], expect: (result: Success))",
        nodes.join(",\n"),
        links.join(",\n")
    )
}

/// Every firewall rule of a scenario as iptables writes it, and its helper.
pub fn solution_rules(s: &ftp_lab::Scenario) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for n in &s.nodes {
        if let ftp_lab::scenario::NodeSpec::Firewall(f) = n {
            for r in &f.rules {
                out.insert(ftp_lab::firewall::analysis::iptables(r));
            }
            if f.ftp_helper {
                out.insert("FTP helper attached".to_owned());
            }
        }
    }
    out
}
