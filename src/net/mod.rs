//! Packets as real IPv4/TCP (and ICMP) bytes: decoding them for the trace, and building what a
//! rejecting firewall sends (a TCP RST or an ICMP destination unreachable).
//!
//! The bytes come from smoltcp's own encoder, checksums included; this module only reads them
//! with smoltcp's wire types (`smoltcp::wire`), and writes one kind of packet itself: a TCP
//! reset as RFC 793 §3.4 ("Reset Generation") specifies, with both checksums filled in.

use crate::ids::{JourneyId, PacketId};
use crate::trace::{Flags, Packet};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Why bytes are not an IPv4/TCP packet we can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a readable IPv4/TCP packet: {0}")]
pub struct DecodeError(pub &'static str);

/// The TCP payload of an IPv4/TCP packet (checked views: never out of bounds).
pub fn tcp_payload(bytes: &[u8]) -> Option<&[u8]> {
    let ip = Ipv4Packet::new_checked(bytes).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let payload_start = bytes.len() - ip.payload().len();
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    let data_start = payload_start + usize::from(tcp.header_len());
    bytes.get(data_start..)
}

/// A TCP segment from `src` to `dst` (for tests and tools): valid checksums, no options.
pub fn segment(
    src: SocketAddrV4,
    dst: SocketAddrV4,
    flags: Flags,
    seq: u32,
    ack: u32,
    payload: &[u8],
) -> Vec<u8> {
    let control = if flags.syn {
        TcpControl::Syn
    } else if flags.fin {
        TcpControl::Fin
    } else if flags.rst {
        TcpControl::Rst
    } else if flags.psh {
        TcpControl::Psh
    } else {
        TcpControl::None
    };
    let tcp = TcpRepr {
        src_port: src.port(),
        dst_port: dst.port(),
        control,
        seq_number: TcpSeqNumber(seq as i32),
        ack_number: flags.ack.then_some(TcpSeqNumber(ack as i32)),
        window_len: 64240,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None, None, None],
        timestamp: None,
        payload,
    };
    emit(*src.ip(), *dst.ip(), &tcp)
}

/// The internet checksum (RFC 1071) of `data`.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Most bytes of the offending datagram an ICMP error quotes: Linux returns "as much as we can
/// without exceeding 576 bytes" (`__icmp_send`: 576 − 20 − 8).
pub const ICMP_QUOTE_MAX: usize = 548;

/// The ICMP destination unreachable (type 3, `code`) that answers `p` (what iptables'
/// `REJECT --reject-with icmp-…` sends), sent by the box at `from`.
pub fn build_icmp_unreachable(p: &Packet, code: u8, from: Ipv4Addr) -> Vec<u8> {
    build_icmp_error(p, 3, code, from)
}

/// The ICMP error (`kind`, `code`) that answers `p`, as Linux sends it: from the sending box's
/// own address `from` to `p`'s source, quoting `p` from its IP header on, up to 548 bytes
/// (a SYN whole), TTL 64, precedence "internetwork control", both checksums filled in.
pub fn build_icmp_error(p: &Packet, kind: u8, code: u8, from: Ipv4Addr) -> Vec<u8> {
    let quoted = &p.bytes[..p.bytes.len().min(ICMP_QUOTE_MAX)];
    let mut icmp = vec![kind, code, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(quoted);
    let c = internet_checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let total = 20 + icmp.len();
    let mut ip = vec![0u8; 20];
    ip[0] = 0x45;
    ip[1] = 0xc0; // Linux sends ICMP errors with precedence "internetwork control".
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 1;
    ip[12..16].copy_from_slice(&from.octets());
    ip[16..20].copy_from_slice(&p.src.ip().octets());
    let c = internet_checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&icmp);
    ip
}

/// What a NAT changes in an ICMP error about a connection it maps: the outer addresses, and
/// the quoted datagram's endpoints (`None`: left as they are).
#[derive(Clone, Copy, Debug, Default)]
pub struct IcmpRewrite {
    pub outer_src: Option<Ipv4Addr>,
    pub outer_dst: Option<Ipv4Addr>,
    pub inner_src: Option<SocketAddrV4>,
    pub inner_dst: Option<SocketAddrV4>,
}

/// RFC 1624's incremental checksum update for 16-bit words `old` → `new` (same length, even).
fn csum_update(hc: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut sum = u32::from(!hc);
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        sum += u32::from(!u16::from_be_bytes([o[0], o[1]]));
        sum += u32::from(u16::from_be_bytes([n[0], n[1]]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Replaces `at..at + new.len()` of `b` with `new`, updating the 16-bit checksum at `csum`
/// (when it lies within `b`) incrementally.
fn patch(b: &mut [u8], at: usize, new: &[u8], csum: Option<usize>) {
    let old = b[at..at + new.len()].to_vec();
    if let Some(c) = csum.filter(|c| c + 2 <= b.len()) {
        let hc = u16::from_be_bytes([b[c], b[c + 1]]);
        let v = csum_update(hc, &old, new);
        b[c..c + 2].copy_from_slice(&v.to_be_bytes());
    }
    b[at..at + new.len()].copy_from_slice(new);
}

/// An ICMP error rewritten as Linux's NAT rewrites one about a connection it maps
/// (`nf_nat_icmp_reply_translation`): the outer addresses, the quoted datagram's addresses
/// and ports, and every checksum (the outer IP header's, the quoted IP header's, the quoted
/// TCP checksum when it is quoted, the ICMP message's). `None` when the bytes are not an ICMP
/// error quoting an IPv4 TCP header.
pub fn rewrite_icmp_error(bytes: &[u8], r: &IcmpRewrite) -> Option<Vec<u8>> {
    let mut b = bytes.to_vec();
    let ihl = usize::from(*b.first()? & 0x0f) * 4;
    let inner = ihl + 8;
    let iihl = usize::from(*b.get(inner)? & 0x0f) * 4;
    if ihl < 20 || iihl < 20 || b.len() < inner + iihl + 4 || b[9] != 1 || b[inner + 9] != 6 {
        return None;
    }
    if let Some(a) = r.outer_src {
        b[12..16].copy_from_slice(&a.octets());
    }
    if let Some(a) = r.outer_dst {
        b[16..20].copy_from_slice(&a.octets());
    }
    let tcp_csum = Some(inner + iihl + 16);
    for (ep, at, port_at) in [(r.inner_src, 12, 0), (r.inner_dst, 16, 2)] {
        if let Some(e) = ep {
            patch(&mut b, inner + at, &e.ip().octets(), tcp_csum);
            patch(
                &mut b,
                inner + iihl + port_at,
                &e.port().to_be_bytes(),
                tcp_csum,
            );
        }
    }
    b[inner + 10] = 0;
    b[inner + 11] = 0;
    let c = internet_checksum(&b[inner..inner + iihl]);
    b[inner + 10..inner + 12].copy_from_slice(&c.to_be_bytes());
    b[ihl + 2] = 0;
    b[ihl + 3] = 0;
    let c = internet_checksum(&b[ihl..]);
    b[ihl + 2..ihl + 4].copy_from_slice(&c.to_be_bytes());
    b[10] = 0;
    b[11] = 0;
    let c = internet_checksum(&b[..ihl]);
    b[10..12].copy_from_slice(&c.to_be_bytes());
    Some(b)
}

/// Sets an IPv4 packet's TTL and its header checksum again (what a router does when it lowers
/// the TTL); a buffer too short for a header is left alone.
pub fn set_ttl(bytes: &mut [u8], ttl: u8) {
    let Some(ihl) = bytes.first().map(|b| usize::from(b & 0x0f) * 4) else {
        return;
    };
    if ihl < 20 || bytes.len() < ihl {
        return;
    }
    bytes[8] = ttl;
    bytes[10] = 0;
    bytes[11] = 0;
    let c = internet_checksum(&bytes[..ihl]);
    bytes[10..12].copy_from_slice(&c.to_be_bytes());
}

/// Reads an ICMP message: type, code, and for an error the quoted TCP segment's endpoints.
fn decode_icmp(ip: &Ipv4Packet<&[u8]>, bytes: &[u8]) -> Result<Packet, DecodeError> {
    let body = ip.payload();
    if body.len() < 8 {
        return Err(DecodeError("ICMP header"));
    }
    let (kind, code) = (body[0], body[1]);
    // The quoted datagram is cut after 8 bytes of its payload, so its own length field
    // promises more than is there: read the header fields by hand, within what is quoted.
    let quoted = if matches!(kind, 3 | 11) {
        let q = &body[8..];
        let ihl = q.first().map(|b| usize::from(b & 0x0f) * 4);
        match ihl {
            Some(h) if h >= 20 && q.len() >= h + 4 && q[0] >> 4 == 4 && q[9] == 6 => {
                let addr = |at: usize| Ipv4Addr::new(q[at], q[at + 1], q[at + 2], q[at + 3]);
                let port = |at: usize| u16::from_be_bytes([q[at], q[at + 1]]);
                Some((
                    SocketAddrV4::new(addr(12), port(h)),
                    SocketAddrV4::new(addr(16), port(h + 2)),
                ))
            }
            _ => None,
        }
    } else {
        None
    };
    Ok(Packet {
        icmp: Some(crate::trace::Icmp { kind, code, quoted }),
        ..unnumbered(ip, bytes, (0, 0), u16::from_be_bytes([body[2], body[3]]))
    })
}

/// A packet's IP-level fields, numbered 0 (the recorder numbers it), with no TCP flags.
fn unnumbered(ip: &Ipv4Packet<&[u8]>, bytes: &[u8], ports: (u16, u16), checksum: u16) -> Packet {
    Packet {
        id: PacketId(0),
        journey: JourneyId(0),
        prev: None,
        changes: Vec::new(),
        bytes: bytes.to_vec(),
        src: SocketAddrV4::new(ip.src_addr(), ports.0),
        dst: SocketAddrV4::new(ip.dst_addr(), ports.1),
        flags: Flags::default(),
        seq: 0,
        ack: 0,
        window: 0,
        payload_len: 0,
        ttl: ip.hop_limit(),
        ip_checksum: ip.checksum(),
        tcp_checksum: checksum,
        ftp_text: None,
        icmp: None,
        frame: None,
    }
}

/// Decodes an IPv4/TCP packet, or an ICMP message (id and journey left at 0: the recorder
/// numbers it). `control_text` asks for the payload as FTP text.
pub fn decode(bytes: &[u8], control_text: bool) -> Result<Packet, DecodeError> {
    let ip = Ipv4Packet::new_checked(bytes).map_err(|_| DecodeError("IPv4 header"))?;
    if ip.next_header() == IpProtocol::Icmp {
        return decode_icmp(&ip, bytes);
    }
    if ip.next_header() != IpProtocol::Tcp {
        return Err(DecodeError("not TCP"));
    }
    let tcp = TcpPacket::new_checked(ip.payload()).map_err(|_| DecodeError("TCP header"))?;
    let payload = tcp.payload();
    let ftp_text = (control_text && !payload.is_empty()).then(|| {
        String::from_utf8_lossy(payload)
            .trim_end_matches(['\r', '\n'])
            .replace("\r\n", "\n")
    });
    Ok(Packet {
        flags: Flags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            psh: tcp.psh(),
        },
        seq: tcp.seq_number().0 as u32,
        ack: tcp.ack_number().0 as u32,
        window: tcp.window_len(),
        payload_len: payload.len(),
        ftp_text,
        ..unnumbered(&ip, bytes, (tcp.src_port(), tcp.dst_port()), tcp.checksum())
    })
}

/// The RST that answers `p` on behalf of its destination (what iptables' `REJECT --reject-with
/// tcp-reset` sends): from `p.dst` to `p.src`.
pub fn build_rst(p: &Packet) -> Vec<u8> {
    let seg_len = p.payload_len as u32 + u32::from(p.flags.syn) + u32::from(p.flags.fin);
    // RFC 793: if the incoming segment has an ACK, the reset takes its sequence number from
    // that ACK; otherwise seq 0 and an ACK of everything the segment occupied.
    let (seq, ack) = if p.flags.ack {
        (p.ack, None)
    } else {
        (0, Some(TcpSeqNumber(p.seq.wrapping_add(seg_len) as i32)))
    };
    let tcp = TcpRepr {
        src_port: p.dst.port(),
        dst_port: p.src.port(),
        control: TcpControl::Rst,
        seq_number: TcpSeqNumber(seq as i32),
        ack_number: ack,
        window_len: 0,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None, None, None],
        timestamp: None,
        payload: &[],
    };
    emit(*p.dst.ip(), *p.src.ip(), &tcp)
}

/// An IPv4 packet carrying `tcp` from `src` to `dst`, both checksums filled in.
pub fn emit(src: Ipv4Addr, dst: Ipv4Addr, tcp: &TcpRepr) -> Vec<u8> {
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; ip.buffer_len() + tcp.buffer_len()];
    let mut ipp = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut ipp, &caps);
    let mut tcpp = TcpPacket::new_unchecked(ipp.payload_mut());
    tcp.emit(
        &mut tcpp,
        &IpAddress::Ipv4(src),
        &IpAddress::Ipv4(dst),
        &caps,
    );
    buf
}

/// What to put in a rewritten IPv4/TCP packet (NAT): new endpoints, sequence and
/// acknowledgment numbers, and optionally a new payload.
#[derive(Clone, Debug)]
pub struct Rewrite<'a> {
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub seq: u32,
    pub ack: u32,
    pub payload: Option<&'a [u8]>,
}

/// Rewrites an IPv4/TCP packet: the IP header is kept (identification, flags, TTL, options)
/// but for the addresses and the length; the TCP header keeps its flags, window and options;
/// both checksums are computed again. `None` when the bytes are not a valid IPv4/TCP packet.
pub fn rewrite(bytes: &[u8], r: &Rewrite) -> Option<Vec<u8>> {
    let caps = ChecksumCapabilities::default();
    let ip = Ipv4Packet::new_checked(bytes).ok()?;
    let (old_src, old_dst) = (ip.src_addr(), ip.dst_addr());
    let hlen = usize::from(ip.header_len());
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    let mut t = TcpRepr::parse(
        &tcp,
        &IpAddress::Ipv4(old_src),
        &IpAddress::Ipv4(old_dst),
        &caps,
    )
    .ok()?;
    t.src_port = r.src.port();
    t.dst_port = r.dst.port();
    t.seq_number = TcpSeqNumber(r.seq as i32);
    if t.ack_number.is_some() {
        t.ack_number = Some(TcpSeqNumber(r.ack as i32));
    }
    if let Some(p) = r.payload {
        t.payload = p;
    }
    let total = hlen + t.buffer_len();
    let mut out = vec![0u8; total];
    out[..hlen].copy_from_slice(bytes.get(..hlen)?);
    let mut ipp = Ipv4Packet::new_unchecked(&mut out[..]);
    ipp.set_src_addr(*r.src.ip());
    ipp.set_dst_addr(*r.dst.ip());
    ipp.set_total_len(u16::try_from(total).ok()?);
    ipp.fill_checksum();
    let mut tp = TcpPacket::new_unchecked(&mut out[hlen..]);
    t.emit(
        &mut tp,
        &IpAddress::Ipv4(*r.src.ip()),
        &IpAddress::Ipv4(*r.dst.ip()),
        &caps,
    );
    Some(out)
}

/// True when both the IPv4 header checksum and the TCP checksum verify.
pub fn checksums_ok(bytes: &[u8]) -> bool {
    let Ok(ip) = Ipv4Packet::new_checked(bytes) else {
        return false;
    };
    if ip.next_header() == IpProtocol::Icmp {
        return ip.verify_checksum() && internet_checksum(ip.payload()) == 0;
    }
    let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
        return false;
    };
    ip.verify_checksum()
        && tcp.verify_checksum(
            &IpAddress::Ipv4(ip.src_addr()),
            &IpAddress::Ipv4(ip.dst_addr()),
        )
}

/// RFC 1918, shared (100.64.0.0/10) and link-local addresses: not routed on the Internet.
pub fn is_private(ip: std::net::Ipv4Addr) -> bool {
    let shared = ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64;
    ip.is_private() || shared || ip.is_link_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rst_answers_a_syn_with_valid_checksums() {
        // A SYN from smoltcp's encoder, then the reset that answers it.
        let tcp = TcpRepr {
            src_port: 20,
            dst_port: 50123,
            control: TcpControl::Syn,
            seq_number: TcpSeqNumber(1000),
            ack_number: None,
            window_len: 1024,
            window_scale: None,
            max_seg_size: Some(1460),
            sack_permitted: false,
            sack_ranges: [None, None, None],
            timestamp: None,
            payload: &[],
        };
        let buf = emit(
            "203.0.113.10".parse().unwrap(),
            "198.51.100.7".parse().unwrap(),
            &tcp,
        );
        let syn = decode(&buf, false).unwrap();
        assert_eq!(syn.summary(), "SYN 203.0.113.10:20 → 198.51.100.7:50123");
        let rst = decode(&build_rst(&syn), false).unwrap();
        assert!(checksums_ok(&rst.bytes));
        assert_eq!((rst.src, rst.dst), (syn.dst, syn.src));
        assert!(rst.flags.rst && rst.flags.ack);
        assert_eq!(rst.ack, 1001);
    }
}
