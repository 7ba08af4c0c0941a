//! pcap export: the packets of a trace as seen at one capture point, with their virtual
//! timestamps, written by the `pcap-file` crate (link type RAW: each record is an IPv4 packet).
//!
//! A capture point is a node. At an end host it sees what the host sent and what was
//! delivered to it; at a middlebox, every packet that reached it (whatever its fate), the
//! packet as it left when the middlebox rewrote it (a NAT: like `tcpdump -i any` on the
//! router, both sides), and the resets it sent. So a SYN dropped by the client's firewall
//! appears at the firewall and at the server, never at the client, and a PORT rewritten by a
//! NAT has its private address in the client's capture and its public one in the server's.
//! Each packet carries the TTL it had there: every router, firewall and NAT on the way lowered
//! it by one. Reads only the trace.

use crate::ids::{NodeId, PacketId};
use crate::trace::{EventKind, NodeKind, PacketFate, Trace};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use std::io::Write;
use std::time::Duration;

/// Why a capture could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("no node is called '{0}' (capture points: {1})")]
    UnknownNode(String, String),
    #[error("writing the capture: {0}")]
    Write(#[from] pcap_file::PcapError),
}

/// The node index for a capture point name: a node's name, or `client` / `server` for the
/// first node of that kind.
pub fn capture_point(trace: &Trace, at: &str) -> Result<NodeId, PcapError> {
    if let Some(i) = trace.nodes.iter().position(|n| n.name == at) {
        return Ok(NodeId::new(i));
    }
    let kind = match at {
        "client" => Some(NodeKind::Client),
        "server" => Some(NodeKind::Server),
        _ => None,
    };
    kind.and_then(|k| trace.nodes.iter().position(|n| n.kind == k))
        .map(NodeId::new)
        .ok_or_else(|| {
            let names: Vec<&str> = trace.nodes.iter().map(|n| n.name.as_str()).collect();
            PcapError::UnknownNode(at.to_owned(), names.join(", "))
        })
}

/// The packets seen at node `at`, in order: (time, packet version, its TTL there).
pub fn seen_at(trace: &Trace, at: NodeId) -> Vec<(crate::time::Time, PacketId, u8)> {
    let ttls = trace.seen_ttls();
    let mut out = Vec::new();
    for (i, e) in trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.node == at)
    {
        let EventKind::Packet { packet, fate } = &e.kind else {
            continue;
        };
        // Every packet event at a node is a packet seen there (a middlebox's events record
        // the packet as it arrived; a Sent at a middlebox is a reply it made itself).
        out.push((e.time, *packet, ttls[i]));
        if let PacketFate::Forwarded {
            rewritten: Some(q), ..
        } = fate
        {
            // As it left: the box lowered the TTL before it rewrote it.
            out.push((e.time, *q, trace.packets[*q].ttl));
        }
    }
    out
}

/// Writes the capture at node `at` to `out`; returns the number of packets written.
pub fn write<W: Write>(trace: &Trace, at: NodeId, out: W) -> Result<usize, PcapError> {
    let header = PcapHeader {
        datalink: DataLink::RAW,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(out, header)?;
    let seen = seen_at(trace, at);
    for (t, p, ttl) in &seen {
        let mut bytes = trace.packets[*p].bytes.clone();
        if bytes.get(8) != Some(ttl) {
            crate::net::set_ttl(&mut bytes, *ttl);
        }
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        w.write_packet(&PcapPacket::new(
            Duration::from_micros(t.micros()),
            len,
            &bytes,
        ))?;
    }
    Ok(seen.len())
}
