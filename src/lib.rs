//! FTP Lab: a deterministic simulator that teaches FTP's active and passive modes and why
//! firewalls break them.
//!
//! A `Scenario` (RON, see `scenarios/`) describes hosts, firewalls, links and what the user
//! types; `simulate` runs it on real TCP (smoltcp, driven by virtual time) and the sans-IO FTP
//! state machines, and returns a `Trace`: every packet, every firewall decision, every FTP
//! line, tagged with the step of the four-step handshake it belongs to. Views read only the
//! trace.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod export;
pub mod firewall;
pub mod ftp;
pub mod gui;
pub mod host;
pub mod live;
pub mod net;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod trace;

pub use scenario::{Expectation, Expected, Scenario, ScenarioError, ScenarioErrors};
pub use sim::simulate;
pub use trace::{Outcome, Trace};

/// How the outcome differs from what the scenario expects (empty: as expected).
pub fn expectation_mismatches(expect: &Expectation, outcome: &Outcome) -> Vec<String> {
    let mut m = Vec::new();
    let want_success = expect.result == Expected::Success;
    if want_success != outcome.success {
        m.push(format!(
            "expected {}, got {}",
            if want_success { "success" } else { "failure" },
            if outcome.success {
                "success"
            } else {
                "failure"
            }
        ));
    }
    if let Some(a) = &expect.failed_action
        && outcome.failed_action.as_deref() != Some(a.as_str())
    {
        m.push(format!(
            "expected '{a}' to fail first, got {:?}",
            outcome.failed_action
        ));
    }
    if let Some(r) = expect.reply
        && outcome.reply != Some(r)
    {
        m.push(format!("expected reply {r}, got {:?}", outcome.reply));
    }
    if let Some(b) = &expect.blocked_by {
        let got = outcome
            .blocked_by
            .as_ref()
            .map(|x| (x.firewall.as_str(), x.rule));
        if got != Some((b.firewall.as_str(), b.rule)) {
            m.push(format!(
                "expected to be blocked by {} rule {:?}, got {:?}",
                b.firewall, b.rule, got
            ));
        }
    } else if let Some(x) = &outcome.blocked_by
        && want_success
    {
        m.push(format!(
            "expected no blocking rule, got {} rule {:?}",
            x.firewall, x.rule
        ));
    }
    m
}
