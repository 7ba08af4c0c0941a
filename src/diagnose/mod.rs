//! The outcome of a run in plain words, per client and overall, for a simulation and a real
//! capture alike: one pipeline. `facts` reads what the trace shows about a failed action (the
//! packets a middlebox stopped, those that went nowhere, the server's notes and replies, the
//! announcement, the data connection's SYNs); `words` picks the mechanism and says it, naming
//! the rule where the trace knows it and saying what can be inferred where it does not.
//!
//! "Listing failed (425 Failed to establish connection.): the client's firewall 'client-fw'
//! dropped the server's connection from port 20 to port 50123 — rule 2 'drop inbound new'."

pub mod facts;
mod words;

pub use words::firewall_words;

use crate::ftp::Mode;
use crate::time::Time;
use crate::trace::{ClientReport, Mechanism, NodeId, Outcome, Trace};
use facts::Facts;

/// Diagnoses every client of a trace, then the run as a whole.
pub fn diagnose(trace: &mut Trace) {
    let ix = facts::Index::new(trace);
    let outcomes: Vec<Outcome> = trace
        .clients
        .iter()
        .map(|c| client_outcome(trace, &ix, c))
        .collect();
    for (c, o) in trace.clients.iter_mut().zip(outcomes) {
        c.outcome = o;
    }
    trace.outcome = overall(trace);
}

fn finished_at(trace: &Trace) -> Time {
    trace.events.last().map_or(Time::ZERO, |e| e.time)
}

/// The run's outcome from its clients' (for one client, that client's).
pub fn overall(trace: &Trace) -> Outcome {
    let finished_at = finished_at(trace);
    match trace.clients.len() {
        0 => {
            return Outcome {
                diagnosis: words::no_ftp(trace),
                mechanism: Some(Mechanism::NoFtp),
                finished_at,
                ..Outcome::empty("")
            };
        }
        1 => return trace.clients[0].outcome.clone(),
        _ => {}
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

/// One client's outcome.
fn client_outcome(trace: &Trace, ix: &facts::Index, c: &ClientReport) -> Outcome {
    let finished_at = finished_at(trace);
    let Some(f) = Facts::of(trace, ix, c) else {
        return Outcome {
            success: true,
            diagnosis: success_words(trace, ix, c),
            finished_at,
            ..Outcome::empty("")
        };
    };
    let failed = f.failed;
    let reply_words = match failed.reply {
        Some(_) => format!(" ({})", failed.detail),
        None => String::new(),
    };
    let head = format!("{} failed{reply_words}", failed.action.doing());
    let (why, mechanism, blocked_by) = words::explain(&f);
    Outcome {
        success: false,
        failed_action: Some(failed.action.clone()),
        reply: failed.reply,
        blocked_by,
        mechanism: Some(mechanism),
        diagnosis: format!("{head}{why}"),
        finished_at,
    }
}

/// "Everything worked: all four steps completed for each data connection (…)."
fn success_words(trace: &Trace, ix: &facts::Index, c: &ClientReport) -> String {
    let data: Vec<String> = ix
        .data_of(c.node)
        .iter()
        .filter_map(|k| trace.conn(*k))
        .map(|k| {
            let m = if k.mode == Some(Mode::Active) {
                "active"
            } else {
                "passive"
            };
            format!("{m} {} → {}", k.initiator, k.responder)
        })
        .collect();
    let mut s = if data.is_empty() {
        "Everything worked.".to_owned()
    } else {
        format!(
            "Everything worked: all four steps completed for each data connection ({}).",
            data.join("; ")
        )
    };
    if ix.encrypted(c.node) {
        s.push_str(" The control connection was encrypted (AUTH TLS) after login: what followed cannot be read.");
    }
    s
}

/// Which of the four steps of the failed transfer did not complete: 1 (the announcement was
/// not sent), 2 (its reply refused it), 3 (the data connection's SYN never got through), 4 (its
/// handshake did not finish). `None` when the client did not fail, or failed elsewhere (login,
/// or after the data connection opened). Works on any trace, simulated or captured.
pub fn failing_step(trace: &Trace, client: NodeId) -> Option<u8> {
    let c = trace.clients.iter().find(|c| c.node == client)?;
    let ix = facts::Index::new(trace);
    let f = Facts::of(trace, &ix, c)?;
    if !f.failed.action.is_transfer() {
        return None;
    }
    let mut max = 0u8;
    let (mut refused, mut timed_out, mut done) = (false, false, false);
    for (e, packet, _) in f.packets() {
        let Some(s) = e.step else { continue };
        max = max.max(s.n);
        if s.n == 2
            && let Some(t) = &trace.packet(packet).ftp_text
        {
            match t.get(..3) {
                Some("421" | "425") => timed_out = true,
                Some(c) if c.starts_with('4') || c.starts_with('5') => refused = true,
                _ => {}
            }
        }
        done |= s.n == 4;
    }
    match max {
        0 => Some(1),
        1 => Some(2),
        2 if refused => Some(2),
        2 if timed_out => Some(3),
        2 | 3 => Some(3),
        _ if done => None,
        _ => Some(4),
    }
}
