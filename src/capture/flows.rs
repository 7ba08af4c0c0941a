//! Step 1 of explaining a capture: each IPv4 packet is decoded (even when the capture cut it
//! short), filed under its TCP flow, and each flow is told FTP control or not by its first
//! bytes. Only a control connection's payload is kept: a data connection keeps its headers,
//! so a large transfer does not fill the memory.

use super::{Key, canon, read};
use crate::ids::{JourneyId, PacketId};
use crate::trace::Packet;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlowKind {
    Unknown,
    Control,
    Other,
}

#[derive(Debug)]
pub(super) struct Flow {
    pub kind: FlowKind,
    /// The first payload bytes, while the kind is undecided (at most 512).
    head: Vec<u8>,
    /// The side that sent the first SYN.
    pub initiator: Option<SocketAddrV4>,
    /// Initial sequence number of each side (from its SYN), by sender.
    pub isn: BTreeMap<SocketAddrV4, u32>,
    pub packets: Vec<usize>,
    pub synack: bool,
    /// A RST or ICMP error that refused the connection before any SYN-ACK.
    pub refused_by: Option<usize>,
}

/// When a packet was captured, and where its payload is (the packet itself is in `pkts`, at
/// the same index: the two are kept apart so the packets can become the trace's in place).
pub(super) struct Cap {
    pub t: u64,
    /// Bytes of TCP payload present in the capture (the packet may be cut short).
    pub present: usize,
    /// Offset of the TCP payload in the packet's bytes.
    pub payload_at: usize,
}

#[derive(Default)]
pub(super) struct Builder {
    pub caps: Vec<Cap>,
    pub pkts: Vec<Packet>,
    pub flows: BTreeMap<Key, Flow>,
    pub icmp: Vec<usize>,
    pub not_ftp: u64,
    pub truncated: u64,
    pub bad: u64,
}

/// The commands of RFC 959, 2228, 2389, 2428 and 3659 (a data connection's text rarely
/// starts with one of these followed by a space).
const VERBS: &[&[u8]] = &[
    b"USER", b"PASS", b"ACCT", b"CWD", b"CDUP", b"SMNT", b"QUIT", b"REIN", b"PORT", b"PASV",
    b"TYPE", b"STRU", b"MODE", b"RETR", b"STOR", b"STOU", b"APPE", b"ALLO", b"REST", b"RNFR",
    b"RNTO", b"ABOR", b"DELE", b"RMD", b"MKD", b"PWD", b"LIST", b"NLST", b"SITE", b"SYST", b"STAT",
    b"HELP", b"NOOP", b"FEAT", b"OPTS", b"AUTH", b"PBSZ", b"PROT", b"CCC", b"EPRT", b"EPSV",
    b"SIZE", b"MDTM", b"MLSD", b"MLST", b"LANG", b"XPWD", b"XCWD", b"XMKD", b"XRMD",
];

/// What the first bytes of a flow say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Start {
    /// A reply (`220 `, `331-`) or a command (`USER x`, `PASV`): maybe FTP's control
    /// connection (the conversation decides, once it is read: `assemble`).
    Text,
    /// Anything else: a data connection, or another protocol.
    Other,
    /// Too little yet (`22` of a greeting sent in two segments).
    Undecided,
}

/// How the first line of a flow starts. The text after a reply's code may hold any byte but
/// NUL (a hostile server's ESC or BEL is still a reply, escaped when shown).
pub(super) fn start_of(head: &[u8]) -> Start {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let whole = line.len() < head.len();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > 512 || line.contains(&0) {
        return Start::Other;
    }
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 || line.first().is_some_and(u8::is_ascii_digit) {
        let reply = (b'1'..=b'5').contains(&line[0]) && digits <= 3;
        return match (reply, line.get(3)) {
            (true, Some(b' ' | b'-')) if digits == 3 => Start::Text,
            (true, None) if !whole => Start::Undecided,
            _ => Start::Other,
        };
    }
    let word = line.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let verb = line[..word].to_ascii_uppercase();
    let complete = word < line.len() || whole;
    if complete {
        let ok = (3..=4).contains(&word)
            && (line.len() == word || line[word] == b' ')
            && VERBS.contains(&verb.as_slice());
        return if ok { Start::Text } else { Start::Other };
    }
    // A verb still being typed: "US" of "USER".
    if word == line.len() && VERBS.iter().any(|v| v.starts_with(&verb)) {
        Start::Undecided
    } else {
        Start::Other
    }
}

/// Decodes a captured IPv4 packet (TCP or ICMP), even when the capture cut it short:
/// (packet, payload bytes present, where the payload starts, cut short).
pub(super) fn decode(bytes: &[u8]) -> Option<(Packet, usize, usize, bool)> {
    if let Ok(p) = crate::net::decode(bytes, false) {
        let at = bytes.len() - p.payload_len;
        let present = p.payload_len;
        return Some((p, present, at, false));
    }
    decode_cut(bytes)
}

/// A packet whose IPv4 header says more than was captured: the TCP header read by hand
/// within what is there.
fn decode_cut(bytes: &[u8]) -> Option<(Packet, usize, usize, bool)> {
    if bytes.len() < 20 || bytes[0] >> 4 != 4 || bytes[9] != 6 {
        return None;
    }
    let ihl = usize::from(bytes[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let tcp = bytes.get(ihl..)?;
    if ihl < 20 || tcp.len() < 20 || total < ihl + 20 {
        return None;
    }
    let doff = usize::from(tcp[12] >> 4) * 4;
    if doff < 20 || tcp.len() < doff {
        return None;
    }
    let be16 = |i: usize| u16::from_be_bytes([tcp[i], tcp[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([tcp[i], tcp[i + 1], tcp[i + 2], tcp[i + 3]]);
    let ip = |i: usize| Ipv4Addr::new(bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]);
    let flags = tcp[13];
    let payload_len = total.saturating_sub(ihl + doff);
    let present = tcp.len() - doff;
    let p = Packet {
        id: PacketId(0),
        journey: JourneyId(0),
        prev: None,
        changes: Vec::new(),
        bytes: bytes.to_vec(),
        src: SocketAddrV4::new(ip(12), be16(0)),
        dst: SocketAddrV4::new(ip(16), be16(2)),
        flags: crate::trace::Flags {
            fin: flags & 0x01 != 0,
            syn: flags & 0x02 != 0,
            rst: flags & 0x04 != 0,
            psh: flags & 0x08 != 0,
            ack: flags & 0x10 != 0,
        },
        seq: be32(4),
        ack: be32(8),
        window: be16(14),
        payload_len,
        ttl: bytes[8],
        ip_checksum: u16::from_be_bytes([bytes[10], bytes[11]]),
        tcp_checksum: be16(16),
        ftp_text: None,
        icmp: None,
        frame: None,
    };
    Some((p, present.min(payload_len), ihl + doff, true))
}

impl Builder {
    /// One captured frame.
    pub fn frame(&mut self, f: read::Frame) {
        let Some((mut p, present, payload_at, cut)) = decode(&f.ip) else {
            self.not_ftp += 1;
            return;
        };
        p.frame = Some(f.number);
        if cut {
            self.truncated += 1;
        } else if !crate::net::checksums_ok(&p.bytes) {
            self.bad += 1;
        }
        if p.icmp.is_some() {
            self.icmp_frame(p, f.time_us);
        } else {
            self.tcp_frame(p, f.time_us, present, payload_at);
        }
    }

    /// An ICMP error: it refuses the flow it quotes, if that flow had no SYN-ACK yet.
    fn icmp_frame(&mut self, p: Packet, t: u64) {
        let idx = self.caps.len();
        let Some(i) = &p.icmp else { return };
        let Some((a, b)) = i.quoted else {
            self.not_ftp += 1;
            return;
        };
        if let Some(flow) = self.flows.get_mut(&canon(a, b))
            && !flow.synack
            && flow.refused_by.is_none()
            && i.kind == 3
        {
            flow.refused_by = Some(idx);
        }
        self.icmp.push(idx);
        self.caps.push(Cap {
            t,
            present: 0,
            payload_at: 0,
        });
        self.pkts.push(p);
    }

    fn tcp_frame(&mut self, mut p: Packet, t: u64, present: usize, payload_at: usize) {
        let idx = self.caps.len();
        let flow = self
            .flows
            .entry(canon(p.src, p.dst))
            .or_insert_with(|| Flow {
                kind: FlowKind::Unknown,
                head: Vec::new(),
                initiator: None,
                isn: BTreeMap::new(),
                packets: Vec::new(),
                synack: false,
                refused_by: None,
            });
        if p.flags.syn {
            flow.isn.entry(p.src).or_insert(p.seq);
            if p.flags.ack {
                flow.synack = true;
            } else if flow.initiator.is_none() {
                flow.initiator = Some(p.src);
            }
        }
        if p.flags.rst && !flow.synack && flow.refused_by.is_none() && flow.initiator == Some(p.dst)
        {
            flow.refused_by = Some(idx);
        }
        if present > 0 && flow.kind == FlowKind::Unknown {
            let payload = &p.bytes[payload_at..payload_at + present];
            flow.head
                .extend_from_slice(&payload[..payload.len().min(513 - flow.head.len().min(513))]);
            flow.kind = match start_of(&flow.head) {
                Start::Text => FlowKind::Control,
                Start::Other => FlowKind::Other,
                Start::Undecided => FlowKind::Unknown,
            };
            if flow.kind != FlowKind::Unknown {
                flow.head = Vec::new();
            }
        }
        if flow.kind == FlowKind::Other {
            // Only the headers of a data connection are kept.
            p.bytes.truncate(payload_at);
            p.bytes.shrink_to_fit();
        }
        flow.packets.push(idx);
        let kept = if flow.kind == FlowKind::Other {
            0
        } else {
            present
        };
        self.caps.push(Cap {
            t,
            present: kept,
            payload_at,
        });
        self.pkts.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ftp_text_is_told_from_data() {
        let ftp = |b: &[u8]| start_of(b) == Start::Text;
        assert!(ftp(b"220 (vsFTPd 3.0.3)\r\n"));
        assert!(ftp(b"220-Welcome\r\n"));
        assert!(ftp(b"USER anonymous\r\n"));
        assert!(ftp(b"PASV\r\n"));
        // A hostile banner is still a reply.
        assert!(ftp(b"220 \x1b[2J\x1b]0;pwned\x07FTP\r\n"));
        assert!(!ftp(b"-rw-r--r--    1 ftp ftp 6 Jan 01 00:00 a.txt\r\n"));
        assert!(!ftp(b"drwxr-xr-x    2 ftp ftp 6 Jan 01 00:00 pub\r\n"));
        assert!(!ftp(b"Welcome to FTP Lab.\n"));
        assert!(!ftp(&[0x16, 0x03, 0x01, 0x02]));
        // A listing of names is data, not commands.
        assert!(!ftp(b"pub\r\nreadme.txt\r\n"));
        assert!(!ftp(b"999 nothing\r\n"));
        // A greeting in two segments: the first is not enough to tell.
        assert_eq!(start_of(b"22"), Start::Undecided);
        assert_eq!(start_of(b"US"), Start::Undecided);
        assert_eq!(start_of(b"220 Welcome\r\n"), Start::Text);
        assert_eq!(start_of(b""), Start::Undecided);
    }
}
