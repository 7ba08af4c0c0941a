#![allow(clippy::unwrap_used)]
//! The largest scenarios `check` accepts run within the bound the README gives: under 5 s
//! and 500 MB (release build; a debug build gets 60 s). Seen in the second attack: a 456 KB
//! file inside every limit (1,997 clients × 10 actions) ran 27–45 s and took 0.7 GB.

mod common;

use ftp_lab::Scenario;
use ftp_lab::scenario::limits;
use std::time::{Duration, Instant};

/// This binary's own allocations: what a run takes at its peak.
#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

const MEMORY: usize = 500 * 1024 * 1024;

fn time_bound() -> Duration {
    Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 5 })
}

#[test]
fn the_largest_scenarios_check_accepts_run_within_the_readme_bound() {
    for mode in ["Passive", "Active"] {
        let text = common::at_the_limits(mode);
        assert!(text.len() <= limits::FILE_BYTES, "{} bytes", text.len());
        let s = Scenario::parse(&text, "limits.ron").unwrap_or_else(|e| panic!("{e:?}"));
        let base = ALLOC.current_usage();
        ALLOC.reset_peak_usage();
        let start = Instant::now();
        let t = ftp_lab::simulate(&s).unwrap();
        let took = start.elapsed();
        let peak = ALLOC.peak_usage().saturating_sub(base);
        // The cap is checked between steps, and the clients' endings are recorded after it.
        assert!(
            t.events.len() <= limits::EVENTS + 10_000,
            "{} events",
            t.events.len()
        );
        assert!(took < time_bound(), "{mode}: {took:?}");
        assert!(peak < MEMORY, "{mode}: {} MB", peak / (1024 * 1024));
        eprintln!(
            "{mode}: {} events, {took:?}, {} MB",
            t.events.len(),
            peak / (1024 * 1024)
        );
    }
}
