//! The trace: the one record of a run that every view reads (GUI, CLI, JSON, pcap), whether
//! it came from the simulator or from a real capture (`source` says which).
//!
//! Plain serde data with no link back to the simulator: packets (raw IPv4 bytes plus their
//! decoded headers, one entry per version of the bytes: a NAT that rewrites a packet makes a
//! new version of the same journey), every event at every node in time order, the
//! connections (one per TCP connection, with the 4-tuples it has on each side of a NAT, and
//! the announcement that opened it when it is a data connection), the middleboxes' counters,
//! each client's results and outcome, and the overall outcome in plain words. `classify` tags
//! events with the four-step handshake; `diagnose` writes the outcomes. Nothing here reads a
//! clock or touches the network.

pub mod classify;

use crate::ftp::announce::Kind;
use crate::ftp::server::ServerNote;
use crate::ftp::{ActionKind, ActionResult, Mode};
pub use crate::ids::{ConnId, JourneyId, LinkId, NodeId, PacketId};
use crate::rules::Action;
pub use crate::rules::Verdict;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Where a trace came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Simulated from a scenario.
    Simulated,
    /// Read from a capture file, taken at `vantage` (a host's side, or unknown). `other`: what
    /// a capture with no FTP in it holds instead.
    Captured {
        file: String,
        vantage: Vantage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        other: Option<NotFtp>,
    },
}

/// What a capture holds when it has no FTP conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotFtp {
    /// Its TCP connections.
    pub flows: usize,
    /// The ports of text conversations that are not FTP's (an SMTP session's 25).
    pub text_ports: Vec<u16>,
}

/// Where the capture point sits between client and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vantage {
    Client,
    Server,
    /// Between the two, or on a loopback that sees both ends at once.
    Between,
    /// No handshake was captured (the capture starts mid-session).
    Unknown,
}

impl Vantage {
    pub fn words(self) -> &'static str {
        match self {
            Vantage::Client => "on the client's side",
            Vantage::Server => "on the server's side",
            Vantage::Between => "between the two (or on a loopback that sees both ends)",
            Vantage::Unknown => {
                "at an unknown point (no handshake of the control connection was captured)"
            }
        }
    }
}

/// Everything that happened in one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub source: Source,
    pub title: String,
    pub seed: u64,
    /// Which SYN back-off the hosts' TCP uses, in words (it is smoltcp's).
    pub tcp_profile: String,
    pub nodes: Vec<NodeInfo>,
    pub links: Vec<LinkInfo>,
    /// Every version of every packet, indexed by `PacketId`.
    pub packets: Vec<Packet>,
    pub connections: Vec<Connection>,
    pub events: Vec<Event>,
    pub firewalls: Vec<FirewallReport>,
    pub nats: Vec<NatReport>,
    /// Each client's actions and outcome, in node order.
    pub clients: Vec<ClientReport>,
    /// All clients together: success when every client succeeded.
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Client,
    Server,
    Firewall,
    Router,
    Nat,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub kind: NodeKind,
    /// A host's address; a NAT's public address.
    pub address: Option<Ipv4Addr>,
    /// For a firewall: the node on its protected side.
    pub protects: Option<String>,
    /// For a NAT: its neighbours on the inside (the private side).
    #[serde(default)]
    pub inside: Vec<NodeId>,
    /// For a simulated client: what its user's screen is ("FileZilla's message log").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub a: NodeId,
    pub b: NodeId,
    pub delay_us: u64,
}

/// A box forwarded this version on unchanged: one routed hop off its TTL (a rewritten packet
/// travels on as a new version, which carries the lowered TTL in its bytes).
fn is_hop(fate: &PacketFate) -> bool {
    matches!(
        fate,
        PacketFate::Forwarded {
            rewritten: None,
            ..
        }
    )
}

impl Trace {
    /// Each event's packet TTL as it was at that node: the version's TTL (as its sender, or
    /// the box that rewrote it, sent it) less one for every box that forwarded that version
    /// before (every router, firewall and NAT here is a router). 0 for events without a
    /// packet. One pass.
    pub fn seen_ttls(&self) -> Vec<u8> {
        let mut hops: BTreeMap<PacketId, u8> = BTreeMap::new();
        self.events
            .iter()
            .map(|e| {
                let EventKind::Packet { packet, fate } = &e.kind else {
                    return 0;
                };
                let h = hops.get(packet).copied().unwrap_or(0);
                if is_hop(fate) {
                    hops.insert(*packet, h.saturating_add(1));
                }
                self.packets[*packet].ttl.saturating_sub(h)
            })
            .collect()
    }

    /// The TTL of event `i`'s packet at its node (see `seen_ttls`).
    pub fn ttl_at(&self, i: usize) -> Option<u8> {
        let EventKind::Packet { packet, .. } = &self.events.get(i)?.kind else {
            return None;
        };
        let before = self.events[..i]
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Packet { packet: q, fate } if q == packet && is_hop(fate)))
            .count();
        Some(
            self.packets[*packet]
                .ttl
                .saturating_sub(u8::try_from(before).unwrap_or(u8::MAX)),
        )
    }

    /// The title over client `node`'s terminal: what its program shows, or "The user's
    /// terminal" (a capture's client).
    pub fn screen_of(&self, node: NodeId) -> &str {
        self.nodes
            .get(node.index())
            .and_then(|n| n.screen.as_deref())
            .unwrap_or("The user's terminal")
    }
}

impl LinkInfo {
    /// The node at the other end from `n`.
    pub fn other(&self, n: NodeId) -> NodeId {
        if self.a == n { self.b } else { self.a }
    }
}

/// TCP flags of a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (on, name) in [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
        ] {
            if on {
                parts.push(name);
            }
        }
        f.write_str(&parts.join("-"))
    }
}

/// What a middlebox changed in a packet, in words: `IPv4 source: 10.0.0.5 → 198.51.100.2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub what: String,
    pub before: String,
    pub after: String,
}

/// One version of an IPv4/TCP packet: its bytes as they were on the links between two
/// rewrites (usually the same from sender to receiver).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    pub id: PacketId,
    /// The journey it belongs to: all versions of one packet share it.
    pub journey: JourneyId,
    /// The version it was rewritten from, and what changed (at a NAT).
    pub prev: Option<PacketId>,
    pub changes: Vec<Change>,
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub flags: Flags,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub payload_len: usize,
    pub ttl: u8,
    pub ip_checksum: u16,
    pub tcp_checksum: u16,
    /// The FTP text carried, for control-connection packets with payload.
    pub ftp_text: Option<String>,
    /// An ICMP message instead of TCP (then `src`/`dst` carry port 0, and `tcp_checksum` is
    /// the ICMP checksum).
    #[serde(default)]
    pub icmp: Option<Icmp>,
    /// In a real capture: its frame number in the file (counted from 1, as Wireshark does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
}

/// An ICMP message: a destination unreachable quoting the TCP segment it answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Icmp {
    pub kind: u8,
    pub code: u8,
    /// The quoted segment's source and destination (the connection it is about).
    pub quoted: Option<(SocketAddrV4, SocketAddrV4)>,
}

impl Icmp {
    /// "port unreachable", "administratively prohibited".
    pub fn words(&self) -> String {
        match (self.kind, self.code) {
            (3, 0) => "net unreachable".to_owned(),
            (3, 1) => "host unreachable".to_owned(),
            (3, 3) => "port unreachable".to_owned(),
            (3, 9 | 10 | 13) => "administratively prohibited".to_owned(),
            (3, c) => format!("destination unreachable (code {c})"),
            (11, _) => "time exceeded".to_owned(),
            (t, c) => format!("type {t} code {c}"),
        }
    }
}

impl Packet {
    /// `SYN 203.0.113.10:20 → 198.51.100.7:50123`, `PORT 198,51,100,7,195,211`, `data 180 bytes`,
    /// `ICMP port unreachable for 203.0.113.10:20 → 198.51.100.7:50123`.
    pub fn summary(&self) -> String {
        if let Some(i) = &self.icmp {
            return match i.quoted {
                Some((a, b)) => format!("ICMP {} for {a} → {b}", i.words()),
                None => format!("ICMP {} {} → {}", i.words(), self.src.ip(), self.dst.ip()),
            };
        }
        match &self.ftp_text {
            Some(t) => t.lines().next().unwrap_or("").to_owned(),
            None if self.payload_len > 0 => {
                format!("{} data {} bytes", self.flags, self.payload_len)
            }
            None => format!("{} {} → {}", self.flags, self.src, self.dst),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Control,
    Data,
}

/// The announcement that opened a data connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announced {
    pub kind: Kind,
    /// Where it told the other side to connect (for 229: the control peer's address).
    pub target: SocketAddrV4,
    /// The packet (version) whose text the data connection's first SYN matches.
    pub packet: PacketId,
    /// The control connection it was made on.
    pub control: ConnId,
}

/// A TCP connection seen in the run: one connection on both sides of a NAT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnId,
    pub channel: Channel,
    /// The FTP client it belongs to.
    pub client: Option<NodeId>,
    /// The side that sent the first SYN, and where to, as its sender wrote them.
    pub initiator: SocketAddrV4,
    pub responder: SocketAddrV4,
    /// The same connection's (initiator, responder) as seen on the other sides of NATs.
    pub translated: Vec<(SocketAddrV4, SocketAddrV4)>,
    /// For a data connection: active when the server initiated it, passive otherwise.
    pub mode: Option<Mode>,
    /// For a data connection: the PORT/EPRT/227/229 that announced it.
    pub announced: Option<Announced>,
}

impl Connection {
    /// True when a packet from `src` to `dst` travels from the initiator's side.
    pub fn from_initiator(&self, src: SocketAddrV4, dst: SocketAddrV4) -> bool {
        std::iter::once((self.initiator, self.responder))
            .chain(self.translated.iter().copied())
            .any(|t| t == (src, dst))
    }

    /// True when `a`–`b` (either way round) is this connection, on any side of a NAT.
    pub fn has_tuple(&self, a: SocketAddrV4, b: SocketAddrV4) -> bool {
        std::iter::once((self.initiator, self.responder))
            .chain(self.translated.iter().copied())
            .any(|(i, r)| (i, r) == (a, b) || (i, r) == (b, a))
    }
}

/// A step of the four-step handshake of one mode (numbered as in the seed article).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub mode: Mode,
    pub n: u8,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = match self.mode {
            Mode::Active => "active",
            Mode::Passive => "passive",
        };
        write!(f, "{m} step {}", self.n)
    }
}

/// What happened to a packet at a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PacketFate {
    /// Left its origin host on `link`.
    Sent { link: LinkId },
    /// Passed a middlebox and left on `link` (the verdict of a firewall; the new version when
    /// a NAT rewrote it).
    Forwarded {
        link: LinkId,
        verdict: Option<Box<Verdict>>,
        rewritten: Option<PacketId>,
    },
    /// Arrived at its destination host.
    Delivered,
    /// Silently discarded by a middlebox.
    Dropped { verdict: Box<Verdict> },
    /// Refused by a middlebox, which answered with the packet `reply` (a TCP RST or an ICMP destination unreachable).
    Rejected {
        verdict: Box<Verdict>,
        reply: PacketId,
    },
    /// No route onward from this node; `reply` is the ICMP error the node answered with, if
    /// it answered (a router's net unreachable).
    Unroutable {
        why: Box<str>,
        #[serde(default)]
        reply: Option<PacketId>,
    },
}

impl PacketFate {
    /// The middlebox's decision on the packet, if one decided.
    pub fn verdict(&self) -> Option<&Verdict> {
        match self {
            PacketFate::Forwarded { verdict, .. } => verdict.as_deref(),
            PacketFate::Dropped { verdict } | PacketFate::Rejected { verdict, .. } => Some(verdict),
            _ => None,
        }
    }

    pub fn verdict_mut(&mut self) -> Option<&mut Verdict> {
        match self {
            PacketFate::Forwarded { verdict, .. } => verdict.as_deref_mut(),
            PacketFate::Dropped { verdict } | PacketFate::Rejected { verdict, .. } => Some(verdict),
            _ => None,
        }
    }
}

/// What an event is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    Packet {
        packet: PacketId,
        fate: PacketFate,
    },
    /// A TCP state change.
    TcpState {
        local: SocketAddrV4,
        remote: SocketAddrV4,
        from: TcpState,
        to: TcpState,
    },
    /// An FTP command line: sent by the client, or received by the server.
    FtpCommand {
        line: String,
        sent: bool,
    },
    /// An FTP reply: sent by the server, or received by the client.
    FtpReply {
        code: u16,
        text: String,
        sent: bool,
    },
    /// A line on the user's terminal.
    Console {
        line: String,
        shown: Shown,
    },
    ActionStarted {
        index: usize,
        typed: String,
    },
    ActionFinished {
        result: Box<ActionResult>,
    },
    /// A host's own remark (a server note such as "the data connection was refused").
    Note {
        note: Note,
    },
}

/// A remark in the trace, as data (the diagnosis matches on the variants; `Display` gives
/// the words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    /// A server session's remark.
    Server(ServerNote),
    /// An ICMP destination unreachable from `from` about the connection `ours` → `theirs`
    /// failed its connect at `host` (what Linux's `tcp_v4_err` does in SYN-SENT).
    IcmpAbort {
        host: String,
        icmp: Icmp,
        from: Ipv4Addr,
        ours: SocketAddrV4,
        theirs: SocketAddrV4,
    },
    /// A host could not even start a connection (`data`: a data connection).
    ConnectFailed { data: bool, error: String },
    /// The simulator stopped the run at its event limit.
    RunStopped { events: usize },
    /// A capture's control connection switched to TLS (AUTH TLS accepted).
    Encrypted,
    /// FTP Lab broke one of its own rules (a bug to report); tests fail on it.
    Internal { what: String },
}

impl Icmp {
    /// What a SYN-SENT connect fails with on Linux when this arrives.
    pub fn connect_errno(&self) -> &'static str {
        match (self.kind, self.code) {
            (3, 2 | 3) => "ECONNREFUSED (Connection refused)",
            // Linux's icmp_err_convert: net unreachable, unknown net, net prohibited.
            (3, 0 | 6 | 9) => "ENETUNREACH (Network is unreachable)",
            _ => "EHOSTUNREACH (No route to host)",
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Server(n) => n.fmt(f),
            Note::IcmpAbort {
                host,
                icmp,
                from,
                ours,
                theirs,
            } => write!(
                f,
                "{host}: ICMP {} from {from} for {ours} → {theirs}: connect() fails with {}",
                icmp.words(),
                icmp.connect_errno()
            ),
            Note::ConnectFailed { data: false, error } => write!(f, "connect failed: {error}"),
            Note::ConnectFailed { data: true, error } => {
                write!(f, "data connect failed: {error}")
            }
            Note::RunStopped { events } => write!(
                f,
                "the run was stopped after {events} events: FTP Lab's limit (make the scenario smaller)"
            ),
            Note::Internal { what } => write!(f, "FTP Lab internal error: {what} (please report it)"),
            Note::Encrypted => f.write_str(
                "the control connection is encrypted from here on (AUTH TLS): no firewall helper or NAT ALG can read PORT or 227 any more, and neither can this capture",
            ),
        }
    }
}

/// What a line on the user's terminal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shown {
    /// What the user typed at the prompt (`ftp> ls`).
    Typed,
    /// A command as a capture shows it (`> PASV`).
    Command,
    /// A reply from the server.
    Reply(u16),
    /// The client's own message (`ftp: connect: Connection timed out`).
    Message,
}

/// A TCP connection's state (RFC 793 §3.2); `Display` gives the RFC's name (`SYN-SENT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        })
    }
}

/// One thing that happened, at one node, at one virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: Time,
    pub node: NodeId,
    pub kind: EventKind,
    pub conn: Option<ConnId>,
    pub channel: Option<Channel>,
    pub step: Option<Step>,
}

/// A firewall's rules and hit counters after the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallReport {
    pub name: String,
    pub rules: Vec<String>,
    pub hits: Vec<u64>,
    pub default_policy: Action,
    pub default_hits: u64,
}

/// One translation a NAT made: inside ↔ outside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub inside: SocketAddrV4,
    pub outside: SocketAddrV4,
    pub remote: SocketAddrV4,
    /// How it was made: "outbound connection", "port forwarding", "FTP ALG (PORT)".
    pub how: String,
}

/// A NAT's translation table after the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatReport {
    pub name: String,
    pub public: Ipv4Addr,
    pub alg: bool,
    pub mappings: Vec<Mapping>,
}

/// Which middlebox rule stopped the data channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    pub middlebox: String,
    pub rule: Option<usize>,
    pub action: Action,
}

/// How a transfer failed, named so that tests, exercises and the capture explainer can
/// compare it whatever the words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mechanism {
    /// A middlebox dropped the data connection's SYN: silence, retries, a timeout.
    Dropped,
    /// A middlebox refused it with a RST (or an ICMP error).
    Rejected,
    /// The SYNs went to an address no route leads to (a private address announced).
    Unroutable,
    /// A NAT dropped a connection it had no translation for.
    NoTranslation,
    /// The server refused a PORT/EPRT whose address is not the control connection's (a NAT
    /// without an ALG in front of the client, or a bounce attempt).
    PortRefused,
    /// The server had no free port in its passive range.
    PassiveRangeExhausted,
    /// Something else (the diagnosis says what).
    Other,
    /// A capture with no FTP in it: nothing to explain.
    NoFtp,
}

/// How the run ended for one client (or for all), in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub success: bool,
    /// The first user action that failed.
    pub failed_action: Option<ActionKind>,
    /// The reply code that reported it, if a reply did.
    pub reply: Option<u16>,
    pub blocked_by: Option<Blocker>,
    pub mechanism: Option<Mechanism>,
    pub diagnosis: String,
    pub finished_at: Time,
}

impl Outcome {
    /// An outcome of nothing yet.
    pub fn empty(diagnosis: &str) -> Outcome {
        Outcome {
            success: false,
            failed_action: None,
            reply: None,
            blocked_by: None,
            mechanism: None,
            diagnosis: diagnosis.to_owned(),
            finished_at: Time::ZERO,
        }
    }
}

/// One FTP client: what its user typed and how each action ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReport {
    pub node: NodeId,
    pub name: String,
    pub actions: Vec<ActionResult>,
    pub outcome: Outcome,
}

impl Trace {
    /// A trace of nothing (what a view shows before any scenario has run).
    pub fn empty() -> Trace {
        Trace {
            source: Source::Simulated,
            title: String::new(),
            seed: 0,
            tcp_profile: String::new(),
            nodes: Vec::new(),
            links: Vec::new(),
            packets: Vec::new(),
            connections: Vec::new(),
            events: Vec::new(),
            firewalls: Vec::new(),
            nats: Vec::new(),
            clients: Vec::new(),
            outcome: Outcome::empty("Nothing has run."),
        }
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeInfo> {
        self.nodes.get(id.index())
    }

    pub fn node_name(&self, id: NodeId) -> &str {
        self.node(id).map_or("?", |n| n.name.as_str())
    }

    pub fn packet(&self, id: PacketId) -> &Packet {
        &self.packets[id.index()]
    }

    pub fn conn(&self, id: ConnId) -> Option<&Connection> {
        self.connections.get(id.index())
    }

    pub fn link(&self, id: LinkId) -> Option<&LinkInfo> {
        self.links.get(id.index())
    }

    /// The node ids, in order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len()).map(NodeId::new)
    }

    /// Every user action of every client, in client order.
    pub fn actions(&self) -> impl Iterator<Item = &ActionResult> {
        self.clients.iter().flat_map(|c| c.actions.iter())
    }

    /// Where a capture was taken (`None`: a simulation, which sees everywhere).
    pub fn vantage(&self) -> Option<Vantage> {
        match &self.source {
            Source::Captured { vantage, .. } => Some(*vantage),
            Source::Simulated => None,
        }
    }

    /// The host (client or server) whose address `ip` is; a NAT's public address is not a
    /// host's.
    pub fn host_at(&self, ip: Ipv4Addr) -> Option<&NodeInfo> {
        self.nodes.iter().find(|n| {
            n.address == Some(ip) && matches!(n.kind, NodeKind::Client | NodeKind::Server)
        })
    }

    /// The node whose address `ip` is: a host's first, else a NAT's public address.
    pub fn node_at(&self, ip: Ipv4Addr) -> Option<&NodeInfo> {
        self.host_at(ip)
            .or_else(|| self.nodes.iter().find(|n| n.address == Some(ip)))
    }

    /// "the server", "the client" or "a host", for an address.
    pub fn side_words(&self, ip: Ipv4Addr) -> &'static str {
        match self.host_at(ip).map(|n| n.kind) {
            Some(NodeKind::Server) => "the server",
            Some(NodeKind::Client) => "the client",
            _ => "a host",
        }
    }

    /// When each client's each action started and ended, in one pass: its ActionStarted and
    /// its first ActionFinished; the run's end when it never finished.
    pub fn action_windows(&self) -> BTreeMap<(NodeId, usize), (Time, Time)> {
        let end = self.events.last().map_or(Time::ZERO, |e| e.time);
        let mut started: BTreeMap<(NodeId, usize), Time> = BTreeMap::new();
        let mut windows = BTreeMap::new();
        for e in &self.events {
            match &e.kind {
                EventKind::ActionStarted { index, .. } => {
                    started.insert((e.node, *index), e.time);
                }
                EventKind::ActionFinished { result } => {
                    let key = (e.node, result.index);
                    let start = started.get(&key).copied().unwrap_or(Time::ZERO);
                    windows.entry(key).or_insert((start, e.time));
                }
                _ => {}
            }
        }
        for (key, start) in started {
            windows.entry(key).or_insert((start, end));
        }
        windows
    }

    /// One action's window (see `action_windows`).
    pub fn action_window(&self, client: NodeId, index: usize) -> (Time, Time) {
        let end = self.events.last().map_or(Time::ZERO, |e| e.time);
        self.action_windows()
            .get(&(client, index))
            .copied()
            .unwrap_or((Time::ZERO, end))
    }

    /// The same trace with every text that came from a file or the network made printable
    /// (control and bidi characters escaped: `crate::text`), for views that show it as it is.
    /// The packets' bytes are kept as they were.
    pub fn printable(mut self) -> Trace {
        use crate::text::{printable, printable_lines};
        let fix = |s: &mut String| {
            if let std::borrow::Cow::Owned(o) = printable(s) {
                *s = o;
            }
        };
        let fix_lines = |s: &mut String| {
            if let std::borrow::Cow::Owned(o) = printable_lines(s) {
                *s = o;
            }
        };
        fix(&mut self.title);
        // Every copy of a name alike: the questions find a firewall by its name.
        for n in &mut self.nodes {
            fix(&mut n.name);
            if let Some(p) = &mut n.protects {
                fix(p);
            }
        }
        for f in &mut self.firewalls {
            fix(&mut f.name);
            f.rules.iter_mut().for_each(fix);
        }
        for n in &mut self.nats {
            fix(&mut n.name);
        }
        for p in &mut self.packets {
            if let Some(t) = &mut p.ftp_text {
                fix_lines(t);
            }
        }
        for e in &mut self.events {
            match &mut e.kind {
                EventKind::FtpCommand { line, .. } | EventKind::Console { line, .. } => fix(line),
                EventKind::FtpReply { text, .. } => fix_lines(text),
                EventKind::ActionStarted { typed, .. } => fix(typed),
                EventKind::ActionFinished { result } => fix_action(result, &fix),
                EventKind::Packet { fate, .. } => {
                    if let Some(v) = fate.verdict_mut() {
                        fix(&mut v.middlebox);
                        fix(&mut v.rule_text);
                        fix(&mut v.why);
                    }
                }
                _ => {}
            }
        }
        for c in &mut self.clients {
            fix(&mut c.name);
            for a in &mut c.actions {
                fix_action(a, &fix);
            }
            fix(&mut c.outcome.diagnosis);
        }
        fix(&mut self.outcome.diagnosis);
        self
    }

    /// The report of the client at node `n`.
    pub fn client(&self, n: NodeId) -> Option<&ClientReport> {
        self.clients.iter().find(|c| c.node == n)
    }

    /// A stable hash of the whole trace (FNV-1a over its JSON), for determinism checks.
    pub fn digest(&self) -> u64 {
        let json = serde_json::to_vec(self).unwrap_or_default();
        json.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        s.serialize_str(&hex)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        (0..s.len() / 2)
            .map(|i| {
                u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// The trace's lists are indexed by their typed ids (`trace.packets[id]`).
macro_rules! index_by {
    ($id:ty, $item:ty) => {
        impl std::ops::Index<$id> for Vec<$item> {
            type Output = $item;
            fn index(&self, id: $id) -> &$item {
                &self[id.index()]
            }
        }
    };
}

index_by!(PacketId, Packet);
index_by!(NodeId, NodeInfo);
index_by!(LinkId, LinkInfo);
index_by!(ConnId, Connection);

fn fix_action(a: &mut ActionResult, fix: &impl Fn(&mut String)) {
    fix(&mut a.detail);
    if let ActionKind::Get(n) | ActionKind::Put(n) = &mut a.action {
        fix(n);
    }
}
