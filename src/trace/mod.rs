//! The trace: the one record of a run that every view reads (GUI, CLI, JSON, pcap).
//!
//! Plain serde data with no link back to the simulator: packets (raw IPv4 bytes plus their
//! decoded headers), every event at every node in time order, the connections, the firewall
//! counters, what each user action achieved, and the outcome in plain words. `classify` tags
//! events with the four-step handshake; `diagnose` writes the outcome. Nothing here reads a
//! clock or touches the network.

pub mod classify;
pub mod diagnose;

use crate::firewall::{Action, CtState, Direction};
use crate::ftp::{ActionResult, Mode};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Everything that happened in one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub title: String,
    pub seed: u64,
    /// Which SYN back-off the hosts' TCP uses, in words (it is smoltcp's).
    pub tcp_profile: String,
    pub nodes: Vec<NodeInfo>,
    pub links: Vec<LinkInfo>,
    pub packets: Vec<Packet>,
    pub connections: Vec<Connection>,
    pub events: Vec<Event>,
    pub firewalls: Vec<FirewallReport>,
    pub actions: Vec<ActionResult>,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Client,
    Server,
    Firewall,
    Router,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub kind: NodeKind,
    pub address: Option<Ipv4Addr>,
    /// For a firewall: the node on its protected side.
    pub protects: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub a: usize,
    pub b: usize,
    pub delay_us: u64,
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

/// One IPv4/TCP packet as it travelled (the bytes are the same at every hop).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    pub id: usize,
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
}

impl Packet {
    /// `SYN 203.0.113.10:20 → 198.51.100.7:50123`, `PORT 198,51,100,7,195,211`, `data 180 bytes`.
    pub fn summary(&self) -> String {
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

/// A TCP connection seen in the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: usize,
    pub channel: Channel,
    /// The side that sent the first SYN.
    pub initiator: SocketAddrV4,
    pub responder: SocketAddrV4,
    /// For a data connection: active when the server initiated it, passive otherwise.
    pub mode: Option<Mode>,
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

/// Why a firewall did what it did with a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub firewall: String,
    pub direction: Direction,
    pub state: CtState,
    pub action: Action,
    /// 1-based rule number; `None` = the default policy.
    pub rule: Option<usize>,
    /// The rule as people read it (its comment, or a description).
    pub rule_text: String,
    /// Extra words on the state ("related: expected after PORT on connection 0").
    pub why: String,
}

impl Verdict {
    /// `rule 2 'drop inbound new'` or `the default policy (drop)`.
    pub fn rule_words(&self) -> String {
        match self.rule {
            Some(n) => format!("rule {n} '{}'", self.rule_text),
            None => format!("the default policy ({})", self.action),
        }
    }
}

/// What happened to a packet at a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PacketFate {
    /// Left its origin host on `link`.
    Sent { link: usize },
    /// Passed a middlebox and left on `link` (verdict for firewalls).
    Forwarded {
        link: usize,
        verdict: Option<Verdict>,
    },
    /// Arrived at its destination host.
    Delivered,
    /// Silently discarded by a firewall.
    Dropped { verdict: Verdict },
    /// Refused by a firewall, which answered with the RST packet `rst`.
    Rejected { verdict: Verdict, rst: usize },
    /// No route onward.
    Unroutable,
}

/// What an event is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    Packet {
        packet: usize,
        fate: PacketFate,
    },
    TcpState {
        local: SocketAddrV4,
        remote: SocketAddrV4,
        from: String,
        to: String,
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
    },
    ActionStarted {
        index: usize,
        typed: String,
    },
    ActionFinished {
        result: ActionResult,
    },
    /// A host's own remark (a server note such as "the data connection was refused").
    Note {
        text: String,
    },
}

/// One thing that happened, at one node, at one virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: Time,
    pub node: usize,
    pub kind: EventKind,
    pub conn: Option<usize>,
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

/// Which firewall rule stopped the data channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    pub firewall: String,
    pub rule: Option<usize>,
    pub action: Action,
}

/// How the run ended, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub success: bool,
    /// The first user action that failed.
    pub failed_action: Option<String>,
    /// The reply code that reported it, if a reply did.
    pub reply: Option<u16>,
    pub blocked_by: Option<Blocker>,
    pub diagnosis: String,
    pub finished_at: Time,
}

impl Trace {
    /// A trace of nothing (what a view shows before any scenario has run).
    pub fn empty() -> Trace {
        Trace {
            title: String::new(),
            seed: 0,
            tcp_profile: String::new(),
            nodes: Vec::new(),
            links: Vec::new(),
            packets: Vec::new(),
            connections: Vec::new(),
            events: Vec::new(),
            firewalls: Vec::new(),
            actions: Vec::new(),
            outcome: Outcome {
                success: false,
                failed_action: None,
                reply: None,
                blocked_by: None,
                diagnosis: "Nothing has run.".to_owned(),
                finished_at: Time::ZERO,
            },
        }
    }

    pub fn node_name(&self, i: usize) -> &str {
        self.nodes.get(i).map_or("?", |n| n.name.as_str())
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
