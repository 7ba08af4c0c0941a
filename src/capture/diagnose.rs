//! What a capture shows went wrong, in the simulator's words and with the same `Mechanism`s:
//! a SYN sent N times and never answered (dropped between), answered by a RST or an ICMP error
//! (from the peer, or a box in between), sent to a private address announced to a public peer
//! (NAT without ALG), a PORT refused because its address is not the control connection's, a
//! passive range used up, an encrypted control connection. When the capture was taken where
//! the SYN should have arrived and shows none, the timing of the failure says which: refused
//! at once, or dropped (the sender waited).
//!
//! `failing_step` works on any trace, simulated or captured: the round-trip tests compare them.

use super::{Vantage, is_private};
use crate::ftp::ActionResult;
use crate::ftp::Mode;
use crate::ftp::command::verb;
use crate::ids::NodeId;
use crate::time::Time;
use crate::trace::{
    Channel, ClientReport, Connection, EventKind, Mechanism, Outcome, PacketFate, Trace,
};

/// Seconds from the transfer's start to its failure below which a missing SYN was refused
/// (a RST or ICMP comes within a round trip; a drop makes the sender wait 30–127 s).
const AT_ONCE_S: f64 = 5.0;

pub fn diagnose(trace: &mut Trace, vantage: Vantage) {
    let outcomes: Vec<Outcome> = trace
        .clients
        .iter()
        .map(|c| client_outcome(trace, c, vantage))
        .collect();
    for (c, o) in trace.clients.iter_mut().zip(outcomes) {
        c.outcome = o;
    }
    trace.outcome = overall(trace);
}

fn overall(trace: &Trace) -> Outcome {
    if trace.clients.is_empty() {
        return Outcome {
            success: false,
            diagnosis: "No FTP control connection was found in this capture.".to_owned(),
            mechanism: Some(Mechanism::Other),
            finished_at: trace.events.last().map_or(Time::ZERO, |e| e.time),
            ..Outcome::empty("")
        };
    }
    crate::trace::diagnose::overall(trace)
}

/// The start and end of an action (its ActionStarted and ActionFinished events).
fn window(trace: &Trace, client: NodeId, index: usize) -> (Time, Time) {
    let mut start = Time::ZERO;
    let mut end = trace.events.last().map_or(Time::ZERO, |e| e.time);
    for e in trace.events.iter().filter(|e| e.node == client) {
        match &e.kind {
            EventKind::ActionStarted { index: i, .. } if *i == index => start = e.time,
            EventKind::ActionFinished { result } if result.index == index => {
                end = e.time;
                break;
            }
            _ => {}
        }
    }
    (start, end)
}

/// Which of the four steps of the failed transfer did not complete: 1 (the announcement was
/// not sent), 2 (its reply refused it), 3 (the data connection's SYN never got through), 4 (its
/// handshake did not finish). `None` when the client did not fail, or failed elsewhere (login,
/// or after the data connection opened).
pub fn failing_step(trace: &Trace, client: NodeId) -> Option<u8> {
    let c = trace.clients.iter().find(|c| c.node == client)?;
    let failed = c.actions.iter().find(|a| !a.ok)?;
    if !is_transfer(failed) {
        return None;
    }
    let (start, end) = window(trace, client, failed.index);
    let mine = |conn: Option<crate::ids::ConnId>| {
        conn.and_then(|k| trace.conn(k))
            .is_some_and(|k| k.client == Some(client))
    };
    let mut max = 0u8;
    let mut step2_refused = false;
    let mut step2_timeout = false;
    let mut handshake_done = false;
    for e in &trace.events {
        if e.time < start || e.time > end || !mine(e.conn) {
            continue;
        }
        if let (Some(s), EventKind::Packet { packet, .. }) = (e.step, &e.kind) {
            max = max.max(s.n);
            if s.n == 2
                && let Some(t) = &trace.packet(*packet).ftp_text
            {
                match t.get(..3) {
                    Some("421" | "425") => step2_timeout = true,
                    Some(c) if c.starts_with('4') || c.starts_with('5') => step2_refused = true,
                    _ => {}
                }
            }
            if s.n == 4 {
                handshake_done = true;
            }
        }
    }
    match max {
        0 => Some(1),
        1 => Some(2),
        2 if step2_refused => Some(2),
        2 if step2_timeout => Some(3),
        2 | 3 => Some(3),
        _ if handshake_done => None,
        _ => Some(4),
    }
}

fn is_transfer(a: &ActionResult) -> bool {
    a.action.is_transfer()
}

fn secs(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn who(trace: &Trace, ip: &std::net::Ipv4Addr) -> &'static str {
    match trace
        .nodes
        .iter()
        .find(|n| n.address.as_ref() == Some(ip))
        .map(|n| n.kind)
    {
        Some(crate::trace::NodeKind::Server) => "the server",
        Some(crate::trace::NodeKind::Client) => "the client",
        _ => "a host",
    }
}

fn client_outcome(trace: &Trace, c: &ClientReport, vantage: Vantage) -> Outcome {
    let finished_at = trace.events.last().map_or(Time::ZERO, |e| e.time);
    let data: Vec<&Connection> = trace
        .connections
        .iter()
        .filter(|k| k.channel == Channel::Data && k.client == Some(c.node))
        .collect();
    let encrypted = trace.events.iter().any(|e| {
        e.node == c.node
            && matches!(
                &e.kind,
                EventKind::Note {
                    note: crate::trace::Note::Encrypted
                }
            )
    });
    let Some(failed) = c.actions.iter().find(|a| !a.ok) else {
        let list: Vec<String> = data
            .iter()
            .map(|k| {
                let m = if k.mode == Some(Mode::Active) {
                    "active"
                } else {
                    "passive"
                };
                format!("{m} {} → {}", k.initiator, k.responder)
            })
            .collect();
        let mut diagnosis = if list.is_empty() {
            "Everything worked.".to_owned()
        } else {
            format!(
                "Everything worked: all four steps completed for each data connection ({}).",
                list.join("; ")
            )
        };
        if encrypted {
            diagnosis.push_str(" The control connection was encrypted (AUTH TLS) after login: what followed cannot be read.");
        }
        return Outcome {
            success: true,
            diagnosis,
            finished_at,
            ..Outcome::empty("")
        };
    };
    let (start, end) = window(trace, c.node, failed.index);
    let head = match failed.reply {
        Some(_) => format!("'{}' failed ({})", failed.action, failed.detail),
        None => format!("'{}' failed ({})", failed.action, failed.detail),
    };
    let (why, mechanism) =
        explain_failure(trace, c, failed, (start, end), &data, vantage, encrypted);
    Outcome {
        success: false,
        failed_action: Some(failed.action.clone()),
        reply: failed.reply,
        blocked_by: None,
        mechanism: Some(mechanism),
        diagnosis: format!("{head}: {why}"),
        finished_at,
    }
}

/// The text of the announcement made in the window (PORT, EPRT, PASV's 227, EPSV's 229).
fn announcement(
    trace: &Trace,
    client: NodeId,
    (start, end): (Time, Time),
) -> Option<(String, bool)> {
    trace.events.iter().find_map(|e| {
        if e.time < start || e.time > end || e.node != client {
            return None;
        }
        match &e.kind {
            EventKind::FtpCommand { line, sent: true }
                if matches!(verb(line).as_str(), "PORT" | "EPRT") =>
            {
                Some((line.clone(), true))
            }
            EventKind::FtpReply {
                code: 227 | 229,
                text,
                sent: false,
            } => Some((
                format!("{} {text}", if text.contains("|||") { 229 } else { 227 }),
                false,
            )),
            _ => None,
        }
    })
}

#[allow(clippy::too_many_lines)]
fn explain_failure(
    trace: &Trace,
    c: &ClientReport,
    failed: &ActionResult,
    w: (Time, Time),
    data: &[&Connection],
    vantage: Vantage,
    encrypted: bool,
) -> (String, Mechanism) {
    let reply = failed.reply;
    let text = failed.detail.as_str();
    if encrypted {
        return (
            "the control connection is encrypted (AUTH TLS): no firewall helper or NAT ALG can read PORT or 227, so only a statically opened passive range works; this capture cannot see the commands either.".to_owned(),
            Mechanism::Other,
        );
    }
    // A transfer set up in the window: its data connection (the last one opened in it).
    let conn = data.iter().rev().find(|k| {
        trace
            .events
            .iter()
            .any(|e| e.conn == Some(k.id) && e.time >= w.0 && e.time <= w.1)
    });
    let control = trace
        .connections
        .iter()
        .find(|k| k.channel == Channel::Control && k.client == Some(c.node));
    // Replies that say it all.
    if crate::ftp::server::ServerProfile::means_range_exhausted(text) {
        return (
            format!(
                "the server had no free port in its passive range ({text}): other clients' passive connections were using them all."
            ),
            Mechanism::PassiveRangeExhausted,
        );
    }
    let ann = announcement(trace, c.node, w);
    if let (Some(r), Some((line, true))) = (reply, &ann)
        && (r == 500 || r == 501)
    {
        let addr = crate::ftp::announce::parse_line(line, true)
            .and_then(Result::ok)
            .and_then(|a| a.ip);
        let ctl_ip = control.map(|k| *k.initiator.ip());
        let mut s = format!("the server refused {line} ({text}).");
        if let (Some(a), Some(ci)) = (addr, ctl_ip) {
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
        return (s, Mechanism::PortRefused);
    }
    if let Some(k) = conn {
        let syns: Vec<f64> = trace
            .events
            .iter()
            .filter(|e| e.conn == Some(k.id))
            .filter_map(|e| match &e.kind {
                EventKind::Packet {
                    packet,
                    fate: PacketFate::Sent { .. },
                } => {
                    let p = trace.packet(*packet);
                    (p.flags.syn && !p.flags.ack).then(|| e.time.secs_f64())
                }
                _ => None,
            })
            .collect();
        let answered = trace.events.iter().any(|e| {
            e.conn == Some(k.id)
                && matches!(&e.kind, EventKind::Packet { packet, .. } if { let p = trace.packet(*packet); p.flags.syn && p.flags.ack })
        });
        let refused = trace.events.iter().find_map(|e| match &e.kind {
            EventKind::Packet {
                fate: PacketFate::Rejected { verdict, reply },
                ..
            } if e.conn == Some(k.id) => Some((verdict.clone(), *reply)),
            _ => None,
        });
        let sender = who(trace, k.initiator.ip());
        let what = format!(
            "{sender}'s SYN from port {} to {}:{}",
            k.initiator.port(),
            k.responder.ip(),
            k.responder.port()
        );
        if let Some((v, r)) = refused {
            let rp = trace.packet(r);
            let from_peer = rp.src.ip() == k.responder.ip();
            let by = if from_peer {
                "the peer itself, or a firewall on its behalf (they look the same)"
            } else {
                "a box in between"
            };
            let with = v.reply_kind();
            return (
                format!(
                    "{what} was {} ({by}): the connect failed at once with {}.",
                    v.rule_text,
                    with.errno()
                ),
                Mechanism::Rejected,
            );
        }
        if !answered && !syns.is_empty() {
            let first = syns[0];
            let at: Vec<String> = syns.iter().map(|t| secs(t - first)).collect();
            let private = is_private(*k.responder.ip()) && !is_private(*k.initiator.ip());
            if private {
                let whose = if k.mode == Some(Mode::Active) {
                    "client's PORT"
                } else {
                    "server's 227"
                };
                return (
                    format!(
                        "{what} was sent {} times (at {} s) and never answered: {} is a private address, announced by the {whose} to a public peer. A NAT sits in front of the announcer and did not rewrite it (no FTP ALG); the address is not routed on the Internet. Fixes: announce the public address (pasv_address), EPSV, or an FTP ALG.",
                        syns.len(),
                        at.join(", "),
                        k.responder.ip()
                    ),
                    Mechanism::Unroutable,
                );
            }
            let where_ = match vantage {
                Vantage::Client if k.mode == Some(Mode::Passive) => {
                    "between this capture point and the server"
                }
                Vantage::Server if k.mode == Some(Mode::Active) => {
                    "between this capture point and the client"
                }
                _ => "somewhere after this capture point",
            };
            return (
                format!(
                    "{what} was sent {} times (at {} s) and never answered: something {where_} drops it (a firewall's DROP: silence, so the sender retries until it gives up).",
                    syns.len(),
                    at.join(", ")
                ),
                Mechanism::Dropped,
            );
        }
        if answered {
            return (
                format!("the data connection opened; {}.", meaning(reply, text)),
                Mechanism::Other,
            );
        }
    }
    // No data SYN here at all.
    if let Some((line, active)) = &ann {
        if let Some(Ok(a)) = crate::ftp::announce::parse_line(line, *active) {
            let peer = control.map(|k| {
                if *active {
                    *k.responder.ip()
                } else {
                    *k.initiator.ip()
                }
            });
            if let (Some(ip), Some(p)) = (a.ip, peer)
                && is_private(ip)
                && !is_private(p)
            {
                let whose = if *active {
                    "the client's PORT"
                } else {
                    "the server's 227"
                };
                return (
                    format!(
                        "{whose} announced the private address {ip} to a public peer ({p}): a NAT sits in front of it and did not rewrite it (no FTP ALG). No data connection reached this capture point."
                    ),
                    Mechanism::Unroutable,
                );
            }
        }
        let elapsed = w.1.secs_f64() - w.0.secs_f64();
        let (expect, sender) = if *active {
            ("the server's SYN to the client", "the server")
        } else {
            ("the client's SYN to the server", "the client")
        };
        let here = match (vantage, *active) {
            (Vantage::Client, true) | (Vantage::Server, false) => {
                format!("{expect} never arrived at this capture point")
            }
            _ => format!("no SYN of the data connection was captured ({expect})"),
        };
        if elapsed < AT_ONCE_S {
            return (
                format!(
                    "{here}, and the failure came {} s after the transfer began: something between refused it at once (a TCP reset or an ICMP error stops {sender}'s connect immediately; a drop would have made it wait).",
                    secs(elapsed)
                ),
                Mechanism::Rejected,
            );
        }
        return (
            format!(
                "{here}, and the failure came {} s after the transfer began: something between drops it, and {sender} waited for its timeout.",
                secs(elapsed)
            ),
            Mechanism::Dropped,
        );
    }
    (format!("{}.", meaning(reply, text)), Mechanism::Other)
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
        Some(_) => text.to_owned(),
        None => text.to_owned(),
    }
}
