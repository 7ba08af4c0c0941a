//! The trace's topology for a capture: the clients and servers of the control connections,
//! the capture point between them, and "in between" on the side where packets vanished (or
//! where a box that is not a host sent an ICMP error), with the delays the handshake showed.

use super::assemble::Assembly;
use super::canon;
use crate::ids::{LinkId, NodeId};
use crate::trace::{LinkInfo, NodeInfo, NodeKind};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub(super) struct Topology {
    pub nodes: Vec<NodeInfo>,
    pub links: Vec<LinkInfo>,
    link_of: BTreeMap<(NodeId, NodeId), LinkId>,
    /// Each node's one-way delay from the capture point, in µs.
    pub dist: BTreeMap<NodeId, u64>,
    pub node_of: BTreeMap<Ipv4Addr, NodeId>,
    pub capture: NodeId,
    pub between: Option<NodeId>,
    towards_servers: bool,
    pub hosts: Vec<Ipv4Addr>,
    /// Added to every captured time, so that the hosts' events before the capture point's are
    /// not before zero.
    pub base: u64,
}

fn info(name: String, kind: NodeKind, address: Option<Ipv4Addr>) -> NodeInfo {
    NodeInfo {
        name,
        kind,
        address,
        protects: None,
        inside: Vec::new(),
        screen: None,
    }
}

/// "client", or "client-2" when there are several.
fn host_name(role: &str, k: usize, n: usize) -> String {
    if n == 1 {
        role.to_owned()
    } else {
        format!("{role}-{}", k + 1)
    }
}

/// The packets the trace keeps (those of FTP flows, and ICMP errors about them), and on
/// which side packets vanished (`Some(true)`: towards the servers).
pub(super) fn kept(
    x: &Assembly,
    clients: &[Ipv4Addr],
    servers: &[Ipv4Addr],
) -> (Vec<usize>, Option<bool>) {
    // Sets: a capture of 10,000 sessions has 10,000 client addresses, and every packet asks.
    let clients: std::collections::BTreeSet<&Ipv4Addr> = clients.iter().collect();
    let servers: std::collections::BTreeSet<&Ipv4Addr> = servers.iter().collect();
    let mut between_side = None;
    let mut kept = Vec::new();
    for (i, p) in x.b.pkts.iter().enumerate() {
        let included = match &p.icmp {
            Some(q) => q
                .quoted
                .is_some_and(|(a, b)| x.conn_of.contains_key(&canon(a, b))),
            None => x.conn_of.contains_key(&canon(p.src, p.dst)),
        };
        if !included {
            continue;
        }
        kept.push(i);
        let from_host = clients.contains(p.src.ip()) || servers.contains(p.src.ip());
        if x.vanished(i) || (p.icmp.is_some() && !from_host) {
            // An ICMP from a box: the box is on the side of the packet it refused.
            let to = match &p.icmp {
                Some(q) => q.quoted.map(|(_, d)| *d.ip()),
                None => Some(*p.dst.ip()),
            };
            let to_server = to.is_some_and(|d| servers.contains(&d) || !clients.contains(&d));
            between_side.get_or_insert(to_server);
        }
    }
    (kept, between_side)
}

impl Topology {
    pub fn new(
        x: &Assembly,
        clients: Vec<Ipv4Addr>,
        servers: Vec<Ipv4Addr>,
        between_side: Option<bool>,
    ) -> Topology {
        let (d_client, d_server, _) = x.delays();
        let mut t = Topology {
            nodes: Vec::new(),
            links: Vec::new(),
            link_of: BTreeMap::new(),
            dist: BTreeMap::new(),
            node_of: BTreeMap::new(),
            capture: NodeId(0),
            between: None,
            towards_servers: between_side == Some(true),
            hosts: clients.iter().chain(&servers).copied().collect(),
            base: d_client.max(d_server),
        };
        t.hosts_of(&clients, NodeKind::Client, "client");
        t.capture = t.push(info("capture point".into(), NodeKind::Router, None));
        if between_side.is_some() {
            t.between = Some(t.push(info("in between".into(), NodeKind::Router, None)));
        }
        t.hosts_of(&servers, NodeKind::Server, "server");
        t.dist.insert(t.capture, 0);
        if let Some(bw) = t.between {
            let d = if t.towards_servers {
                d_server
            } else {
                d_client
            } / 2;
            t.add(t.capture, bw, d);
            t.dist.insert(bw, d);
        }
        t.link_hosts(&clients, d_client, false);
        t.link_hosts(&servers, d_server, true);
        t
    }

    fn push(&mut self, n: NodeInfo) -> NodeId {
        self.nodes.push(n);
        NodeId::new(self.nodes.len() - 1)
    }

    fn hosts_of(&mut self, ips: &[Ipv4Addr], kind: NodeKind, role: &str) {
        for (k, ip) in ips.iter().enumerate() {
            let id = self.push(info(host_name(role, k, ips.len()), kind, Some(*ip)));
            self.node_of.insert(*ip, id);
        }
    }

    fn add(&mut self, a: NodeId, b: NodeId, delay_us: u64) {
        let l = LinkId::new(self.links.len());
        self.link_of.insert((a, b), l);
        self.link_of.insert((b, a), l);
        self.links.push(LinkInfo { a, b, delay_us });
    }

    /// Links the hosts of one side to the capture point, or to the box on their side.
    fn link_hosts(&mut self, ips: &[Ipv4Addr], d: u64, servers: bool) {
        let bw = self.between.filter(|_| self.towards_servers == servers);
        for ip in ips {
            let n = self.node_of[ip];
            match bw {
                Some(bw) if servers => self.add(bw, n, d - d / 2),
                Some(bw) => self.add(n, bw, d - d / 2),
                None if servers => self.add(self.capture, n, d),
                None => self.add(n, self.capture, d),
            }
            self.dist.insert(n, d);
        }
    }

    pub fn link(&self, a: NodeId, b: NodeId) -> Option<LinkId> {
        self.link_of.get(&(a, b)).copied()
    }

    /// Positions along the line: clients −2, a box on their side −1, the capture point 0, a
    /// box on the servers' side +1, servers +2.
    fn pos(&self, n: NodeId) -> i32 {
        if n == self.capture {
            0
        } else if Some(n) == self.between {
            if self.towards_servers { 1 } else { -1 }
        } else if self.nodes[n.index()].kind == NodeKind::Client {
            -2
        } else {
            2
        }
    }

    /// The nodes from `from` to `to` (`None`: an address no host has; the path goes as far
    /// as the far side's box, or the capture point).
    pub fn path(&self, from: NodeId, to: Option<NodeId>) -> Vec<NodeId> {
        let a = self.pos(from);
        let b = to.map_or(if a <= 0 { 2 } else { -2 }, |t| self.pos(t));
        let step = if b >= a { 1 } else { -1 };
        let mut v = vec![from];
        let mut q = a;
        while q != b {
            q += step;
            let at = match q {
                0 => Some(self.capture),
                1 | -1 => self.between.filter(|bw| self.pos(*bw) == q),
                _ => to.filter(|t| self.pos(*t) == q),
            };
            v.extend(at);
        }
        v
    }
}
