//! Step 2: each control connection's two byte streams are reassembled in sequence order
//! (retransmissions and overlaps counted once, a gap skipped) and split into command lines
//! and replies (multi-line replies through the same `ReplyParser` the client uses). After a
//! `234` to `AUTH` the stream is TLS: nothing more can be read.

use super::flows::{Builder, FlowKind};
use super::{Key, MAX_LINE};
use crate::ftp::command::verb;
use crate::ftp::{Reply, ReplyParser};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// A line of a control connection: which packet completed it, which way it went.
#[derive(Clone, Debug)]
pub(super) struct Line {
    pub cap: usize,
    pub from_client: bool,
    pub text: String,
    pub reply: Option<Reply>,
    /// The capture's snap length cut the line: its end was never captured.
    pub cut: bool,
}

pub(super) struct Control {
    pub client: SocketAddrV4,
    pub server: SocketAddrV4,
    pub lines: Vec<Line>,
    /// AUTH TLS was accepted: what follows is encrypted.
    pub encrypted: bool,
    pub conn: usize,
}

pub(super) struct Data {
    pub initiator: SocketAddrV4,
    pub responder: SocketAddrV4,
    /// The control connection (index in `controls`) and the announcement.
    pub control: Option<usize>,
    pub announced: Option<(crate::ftp::announce::Kind, SocketAddrV4, usize)>,
}

/// The capture being explained: its flows, and the FTP sessions found in them.
pub(super) struct Assembly {
    pub b: Builder,
    pub controls: Vec<Control>,
    pub datas: Vec<Data>,
    /// Flow key → connection index.
    pub conn_of: BTreeMap<Key, usize>,
    pub not_ftp: u64,
    /// The lower port of each text conversation that was not FTP's.
    pub other_text: Vec<u16>,
}

impl Assembly {
    pub fn new(b: Builder) -> Assembly {
        let not_ftp = b.not_ftp;
        Assembly {
            b,
            controls: Vec::new(),
            datas: Vec::new(),
            conn_of: BTreeMap::new(),
            not_ftp,
            other_text: Vec::new(),
        }
    }

    pub fn payload(&self, cap: usize) -> &[u8] {
        let c = &self.b.caps[cap];
        self.b.pkts[cap]
            .bytes
            .get(c.payload_at..c.payload_at + c.present)
            .unwrap_or(&[])
    }

    /// The client's side of a control flow: the SYN's sender; without a SYN, the side whose
    /// first line is not a reply.
    fn client_side(&self, key: &Key) -> SocketAddrV4 {
        let flow = &self.b.flows[key];
        let (a, b) = *key;
        if let Some(i) = flow.initiator {
            return i;
        }
        let first_reply_from = flow.packets.iter().find_map(|&c| {
            let p = self.payload(c);
            (p.len() >= 4 && p[..3].iter().all(u8::is_ascii_digit)).then_some(self.b.pkts[c].src)
        });
        match first_reply_from {
            Some(s) if s == a => b,
            _ => a,
        }
    }

    /// Finds the control connections and reads their lines.
    pub fn control(&mut self) {
        let keys: Vec<Key> = self
            .b
            .flows
            .iter()
            .filter(|(_, f)| f.kind == FlowKind::Control)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let client = self.client_side(&key);
            let server = if client == key.0 { key.1 } else { key.0 };
            let mut lines = self.read_stream(&key, client, true);
            lines.extend(self.read_stream(&key, server, false));
            if !is_ftp(&lines) {
                // Text, but not FTP's (an SMTP session opens with 220 too): counted as not FTP
                // when no FTP session claims it (`pair`).
                if let Some(f) = self.b.flows.get_mut(&key) {
                    f.kind = FlowKind::Other;
                }
                self.other_text.push(key.1.port().min(key.0.port()));
                continue;
            }
            lines.sort_by_key(|l: &Line| (self.b.caps[l.cap].t, l.cap, !l.from_client));
            let (keep, encrypted) = until_tls(lines);
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
        order.sort_unstable();
        let mut lines = Lines::new(from_client);
        for (off, cap) in order {
            let whole = self.b.pkts[cap].payload_len;
            lines.segment(u64::from(off), cap, self.payload(cap), whole);
        }
        lines.out
    }
}

/// Commands only FTP has (RFC 959, 2228, 2428, 3659), and replies only FTP gives: a text
/// conversation with one of them is FTP's control connection. (QUIT, NOOP, HELP, AUTH and the
/// 220 greeting are shared with SMTP and others, so they do not tell.)
const FTP_VERBS: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "CDUP", "PORT", "PASV", "EPRT", "EPSV", "TYPE", "STRU", "MODE",
    "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE", "RMD", "MKD",
    "PWD", "XPWD", "LIST", "NLST", "SYST", "FEAT", "SIZE", "MDTM", "MLSD", "MLST", "PBSZ", "PROT",
    "CCC",
];
const FTP_CODES: &[u16] = &[
    125, 150, 200, 202, 212, 213, 215, 225, 226, 227, 228, 229, 230, 234, 257, 331, 332, 350, 425,
    426, 532,
];

fn is_ftp(lines: &[Line]) -> bool {
    lines.iter().any(|l| {
        if l.from_client {
            FTP_VERBS.contains(&verb(&l.text).as_str())
        } else {
            l.reply
                .as_ref()
                .is_some_and(|r| FTP_CODES.contains(&r.code))
        }
    })
}

/// The lines up to the switch to TLS (a `234` to `AUTH`), and whether it came.
fn until_tls(lines: Vec<Line>) -> (Vec<Line>, bool) {
    let mut auth = false;
    let mut keep = Vec::new();
    for l in lines {
        if l.from_client && verb(&l.text) == "AUTH" {
            auth = true;
        }
        let tls = !l.from_client && auth && l.reply.as_ref().is_some_and(|r| r.code == 234);
        keep.push(l);
        if tls {
            return (keep, true);
        }
    }
    (keep, false)
}

/// One direction's bytes, in order, cut into lines.
struct Lines {
    from_client: bool,
    /// The next byte expected (offset from the stream's start).
    next: u64,
    buf: Vec<u8>,
    parser: ReplyParser,
    out: Vec<Line>,
}

impl Lines {
    fn new(from_client: bool) -> Lines {
        Lines {
            from_client,
            next: 0,
            buf: Vec::new(),
            parser: ReplyParser::default(),
            out: Vec::new(),
        }
    }

    /// The segment at `off` that packet `cap` carried: `data`, the first bytes of its `whole`.
    fn segment(&mut self, off: u64, cap: usize, data: &[u8], whole: usize) {
        let (start, end) = (off, off + data.len() as u64);
        if end <= self.next {
            return; // a retransmission of what was read
        }
        if start > self.next {
            // Bytes never captured: the line in progress is lost.
            self.buf.clear();
            self.parser = ReplyParser::default();
        }
        let fresh = &data[(self.next.saturating_sub(start) as usize).min(data.len())..];
        self.next = end;
        for chunk in fresh.split_inclusive(|&b| b == b'\n') {
            if self.buf.len() < MAX_LINE {
                let room = MAX_LINE - self.buf.len();
                self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            if chunk.last() == Some(&b'\n') {
                self.line(cap, false);
            }
        }
        if data.len() < whole && !self.buf.is_empty() {
            // The snap length cut this segment: what it shows of the line is all there is.
            self.buf.extend_from_slice(b"\r\n");
            self.line(cap, true);
            self.parser = ReplyParser::default();
        }
    }

    fn line(&mut self, cap: usize, cut: bool) {
        let raw = std::mem::take(&mut self.buf);
        let text = String::from_utf8_lossy(&raw)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        let reply = if self.from_client {
            None
        } else {
            self.parser
                .feed(&raw)
                .into_iter()
                .filter_map(Result::ok)
                .next_back()
        };
        self.out.push(Line {
            cap,
            from_client: self.from_client,
            text,
            reply,
            cut,
        });
    }
}
