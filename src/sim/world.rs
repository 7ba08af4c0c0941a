//! The world: nodes joined by links, packets in flight, and the loop that runs them.
//!
//! End hosts are polled when smoltcp or their FTP code asks (`next_wake`) and whenever a packet
//! reaches them. Middleboxes (firewalls, routers) act on a packet the moment it arrives and
//! act as transparent bridges: they do not change TTL. Every packet's journey (sent, forwarded,
//! dropped, rejected, delivered) and everything the hosts report goes into the trace, which
//! is then tagged with handshake steps and given its diagnosis.

use super::queue::EventQueue;
use crate::firewall::{Action, Direction, Firewall};
use crate::ftp::{ActionResult, ClientConfig, ClientSession, MemStore, ServerConfig, UserAction};
use crate::host::{App, EndHost, HostEvent};
use crate::rng::Rng;
use crate::scenario::{ActionSpec, ActivePort, NodeSpec, Scenario, limits};
use crate::time::Time;
use crate::trace::{
    Channel, Connection, Event, EventKind, FirewallReport, LinkInfo, NodeInfo, NodeKind, Outcome,
    Packet, PacketFate, Trace,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// The SYN back-off the hosts show (smoltcp's: RFC 6298, initial RTO 1 s, doubling).
pub const TCP_PROFILE: &str = "smoltcp TCP: classic RFC 6298 back-off, SYN retries at 1, 3, 7, 15, 31, 63 s \
     (like Linux with tcp_syn_linear_timeouts=0); the application's timeout ends the attempt";

/// After the client's last action, keep running this long so closing handshakes show.
const LINGER: Duration = Duration::from_secs(2);
/// A guard against a run that never settles: queue entries handled (polls included).
const MAX_STEPS: usize = 4_000_000;

enum Node {
    Host(Box<EndHost>, Option<Time>),
    Firewall(Box<Firewall>, usize),
    Router,
}

enum Ev {
    Poll(usize),
    Arrive {
        node: usize,
        link: usize,
        packet: usize,
    },
}

struct Link {
    a: usize,
    b: usize,
    delay: Duration,
}

struct World {
    nodes: Vec<Node>,
    links: Vec<Link>,
    routes: Vec<BTreeMap<Ipv4Addr, usize>>,
    queue: EventQueue<Ev>,
    rec: Recorder,
    now: Time,
}

/// Builds the trace as the run goes.
struct Recorder {
    events: Vec<Event>,
    packets: Vec<Packet>,
    conns: Vec<Connection>,
    conn_index: BTreeMap<(SocketAddrV4, SocketAddrV4), usize>,
    control: BTreeSet<SocketAddrV4>,
    servers: BTreeSet<Ipv4Addr>,
}

fn key(a: SocketAddrV4, b: SocketAddrV4) -> (SocketAddrV4, SocketAddrV4) {
    if (a.ip().octets(), a.port()) <= (b.ip().octets(), b.port()) {
        (a, b)
    } else {
        (b, a)
    }
}

impl Recorder {
    fn conn(&mut self, initiator: SocketAddrV4, responder: SocketAddrV4) -> usize {
        let k = key(initiator, responder);
        if let Some(&c) = self.conn_index.get(&k) {
            return c;
        }
        let id = self.conns.len();
        let channel = if self.control.contains(&responder) || self.control.contains(&initiator) {
            Channel::Control
        } else {
            Channel::Data
        };
        let mode = (channel == Channel::Data).then(|| {
            if self.servers.contains(initiator.ip()) {
                crate::ftp::Mode::Active
            } else {
                crate::ftp::Mode::Passive
            }
        });
        self.conns.push(Connection {
            id,
            channel,
            initiator,
            responder,
            mode,
        });
        self.conn_index.insert(k, id);
        id
    }

    fn packet(&mut self, bytes: Vec<u8>) -> Option<usize> {
        let id = self.packets.len();
        let mut p = crate::net::decode(id, &bytes, false).ok()?;
        if self.control.contains(&p.src) || self.control.contains(&p.dst) {
            p = crate::net::decode(id, &bytes, true).ok()?;
        }
        self.packets.push(p);
        Some(id)
    }

    fn push(&mut self, time: Time, node: usize, kind: EventKind, conn: Option<usize>) {
        let channel = conn.and_then(|c| self.conns.get(c)).map(|c| c.channel);
        self.events.push(Event {
            time,
            node,
            kind,
            conn,
            channel,
            step: None,
        });
    }

    fn packet_event(&mut self, time: Time, node: usize, packet: usize, fate: PacketFate) {
        let p = &self.packets[packet];
        let (src, dst, syn_only) = (p.src, p.dst, p.flags.syn && !p.flags.ack);
        let conn = if syn_only {
            self.conn(src, dst)
        } else {
            self.conn_index
                .get(&key(src, dst))
                .copied()
                .unwrap_or_else(|| self.conn(src, dst))
        };
        self.push(time, node, EventKind::Packet { packet, fate }, Some(conn));
    }
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

fn port16(p: u32) -> u16 {
    u16::try_from(p).unwrap_or(u16::MAX)
}

/// Runs a scenario from scratch and returns its trace, or the scenario's problems (field path,
/// message) if it is not valid.
pub fn simulate(s: &Scenario) -> Result<Trace, Vec<(String, String)>> {
    let problems = s.check();
    if !problems.is_empty() {
        return Err(problems);
    }
    let index: BTreeMap<&str, usize> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name(), i))
        .collect();
    let addr_of = |name: &str| -> Ipv4Addr {
        match index.get(name).map(|&i| &s.nodes[i]) {
            Some(NodeSpec::Server(sv)) => sv.address.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            Some(NodeSpec::Client(c)) => c.address.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            _ => Ipv4Addr::UNSPECIFIED,
        }
    };

    let links: Vec<Link> = s
        .links
        .iter()
        .map(|l| Link {
            a: index[l.a.as_str()],
            b: index[l.b.as_str()],
            delay: Duration::from_micros((l.delay_ms * 1000.0).round() as u64),
        })
        .collect();
    let mut node_links: Vec<Vec<usize>> = vec![Vec::new(); s.nodes.len()];
    for (i, l) in links.iter().enumerate() {
        node_links[l.a].push(i);
        node_links[l.b].push(i);
    }

    let mut rec = Recorder {
        events: Vec::new(),
        packets: Vec::new(),
        conns: Vec::new(),
        conn_index: BTreeMap::new(),
        control: BTreeSet::new(),
        servers: BTreeSet::new(),
    };
    let mut infos = Vec::new();
    let mut nodes = Vec::new();
    let mut scripts = BTreeMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let (node, info) = match n {
            NodeSpec::Client(c) => {
                let server = addr_of(&c.server);
                let control_port = match index.get(c.server.as_str()).map(|&j| &s.nodes[j]) {
                    Some(NodeSpec::Server(sv)) => port16(sv.control_port),
                    _ => 21,
                };
                let mut cfg = ClientConfig::new(SocketAddrV4::new(server, control_port));
                cfg.mode = c.mode;
                cfg.data_ports = (port16(c.data_ports.0), port16(c.data_ports.1));
                cfg.connect_timeout = Duration::from_secs(c.connect_timeout_s);
                cfg.data_connect_timeout = Duration::from_secs(c.connect_timeout_s);
                let script: Vec<UserAction> = c.actions.iter().map(action).collect();
                scripts.insert(i, script.iter().map(UserAction::short).collect::<Vec<_>>());
                let session = ClientSession::new(
                    cfg,
                    script,
                    Rng::split(s.seed, &format!("ftp-client/{}", c.name)),
                );
                let addr = addr_of(&c.name);
                let host = EndHost::client(&c.name, addr, session, s.seed);
                (
                    Node::Host(Box::new(host), None),
                    NodeInfo {
                        name: c.name.clone(),
                        kind: NodeKind::Client,
                        address: Some(addr),
                        protects: None,
                    },
                )
            }
            NodeSpec::Server(sv) => {
                let addr = addr_of(&sv.name);
                let cfg = ServerConfig {
                    control_port: port16(sv.control_port),
                    active_data_port: match sv.active_data_port {
                        ActivePort::Port(p) => Some(port16(p)),
                        ActivePort::Ephemeral => None,
                    },
                    passive_range: (port16(sv.passive_range.0), port16(sv.passive_range.1)),
                    passive_address: sv.passive_address.as_deref().and_then(|a| a.parse().ok()),
                    connect_timeout: Duration::from_secs(sv.connect_timeout_s),
                    accept_timeout: Duration::from_secs(sv.accept_timeout_s),
                    anonymous: sv.anonymous,
                    anon_upload: sv.anonymous_upload,
                    users: sv.users.clone(),
                    ..ServerConfig::default()
                };
                rec.control
                    .insert(SocketAddrV4::new(addr, cfg.control_port));
                rec.servers.insert(addr);
                let mut store = MemStore::new();
                for (path, content) in &sv.files {
                    store.insert(path, content.as_bytes());
                }
                let host = EndHost::server(&sv.name, addr, cfg, store, s.seed);
                (
                    Node::Host(Box::new(host), None),
                    NodeInfo {
                        name: sv.name.clone(),
                        kind: NodeKind::Server,
                        address: Some(addr),
                        protects: None,
                    },
                )
            }
            NodeSpec::Firewall(f) => {
                let inside = index[f.protects.as_str()];
                let inside_link = node_links[i]
                    .iter()
                    .copied()
                    .find(|&l| links[l].a == inside || links[l].b == inside)
                    .unwrap_or(0);
                let info = NodeInfo {
                    name: f.name.clone(),
                    kind: NodeKind::Firewall,
                    address: None,
                    protects: Some(f.protects.clone()),
                };
                (
                    Node::Firewall(Box::new(Firewall::new(f.clone())), inside_link),
                    info,
                )
            }
            NodeSpec::Router(r) => (
                Node::Router,
                NodeInfo {
                    name: r.name.clone(),
                    kind: NodeKind::Router,
                    address: None,
                    protects: None,
                },
            ),
        };
        nodes.push(node);
        infos.push(info);
    }

    // Routes: for every host address, the link each node sends it out on (breadth-first).
    let mut routes = vec![BTreeMap::new(); nodes.len()];
    for (h, info) in infos.iter().enumerate() {
        let Some(addr) = info.address else { continue };
        let mut seen = vec![false; nodes.len()];
        seen[h] = true;
        let mut q = VecDeque::from([h]);
        while let Some(n) = q.pop_front() {
            for &l in &node_links[n] {
                let m = if links[l].a == n {
                    links[l].b
                } else {
                    links[l].a
                };
                if !seen[m] {
                    seen[m] = true;
                    routes[m].insert(addr, l);
                    // Hosts do not forward: do not route through one.
                    if !matches!(nodes[m], Node::Host(..)) {
                        q.push_back(m);
                    }
                }
            }
        }
    }

    let mut w = World {
        nodes,
        links,
        routes,
        queue: EventQueue::default(),
        rec,
        now: Time::ZERO,
    };
    for i in 0..w.nodes.len() {
        w.schedule_poll(i, Time::ZERO);
    }
    let limit = Time::from_secs(s.time_limit_s);
    let mut done_at: Option<Time> = None;
    let mut steps = 0;
    let mut cut = None;
    while let Some((t, ev)) = w.queue.pop() {
        steps += 1;
        if t > limit || done_at.is_some_and(|d| t > d + LINGER) {
            break;
        }
        if steps > MAX_STEPS || w.rec.events.len() >= limits::EVENTS {
            cut = Some(format!(
                "the run was stopped after {} events: FTP Lab's limit (make the scenario smaller)",
                w.rec.events.len()
            ));
            break;
        }
        w.now = t;
        match ev {
            Ev::Poll(n) => {
                let due = matches!(&w.nodes[n], Node::Host(_, Some(at)) if *at == t);
                if due {
                    w.run_host(n);
                }
            }
            Ev::Arrive { node, link, packet } => w.arrive(node, link, packet),
        }
        if done_at.is_none() && w.clients_done() {
            done_at = Some(t);
        }
    }

    if let Some(c) = &cut {
        let now = w.now;
        w.rec
            .push(now, 0, EventKind::Note { text: c.clone() }, None);
    }
    // Results of every client's script (actions that never finished are said so).
    let mut actions = Vec::new();
    for (i, n) in w.nodes.iter().enumerate() {
        if let Node::Host(h, _) = n
            && let App::Client(c) = h.app()
        {
            let mut r: Vec<ActionResult> = c.results().to_vec();
            let names = scripts.get(&i).cloned().unwrap_or_default();
            for (k, name) in names.iter().enumerate().skip(r.len()) {
                r.push(ActionResult {
                    index: k,
                    action: name.clone(),
                    ok: false,
                    reply: None,
                    detail: cut.clone().unwrap_or_else(|| {
                        format!(
                            "did not finish within the time limit of {} s",
                            s.time_limit_s
                        )
                    }),
                    bytes: 0,
                });
            }
            actions.extend(r);
        }
    }
    let firewalls = w
        .nodes
        .iter()
        .filter_map(|n| match n {
            Node::Firewall(f, _) => Some(FirewallReport {
                name: f.spec.name.clone(),
                rules: f.spec.rules.iter().map(|r| r.label()).collect(),
                hits: f.hits.clone(),
                default_policy: f.spec.default_policy,
                default_hits: f.default_hits,
            }),
            _ => None,
        })
        .collect();
    let finished_at = w.rec.events.last().map_or(Time::ZERO, |e| e.time);
    let mut trace = Trace {
        title: s.title.clone(),
        seed: s.seed,
        tcp_profile: TCP_PROFILE.to_owned(),
        nodes: infos,
        links: w
            .links
            .iter()
            .map(|l| LinkInfo {
                a: l.a,
                b: l.b,
                delay_us: l.delay.as_micros() as u64,
            })
            .collect(),
        packets: w.rec.packets,
        connections: w.rec.conns,
        events: w.rec.events,
        firewalls,
        actions,
        outcome: Outcome {
            success: false,
            failed_action: None,
            reply: None,
            blocked_by: None,
            diagnosis: String::new(),
            finished_at,
        },
    };
    crate::trace::classify::classify(&mut trace);
    trace.outcome = crate::trace::diagnose::diagnose(&trace);
    Ok(trace)
}

impl World {
    fn clients_done(&self) -> bool {
        self.nodes.iter().all(|n| match n {
            Node::Host(h, _) => match h.app() {
                App::Client(c) => c.is_done(),
                App::Server(_) => true,
            },
            _ => true,
        })
    }

    fn schedule_poll(&mut self, n: usize, at: Time) {
        if let Node::Host(_, next) = &mut self.nodes[n]
            && next.is_none_or(|x| at < x)
        {
            *next = Some(at);
            self.queue.push(at, Ev::Poll(n));
        }
    }

    fn run_host(&mut self, n: usize) {
        let now = self.now;
        let Node::Host(h, next) = &mut self.nodes[n] else {
            return;
        };
        *next = None;
        let mut evs = Vec::new();
        h.poll(now, &mut evs);
        let out = h.take_outgoing();
        let wake = h.next_wake(now);
        let ip = h.addr;
        for e in evs {
            self.host_event(n, ip, e);
        }
        for bytes in out {
            let Some(p) = self.rec.packet(bytes) else {
                continue;
            };
            self.send(n, p, None);
        }
        if let Some(t) = wake {
            // smoltcp may ask for "now" again; a microsecond later is as good and cannot spin.
            let t = if t <= now {
                now + Duration::from_micros(1)
            } else {
                t
            };
            self.schedule_poll(n, t);
        }
    }

    fn host_event(&mut self, n: usize, ip: Ipv4Addr, e: HostEvent) {
        let now = self.now;
        let control_conn = |rec: &Recorder| {
            rec.conns
                .iter()
                .rev()
                .find(|c| {
                    c.channel == Channel::Control
                        && (c.initiator.ip() == &ip || c.responder.ip() == &ip)
                })
                .map(|c| c.id)
        };
        let (kind, conn) = match e {
            HostEvent::TcpState {
                local,
                remote,
                from,
                to,
            } => {
                let conn = match (from, to) {
                    (smoltcp::socket::tcp::State::Closed, smoltcp::socket::tcp::State::SynSent) => {
                        self.rec.conn(local, remote)
                    }
                    (smoltcp::socket::tcp::State::Listen, _) => self.rec.conn(remote, local),
                    _ => self
                        .rec
                        .conn_index
                        .get(&key(local, remote))
                        .copied()
                        .unwrap_or_else(|| self.rec.conn(local, remote)),
                };
                (
                    EventKind::TcpState {
                        local,
                        remote,
                        from: from.to_string(),
                        to: to.to_string(),
                    },
                    Some(conn),
                )
            }
            HostEvent::FtpCommand { line, sent } => (
                EventKind::FtpCommand { line, sent },
                control_conn(&self.rec),
            ),
            HostEvent::FtpReply { code, text, sent } => (
                EventKind::FtpReply { code, text, sent },
                control_conn(&self.rec),
            ),
            HostEvent::Console(line) => (EventKind::Console { line }, None),
            HostEvent::ActionStarted { index, typed } => {
                (EventKind::ActionStarted { index, typed }, None)
            }
            HostEvent::ActionFinished(result) => (EventKind::ActionFinished { result }, None),
            HostEvent::Note(text) => (EventKind::Note { text }, None),
        };
        self.rec.push(now, n, kind, conn);
    }

    /// Puts packet `p` on the wire from node `n` (`from_link`: the link it came in on, if it
    /// is being forwarded; `None` for a packet the node sends itself).
    fn send(
        &mut self,
        n: usize,
        p: usize,
        verdict: Option<(usize, Option<crate::trace::Verdict>)>,
    ) {
        let dst = *self.rec.packets[p].dst.ip();
        let Some(&link) = self.routes[n].get(&dst) else {
            self.rec
                .packet_event(self.now, n, p, PacketFate::Unroutable);
            return;
        };
        let fate = match verdict {
            None => PacketFate::Sent { link },
            Some((_, v)) => PacketFate::Forwarded { link, verdict: v },
        };
        self.rec.packet_event(self.now, n, p, fate);
        let l = &self.links[link];
        let other = if l.a == n { l.b } else { l.a };
        self.queue.push(
            self.now + l.delay,
            Ev::Arrive {
                node: other,
                link,
                packet: p,
            },
        );
    }

    fn arrive(&mut self, n: usize, link: usize, p: usize) {
        let now = self.now;
        match &mut self.nodes[n] {
            Node::Host(h, _) => {
                if *self.rec.packets[p].dst.ip() == h.addr {
                    h.receive(self.rec.packets[p].bytes.clone());
                    self.rec.packet_event(now, n, p, PacketFate::Delivered);
                    self.schedule_poll(n, now);
                } else {
                    self.rec.packet_event(now, n, p, PacketFate::Unroutable);
                }
            }
            Node::Router => self.send(n, p, Some((link, None))),
            Node::Firewall(fw, inside) => {
                let dir = if link == *inside {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                };
                let d = fw.decide(&self.rec.packets[p], dir);
                match d.action {
                    Action::Accept => self.send(n, p, Some((link, Some(d)))),
                    Action::Drop => {
                        self.rec
                            .packet_event(now, n, p, PacketFate::Dropped { verdict: d })
                    }
                    Action::Reject => {
                        let original = self.rec.packets[p].clone();
                        if original.flags.rst {
                            // Never answer a reset with a reset.
                            self.rec
                                .packet_event(now, n, p, PacketFate::Dropped { verdict: d });
                            return;
                        }
                        let Some(rst) = self.rec.packet(crate::net::build_rst(&original)) else {
                            return;
                        };
                        self.rec
                            .packet_event(now, n, p, PacketFate::Rejected { verdict: d, rst });
                        // The RST goes back out the way the packet came.
                        self.rec
                            .packet_event(now, n, rst, PacketFate::Sent { link });
                        let l = &self.links[link];
                        let other = if l.a == n { l.b } else { l.a };
                        self.queue.push(
                            now + l.delay,
                            Ev::Arrive {
                                node: other,
                                link,
                                packet: rst,
                            },
                        );
                    }
                }
            }
        }
    }
}
