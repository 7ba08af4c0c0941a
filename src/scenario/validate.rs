//! Semantic checks on a parsed scenario. Each problem is (field path, message); the caller
//! turns paths into line and column. All problems are collected, none stops the others.

use super::network::{self, ClientNode, FirewallNode, Forward, Link, NatNode, Network, ServerNode};
use super::{ActionSpec, ActivePort, NodeSpec, Scenario};
use crate::firewall::{Cidr, PortMatch};
use crate::ftp::{ActionKind, UserAction};
use crate::ids::{LinkId, NodeId};
use crate::ports::{Port, PortRange};
use crate::time::Time;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// What a scenario may ask for at most. Each bound keeps a run's time and memory small
/// whatever a file says; the README lists them.
pub mod limits {
    /// Bytes in a scenario file.
    pub const FILE_BYTES: usize = 1024 * 1024;
    /// Problems listed for one file (the rest are counted).
    pub const REPORTED_PROBLEMS: usize = 100;
    pub const NODES: usize = 2_000;
    pub const LINKS: usize = 4_000;
    /// Rules in one firewall.
    pub const RULES: usize = 256;
    /// Actions in one client's script, and in all scripts together.
    pub const ACTIONS: usize = 100;
    pub const TOTAL_ACTIONS: usize = 20_000;
    /// Files, and accounts, of one server.
    pub const FILES: usize = 1_000;
    pub const USERS: usize = 100;
    /// Seconds of virtual time a run may last, and any timeout.
    pub const TIME_LIMIT_S: u64 = 86_400;
    pub const TIMEOUT_S: u64 = 86_400;
    /// A link's one-way delay, in milliseconds.
    pub const DELAY_MS: f64 = 60_000.0;
    /// Events a run may record before it is stopped.
    pub const EVENTS: usize = 300_000;
}

type Problems = Vec<(String, String)>;

fn at_most(p: &mut Problems, field: String, what: &str, n: usize, max: usize) {
    if n > max {
        p.push((field, format!("{n} {what}: at most {max} are allowed")));
    }
}

fn seconds(p: &mut Problems, field: String, v: u64, max: u64) -> Option<Duration> {
    if v == 0 || v > max {
        p.push((
            field,
            format!("{v} s is out of range: write a number of seconds from 1 to {max}"),
        ));
        return None;
    }
    Some(Duration::from_secs(v))
}

fn port(p: &mut Problems, field: String, v: u32) -> Option<Port> {
    Port::new(v)
        .map_err(|e| p.push((field, e.to_string())))
        .ok()
}

fn range(p: &mut Problems, field: String, (lo, hi): (u32, u32)) -> Option<PortRange> {
    let (a, b) = (
        port(p, format!("{field}.0"), lo),
        port(p, format!("{field}.1"), hi),
    );
    a.and(b)?;
    PortRange::new(lo, hi)
        .map_err(|e| p.push((field, format!("{e} ({hi}, {lo})"))))
        .ok()
}

fn port_match(p: &mut Problems, field: String, m: &PortMatch) {
    match *m {
        PortMatch::Any => {}
        PortMatch::Port(v) => {
            port(p, field, v);
        }
        PortMatch::Range(lo, hi) => {
            range(p, field, (lo, hi));
        }
    }
}

/// Why an address cannot be a host's own address (or one a server announces).
pub fn unusable_address(ip: Ipv4Addr) -> Option<&'static str> {
    let first = ip.octets()[0];
    if ip.is_unspecified() || first == 0 {
        Some("0.x.x.x means \"this network\", not a host")
    } else if ip.is_broadcast() {
        Some("255.255.255.255 is the broadcast address, not a host")
    } else if ip.is_multicast() {
        Some("224.0.0.0-239.255.255.255 are multicast groups, not hosts; TCP cannot use them")
    } else if first >= 240 {
        Some("240.0.0.0 and above are reserved, not usable by hosts")
    } else if ip.is_loopback() {
        Some("127.x.x.x is loopback: it never leaves its own host")
    } else {
        None
    }
}

fn address(p: &mut Problems, field: String, a: &str) -> Option<Ipv4Addr> {
    match a.parse::<Ipv4Addr>() {
        Ok(ip) => match unusable_address(ip) {
            None => Some(ip),
            Some(why) => {
                p.push((field, format!("{ip} cannot be used here: {why}")));
                None
            }
        },
        Err(_) => {
            p.push((field, format!("'{a}' is not an IPv4 address (write four numbers 0-255 with dots, like 198.51.100.7)")));
            None
        }
    }
}

/// What the node-by-node checks need to know about the whole scenario.
struct Ctx<'a> {
    s: &'a Scenario,
    names: BTreeMap<&'a str, usize>,
    neigh: Vec<Vec<usize>>,
    /// The link joining two neighbours (either way round).
    link_of: BTreeMap<(usize, usize), LinkId>,
    /// Which connected part of the topology each node is in.
    part: Vec<usize>,
}

impl Ctx<'_> {
    fn node(&self, name: &str) -> Option<(usize, &NodeSpec)> {
        let i = *self.names.get(name)?;
        Some((i, &self.s.nodes[i]))
    }

    /// The link from node `i` to its neighbour called `name`.
    fn link_to(&self, i: usize, name: &str) -> Option<(NodeId, LinkId)> {
        let j = *self.names.get(name)?;
        let l = *self.link_of.get(&(i, j))?;
        Some((NodeId::new(j), l))
    }
}

/// Every problem of a scenario (empty: it is valid).
pub fn validate(s: &Scenario) -> Problems {
    resolve(s).err().unwrap_or_default()
}

/// Checks a scenario and, when it is valid, resolves it into the `Network` the simulator runs.
pub fn resolve(s: &Scenario) -> Result<Network, Problems> {
    let mut p = Problems::new();
    sizes(&mut p, s);
    if !p.is_empty() {
        // Too big to look at node by node.
        return Err(p);
    }
    let names = names_and_addresses(&mut p, s);
    let (neigh, link_of, links) = links(&mut p, s, &names);
    let part = components(&neigh);
    let cx = Ctx {
        s,
        names,
        neigh,
        link_of,
        part,
    };
    let nodes: Vec<Option<network::Node>> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| node(&mut p, &cx, i, n))
        .collect();
    expectation(&mut p, &cx);
    questions(&mut p, s);
    let nodes: Option<Vec<network::Node>> = nodes.into_iter().collect();
    match nodes {
        Some(nodes) if p.is_empty() => Ok(Network {
            title: s.title.clone(),
            seed: s.seed,
            time_limit: Time::from_secs(s.time_limit_s),
            nodes,
            links,
        }),
        _ => Err(p),
    }
}

fn node(p: &mut Problems, cx: &Ctx, i: usize, n: &NodeSpec) -> Option<network::Node> {
    Some(match n {
        NodeSpec::Client(c) => network::Node::Client(client(p, cx, i, c)?),
        NodeSpec::Server(sv) => network::Node::Server(server(p, cx, i, sv)?),
        NodeSpec::Firewall(fw) => network::Node::Firewall(firewall(p, cx, i, fw)?),
        NodeSpec::Router(r) => {
            if cx.neigh[i].is_empty() {
                p.push((
                    format!("nodes[{i}].name"),
                    "this router has no links".into(),
                ));
                return None;
            }
            let address = r.address.as_ref().and_then(|a| a.parse().ok());
            if r.no_route == crate::scenario::NoRoute::NetUnreachable && address.is_none() {
                p.push((
                    format!("nodes[{i}].address"),
                    "a router that answers ICMP net unreachable sends it from its own address: give it one (address: \"…\")".into(),
                ));
            }
            network::Node::Router(network::RouterNode {
                name: r.name.clone(),
                address,
                no_route: r.no_route,
            })
        }
        NodeSpec::Nat(nat) => network::Node::Nat(nat_node(p, cx, i, nat)?),
    })
}

fn questions(p: &mut Problems, s: &Scenario) {
    at_most(p, "questions".into(), "questions", s.questions.len(), 20);
    for (k, q) in s.questions.iter().enumerate() {
        let f = |x: &str| format!("questions[{k}].{x}");
        if !(1..=4).contains(&q.before_step) {
            p.push((
                f("before_step"),
                format!(
                    "step {} does not exist: the steps are 1 to 4",
                    q.before_step
                ),
            ));
        }
        if q.choices.len() < 2 || q.choices.len() > 8 {
            p.push((f("choices"), "give 2 to 8 choices".into()));
        } else if q.answer >= q.choices.len() {
            p.push((
                f("answer"),
                format!(
                    "there are {} choices, counted from 0: the answer is 0 to {}",
                    q.choices.len(),
                    q.choices.len() - 1
                ),
            ));
        }
    }
}

fn sizes(p: &mut Problems, s: &Scenario) {
    seconds(
        p,
        "time_limit_s".into(),
        s.time_limit_s,
        limits::TIME_LIMIT_S,
    );
    at_most(p, "nodes".into(), "nodes", s.nodes.len(), limits::NODES);
    at_most(p, "links".into(), "links", s.links.len(), limits::LINKS);
    let total_actions: usize = s
        .nodes
        .iter()
        .map(|n| match n {
            NodeSpec::Client(c) => c.actions.len(),
            _ => 0,
        })
        .sum();
    at_most(
        p,
        "nodes".into(),
        "client actions in all",
        total_actions,
        limits::TOTAL_ACTIONS,
    );
}

/// Names are unique, hosts' (and NATs' public) addresses are usable and unique, and there is
/// a client and a server.
fn names_and_addresses<'a>(p: &mut Problems, s: &'a Scenario) -> BTreeMap<&'a str, usize> {
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut addrs: BTreeMap<Ipv4Addr, usize> = BTreeMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let f = |x: &str| format!("nodes[{i}].{x}");
        if n.name().trim().is_empty() {
            p.push((f("name"), "a node needs a name".into()));
        } else if let Some(j) = names.insert(n.name(), i) {
            p.push((
                f("name"),
                format!("the name '{}' is already used by nodes[{j}]", n.name()),
            ));
        }
        let addr = match n {
            NodeSpec::Client(c) => address(p, f("address"), &c.address),
            NodeSpec::Server(sv) => address(p, f("address"), &sv.address),
            NodeSpec::Nat(nat) => address(p, f("public_address"), &nat.public_address),
            NodeSpec::Firewall(fw) => fw
                .address
                .as_ref()
                .and_then(|a| address(p, f("address"), a)),
            NodeSpec::Router(r) => r.address.as_ref().and_then(|a| address(p, f("address"), a)),
        };
        if let Some(a) = addr
            && let Some(j) = addrs.insert(a, i)
        {
            p.push((
                f("address"),
                format!("the address {a} is already used by nodes[{j}]"),
            ));
        }
    }
    let count = |want: fn(&NodeSpec) -> bool| s.nodes.iter().filter(|n| want(n)).count();
    if count(|n| matches!(n, NodeSpec::Client(_))) == 0 {
        p.push((
            "nodes".into(),
            "there is no Client node: a scenario needs one FTP client".into(),
        ));
    }
    if count(|n| matches!(n, NodeSpec::Server(_))) == 0 {
        p.push((
            "nodes".into(),
            "there is no Server node: a scenario needs an FTP server".into(),
        ));
    }
    names
}

type Links = (Vec<Vec<usize>>, BTreeMap<(usize, usize), LinkId>, Vec<Link>);

/// Each link joins two named, different nodes once, with a delay in range. Returns each
/// node's neighbours, the link between two neighbours, and the links resolved.
fn links(p: &mut Problems, s: &Scenario, names: &BTreeMap<&str, usize>) -> Links {
    let mut neigh: Vec<Vec<usize>> = vec![Vec::new(); s.nodes.len()];
    let mut link_of = BTreeMap::new();
    let mut resolved = Vec::new();
    for (i, l) in s.links.iter().enumerate() {
        let a = names.get(l.a.as_str()).copied();
        let b = names.get(l.b.as_str()).copied();
        for (end, name, found) in [("a", &l.a, a), ("b", &l.b, b)] {
            if found.is_none() {
                p.push((
                    format!("links[{i}].{end}"),
                    format!("no node is called '{name}'"),
                ));
            }
        }
        if !(l.delay_ms.is_finite() && (0.0..=limits::DELAY_MS).contains(&l.delay_ms)) {
            p.push((
                format!("links[{i}].delay_ms"),
                format!(
                    "the delay {} ms is out of range: write 0 to {} ms",
                    l.delay_ms,
                    limits::DELAY_MS
                ),
            ));
        }
        let (Some(a), Some(b)) = (a, b) else { continue };
        if a == b {
            p.push((
                format!("links[{i}].b"),
                "a link must join two different nodes".into(),
            ));
        } else if neigh[a].contains(&b) {
            p.push((
                format!("links[{i}]"),
                format!("'{}' and '{}' are already linked", l.a, l.b),
            ));
        } else {
            neigh[a].push(b);
            neigh[b].push(a);
            link_of.insert((a, b), LinkId::new(i));
            link_of.insert((b, a), LinkId::new(i));
        }
        resolved.push(Link {
            a: NodeId::new(a),
            b: NodeId::new(b),
            delay_us: (l.delay_ms * 1000.0).round() as u64,
        });
    }
    (neigh, link_of, resolved)
}

fn one_link(p: &mut Problems, cx: &Ctx, i: usize, what: &str) {
    let n = cx.neigh[i].len();
    if n != 1 {
        let name = cx.s.nodes[i].name();
        p.push((
            format!("nodes[{i}].name"),
            format!("{what} has exactly one link; '{name}' has {n}"),
        ));
    }
}

fn client(p: &mut Problems, cx: &Ctx, i: usize, c: &super::ClientSpec) -> Option<ClientNode> {
    let f = |x: &str| format!("nodes[{i}].{x}");
    let data_ports = range(p, f("data_ports"), c.data_ports);
    let connect_timeout = seconds(
        p,
        f("connect_timeout_s"),
        c.connect_timeout_s(),
        limits::TIMEOUT_S,
    );
    at_most(p, f("actions"), "actions", c.actions.len(), limits::ACTIONS);
    if c.start_ms > limits::TIME_LIMIT_S * 1000 {
        p.push((
            f("start_ms"),
            format!(
                "{} ms is after the longest run ({} s)",
                c.start_ms,
                limits::TIME_LIMIT_S
            ),
        ));
    }
    let (server, dial) = client_server(p, cx, i, c).unzip();
    script(p, i, &c.actions);
    one_link(p, cx, i, "a client");
    Some(ClientNode {
        name: c.name.clone(),
        address: c.address.parse().ok()?,
        server: server?,
        dial: dial.flatten()?,
        mode: c.mode,
        profile: c.profile,
        tcp: c.tcp,
        commands: c.commands(),
        data_ports: data_ports?,
        connect_timeout: connect_timeout?,
        start: Time::from_millis(c.start_ms),
        actions: c.actions.iter().map(user_action).collect(),
    })
}

/// The client's server and the address and port its user opens.
fn client_server(
    p: &mut Problems,
    cx: &Ctx,
    i: usize,
    c: &super::ClientSpec,
) -> Option<(NodeId, Option<SocketAddrV4>)> {
    let f = |x: &str| format!("nodes[{i}].{x}");
    let server_address = c
        .server_address
        .as_ref()
        .map(|a| address(p, f("server_address"), a));
    match cx.node(&c.server) {
        Some((j, NodeSpec::Server(sv))) => {
            if cx.part[i] != cx.part[j] {
                p.push((
                    f("server"),
                    format!(
                        "no chain of links leads from '{}' to '{}'",
                        c.name, c.server
                    ),
                ));
            }
            let ip = server_address.unwrap_or_else(|| sv.address.parse().ok());
            let port = u16::try_from(sv.control_port).ok();
            Some((
                NodeId::new(j),
                ip.zip(port).map(|(ip, port)| SocketAddrV4::new(ip, port)),
            ))
        }
        Some(_) => {
            p.push((f("server"), format!("'{}' is not a Server node", c.server)));
            None
        }
        None => {
            p.push((f("server"), format!("no node is called '{}'", c.server)));
            None
        }
    }
}

/// The user's actions start with Connect and name files that can be named.
fn script(p: &mut Problems, i: usize, actions: &[ActionSpec]) {
    if actions.is_empty() {
        p.push((
            format!("nodes[{i}].actions"),
            "the action list is empty: give the user something to type, starting with Connect"
                .into(),
        ));
    } else if actions[0] != ActionSpec::Connect {
        p.push((
            format!("nodes[{i}].actions[0]"),
            "the first action must be Connect".into(),
        ));
    }
    for (k, a) in actions.iter().enumerate() {
        let name = match a {
            ActionSpec::Get(n) | ActionSpec::LsDir(n) => Some(n),
            ActionSpec::Put { name, .. } => Some(name),
            _ => None,
        };
        if name.is_some_and(|n| n.trim().is_empty() || n.contains(['\r', '\n'])) {
            p.push((
                format!("nodes[{i}].actions[{k}]"),
                "the file name is empty or has a line break".into(),
            ));
        }
    }
}

/// What the user types, as the client runs it.
fn user_action(a: &ActionSpec) -> UserAction {
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

fn server(p: &mut Problems, cx: &Ctx, i: usize, sv: &super::ServerSpec) -> Option<ServerNode> {
    let f = |x: &str| format!("nodes[{i}].{x}");
    let control_port = port(p, f("control_port"), sv.control_port);
    let active_data_port = match sv.active_data_port {
        ActivePort::Port(x) => {
            let a = port(p, f("active_data_port"), x);
            if x == sv.control_port {
                p.push((
                    f("active_data_port"),
                    "the active data port must differ from the control port".into(),
                ));
            }
            Some(a.map(Port::get))
        }
        ActivePort::Ephemeral => None,
    };
    let passive_range = range(p, f("passive_range"), sv.passive_range);
    let (lo, hi) = sv.passive_range;
    if lo <= sv.control_port && sv.control_port <= hi {
        p.push((
            f("passive_range"),
            format!(
                "the passive range {lo}-{hi} includes the control port {}",
                sv.control_port
            ),
        ));
    }
    let passive_address = sv
        .passive_address
        .as_ref()
        .map(|a| address(p, f("passive_address"), a));
    let connect_timeout = seconds(
        p,
        f("connect_timeout_s"),
        sv.connect_timeout_s,
        limits::TIMEOUT_S,
    );
    let accept_timeout = seconds(
        p,
        f("accept_timeout_s"),
        sv.accept_timeout_s,
        limits::TIMEOUT_S,
    );
    at_most(p, f("files"), "files", sv.files.len(), limits::FILES);
    at_most(p, f("users"), "accounts", sv.users.len(), limits::USERS);
    one_link(p, cx, i, "a server");
    Some(ServerNode {
        name: sv.name.clone(),
        address: sv.address.parse().ok()?,
        profile: sv.profile,
        tcp: sv.tcp,
        control_port: control_port?.get(),
        active_data_port: match active_data_port {
            Some(a) => Some(a?),
            None => None,
        },
        passive_range: passive_range?,
        passive_address: match passive_address {
            Some(a) => Some(a?),
            None => None,
        },
        connect_timeout: connect_timeout?,
        accept_timeout: accept_timeout?,
        anonymous: sv.anonymous,
        anonymous_upload: sv.anonymous_upload,
        users: sv.users.clone(),
        files: sv.files.clone(),
    })
}

fn firewall(
    p: &mut Problems,
    cx: &Ctx,
    i: usize,
    fw: &crate::firewall::FirewallSpec,
) -> Option<FirewallNode> {
    let f = |x: &str| format!("nodes[{i}].{x}");
    if cx.neigh[i].len() != 2 {
        p.push((
            f("name"),
            format!(
                "a firewall sits between exactly two links; '{}' has {}",
                fw.name,
                cx.neigh[i].len()
            ),
        ));
    }
    match cx.names.get(fw.protects.as_str()) {
        None => p.push((
            f("protects"),
            format!("no node is called '{}'", fw.protects),
        )),
        Some(j) if !cx.neigh[i].contains(j) => p.push((
            f("protects"),
            format!(
                "'{}' is not linked to '{}': name the neighbour on the protected side",
                fw.protects, fw.name
            ),
        )),
        _ => {}
    }
    let helper_port = port(p, f("helper_port"), fw.helper_port);
    at_most(p, f("rules"), "rules", fw.rules.len(), limits::RULES);
    let mut addresses = Vec::new();
    for (k, r) in fw.rules.iter().enumerate() {
        let rf = |x: &str| format!("nodes[{i}].rules[{k}].{x}");
        let mut pair = Vec::new();
        for (field, a) in [("src", &r.src), ("dst", &r.dst)] {
            match a.parse::<Cidr>() {
                Ok(c) => pair.push(c),
                Err(e) => p.push((
                    rf(field),
                    format!("{e}; write 'any', an address, or a prefix like 10.0.0.0/8"),
                )),
            }
        }
        if let [a, b] = pair[..] {
            addresses.push((a, b));
        }
        port_match(p, rf("src_port"), &r.src_port);
        port_match(p, rf("dst_port"), &r.dst_port);
        if !fw.stateful && !r.state.is_empty() {
            p.push((rf("state"), format!("'{}' does not track connections (stateful: false), so a rule cannot match on state", fw.name)));
        }
    }
    let (protects, inside) = cx.link_to(i, &fw.protects)?;
    let own = match &fw.address {
        Some(a) => a.parse().ok()?,
        None => gateway_of(cx, i, protects.index()),
    };
    (addresses.len() == fw.rules.len()).then_some(FirewallNode {
        spec: fw.clone(),
        protects,
        inside,
        own,
        helper_port: helper_port?.get(),
        addresses,
    })
}

/// A firewall's address when the scenario gives none: the gateway of the network it
/// protects, the .1 of the /24 of the nearest address on the protected side (a host's, a
/// NAT's public one), or .254 where that is taken. With nothing addressed that side,
/// 192.0.2.1 (TEST-NET-1).
fn gateway_of(cx: &Ctx, fw: usize, protected: usize) -> Ipv4Addr {
    let taken = |a: Ipv4Addr| cx.s.nodes.iter().any(|n| node_address(n) == Some(a));
    let mut seen = vec![false; cx.s.nodes.len()];
    seen[fw] = true;
    seen[protected] = true;
    let mut queue = std::collections::VecDeque::from([protected]);
    while let Some(k) = queue.pop_front() {
        if let Some(a) = node_address(&cx.s.nodes[k]) {
            let [x, y, z, _] = a.octets();
            return [1, 254, 253]
                .map(|h| Ipv4Addr::new(x, y, z, h))
                .into_iter()
                .find(|g| !taken(*g))
                .unwrap_or(Ipv4Addr::new(x, y, z, 252));
        }
        for &j in &cx.neigh[k] {
            if !seen[j] {
                seen[j] = true;
                queue.push_back(j);
            }
        }
    }
    Ipv4Addr::new(192, 0, 2, 1)
}

/// The address a node's spec gives it, if any.
fn node_address(n: &NodeSpec) -> Option<Ipv4Addr> {
    let a = match n {
        NodeSpec::Client(c) => Some(&c.address),
        NodeSpec::Server(sv) => Some(&sv.address),
        NodeSpec::Nat(nat) => Some(&nat.public_address),
        NodeSpec::Firewall(fw) => fw.address.as_ref(),
        NodeSpec::Router(r) => r.address.as_ref(),
    };
    a.and_then(|a| a.parse().ok())
}

fn nat_node(
    p: &mut Problems,
    cx: &Ctx,
    i: usize,
    nat: &crate::middlebox::nat::NatSpec,
) -> Option<NatNode> {
    let f = |x: &str| format!("nodes[{i}].{x}");
    if nat.inside.is_empty() {
        p.push((
            f("inside"),
            "name the NAT's neighbours on its inside (the private side)".into(),
        ));
    }
    for (k, name) in nat.inside.iter().enumerate() {
        match cx.names.get(name.as_str()) {
            None => p.push((
                format!("nodes[{i}].inside[{k}]"),
                format!("no node is called '{name}'"),
            )),
            Some(j) if !cx.neigh[i].contains(j) => p.push((
                format!("nodes[{i}].inside[{k}]"),
                format!("'{name}' is not linked to '{}'", nat.name),
            )),
            _ => {}
        }
    }
    if cx.neigh[i].len() <= nat.inside.len() {
        p.push((
            f("name"),
            format!("'{}' has no link on its outside", nat.name),
        ));
    }
    let alg_port = port(p, f("alg_port"), nat.alg_port);
    at_most(
        p,
        f("forwards"),
        "forwarding rules",
        nat.forwards.len(),
        limits::RULES,
    );
    let mut forwards = Vec::new();
    for (k, fw) in nat.forwards.iter().enumerate() {
        let ff = |x: &str| format!("nodes[{i}].forwards[{k}].{x}");
        port_match(p, ff("port"), &fw.port);
        let to = address(p, ff("to"), &fw.to);
        let mut to_port = None;
        if let Some(tp) = fw.to_port {
            to_port = port(p, ff("to_port"), tp).map(Port::get);
            if matches!(fw.port, PortMatch::Range(..) | PortMatch::Any) {
                p.push((
                    ff("to_port"),
                    "a range of ports is forwarded to the same ports: leave to_port out".into(),
                ));
            }
        }
        if let Some(to) = to {
            forwards.push(Forward {
                ports: fw.port,
                to,
                to_port,
            });
        }
    }
    let links: Option<Vec<(NodeId, LinkId)>> =
        nat.inside.iter().map(|x| cx.link_to(i, x)).collect();
    let (inside, inside_links) = links?.into_iter().unzip();
    (forwards.len() == nat.forwards.len()).then_some(NatNode {
        spec: nat.clone(),
        public: nat.public_address.parse().ok()?,
        inside,
        inside_links,
        forwards,
        alg_port: alg_port?.get(),
    })
}

fn expectation(p: &mut Problems, cx: &Ctx) {
    let e = &cx.s.expect;
    let actions = std::iter::once(("expect.failed_action".to_owned(), &e.failed_action)).chain(
        e.clients.iter().map(|(n, c)| {
            (
                format!("expect.clients.{n}.failed_action"),
                &c.failed_action,
            )
        }),
    );
    for (field, a) in actions {
        if let Some(Err(why)) = a.as_deref().map(str::parse::<ActionKind>) {
            p.push((field, why));
        }
    }
    if let Some(b) = &e.blocked_by {
        match cx.node(&b.firewall) {
            Some((_, NodeSpec::Firewall(fw))) => {
                if let Some(r) = b.rule
                    && (r == 0 || r > fw.rules.len())
                {
                    p.push((
                        "expect.blocked_by.rule".into(),
                        format!(
                            "'{}' has rules 1 to {}; there is no rule {r}",
                            fw.name,
                            fw.rules.len()
                        ),
                    ));
                }
            }
            Some((_, NodeSpec::Nat(_))) => {}
            _ => p.push((
                "expect.blocked_by.firewall".into(),
                format!("no firewall is called '{}'", b.firewall),
            )),
        }
    }
    for name in e.clients.keys() {
        if !matches!(cx.node(name), Some((_, NodeSpec::Client(_)))) {
            p.push((
                format!("expect.clients.{name}"),
                format!("no client is called '{name}'"),
            ));
        }
    }
}

/// The connected part of the topology each node is in (one pass for all nodes).
fn components(neigh: &[Vec<usize>]) -> Vec<usize> {
    let mut part = vec![usize::MAX; neigh.len()];
    for start in 0..neigh.len() {
        if part[start] != usize::MAX {
            continue;
        }
        part[start] = start;
        let mut q = VecDeque::from([start]);
        while let Some(n) = q.pop_front() {
            for &m in &neigh[n] {
                if part[m] == usize::MAX {
                    part[m] = start;
                    q.push_back(m);
                }
            }
        }
    }
    part
}

/// Whether a problem's field path (as this module writes them) is in the `expect` block.
pub(crate) fn in_expectation(field: &str) -> bool {
    field == "expect" || field.starts_with("expect.")
}
