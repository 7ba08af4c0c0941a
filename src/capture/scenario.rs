//! "Make a scenario from this capture": a lesson with the capture's addresses, ports, mode,
//! commands and delays, and a firewall that does what the capture shows (drops the data SYN,
//! or refuses it with a RST or the ICMP error seen) on the side the SYN was going to. The class
//! can then edit its rules to fix it. Addresses a scenario cannot use (loopback, the same
//! address on both ends) are replaced by the documentation addresses, and the description
//! says so.

use crate::firewall::{Action, CtState, Direction, FirewallSpec, PortMatch, RejectWith, Rule};
use crate::ftp::client::DataCommands;
use crate::ftp::{ActionKind, Mode};
use crate::scenario::{
    ActionSpec, ActivePort, ClientSpec, Expectation, Expected, LinkSpec, NodeSpec, RouterSpec,
    Scenario, ServerProfile, ServerSpec,
};
use crate::trace::{Channel, EventKind, Mechanism, NodeKind, PacketFate, Trace};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn usable(ip: Ipv4Addr) -> bool {
    crate::scenario::unusable_address(ip).is_none()
}

/// The scenario a captured trace suggests.
pub fn from_trace(trace: &Trace, file: &str) -> Scenario {
    let client = trace.nodes.iter().find(|n| n.kind == NodeKind::Client);
    let server = trace.nodes.iter().find(|n| n.kind == NodeKind::Server);
    let (mut c_ip, mut s_ip) = (
        client
            .and_then(|n| n.address)
            .unwrap_or(Ipv4Addr::new(198, 51, 100, 7)),
        server
            .and_then(|n| n.address)
            .unwrap_or(Ipv4Addr::new(203, 0, 113, 10)),
    );
    let mut notes = Vec::new();
    if !usable(c_ip) || !usable(s_ip) || c_ip == s_ip {
        notes.push(format!(
            "The capture's addresses ({c_ip} and {s_ip}) cannot be used in a lesson, so the client is 198.51.100.7 and the server 203.0.113.10."
        ));
        c_ip = Ipv4Addr::new(198, 51, 100, 7);
        s_ip = Ipv4Addr::new(203, 0, 113, 10);
    }
    let control = trace
        .connections
        .iter()
        .find(|k| k.channel == Channel::Control);
    let control_port = control.map_or(21, |k| u32::from(k.responder.port()));
    // The data connection that failed, else the first.
    let failed = trace.outcome.failed_action.is_some();
    let data: Vec<_> = trace
        .connections
        .iter()
        .filter(|k| k.channel == Channel::Data)
        .collect();
    let data_conn = data.last().copied();
    let lines: Vec<String> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FtpCommand { line, sent: true } => Some(line.clone()),
            EventKind::FtpReply {
                code,
                text,
                sent: true,
            } => Some(format!("{code} {text}")),
            _ => None,
        })
        .collect();
    let extended = lines
        .iter()
        .any(|l| l.starts_with("EPSV") || l.starts_with("EPRT"));
    let classic = lines
        .iter()
        .any(|l| l.starts_with("PASV") || l.starts_with("PORT "));
    let mode = match data_conn.and_then(|k| k.mode) {
        Some(m) => m,
        None if lines
            .iter()
            .any(|l| l.starts_with("PORT ") || l.starts_with("EPRT")) =>
        {
            Mode::Active
        }
        None => Mode::Passive,
    };
    let profile = ServerProfile::recognise(lines.iter().map(String::as_str));
    let user = lines
        .iter()
        .find_map(|l| l.strip_prefix("USER ").map(str::to_owned))
        .unwrap_or_else(|| "anonymous".to_owned());
    let mut actions = vec![
        ActionSpec::Connect,
        ActionSpec::Login {
            user,
            pass: "student@example.org".to_owned(),
        },
    ];
    let mut files = BTreeMap::new();
    for a in trace
        .clients
        .first()
        .map_or(&[][..], |c| c.actions.as_slice())
    {
        match &a.action {
            ActionKind::Get(f) => {
                files.insert(
                    f.clone(),
                    "(the file's content was not in the capture)\n".to_owned(),
                );
                actions.push(ActionSpec::Get(f.clone()));
            }
            ActionKind::Put(f) => actions.push(ActionSpec::Put {
                name: f.clone(),
                content: "uploaded\n".to_owned(),
            }),
            ActionKind::Ls | ActionKind::DataTransfer => actions.push(ActionSpec::Ls),
            _ => {}
        }
    }
    if actions.len() == 2 {
        actions.push(ActionSpec::Ls);
    }
    actions.push(ActionSpec::Quit);
    if files.is_empty() {
        files.insert("readme.txt".to_owned(), "Welcome to FTP Lab.\n".to_owned());
    }
    // Ports the server used.
    let (passive_range, active_data_port) = match data_conn {
        Some(k) if k.mode == Some(Mode::Passive) => {
            let p = u32::from(k.responder.port()).max(1024);
            ((p, p), ActivePort::Port(20))
        }
        Some(k) => {
            let p = u32::from(k.initiator.port());
            let port = if p == 20 || p > 1024 {
                ActivePort::Port(p)
            } else {
                ActivePort::Ephemeral
            };
            ((1024, 65535), port)
        }
        None => ((1024, 65535), ActivePort::Port(20)),
    };
    // What the capture shows happened to the data SYN.
    let mechanism = trace.outcome.mechanism.clone();
    let refusal = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Packet {
            fate: PacketFate::Rejected { verdict, .. },
            ..
        } => Some(verdict.reply_kind()),
        _ => None,
    });
    let block = match mechanism {
        Some(Mechanism::Dropped) if failed => Some((Action::Drop, RejectWith::default())),
        Some(Mechanism::Rejected) if failed => Some((
            Action::Reject,
            refusal.unwrap_or(RejectWith::IcmpPortUnreachable),
        )),
        _ => None,
    };
    let fw = |name: &str, protects: &str, block_here: bool| {
        let mut rules = vec![Rule {
            action: Action::Accept,
            state: vec![CtState::Established, CtState::Related],
            comment: "allow replies".to_owned(),
            ..Rule::default()
        }];
        if let (true, Some((action, with))) = (block_here, block) {
            let dst_port = match (mode, data_conn) {
                (Mode::Passive, Some(k)) => PortMatch::Port(u32::from(k.responder.port())),
                _ => PortMatch::Any,
            };
            let what = if action == Action::Drop {
                "drop"
            } else {
                "reject"
            };
            rules.push(Rule {
                action,
                direction: Direction::Inbound,
                dst_port,
                state: vec![CtState::New],
                reject_with: with,
                comment: format!("{what} inbound new (what the capture shows)"),
                ..Rule::default()
            });
        }
        FirewallSpec {
            name: name.to_owned(),
            protects: protects.to_owned(),
            stateful: true,
            ftp_helper: false,
            helper_port: 21,
            default_policy: Action::Accept,
            default_reject_with: RejectWith::default(),
            rules,
        }
    };
    // The SYN goes to the client in active mode, to the server in passive mode.
    let (block_client, block_server) = (mode == Mode::Active, mode == Mode::Passive);
    let (dc, ds) = delays_ms(trace);
    let description = {
        let mut d = format!(
            "Made from the capture {file} (taken {}). {}",
            match &trace.source {
                crate::trace::Source::Captured { vantage, .. } => vantage.words().to_owned(),
                crate::trace::Source::Simulated => "in a simulation".to_owned(),
            },
            trace.outcome.diagnosis
        );
        if block.is_some() {
            d.push_str(" The firewall here does what the capture shows; edit its rules to fix it.");
        } else if failed {
            d.push_str(" The capture's failure is not a firewall's: this lesson has its addresses, ports and mode, with open firewalls.");
        }
        for n in &notes {
            d.push(' ');
            d.push_str(n);
        }
        d
    };
    let expect = Expectation {
        result: if block.is_some()
            || (failed
                && !matches!(
                    trace.outcome.mechanism,
                    Some(Mechanism::Unroutable | Mechanism::PortRefused | Mechanism::Other)
                )) {
            Expected::Failure
        } else {
            Expected::Success
        },
        failed_action: None,
        reply: None,
        blocked_by: None,
        diagnosis: Vec::new(),
        clients: BTreeMap::new(),
    };
    Scenario {
        title: format!("From the capture {file}"),
        description,
        seed: 7,
        time_limit_s: 600,
        nodes: vec![
            NodeSpec::Client(ClientSpec {
                profile: crate::scenario::ClientProfile::default(),
                name: "client".to_owned(),
                address: c_ip.to_string(),
                server: "server".to_owned(),
                mode,
                commands: match (extended, classic) {
                    (true, false) => DataCommands::Extended,
                    (true, true) => DataCommands::ExtendedFirst,
                    _ => DataCommands::Classic,
                },
                data_ports: (32768, 60999),
                connect_timeout_s: 127,
                server_address: None,
                start_ms: 0,
                actions,
            }),
            NodeSpec::Firewall(fw("client-fw", "client", block_client)),
            NodeSpec::Router(RouterSpec {
                name: "internet".to_owned(),
            }),
            NodeSpec::Firewall(fw("server-fw", "server", block_server)),
            NodeSpec::Server(ServerSpec {
                name: "server".to_owned(),
                address: s_ip.to_string(),
                profile,
                control_port,
                active_data_port,
                passive_range,
                passive_address: None,
                connect_timeout_s: 60,
                accept_timeout_s: 60,
                anonymous: true,
                anonymous_upload: true,
                users: Vec::new(),
                files,
            }),
        ],
        links: vec![
            LinkSpec {
                a: "client".into(),
                b: "client-fw".into(),
                delay_ms: 1.0,
            },
            LinkSpec {
                a: "client-fw".into(),
                b: "internet".into(),
                delay_ms: dc,
            },
            LinkSpec {
                a: "internet".into(),
                b: "server-fw".into(),
                delay_ms: ds,
            },
            LinkSpec {
                a: "server-fw".into(),
                b: "server".into(),
                delay_ms: 1.0,
            },
        ],
        expect,
        questions: Vec::new(),
        exercise: None,
    }
}

/// The capture's one-way delays to the client's and the server's side, in milliseconds (at
/// least 1, at most 1000).
fn delays_ms(trace: &Trace) -> (f64, f64) {
    let side = |kind: NodeKind| -> f64 {
        let us: u64 = trace
            .links
            .iter()
            .filter(|l| {
                trace.nodes[l.a.index()].kind == kind || trace.nodes[l.b.index()].kind == kind
            })
            .map(|l| l.delay_us)
            .max()
            .unwrap_or(10_000);
        ((us as f64 / 1000.0).round()).clamp(1.0, 1000.0)
    };
    (side(NodeKind::Client), side(NodeKind::Server))
}
