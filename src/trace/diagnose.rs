//! The outcome of a run in plain words, per client and overall: what failed, where, and by
//! which mechanism.
//!
//! "Listing failed (425 Failed to establish connection.): the client's firewall 'client-fw'
//! dropped the server's connection from port 20 to port 50123 — rule 2 'drop inbound new'."
//! The mechanism is found from the trace alone (the packets a middlebox stopped, the SYNs that
//! had no route, the server's refusal of a PORT, an exhausted passive range), so the same
//! words explain a simulation and, later, a real capture.

use super::{
    Blocker, Channel, ClientReport, EventKind, Mechanism, NodeId, NodeKind, Outcome, PacketFate,
    PacketId, Trace, Verdict,
};
use crate::ftp::server::ServerNote;
use crate::ftp::{ActionResult, Mode};
use crate::time::Time;
use crate::trace::Note;

/// "the client's firewall 'client-fw'" / "the server's firewall 'server-fw'" / "the NAT 'x'".
pub fn firewall_words(trace: &Trace, name: &str) -> String {
    let node = trace.nodes.iter().find(|n| n.name == name);
    if node.is_some_and(|n| n.kind == NodeKind::Nat) {
        return format!("the NAT '{name}'");
    }
    let protects = node.and_then(|n| n.protects.clone());
    let kind = protects
        .as_deref()
        .and_then(|p| trace.nodes.iter().find(|n| n.name == p))
        .map(|n| n.kind);
    match kind {
        Some(NodeKind::Client) => format!("the client's firewall '{name}'"),
        Some(NodeKind::Server) => format!("the server's firewall '{name}'"),
        _ => format!("the firewall '{name}'"),
    }
}

/// Which side a host address is ("the server", "the client").
fn side(trace: &Trace, ip: &std::net::Ipv4Addr) -> &'static str {
    let kind = trace
        .nodes
        .iter()
        .find(|n| n.address.as_ref() == Some(ip) && n.kind != NodeKind::Nat)
        .map(|n| n.kind);
    match kind {
        Some(NodeKind::Server) => "the server",
        Some(NodeKind::Client) => "the client",
        _ => "a host",
    }
}

fn secs(t: Time) -> String {
    let s = t.secs_f64();
    if (s - s.round()).abs() < 0.0005 {
        format!("{}", s.round())
    } else {
        format!("{s:.3}")
    }
}

fn is_private(ip: std::net::Ipv4Addr) -> bool {
    ip.is_private()
}

/// What the diagnosis looks up per client, found in one pass over the trace (so diagnosing
/// N clients costs N lookups, not N passes).
#[derive(Default)]
pub struct Lookup {
    events_by_node: std::collections::BTreeMap<NodeId, Vec<usize>>,
    data_by_client: std::collections::BTreeMap<NodeId, Vec<usize>>,
}

impl Lookup {
    pub fn new(trace: &Trace) -> Lookup {
        let mut l = Lookup::default();
        for (i, e) in trace.events.iter().enumerate() {
            if matches!(
                e.kind,
                EventKind::ActionStarted { .. } | EventKind::ActionFinished { .. }
            ) {
                l.events_by_node.entry(e.node).or_default().push(i);
            }
        }
        for (i, c) in trace.connections.iter().enumerate() {
            if let (Channel::Data, Some(n)) = (c.channel, c.client) {
                l.data_by_client.entry(n).or_default().push(i);
            }
        }
        l
    }
}

/// Diagnoses every client, then the run as a whole.
pub fn diagnose_all(trace: &mut Trace) {
    let lookup = Lookup::new(trace);
    let outcomes: Vec<Outcome> = trace
        .clients
        .iter()
        .map(|c| diagnose_client(trace, &lookup, c))
        .collect();
    for (c, o) in trace.clients.iter_mut().zip(outcomes) {
        c.outcome = o;
    }
    trace.outcome = overall(trace);
}

/// The run's outcome from its clients' (for one client, that client's).
pub fn overall(trace: &Trace) -> Outcome {
    let finished_at = trace.events.last().map_or(Time::ZERO, |e| e.time);
    if trace.clients.len() == 1 {
        return trace.clients[0].outcome.clone();
    }
    let failed: Vec<&ClientReport> = trace
        .clients
        .iter()
        .filter(|c| !c.outcome.success)
        .collect();
    let first = failed.first().map(|c| &c.outcome);
    let diagnosis = if failed.is_empty() {
        format!("Everything worked for all {} clients.", trace.clients.len())
    } else {
        let each: Vec<String> = failed
            .iter()
            .map(|c| format!("{}: {}", c.name, c.outcome.diagnosis))
            .collect();
        let ok = trace.clients.len() - failed.len();
        let rest = if ok > 0 {
            format!(" The other {ok} worked.")
        } else {
            String::new()
        };
        format!(
            "{} of {} clients failed. {}{rest}",
            failed.len(),
            trace.clients.len(),
            each.join(" ")
        )
    };
    Outcome {
        success: failed.is_empty(),
        failed_action: first.and_then(|o| o.failed_action.clone()),
        reply: first.and_then(|o| o.reply),
        blocked_by: first.and_then(|o| o.blocked_by.clone()),
        mechanism: first.and_then(|o| o.mechanism.clone()),
        diagnosis,
        finished_at,
    }
}

pub fn diagnose_client(trace: &Trace, lookup: &Lookup, c: &ClientReport) -> Outcome {
    let finished_at = trace.events.last().map_or(Time::ZERO, |e| e.time);
    let Some(failed) = c.actions.iter().find(|a| !a.ok) else {
        let conns: &[usize] = lookup
            .data_by_client
            .get(&c.node)
            .map_or(&[], Vec::as_slice);
        let data: Vec<String> = conns
            .iter()
            .map(|&i| &trace.connections[i])
            .map(|c| {
                let m = if c.mode == Some(Mode::Active) {
                    "active"
                } else {
                    "passive"
                };
                format!("{m} {} → {}", c.initiator, c.responder)
            })
            .collect();
        let diagnosis = if data.is_empty() {
            "Everything worked.".to_owned()
        } else {
            format!(
                "Everything worked: all four steps completed for each data connection ({}).",
                data.join("; ")
            )
        };
        return Outcome {
            success: true,
            diagnosis,
            finished_at,
            ..Outcome::empty("")
        };
    };
    let mine: &[usize] = lookup
        .events_by_node
        .get(&c.node)
        .map_or(&[], Vec::as_slice);
    let window = action_window(trace, mine, failed, finished_at);
    let reply_words = match failed.reply {
        Some(_) => format!(" ({})", failed.detail),
        None => String::new(),
    };
    let head = format!("{} failed{reply_words}", failed.action.doing());
    let found = blocked(trace, c.node, window)
        .or_else(|| unroutable(trace, c.node, window))
        .or_else(|| refused_port(trace, c.node, window))
        .or_else(|| range_exhausted(trace, c.node, window));
    let (why, mechanism, blocked_by) = found.unwrap_or_else(|| {
        (
            format!(": {}.", failed.detail),
            Some(Mechanism::Other),
            None,
        )
    });
    Outcome {
        success: false,
        failed_action: Some(failed.action.clone()),
        reply: failed.reply,
        blocked_by,
        mechanism,
        diagnosis: format!("{head}{why}"),
        finished_at,
    }
}

type Found = (String, Option<Mechanism>, Option<Blocker>);
type Window = (Time, Time);

/// From the start of the failed action to its end (`mine`: the client's action events).
fn action_window(trace: &Trace, mine_events: &[usize], failed: &ActionResult, end: Time) -> Window {
    let mine = |k: &EventKind| match k {
        EventKind::ActionStarted { index, .. } => Some((*index, true)),
        EventKind::ActionFinished { result } => Some((result.index, false)),
        _ => None,
    };
    let mut start = Time::ZERO;
    let mut stop = end;
    for e in mine_events.iter().map(|&i| &trace.events[i]) {
        match mine(&e.kind) {
            Some((i, true)) if i == failed.index => start = e.time,
            Some((i, false)) if i == failed.index => {
                stop = e.time;
                break;
            }
            _ => {}
        }
    }
    (start, stop)
}

/// The client's packets (on its connections) in the window, with their fate.
/// The events from `start` to `stop` (events are in time order).
fn in_window(trace: &Trace, (start, stop): Window) -> &[super::Event] {
    let a = trace.events.partition_point(|e| e.time < start);
    let b = trace.events.partition_point(|e| e.time <= stop);
    &trace.events[a..b.max(a)]
}

fn client_packets(
    trace: &Trace,
    client: NodeId,
    w: Window,
) -> impl Iterator<Item = (Time, PacketId, &PacketFate)> {
    in_window(trace, w)
        .iter()
        .filter(move |e| {
            e.conn
                .and_then(|c| trace.conn(c))
                .is_some_and(|c| c.client == Some(client))
        })
        .filter_map(|e| match &e.kind {
            EventKind::Packet { packet, fate } => Some((e.time, *packet, fate)),
            _ => None,
        })
}

/// A middlebox dropped or refused one of the client's packets (the data channel's first).
fn blocked(trace: &Trace, client: NodeId, w: Window) -> Option<Found> {
    let stopped: Vec<(PacketId, &Verdict, bool)> = client_packets(trace, client, w)
        .filter_map(|(_, p, f)| match f {
            PacketFate::Dropped { verdict } => Some((p, &**verdict, false)),
            PacketFate::Rejected { verdict, .. } => Some((p, &**verdict, true)),
            _ => None,
        })
        .collect();
    let is_data = |p: PacketId| {
        let pk = trace.packet(p);
        trace
            .connections
            .iter()
            .any(|c| c.channel == Channel::Data && c.has_tuple(pk.src, pk.dst))
    };
    let (p, v, rejected) = stopped
        .iter()
        .find(|(p, _, _)| is_data(*p))
        .or(stopped.first())?;
    let pk = trace.packet(*p);
    let who = side(trace, pk.src.ip());
    let what = if pk.flags.syn && !pk.flags.ack {
        if who == "the server" {
            format!(
                "{who}'s connection from port {} to port {}",
                pk.src.port(),
                pk.dst.port()
            )
        } else {
            format!(
                "{who}'s connection from port {} to the server's port {}",
                pk.src.port(),
                pk.dst.port()
            )
        }
    } else {
        format!("a packet from {} to {}", pk.src, pk.dst)
    };
    let verb = if *rejected { "rejected" } else { "dropped" };
    let mut s = format!(
        ": {} {verb} {what} — {}.",
        firewall_words(trace, &v.middlebox),
        v.rule_words()
    );
    let nat = trace
        .nodes
        .iter()
        .any(|n| n.name == v.middlebox && n.kind == NodeKind::Nat);
    if *rejected {
        let with = v.reply_kind();
        s.push_str(&format!(
            " The firewall answered with {}: the sender's connect() failed at once with {}, so the failure was immediate.",
            with.words(),
            with.errno()
        ));
    } else {
        s.push_str(&syn_retries(trace, pk.src, pk.dst, who, w.1));
    }
    let mechanism = match (nat, rejected) {
        (true, _) => Mechanism::NoTranslation,
        (false, true) => Mechanism::Rejected,
        (false, false) => Mechanism::Dropped,
    };
    let blocker = Blocker {
        middlebox: v.middlebox.clone(),
        rule: v.rule(),
        action: v.action,
    };
    Some((s, Some(mechanism), Some(blocker)))
}

/// " Its SYN was never answered: the server retried it 5 times (after 1, 3, …) and gave up …"
fn syn_retries(
    trace: &Trace,
    src: std::net::SocketAddrV4,
    dst: std::net::SocketAddrV4,
    who: &str,
    end: Time,
) -> String {
    let Some(conn) = trace.connections.iter().find(|c| c.has_tuple(src, dst)) else {
        return String::new();
    };
    let syns: Vec<Time> = trace
        .events
        .iter()
        .filter(|e| e.conn == Some(conn.id))
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                packet,
                fate: PacketFate::Sent { .. },
            } if trace.packet(*packet).flags.syn && !trace.packet(*packet).flags.ack => {
                Some(e.time)
            }
            _ => None,
        })
        .collect();
    let (Some(first), true) = (syns.first().copied(), syns.len() > 1) else {
        return String::new();
    };
    let at: Vec<String> = syns
        .iter()
        .skip(1)
        .map(|t| secs(Time::from_micros(t.micros() - first.micros())))
        .collect();
    format!(
        " Its SYN was never answered: {who} retried it {} times (after {} s) and gave up {} s after the first.",
        at.len(),
        at.join(", "),
        secs(Time::from_micros(
            end.micros().saturating_sub(first.micros())
        ))
    )
}

/// The client's data connection went to an address with no route (a private address
/// announced through a NAT).
fn unroutable(trace: &Trace, client: NodeId, w: Window) -> Option<Found> {
    let (_, p, why) = client_packets(trace, client, w).find_map(|(t, p, f)| match f {
        PacketFate::Unroutable { why } => Some((t, p, why.clone())),
        _ => None,
    })?;
    let pk = trace.packet(p);
    let conn = trace
        .connections
        .iter()
        .find(|c| c.has_tuple(pk.src, pk.dst))?;
    let mut s = format!(
        ": the connection from {} to {} went nowhere ({why}).",
        pk.src, pk.dst
    );
    if let Some(a) = &conn.announced
        && is_private(*a.target.ip())
    {
        let by = a.kind.words();
        let (whose, fix) = if a.kind.active() {
            (
                "the client's",
                "an FTP ALG on the client's NAT, or passive mode",
            )
        } else {
            (
                "the server's",
                "the server's pasv_address set to its public address, EPSV, or an FTP ALG on the server's NAT",
            )
        };
        s.push_str(&format!(
            " The {by} announced {whose} private address {}: the server is behind a NAT that does not rewrite it (fix: {fix}).",
            a.target.ip()
        ));
    }
    s.push_str(&syn_retries(
        trace,
        pk.src,
        pk.dst,
        side(trace, pk.src.ip()),
        w.1,
    ));
    Some((s, Some(Mechanism::Unroutable), None))
}

/// The notes a server made about this client's session in the window.
fn client_notes(
    trace: &Trace,
    client: NodeId,
    (start, stop): Window,
) -> impl Iterator<Item = &ServerNote> {
    trace
        .events
        .iter()
        .filter(move |e| e.time >= start && e.time <= stop)
        .filter(move |e| {
            e.conn
                .and_then(|c| trace.conn(c))
                .is_some_and(|c| c.client == Some(client))
        })
        .filter_map(|e| match &e.kind {
            EventKind::Note {
                note: Note::Server(n),
            } => Some(n),
            _ => None,
        })
}

/// The server refused a PORT/EPRT naming an address that is not the control connection's.
fn refused_port(trace: &Trace, client: NodeId, w: Window) -> Option<Found> {
    let note = client_notes(trace, client, w)
        .find(|n| matches!(n, ServerNote::RefusedAnnouncement { .. }))?;
    let private =
        matches!(note, ServerNote::RefusedAnnouncement { addr, .. } if is_private(*addr.ip()));
    let mut s = format!(": the server {note}.");
    if private {
        s.push_str(
            " The client is behind a NAT: its PORT names its private address, which the NAT did \
             not rewrite (no FTP ALG), so the server sees an address that is not the one the \
             control connection comes from (fix: an FTP ALG on the client's NAT, or passive mode).",
        );
    }
    Some((s, Some(Mechanism::PortRefused), None))
}

/// The server had no free port in its passive range.
fn range_exhausted(trace: &Trace, client: NodeId, w: Window) -> Option<Found> {
    let note = client_notes(trace, client, w)
        .find(|n| matches!(n, ServerNote::PassiveRangeExhausted { .. }))?;
    Some((
        format!(
            ": {note}: the passive range was used up by other clients' passive connections waiting to be accepted."
        ),
        Some(Mechanism::PassiveRangeExhausted),
        None,
    ))
}
