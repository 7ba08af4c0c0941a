//! pcap export: the packets of a trace as seen at one capture point, with their virtual
//! timestamps, written by the `pcap-file` crate (link type RAW: each record is an IPv4 packet).
//!
//! A capture point is a node. At an end host it sees what the host sent and what was
//! delivered to it; at a firewall or router, every packet that reached it (whatever its fate)
//! and the resets it sent. So a SYN dropped by the client's firewall appears at the firewall
//! and at the server, never at the client. Reads only the trace.

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
pub fn capture_point(trace: &Trace, at: &str) -> Result<usize, PcapError> {
    if let Some(i) = trace.nodes.iter().position(|n| n.name == at) {
        return Ok(i);
    }
    let kind = match at {
        "client" => Some(NodeKind::Client),
        "server" => Some(NodeKind::Server),
        _ => None,
    };
    kind.and_then(|k| trace.nodes.iter().position(|n| n.kind == k))
        .ok_or_else(|| {
            let names: Vec<&str> = trace.nodes.iter().map(|n| n.name.as_str()).collect();
            PcapError::UnknownNode(at.to_owned(), names.join(", "))
        })
}

/// The packets seen at node `at`, in order: (time, packet index).
pub fn seen_at(trace: &Trace, at: usize) -> Vec<(crate::time::Time, usize)> {
    trace
        .events
        .iter()
        .filter(|e| e.node == at)
        .filter_map(|e| match &e.kind {
            EventKind::Packet { packet, fate } => match fate {
                // A middlebox's Forwarded/Dropped/Rejected record the packet's arrival; a Sent
                // at a middlebox is a reset it made itself. At a host: sent or delivered.
                PacketFate::Sent { .. }
                | PacketFate::Delivered
                | PacketFate::Forwarded { .. }
                | PacketFate::Dropped { .. }
                | PacketFate::Rejected { .. }
                | PacketFate::Unroutable => Some((e.time, *packet)),
            },
            _ => None,
        })
        .collect()
}

/// Writes the capture at node `at` to `out`; returns the number of packets written.
pub fn write<W: Write>(trace: &Trace, at: usize, out: W) -> Result<usize, PcapError> {
    let header = PcapHeader {
        datalink: DataLink::RAW,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(out, header)?;
    let seen = seen_at(trace, at);
    for (t, p) in &seen {
        let bytes = &trace.packets[*p].bytes;
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        w.write_packet(&PcapPacket::new(
            Duration::from_micros(t.micros()),
            len,
            bytes,
        ))?;
    }
    Ok(seen.len())
}
