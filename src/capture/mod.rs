//! Explaining a real capture: a pcap or pcapng file becomes the same `Trace` a simulation makes,
//! so every view (ladder, event list, inspector, narration, plot, transcript) works on it, and
//! a diagnosis in the simulator's words says what failed and where.
//!
//! 1. `read` gives the IPv4 packets. Each TCP flow is classified by its first bytes: an FTP
//!    control connection (a `220` greeting, `USER`, any `NNN ` reply or command line, on any
//!    port), or something else (whose payload is not kept: only its headers, so a large
//!    transfer does not fill the memory).
//! 2. Each control connection's two byte streams are reassembled in sequence order
//!    (retransmissions and overlaps counted once, a gap skipped), split into command lines
//!    and replies (multi-line replies through the same `ReplyParser` the client uses).
//! 3. Announcements (PORT, EPRT, 227, 229; `ftp::announce`) are read in time order; a flow
//!    whose first SYN goes to the latest announced address and port is that announcement's
//!    data connection (its mode, its client). A flow between the same client and server
//!    that no announcement names is a data connection too; anything else is not FTP.
//! 4. Where the capture was taken (the vantage) comes from the control connection's
//!    handshake: SYN → SYN-ACK is the round trip to the server side of the capture point,
//!    SYN-ACK → ACK to the client side. The trace's topology is client — capture point —
//!    server, with "in between" on the side where packets vanished.
//! 5. Each captured packet is replayed along that path with the inferred delays. A SYN never
//!    answered vanished after the capture point (dropped there, or unroutable when it went to
//!    a private address); a SYN answered by a RST or an ICMP error was refused.
//! 6. The user's actions (connect, login, each transfer, quit) come from the commands and
//!    replies, and `diagnose` explains the first failure.

pub mod read;
pub mod scenario;

use crate::ftp::announce::{self, Kind};
use crate::ftp::command::{masked, verb};
use crate::ftp::{ActionKind, ActionResult, Mode, Reply, ReplyParser};
use crate::ids::{ConnId, JourneyId, LinkId, NodeId, PacketId};
use crate::rules::{Action, CtState, Direction, Reason, RejectWith, Verdict};
use crate::time::Time;
pub use crate::trace::Vantage;
use crate::trace::{
    Announced, Channel, ClientReport, Connection, Event, EventKind, LinkInfo, NodeInfo, NodeKind,
    Outcome, Packet, PacketFate, Source, Trace,
};
pub use read::Stats;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;

/// Bytes of a command line or reply line kept; a longer line is cut (and counted as text).
const MAX_LINE: usize = 8 * 1024;
/// Above this many packets a capture counts as large (see `build`).
const LARGE: usize = 100_000;
/// Largest capture file read (a 1,000,000-packet capture of full frames is about 1.5 GB).
pub const MAX_FILE: u64 = 8 * 1024 * 1024 * 1024;

/// A capture, explained.
#[derive(Clone, Debug)]
pub struct Explained {
    pub trace: Trace,
    pub stats: Stats,
    /// Where the capture was taken, in words.
    pub vantage: Vantage,
}

/// Reads and explains a capture file. `progress(frames)` hears how far it got.
pub fn explain_file(path: &Path, progress: impl FnMut(u64)) -> Result<Explained, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{}: {} bytes is more than the {} this program reads",
            path.display(),
            meta.len(),
            MAX_FILE
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    explain_reader(
        std::io::BufReader::with_capacity(1 << 20, f),
        &name,
        progress,
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// Explains a capture from any reader (`name`: what to call it).
pub fn explain_reader(
    r: impl std::io::Read,
    name: &str,
    progress: impl FnMut(u64),
) -> Result<Explained, String> {
    let mut b = Builder::default();
    let stats = read::read(r, |f| b.frame(f), progress)?;
    Ok(b.finish(name, stats))
}

/// Explains a capture held in memory.
pub fn explain_bytes(bytes: &[u8], name: &str) -> Result<Explained, String> {
    explain_reader(bytes, name, |_| {})
}

type Key = (SocketAddrV4, SocketAddrV4);

fn canon(a: SocketAddrV4, b: SocketAddrV4) -> Key {
    if (a.ip().octets(), a.port()) <= (b.ip().octets(), b.port()) {
        (a, b)
    } else {
        (b, a)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlowKind {
    Unknown,
    Control,
    Other,
}

#[derive(Debug)]
struct Flow {
    kind: FlowKind,
    /// The side that sent the first SYN.
    initiator: Option<SocketAddrV4>,
    /// Initial sequence number of each side (from its SYN), by sender.
    isn: BTreeMap<SocketAddrV4, u32>,
    packets: Vec<usize>,
    synack: bool,
    /// A RST or ICMP error that refused the connection before any SYN-ACK.
    refused_by: Option<usize>,
}

/// When a packet was captured, and where its payload is (the packet itself is in `pkts`, at
/// the same index: the two are kept apart so the packets can become the trace's in place).
struct Cap {
    t: u64,
    /// Bytes of TCP payload present in the capture (the packet may be cut short).
    present: usize,
    /// Offset of the TCP payload in the packet's bytes.
    payload_at: usize,
}

#[derive(Default)]
struct Builder {
    caps: Vec<Cap>,
    pkts: Vec<Packet>,
    flows: BTreeMap<Key, Flow>,
    icmp: Vec<usize>,
    not_ftp: u64,
    truncated: u64,
    bad: u64,
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

/// Looks like the start of an FTP control conversation: a reply (`220 `, `331-`) or a
/// command (`USER x`, `PASV`) in printable text.
fn looks_like_ftp(payload: &[u8]) -> bool {
    let line = payload.split(|&b| b == b'\n').next().unwrap_or(payload);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() || line.len() > 512 || !line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return false;
    }
    let digits = line.len() >= 4
        && line[..3].iter().all(u8::is_ascii_digit)
        && matches!(line[3], b' ' | b'-');
    let word = line.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let command = (3..=4).contains(&word)
        && (line.len() == word || line[word] == b' ')
        && VERBS.contains(&line[..word].to_ascii_uppercase().as_slice());
    digits && (b'1'..=b'5').contains(&line[0]) || command
}

/// Decodes a captured IPv4 packet (TCP or ICMP), even when the capture cut it short.
fn decode(bytes: &[u8]) -> Option<(Packet, usize, usize, bool)> {
    if let Ok(p) = crate::net::decode(bytes, false) {
        let at = bytes.len() - p.payload_len;
        let present = p.payload_len;
        return Some((p, present, at, false));
    }
    // Cut short: the IPv4 header says more than was captured. Read the TCP header by hand
    // within what is there.
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
    };
    Some((p, present.min(payload_len), ihl + doff, true))
}

impl Builder {
    fn frame(&mut self, f: read::Frame) {
        let Some((mut p, present, payload_at, cut)) = decode(&f.ip) else {
            self.not_ftp += 1;
            return;
        };
        if cut {
            self.truncated += 1;
        } else if !crate::net::checksums_ok(&p.bytes) {
            self.bad += 1;
        }
        let idx = self.caps.len();
        if let Some(i) = &p.icmp {
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
                t: f.time_us,
                present: 0,
                payload_at: 0,
            });
            self.pkts.push(p);
            return;
        }
        let flow = self
            .flows
            .entry(canon(p.src, p.dst))
            .or_insert_with(|| Flow {
                kind: FlowKind::Unknown,
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
            flow.kind = if looks_like_ftp(payload) {
                FlowKind::Control
            } else {
                FlowKind::Other
            };
        }
        if flow.kind == FlowKind::Other {
            // Only the headers of a data connection are kept.
            p.bytes.truncate(payload_at);
            p.bytes.shrink_to_fit();
        }
        flow.packets.push(idx);
        self.caps.push(Cap {
            t: f.time_us,
            present: if flow.kind == FlowKind::Other {
                0
            } else {
                present
            },
            payload_at,
        });
        self.pkts.push(p);
    }

    fn finish(self, name: &str, mut stats: Stats) -> Explained {
        stats.truncated = self.truncated;
        stats.bad_checksums = self.bad;
        let mut x = Assembly::new(self);
        x.control();
        x.data();
        let vantage = x.vantage();
        stats.not_ftp = x.not_ftp;
        let mut trace = x.build(name, vantage);
        crate::trace::classify::classify(&mut trace);
        crate::diagnose::diagnose(&mut trace);
        Explained {
            trace,
            stats,
            vantage,
        }
    }
}

/// A line of a control connection: which packet completed it, which way it went.
#[derive(Clone, Debug)]
struct Line {
    cap: usize,
    from_client: bool,
    text: String,
    reply: Option<Reply>,
}

struct Control {
    client: SocketAddrV4,
    server: SocketAddrV4,
    lines: Vec<Line>,
    /// AUTH TLS was accepted: what follows is encrypted.
    encrypted: bool,
    conn: usize,
}

struct Data {
    initiator: SocketAddrV4,
    responder: SocketAddrV4,
    /// The control connection (index in `controls`) and the announcement.
    control: Option<usize>,
    announced: Option<(Kind, SocketAddrV4, usize)>,
    conn: usize,
}

struct Assembly {
    b: Builder,
    controls: Vec<Control>,
    datas: Vec<Data>,
    /// Flow key → connection index.
    conn_of: BTreeMap<Key, usize>,
    not_ftp: u64,
}

impl Assembly {
    fn new(b: Builder) -> Assembly {
        let not_ftp = b.not_ftp;
        Assembly {
            b,
            controls: Vec::new(),
            datas: Vec::new(),
            conn_of: BTreeMap::new(),
            not_ftp,
        }
    }

    fn payload(&self, cap: usize) -> &[u8] {
        let c = &self.b.caps[cap];
        self.b.pkts[cap]
            .bytes
            .get(c.payload_at..c.payload_at + c.present)
            .unwrap_or(&[])
    }

    /// Finds the control connections and reads their lines.
    fn control(&mut self) {
        let keys: Vec<Key> = self
            .b
            .flows
            .iter()
            .filter(|(_, f)| f.kind == FlowKind::Control)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let flow = &self.b.flows[&key];
            let (a, b) = key;
            // Sides: the SYN's sender is the client; without a SYN, the side whose first line
            // is a reply is the server.
            let client = match flow.initiator {
                Some(i) => i,
                None => {
                    let first_reply_from = flow.packets.iter().find_map(|&c| {
                        let p = self.payload(c);
                        (p.len() >= 4 && p[..3].iter().all(u8::is_ascii_digit))
                            .then_some(self.b.pkts[c].src)
                    });
                    match first_reply_from {
                        Some(s) if s == a => b,
                        Some(_) => a,
                        None => a,
                    }
                }
            };
            let server = if client == a { b } else { a };
            let mut lines = Vec::new();
            let mut encrypted = false;
            for from_client in [true, false] {
                let (src, _) = if from_client {
                    (client, server)
                } else {
                    (server, client)
                };
                lines.extend(self.read_stream(&key, src, from_client));
            }
            lines.sort_by_key(|l: &Line| (self.b.caps[l.cap].t, l.cap, !l.from_client));
            // After "234" to AUTH the stream is TLS: nothing more can be read.
            let mut auth = false;
            let mut keep = Vec::new();
            for l in lines {
                if encrypted {
                    continue;
                }
                if l.from_client && verb(&l.text) == "AUTH" {
                    auth = true;
                }
                if !l.from_client && auth && l.reply.as_ref().is_some_and(|r| r.code == 234) {
                    encrypted = true;
                }
                keep.push(l);
            }
            // The text each packet completed, for its label and the inspector.
            let mut text: BTreeMap<usize, Vec<String>> = BTreeMap::new();
            for l in &keep {
                text.entry(l.cap).or_default().push(l.text.clone());
            }
            for (cap, t) in text {
                self.b.pkts[cap].ftp_text = Some(t.join("\n"));
            }
            let conn = self.controls.len();
            self.conn_of.insert(key, conn);
            self.controls.push(Control {
                client,
                server,
                lines: keep,
                encrypted,
                conn,
            });
        }
    }

    /// Reassembles one direction of a control connection and splits it into lines: every
    /// byte once, in sequence order; a gap skips to the next byte captured.
    fn read_stream(&self, key: &Key, src: SocketAddrV4, from_client: bool) -> Vec<Line> {
        let flow = &self.b.flows[key];
        let segs: Vec<usize> = flow
            .packets
            .iter()
            .copied()
            .filter(|&c| self.b.pkts[c].src == src && self.b.caps[c].present > 0)
            .collect();
        let Some(&first) = segs.first() else {
            return Vec::new();
        };
        let base = flow
            .isn
            .get(&src)
            .map_or(self.b.pkts[first].seq, |s| s.wrapping_add(1));
        // Offsets from the base; a segment from "before" the base (a wrap of more than
        // 2 GiB, or a stray retransmission of the handshake) is ignored.
        let mut order: Vec<(u32, usize)> = segs
            .iter()
            .map(|&c| (self.b.pkts[c].seq.wrapping_sub(base), c))
            .filter(|(off, _)| *off < 1 << 31)
            .collect();
        order.sort();
        let mut next: u64 = 0;
        let mut buf: Vec<u8> = Vec::new();
        let mut parser = ReplyParser::default();
        let mut out = Vec::new();
        for (off, cap) in order {
            let data = self.payload(cap);
            let (start, end) = (u64::from(off), u64::from(off) + data.len() as u64);
            if end <= next {
                continue; // a retransmission of what was read
            }
            if start > next {
                // Bytes never captured: the line in progress is lost.
                buf.clear();
                parser = ReplyParser::default();
            }
            let fresh = &data[(next.saturating_sub(start) as usize).min(data.len())..];
            next = end;
            for chunk in fresh.split_inclusive(|&b| b == b'\n') {
                if buf.len() < MAX_LINE {
                    buf.extend_from_slice(&chunk[..chunk.len().min(MAX_LINE - buf.len())]);
                }
                if chunk.last() != Some(&b'\n') {
                    continue;
                }
                let raw = std::mem::take(&mut buf);
                let text = String::from_utf8_lossy(&raw)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
                let reply = if from_client {
                    None
                } else {
                    parser
                        .feed(&raw)
                        .into_iter()
                        .filter_map(Result::ok)
                        .next_back()
                };
                out.push(Line {
                    cap,
                    from_client,
                    text,
                    reply,
                });
            }
        }
        out
    }

    /// Pairs the other flows with the announcements that opened them.
    fn data(&mut self) {
        // (time, target, kind, announcing capture, control index)
        let mut anns: Vec<(u64, SocketAddrV4, Kind, usize, usize)> = Vec::new();
        for (ci, c) in self.controls.iter().enumerate() {
            for l in &c.lines {
                let Some(Ok(a)) = announce::parse_line(&l.text, l.from_client) else {
                    continue;
                };
                let at = *self.b.pkts[l.cap].src.ip();
                anns.push((self.b.caps[l.cap].t, a.target(at), a.kind, l.cap, ci));
            }
        }
        anns.sort_by_key(|a| (a.0, a.3));
        let pairs: Vec<(Ipv4Addr, Ipv4Addr)> = self
            .controls
            .iter()
            .map(|c| (*c.client.ip(), *c.server.ip()))
            .collect();
        let keys: Vec<Key> = self
            .b
            .flows
            .iter()
            .filter(|(_, f)| f.kind != FlowKind::Control)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let flow = &self.b.flows[&key];
            let Some(&first) = flow.packets.first() else {
                continue;
            };
            let t0 = self.b.caps[first].t;
            let (a, b) = key;
            let (initiator, responder) = match flow.initiator {
                Some(i) => (i, if i == a { b } else { a }),
                None => {
                    // No SYN captured: the endpoint an announcement named is the responder.
                    let named = anns.iter().rev().find(|x| x.1 == a || x.1 == b);
                    match named {
                        Some(x) if x.1 == a => (b, a),
                        _ => (a, b),
                    }
                }
            };
            let ann = anns
                .iter()
                .rev()
                .find(|x| x.0 <= t0 && x.1 == responder)
                .or_else(|| anns.iter().rev().find(|x| x.1 == responder));
            let control = ann.map(|x| x.4).or_else(|| {
                pairs.iter().position(|(c, s)| {
                    (c, s) == (initiator.ip(), responder.ip())
                        || (c, s) == (responder.ip(), initiator.ip())
                })
            });
            let Some(control) = control else {
                self.not_ftp += flow.packets.len() as u64;
                continue;
            };
            let conn = self.controls.len() + self.datas.len();
            self.conn_of.insert(key, conn);
            self.datas.push(Data {
                initiator,
                responder,
                control: Some(control),
                announced: ann.map(|x| (x.2, x.1, x.3)),
                conn,
            });
        }
        // ICMP errors about no FTP flow are not FTP either.
        let mut foreign = 0;
        for &i in &self.b.icmp {
            let q = self.b.pkts[i].icmp.as_ref().and_then(|x| x.quoted);
            if !q.is_some_and(|(x, y)| self.conn_of.contains_key(&canon(x, y))) {
                foreign += 1;
            }
        }
        self.not_ftp += foreign;
    }

    /// Where the capture was taken, from the first control connection's handshake.
    fn vantage(&self) -> Vantage {
        self.delays().2
    }

    /// (capture → client, capture → server) one-way delays in µs, and the vantage.
    fn delays(&self) -> (u64, u64, Vantage) {
        for c in &self.controls {
            let key = canon(c.client, c.server);
            let flow = &self.b.flows[&key];
            let (caps, pkts) = (&self.b.caps, &self.b.pkts);
            let syn = flow.packets.iter().find(|&&i| {
                let p = &pkts[i];
                p.flags.syn && !p.flags.ack && p.src == c.client
            });
            let synack = flow.packets.iter().find(|&&i| {
                let p = &pkts[i];
                p.flags.syn && p.flags.ack && p.src == c.server
            });
            let (Some(&s), Some(&sa)) = (syn, synack) else {
                continue;
            };
            let ack = flow.packets.iter().find(|&&i| {
                let p = &pkts[i];
                i > sa && !p.flags.syn && p.flags.ack && p.src == c.client
            });
            let Some(&ack) = ack else { continue };
            let d1 = caps[sa].t.saturating_sub(caps[s].t);
            let d2 = caps[ack].t.saturating_sub(caps[sa].t);
            let (to_server, to_client) = (d1 / 2, d2 / 2);
            let v = if to_client * 4 < to_server {
                Vantage::Client
            } else if to_server * 4 < to_client {
                Vantage::Server
            } else {
                Vantage::Between
            };
            return (to_client, to_server, v);
        }
        (0, 0, Vantage::Unknown)
    }

    /// A SYN that nothing answered (no SYN-ACK, no RST, no ICMP) in a flow kept.
    fn vanished(&self, cap: usize) -> bool {
        let p = &self.b.pkts[cap];
        if !p.flags.syn || p.flags.ack {
            return false;
        }
        self.b
            .flows
            .get(&canon(p.src, p.dst))
            .is_some_and(|f| !f.synack && f.refused_by.is_none())
    }

    fn build(mut self, name: &str, vantage: Vantage) -> Trace {
        let (d_client, d_server, _) = self.delays();
        // Hosts: clients and servers of the control connections.
        let mut clients: Vec<Ipv4Addr> = self.controls.iter().map(|c| *c.client.ip()).collect();
        let mut servers: Vec<Ipv4Addr> = self.controls.iter().map(|c| *c.server.ip()).collect();
        clients.sort();
        clients.dedup();
        servers.sort();
        servers.dedup();
        servers.retain(|s| !clients.contains(s));
        let hosts: Vec<Ipv4Addr> = clients.iter().chain(&servers).copied().collect();
        // Where packets vanished: the side they were going to.
        let mut between_side: Option<bool> = None; // Some(true): towards the servers
        let mut kept: Vec<usize> = Vec::new();
        for (i, p) in self.b.pkts.iter().enumerate() {
            let included = match &p.icmp {
                Some(x) => x
                    .quoted
                    .is_some_and(|(a, b)| self.conn_of.contains_key(&canon(a, b))),
                None => self.conn_of.contains_key(&canon(p.src, p.dst)),
            };
            if !included {
                continue;
            }
            kept.push(i);
            let from_host = hosts.contains(p.src.ip());
            if self.vanished(i) || (p.icmp.is_some() && !from_host) {
                let to_server = match &p.icmp {
                    // An ICMP from a box: the box is on the side of the packet it refused.
                    Some(x) => x.quoted.is_some_and(|(_, d)| {
                        servers.contains(d.ip()) || !clients.contains(d.ip())
                    }),
                    None => servers.contains(p.dst.ip()) || !clients.contains(p.dst.ip()),
                };
                between_side.get_or_insert(to_server);
            }
        }
        // Nodes: clients, [between], capture point, [between], servers.
        let mut nodes: Vec<NodeInfo> = Vec::new();
        let host_name = |ip: &Ipv4Addr, role: &str, k: usize, n: usize| {
            if n == 1 {
                role.to_owned()
            } else {
                format!("{role}-{}", k + 1)
            }
            .replace("{ip}", &ip.to_string())
        };
        let mut node_of: BTreeMap<Ipv4Addr, NodeId> = BTreeMap::new();
        for (k, ip) in clients.iter().enumerate() {
            node_of.insert(*ip, NodeId::new(nodes.len()));
            nodes.push(NodeInfo {
                name: host_name(ip, "client", k, clients.len()),
                kind: NodeKind::Client,
                address: Some(*ip),
                protects: None,
                inside: Vec::new(),
            });
        }
        let capture = NodeId::new(nodes.len());
        nodes.push(NodeInfo {
            name: "capture point".to_owned(),
            kind: NodeKind::Router,
            address: None,
            protects: None,
            inside: Vec::new(),
        });
        let between = between_side.map(|_| {
            nodes.push(NodeInfo {
                name: "in between".to_owned(),
                kind: NodeKind::Router,
                address: None,
                protects: None,
                inside: Vec::new(),
            });
            NodeId::new(nodes.len() - 1)
        });
        for (k, ip) in servers.iter().enumerate() {
            node_of.insert(*ip, NodeId::new(nodes.len()));
            nodes.push(NodeInfo {
                name: host_name(ip, "server", k, servers.len()),
                kind: NodeKind::Server,
                address: Some(*ip),
                protects: None,
                inside: Vec::new(),
            });
        }
        // Links and distances from the capture point.
        let towards_servers = between_side == Some(true);
        let mut links: Vec<LinkInfo> = Vec::new();
        let mut link_of: BTreeMap<(NodeId, NodeId), LinkId> = BTreeMap::new();
        let mut add = |a: NodeId, b: NodeId, d: u64, links: &mut Vec<LinkInfo>| {
            link_of.insert((a, b), LinkId::new(links.len()));
            link_of.insert((b, a), LinkId::new(links.len()));
            links.push(LinkInfo { a, b, delay_us: d });
        };
        let mut dist: BTreeMap<NodeId, u64> = BTreeMap::new();
        dist.insert(capture, 0);
        if let Some(bw) = between {
            let d = if towards_servers { d_server } else { d_client } / 2;
            add(capture, bw, d, &mut links);
            dist.insert(bw, d);
        }
        for ip in &clients {
            let n = node_of[ip];
            match between.filter(|_| !towards_servers) {
                Some(bw) => add(n, bw, d_client - d_client / 2, &mut links),
                None => add(n, capture, d_client, &mut links),
            }
            dist.insert(n, d_client);
        }
        for ip in &servers {
            let n = node_of[ip];
            match between.filter(|_| towards_servers) {
                Some(bw) => add(bw, n, d_server - d_server / 2, &mut links),
                None => add(capture, n, d_server, &mut links),
            }
            dist.insert(n, d_server);
        }
        // Positions along the line: clients −2, a box on their side −1, the capture point 0,
        // a box on the servers' side +1, servers +2.
        let pos = |n: NodeId| -> i32 {
            if n == capture {
                0
            } else if Some(n) == between {
                if towards_servers { 1 } else { -1 }
            } else if nodes[n.index()].kind == NodeKind::Client {
                -2
            } else {
                2
            }
        };
        // The nodes from `from` to `to` (`None`: an address no host has; the path goes as far
        // as the far side's box, or the capture point).
        let path = |from: NodeId, to: Option<NodeId>| -> Vec<NodeId> {
            let a = pos(from);
            let b = to.map_or(if a <= 0 { 2 } else { -2 }, pos);
            let step = if b >= a { 1 } else { -1 };
            let mut v = vec![from];
            let mut q = a;
            while q != b {
                q += step;
                match q {
                    0 => v.push(capture),
                    1 | -1 => {
                        if let Some(bw) = between
                            && pos(bw) == q
                        {
                            v.push(bw);
                        }
                    }
                    _ => {
                        if let Some(t) = to
                            && pos(t) == q
                        {
                            v.push(t);
                        }
                    }
                }
            }
            v
        };
        let base = d_client.max(d_server);
        // Connections.
        let mut conns: Vec<Connection> = Vec::new();
        for c in &self.controls {
            conns.push(Connection {
                id: ConnId::new(conns.len()),
                channel: Channel::Control,
                client: node_of.get(c.client.ip()).copied(),
                initiator: c.client,
                responder: c.server,
                translated: Vec::new(),
                mode: None,
                announced: None,
            });
        }
        let mut packet_ids: BTreeMap<usize, PacketId> = BTreeMap::new();
        for (k, &i) in kept.iter().enumerate() {
            packet_ids.insert(i, PacketId::new(k));
        }
        for d in &self.datas {
            let ctl = d.control.map(|c| &self.controls[c]);
            let mode = match d.announced {
                Some((k, _, _)) if k.active() => Mode::Active,
                Some(_) => Mode::Passive,
                None if ctl.is_some_and(|c| c.server.ip() == d.initiator.ip()) => Mode::Active,
                None => Mode::Passive,
            };
            conns.push(Connection {
                id: ConnId::new(conns.len()),
                channel: Channel::Data,
                client: ctl.and_then(|c| node_of.get(c.client.ip()).copied()),
                initiator: d.initiator,
                responder: d.responder,
                translated: Vec::new(),
                mode: Some(mode),
                announced: d.announced.and_then(|(kind, target, cap)| {
                    Some(Announced {
                        kind,
                        target,
                        packet: *packet_ids.get(&cap)?,
                        control: ConnId::new(d.control?),
                    })
                }),
            });
            debug_assert_eq!(d.conn, conns.len() - 1);
        }
        let mut events: Vec<Event> = Vec::with_capacity(kept.len() * 3 + 64);
        let push = |_t: u64, e: Event, events: &mut Vec<Event>| events.push(e);
        let end = base + self.b.caps.last().map_or(0, |c| c.t) + d_client.max(d_server);
        let mut ftp_events: Vec<Event> = Vec::new();
        // FTP lines at both ends, what the client's terminal showed, and the user's actions.
        let mut reports: BTreeMap<NodeId, ClientReport> = BTreeMap::new();
        for c in &self.controls {
            let cn = node_of[c.client.ip()];
            let sn = node_of.get(c.server.ip()).copied().unwrap_or(capture);
            let conn = Some(ConnId::new(c.conn));
            let at = |cap: usize, node: NodeId| -> u64 {
                let t = self.b.caps[cap].t + base;
                let d = dist.get(&node).copied().unwrap_or(0);
                let sent_by = if node == cn {
                    self.b.pkts[cap].src.ip() == c.client.ip()
                } else {
                    self.b.pkts[cap].src.ip() == c.server.ip()
                };
                if sent_by { t.saturating_sub(d) } else { t + d }
            };
            let mk = |time: u64, node: NodeId, kind: EventKind| Event {
                time: Time::from_micros(time),
                node,
                kind,
                conn,
                channel: Some(Channel::Control),
                step: None,
            };
            // Each line at both ends (the sender writes it, the receiver reads it), and what
            // the client's terminal showed.
            let mut put = |cap: usize, node: NodeId, kind: EventKind| {
                let t = at(cap, node);
                push(t, mk(t, node, kind), &mut ftp_events);
            };
            for l in &c.lines {
                if l.from_client {
                    let line = masked(&l.text);
                    put(
                        l.cap,
                        cn,
                        EventKind::FtpCommand {
                            line: line.clone(),
                            sent: true,
                        },
                    );
                    put(
                        l.cap,
                        sn,
                        EventKind::FtpCommand {
                            line: line.clone(),
                            sent: false,
                        },
                    );
                    put(
                        l.cap,
                        cn,
                        EventKind::Console {
                            line: format!("> {line}"),
                            shown: crate::trace::Shown::Command,
                        },
                    );
                } else if let Some(r) = &l.reply {
                    let (code, text) = (r.code, r.text.clone());
                    put(
                        l.cap,
                        sn,
                        EventKind::FtpReply {
                            code,
                            text: text.clone(),
                            sent: true,
                        },
                    );
                    put(
                        l.cap,
                        cn,
                        EventKind::FtpReply {
                            code,
                            text,
                            sent: false,
                        },
                    );
                    put(
                        l.cap,
                        cn,
                        EventKind::Console {
                            line: r.to_string(),
                            shown: crate::trace::Shown::Reply(code),
                        },
                    );
                }
            }
            if c.encrypted {
                let last = c.lines.last().map_or(0, |l| at(l.cap, cn));
                push(
                    last,
                    mk(
                        last,
                        cn,
                        EventKind::Note {
                            note: crate::trace::Note::Encrypted,
                        },
                    ),
                    &mut ftp_events,
                );
            }
            let report = reports.entry(cn).or_insert_with(|| ClientReport {
                node: cn,
                name: nodes[cn.index()].name.clone(),
                actions: Vec::new(),
                outcome: Outcome::empty(""),
            });
            for a in actions(&self, c, &at, cn, end) {
                let index = report.actions.len();
                let typed = a.typed.clone();
                push(
                    a.start,
                    mk(a.start, cn, EventKind::ActionStarted { index, typed }),
                    &mut ftp_events,
                );
                let result = ActionResult {
                    index,
                    action: a.name.clone(),
                    ok: a.ok,
                    reply: a.reply,
                    detail: a.detail.clone(),
                    bytes: 0,
                };
                push(
                    a.end,
                    mk(
                        a.end,
                        cn,
                        EventKind::ActionFinished {
                            result: Box::new(result.clone()),
                        },
                    ),
                    &mut ftp_events,
                );
                report.actions.push(result);
            }
        }
        // Packets and their events.
        // Which capture refused which SYN (the last SYN before the refusal).
        let mut refused: BTreeMap<usize, usize> = BTreeMap::new();
        for f in self.b.flows.values() {
            if let Some(r) = f.refused_by {
                let last_syn = f
                    .packets
                    .iter()
                    .copied()
                    .filter(|&i| i < r)
                    .rfind(|&i| self.b.pkts[i].flags.syn && !self.b.pkts[i].flags.ack);
                if let Some(s) = last_syn {
                    refused.insert(s, r);
                }
            }
        }
        // What the loop below needs from other packets, before the packets are moved out.
        let vanished_at: Vec<bool> = kept.iter().map(|&i| self.vanished(i)).collect();
        let refusals: BTreeMap<usize, Packet> = refused
            .iter()
            .map(|(&syn, &r)| (syn, self.b.pkts[r].clone()))
            .collect();
        let large = kept.len() > LARGE;
        // The kept packets move to the front of the vector, in order, and become the trace's.
        let mut packets = std::mem::take(&mut self.b.pkts);
        for (k, &i) in kept.iter().enumerate() {
            packets.swap(k, i);
        }
        packets.truncate(kept.len());
        packets.shrink_to_fit();
        for (k, p) in packets.iter_mut().enumerate() {
            let i = kept[k];
            let c = &self.b.caps[i];
            let id = PacketId::new(k);
            p.id = id;
            p.journey = JourneyId(k as u32);
            let conn = match &p.icmp {
                Some(x) => x.quoted.and_then(|(a, b)| self.conn_of.get(&canon(a, b))),
                None => self.conn_of.get(&canon(p.src, p.dst)),
            }
            .map(|&n| ConnId::new(n));
            let channel = conn.map(|n| conns[n.index()].channel);
            let sender = node_of
                .get(p.src.ip())
                .copied()
                .or(between)
                .unwrap_or(capture);
            let receiver = node_of.get(p.dst.ip()).copied();
            let hops = path(sender, receiver);
            let ev = |time: u64, node: NodeId, fate: PacketFate| Event {
                time: Time::from_micros(time),
                node,
                kind: EventKind::Packet { packet: id, fate },
                conn,
                channel,
                step: None,
            };
            let vanished = vanished_at[k];
            let refusal = refusals.get(&i);
            let at_capture = hops.iter().position(|n| *n == capture).unwrap_or(0);
            // A SYN nothing answered ends past the capture point, at the box there (or at the
            // capture point itself).
            let box_after = hops[at_capture..]
                .iter()
                .position(|n| Some(*n) == between)
                .map(|k| at_capture + k);
            let stop = if vanished {
                box_after.unwrap_or(at_capture)
            } else if refusal.is_some_and(|r| !hosts.contains(r.src.ip())) {
                // Refused by a box that is not the peer (an ICMP from a router's address).
                box_after.unwrap_or(hops.len() - 1)
            } else {
                hops.len() - 1
            };
            // In a very large capture, a plain data segment is recorded where it was sent and
            // where it arrived, not also at the capture point (a third less memory).
            let bulk = large
                && channel == Some(Channel::Data)
                && !(p.flags.syn || p.flags.fin || p.flags.rst)
                && p.payload_len > 0;
            for (h, n) in hops.iter().enumerate().take(stop + 1) {
                if bulk && h > 0 && h < stop {
                    continue;
                }
                let d = dist.get(n).copied().unwrap_or(0);
                let t = if h < at_capture {
                    (base + c.t).saturating_sub(d)
                } else if h == at_capture {
                    base + c.t
                } else {
                    base + c.t + d
                };
                if h == stop {
                    let fate = if vanished {
                        let private = is_private(*p.dst.ip()) && !is_private(*p.src.ip());
                        if private || receiver.is_none() {
                            PacketFate::Unroutable {
                                why: if private {
                                    format!(
                                        "{} is a private address, not routed on the Internet; nothing answered",
                                        p.dst.ip()
                                    )
                                    .into()
                                } else {
                                    "no host at that address answered".into()
                                },
                            }
                        } else {
                            PacketFate::Dropped {
                                verdict: Box::new(unknown_verdict(nodes[n.index()].name.clone())),
                            }
                        }
                    } else if let (Some(r), Some(&ri)) = (refusal, refused.get(&i)) {
                        PacketFate::Rejected {
                            verdict: Box::new(refusal_verdict(&nodes[n.index()].name, r)),
                            reply: packet_ids.get(&ri).copied().unwrap_or(id),
                        }
                    } else if receiver == Some(*n) {
                        PacketFate::Delivered
                    } else {
                        PacketFate::Unroutable {
                            why: "no host at that address answered".into(),
                        }
                    };
                    push(t, ev(t, *n, fate), &mut events);
                } else {
                    let link = link_of
                        .get(&(*n, hops[h + 1]))
                        .copied()
                        .unwrap_or(LinkId::new(0));
                    let fate = if h == 0 {
                        PacketFate::Sent { link }
                    } else {
                        PacketFate::Forwarded {
                            link,
                            verdict: None,
                            rewritten: None,
                        }
                    };
                    push(t, ev(t, *n, fate), &mut events);
                }
            }
        }
        // Packets first, then what the hosts made of them; a stable sort keeps that order among
        // events at the same time.
        events.append(&mut ftp_events);
        sort_in_place(&mut events);
        let title = format!("Capture {name}");
        Trace {
            source: Source::Captured {
                file: name.to_owned(),
                vantage,
            },
            title,
            seed: 0,
            tcp_profile: "as captured".to_owned(),
            nodes,
            links,
            packets,
            connections: conns,
            events,
            firewalls: Vec::new(),
            nats: Vec::new(),
            clients: reports.into_values().collect(),
            outcome: Outcome::empty(""),
        }
    }
}

/// Sorts events by time, keeping the order of events at the same time, without the scratch
/// copy a stable sort makes (a million-packet capture has three million events): the order is
/// found on indices, then applied by following its cycles.
fn sort_in_place(events: &mut [Event]) {
    let n = events.len();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    idx.sort_unstable_by_key(|&i| (events[i as usize].time, i));
    for start in 0..n {
        if idx[start] == u32::MAX || idx[start] as usize == start {
            continue;
        }
        let mut cur = start;
        loop {
            let src = idx[cur] as usize;
            idx[cur] = u32::MAX;
            if src == start {
                break;
            }
            events.swap(cur, src);
            cur = src;
        }
    }
}

/// A verdict for a packet that vanished: nobody knows which rule, only that it never came back.
fn unknown_verdict(at: String) -> Verdict {
    Verdict {
        middlebox: at,
        direction: Direction::Any,
        state: CtState::Untracked,
        action: Action::Drop,
        reason: Reason::Inferred,
        rule_text: "not answered: something after the capture point drops it".to_owned(),
        why: "no reply to it was captured".to_owned(),
        reject_with: None,
    }
}

fn refusal_verdict(at: &str, r: &Packet) -> Verdict {
    let (with, words) = match &r.icmp {
        Some(i) => (
            match i.code {
                3 => RejectWith::IcmpPortUnreachable,
                1 => RejectWith::IcmpHostUnreachable,
                _ => RejectWith::IcmpAdminProhibited,
            },
            format!("answered with an ICMP {} from {}", i.words(), r.src.ip()),
        ),
        None => (
            RejectWith::TcpReset,
            format!("answered with a TCP reset from {}", r.src),
        ),
    };
    Verdict {
        middlebox: at.to_owned(),
        direction: Direction::Any,
        state: CtState::Untracked,
        action: Action::Reject,
        reason: Reason::Inferred,
        rule_text: words,
        why: String::new(),
        reject_with: Some(with),
    }
}

pub use crate::net::is_private;

/// One user action found in a control conversation.
#[derive(Clone, Debug)]
struct Found {
    name: ActionKind,
    typed: String,
    start: u64,
    end: u64,
    ok: bool,
    reply: Option<u16>,
    detail: String,
}

/// The user's actions, as the commands and replies show them: connect, login, each transfer
/// (from the command that set up its data connection to its final reply), quit.
fn actions(
    x: &Assembly,
    c: &Control,
    at: &dyn Fn(usize, NodeId) -> u64,
    cn: NodeId,
    end: u64,
) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let lines = &c.lines;
    let t = |l: &Line| at(l.cap, cn);
    // connect: from the first packet to the greeting.
    let flow = &x.b.flows[&canon(c.client, c.server)];
    let first = flow.packets.first().map_or(0, |&i| at(i, cn));
    // The greeting, when the capture has it (a capture that starts mid-session does not).
    let greeting = lines
        .iter()
        .take_while(|l| !l.from_client || l.reply.is_some())
        .find(|l| !l.from_client)
        .filter(|g| flow.initiator.is_some() || g.reply.as_ref().is_some_and(|r| r.code == 220));
    if let Some(g) = greeting {
        let code = g.reply.as_ref().map(|r| r.code);
        out.push(Found {
            name: ActionKind::Connect,
            typed: format!("open {}", c.server),
            start: first,
            end: t(g),
            ok: code == Some(220),
            reply: code,
            detail: g.text.clone(),
        });
    }
    let mut k = 0;
    let reply_after = |from: usize| {
        lines[from + 1..]
            .iter()
            .position(|l| !l.from_client && l.reply.as_ref().is_some_and(|r| !r.is_preliminary()))
            .map(|p| from + 1 + p)
    };
    let mut setup: Option<usize> = None;
    while k < lines.len() {
        let l = &lines[k];
        if !l.from_client {
            k += 1;
            continue;
        }
        let v = verb(&l.text);
        match v.as_str() {
            "USER" => {
                let done = lines[k + 1..]
                    .iter()
                    .position(|x| {
                        !x.from_client
                            && x.reply
                                .as_ref()
                                .is_some_and(|r| r.code != 331 && !r.is_preliminary())
                    })
                    .map(|p| k + 1 + p);
                let r = done.and_then(|d| lines[d].reply.clone());
                out.push(Found {
                    name: ActionKind::Login,
                    typed: masked(&l.text),
                    start: t(l),
                    end: done.map_or(end, |d| t(&lines[d])),
                    ok: r.as_ref().is_some_and(|r| r.code == 230),
                    reply: r.as_ref().map(|r| r.code),
                    detail: r.map_or("no reply".into(), |r| r.to_string()),
                });
            }
            "PORT" | "EPRT" | "PASV" | "EPSV" => {
                // A data connection set up but never used means the client gave up on it.
                if let Some(s) = setup.take() {
                    out.push(gave_up(&lines[s], t(&lines[s]), t(l)));
                }
                let r = reply_after(k).and_then(|d| lines[d].reply.clone());
                match r {
                    Some(r) if !r.is_success() => {
                        let d = reply_after(k).unwrap_or(k);
                        out.push(Found {
                            name: ActionKind::DataTransfer,
                            typed: masked(&l.text),
                            start: t(l),
                            end: t(&lines[d]),
                            ok: false,
                            reply: Some(r.code),
                            detail: r.to_string(),
                        });
                    }
                    _ => setup = Some(k),
                }
            }
            "LIST" | "NLST" | "RETR" | "STOR" | "APPE" => {
                let start = setup.take().map_or(t(l), |s| t(&lines[s]));
                let arg = l.text.split_once(' ').map(|(_, a)| a.trim().to_owned());
                let name = match (v.as_str(), arg) {
                    ("RETR", Some(a)) => ActionKind::Get(a),
                    ("STOR" | "APPE", Some(a)) => ActionKind::Put(a),
                    _ => ActionKind::Ls,
                };
                let d = reply_after(k);
                let r = d.and_then(|d| lines[d].reply.clone());
                out.push(Found {
                    name,
                    typed: masked(&l.text),
                    start,
                    end: d.map_or(end, |d| t(&lines[d])),
                    ok: r.as_ref().is_some_and(|r| r.is_success()),
                    reply: r.as_ref().map(|r| r.code),
                    detail: r.map_or("no final reply was captured".into(), |r| r.to_string()),
                });
            }
            "QUIT" => {
                if let Some(s) = setup.take() {
                    out.push(gave_up(&lines[s], t(&lines[s]), t(l)));
                }
                let d = reply_after(k);
                let r = d.and_then(|d| lines[d].reply.clone());
                out.push(Found {
                    name: ActionKind::Quit,
                    typed: "QUIT".into(),
                    start: t(l),
                    end: d.map_or(t(l), |d| t(&lines[d])),
                    ok: true,
                    reply: r.as_ref().map(|r| r.code),
                    detail: r.map_or("closed".into(), |r| r.to_string()),
                });
            }
            _ => {}
        }
        k += 1;
    }
    if let Some(s) = setup {
        out.push(gave_up(&lines[s], t(&lines[s]), end));
    }
    out
}

fn gave_up(l: &Line, start: u64, end: u64) -> Found {
    Found {
        name: ActionKind::DataTransfer,
        typed: masked(&l.text),
        start,
        end,
        ok: false,
        reply: None,
        detail: "the data connection was never used: the client gave up on it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_in_place_keeps_the_order_of_equal_times() {
        let ev = |t: u64, line: &str| Event {
            time: Time::from_micros(t),
            node: NodeId::new(0),
            kind: EventKind::Console {
                line: line.to_owned(),
                shown: crate::trace::Shown::Message,
            },
            conn: None,
            channel: None,
            step: None,
        };
        let mut v = vec![
            ev(5, "a"),
            ev(1, "b"),
            ev(5, "c"),
            ev(0, "d"),
            ev(1, "e"),
            ev(9, "f"),
        ];
        sort_in_place(&mut v);
        let got: Vec<String> = v
            .iter()
            .map(|e| match &e.kind {
                EventKind::Console { line, .. } => line.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(got, ["d", "b", "e", "a", "c", "f"]);
    }

    #[test]
    fn ftp_text_is_told_from_data() {
        assert!(looks_like_ftp(b"220 (vsFTPd 3.0.3)\r\n"));
        assert!(looks_like_ftp(b"220-Welcome\r\n"));
        assert!(looks_like_ftp(b"USER anonymous\r\n"));
        assert!(looks_like_ftp(b"PASV\r\n"));
        assert!(!looks_like_ftp(
            b"-rw-r--r--    1 ftp ftp 6 Jan 01 00:00 a.txt\r\n"
        ));
        assert!(!looks_like_ftp(
            b"drwxr-xr-x    2 ftp ftp 6 Jan 01 00:00 pub\r\n"
        ));
        assert!(!looks_like_ftp(b"Welcome to FTP Lab.\n"));
        assert!(!looks_like_ftp(&[0x16, 0x03, 0x01, 0x02]));
        assert!(!looks_like_ftp(b""));
        // A listing of names is data, not commands.
        assert!(!looks_like_ftp(b"pub\r\nreadme.txt\r\n"));
        assert!(!looks_like_ftp(b"999 nothing\r\n"));
    }
}
