#![allow(clippy::unwrap_used)]
//! The shipped scenarios, run as a student would: each reaches the outcome it expects, for the
//! reason the lesson gives.

mod common;

use common::*;
use ftp_lab::expectation_mismatches;
use ftp_lab::firewall::{Action, CtState};
use ftp_lab::ftp::Mode;
use ftp_lab::trace::{Channel, EventKind, PacketFate, Step};

#[test]
fn every_shipped_scenario_reaches_its_expected_outcome() {
    let all = shipped();
    assert!(all.len() >= 10, "only {} scenarios shipped", all.len());
    for (name, s) in all {
        let t = run(&s);
        let m = expectation_mismatches(&s.expect, &t);
        assert!(m.is_empty(), "{name}: {m:?}\n{}", t.outcome.diagnosis);
    }
}

/// What "Save as" writes as a file's expectation is met by that file's own run, for every
/// shipped lesson (and it is as strict as the lesson's own on what it names).
#[test]
fn the_expectation_a_run_meets_is_met_by_that_run() {
    for (name, s) in shipped() {
        let t = run(&s);
        let e = ftp_lab::expectation_of(&t);
        let m = expectation_mismatches(&e, &t);
        assert!(m.is_empty(), "{name}: {m:?}");
        assert_eq!(e.failed_action.is_some(), !t.outcome.success, "{name}");
        assert_eq!(
            e.result == ftp_lab::Expected::Success,
            t.outcome.success,
            "{name}"
        );
        if let Some(b) = &s.expect.blocked_by {
            assert_eq!(e.blocked_by.as_ref(), Some(b), "{name}");
        }
    }
}

#[test]
fn every_scenario_runs_twice_to_an_identical_trace() {
    for (name, s) in shipped() {
        let (a, b) = (run(&s), run(&s));
        assert_eq!(a.digest(), b.digest(), "{name}");
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_different_seed_changes_ports_but_not_outcomes() {
    for (name, s) in shipped() {
        let a = run(&s);
        let mut s2 = s.clone();
        s2.seed = s.seed.wrapping_add(1000);
        let b = run(&s2);
        assert_ne!(a.digest(), b.digest(), "{name}: the seed changed nothing");
        let ports = |t: &ftp_lab::Trace| {
            t.connections
                .iter()
                .map(|c| (c.initiator.port(), c.responder.port()))
                .collect::<Vec<_>>()
        };
        assert_ne!(
            ports(&a),
            ports(&b),
            "{name}: same ephemeral ports under another seed"
        );
        assert_eq!(a.outcome.success, b.outcome.success, "{name}");
        assert_eq!(a.outcome.failed_action, b.outcome.failed_action, "{name}");
        assert_eq!(a.outcome.blocked_by, b.outcome.blocked_by, "{name}");
    }
}

#[test]
fn active_mode_fails_when_client_firewall_drops_inbound() {
    let t = run(&load("active-client-fw-drops"));
    assert!(!t.outcome.success);
    assert_eq!(t.outcome.failed_action, Some(ftp_lab::ftp::ActionKind::Ls));
    assert_eq!(t.outcome.reply, Some(425));
    let b = t.outcome.blocked_by.clone().expect("a blocking rule");
    assert_eq!(
        (b.middlebox.as_str(), b.rule, b.action),
        ("client-fw", Some(2), Action::Drop)
    );
    assert!(
        t.outcome
            .diagnosis
            .contains("dropped the server's connection from port 20"),
        "{}",
        t.outcome.diagnosis
    );
    // Login worked.
    assert!(
        t.actions()
            .any(|a| a.action == ftp_lab::ftp::ActionKind::Login && a.ok)
    );
    // The server's SYN was retransmitted with RFC 6298 back-off (1 s, doubling) …
    let syns = data_syn_times(&t);
    let first = syns[0];
    let gaps: Vec<i64> = syns
        .iter()
        .map(|x| ((x - first) * 1000.0).round() as i64)
        .collect();
    assert_eq!(
        gaps,
        [0, 1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000]
    );
    // … until vsftpd's 60 s connect timeout gave 425.
    let r425 = ftp_line_time(&t, "425").expect("425 reached the client");
    let list = ftp_line_time(&t, "LIST").expect("LIST sent");
    assert!(
        (60.0..61.0).contains(&(r425 - list)),
        "425 after {} s",
        r425 - list
    );
    // Every SYN was dropped by rule 2, seeing state NEW.
    let drops: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                fate: PacketFate::Dropped { verdict },
                ..
            } => Some(verdict.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(drops.len(), 10);
    assert!(
        drops
            .iter()
            .all(|v| v.rule() == Some(2) && v.state == CtState::New)
    );
    // The drops are step 3 of active mode.
    assert!(
        t.events
            .iter()
            .filter(|e| matches!(
                &e.kind,
                EventKind::Packet {
                    fate: PacketFate::Dropped { .. },
                    ..
                }
            ))
            .all(|e| e.step
                == Some(Step {
                    mode: Mode::Active,
                    n: 3
                }))
    );
}

#[test]
fn reject_makes_the_failure_immediate() {
    let t = run(&load("active-client-fw-rejects"));
    assert_eq!(t.outcome.reply, Some(425));
    assert_eq!(data_syn_times(&t).len(), 1, "one SYN, answered by an RST");
    let r425 = ftp_line_time(&t, "425").unwrap();
    let list = ftp_line_time(&t, "LIST").unwrap();
    assert!(r425 - list < 0.2, "425 after {} s", r425 - list);
    let rejected = t.events.iter().find_map(|e| match &e.kind {
        EventKind::Packet {
            fate: PacketFate::Rejected { reply: rst, .. },
            ..
        } => Some(*rst),
        _ => None,
    });
    let rst = &t.packets[rejected.expect("a rejected packet")];
    assert!(rst.flags.rst);
    assert!(t.events.iter().any(|e| matches!(&e.kind, EventKind::Packet { packet, fate: PacketFate::Delivered } if *packet == rst.id)), "the RST reached the server");
}

#[test]
fn server_firewall_blocking_port_20_breaks_active_but_not_a_server_using_2020() {
    let t = run(&load("active-server-fw-blocks-port-20"));
    let b = t.outcome.blocked_by.clone().unwrap();
    assert_eq!((b.middlebox.as_str(), b.rule), ("server-fw", Some(2)));
    let t = run(&load("active-high-data-port"));
    assert!(t.outcome.success, "{}", t.outcome.diagnosis);
    let data = t
        .connections
        .iter()
        .find(|c| c.channel == Channel::Data)
        .unwrap();
    assert_eq!(data.initiator.port(), 2020);
    assert_eq!(data.mode, Some(Mode::Active));
}

#[test]
fn passive_works_and_its_227_announces_the_port_the_client_connects_to() {
    let t = run(&load("passive-open"));
    assert!(t.outcome.success);
    let reply = t.events.iter().find_map(|e| match &e.kind {
        EventKind::FtpReply {
            code: 227,
            text,
            sent: false,
        } => Some((text.clone(), e.step)),
        _ => None,
    });
    let (text, step) = reply.expect("a 227 reached the client");
    assert_eq!(
        step,
        Some(Step {
            mode: Mode::Passive,
            n: 2
        })
    );
    let announced = ftp_lab::ftp::scan_227(&text).unwrap();
    let data = t
        .connections
        .iter()
        .find(|c| c.channel == Channel::Data)
        .unwrap();
    assert_eq!(data.responder, announced);
    assert_eq!(data.mode, Some(Mode::Passive));
    assert!((1024..=65535).contains(&announced.port()));
    // The server never used port 20.
    assert!(
        t.packets
            .iter()
            .all(|p| p.src.port() != 20 && p.dst.port() != 20)
    );
}

#[test]
fn passive_fails_when_the_server_firewall_blocks_its_range_and_list_is_never_sent() {
    let t = run(&load("passive-server-fw-blocks-range"));
    let b = t.outcome.blocked_by.clone().unwrap();
    assert_eq!((b.middlebox.as_str(), b.rule), ("server-fw", Some(3)));
    assert!(ftp_line_time(&t, "LIST").is_none());
    let syns = data_syn_times(&t);
    let span = syns.last().unwrap() - syns[0];
    assert!(
        (66.0..68.0).contains(&span),
        "the client's SYNs spanned {span} s"
    );
    assert!(t.events.iter().any(|e| matches!(&e.kind, EventKind::Console { line, .. } if line.starts_with("ftp: connect: Connection timed out"))));
}

#[test]
fn opening_exactly_the_configured_range_is_enough() {
    let ok = run(&load("passive-range-opened"));
    assert!(ok.outcome.success);
    let port = ok
        .connections
        .iter()
        .find(|c| c.channel == Channel::Data)
        .unwrap()
        .responder
        .port();
    assert!((10001..=10005).contains(&port));
    let bad = run(&load("passive-range-mismatch"));
    let b = bad.outcome.blocked_by.clone().unwrap();
    assert_eq!(
        (b.middlebox.as_str(), b.rule, b.action),
        ("server-fw", None, Action::Drop)
    );
}

#[test]
fn stateful_client_firewall_passes_passive_but_blocks_active() {
    let active = run(&load("active-client-fw-drops"));
    let passive = run(&load("passive-stateful-client-fw"));
    assert!(!active.outcome.success);
    assert!(passive.outcome.success);
    // In passive mode every inbound packet at the client's firewall is a reply: rule 1.
    let fw = passive
        .firewalls
        .iter()
        .find(|f| f.name == "client-fw")
        .unwrap();
    assert_eq!(fw.hits[1], 0, "rule 2 (drop inbound new) never matched");
    assert!(fw.hits[0] > 0);
}

#[test]
fn the_ftp_helper_makes_the_active_data_connection_related() {
    let t = run(&load("active-client-fw-ftp-helper"));
    assert!(t.outcome.success, "{}", t.outcome.diagnosis);
    let related: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                packet,
                fate:
                    PacketFate::Forwarded {
                        verdict: Some(v), ..
                    },
            } if v.state == CtState::Related => Some((*packet, v.rule())),
            _ => None,
        })
        .collect();
    assert_eq!(related.len(), 1, "exactly the data SYN is related");
    let p = &t.packets[related[0].0];
    assert!(p.flags.syn && !p.flags.ack && p.src.port() == 20);
    assert_eq!(related[0].1, Some(1));
}

#[test]
fn port_arithmetic_matches_the_data_connection() {
    let t = run(&load("active-open"));
    let ports: Vec<_> = t
        .packets
        .iter()
        .filter_map(|p| p.ftp_text.as_deref())
        .filter_map(|x| x.strip_prefix("PORT "))
        .map(|a| ftp_lab::ftp::decode_host_port(a).unwrap())
        .collect();
    let data: Vec<_> = t
        .connections
        .iter()
        .filter(|c| c.channel == Channel::Data)
        .map(|c| c.responder)
        .collect();
    assert_eq!(ports.len(), 2);
    assert_eq!(ports, data);
}

#[test]
fn all_four_steps_are_tagged_in_order_in_both_modes() {
    for (name, mode) in [
        ("active-open", Mode::Active),
        ("passive-open", Mode::Passive),
    ] {
        let t = run(&load(name));
        let steps: Vec<u8> = t
            .events
            .iter()
            .filter_map(|e| e.step)
            .filter(|s| s.mode == mode)
            .map(|s| s.n)
            .collect();
        let first = |n: u8| {
            steps
                .iter()
                .position(|&x| x == n)
                .unwrap_or_else(|| panic!("{name}: no step {n}"))
        };
        assert!(
            first(1) < first(2) && first(2) < first(3) && first(3) < first(4),
            "{name}: {steps:?}"
        );
    }
}

#[test]
fn every_packet_is_real_ipv4_tcp_with_valid_checksums() {
    for (name, s) in shipped() {
        let t = run(&s);
        assert!(!t.packets.is_empty());
        for p in &t.packets {
            assert!(
                ftp_lab::net::checksums_ok(&p.bytes),
                "{name}: packet {} has a bad checksum",
                p.id
            );
        }
    }
}

#[test]
fn the_trace_is_plain_data_that_round_trips_through_json() {
    let t = run(&load("active-client-fw-drops"));
    let json = serde_json::to_string(&t).unwrap();
    let back: ftp_lab::Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
}
