#![allow(clippy::unwrap_used)]
//! What every shipped lesson shows is pinned: a hash of its `run` transcript (plain and
//! verbose) and of its capture at the client and at the server. A refactoring must leave every
//! pin as it is; a commit that changes what a lesson shows on purpose (a bug fixed, a behaviour
//! made truer) updates `tests/data/pins.txt` and says which lessons changed and why.
//!
//! To see what changed: `FTP_LAB_PINS=write cargo test --test pinned`, then `git diff`.

mod common;

use ftp_lab::export::{pcap, transcript};
use std::fmt::Write as _;

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn pins() -> String {
    let mut out = String::from(
        "# scenario  transcript  verbose-transcript  pcap-at-client  pcap-at-server (FNV-1a 64)\n",
    );
    for (name, s) in common::shipped() {
        let t = common::run(&s);
        let plain = transcript::render(&t, transcript::Options { verbose: false });
        let verbose = transcript::render(&t, transcript::Options { verbose: true });
        let mut caps = Vec::new();
        for at in ["client", "server"] {
            let node = pcap::capture_point(&t, at).unwrap();
            let mut bytes = Vec::new();
            pcap::write(&t, node, &mut bytes).unwrap();
            caps.push(fnv(&bytes));
        }
        let _ = writeln!(
            out,
            "{name} {:016x} {:016x} {:016x} {:016x}",
            fnv(plain.as_bytes()),
            fnv(verbose.as_bytes()),
            caps[0],
            caps[1]
        );
    }
    out
}

#[test]
fn every_shipped_lesson_shows_what_it_showed() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pins.txt");
    let now = pins();
    if std::env::var("FTP_LAB_PINS").as_deref() == Ok("write") {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    let differ: Vec<String> = now
        .lines()
        .zip(pinned.lines().chain(std::iter::repeat("")))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("now:    {a}\npinned: {b}"))
        .collect();
    assert!(
        differ.is_empty() && now.lines().count() == pinned.lines().count(),
        "what these lessons show changed (FTP_LAB_PINS=write to accept, and say why in the commit):\n{}",
        differ.join("\n")
    );
}
