//! The outcome of a run in plain words: what failed, where, and which rule did it.
//!
//! "Listing failed (425 Failed to establish connection.): the client's firewall 'client-fw'
//! dropped the server's connection from port 20 to port 50123 — rule 2 'drop inbound new'."

use super::{Blocker, Channel, EventKind, NodeKind, Outcome, PacketFate, Trace, Verdict};
use crate::ftp::Mode;
use crate::time::Time;

fn action_words(action: &str) -> String {
    match action.split_once(' ') {
        Some(("get", f)) => format!("Downloading {f}"),
        Some(("put", f)) => format!("Uploading {f}"),
        _ => match action {
            "ls" => "Listing".to_owned(),
            "connect" => "Connecting".to_owned(),
            "login" => "Logging in".to_owned(),
            "quit" => "Quitting".to_owned(),
            other => other.to_owned(),
        },
    }
}

/// "the client's firewall 'client-fw'" / "the server's firewall 'server-fw'".
pub fn firewall_words(trace: &Trace, name: &str) -> String {
    let protects = trace
        .nodes
        .iter()
        .find(|n| n.name == name)
        .and_then(|n| n.protects.clone());
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
    match trace
        .nodes
        .iter()
        .find(|n| n.address.as_ref() == Some(ip))
        .map(|n| n.kind)
    {
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

pub fn diagnose(trace: &Trace) -> Outcome {
    let finished_at = trace.events.last().map_or(Time::ZERO, |e| e.time);
    let Some(failed) = trace.actions.iter().find(|a| !a.ok) else {
        let data: Vec<String> = trace
            .connections
            .iter()
            .filter(|c| c.channel == Channel::Data)
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
            failed_action: None,
            reply: None,
            blocked_by: None,
            diagnosis,
            finished_at,
        };
    };

    // The window of the failed action.
    let start = trace
        .events
        .iter()
        .find(
            |e| matches!(&e.kind, EventKind::ActionStarted { index, .. } if *index == failed.index),
        )
        .map_or(Time::ZERO, |e| e.time);
    let end = trace
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::ActionFinished { result } if result.index == failed.index))
        .map_or(finished_at, |e| e.time);

    // The first packet a firewall stopped in that window, preferring the data channel.
    let stopped: Vec<(usize, &Verdict, bool)> = trace
        .events
        .iter()
        .filter(|e| e.time >= start && e.time <= end)
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                packet,
                fate: PacketFate::Dropped { verdict },
            } => Some((*packet, verdict, false)),
            EventKind::Packet {
                packet,
                fate: PacketFate::Rejected { verdict, .. },
            } => Some((*packet, verdict, true)),
            _ => None,
        })
        .collect();
    let is_data = |p: usize| {
        trace.connections.iter().any(|c| {
            c.channel == Channel::Data
                && (c.initiator == trace.packets[p].src || c.responder == trace.packets[p].src)
        })
    };
    let block = stopped
        .iter()
        .find(|(p, _, _)| is_data(*p))
        .or(stopped.first());

    let reply_words = match failed.reply {
        Some(_) => format!(" ({})", failed.detail),
        None => String::new(),
    };
    let mut diagnosis = format!("{} failed{reply_words}", action_words(&failed.action));
    let mut blocked_by = None;
    if let Some((p, v, rejected)) = block {
        let pk = &trace.packets[*p];
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
        diagnosis.push_str(&format!(
            ": {} {verb} {what} — {}.",
            firewall_words(trace, &v.firewall),
            v.rule_words()
        ));
        let conn = trace
            .connections
            .iter()
            .find(|c| c.initiator == pk.src && c.responder == pk.dst);
        if *rejected {
            diagnosis
                .push_str(" The firewall answered with a TCP RST, so the failure was immediate.");
        } else if let Some(c) = conn {
            let syns: Vec<Time> = trace
                .events
                .iter()
                .filter(|e| e.conn == Some(c.id))
                .filter_map(|e| match &e.kind {
                    EventKind::Packet {
                        packet,
                        fate: PacketFate::Sent { .. },
                    } if trace.packets[*packet].flags.syn && !trace.packets[*packet].flags.ack => {
                        Some(e.time)
                    }
                    _ => None,
                })
                .collect();
            if let (Some(first), true) = (syns.first().copied(), syns.len() > 1) {
                let at: Vec<String> = syns
                    .iter()
                    .skip(1)
                    .map(|t| secs(Time::from_micros(t.micros() - first.micros())))
                    .collect();
                diagnosis.push_str(&format!(
                    " Its SYN was never answered: {} retried it {} times (after {} s) and gave up {} s after the first.",
                    who,
                    at.len(),
                    at.join(", "),
                    secs(Time::from_micros(end.micros().saturating_sub(first.micros())))
                ));
            }
        }
        blocked_by = Some(Blocker {
            firewall: v.firewall.clone(),
            rule: v.rule,
            action: v.action,
        });
    } else {
        diagnosis.push_str(&format!(": {}.", failed.detail));
    }
    Outcome {
        success: false,
        failed_action: Some(failed.action.clone()),
        reply: failed.reply,
        blocked_by,
        diagnosis,
        finished_at,
    }
}
