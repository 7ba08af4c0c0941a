//! "Make a scenario from this capture": a lesson with the capture's addresses, ports, mode,
//! commands and delays, and a firewall that does what the capture shows (drops the data SYN,
//! or refuses it with a RST or the ICMP error seen) on the side the SYN was going to. The class
//! can then edit its rules to fix it. Addresses a scenario cannot use (loopback, the same
//! address on both ends) are replaced by the documentation addresses, and the description
//! says so.

use crate::firewall::{Action, CtState, Direction, FirewallSpec, PortMatch, RejectWith, Rule};
use crate::ftp::client::DataCommands;
use crate::ftp::command::verb;
use crate::ftp::{ActionKind, Mode};
use crate::scenario::{
    ActionSpec, ActivePort, ClientSpec, Expectation, Expected, LinkSpec, NodeSpec, RouterSpec,
    Scenario, ServerProfile, ServerSpec,
};
use crate::trace::{Channel, Connection, EventKind, Mechanism, NodeKind, PacketFate, Trace};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn usable(ip: Ipv4Addr) -> bool {
    crate::scenario::unusable_address(ip).is_none()
}

/// What the capture shows of the session the lesson is made from.
struct Seen<'a> {
    client: Ipv4Addr,
    server: Ipv4Addr,
    /// Why the capture's addresses were not used, when they were not.
    notes: Vec<String>,
    control_port: u32,
    /// The data connection that failed, else the last.
    data: Option<&'a Connection>,
    /// Every command sent and every reply sent, as written.
    lines: Vec<String>,
    mode: Mode,
    failed: bool,
}

const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);

impl<'a> Seen<'a> {
    fn of(trace: &'a Trace) -> Seen<'a> {
        let address = |k: NodeKind, or: Ipv4Addr| {
            trace
                .nodes
                .iter()
                .find(|n| n.kind == k)
                .and_then(|n| n.address)
                .unwrap_or(or)
        };
        let (mut client, mut server) = (
            address(NodeKind::Client, CLIENT),
            address(NodeKind::Server, SERVER),
        );
        let mut notes = Vec::new();
        if !usable(client) || !usable(server) || client == server {
            notes.push(format!(
                "The capture's addresses ({client} and {server}) cannot be used in a lesson, so the client is {CLIENT} and the server {SERVER}."
            ));
            (client, server) = (CLIENT, SERVER);
        }
        let control = trace
            .connections
            .iter()
            .find(|k| k.channel == Channel::Control);
        let data = trace
            .connections
            .iter()
            .rfind(|k| k.channel == Channel::Data);
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
        let active = lines
            .iter()
            .any(|l| matches!(verb(l).as_str(), "PORT" | "EPRT"));
        let mode =
            data.and_then(|k| k.mode)
                .unwrap_or(if active { Mode::Active } else { Mode::Passive });
        Seen {
            client,
            server,
            notes,
            control_port: control.map_or(21, |k| u32::from(k.responder.port())),
            data,
            lines,
            mode,
            failed: trace.outcome.failed_action.is_some(),
        }
    }

    fn used(&self, verbs: &[&str]) -> bool {
        self.lines.iter().any(|l| verbs.contains(&verb(l).as_str()))
    }

    fn commands(&self) -> DataCommands {
        match (self.used(&["EPSV", "EPRT"]), self.used(&["PASV", "PORT"])) {
            (true, false) => DataCommands::Extended,
            (true, true) => DataCommands::ExtendedFirst,
            _ => DataCommands::Classic,
        }
    }

    fn user(&self) -> String {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix("USER ").map(str::to_owned))
            .unwrap_or_else(|| "anonymous".to_owned())
    }

    /// The ports the server used: (passive range, active data port).
    fn server_ports(&self) -> ((u32, u32), ActivePort) {
        match self.data {
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
        }
    }
}

/// The user's actions as the capture shows them, and the files they need.
fn script(trace: &Trace, user: String) -> (Vec<ActionSpec>, BTreeMap<String, String>) {
    let mut actions = vec![
        ActionSpec::Connect,
        ActionSpec::Login {
            user,
            pass: "student@example.org".to_owned(),
        },
    ];
    let mut files = BTreeMap::new();
    let seen = trace
        .clients
        .first()
        .map_or(&[][..], |c| c.actions.as_slice());
    for a in seen {
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
    (actions, files)
}

/// What a firewall must do to the data SYN to do what the capture shows (drop it, or refuse
/// it with the reply seen), if a firewall's doing explains the failure.
fn block(trace: &Trace, failed: bool) -> Option<(Action, RejectWith)> {
    let refusal = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Packet {
            fate: PacketFate::Rejected { verdict, .. },
            ..
        } => Some(verdict.reply_kind()),
        _ => None,
    });
    match trace.outcome.mechanism {
        Some(Mechanism::Dropped) if failed => Some((Action::Drop, RejectWith::default())),
        Some(Mechanism::Rejected) if failed => Some((
            Action::Reject,
            refusal.unwrap_or(RejectWith::IcmpPortUnreachable),
        )),
        _ => None,
    }
}

/// A stateful firewall protecting `protects`, blocking inbound new connections (to the data
/// port in passive mode) when `block` says so.
fn firewall(
    name: &str,
    protects: &str,
    block: Option<(Action, RejectWith)>,
    seen: &Seen,
) -> FirewallSpec {
    let mut rules = vec![Rule {
        action: Action::Accept,
        state: vec![CtState::Established, CtState::Related],
        comment: "allow replies".to_owned(),
        ..Rule::default()
    }];
    if let Some((action, with)) = block {
        let dst_port = match (seen.mode, seen.data) {
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
}

fn description(trace: &Trace, file: &str, seen: &Seen, blocked: bool) -> String {
    let vantage = match &trace.source {
        crate::trace::Source::Captured { vantage, .. } => vantage.words().to_owned(),
        crate::trace::Source::Simulated => "in a simulation".to_owned(),
    };
    let mut d = format!(
        "Made from the capture {file} (taken {vantage}). {}",
        trace.outcome.diagnosis
    );
    if blocked {
        d.push_str(" The firewall here does what the capture shows; edit its rules to fix it.");
    } else if seen.failed {
        d.push_str(" The capture's failure is not a firewall's: this lesson has its addresses, ports and mode, with open firewalls.");
    }
    for n in &seen.notes {
        d.push(' ');
        d.push_str(n);
    }
    d
}

fn expectation(trace: &Trace, seen: &Seen, blocked: bool) -> Expectation {
    let other = matches!(
        trace.outcome.mechanism,
        Some(Mechanism::Unroutable | Mechanism::PortRefused | Mechanism::Other)
    );
    Expectation {
        result: if blocked || (seen.failed && !other) {
            Expected::Failure
        } else {
            Expected::Success
        },
        failed_action: None,
        reply: None,
        blocked_by: None,
        diagnosis: Vec::new(),
        clients: BTreeMap::new(),
    }
}

fn link(a: &str, b: &str, delay_ms: f64) -> LinkSpec {
    LinkSpec {
        a: a.into(),
        b: b.into(),
        delay_ms,
    }
}

/// The scenario a captured trace suggests.
pub fn from_trace(trace: &Trace, file: &str) -> Scenario {
    let seen = Seen::of(trace);
    let (actions, files) = script(trace, seen.user());
    let (passive_range, active_data_port) = seen.server_ports();
    let block = block(trace, seen.failed);
    // The SYN goes to the client in active mode, to the server in passive mode.
    let (on_client, on_server) = match seen.mode {
        Mode::Active => (block, None),
        Mode::Passive => (None, block),
    };
    let (dc, ds) = delays_ms(trace);
    let client = ClientSpec {
        profile: crate::scenario::ClientProfile::default(),
        name: "client".to_owned(),
        address: seen.client.to_string(),
        server: "server".to_owned(),
        mode: seen.mode,
        commands: seen.commands(),
        data_ports: (32768, 60999),
        connect_timeout_s: 127,
        server_address: None,
        start_ms: 0,
        actions,
    };
    let server = ServerSpec {
        name: "server".to_owned(),
        address: seen.server.to_string(),
        profile: ServerProfile::recognise(seen.lines.iter().map(String::as_str)),
        control_port: seen.control_port,
        active_data_port,
        passive_range,
        passive_address: None,
        connect_timeout_s: 60,
        accept_timeout_s: 60,
        anonymous: true,
        anonymous_upload: true,
        users: Vec::new(),
        files,
    };
    Scenario {
        title: format!("From the capture {file}"),
        description: description(trace, file, &seen, block.is_some()),
        seed: 7,
        time_limit_s: 600,
        nodes: vec![
            NodeSpec::Client(client),
            NodeSpec::Firewall(firewall("client-fw", "client", on_client, &seen)),
            NodeSpec::Router(RouterSpec {
                name: "internet".to_owned(),
            }),
            NodeSpec::Firewall(firewall("server-fw", "server", on_server, &seen)),
            NodeSpec::Server(server),
        ],
        links: vec![
            link("client", "client-fw", 1.0),
            link("client-fw", "internet", dc),
            link("internet", "server-fw", ds),
            link("server-fw", "server", 1.0),
        ],
        expect: expectation(trace, &seen, block.is_some()),
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
