//! A scenario as the simulator takes it: every address parsed, every port in range, every name
//! resolved to its node and every neighbour to its link. Only validation makes one
//! (`Scenario::resolve`), so the simulator has nothing left to check and nothing to fall back
//! on: it cannot fail on a `Network`.

use crate::firewall::{Cidr, FirewallSpec};
use crate::ftp::client::DataCommands;
use crate::ftp::{Mode, UserAction};
use crate::ids::{LinkId, NodeId};
use crate::middlebox::nat::NatSpec;
use crate::ports::PortRange;
use crate::rules::PortMatch;
use crate::scenario::ServerProfile;
use crate::time::Time;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// A valid scenario, resolved.
#[derive(Clone, Debug)]
pub struct Network {
    pub title: String,
    pub seed: u64,
    pub time_limit: Time,
    /// In the scenario's order: `NodeId(i)` is `nodes[i]`.
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

#[derive(Clone, Debug)]
pub struct Link {
    pub a: NodeId,
    pub b: NodeId,
    pub delay_us: u64,
}

#[derive(Clone, Debug)]
pub enum Node {
    Client(ClientNode),
    Server(ServerNode),
    Firewall(FirewallNode),
    Router(RouterNode),
    Nat(NatNode),
}

impl Node {
    pub fn name(&self) -> &str {
        match self {
            Node::Client(c) => &c.name,
            Node::Server(s) => &s.name,
            Node::Firewall(f) => &f.spec.name,
            Node::Router(r) => &r.name,
            Node::Nat(n) => &n.spec.name,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RouterNode {
    pub name: String,
    pub address: Option<Ipv4Addr>,
    pub no_route: crate::scenario::NoRoute,
}

#[derive(Clone, Debug)]
pub struct ClientNode {
    pub name: String,
    pub address: Ipv4Addr,
    /// The server it talks to, and the address and port its user opens.
    pub server: NodeId,
    pub dial: SocketAddrV4,
    pub profile: crate::ftp::client::ClientProfile,
    pub tcp: crate::host::profile::TcpProfile,
    pub mode: Mode,
    pub commands: DataCommands,
    pub data_ports: PortRange,
    pub connect_timeout: Duration,
    pub start: Time,
    pub actions: Vec<UserAction>,
}

#[derive(Clone, Debug)]
pub struct ServerNode {
    pub name: String,
    pub address: Ipv4Addr,
    pub profile: ServerProfile,
    pub tcp: crate::host::profile::TcpProfile,
    pub control_port: u16,
    /// `None`: an ephemeral port.
    pub active_data_port: Option<u16>,
    pub passive_range: PortRange,
    pub passive_address: Option<Ipv4Addr>,
    pub connect_timeout: Duration,
    pub accept_timeout: Duration,
    pub anonymous: bool,
    pub anonymous_upload: bool,
    pub users: Vec<(String, String)>,
    pub files: BTreeMap<String, String>,
}

/// A firewall: its rules as written (for their labels) and their addresses parsed.
#[derive(Clone, Debug)]
pub struct FirewallNode {
    pub spec: FirewallSpec,
    /// The neighbour on its protected side, and the link towards it.
    pub protects: NodeId,
    pub inside: LinkId,
    /// Its own address (the spec's, or the protected network's gateway).
    pub own: Ipv4Addr,
    pub helper_port: u16,
    /// Each rule's (source, destination) prefixes.
    pub addresses: Vec<(Cidr, Cidr)>,
}

/// A port forward: connections to `ports` of the public address go to `to` (on the same port
/// when `to_port` is `None`).
#[derive(Clone, Debug)]
pub struct Forward {
    pub ports: PortMatch,
    pub to: Ipv4Addr,
    pub to_port: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct NatNode {
    pub spec: NatSpec,
    pub public: Ipv4Addr,
    /// Its neighbours on the inside, and the links to them.
    pub inside: Vec<NodeId>,
    pub inside_links: Vec<LinkId>,
    pub forwards: Vec<Forward>,
    pub alg_port: u16,
}
