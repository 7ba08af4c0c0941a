//! The text transcript `ftp-lab run` prints: the timeline of packets (one line each, with its
//! fate and handshake step), what the hosts noted, the user's terminal, and the outcome.

use crate::ids::{JourneyId, NodeId};
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
            verdict.middlebox,
            verdict.rule_words(),
            verdict.state
        ),
        PacketFate::Rejected { verdict, .. } => {
            let reply = match verdict.reply_kind() {
                crate::rules::RejectWith::TcpReset => "RST".to_owned(),
                w => format!("ICMP {}", w.icmp_words()),
            };
            // Read from a capture: what answered is known, not who (a forged RST carries the
            // peer's address).
            if verdict.reason == crate::rules::Reason::Inferred {
                return format!("REJECTED ({}) → {reply}", verdict.rule_words());
            }
            format!(
                "REJECTED by {} ({}, {}) → {reply}",
                verdict.middlebox,
                verdict.rule_words(),
                verdict.state
            )
        }
        PacketFate::Unroutable { why, reply: None } => format!("NO ROUTE ({why})"),
        PacketFate::Unroutable {
            why,
            reply: Some(_),
        } => {
            format!("NO ROUTE ({why}; answered with ICMP)")
        }
        PacketFate::Sent { link } => format!("sent on link {link}"),
        PacketFate::Forwarded {
            rewritten: Some(q), ..
        } => format!("rewritten (packet {q})"),
        PacketFate::Forwarded {
            verdict: Some(v), ..
        } => format!(
            "accepted by {} ({}, {})",
            v.middlebox,
            v.rule_words(),
            v.state
        ),
        PacketFate::Forwarded { .. } => "forwarded".to_owned(),
    }
}

pub fn render(trace: &Trace, opts: Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FTP Lab — {}", trace.title);
    // A capture has no seed and no simulated TCP: say what it is instead.
    if matches!(trace.source, crate::trace::Source::Captured { .. }) {
        let _ = writeln!(out, "a real capture, explained (not a simulation)");
    } else {
        let _ = writeln!(out, "seed {} · {}", trace.seed, trace.tcp_profile);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>9}  {:<10} {:<44} {:<36} step",
        "time", "at", "packet / event", "fate"
    );
    let ends = Ends::of(trace);
    for e in &trace.events {
        timeline_line(&mut out, trace, &ends, e, opts);
    }
    terminals(&mut out, trace);
    hit_counters(&mut out, trace);
    let o = &trace.outcome;
    let word = match (o.success, o.mechanism.as_ref()) {
        (_, Some(crate::trace::Mechanism::NoFtp)) => "NO FTP",
        (true, _) => "SUCCESS",
        (false, _) => "FAILURE",
    };
    let _ = writeln!(out, "\nOutcome: {word} — {}", o.diagnosis);
    out
}

/// Each journey's last event (where it ended up), and the NATs that rewrote it on the way.
struct Ends<'a> {
    fate: BTreeMap<JourneyId, (&'a PacketFate, crate::time::Time)>,
    rewrites: BTreeMap<JourneyId, Vec<String>>,
}

impl<'a> Ends<'a> {
    fn of(trace: &'a Trace) -> Ends<'a> {
        let mut ends = Ends {
            fate: BTreeMap::new(),
            rewrites: BTreeMap::new(),
        };
        for e in &trace.events {
            let EventKind::Packet { packet, fate: f } = &e.kind else {
                continue;
            };
            let j = trace.packets[*packet].journey;
            match f {
                PacketFate::Forwarded {
                    rewritten: Some(q), ..
                } => {
                    let (q, old) = (&trace.packets[*q], &trace.packets[*packet]);
                    let text = match (&q.ftp_text, &old.ftp_text) {
                        (Some(new), Some(was)) if new != was => {
                            format!(" '{}'", new.lines().next().unwrap_or(""))
                        }
                        _ => String::new(),
                    };
                    ends.rewrites.entry(j).or_default().push(format!(
                        "via {} as {} → {}{text}",
                        trace.node_name(e.node),
                        q.src,
                        q.dst,
                    ));
                }
                PacketFate::Sent { .. } | PacketFate::Forwarded { .. } => {}
                _ => {
                    ends.fate.insert(j, (f, e.time));
                }
            }
        }
        ends
    }

    /// Where journey `j` ended, with the rewrites on its way.
    fn words(&self, j: JourneyId) -> String {
        let end = match self.fate.get(&j) {
            Some((PacketFate::Delivered, t)) => format!("delivered {t}"),
            Some((f, t)) => format!("{} at {t}", fate_words(f)),
            None => "in flight when the run ended".to_owned(),
        };
        match self.rewrites.get(&j) {
            Some(r) => format!("{}; {end}", r.join("; ")),
            None => end,
        }
    }
}

/// A packet as the timeline shows it: (from → to, what it is).
fn packet_words(p: &crate::trace::Packet) -> (String, String) {
    let head = if p.icmp.is_some() {
        format!("{} → {}", p.src.ip(), p.dst.ip())
    } else {
        format!("{} → {}", p.src, p.dst)
    };
    let what = match &p.ftp_text {
        _ if p.icmp.is_some() => p.summary(),
        // A password is masked here too (the terminal section and the window mask it).
        Some(t) => format!(
            "{} {}",
            p.flags,
            crate::ftp::command::masked(t.lines().next().unwrap_or(""))
        ),
        None if p.payload_len > 0 => format!("{} data {} bytes", p.flags, p.payload_len),
        None => p.flags.to_string(),
    };
    (head, what)
}

/// One event's line in the timeline, if it has one: a packet (where it was sent, or every
/// hop when verbose), a TCP state (verbose), what the user typed, a note.
fn timeline_line(
    out: &mut String,
    trace: &Trace,
    ends: &Ends,
    e: &crate::trace::Event,
    opts: Options,
) {
    let at = trace.node_name(e.node);
    let step = e.step.map(|s| format!("[{s}]")).unwrap_or_default();
    let time = e.time.to_string();
    match &e.kind {
        EventKind::Packet { packet, fate: f } => {
            let p = &trace.packets[*packet];
            let (head, what) = packet_words(p);
            if opts.verbose {
                let _ = writeln!(
                    out,
                    "{time:>9}  {at:<10} {:<44} {:<36} {step}",
                    format!("{head} {what}"),
                    fate_words(f),
                );
            } else if matches!(f, PacketFate::Sent { .. }) {
                let _ = writeln!(
                    out,
                    "{time:>9}  {at:<10} {:<44} {} {step}",
                    format!("{head}  {what}"),
                    ends.words(p.journey),
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
                "{time:>9}  {at:<10} TCP {local} ↔ {remote}: {from} → {to} {step}"
            );
        }
        EventKind::Console {
            line,
            shown: crate::trace::Shown::Typed,
        } => {
            let _ = writeln!(out, "{time:>9}  {at:<10} {line}");
        }
        EventKind::Note { note } => {
            let _ = writeln!(out, "{time:>9}  {at:<10} note: {note}");
        }
        _ => {}
    }
}

/// One terminal per client: several clients' sessions interleave in time, and read as
/// nonsense mixed together. One pass over the events (it was one per client: 10,000 clients
/// of a capture took 35 s).
fn terminals(out: &mut String, trace: &Trace) {
    let lines = trace.events.iter().filter_map(|e| match &e.kind {
        EventKind::Console { line, .. } => Some((e.node, line.as_str())),
        _ => None,
    });
    if trace.clients.len() <= 1 {
        let title = trace
            .clients
            .first()
            .map_or("The user's terminal", |c| trace.screen_of(c.node));
        let _ = writeln!(out, "\n{title}:");
        for (_, l) in lines {
            let _ = writeln!(out, "  {l}");
        }
        return;
    }
    let mut by_node: BTreeMap<NodeId, Vec<&str>> = BTreeMap::new();
    for (node, l) in lines {
        by_node.entry(node).or_default().push(l);
    }
    for c in &trace.clients {
        let _ = writeln!(out, "\n{}'s terminal:", c.name);
        for l in by_node.get(&c.node).into_iter().flatten() {
            let _ = writeln!(out, "  {l}");
        }
    }
}

fn hit_counters(out: &mut String, trace: &Trace) {
    if trace.firewalls.is_empty() {
        return;
    }
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
