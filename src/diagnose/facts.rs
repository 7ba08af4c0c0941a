//! What a trace shows about one client's failed action: read the same way from a simulation
//! and from a capture. Each fact is data found in the trace (a packet a middlebox stopped, one
//! that went nowhere, a server's note, a reply, an announcement, the SYNs of a data
//! connection); choosing a mechanism and saying it in words is `words`' job.

use crate::ftp::ActionResult;
use crate::ftp::announce::{self, Announcement};
use crate::ftp::command::verb;
use crate::ftp::server::ServerNote;
use crate::ids::{ConnId, NodeId, PacketId};
use crate::time::Time;
use crate::trace::{
    Channel, ClientReport, Connection, Event, EventKind, Note, PacketFate, Trace, Vantage, Verdict,
};
use std::collections::{BTreeMap, BTreeSet};

/// What the facts of every client look up, found in one pass over the trace (so diagnosing
/// N clients costs N lookups, not N passes).
pub struct Index {
    /// (client, action) → when it started and ended.
    windows: BTreeMap<(NodeId, usize), (Time, Time)>,
    /// Each connection's events, in time order.
    by_conn: Vec<Vec<usize>>,
    /// Each client's data connections, in order.
    data: BTreeMap<NodeId, Vec<ConnId>>,
    /// Clients whose control connection switched to TLS.
    encrypted: BTreeSet<NodeId>,
    end: Time,
}

impl Index {
    pub fn new(trace: &Trace) -> Index {
        let mut ix = Index {
            windows: BTreeMap::new(),
            by_conn: vec![Vec::new(); trace.connections.len()],
            data: BTreeMap::new(),
            encrypted: BTreeSet::new(),
            end: trace.events.last().map_or(Time::ZERO, |e| e.time),
        };
        ix.windows = trace.action_windows();
        for (i, e) in trace.events.iter().enumerate() {
            if let Some(c) = e.conn.and_then(|c| ix.by_conn.get_mut(c.index())) {
                c.push(i);
            }
            if let EventKind::Note {
                note: Note::Encrypted,
            } = &e.kind
            {
                ix.encrypted.insert(e.node);
            }
        }
        for c in &trace.connections {
            if let (Channel::Data, Some(n)) = (c.channel, c.client) {
                ix.data.entry(n).or_default().push(c.id);
            }
        }
        ix
    }

    /// `client`'s data connections, in order.
    pub fn data_of(&self, client: NodeId) -> &[ConnId] {
        self.data.get(&client).map_or(&[], Vec::as_slice)
    }

    /// Whether `client`'s control connection switched to TLS.
    pub fn encrypted(&self, client: NodeId) -> bool {
        self.encrypted.contains(&client)
    }

    /// When `client`'s action `index` started and ended (the run's end when it never did).
    fn window(&self, client: NodeId, index: usize) -> (Time, Time) {
        self.windows
            .get(&(client, index))
            .copied()
            .unwrap_or((Time::ZERO, self.end))
    }
}

/// One client's failed action and where to look for its reasons.
pub struct Facts<'a> {
    pub trace: &'a Trace,
    ix: &'a Index,
    pub client: NodeId,
    pub failed: &'a ActionResult,
    /// From the start of the failed action to its end.
    pub window: (Time, Time),
    /// Where a capture was taken (`None`: a simulation).
    pub vantage: Option<Vantage>,
}

/// A packet of the client's that a middlebox stopped.
pub struct Stopped<'a> {
    pub packet: PacketId,
    pub verdict: &'a Verdict,
    pub rejected: bool,
    /// The RST or ICMP error sent back, for a reject.
    pub reply: Option<PacketId>,
}

/// An announcement the client sent or read in the window.
pub struct Announced {
    /// As written on the wire (`PORT 10,0,0,5,…`, or `227 …` for a reply).
    pub line: String,
    pub active: bool,
    pub parsed: Option<Announcement>,
}

impl<'a> Facts<'a> {
    /// The facts of client `c`'s first failed action, if one failed.
    pub fn of(trace: &'a Trace, ix: &'a Index, c: &'a ClientReport) -> Option<Facts<'a>> {
        let failed = c.actions.iter().find(|a| !a.ok)?;
        Some(Facts {
            trace,
            ix,
            client: c.node,
            failed,
            window: ix.window(c.node, failed.index),
            vantage: trace.vantage(),
        })
    }

    /// The events of connection `c`, in time order.
    fn conn_events(&self, c: ConnId) -> impl Iterator<Item = &'a Event> + '_ {
        let idx: &'a [usize] = self.ix.by_conn.get(c.index()).map_or(&[], Vec::as_slice);
        idx.iter().map(|&i| &self.trace.events[i])
    }

    /// The events in the window (events are in time order).
    pub fn events(&self) -> &'a [Event] {
        let (start, stop) = self.window;
        let ev = &self.trace.events;
        let a = ev.partition_point(|e| e.time < start);
        let b = ev.partition_point(|e| e.time <= stop);
        &ev[a..b.max(a)]
    }

    fn mine(&self, conn: Option<ConnId>) -> bool {
        conn.and_then(|c| self.trace.conn(c))
            .is_some_and(|c| c.client == Some(self.client))
    }

    /// The packet events on the client's connections in the window.
    pub fn packets(&self) -> impl Iterator<Item = (&'a Event, PacketId, &'a PacketFate)> + '_ {
        self.events()
            .iter()
            .filter(|e| self.mine(e.conn))
            .filter_map(|e| match &e.kind {
                EventKind::Packet { packet, fate } => Some((e, *packet, fate)),
                _ => None,
            })
    }

    /// The first packet a middlebox stopped, a data connection's before any other.
    pub fn stopped(&self) -> Option<Stopped<'a>> {
        let stopped: Vec<Stopped> = self
            .packets()
            .filter_map(|(_, packet, f)| match f {
                PacketFate::Dropped { verdict } => Some(Stopped {
                    packet,
                    verdict,
                    rejected: false,
                    reply: None,
                }),
                PacketFate::Rejected { verdict, reply } => Some(Stopped {
                    packet,
                    verdict,
                    rejected: true,
                    reply: Some(*reply),
                }),
                _ => None,
            })
            .collect();
        let data = stopped.iter().position(|s| self.is_data(s.packet));
        let k = data.unwrap_or(0);
        stopped.into_iter().nth(k)
    }

    fn is_data(&self, p: PacketId) -> bool {
        let pk = self.trace.packet(p);
        self.trace
            .connections
            .iter()
            .any(|c| c.channel == Channel::Data && c.has_tuple(pk.src, pk.dst))
    }

    /// The first of the client's packets that went nowhere, and why.
    pub fn unroutable(&self) -> Option<(PacketId, &'a str)> {
        self.packets().find_map(|(_, p, f)| match f {
            PacketFate::Unroutable { why, .. } => Some((p, &**why)),
            _ => None,
        })
    }

    /// The ICMP error the box answered the first unroutable packet with, if it answered.
    pub fn unroutable_reply(&self) -> Option<PacketId> {
        self.packets().find_map(|(_, _, f)| match f {
            PacketFate::Unroutable { reply, .. } => Some(*reply),
            _ => None,
        })?
    }

    /// The first note a server made about this client's session in the window that `pick`
    /// takes.
    pub fn server_note(&self, pick: impl Fn(&ServerNote) -> bool) -> Option<&'a ServerNote> {
        self.events()
            .iter()
            .filter(|e| self.mine(e.conn))
            .find_map(|e| match &e.kind {
                EventKind::Note {
                    note: Note::Server(n),
                } if pick(n) => Some(n),
                _ => None,
            })
    }

    /// The control connection's switch to TLS was seen (a capture).
    pub fn encrypted(&self) -> bool {
        self.ix.encrypted.contains(&self.client)
    }

    /// The connection `a`–`b` belongs to.
    pub fn conn_of(&self, p: PacketId) -> Option<&'a Connection> {
        let pk = self.trace.packet(p);
        self.trace
            .connections
            .iter()
            .find(|c| c.has_tuple(pk.src, pk.dst))
    }

    /// The times the initiator sent a SYN of connection `c` (retransmissions included).
    pub fn syn_times(&self, c: &Connection) -> Vec<Time> {
        self.conn_events(c.id)
            .filter_map(|e| match &e.kind {
                EventKind::Packet {
                    packet,
                    fate: PacketFate::Sent { .. },
                } => {
                    let p = self.trace.packet(*packet);
                    (p.flags.syn && !p.flags.ack).then_some(e.time)
                }
                _ => None,
            })
            .collect()
    }

    /// The client's control connection.
    pub fn control(&self) -> Option<&'a Connection> {
        self.trace
            .connections
            .iter()
            .find(|k| k.channel == Channel::Control && k.client == Some(self.client))
    }

    /// The data connection set up in the window (the last one with an event in it).
    pub fn data_conn(&self) -> Option<&'a Connection> {
        let (a, b) = self.window;
        let mine: &[ConnId] = self.ix.data.get(&self.client).map_or(&[], Vec::as_slice);
        mine.iter()
            .rev()
            .find(|k| self.conn_events(**k).any(|e| e.time >= a && e.time <= b))
            .and_then(|k| self.trace.conn(*k))
    }

    /// Whether connection `c`'s SYN was answered by a SYN-ACK.
    pub fn answered(&self, c: &Connection) -> bool {
        self.conn_events(c.id).any(|e| {
            matches!(&e.kind, EventKind::Packet { packet, .. }
                if { let p = self.trace.packet(*packet); p.flags.syn && p.flags.ack })
        })
    }

    /// The announcement made in the window: the client's PORT or EPRT, or the 227 or 229 it
    /// read.
    pub fn announcement(&self) -> Option<Announced> {
        self.events().iter().find_map(|e| {
            if e.node != self.client {
                return None;
            }
            let (line, active) = match &e.kind {
                EventKind::FtpCommand { line, sent: true }
                    if matches!(verb(line).as_str(), "PORT" | "EPRT") =>
                {
                    (line.clone(), true)
                }
                EventKind::FtpReply {
                    code: code @ (227 | 229),
                    text,
                    sent: false,
                } => (format!("{code} {text}"), false),
                _ => return None,
            };
            let parsed = announce::parse_line(&line, active).and_then(Result::ok);
            Some(Announced {
                line,
                active,
                parsed,
            })
        })
    }
}
