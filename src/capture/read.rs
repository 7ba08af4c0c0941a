//! Reading capture files, pcap and pcapng, down to IPv4 packets: our own reader of both
//! formats, because captures as people take them are not always whole.
//!
//! - A frame cut short by the snap length (`tcpdump -s 96`) is kept as far as it goes.
//! - A file cut off at the end (a capture copied while it was written, a full disk) is read up
//!   to its last whole frame, and `Stats::ends_early` says where and why, as Wireshark does.
//! - A frame's IPv4 packet ends at the IP total length, not at the frame's end: Ethernet pads
//!   short frames to 60 bytes, and some captures keep the 4-byte FCS.
//!
//! Link layers: Ethernet (with 802.1Q / 802.1ad VLAN tags), raw IPv4, Linux cooked capture
//! (SLL and SLL2), BSD loopback (NULL and LOOP). Frames that are not IPv4 are counted and
//! skipped. pcap in both byte orders and with micro- or nanosecond timestamps; pcapng with
//! several sections (each its own byte order) and interfaces, each interface's `if_tsresol`
//! applied (microseconds when it says nothing, as the format specifies), enhanced, simple and
//! obsolete packet blocks. Timestamps become microseconds from the first frame. Every length
//! read from the file is checked before it is used.

use serde::{Deserialize, Serialize};
use std::io::Read;

/// One IPv4 packet as captured.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Its number in the file, counted from 1 as Wireshark does.
    pub number: u64,
    /// Microseconds since the first frame of the file.
    pub time_us: u64,
    /// The IPv4 packet, as far as it was captured.
    pub ip: Vec<u8>,
}

/// What the file held besides what is explained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub frames: u64,
    /// Frames that carried IPv4.
    pub ipv4: u64,
    /// Of a link type FTP Lab does not read.
    pub unknown_link: u64,
    /// Cut short by the capture's snap length.
    pub truncated: u64,
    /// IPv4 or TCP checksums that do not verify (often the sender's offloading).
    pub bad_checksums: u64,
    /// TCP segments and ICMP messages that belong to no FTP session.
    pub not_ftp: u64,
    /// The file ends before its last frame does, or is damaged from some point on: what was
    /// read before is explained, and this says where it stopped.
    #[serde(default)]
    pub ends_early: Option<String>,
}

/// A link-layer type (the numbers of tcpdump.org's LINKTYPE_ list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Null,
    Ethernet,
    Raw,
    Loop,
    LinuxSll,
    LinuxSll2,
    Ipv4,
    Other(u32),
}

impl Link {
    pub fn of(n: u32) -> Link {
        // The upper bits of a pcap header's link type can carry the FCS length.
        match n & 0x0fff_ffff {
            0 => Link::Null,
            1 => Link::Ethernet,
            12 | 14 | 101 => Link::Raw,
            108 => Link::Loop,
            113 => Link::LinuxSll,
            276 => Link::LinuxSll2,
            228 => Link::Ipv4,
            other => Link::Other(other),
        }
    }
}

/// A frame longer than this is not a frame (the largest jumbo frames are 9 KB; 256 KiB covers
/// every offload the kernel does).
const MAX_FRAME: usize = 256 * 1024;
/// The largest pcapng block read (a packet block holds one frame and its options).
pub(super) const MAX_BLOCK: usize = MAX_FRAME + 64 * 1024;

/// The IPv4 packet inside a link-layer frame, if it carries one, ending at its total length.
pub fn ipv4_of(link: Link, data: &[u8]) -> Option<&[u8]> {
    let ip = match link {
        Link::Ethernet => {
            // Destination (6), source (6), EtherType (2).
            let ty = data.get(12..14)?;
            let mut ty = u16::from_be_bytes([ty[0], ty[1]]);
            let mut at = 14;
            // 802.1Q, 802.1ad and the old QinQ tag: 2 bytes of tag, then the next type.
            while matches!(ty, 0x8100 | 0x88a8 | 0x9100) {
                let next = data.get(at + 2..at + 4)?;
                ty = u16::from_be_bytes([next[0], next[1]]);
                at += 4;
            }
            (ty == 0x0800).then(|| data.get(at..))??
        }
        Link::Raw | Link::Ipv4 => data,
        // Linux cooked capture v1: 16 bytes, the protocol in the last two.
        Link::LinuxSll => {
            let proto = data.get(14..16)?;
            (proto == [0x08, 0x00]).then(|| data.get(16..))??
        }
        // v2: 20 bytes, the protocol first.
        Link::LinuxSll2 => {
            let proto = data.get(0..2)?;
            (proto == [0x08, 0x00]).then(|| data.get(20..))??
        }
        // BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL)
        // or in network order (LOOP). AF_INET is 2 everywhere.
        Link::Null | Link::Loop => {
            let fam = data.get(0..4)?;
            let le = u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let be = u32::from_be_bytes([fam[0], fam[1], fam[2], fam[3]]);
            (le == 2 || be == 2).then(|| data.get(4..))??
        }
        Link::Other(_) => return None,
    };
    if ip.first().is_none_or(|b| b >> 4 != 4) {
        return None;
    }
    // Padding and trailers after the packet are not the packet's.
    let total = ip
        .get(2..4)
        .map_or(ip.len(), |t| usize::from(u16::from_be_bytes([t[0], t[1]])));
    Some(if total >= 20 && total < ip.len() {
        &ip[..total]
    } else {
        ip
    })
}

/// The reader's input: a byte stream that says whether it ended cleanly between two records.
pub(super) struct Input<R> {
    r: R,
    /// Bytes read so far.
    at: u64,
}

/// How reading `n` bytes went.
pub(super) enum Got {
    All,
    /// The stream ended before the first byte.
    Eof,
    /// It ended after `k` of the bytes.
    Part(usize),
}

impl<R: Read> Input<R> {
    pub(super) fn fill(&mut self, buf: &mut [u8]) -> Result<Got, String> {
        let mut k = 0;
        while k < buf.len() {
            match self.r.read(&mut buf[k..]) {
                Ok(0) => break,
                Ok(n) => k += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the file: {e}")),
            }
        }
        self.at += k as u64;
        Ok(match k {
            _ if k == buf.len() => Got::All,
            0 => Got::Eof,
            k => Got::Part(k),
        })
    }

    /// `n` bytes (at most `MAX_BLOCK`, checked by the caller).
    pub(super) fn bytes(&mut self, n: usize) -> Result<(Vec<u8>, Got), String> {
        let mut v = vec![0u8; n];
        let got = self.fill(&mut v)?;
        Ok((v, got))
    }
}

/// Where the frames go: each IPv4 packet to `each`, the counts to the stats.
pub(super) struct Sink<'a> {
    pub(super) stats: Stats,
    first: Option<u128>,
    each: &'a mut dyn FnMut(Frame),
    progress: &'a mut dyn FnMut(u64),
}

impl Sink<'_> {
    pub(super) fn emit(&mut self, t_ns: u128, link: Link, data: &[u8]) {
        let stats = &mut self.stats;
        stats.frames += 1;
        if stats.frames % 65_536 == 0 {
            (self.progress)(stats.frames);
        }
        if data.len() > MAX_FRAME {
            stats.unknown_link += 1;
            return;
        }
        let Some(ip) = ipv4_of(link, data) else {
            if matches!(link, Link::Other(_)) {
                stats.unknown_link += 1;
            }
            return;
        };
        stats.ipv4 += 1;
        let start = *self.first.get_or_insert(t_ns);
        let time_us = (t_ns.saturating_sub(start) / 1000).min(u128::from(u64::MAX / 2)) as u64;
        (self.each)(Frame {
            number: stats.frames,
            time_us,
            ip: ip.to_vec(),
        });
    }

    /// The file stops here: what was read stays.
    pub(super) fn stop(&mut self, why: String) {
        self.stats.ends_early = Some(why);
    }
}

pub(super) const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads every frame of a pcap or pcapng stream, handing each IPv4 packet to `each`.
/// `progress` hears the number of frames read now and then. Only a stream that is no capture
/// at all is refused; a damaged or cut one is read as far as it goes.
pub fn read(
    r: impl Read,
    mut each: impl FnMut(Frame),
    mut progress: impl FnMut(u64),
) -> Result<Stats, String> {
    let mut input = Input { r, at: 0 };
    let mut magic = [0u8; 4];
    if !matches!(input.fill(&mut magic)?, Got::All) {
        return Err("the file is too short to be a capture".to_owned());
    }
    let mut sink = Sink {
        stats: Stats::default(),
        first: None,
        each: &mut each,
        progress: &mut progress,
    };
    if magic == PCAPNG_MAGIC {
        super::pcapng::read(&mut input, &mut sink)?;
    } else {
        pcap(&mut input, magic, &mut sink)?;
    }
    Ok(sink.stats)
}

/// The classic pcap format: a 24-byte header, then records of a 16-byte header and the frame.
fn pcap<R: Read>(input: &mut Input<R>, magic: [u8; 4], sink: &mut Sink) -> Result<(), String> {
    let (le, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return Err("not a capture file: it is neither pcap nor pcapng".to_owned()),
    };
    let u32_at = |b: &[u8], i: usize| {
        let x = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        }
    };
    let mut head = [0u8; 20];
    if !matches!(input.fill(&mut head)?, Got::All) {
        return Err("not a readable pcap file: its header is cut short".to_owned());
    }
    let link = Link::of(u32_at(&head, 16));
    loop {
        let mut rec = [0u8; 16];
        let n = sink.stats.frames + 1;
        match input.fill(&mut rec)? {
            Got::All => {}
            Got::Eof => return Ok(()),
            Got::Part(k) => {
                sink.stop(format!("the file ends in the middle of frame {n}'s header ({k} of 16 bytes): the frames before it are explained"));
                return Ok(());
            }
        }
        let (sec, frac, incl) = (u32_at(&rec, 0), u32_at(&rec, 4), u32_at(&rec, 8) as usize);
        if incl > MAX_FRAME {
            sink.stop(format!("frame {n} says it holds {incl} bytes, more than any frame: the file is damaged from there on, and the frames before it are explained"));
            return Ok(());
        }
        let (data, got) = input.bytes(incl)?;
        let k = match got {
            Got::All => None,
            Got::Eof => Some(0),
            Got::Part(k) => Some(k),
        };
        if let Some(k) = k {
            sink.stop(format!("the file ends in the middle of frame {n} ({k} of its {incl} bytes): the frames before it are explained"));
            return Ok(());
        }
        let ns = u128::from(sec) * 1_000_000_000
            + if nanos {
                u128::from(frac)
            } else {
                u128::from(frac) * 1000
            };
        sink.emit(ns, link, &data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_layers_lead_to_the_ipv4_packet() {
        let ip = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        assert_eq!(ipv4_of(Link::Ethernet, &eth), Some(&ip[..]));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert_eq!(ipv4_of(Link::LinuxSll, &sll), Some(&ip[..]));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(ipv4_of(Link::LinuxSll2, &sll2), Some(&ip[..]));
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        assert_eq!(ipv4_of(Link::Null, &null), Some(&ip[..]));
        assert_eq!(ipv4_of(Link::Raw, &ip), Some(&ip[..]));
        // IPv6 over Ethernet, a short frame, an unknown link: nothing, no panic.
        let mut v6 = vec![0u8; 12];
        v6.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(ipv4_of(Link::Ethernet, &v6), None);
        assert_eq!(ipv4_of(Link::Ethernet, &[0u8; 5]), None);
        assert_eq!(ipv4_of(Link::Other(105), &ip), None);
    }

    /// The attack found it: with an FCS trailer (or the padding of a short frame) the bytes
    /// after the IPv4 packet were read as its payload.
    #[test]
    fn the_packet_ends_at_its_total_length_not_at_the_frame() {
        let ip = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&[0u8; 26]); // padding to 60 bytes
        eth.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]); // an FCS
        assert_eq!(ipv4_of(Link::Ethernet, &eth), Some(&ip[..]));
    }
}
