#![allow(clippy::unwrap_used)]
//! Captures written by `ftp-lab run --pcap`, checked by a tool nobody here wrote: tshark.
//!
//! Without tshark these tests are listed as skipped, saying why; under CI (CI=true) a missing
//! tshark fails them (`tests/common/peers.rs`).

mod common;

use common::peers::Bounded;

use common::*;
use ftp_lab::export::pcap;
use ftp_lab::trace::Channel;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmpdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftp-lab-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn capture(t: &ftp_lab::Trace, at: &str, file: &Path) {
    let node = pcap::capture_point(t, at).unwrap();
    let n = pcap::write(t, node, std::fs::File::create(file).unwrap()).unwrap();
    assert!(n > 0);
}

/// One row per frame, the given fields in order.
fn fields(file: &Path, fs: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-r"]).arg(file).args([
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=|",
    ]);
    for f in fs {
        cmd.args(["-e", f]);
    }
    let out = cmd.output_within(120).unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}

fn count(file: &Path, filter: &str) -> usize {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            filter,
        ])
        .output_within(120)
        .unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn every_capture_is_well_formed_with_good_checksums_and_decodes_as_ftp() {
    let dir = tmpdir();
    for (name, s) in shipped() {
        let t = run(&s);
        for at in ["client", "server"] {
            let f = dir.join(format!("{name}-{at}.pcap"));
            capture(&t, at, &f);
            let rows = fields(
                &f,
                &[
                    "frame.number",
                    "ip.checksum.status",
                    "tcp.checksum.status",
                    "ftp.request.command",
                    "ftp.response.code",
                    "icmp.type",
                    "icmp.checksum.status",
                    "ip.src",
                    "ip.ttl",
                    "tcp.flags.reset",
                ],
            );
            let here = pcap::capture_point(&t, at).unwrap();
            assert_eq!(rows.len(), pcap::seen_at(&t, here).len(), "{name}@{at}");
            // TTLs fall hop by hop: what arrives from another host has passed at least one
            // box, and every packet from one host arrives with the same TTL (a forged RST or
            // a box's ICMP aside).
            let own = t.nodes[here.index()].address.unwrap().to_string();
            let mut by_src: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
                Default::default();
            for r in rows
                .iter()
                .filter(|r| r[7] != own && r[5].is_empty() && r[9] != "1" && r[9] != "True")
            {
                by_src
                    .entry(r[7].as_str())
                    .or_default()
                    .insert(r[8].as_str());
            }
            for (src, ttls) in &by_src {
                assert_eq!(ttls.len(), 1, "{name}@{at}: TTLs from {src}: {ttls:?}");
                let ttl: u8 = ttls.iter().next().unwrap().parse().unwrap();
                assert!(
                    ttl < 64,
                    "{name}@{at}: {src} arrives with TTL {ttl}: no hop lowered it"
                );
            }
            for r in &rows {
                if r[5].is_empty() {
                    assert_eq!(
                        (r[1].as_str(), r[2].as_str()),
                        ("1", "1"),
                        "{name}@{at} frame {}: checksum not good",
                        r[0]
                    );
                } else {
                    // An ICMP error: its own checksum, and both IP headers (outer, quoted).
                    assert_eq!(
                        (r[1].as_str(), r[6].as_str()),
                        ("1,1", "1"),
                        "{name}@{at} frame {}: ICMP checksums not good",
                        r[0]
                    );
                }
            }
            assert_eq!(
                count(
                    &f,
                    "_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0"
                ),
                0,
                "{name}@{at}"
            );
            let cmds: Vec<&str> = rows
                .iter()
                .map(|r| r[3].as_str())
                .filter(|c| !c.is_empty())
                .collect();
            let codes: Vec<&str> = rows
                .iter()
                .map(|r| r[4].as_str())
                .filter(|c| !c.is_empty())
                .collect();
            assert!(
                cmds.contains(&"USER") && cmds.contains(&"PASS"),
                "{name}@{at}: {cmds:?}"
            );
            assert!(
                codes.contains(&"220") && codes.contains(&"230"),
                "{name}@{at}: {codes:?}"
            );
        }
    }
}

fn announced_ports_decoded_by_tshark_equal_the_trace() {
    let dir = tmpdir();
    for (name, s) in shipped() {
        let t = run(&s);
        let f = dir.join(format!("{name}-ports.pcap"));
        capture(&t, "client", &f);
        let rows = fields(
            &f,
            &[
                "ftp.active.port",
                "ftp.passive.port",
                "ftp.eprt.port",
                "ftp.epsv.port",
            ],
        );
        let tshark_ports: Vec<u16> = rows
            .iter()
            .flat_map(|r| r.iter())
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().unwrap())
            .collect();
        let trace_ports: Vec<u16> = t
            .packets
            .iter()
            .filter(|p| {
                pcap::seen_at(&t, pcap::capture_point(&t, "client").unwrap())
                    .iter()
                    .any(|(_, i, _)| *i == p.id)
            })
            .filter_map(|p| p.ftp_text.as_deref())
            .filter_map(|x| {
                if let Some(a) = x.strip_prefix("PORT ") {
                    ftp_lab::ftp::decode_host_port(a).ok().map(|a| a.port())
                } else if x.starts_with("227") {
                    ftp_lab::ftp::scan_227(x).ok().map(|a| a.port())
                } else if let Some(a) = x.strip_prefix("EPRT ") {
                    ftp_lab::ftp::announce::parse_eprt(a)
                        .ok()
                        .map(|(a, _)| a.port())
                } else if x.starts_with("229") {
                    ftp_lab::ftp::announce::scan_229(x).ok().map(|(p, _)| p)
                } else {
                    None
                }
            })
            .collect();
        assert!(!trace_ports.is_empty(), "{name}");
        assert_eq!(tshark_ports, trace_ports, "{name}");
    }
}

fn drops_show_syn_retransmissions_and_open_runs_show_no_warnings() {
    let dir = tmpdir();
    for (name, s) in shipped() {
        let t = run(&s);
        let syns = data_syn_times(&t).len();
        let data = t.connections.iter().find(|c| c.channel == Channel::Data);
        let f = dir.join(format!("{name}-analysis.pcap"));
        // Capture on the side that sends the data SYN, where every retry is seen.
        let sender = match data.and_then(|c| c.mode) {
            Some(ftp_lab::ftp::Mode::Active) => "server",
            _ => "client",
        };
        capture(&t, sender, &f);
        let retrans = count(&f, "tcp.analysis.retransmission");
        if s.expect.result == ftp_lab::Expected::Success {
            assert_eq!(
                count(&f, "_ws.expert.severity >= warning"),
                0,
                "{name}: tshark warns about an open run"
            );
            assert_eq!(retrans, 0, "{name}");
        } else if t
            .outcome
            .blocked_by
            .as_ref()
            .is_some_and(|b| b.action == ftp_lab::firewall::Action::Drop)
        {
            assert_eq!(retrans, syns - 1, "{name}: {syns} SYNs in the trace");
            // vsftpd retries for 60 s (5 retries), pyftpdlib for 30 s (4).
            assert!(retrans >= 4, "{name}");
        }
    }
}

fn the_passive_success_capture_shows_the_whole_session() {
    let t = run(&load("passive-open"));
    let f = tmpdir().join("passive-open-whole.pcap");
    capture(&t, "client", &f);
    let rows = fields(
        &f,
        &[
            "ftp.request.command",
            "ftp.response.code",
            "ftp.passive.port",
            "tcp.dstport",
            "tcp.flags.syn",
            "tcp.flags.ack",
            "ftp-data.setup-frame",
            "tcp.len",
        ],
    );
    let seq: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            if !r[0].is_empty() {
                Some(r[0].clone())
            } else if !r[1].is_empty() {
                Some(r[1].clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        seq,
        [
            "220", "USER", "331", "PASS", "230", "PASV", "227", "LIST", "150", "226", "QUIT", "221"
        ]
    );
    let announced: u16 = rows.iter().find(|r| !r[2].is_empty()).unwrap()[2]
        .parse()
        .unwrap();
    let syn_to = rows
        .iter()
        .find(|r| r[4] == "1" && r[5] == "0" && r[3] != "21")
        .unwrap();
    assert_eq!(
        syn_to[3].parse::<u16>().unwrap(),
        announced,
        "the data SYN goes to the 227 port"
    );
    let data: Vec<&Vec<String>> = rows.iter().filter(|r| !r[6].is_empty()).collect();
    assert!(!data.is_empty(), "no ftp-data frames");
    let bytes: usize = data
        .iter()
        .map(|r| r[7].parse::<usize>().unwrap_or(0))
        .sum();
    assert!(bytes > 0, "the listing bytes are in the capture");
}

fn a_dropped_packet_appears_only_where_it_was_seen() {
    let t = run(&load("active-client-fw-drops"));
    let client = pcap::seen_at(&t, pcap::capture_point(&t, "client").unwrap());
    let fw = pcap::seen_at(&t, pcap::capture_point(&t, "client-fw").unwrap());
    let server = pcap::seen_at(&t, pcap::capture_point(&t, "server").unwrap());
    let syn20 = |v: &[(ftp_lab::time::Time, ftp_lab::ids::PacketId, u8)]| {
        v.iter()
            .filter(|(_, p, _)| t.packets[*p].src.port() == 20 && t.packets[*p].flags.syn)
            .count()
    };
    assert_eq!((syn20(&server), syn20(&fw), syn20(&client)), (10, 10, 0));
    assert!(pcap::capture_point(&t, "nowhere").is_err());
}

/// Each reject variant: one SYN, one answer (a RST or an ICMP destination unreachable with the
/// right code, quoting the SYN's ports), decoded by tshark with good checksums.
fn reject_answers_decode_in_tshark_with_the_quoted_ports() {
    let dir = tmpdir();
    for (name, filter) in [
        ("active-client-fw-rejects", "tcp.flags.reset == 1"),
        (
            "active-client-fw-rejects-icmp",
            "icmp.type == 3 && icmp.code == 3",
        ),
        (
            "active-client-fw-admin-prohibited",
            "icmp.type == 3 && icmp.code == 13",
        ),
    ] {
        let t = run(&load(name));
        let f = dir.join(format!("{name}-reject.pcap"));
        capture(&t, "server", &f);
        let data = t
            .connections
            .iter()
            .find(|c| c.channel == Channel::Data)
            .unwrap();
        let answers = count(&f, filter);
        assert_eq!(answers, 1, "{name}: one answer to the one SYN");
        assert_eq!(
            count(
                &f,
                // Not the SYN an ICMP error quotes whole, as Linux's does.
                "!icmp && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.port == 20"
            ),
            1,
            "{name}: no SYN retry"
        );
        if filter.starts_with("icmp") {
            let rows = fields(&f, &["icmp.checksum.status", "tcp.srcport", "tcp.dstport"]);
            let icmp: Vec<_> = rows.iter().filter(|r| !r[0].is_empty()).collect();
            assert_eq!(icmp.len(), 1);
            assert_eq!(icmp[0][0], "1", "{name}: ICMP checksum");
            assert_eq!(
                (icmp[0][1].as_str(), icmp[0][2].as_str()),
                (
                    data.initiator.port().to_string().as_str(),
                    data.responder.port().to_string().as_str()
                ),
                "{name}: the quoted ports are the SYN's"
            );
        }
    }
}

/// Routers show themselves, as on the Linux of the measurements (tests/data/real): every box on
/// the way lowers the TTL (the client's packets reach the server with 64 − 3), a rejecting
/// firewall's ICMP comes from its own address with TTL 64 less the hops after it, and a forged
/// RST carries the firewall's TTL, not the peer's. Read by tshark, checksums checked.
fn routers_lower_the_ttl_and_answer_from_their_own_address() {
    let dir = tmpdir();
    let t = run(&load("active-client-fw-rejects-icmp"));
    let f = dir.join("ttl-icmp-server.pcap");
    capture(&t, "server", &f);
    let rows = fields(&f, &["ip.src", "ip.ttl", "icmp.type", "ip.checksum.status"]);
    assert!(
        rows.iter().all(|r| r[3].split(',').all(|c| c == "1")),
        "IP checksums (1: good): {rows:?}"
    );
    let from_client: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "198.51.100.7")
        .map(|r| r[1].as_str())
        .collect();
    assert!(
        !from_client.is_empty() && from_client.iter().all(|t| *t == "61"),
        "client-fw, internet, server-fw: {from_client:?}"
    );
    let icmp: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "3").collect();
    assert_eq!(icmp.len(), 1, "{rows:?}");
    // The quoted SYN follows (its TTL as client-fw forwarded it: 64 − 3).
    assert_eq!(
        (icmp[0][0].as_str(), icmp[0][1].as_str()),
        ("198.51.100.1,203.0.113.10", "62,61"),
        "the ICMP from client-fw's own address, two routers after it"
    );
    let f = dir.join("ttl-icmp-client.pcap");
    capture(&t, "client", &f);
    let rows = fields(&f, &["ip.src", "ip.ttl"]);
    assert!(
        rows.iter()
            .filter(|r| r[0] == "203.0.113.10")
            .all(|r| r[1] == "61"),
        "{rows:?}"
    );
    let t = run(&load("active-client-fw-rejects"));
    let f = dir.join("ttl-rst-server.pcap");
    capture(&t, "server", &f);
    let rows = fields(&f, &["ip.src", "ip.ttl", "tcp.flags.reset", "ip.id"]);
    let rst: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[2] == "1" || r[2] == "True")
        .collect();
    assert_eq!(rst.len(), 1, "{rows:?}");
    assert_eq!(
        (rst[0][0].as_str(), rst[0][1].as_str(), rst[0][3].as_str()),
        ("198.51.100.7", "62", "0x0000"),
        "forged with the client's address, client-fw's TTL and IP ID 0 (nf_reject)"
    );
}

fn main() -> std::process::ExitCode {
    use common::peers::Peer;
    common::peers::main(tests![
        needs [Peer::Tshark] => every_capture_is_well_formed_with_good_checksums_and_decodes_as_ftp, announced_ports_decoded_by_tshark_equal_the_trace, drops_show_syn_retransmissions_and_open_runs_show_no_warnings, the_passive_success_capture_shows_the_whole_session, reject_answers_decode_in_tshark_with_the_quoted_ports, routers_lower_the_ttl_and_answer_from_their_own_address;
        needs [] => a_dropped_packet_appears_only_where_it_was_seen;
    ])
}
