//! From a resolved scenario (`Network`) to the world's nodes, links and the trace's node list:
//! the one place that knows each kind of scenario node. Nothing here can fail: validation
//! resolved every address, port and name.

use super::node::Node;
use crate::firewall::Firewall;
use crate::ftp::{ActionKind, ClientConfig, ClientSession, MemStore, ServerConfig};
use crate::host::EndHost;
use crate::ids::{LinkId, NodeId};
use crate::middlebox::nat::Nat;
use crate::middlebox::router::Router;
use crate::rng::Rng;
use crate::scenario::network::{self, ClientNode, Network, ServerNode};
use crate::time::Time;
use crate::trace::{LinkInfo, NodeInfo, NodeKind};
use std::collections::BTreeMap;

/// What the world is made of.
pub struct Built {
    pub nodes: Vec<Node>,
    pub infos: Vec<NodeInfo>,
    pub links: Vec<LinkInfo>,
    /// Each node's links.
    pub node_links: Vec<Vec<LinkId>>,
    /// Each client's actions (to report actions that never finished).
    pub scripts: BTreeMap<NodeId, Vec<ActionKind>>,
    /// When each client starts.
    pub starts: BTreeMap<NodeId, Time>,
}

fn info(name: &str, kind: NodeKind, address: Option<std::net::Ipv4Addr>) -> NodeInfo {
    NodeInfo {
        name: name.to_owned(),
        kind,
        address,
        protects: None,
        inside: Vec::new(),
        screen: None,
    }
}

fn client(net: &Network, c: &ClientNode) -> (Node, NodeInfo) {
    let mut cfg = ClientConfig::new(c.dial);
    cfg.profile = c.profile;
    cfg.mode = c.mode;
    cfg.commands = c.commands;
    cfg.data_ports = c.data_ports.bounds();
    cfg.connect_timeout = c.connect_timeout;
    cfg.data_connect_timeout = c.connect_timeout;
    let session = ClientSession::new(
        cfg,
        c.actions.clone(),
        Rng::split(net.seed, &format!("ftp-client/{}", c.name)),
    );
    let mut host = EndHost::client(&c.name, c.address, session, net.seed);
    host.set_tcp(c.tcp);
    let mut i = info(&c.name, NodeKind::Client, Some(c.address));
    i.screen = Some(c.profile.behaviour().screen.to_owned());
    (Node::Host(Box::new(host), None), i)
}

/// The server's settings: the scenario's, where its server's row of the table does not have
/// a value of its own (pyftpdlib always connects from an ephemeral port, after 30 s, …).
fn server(net: &Network, sv: &ServerNode) -> (Node, NodeInfo) {
    let b = sv.profile.behaviour();
    let defaults = ServerConfig::default();
    let cfg = ServerConfig {
        control_port: sv.control_port,
        active_data_port: b.active_source.or(sv.active_data_port),
        // A scenario without a range has the whole of 1024–65535 (vsftpd's); a server that
        // binds port 0 instead takes the kernel's ephemeral range.
        passive_range: match b.unconfigured_passive {
            Some(r) if sv.passive_range.bounds() == (1024, 65535) => r,
            _ => sv.passive_range.bounds(),
        },
        passive_address: sv.passive_address,
        connect_timeout: b.connect_timeout.or(sv.connect_timeout),
        accept_timeout: b.accept_timeout.or(sv.accept_timeout),
        profile: sv.profile,
        anonymous: sv.anonymous,
        anon_upload: sv.anonymous_upload,
        users: sv.users.clone(),
        banner: b.banner.or(defaults.banner.as_str()).to_owned(),
        ..defaults.clone()
    };
    let mut store = MemStore::new();
    for (path, content) in &sv.files {
        store.insert(path, content.as_bytes());
    }
    let mut host = EndHost::server(&sv.name, sv.address, cfg, store, net.seed);
    host.set_tcp(sv.tcp);
    (
        Node::Host(Box::new(host), None),
        info(&sv.name, NodeKind::Server, Some(sv.address)),
    )
}

/// Builds the world's parts from a resolved scenario.
pub fn build(net: &Network) -> Built {
    let links: Vec<LinkInfo> = net
        .links
        .iter()
        .map(|l| LinkInfo {
            a: l.a,
            b: l.b,
            delay_us: l.delay_us,
        })
        .collect();
    let mut node_links: Vec<Vec<LinkId>> = vec![Vec::new(); net.nodes.len()];
    for (i, l) in links.iter().enumerate() {
        node_links[l.a.index()].push(LinkId::new(i));
        node_links[l.b.index()].push(LinkId::new(i));
    }
    let mut built = Built {
        nodes: Vec::new(),
        infos: Vec::new(),
        links,
        node_links,
        scripts: BTreeMap::new(),
        starts: BTreeMap::new(),
    };
    for (i, n) in net.nodes.iter().enumerate() {
        let id = NodeId::new(i);
        if let network::Node::Client(c) = n {
            built
                .scripts
                .insert(id, c.actions.iter().map(|a| a.kind()).collect());
            built.starts.insert(id, c.start);
        }
        let (node, info) = build_node(net, n);
        built.nodes.push(node);
        built.infos.push(info);
    }
    built
}

/// One scenario node: its world node and how the views name it.
fn build_node(net: &Network, n: &network::Node) -> (Node, NodeInfo) {
    match n {
        network::Node::Client(c) => client(net, c),
        network::Node::Server(sv) => server(net, sv),
        network::Node::Firewall(f) => {
            let mut i = info(&f.spec.name, NodeKind::Firewall, Some(f.own));
            i.protects = Some(f.spec.protects.clone());
            (Node::Middle(Box::new(Firewall::new(f))), i)
        }
        network::Node::Router(r) => (
            Node::Middle(Box::new(Router::new(r))),
            info(&r.name, NodeKind::Router, r.address),
        ),
        network::Node::Nat(nat) => {
            let mut i = info(&nat.spec.name, NodeKind::Nat, Some(nat.public));
            i.inside = nat.inside.clone();
            (Node::Middle(Box::new(Nat::new(nat))), i)
        }
    }
}
