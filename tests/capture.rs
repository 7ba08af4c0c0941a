#![allow(clippy::unwrap_used)]
//! Explaining captures. The round trip: every shipped scenario's capture, exported at the
//! client and at the server, explained, tells the same outcome, failing step and mechanism as
//! the simulator's own diagnosis, for every client the capture shows.

mod common;

use common::*;
use ftp_lab::capture;
use ftp_lab::diagnose::failing_step;
use ftp_lab::export::pcap;
use ftp_lab::trace::{Mechanism, NodeKind, Trace};

fn export(t: &Trace, at: &str) -> Vec<u8> {
    let node = pcap::capture_point(t, at).unwrap();
    let mut buf = Vec::new();
    pcap::write(t, node, &mut buf).unwrap();
    buf
}

fn client_node(t: &Trace, ip: std::net::Ipv4Addr) -> Option<ftp_lab::ids::NodeId> {
    t.nodes
        .iter()
        .position(|n| n.kind == NodeKind::Client && n.address == Some(ip))
        .map(ftp_lab::ids::NodeId::new)
}

#[test]
fn every_shipped_scenario_explains_as_the_simulator_diagnosed_it() {
    let mut checked = 0;
    for (name, s) in shipped() {
        let sim = run(&s);
        for at in ["client", "server"] {
            let x = capture::explain_bytes(&export(&sim, at), &format!("{name}@{at}")).unwrap();
            let cap = &x.trace;
            assert!(!cap.clients.is_empty(), "{name}@{at}: no FTP found");
            for c in &cap.clients {
                let ip = cap.nodes[c.node.index()].address.unwrap();
                // The client as the server saw it may be a NAT's public address.
                let Some(sim_node) = client_node(&sim, ip)
                    .or_else(|| (sim.clients.len() == 1).then(|| sim.clients[0].node))
                else {
                    continue;
                };
                let want = &sim
                    .clients
                    .iter()
                    .find(|r| r.node == sim_node)
                    .unwrap()
                    .outcome;
                let ctx = format!(
                    "{name}@{at} client {ip}: captured says '{}', simulator says '{}'",
                    c.outcome.diagnosis, want.diagnosis
                );
                assert_eq!(c.outcome.success, want.success, "{ctx}");
                assert_eq!(
                    failing_step(cap, c.node),
                    failing_step(&sim, sim_node),
                    "{ctx}: failing step"
                );
                if !want.success {
                    // A NAT with no mapping for a SYN drops it as silently as a firewall's
                    // DROP: from a capture the two cannot be told apart.
                    let sim_said = match want.mechanism.clone() {
                        Some(Mechanism::NoTranslation) => Some(Mechanism::Dropped),
                        m => m,
                    };
                    // At the server, a private 227 and no data SYN is all there is to see:
                    // the words name both ends (a trusting client's unroutable SYN, a modern
                    // client's SYN the NAT did not forward).
                    let either = at == "server"
                        && sim_said == Some(Mechanism::Dropped)
                        && c.outcome.mechanism == Some(Mechanism::Unroutable)
                        && c.outcome
                            .diagnosis
                            .contains("the passive range not forwarded");
                    if !either {
                        assert_eq!(c.outcome.mechanism, sim_said, "{ctx}: mechanism");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 50, "{checked} client explanations checked");
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    /// The shipped active-drop scenario's capture at the server, as pcap bytes.
    fn sample() -> Vec<u8> {
        export(&run(&load("active-client-fw-drops")), "server")
    }

    /// Where each whole frame of a little-endian pcap file ends, walked by hand (16-byte
    /// record headers, the captured length at offset 8).
    fn frame_ends(f: &[u8]) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut at = 24;
        while at + 16 <= f.len() {
            let incl = u32::from_le_bytes(f[at + 8..at + 12].try_into().unwrap()) as usize;
            at += 16 + incl;
            if at > f.len() {
                break;
            }
            ends.push(at);
        }
        ends
    }

    fn real_pcaps() -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real");
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        out.sort();
        assert!(out.len() >= 16);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = capture::explain_bytes(&bytes, "random");
            // Behind a valid pcap header too.
            let mut f = sample()[..24].to_vec();
            f.extend_from_slice(&bytes);
            let _ = capture::explain_bytes(&f, "random-after-header");
        }

        #[test]
        fn mutated_real_captures_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut f = sample();
            for (i, b) in flips {
                let k = 24 + i.index(f.len() - 24);
                f[k] = b;
            }
            let n = cut.index(f.len()) + 1;
            if let Ok(x) = capture::explain_bytes(&f[..n.max(24)], "mutated") {
                // Whatever it made of it is a trace the views can take.
                prop_assert!(x.trace.events.windows(2).all(|w| w[0].time <= w[1].time));
                for e in &x.trace.events {
                    if let ftp_lab::trace::EventKind::Packet { packet, .. } = &e.kind {
                        prop_assert!(packet.index() < x.trace.packets.len());
                    }
                }
            }
        }

        /// A real capture cut off anywhere after its header is read to its last whole frame,
        /// and says it ends early unless the cut falls between frames.
        #[test]
        fn a_capture_cut_anywhere_is_read_to_its_last_whole_frame(
            which in any::<prop::sample::Index>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let files = real_pcaps();
            let f = &files[which.index(files.len())];
            let n = 24 + cut.index(f.len() - 24);
            let ends = frame_ends(f);
            let whole = ends.iter().filter(|&&e| e <= n).count() as u64;
            match capture::explain_bytes(&f[..n], "cut") {
                Ok(x) => {
                    prop_assert_eq!(x.stats.frames, whole);
                    prop_assert_eq!(x.stats.ends_early.is_some(), !ends.contains(&n) && n > 24);
                }
                // Nothing at all to explain is an error, not a trace.
                Err(e) => prop_assert!(whole == 0 || e.contains("FTP"), "{}", e),
            }
        }
    }
    /// Found by an outside attack: a capture cut mid-transfer was told as "the data
    /// connection was never used: the client gave up on it". A session that worked, cut in
    /// the middle of any frame, never gets a failure it did not have.
    #[test]
    fn a_working_session_cut_mid_frame_is_never_said_to_fail() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real");
        for name in [
            "vsftpd-passive-ok.pcap",
            "vsftpd-active-ok.pcap",
            "vsftpd-epsv-ok.pcap",
        ] {
            let f = std::fs::read(dir.join(name)).unwrap();
            let ends = frame_ends(&f);
            let mut starts = vec![24];
            starts.extend(&ends[..ends.len() - 1]);
            for (k, (&a, &b)) in starts.iter().zip(&ends).enumerate() {
                let mid = (a + b) / 2;
                let Ok(x) = capture::explain_bytes(&f[..mid], "cut") else {
                    continue;
                };
                assert!(x.stats.ends_early.is_some(), "{name} cut in frame {k}");
                for c in &x.trace.clients {
                    if let Some(r) = c.actions.iter().find(|r| !r.ok) {
                        panic!(
                            "{name} cut in frame {}: '{}' failed: {}",
                            k + 1,
                            r.action,
                            r.detail
                        );
                    }
                }
                assert!(
                    !x.trace.outcome.diagnosis.contains("gave up")
                        && !x.trace.outcome.diagnosis.contains("never answered"),
                    "{name} frame {k}"
                );
            }
        }
    }
}
