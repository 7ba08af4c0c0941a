//! The recorder: builds the trace as the run goes. It numbers packets (one id per version of
//! the bytes, one journey per packet however often it is rewritten), keeps one connection per
//! TCP connection whatever 4-tuple it has on each side of a NAT, reads the announcements
//! (PORT/EPRT/227/229, through `ftp::announce`) on every version of every control packet, and
//! gives each new data connection the announcement it matches: that, not a port number, is
//! what makes a connection a data connection, and says its mode and its client.

use crate::ftp::Mode;
use crate::ftp::announce;
use crate::ids::{ConnId, JourneyId, NodeId, PacketId};
use crate::time::Time;
use crate::trace::{Announced, Change, Channel, Connection, Event, EventKind, Packet, PacketFate};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

type Tuple = (SocketAddrV4, SocketAddrV4);

fn key(a: SocketAddrV4, b: SocketAddrV4) -> Tuple {
    if (a.ip().octets(), a.port()) <= (b.ip().octets(), b.port()) {
        (a, b)
    } else {
        (b, a)
    }
}

/// What kind of host is at an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostRole {
    Client,
    Server,
}

#[derive(Default)]
pub struct Recorder {
    pub events: Vec<Event>,
    pub packets: Vec<Packet>,
    pub conns: Vec<Connection>,
    /// The connection of each packet version.
    packet_conn: Vec<Option<ConnId>>,
    index: BTreeMap<Tuple, ConnId>,
    /// The latest announcement of each target address, as some hop saw it.
    announced: BTreeMap<SocketAddrV4, Announced>,
    /// The hosts: their node and role, by address.
    pub hosts: BTreeMap<Ipv4Addr, (NodeId, HostRole)>,
    journeys: u32,
}

impl Recorder {
    pub fn conn_of(&self, p: PacketId) -> Option<ConnId> {
        self.packet_conn.get(p.index()).copied().flatten()
    }

    pub fn lookup(&self, a: SocketAddrV4, b: SocketAddrV4) -> Option<ConnId> {
        self.index.get(&key(a, b)).copied()
    }

    fn new_conn(
        &mut self,
        initiator: SocketAddrV4,
        responder: SocketAddrV4,
        channel: Channel,
    ) -> ConnId {
        let id = ConnId::new(self.conns.len());
        self.conns.push(Connection {
            id,
            channel,
            client: None,
            initiator,
            responder,
            translated: Vec::new(),
            mode: None,
            announced: None,
        });
        self.index.insert(key(initiator, responder), id);
        id
    }

    /// A host at `node` starts a connection from `local` to `remote`.
    pub fn opening(
        &mut self,
        node: NodeId,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        control: bool,
    ) -> ConnId {
        if let Some(c) = self.lookup(local, remote) {
            // A port used again after the old connection closed: a new connection.
            if self.conns[c.index()].initiator == local {
                self.index.remove(&key(local, remote));
            }
        }
        let channel = if control {
            Channel::Control
        } else {
            Channel::Data
        };
        let id = self.new_conn(local, remote, channel);
        let role = self.hosts.get(local.ip()).map(|(_, r)| *r);
        let announced = if control {
            None
        } else {
            self.announced.get(&remote).cloned()
        };
        let mode = match (&announced, control) {
            (_, true) => None,
            (Some(a), false) if a.kind.active() => Some(Mode::Active),
            (Some(_), false) => Some(Mode::Passive),
            (None, false) if role == Some(HostRole::Server) => Some(Mode::Active),
            (None, false) => Some(Mode::Passive),
        };
        let client = match &announced {
            Some(a) => self.conns[a.control.index()].client,
            None if control || role == Some(HostRole::Client) => Some(node),
            None => None,
        };
        let conn = &mut self.conns[id.index()];
        conn.mode = mode;
        conn.client = client;
        conn.announced = announced;
        id
    }

    /// Numbers a new packet version. `from`: the version it was rewritten from (same journey,
    /// same connection), with what changed; `None` for a packet a node made itself.
    pub fn packet(
        &mut self,
        bytes: Vec<u8>,
        from: Option<(PacketId, Vec<Change>)>,
    ) -> Option<PacketId> {
        let mut p = crate::net::decode(&bytes, false).ok()?;
        let id = PacketId::new(self.packets.len());
        p.id = id;
        let conn = match &from {
            Some((prev, _)) => {
                let c = self.conn_of(*prev);
                if let Some(c) = c {
                    self.alias(c, *prev, &p);
                }
                c
            }
            // An ICMP error belongs to the connection of the segment it quotes.
            None => match p.icmp.as_ref().and_then(|i| i.quoted) {
                Some((a, b)) => self.lookup(a, b),
                None if p.icmp.is_some() => None,
                None => self.lookup(p.src, p.dst).or_else(|| self.stray(&p)),
            },
        };
        p.journey = match &from {
            Some((prev, _)) => self.packets[prev.index()].journey,
            None => {
                self.journeys += 1;
                JourneyId(self.journeys - 1)
            }
        };
        if let Some((prev, changes)) = from {
            p.prev = Some(prev);
            p.changes = changes;
        }
        if let Some(c) = conn
            && self.conns[c.index()].channel == Channel::Control
            && p.payload_len > 0
        {
            p.ftp_text = crate::net::decode(&bytes, true)
                .ok()
                .and_then(|d| d.ftp_text);
        }
        self.packets.push(p);
        self.packet_conn.push(conn);
        if let Some(c) = conn {
            self.read_announcements(id, c);
        }
        Some(id)
    }

    /// A packet no host opened a connection for (a reset for nothing, a stray segment).
    fn stray(&mut self, p: &Packet) -> Option<ConnId> {
        if p.flags.syn && !p.flags.ack {
            Some(self.new_conn(p.src, p.dst, Channel::Data))
        } else {
            None
        }
    }

    /// The rewritten packet `p` (made from `prev`) shows connection `c` with another 4-tuple.
    fn alias(&mut self, c: ConnId, prev: PacketId, p: &Packet) {
        let k = key(p.src, p.dst);
        if self.index.get(&k) == Some(&c) {
            return;
        }
        self.index.insert(k, c);
        let old = &self.packets[prev.index()];
        let conn = &self.conns[c.index()];
        let from_initiator = conn.from_initiator(old.src, old.dst);
        let t = if from_initiator {
            (p.src, p.dst)
        } else {
            (p.dst, p.src)
        };
        if (t.0, t.1) != (conn.initiator, conn.responder) {
            self.conns[c.index()].translated.push(t);
        }
    }

    fn read_announcements(&mut self, id: PacketId, c: ConnId) {
        let p = &self.packets[id.index()];
        let Some(text) = &p.ftp_text else { return };
        let conn = &self.conns[c.index()];
        let from_client = conn.from_initiator(p.src, p.dst);
        let found: Vec<Announced> = text
            .lines()
            .filter_map(|l| announce::parse_line(l, from_client)?.ok())
            .map(|a| Announced {
                target: a.target(*p.src.ip()),
                kind: a.kind,
                packet: id,
                control: c,
            })
            .collect();
        for a in found {
            self.announced.insert(a.target, a);
        }
    }

    pub fn push(&mut self, time: Time, node: NodeId, kind: EventKind, conn: Option<ConnId>) {
        let channel = conn
            .and_then(|c| self.conns.get(c.index()))
            .map(|c| c.channel);
        self.events.push(Event {
            time,
            node,
            kind,
            conn,
            channel,
            step: None,
        });
    }

    pub fn packet_event(&mut self, time: Time, node: NodeId, packet: PacketId, fate: PacketFate) {
        let conn = self.conn_of(packet);
        self.push(time, node, EventKind::Packet { packet, fate }, conn);
    }
}
