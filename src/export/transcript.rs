//! The text transcript `ftp-lab run` prints: the timeline of packets (one line each, with its
//! fate and handshake step), what the hosts noted, the user's terminal, and the outcome.

use crate::trace::{EventKind, PacketFate, Trace};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How much to show.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Every hop of every packet, and TCP state changes, instead of one line per packet.
    pub verbose: bool,
}

fn fate_words(fate: &PacketFate) -> String {
    match fate {
        PacketFate::Delivered => "delivered".to_owned(),
        PacketFate::Dropped { verdict } => format!(
            "DROPPED by {} ({}, {})",
            verdict.firewall,
            verdict.rule_words(),
            verdict.state
        ),
        PacketFate::Rejected { verdict, .. } => {
            format!(
                "REJECTED by {} ({}, {}) → RST",
                verdict.firewall,
                verdict.rule_words(),
                verdict.state
            )
        }
        PacketFate::Unroutable => "no route".to_owned(),
        PacketFate::Sent { link } => format!("sent on link {link}"),
        PacketFate::Forwarded {
            verdict: Some(v), ..
        } => format!(
            "accepted by {} ({}, {})",
            v.firewall,
            v.rule_words(),
            v.state
        ),
        PacketFate::Forwarded { .. } => "forwarded".to_owned(),
    }
}

pub fn render(trace: &Trace, opts: Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FTP Lab — {}", trace.title);
    let _ = writeln!(out, "seed {} · {}", trace.seed, trace.tcp_profile);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>9}  {:<10} {:<44} {:<36} step",
        "time", "at", "packet / event", "fate"
    );

    // Each packet's last event: where it ended up.
    let mut fate: BTreeMap<usize, (&PacketFate, crate::time::Time)> = BTreeMap::new();
    for e in &trace.events {
        if let EventKind::Packet { packet, fate: f } = &e.kind
            && !matches!(f, PacketFate::Sent { .. } | PacketFate::Forwarded { .. })
        {
            fate.insert(*packet, (f, e.time));
        }
    }
    for e in &trace.events {
        let at = trace.node_name(e.node);
        let step = e.step.map(|s| format!("[{s}]")).unwrap_or_default();
        match &e.kind {
            EventKind::Packet { packet, fate: f } => {
                let p = &trace.packets[*packet];
                let head = format!("{} → {}", p.src, p.dst);
                let what = match &p.ftp_text {
                    Some(t) => format!("{} {}", p.flags, t.lines().next().unwrap_or("")),
                    None if p.payload_len > 0 => {
                        format!("{} data {} bytes", p.flags, p.payload_len)
                    }
                    None => p.flags.to_string(),
                };
                if opts.verbose {
                    let _ = writeln!(
                        out,
                        "{:>9}  {:<10} {:<44} {:<36} {}",
                        e.time.to_string(),
                        at,
                        format!("{head} {what}"),
                        fate_words(f),
                        step
                    );
                } else if matches!(f, PacketFate::Sent { .. }) {
                    let end = match fate.get(packet) {
                        Some((PacketFate::Delivered, t)) => format!("delivered {t}"),
                        Some((f, t)) => format!("{} at {t}", fate_words(f)),
                        None => "in flight when the run ended".to_owned(),
                    };
                    let _ = writeln!(
                        out,
                        "{:>9}  {:<10} {:<44} {} {}",
                        e.time.to_string(),
                        at,
                        format!("{head}  {what}"),
                        end,
                        step
                    );
                }
            }
            EventKind::TcpState {
                local,
                remote,
                from,
                to,
            } if opts.verbose => {
                let _ = writeln!(
                    out,
                    "{:>9}  {:<10} TCP {local} ↔ {remote}: {from} → {to} {step}",
                    e.time.to_string(),
                    at
                );
            }
            EventKind::Console { line } if line.starts_with("ftp> ") => {
                let _ = writeln!(out, "{:>9}  {:<10} {line}", e.time.to_string(), at);
            }
            EventKind::Note { text } => {
                let _ = writeln!(out, "{:>9}  {:<10} note: {text}", e.time.to_string(), at);
            }
            _ => {}
        }
    }

    let _ = writeln!(out, "\nThe user's terminal:");
    for e in &trace.events {
        if let EventKind::Console { line } = &e.kind {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !trace.firewalls.is_empty() {
        let _ = writeln!(out, "\nFirewall hit counters:");
        for f in &trace.firewalls {
            let _ = writeln!(out, "  {}:", f.name);
            for (i, (r, h)) in f.rules.iter().zip(&f.hits).enumerate() {
                let _ = writeln!(out, "    rule {:<2} {:>5} hits  {r}", i + 1, h);
            }
            let _ = writeln!(
                out,
                "    default {:>5} hits  {}",
                f.default_hits, f.default_policy
            );
        }
    }
    let o = &trace.outcome;
    let _ = writeln!(
        out,
        "\nOutcome: {} — {}",
        if o.success { "SUCCESS" } else { "FAILURE" },
        o.diagnosis
    );
    out
}
