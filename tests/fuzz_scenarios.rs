#![allow(clippy::unwrap_used)]
//! A property test that mutates every shipped scenario the way a fuzzer (or a student with a
//! text editor) would, and asserts what `check` and `run` promise, each of which can fail:
//! - `check` never panics (nor overflows the stack: that would abort this test), and stays
//!   bounded in time and in memory (a counting allocator measures what it takes);
//! - every file `check` accepts runs to an outcome (the simulator takes the resolved network and
//!   has no error to return: it must come to an outcome for every client), in bounded time;
//! - the same file gives the same trace twice.
//!
//! It runs 64 cases in `cargo test`; `FTP_LAB_FUZZ_CASES=5000 cargo test --release --test
//! fuzz_scenarios` runs longer.

mod common;

use ftp_lab::Scenario;
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Counts the bytes the process has in use, and their peak (this binary runs one test, so the
/// counts are its).
#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// The most the process had in use while `f` ran, above what it had before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let r = f();
    (r, ALLOC.peak_usage().saturating_sub(base))
}

/// What `check` may take for a file of at most 1 MiB.
const CHECK_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug)]
enum Mutation {
    FlipByte(usize, u8),
    Truncate(usize),
    DeleteLine(usize),
    DuplicateLine(usize),
    Number(usize, &'static str),
    NestedComment(usize, usize),
    RawString(usize, usize),
    LongString(usize, usize),
    Unicode(usize, char),
}

const NUMBERS: [&str; 8] = [
    "18446744073709551615",
    "18446744073710",
    "-1",
    "1e308",
    "99999999999999999999999",
    "0",
    "65536",
    "NaN",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), 0..NUMBERS.len()).prop_map(|(i, k)| Mutation::Number(i, NUMBERS[k])),
        (any::<usize>(), 1..200usize).prop_map(|(i, d)| Mutation::NestedComment(i, d)),
        (any::<usize>(), 0..4usize).prop_map(|(i, h)| Mutation::RawString(i, h)),
        (any::<usize>(), 1..200_000usize).prop_map(|(i, n)| Mutation::LongString(i, n)),
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Mutation::Unicode(i, c)),
    ]
}

/// The byte offset of the `i`th char boundary (mod the length).
fn at(text: &str, i: usize) -> usize {
    let n = text.len().max(1);
    let mut k = i % n;
    while !text.is_char_boundary(k) {
        k -= 1;
    }
    k
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    match *m {
        Mutation::FlipByte(i, b) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let k = i % bytes.len();
                bytes[k] ^= b;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Truncate(i) => text[..at(text, i)].to_owned(),
        Mutation::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(i % lines.len());
            lines.join("\n")
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let l = lines[i % lines.len()];
            lines.insert(i % lines.len(), l);
            lines.join("\n")
        }
        Mutation::Number(i, n) => {
            // Replace the next number at or after the position.
            let k = at(text, i);
            match text[k..].find(|c: char| c.is_ascii_digit()) {
                Some(d) => {
                    let s = k + d;
                    let e = s + text[s..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
                    format!("{}{n}{}", &text[..s], &text[e..])
                }
                None => text.to_owned(),
            }
        }
        Mutation::NestedComment(i, depth) => {
            let k = at(text, i);
            let c = "/* ".repeat(depth) + &" */".repeat(depth);
            format!("{}{c}{}", &text[..k], &text[k..])
        }
        Mutation::RawString(i, hashes) => {
            let k = at(text, i);
            let h = "#".repeat(hashes);
            format!("{}r{h}\"(( [ {{ /* \"{h}{}", &text[..k], &text[k..])
        }
        Mutation::LongString(i, n) => {
            let k = at(text, i);
            format!(
                "{}\"{}\"{}",
                &text[..k],
                "ab\\n".repeat(n / 4 + 1),
                &text[k..]
            )
        }
        Mutation::Unicode(i, c) => {
            let k = at(text, i);
            format!("{}{c}{}", &text[..k], &text[k..])
        }
        _ => text.to_owned(),
    }
}

fn cases() -> u32 {
    std::env::var("FTP_LAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn shipped_texts() -> Vec<String> {
    common::shipped()
        .into_iter()
        .map(|(name, _)| std::fs::read_to_string(common::scenario_path(&name)).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_check_bounded_and_run_to_an_outcome_the_same_each_time(
        which in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let texts = shipped_texts();
        let mut text = texts[which % texts.len()].clone();
        for m in &muts {
            text = apply(&text, m);
        }
        let start = Instant::now();
        let parsed = within(Duration::from_secs(5), {
            let text = text.clone();
            move || peak_of(|| Scenario::parse(&text, "fuzz.ron"))
        });
        prop_assert!(parsed.is_some(), "check took over 5 s");
        let (checked, bytes) = parsed.unwrap();
        let check_time = start.elapsed();
        prop_assert!(check_time < Duration::from_secs(5), "check took {check_time:?}");
        prop_assert!(bytes < CHECK_BYTES, "check took {bytes} bytes for a {}-byte file", text.len());
        let s = match checked {
            Ok(s) => s,
            Err(e) => {
                // Every problem names the file and a place.
                prop_assert!(e.0.iter().all(|p| p.to_string().starts_with("fuzz.ron:")));
                return Ok(());
            }
        };
        // `parse` has validated it, so it resolves.
        let net = s.resolve().unwrap();
        // A run that hangs fails here after 20 s instead of hanging the test.
        let t = within(Duration::from_secs(20), {
            let net = net.clone();
            move || ftp_lab::sim::run(&net)
        });
        prop_assert!(t.is_some(), "the run took over 20 s");
        let t = t.unwrap();
        prop_assert!(
            !t.events.iter().any(|e| matches!(&e.kind, ftp_lab::trace::EventKind::Note { note: ftp_lab::trace::Note::Internal { .. } })),
            "an internal error in the trace"
        );
        prop_assert!(!t.outcome.diagnosis.is_empty(), "no outcome");
        prop_assert!(
            t.clients.iter().all(|c| !c.outcome.diagnosis.is_empty() && c.actions.len() == client_actions(&s, &c.name)),
            "a client has no outcome, or not every action was reported"
        );
        let again = ftp_lab::sim::run(&net);
        prop_assert_eq!(t.digest(), again.digest(), "the same file gave another trace");
    }
}

/// `f`'s result if it returns within `limit`; `None` if it does not (its thread is left to end
/// on its own: the test has failed by then).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).ok()
}

/// How many actions the scenario gives the client called `name`.
fn client_actions(s: &Scenario, name: &str) -> usize {
    s.nodes
        .iter()
        .find_map(|n| match n {
            ftp_lab::scenario::NodeSpec::Client(c) if c.name == name => Some(c.actions.len()),
            _ => None,
        })
        .unwrap_or(0)
}
