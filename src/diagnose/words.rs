//! The one place that says why an action failed: each function looks for one mechanism in
//! the facts and, when it finds it, words it. Where the trace knows the middlebox and its rule
//! (a simulation) the words name them; where it only saw what came back, or did not (a
//! capture), the words say what can be inferred and from where the capture was taken.

use super::facts::{Facts, Stopped};
use crate::ftp::Mode;
use crate::ftp::server::{ServerNote, ServerProfile};
use crate::net::is_private;
use crate::rules::Reason;
use crate::time::Time;
use crate::trace::{Blocker, Connection, EventKind, Mechanism, NodeKind, Trace, Vantage};

/// The sentence after the headline (it starts with ": "), the mechanism and the blocking rule.
pub type Found = (String, Mechanism, Option<Blocker>);

/// Seconds from the transfer's start to its failure below which a missing SYN was refused
/// (a RST or ICMP comes within a round trip; a drop makes the sender wait 30–131 s).
const AT_ONCE_S: f64 = 5.0;

/// Why the action failed: the first mechanism found, in the order a teacher would check.
pub fn explain(f: &Facts) -> Found {
    let captured = f.vantage.is_some();
    let found = encrypted(f)
        .or_else(|| stopped(f))
        .or_else(|| unroutable(f))
        .or_else(|| refused_port(f))
        .or_else(|| range_exhausted(f))
        .or_else(|| if captured { no_data_syn(f) } else { None })
        .or_else(|| if captured { opened(f) } else { None });
    found.unwrap_or_else(|| {
        let why = if captured {
            format!(": {}.", meaning(f.failed.reply, &f.failed.detail))
        } else {
            format!(": {}.", f.failed.detail)
        };
        (why, Mechanism::Other, None)
    })
}

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

/// Who sent the reply `r` that stopped a SYN to `peer`, judged as an engineer would from a
/// capture: an ICMP error names its sender; a RST carries the peer's address either way, but a
/// firewall that forges it sends it with its own TTL (Linux: 64, from wherever it sits), so it
/// arrives with a TTL the peer's own packets do not have.
fn who_answered(trace: &Trace, r: crate::ids::PacketId, peer: std::net::Ipv4Addr) -> String {
    let reply = trace.packet(r);
    if *reply.src.ip() != peer {
        return format!("by a box in between, {}", reply.src.ip());
    }
    let mut ttls: Vec<u8> = trace
        .packets
        .iter()
        .enumerate()
        .filter(|(i, p)| *i != r.index() && *p.src.ip() == peer)
        .map(|(_, p)| p.ttl)
        .collect();
    ttls.sort_unstable();
    // The TTL most of the peer's other packets arrived with.
    let usual = ttls
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .map(|run| run[0]);
    match usual {
        None => format!(
            "the peer itself, or a firewall forging its address: with no other packet from {peer} in the capture, their TTLs cannot be compared"
        ),
        Some(t) if t == reply.ttl => format!(
            "the peer itself, by its TTL: {t}, as its other packets arrive (a firewall as many hops away would look the same)"
        ),
        Some(t) if reply.ttl > t => format!(
            "not the peer: a firewall in between forged it with {peer}'s address; it arrived with TTL {}, the peer's own packets with {t}, so it was sent {} hop{} closer{}",
            reply.ttl,
            reply.ttl - t,
            if reply.ttl - t == 1 { "" } else { "s" },
            if ip_id(reply) == Some(0) {
                ", and with IP ID 0, as Linux's REJECT sends it"
            } else {
                ""
            }
        ),
        Some(t) => format!(
            "not the peer by its TTL: it arrived with {}, the peer's own packets with {t}",
            reply.ttl
        ),
    }
}

/// A packet's IP identification field, if its header was captured.
fn ip_id(p: &crate::trace::Packet) -> Option<u16> {
    p.bytes.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn secs(t: Time) -> String {
    let s = t.secs_f64();
    if (s - s.round()).abs() < 0.0005 {
        format!("{}", s.round())
    } else {
        format!("{s:.3}")
    }
}

/// Seconds as a capture states them: to the millisecond, without trailing zeros.
fn secs_f(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn encrypted(f: &Facts) -> Option<Found> {
    f.encrypted().then(|| {
        (
            ": the control connection is encrypted (AUTH TLS): no firewall helper or NAT ALG can read PORT or 227, so only a statically opened passive range works; this capture cannot see the commands either.".to_owned(),
            Mechanism::Other,
            None,
        )
    })
}

/// A middlebox dropped or refused one of the client's packets.
fn stopped(f: &Facts) -> Option<Found> {
    let s = f.stopped()?;
    if s.verdict.reason == Reason::Inferred {
        return Some(inferred_stop(f, &s));
    }
    let trace = f.trace;
    let pk = trace.packet(s.packet);
    let who = trace.side_words(*pk.src.ip());
    let from_server = trace.host_at(*pk.src.ip()).map(|n| n.kind) == Some(NodeKind::Server);
    let what = if pk.flags.syn && !pk.flags.ack {
        if from_server {
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
    let v = s.verdict;
    let verb = if s.rejected { "rejected" } else { "dropped" };
    let mut words = format!(
        ": {} {verb} {what} — {}.",
        firewall_words(trace, &v.middlebox),
        v.rule_words()
    );
    if s.rejected {
        let with = v.reply_kind();
        words.push_str(&format!(
            " The firewall answered with {}: the sender's connect() failed at once with {}, so the failure was immediate.",
            with.words(),
            with.errno()
        ));
    } else {
        words.push_str(&syn_retries(f, s.packet, who));
    }
    let nat = trace
        .nodes
        .iter()
        .any(|n| n.name == v.middlebox && n.kind == NodeKind::Nat);
    let mechanism = match (nat, s.rejected) {
        (true, _) => Mechanism::NoTranslation,
        (false, true) => Mechanism::Rejected,
        (false, false) => Mechanism::Dropped,
    };
    let blocker = Blocker {
        middlebox: v.middlebox.clone(),
        rule: v.rule(),
        action: v.action,
    };
    Some((words, mechanism, Some(blocker)))
}

/// " Its SYN was never answered: the server retried it 9 times (after 1, 2, 3, …) and gave up …"
fn syn_retries(f: &Facts, p: crate::ids::PacketId, who: &str) -> String {
    let Some(conn) = f.conn_of(p) else {
        return String::new();
    };
    let syns = f.syn_times(conn);
    let (Some(first), true) = (syns.first().copied(), syns.len() > 1) else {
        return String::new();
    };
    let at: Vec<String> = syns
        .iter()
        .skip(1)
        .map(|t| secs(Time::from_micros(t.micros() - first.micros())))
        .collect();
    format!(
        " Its SYN was never answered: {who} retried it {} times (after {} s), and the transfer failed {} s after the first SYN.",
        at.len(),
        at.join(", "),
        secs(Time::from_micros(
            f.window.1.micros().saturating_sub(first.micros())
        ))
    )
}

/// What a capture shows of a SYN refused (by a RST or an ICMP error) or never answered.
fn inferred_stop(f: &Facts, s: &Stopped) -> Found {
    let trace = f.trace;
    let conn = f.conn_of(s.packet);
    let (initiator, responder) = conn.map_or_else(
        || {
            let p = trace.packet(s.packet);
            (p.src, p.dst)
        },
        |k| (k.initiator, k.responder),
    );
    let what = format!(
        "{}'s SYN from port {} to {}:{}",
        trace.side_words(*initiator.ip()),
        initiator.port(),
        responder.ip(),
        responder.port()
    );
    if let Some(r) = s.reply {
        let by = who_answered(trace, r, *responder.ip());
        let with = s.verdict.reply_kind();
        return (
            format!(
                ": {what} was {} ({by}): the connect failed at once with {}.",
                s.verdict.rule_text,
                with.errno()
            ),
            Mechanism::Rejected,
            None,
        );
    }
    let syns: Vec<f64> = conn
        .map(|k| f.syn_times(k))
        .unwrap_or_default()
        .iter()
        .map(|t| t.secs_f64())
        .collect();
    let first = syns.first().copied().unwrap_or(0.0);
    let at: Vec<String> = syns.iter().map(|t| secs_f(t - first)).collect();
    let mode = conn.and_then(|k| k.mode);
    let where_ = match (f.vantage, mode) {
        (Some(Vantage::Client), Some(Mode::Passive)) => "between this capture point and the server",
        (Some(Vantage::Server), Some(Mode::Active)) => "between this capture point and the client",
        _ => "somewhere after this capture point",
    };
    (
        format!(
            ": {what} was sent {} times (at {} s) and never answered: something {where_} drops it (a firewall's DROP: silence, so the sender retries until it gives up).",
            syns.len(),
            at.join(", ")
        ),
        Mechanism::Dropped,
        None,
    )
}

/// The client's data connection went to an address with no route (a private address
/// announced through a NAT).
fn unroutable(f: &Facts) -> Option<Found> {
    let (p, why) = f.unroutable()?;
    let pk = f.trace.packet(p);
    let conn = f.conn_of(p)?;
    let mut s = match f.unroutable_reply() {
        Some(r) => {
            let icmp = f.trace.packet(r);
            let errno = icmp.icmp.as_ref().map_or("", |i| i.connect_errno());
            format!(
                ": the connection from {} to {} could not be routed ({why}): {} answered with an ICMP {}, and the connect failed at once with {errno}.",
                pk.src,
                pk.dst,
                icmp.src.ip(),
                icmp.icmp.as_ref().map_or(String::new(), |i| i.words())
            )
        }
        None => format!(
            ": the connection from {} to {} went nowhere ({why}).",
            pk.src, pk.dst
        ),
    };
    if let Some(a) = &conn.announced
        && is_private(*a.target.ip())
    {
        let by = a.kind.words();
        let (whose, fix) = if a.kind.active() {
            ("client", "an FTP ALG on the client's NAT, or passive mode")
        } else {
            (
                "server",
                "the server's pasv_address set to its public address, EPSV, or an FTP ALG on the server's NAT",
            )
        };
        s.push_str(&format!(
            " The {by} announced the {whose}'s private address {}: the {whose} is behind a NAT that does not rewrite it (fix: {fix}).",
            a.target.ip()
        ));
    }
    if f.unroutable_reply().is_none() {
        s.push_str(&syn_retries(f, p, f.trace.side_words(*pk.src.ip())));
    }
    Some((s, Mechanism::Unroutable, None))
}

/// The server refused a PORT/EPRT: its note says why (a simulation), or its reply does.
fn refused_port(f: &Facts) -> Option<Found> {
    if let Some(note) = f.server_note(|n| matches!(n, ServerNote::RefusedAnnouncement { .. })) {
        let private =
            matches!(note, ServerNote::RefusedAnnouncement { addr, .. } if is_private(*addr.ip()));
        let mut s = format!(": the server {note}.");
        if f.failed.reply.is_some_and(|r| r != 500 && r != 501) {
            s.push_str(&format!(
                " The client then sent the transfer command without PORT, as the classic ftp does, and the server had no data port ({}).",
                f.failed.detail
            ));
        }
        if private {
            s.push_str(
                " The client is behind a NAT: its PORT names its private address, which the NAT did \
                 not rewrite (no FTP ALG), so the server sees an address that is not the one the \
                 control connection comes from (fix: an FTP ALG on the client's NAT, or passive mode).",
            );
        }
        return Some((s, Mechanism::PortRefused, None));
    }
    refused_port_reply(f)
}

/// A 500 or 501 to the client's PORT/EPRT (what a capture shows): the failing reply, or the
/// PORT's own when the classic ftp went on without it (and got `425 Use PORT or PASV first.`).
fn refused_port_reply(f: &Facts) -> Option<Found> {
    let ann = f.announcement().filter(|a| a.active)?;
    let (reply, text) = port_answer(f, &ann.line)?;
    if reply != 500 && reply != 501 {
        return None;
    }
    let mut s = format!(": the server refused {} ({reply} {text}).", ann.line);
    if f.failed.reply != Some(reply) {
        s.push_str(&format!(
            " The client then sent the transfer command without PORT, as the classic ftp does, and the server had no data port ({}).",
            f.failed.detail
        ));
    }
    let addr = ann.parsed.as_ref().and_then(|a| a.ip);
    let control = f.control();
    if let (Some(a), Some(ci)) = (addr, control.map(|k| *k.initiator.ip())) {
        if a != ci {
            s.push_str(&format!(
                " The address it names, {a}, is not the one the control connection comes from ({ci}): servers refuse that (RFC 2577)."
            ));
        }
        if is_private(a) && control.is_some_and(|k| !is_private(*k.responder.ip())) {
            s.push_str(&format!(
                " {a} is a private address sent to a public server: the client is behind a NAT that did not rewrite it (no FTP ALG). Fix: an FTP ALG on the client's NAT, or passive mode."
            ));
        }
    }
    Some((s, Mechanism::PortRefused, None))
}

/// The reply the client read after sending `line`.
fn port_answer(f: &Facts, line: &str) -> Option<(u16, String)> {
    let events = f.events();
    let sent = events.iter().position(|e| {
        e.node == f.client
            && matches!(&e.kind, EventKind::FtpCommand { line: l, sent: true } if l == line)
    })?;
    events[sent..].iter().find_map(|e| match &e.kind {
        EventKind::FtpReply {
            code,
            text,
            sent: false,
        } if e.node == f.client => Some((*code, text.clone())),
        _ => None,
    })
}

/// The server had no free port in its passive range: its note (a simulation) or its reply.
fn range_exhausted(f: &Facts) -> Option<Found> {
    if let Some(note) = f.server_note(|n| matches!(n, ServerNote::PassiveRangeExhausted { .. })) {
        return Some((
            format!(
                ": {note}: the passive range was used up by other clients' passive connections waiting to be accepted."
            ),
            Mechanism::PassiveRangeExhausted,
            None,
        ));
    }
    let text = &f.failed.detail;
    ServerProfile::means_range_exhausted(text).then(|| {
        (
            format!(
                ": the server had no free port in its passive range ({text}): other clients' passive connections were using them all."
            ),
            Mechanism::PassiveRangeExhausted,
            None,
        )
    })
}

/// A capture with an announcement and no data SYN at all: the address, or the timing, says
/// what happened between.
fn no_data_syn(f: &Facts) -> Option<Found> {
    if f.data_conn().is_some() {
        return None;
    }
    let ann = f.announcement()?;
    let active = ann.active;
    if let (Some(a), Some(k)) = (&ann.parsed, f.control()) {
        let peer = if active {
            *k.responder.ip()
        } else {
            *k.initiator.ip()
        };
        if let Some(ip) = a.ip.filter(|ip| is_private(*ip) && !is_private(peer)) {
            let whose = if active {
                "the client's PORT"
            } else {
                "the server's 227"
            };
            // Which address the client then tried depends on the client: the capture at the
            // server cannot see it.
            let then = if active {
                ""
            } else {
                " A client that trusts the 227 (the classic ftp program) connects to that address, which the Internet does not route; curl 7.74 and later, Python's ftplib 3.9.3 and later and FileZilla ignore it and connect to the public address, where the NAT did not pass the port on (the passive range not forwarded)."
            };
            return Some((
                format!(
                    ": {whose} announced the private address {ip} to a public peer ({peer}): a NAT sits in front of it and did not rewrite it (no FTP ALG). No data connection reached this capture point.{then}"
                ),
                Mechanism::Unroutable,
                None,
            ));
        }
    }
    Some(timing(f, active))
}

/// No SYN of the data connection was captured: refused at once, or dropped (the sender
/// waited).
fn timing(f: &Facts, active: bool) -> Found {
    let elapsed = f.window.1.secs_f64() - f.window.0.secs_f64();
    let (expect, sender) = if active {
        ("the server's SYN to the client", "the server")
    } else {
        ("the client's SYN to the server", "the client")
    };
    let here = match (f.vantage, active) {
        (Some(Vantage::Client), true) | (Some(Vantage::Server), false) => {
            format!("{expect} never arrived at this capture point")
        }
        _ => format!("no SYN of the data connection was captured ({expect})"),
    };
    if elapsed < AT_ONCE_S {
        return (
            format!(
                ": {here}, and the failure came {} s after the transfer began: something between refused it at once (a TCP reset or an ICMP error stops {sender}'s connect immediately; a drop would have made it wait).",
                secs_f(elapsed)
            ),
            Mechanism::Rejected,
            None,
        );
    }
    (
        format!(
            ": {here}, and the failure came {} s after the transfer began: something between drops it, and {sender} waited for its timeout.",
            secs_f(elapsed)
        ),
        Mechanism::Dropped,
        None,
    )
}

/// A capture whose data connection opened: the failure is the reply's.
fn opened(f: &Facts) -> Option<Found> {
    let k: &Connection = f.data_conn()?;
    f.answered(k).then(|| {
        (
            format!(
                ": the data connection opened; {}.",
                meaning(f.failed.reply, &f.failed.detail)
            ),
            Mechanism::Other,
            None,
        )
    })
}

/// What a failure reply means.
fn meaning(reply: Option<u16>, text: &str) -> String {
    match reply {
        Some(425) => format!("425: the server could not open the data connection ({text})"),
        Some(421) => format!("421: the server gave up the data connection or the session ({text})"),
        Some(426) => format!("426: the data connection broke during the transfer ({text})"),
        Some(500 | 501) => format!("{text}: the server did not accept the command"),
        Some(530) => format!("530: not logged in ({text})"),
        Some(550) => format!("550: no such file, or not allowed ({text})"),
        _ => text.to_owned(),
    }
}

/// A capture with no FTP in it: what it holds instead.
pub fn no_ftp(trace: &Trace) -> String {
    let crate::trace::Source::Captured { other: Some(o), .. } = &trace.source else {
        return "No FTP control connection was found in this capture.".to_owned();
    };
    let which = match o.flows {
        0 => "it has no TCP connection".to_owned(),
        1 => "its one TCP connection carries no FTP conversation".to_owned(),
        n => format!("none of its {n} TCP connections carries an FTP conversation"),
    };
    let mut s = format!(
        "No FTP in this capture: {which} (no USER, PASV, PORT, LIST, RETR… and no 331, 227, 229, 150, 226… reply)"
    );
    match o.text_ports.as_slice() {
        [] => {}
        [25] | [587] => s.push_str("; the text conversation on port 25 (or 587) is SMTP's"),
        p => s.push_str(&format!(
            "; the text conversations (ports {}) are another protocol's",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    s.push('.');
    s
}
