//! Reading capture files: pcap and pcapng (the `pcap-file` crate), down to IPv4 packets.
//!
//! Link layers: Ethernet (with 802.1Q / 802.1ad VLAN tags), raw IPv4, Linux cooked capture
//! (SLL and SLL2), BSD loopback (NULL and LOOP). Frames that are not IPv4 are counted and
//! skipped; a frame cut short by the capture's snap length is kept as far as it goes.
//! Timestamps become microseconds from the first frame. pcap-file 2.0 reads a pcapng packet's
//! timestamp as nanoseconds whatever the interface says; the interface's `if_tsresol` is
//! applied here (microseconds when it says nothing, as the format specifies).

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// One IPv4 packet as captured.
#[derive(Clone, Debug)]
pub struct Frame {
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
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x4d, 0x3c, 0xb2, 0xa1],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// A frame longer than this is not a frame (the largest jumbo frames are 9 KB; 256 KiB covers
/// every offload the kernel does).
const MAX_FRAME: usize = 256 * 1024;

/// The IPv4 packet inside a link-layer frame, if it carries one.
pub fn ipv4_of(link: DataLink, data: &[u8]) -> Option<&[u8]> {
    let ip = match link {
        DataLink::ETHERNET => {
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
        DataLink::RAW | DataLink::IPV4 => data,
        // Linux cooked capture v1: 16 bytes, the protocol in the last two.
        DataLink::LINUX_SLL => {
            let proto = data.get(14..16)?;
            (proto == [0x08, 0x00]).then(|| data.get(16..))??
        }
        // v2: 20 bytes, the protocol first.
        DataLink::LINUX_SLL2 => {
            let proto = data.get(0..2)?;
            (proto == [0x08, 0x00]).then(|| data.get(20..))??
        }
        // BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL)
        // or in network order (LOOP). AF_INET is 2 everywhere.
        DataLink::NULL | DataLink::LOOP => {
            let fam = data.get(0..4)?;
            let le = u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let be = u32::from_be_bytes([fam[0], fam[1], fam[2], fam[3]]);
            (le == 2 || be == 2).then(|| data.get(4..))??
        }
        _ => return None,
    };
    (ip.first().is_some_and(|b| b >> 4 == 4)).then_some(ip)
}

/// Reads every frame of a pcap or pcapng stream, handing each IPv4 packet to `each`.
/// `progress` hears the number of frames read now and then.
pub fn read(
    r: impl Read,
    mut each: impl FnMut(Frame),
    mut progress: impl FnMut(u64),
) -> Result<Stats, String> {
    let mut r = r;
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)
        .map_err(|_| "the file is too short to be a capture".to_owned())?;
    let chained = std::io::Cursor::new(magic).chain(r);
    let mut stats = Stats::default();
    let mut first: Option<u128> = None;
    let mut emit = |t_ns: u128, link: DataLink, data: &[u8], stats: &mut Stats| {
        stats.frames += 1;
        if stats.frames % 65_536 == 0 {
            progress(stats.frames);
        }
        if data.len() > MAX_FRAME {
            stats.unknown_link += 1;
            return;
        }
        let Some(ip) = ipv4_of(link, data) else {
            if !matches!(
                link,
                DataLink::ETHERNET
                    | DataLink::RAW
                    | DataLink::IPV4
                    | DataLink::LINUX_SLL
                    | DataLink::LINUX_SLL2
                    | DataLink::NULL
                    | DataLink::LOOP
            ) {
                stats.unknown_link += 1;
            }
            return;
        };
        stats.ipv4 += 1;
        let start = *first.get_or_insert(t_ns);
        let time_us = (t_ns.saturating_sub(start) / 1000).min(u128::from(u64::MAX / 2)) as u64;
        each(Frame {
            time_us,
            ip: ip.to_vec(),
        });
    };
    if PCAP_MAGICS.contains(&magic) {
        let mut reader =
            PcapReader::new(chained).map_err(|e| format!("not a readable pcap file: {e}"))?;
        let link = reader.header().datalink;
        while let Some(p) = reader.next_packet() {
            let p = p.map_err(|e| format!("the pcap file is damaged: {e}"))?;
            emit(p.timestamp.as_nanos(), link, &p.data, &mut stats);
        }
    } else if magic == PCAPNG_MAGIC {
        let mut reader =
            PcapNgReader::new(chained).map_err(|e| format!("not a readable pcapng file: {e}"))?;
        // Per interface: its link type and its timestamp unit in nanoseconds.
        let mut ifaces: Vec<(DataLink, u128)> = Vec::new();
        while let Some(b) = reader.next_block() {
            let b = b.map_err(|e| format!("the pcapng file is damaged: {e}"))?;
            match b {
                Block::SectionHeader(_) => ifaces.clear(),
                Block::InterfaceDescription(idb) => {
                    let unit = idb
                        .options
                        .iter()
                        .find_map(|o| match o {
                            InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                            _ => None,
                        })
                        .map_or(1000, ts_unit_ns);
                    ifaces.push((idb.linktype, unit));
                }
                Block::EnhancedPacket(p) => {
                    let Some(&(link, unit)) = ifaces.get(p.interface_id as usize) else {
                        stats.frames += 1;
                        stats.unknown_link += 1;
                        continue;
                    };
                    // pcap-file hands back the raw 64-bit count as nanoseconds.
                    let t = p.timestamp.as_nanos().saturating_mul(unit);
                    emit(t, link, &p.data, &mut stats);
                }
                Block::SimplePacket(p) => {
                    let link = ifaces.first().map_or(DataLink::ETHERNET, |i| i.0);
                    // A simple packet block has no timestamp: it counts as the first frame's.
                    emit(0, link, &p.data, &mut stats);
                }
                _ => {}
            }
        }
    } else {
        return Err("not a capture file: it is neither pcap nor pcapng".to_owned());
    }
    Ok(stats)
}

/// `if_tsresol`: a power of ten (high bit clear) or of two (high bit set) of a second, as
/// nanoseconds per unit (at least 1).
fn ts_unit_ns(r: u8) -> u128 {
    let exp = u32::from(r & 0x7f);
    if r & 0x80 == 0 {
        if exp >= 9 { 1 } else { 10u128.pow(9 - exp) }
    } else {
        (1_000_000_000u128 >> exp.min(127)).max(1)
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
        assert_eq!(ipv4_of(DataLink::ETHERNET, &eth), Some(&ip[..]));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert_eq!(ipv4_of(DataLink::LINUX_SLL, &sll), Some(&ip[..]));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(ipv4_of(DataLink::LINUX_SLL2, &sll2), Some(&ip[..]));
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        assert_eq!(ipv4_of(DataLink::NULL, &null), Some(&ip[..]));
        assert_eq!(ipv4_of(DataLink::RAW, &ip), Some(&ip[..]));
        // IPv6 over Ethernet, a short frame, an unknown link: nothing, no panic.
        let mut v6 = vec![0u8; 12];
        v6.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(ipv4_of(DataLink::ETHERNET, &v6), None);
        assert_eq!(ipv4_of(DataLink::ETHERNET, &[0u8; 5]), None);
        assert_eq!(ipv4_of(DataLink::IEEE802_11, &ip), None);
    }

    #[test]
    fn pcapng_time_units() {
        assert_eq!(ts_unit_ns(6), 1000);
        assert_eq!(ts_unit_ns(9), 1);
        assert_eq!(ts_unit_ns(3), 1_000_000);
        assert_eq!(ts_unit_ns(0x80 | 10), 976_562);
    }
}
