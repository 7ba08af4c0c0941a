#![allow(clippy::unwrap_used)]
//! NAT and its FTP ALG, checked where it can go wrong: a rewrite that changes the length of a
//! control segment must keep both TCP streams valid (every byte accepted, the file intact,
//! and tshark seeing no lost segment or retransmission on either side), and the captures on
//! each side must show the address as it was there.

mod common;

use common::peers::Bounded;

use common::*;
use ftp_lab::export::pcap;
use ftp_lab::trace::{Channel, EventKind, PacketFate};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
        ])
        .args(args)
        .output_within(120)
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn capture(t: &ftp_lab::Trace, at: &str, tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftp-lab-nat-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join(format!("{tag}-{at}.pcap"));
    let node = pcap::capture_point(t, at).unwrap();
    pcap::write(t, node, std::fs::File::create(&f).unwrap()).unwrap();
    f
}

fn the_alg_rewrite_keeps_both_tcp_streams_valid_and_the_file_intact() {
    for (name, field, inside, outside) in [
        (
            "nat-client-active-alg",
            "ftp.active.cip",
            "10.0.0.5",
            "198.51.100.2",
        ),
        (
            "nat-server-passive-alg",
            "ftp.passive.ip",
            "10.0.0.5",
            "203.0.113.10",
        ),
    ] {
        let t = run(&load(name));
        let get = t
            .actions()
            .find(|a| a.action == ftp_lab::ftp::ActionKind::Get("readme.txt".into()))
            .unwrap();
        assert!(get.ok, "{name}: {}", get.detail);
        assert_eq!(get.bytes, "Welcome to FTP Lab.\n".len() as u64, "{name}");
        // The rewrite changed the length: later segments were shifted.
        let shifted = t
            .packets
            .iter()
            .any(|p| p.changes.iter().any(|c| c.what.starts_with("TCP sequence")));
        assert!(shifted, "{name}: no sequence shift recorded");
        for p in &t.packets {
            assert!(
                ftp_lab::net::checksums_ok(&p.bytes),
                "{name}: packet {}",
                p.id
            );
        }
        // The capture inside the NAT (at the host behind it) and outside (at the other end).
        let (in_at, out_at) = if name.contains("client") {
            ("client", "server")
        } else {
            ("server", "client")
        };
        for (at, want) in [(in_at, inside), (out_at, outside)] {
            let f = capture(&t, at, name);
            let bad = tshark(
                &f,
                &[
                    "-Y",
                    "_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.retransmission",
                ],
            );
            assert!(bad.is_empty(), "{name}@{at}:\n{bad}");
            let seen = tshark(&f, &["-T", "fields", "-e", field]);
            let ips: Vec<&str> = seen.lines().filter(|l| !l.is_empty()).collect();
            assert!(!ips.is_empty(), "{name}@{at}: no {field}");
            assert!(
                ips.iter().all(|ip| *ip == want),
                "{name}@{at}: {field} {ips:?}"
            );
        }
    }
}

fn a_translated_packet_is_one_journey_labelled_as_it_is_on_each_side() {
    let t = run(&load("nat-client-active-alg"));
    // The PORT as the client sent it and as the server got it.
    let port = t
        .packets
        .iter()
        .find(|p| {
            p.ftp_text
                .as_deref()
                .is_some_and(|x| x.starts_with("PORT 10,0,0,5"))
        })
        .unwrap();
    let out = t
        .packets
        .iter()
        .find(|p| p.prev == Some(port.id))
        .expect("a rewritten version");
    assert_eq!(out.journey, port.journey);
    assert!(
        out.ftp_text
            .as_deref()
            .unwrap()
            .starts_with("PORT 198,51,100,2,")
    );
    // The data SYN: from the server to the public address, then to the client.
    let data = t
        .connections
        .iter()
        .find(|c| c.channel == Channel::Data)
        .unwrap();
    assert_eq!(data.responder.ip().to_string(), "198.51.100.2");
    assert!(
        data.translated
            .iter()
            .any(|(_, r)| r.ip().to_string() == "10.0.0.5")
    );
    assert_eq!(
        data.announced.as_ref().unwrap().kind,
        ftp_lab::ftp::announce::Kind::Port
    );
    let delivered_to_client = t.events.iter().any(|e| {
        t.node_name(e.node) == "client"
            && matches!(&e.kind, EventKind::Packet { packet, fate: PacketFate::Delivered }
                if t.packets[*packet].flags.syn && t.packets[*packet].dst.ip().to_string() == "10.0.0.5")
    });
    assert!(delivered_to_client);
}

fn a_private_227_sends_the_client_nowhere_and_says_why() {
    let t = run(&load("nat-server-passive-private"));
    assert_eq!(
        t.outcome.mechanism,
        Some(ftp_lab::trace::Mechanism::Unroutable)
    );
    let nowhere = t
        .events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::Packet {
                    fate: PacketFate::Unroutable { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        nowhere, 11,
        "the first SYN and 10 retries, as Linux 6.5+ sends"
    );
    assert!(t.outcome.diagnosis.contains("pasv_address"));
}

fn two_clients_behind_one_nat_get_two_distinct_data_mappings() {
    let t = run(&load("nat-two-clients-active-alg"));
    assert!(t.clients.iter().all(|c| c.outcome.success));
    let nat = &t.nats[0];
    let data: Vec<_> = nat
        .mappings
        .iter()
        .filter(|m| m.how.contains("ALG"))
        .collect();
    assert_eq!(data.len(), 2);
    assert_eq!(
        data[0].inside.port(),
        data[1].inside.port(),
        "both asked for 50000"
    );
    assert_ne!(data[0].outside.port(), data[1].outside.port());
}

/// Seen in `run`'s text: the two clients' terminals were one list, each line twice in a row.
fn each_client_has_its_own_terminal_in_the_text_report() {
    let t = run(&load("nat-two-clients-active-alg"));
    let text = ftp_lab::export::transcript::render(&t, Default::default());
    let alice = text.find("\nalice's terminal:").expect("alice's terminal");
    let bob = text.find("\nbob's terminal:").expect("bob's terminal");
    assert!(alice < bob);
    let section = &text[alice..bob];
    assert_eq!(
        section.matches("ftp> open 203.0.113.10").count(),
        1,
        "{section}"
    );
    assert_eq!(
        section.matches("226 Directory send OK.").count(),
        1,
        "{section}"
    );
    assert!(!text.contains("The user's terminal"));
}

fn when_the_passive_range_is_used_up_vsftpd_ends_the_sixth_session() {
    let t = run(&load("passive-range-used-up"));
    let failed: Vec<&str> = t
        .clients
        .iter()
        .filter(|c| !c.outcome.success)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed.len(), 1);
    let c = t.clients.iter().find(|c| !c.outcome.success).unwrap();
    assert_eq!(c.outcome.reply, Some(500));
    assert_eq!(
        c.outcome.mechanism,
        Some(ftp_lab::trace::Mechanism::PassiveRangeExhausted)
    );
    let _ = failed;
}

/// Linux's `nf_nat_ftp` renumbers an announced port only when another *pending*
/// expectation holds it (`nf_ct_expect_related` returns -EBUSY only then; a finished data
/// connection's conntrack does not count). The server behind the NAT announces port 10004
/// twice (ls, then get): both 227s keep 10004 as they leave (the second became 10005), and
/// the second data connection reaches the server, not the first one's old mapping.
fn a_second_227_keeps_its_port_through_the_alg() {
    let t = run(&load("nat-server-passive-alg"));
    assert!(t.outcome.success, "{}", t.outcome.diagnosis);
    let seen: Vec<String> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FtpReply {
                code: 227,
                text,
                sent: false,
            } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|x| x.contains("(203,0,113,10,39,20)")),
        "the client was told {seen:?}"
    );
}

/// After a 227 naming the server's private address, each client connects where its own code
/// sends it (curl's `CURLOPT_FTP_SKIP_PASV_IP`, ftplib's `trust_server_pasv_ipv4_address`,
/// FileZilla's fallback for an unroutable reply); the classic ftp trusts the 227. With the
/// passive range forwarded the modern clients succeed and the classic one cannot.
fn each_client_goes_where_its_code_sends_it_after_a_private_227() {
    use ftp_lab::scenario::{ClientProfile, DataCommands, NodeSpec};
    let cases = [
        (ClientProfile::Classic, "10.0.0.5", false, None),
        (
            ClientProfile::Curl,
            "203.0.113.10",
            true,
            Some("* Skip 10.0.0.5 for data connection, reuse 203.0.113.10 instead"),
        ),
        (ClientProfile::Ftplib, "203.0.113.10", true, None),
        (
            ClientProfile::FileZilla,
            "203.0.113.10",
            true,
            Some(
                "Status: Server sent passive reply with unroutable address. Using server address instead.",
            ),
        ),
    ];
    for (profile, to, works, says) in cases {
        let mut s = load("nat-server-passive-private");
        for n in &mut s.nodes {
            if let NodeSpec::Client(c) = n {
                c.profile = profile;
                // PASV for every client, so that each one reads a 227 (curl would try EPSV).
                c.commands = Some(DataCommands::Classic);
            }
        }
        let t = run(&s);
        let syn_to: Vec<String> = t
            .packets
            .iter()
            .filter(|p| p.flags.syn && !p.flags.ack && p.dst.port() != 21)
            // As the client sent it (the NAT's rewritten version goes to 10.0.0.5).
            .filter(|p| p.prev.is_none())
            .map(|p| p.dst.ip().to_string())
            .collect();
        assert!(
            !syn_to.is_empty() && syn_to.iter().all(|a| a == to),
            "{profile:?}: data SYNs to {syn_to:?}, not {to}"
        );
        assert_eq!(
            t.outcome.success, works,
            "{profile:?}: {}",
            t.outcome.diagnosis
        );
        let lines = console(&t);
        if let Some(line) = says {
            assert!(lines.iter().any(|l| l == line), "{profile:?}: {lines:?}");
        }
    }
}

/// A router with no route can answer, as Linux routers do: ICMP net unreachable from its own
/// address, and the trusting client's connect fails at once with ENETUNREACH instead of
/// retrying for 131 s (the default, a silent drop, is the Internet's bogon filtering).
fn a_router_with_no_route_can_answer_net_unreachable() {
    use ftp_lab::scenario::{NoRoute, NodeSpec};
    let mut s = load("nat-server-passive-private");
    for n in &mut s.nodes {
        if let NodeSpec::Router(r) = n {
            r.address = Some("192.0.2.1".into());
            r.no_route = NoRoute::NetUnreachable;
        }
    }
    let t = run(&s);
    let icmp = t
        .packets
        .iter()
        .find(|p| p.icmp.as_ref().is_some_and(|i| i.kind == 3 && i.code == 0))
        .expect("an ICMP net unreachable");
    assert_eq!(icmp.src.ip().to_string(), "192.0.2.1");
    assert_eq!(icmp.dst.ip().to_string(), "198.51.100.7");
    let lines = console(&t);
    assert!(
        lines
            .iter()
            .any(|l| l == "ftp: connect: Network is unreachable"),
        "{lines:?}"
    );
    // The note says Linux's errno for it (it said EHOSTUNREACH).
    let notes: Vec<String> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { note } => Some(note.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("ENETUNREACH"))
            && !notes.iter().any(|n| n.contains("EHOSTUNREACH")),
        "{notes:?}"
    );
    // And explain, reading the client's capture, names the message as it is.
    let at = ftp_lab::export::pcap::capture_point(&t, "client").unwrap();
    let mut pcap = Vec::new();
    ftp_lab::export::pcap::write(&t, at, &mut pcap).unwrap();
    let x = ftp_lab::capture::explain_bytes(&pcap, "nunr.pcap").unwrap();
    let words = ftp_lab::export::transcript::render(
        &x.trace,
        ftp_lab::export::transcript::Options { verbose: false },
    );
    assert!(!words.contains("admin-prohibited"), "{words}");
    assert!(words.contains("ENETUNREACH"), "{words}");
    let syns = t
        .packets
        .iter()
        .filter(|p| p.flags.syn && p.dst.ip().to_string() == "10.0.0.5" && p.prev.is_none())
        .count();
    assert_eq!(syns, 1, "no retry after the ICMP");
    assert!(!t.outcome.success);
    // Without an address it cannot say where the error comes from: the file is refused.
    let mut bad = load("nat-server-passive-private");
    for n in &mut bad.nodes {
        if let NodeSpec::Router(r) = n {
            r.no_route = NoRoute::NetUnreachable;
        }
    }
    let problems = bad.check();
    assert!(
        problems
            .iter()
            .any(|(f, m)| f.ends_with(".address") && m.contains("its own address")),
        "{problems:?}"
    );
}

/// A NAT translates an ICMP error about a connection it maps, as Linux's does: the server's
/// firewall rejects the client's passive data SYN, its port unreachable reaches the NAT's
/// public address and goes on to the client inside, quoting the client's own address and port
/// (every checksum good), and the connect fails at once. Before, the NAT dropped it as "no
/// translation" and the client waited 131 s.
fn an_icmp_error_about_a_mapped_connection_is_translated_to_the_inside_host() {
    let text = std::fs::read_to_string(scenario_path("nat-client-passive")).unwrap();
    let text = text
        .replace(
            r#"        Server("#,
            r#"        Firewall(
            name: "server-fw",
            protects: "server",
            default_policy: Accept,
            rules: [(action: Reject, direction: Inbound, protocol: Tcp, dst_port: Range(10001, 10005), state: [New])],
        ),
        Server(
            passive_range: (10001, 10005),"#,
        )
        .replace(
            r#"(a: "internet", b: "server", delay_ms: 10)"#,
            r#"(a: "internet", b: "server-fw", delay_ms: 10), (a: "server-fw", b: "server", delay_ms: 1)"#,
        )
        .replace("expect: (result: Success)", "expect: (result: Failure)");
    let s = ftp_lab::Scenario::parse(&text, "nat-icmp.ron").unwrap();
    let t = run(&s);
    let delivered: Vec<&ftp_lab::trace::Packet> = t
        .events
        .iter()
        .filter(|e| t.node_name(e.node) == "client")
        .filter_map(|e| match &e.kind {
            EventKind::Packet {
                packet,
                fate: PacketFate::Delivered,
            } if t.packets[*packet].icmp.is_some() => Some(&t.packets[*packet]),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1, "the ICMP reaches the client");
    let icmp = delivered[0];
    assert_eq!(icmp.dst.ip().to_string(), "10.0.0.5");
    let (ours, _) = icmp.icmp.as_ref().unwrap().quoted.unwrap();
    assert_eq!(
        ours.ip().to_string(),
        "10.0.0.5",
        "the quoted SYN as the client sent it"
    );
    let b = &icmp.bytes;
    assert_eq!(
        ftp_lab::net::internet_checksum(&b[..20]),
        0,
        "outer IP checksum"
    );
    assert_eq!(
        ftp_lab::net::internet_checksum(&b[20..]),
        0,
        "ICMP checksum"
    );
    assert_eq!(
        ftp_lab::net::internet_checksum(&b[28..48]),
        0,
        "quoted IP checksum"
    );
    assert!(!t.outcome.success);
    let gave_up = t
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Console { line, .. } if line.contains("Connection refused") => {
                Some(e.time.secs_f64())
            }
            _ => None,
        })
        .expect("the connect refused");
    assert!(gave_up < 2.0, "at once, not after 131 s: {gave_up}");
}

fn main() -> std::process::ExitCode {
    use common::peers::Peer;
    common::peers::main(tests![
        needs [Peer::Tshark] => the_alg_rewrite_keeps_both_tcp_streams_valid_and_the_file_intact;
        needs [] => a_translated_packet_is_one_journey_labelled_as_it_is_on_each_side, a_private_227_sends_the_client_nowhere_and_says_why, two_clients_behind_one_nat_get_two_distinct_data_mappings, each_client_has_its_own_terminal_in_the_text_report, when_the_passive_range_is_used_up_vsftpd_ends_the_sixth_session, a_second_227_keeps_its_port_through_the_alg, each_client_goes_where_its_code_sends_it_after_a_private_227, a_router_with_no_route_can_answer_net_unreachable, an_icmp_error_about_a_mapped_connection_is_translated_to_the_inside_host;
    ])
}
