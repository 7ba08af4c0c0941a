//! From a scenario to the world's nodes, links and the trace's node list: the one place that
//! knows each kind of scenario node.

use super::world::Node;
use crate::firewall::Firewall;
use crate::ftp::server::{Flavour, PasvRetry};
use crate::ftp::{ActionKind, ClientConfig, ClientSession, MemStore, ServerConfig, UserAction};
use crate::host::EndHost;
use crate::ids::{LinkId, NodeId};
use crate::middlebox::router::Router;
use crate::rng::Rng;
use crate::scenario::{
    ActionSpec, ActivePort, ClientSpec, NodeSpec, Scenario, ServerProfile, ServerSpec,
};
use crate::time::Time;
use crate::trace::{LinkInfo, NodeInfo, NodeKind};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// What the world is made of.
pub struct Built {
    pub nodes: Vec<Node>,
    pub infos: Vec<NodeInfo>,
    pub links: Vec<LinkInfo>,
    /// Each node's links.
    pub node_links: Vec<Vec<LinkId>>,
    /// Each client's action names (to report actions that never finished).
    pub scripts: BTreeMap<NodeId, Vec<ActionKind>>,
    /// When each client starts.
    pub starts: BTreeMap<NodeId, Time>,
}

fn port16(p: u32) -> u16 {
    u16::try_from(p).unwrap_or(u16::MAX)
}

fn addr(a: &str) -> Ipv4Addr {
    a.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)
}

fn action(a: &ActionSpec) -> UserAction {
    match a {
        ActionSpec::Connect => UserAction::Connect,
        ActionSpec::Login { user, pass } => UserAction::Login {
            user: user.clone(),
            pass: pass.clone(),
        },
        ActionSpec::Mode(m) => UserAction::SetMode(*m),
        ActionSpec::Ls => UserAction::Ls(None),
        ActionSpec::LsDir(d) => UserAction::Ls(Some(d.clone())),
        ActionSpec::Get(f) => UserAction::Get(f.clone()),
        ActionSpec::Put { name, content } => UserAction::Put {
            name: name.clone(),
            data: content.clone().into_bytes(),
        },
        ActionSpec::Quit => UserAction::Quit,
    }
}

fn info(name: &str, kind: NodeKind, address: Option<Ipv4Addr>) -> NodeInfo {
    NodeInfo {
        name: name.to_owned(),
        kind,
        address,
        protects: None,
        inside: Vec::new(),
    }
}

fn client(s: &Scenario, c: &ClientSpec, server: Option<&ServerSpec>) -> (Node, NodeInfo) {
    let dial = c
        .server_address
        .as_deref()
        .or(server.map(|sv| sv.address.as_str()))
        .map_or(Ipv4Addr::UNSPECIFIED, addr);
    let control_port = server.map_or(21, |sv| port16(sv.control_port));
    let mut cfg = ClientConfig::new(SocketAddrV4::new(dial, control_port));
    cfg.mode = c.mode;
    cfg.commands = c.commands;
    cfg.data_ports = (port16(c.data_ports.0), port16(c.data_ports.1));
    cfg.connect_timeout = Duration::from_secs(c.connect_timeout_s);
    cfg.data_connect_timeout = Duration::from_secs(c.connect_timeout_s);
    let script: Vec<UserAction> = c.actions.iter().map(action).collect();
    let session = ClientSession::new(
        cfg,
        script,
        Rng::split(s.seed, &format!("ftp-client/{}", c.name)),
    );
    let a = addr(&c.address);
    let host = EndHost::client(&c.name, a, session, s.seed);
    (
        Node::Host(Box::new(host), None),
        info(&c.name, NodeKind::Client, Some(a)),
    )
}

fn server(s: &Scenario, sv: &ServerSpec) -> (Node, NodeInfo) {
    let a = addr(&sv.address);
    let mut cfg = ServerConfig {
        control_port: port16(sv.control_port),
        active_data_port: match sv.active_data_port {
            ActivePort::Port(p) => Some(port16(p)),
            ActivePort::Ephemeral => None,
        },
        passive_range: (port16(sv.passive_range.0), port16(sv.passive_range.1)),
        passive_address: sv.passive_address.as_deref().and_then(|a| a.parse().ok()),
        connect_timeout: Duration::from_secs(sv.connect_timeout_s),
        accept_timeout: Duration::from_secs(sv.accept_timeout_s),
        pasv_retry: match sv.profile {
            ServerProfile::Vsftpd => PasvRetry::Vsftpd,
            ServerProfile::Pyftpdlib => PasvRetry::EveryPort,
        },
        flavour: match sv.profile {
            ServerProfile::Vsftpd => Flavour::Vsftpd,
            ServerProfile::Pyftpdlib => Flavour::Pyftpdlib,
        },
        anonymous: sv.anonymous,
        anon_upload: sv.anonymous_upload,
        users: sv.users.clone(),
        ..ServerConfig::default()
    };
    if sv.profile == ServerProfile::Pyftpdlib {
        // pyftpdlib has no such settings: it connects from an ephemeral port, and both of its
        // data channels give up after 30 s (ActiveDTP.timeout, PassiveDTP.timeout).
        cfg.active_data_port = None;
        cfg.connect_timeout = Duration::from_secs(30);
        cfg.accept_timeout = Duration::from_secs(30);
        cfg.banner = "pyftpdlib 2.2 ready (FTP Lab).".to_owned();
    }
    let mut store = MemStore::new();
    for (path, content) in &sv.files {
        store.insert(path, content.as_bytes());
    }
    let host = EndHost::server(&sv.name, a, cfg, store, s.seed);
    (
        Node::Host(Box::new(host), None),
        info(&sv.name, NodeKind::Server, Some(a)),
    )
}

/// Builds the world's parts from a valid scenario.
pub fn build(s: &Scenario) -> Built {
    let index: BTreeMap<&str, NodeId> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name(), NodeId::new(i)))
        .collect();
    let links: Vec<LinkInfo> = s
        .links
        .iter()
        .map(|l| LinkInfo {
            a: index[l.a.as_str()],
            b: index[l.b.as_str()],
            delay_us: (l.delay_ms * 1000.0).round() as u64,
        })
        .collect();
    let mut node_links: Vec<Vec<LinkId>> = vec![Vec::new(); s.nodes.len()];
    for (i, l) in links.iter().enumerate() {
        node_links[l.a.index()].push(LinkId::new(i));
        node_links[l.b.index()].push(LinkId::new(i));
    }
    // The link from node `n` towards its neighbour called `name`.
    let link_to = |n: NodeId, name: &str| -> LinkId {
        let m = index.get(name).copied();
        node_links[n.index()]
            .iter()
            .copied()
            .find(|l| Some(links[l.index()].other(n)) == m)
            .unwrap_or(LinkId(0))
    };
    let servers: BTreeMap<&str, &ServerSpec> = s
        .nodes
        .iter()
        .filter_map(|n| match n {
            NodeSpec::Server(sv) => Some((sv.name.as_str(), sv)),
            _ => None,
        })
        .collect();
    let mut built = Built {
        nodes: Vec::new(),
        infos: Vec::new(),
        links: links.clone(),
        node_links: node_links.clone(),
        scripts: BTreeMap::new(),
        starts: BTreeMap::new(),
    };
    for (i, n) in s.nodes.iter().enumerate() {
        let id = NodeId::new(i);
        let (node, info) = build_node(s, n, id, &servers, &link_to, &index);
        if let NodeSpec::Client(c) = n {
            built
                .scripts
                .insert(id, c.actions.iter().map(|a| action(a).kind()).collect());
            built.starts.insert(id, Time::from_millis(c.start_ms));
        }
        built.nodes.push(node);
        built.infos.push(info);
    }
    built
}

/// One scenario node: its world node and how the views name it.
fn build_node(
    s: &Scenario,
    n: &NodeSpec,
    id: NodeId,
    servers: &BTreeMap<&str, &ServerSpec>,
    link_to: &dyn Fn(NodeId, &str) -> LinkId,
    index: &BTreeMap<&str, NodeId>,
) -> (Node, NodeInfo) {
    match n {
        NodeSpec::Client(c) => client(s, c, servers.get(c.server.as_str()).copied()),
        NodeSpec::Server(sv) => server(s, sv),
        NodeSpec::Firewall(f) => {
            let fw = Firewall::on_path(f.clone(), link_to(id, &f.protects));
            let mut i = info(&f.name, NodeKind::Firewall, None);
            i.protects = Some(f.protects.clone());
            (Node::Middle(Box::new(fw)), i)
        }
        NodeSpec::Router(r) => (
            Node::Middle(Box::new(Router {
                name: r.name.clone(),
            })),
            info(&r.name, NodeKind::Router, None),
        ),
        NodeSpec::Nat(spec) => {
            let inside: Vec<LinkId> = spec.inside.iter().map(|x| link_to(id, x)).collect();
            let nat = crate::middlebox::nat::Nat::new(spec.clone(), inside);
            let mut i = info(&spec.name, NodeKind::Nat, spec.public_address.parse().ok());
            i.inside = spec
                .inside
                .iter()
                .filter_map(|x| index.get(x.as_str()).copied())
                .collect();
            (Node::Middle(Box::new(nat)), i)
        }
    }
}
