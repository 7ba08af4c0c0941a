//! FTP Lab: a deterministic simulator that teaches FTP's active and passive modes and why
//! firewalls break them.
//!
//! A `Scenario` (RON, see `scenarios/`) describes hosts, firewalls, links and what the user
//! types; `simulate` runs it on real TCP (smoltcp, driven by virtual time) and the sans-IO FTP
//! state machines, and returns a `Trace`: every packet, every firewall decision, every FTP
//! line, tagged with the step of the four-step handshake it belongs to. Views read only the
//! trace.

#![cfg_attr(test, allow(clippy::unwrap_used))]
// No function of the program over 80 lines (clippy.toml sets the threshold; the tests
// and benches, tables of cases, are not held to it).
#![warn(clippy::too_many_lines)]

pub mod capture;
pub mod class;
pub mod diagnose;
pub mod exercise;
pub mod export;
pub mod firewall;
pub mod ftp;
pub mod gui;
pub mod host;
pub mod ids;
pub mod live;
pub mod middlebox;
pub mod net;
pub mod ports;
pub mod rng;
pub mod rules;
pub mod scenario;
pub mod sim;
pub mod text;
pub mod time;
pub mod trace;

pub use scenario::{Expectation, Expected, Scenario, ScenarioError, ScenarioErrors};
pub use sim::simulate;
pub use trace::{Outcome, Trace};

/// The expectation a run meets: its result, the first action that failed, the reply that said
/// so and the rule that blocked it (what "Save as" writes, so a saved file runs as expected).
pub fn expectation_of(trace: &Trace) -> Expectation {
    let o = &trace.outcome;
    Expectation {
        result: if o.success {
            Expected::Success
        } else {
            Expected::Failure
        },
        failed_action: o.failed_action.as_ref().map(ToString::to_string),
        reply: o.reply,
        blocked_by: o.blocked_by.as_ref().map(|b| scenario::ExpectedBlocker {
            firewall: b.middlebox.clone(),
            rule: b.rule,
        }),
        diagnosis: Vec::new(),
        clients: std::collections::BTreeMap::new(),
    }
}

/// How the outcome differs from what the scenario expects (empty: as expected): the run as a
/// whole, and each client the scenario names.
pub fn expectation_mismatches(expect: &Expectation, trace: &Trace) -> Vec<String> {
    let mut m = outcome_mismatches(
        "",
        expect.result,
        expect.failed_action.as_deref(),
        expect.reply,
        &expect.diagnosis,
        &trace.outcome,
    );
    if let Some(b) = &expect.blocked_by {
        let got = trace
            .outcome
            .blocked_by
            .as_ref()
            .map(|x| (x.middlebox.as_str(), x.rule));
        if got != Some((b.firewall.as_str(), b.rule)) {
            m.push(format!(
                "expected to be blocked by {} rule {:?}, got {:?}",
                b.firewall, b.rule, got
            ));
        }
    } else if let Some(x) = &trace.outcome.blocked_by
        && expect.result == Expected::Success
    {
        m.push(format!(
            "expected no blocking rule, got {} rule {:?}",
            x.middlebox, x.rule
        ));
    }
    for (name, want) in &expect.clients {
        match trace.clients.iter().find(|c| &c.name == name) {
            Some(c) => m.extend(outcome_mismatches(
                &format!("{name}: "),
                want.result,
                want.failed_action.as_deref(),
                want.reply,
                &want.diagnosis,
                &c.outcome,
            )),
            None => m.push(format!("no client is called '{name}'")),
        }
    }
    m
}

fn outcome_mismatches(
    who: &str,
    result: Expected,
    failed_action: Option<&str>,
    reply: Option<u16>,
    diagnosis: &[String],
    outcome: &Outcome,
) -> Vec<String> {
    let mut m = Vec::new();
    let words = |ok: bool| if ok { "success" } else { "failure" };
    let want_success = result == Expected::Success;
    if want_success != outcome.success {
        m.push(format!(
            "{who}expected {}, got {}",
            words(want_success),
            words(outcome.success)
        ));
    }
    if let Some(a) = failed_action
        && a.parse::<ftp::ActionKind>().ok() != outcome.failed_action
    {
        m.push(format!(
            "{who}expected '{a}' to fail first, got {:?}",
            outcome.failed_action
        ));
    }
    if let Some(r) = reply
        && outcome.reply != Some(r)
    {
        m.push(format!("{who}expected reply {r}, got {:?}", outcome.reply));
    }
    for d in diagnosis {
        if !outcome.diagnosis.contains(d.as_str()) {
            m.push(format!(
                "{who}expected the diagnosis to say '{d}'; it says: {}",
                outcome.diagnosis
            ));
        }
    }
    m
}
