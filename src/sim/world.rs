//! The world: nodes joined by links, packets in flight, and the loop that runs them.
//!
//! End hosts are polled when smoltcp or their FTP code asks (`next_wake`) and whenever a packet
//! reaches them. Middleboxes act on a packet the moment it arrives and say what leaves
//! (`middlebox::Middlebox`): the world routes it, records each hop (a rewritten packet as a
//! new version of the same journey) and everything the hosts report into the trace, which is
//! then tagged with handshake steps and given its diagnoses.

use super::build::{Built, build};
use super::node::Node;
use super::queue::EventQueue;
use super::record::{HostRole, Recorder};
use super::routes::Routes;
use crate::ftp::ActionResult;
use crate::host::{App, EndHost, HostEvent};
use crate::ids::{LinkId, NodeId, PacketId};
use crate::middlebox::{Decision, Report};
use crate::scenario::network::Network;
use crate::scenario::{Scenario, limits};
use crate::time::Time;
use crate::trace::{
    ClientReport, EventKind, NodeKind, Outcome, PacketFate, Source, TcpState, Trace, Verdict,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// The TCP the hosts show, in words: smoltcp with the SYN back-off of the system in
/// `host::profile` (Linux >= 6.5).
pub fn tcp_profile() -> String {
    let b = crate::host::profile::TcpProfile::default().behaviour();
    format!(
        "smoltcp TCP with Linux 6.5+'s SYN back-off (tcp_syn_linear_timeouts={}): SYNs at {}; \
         the application's timeout ends the attempt",
        b.syn_linear_timeouts, b.syn_times
    )
}

/// The same, and the hosts whose kernel is another row of the table.
fn tcp_profiles(net: &Network) -> String {
    use crate::scenario::network::Node as N;
    let mut s = tcp_profile();
    for n in &net.nodes {
        let (name, tcp) = match n {
            N::Client(c) => (&c.name, c.tcp),
            N::Server(sv) => (&sv.name, sv.tcp),
            _ => continue,
        };
        if tcp != crate::host::profile::TcpProfile::default() {
            let b = tcp.behaviour();
            s.push_str(&format!(
                "; {name}: {}'s back-off, SYNs at {}",
                b.name, b.syn_times
            ));
        }
    }
    s
}

/// After the clients' last action, keep running this long so closing handshakes show.
const LINGER: Duration = Duration::from_secs(2);
/// A guard against a run that never settles: queue entries handled (polls included).
const MAX_STEPS: usize = 4_000_000;

enum Ev {
    Poll(NodeId),
    Arrive {
        node: NodeId,
        link: LinkId,
        packet: PacketId,
    },
}

struct World {
    nodes: Vec<Node>,
    /// Clients whose script is not over yet.
    clients_left: usize,
    links: Vec<crate::trace::LinkInfo>,
    routes: Routes,
    queue: EventQueue<Ev>,
    rec: Recorder,
    now: Time,
    /// Boxes each packet version has passed since it was sent or rewritten: the TTL it has
    /// now is its own less these.
    hops: Vec<u8>,
}

/// Runs a scenario from scratch and returns its trace, or the scenario's problems (field path,
/// message) if it is not valid.
pub fn simulate(s: &Scenario) -> Result<Trace, Vec<(String, String)>> {
    s.resolve().map(|net| run(&net))
}

/// Runs a resolved scenario from scratch: it always comes to an outcome.
pub fn run(net: &Network) -> Trace {
    let never = std::sync::atomic::AtomicBool::new(false);
    run_until(net, &never).unwrap_or_else(Trace::empty)
}

/// The same, but `None` as soon as `stop` is set (the window's Cancel).
pub fn run_until(net: &Network, stop: &std::sync::atomic::AtomicBool) -> Option<Trace> {
    let Built {
        nodes,
        infos,
        links,
        node_links,
        scripts,
        starts,
    } = build(net);
    let routes = Routes::compute(&nodes, &infos, &links, &node_links);
    let mut rec = Recorder::default();
    for (i, info) in infos.iter().enumerate() {
        let role = match info.kind {
            NodeKind::Client => HostRole::Client,
            NodeKind::Server => HostRole::Server,
            _ => continue,
        };
        if let Some(a) = info.address {
            rec.hosts.insert(a, (NodeId::new(i), role));
        }
    }
    let clients_left = scripts.len();
    let mut w = World {
        clients_left,
        nodes,
        links: links.clone(),
        routes,
        queue: EventQueue::default(),
        rec,
        now: Time::ZERO,
        hops: Vec::new(),
    };
    for i in 0..w.nodes.len() {
        let id = NodeId::new(i);
        let at = starts.get(&id).copied().unwrap_or(Time::ZERO);
        w.schedule_poll(id, at);
    }
    let cut = w.run(net.time_limit, stop)?;
    let clients = w.client_reports(&infos, &scripts, &cut, net.time_limit.micros() / 1_000_000);
    let (firewalls, nats) = w.reports();
    let mut trace = Trace {
        source: Source::Simulated,
        title: net.title.clone(),
        seed: net.seed,
        tcp_profile: tcp_profiles(net),
        nodes: infos,
        links,
        packets: w.rec.packets,
        connections: w.rec.conns,
        events: w.rec.events,
        firewalls,
        nats,
        clients,
        outcome: Outcome::empty(""),
    };
    crate::trace::classify::classify(&mut trace);
    crate::diagnose::diagnose(&mut trace);
    Some(trace)
}

/// The trace's name for smoltcp's TCP state.
fn tcp_state(s: smoltcp::socket::tcp::State) -> TcpState {
    use smoltcp::socket::tcp::State;
    match s {
        State::Closed => TcpState::Closed,
        State::Listen => TcpState::Listen,
        State::SynSent => TcpState::SynSent,
        State::SynReceived => TcpState::SynReceived,
        State::Established => TcpState::Established,
        State::FinWait1 => TcpState::FinWait1,
        State::FinWait2 => TcpState::FinWait2,
        State::CloseWait => TcpState::CloseWait,
        State::Closing => TcpState::Closing,
        State::LastAck => TcpState::LastAck,
        State::TimeWait => TcpState::TimeWait,
    }
}

/// True for a client whose script is over (a server is never "done").
fn client_done(h: &EndHost) -> bool {
    match h.app() {
        App::Client(c) => c.is_done(),
        App::Server(_) => false,
    }
}

impl World {
    /// The event loop. Returns why the run was cut short, if it was.
    /// The run's steps; `Some(why)` when a limit stopped it, `None` (outer) when `stop` was set.
    fn run(&mut self, limit: Time, stop: &std::sync::atomic::AtomicBool) -> Option<Option<String>> {
        let mut done_at: Option<Time> = None;
        let mut steps = 0;
        while let Some((t, ev)) = self.queue.pop() {
            steps += 1;
            if steps % 4096 == 0 && stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            if t > limit || done_at.is_some_and(|d| t > d + LINGER) {
                return Some(None);
            }
            if steps > MAX_STEPS || self.rec.events.len() >= limits::EVENTS {
                let note = crate::trace::Note::RunStopped {
                    events: self.rec.events.len(),
                };
                let why = note.to_string();
                self.rec
                    .push(self.now, NodeId(0), EventKind::Note { note }, None);
                return Some(Some(why));
            }
            self.now = t;
            match ev {
                Ev::Poll(n) => {
                    let due = matches!(&self.nodes[n.index()], Node::Host(_, Some(at)) if *at == t);
                    if due {
                        self.run_host(n);
                    }
                }
                Ev::Arrive { node, link, packet } => self.arrive(node, link, packet),
            }
            if done_at.is_none() && self.clients_left == 0 {
                done_at = Some(t);
            }
        }
        Some(None)
    }

    /// Each client's results (actions that never finished are said so).
    fn client_reports(
        &self,
        infos: &[crate::trace::NodeInfo],
        scripts: &BTreeMap<NodeId, Vec<crate::ftp::ActionKind>>,
        cut: &Option<String>,
        time_limit_s: u64,
    ) -> Vec<ClientReport> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let Node::Host(h, _) = n else { continue };
            let App::Client(c) = h.app() else { continue };
            let id = NodeId::new(i);
            let mut r: Vec<ActionResult> = c.results().to_vec();
            // Every client of a Network has its script (`build` made both from it).
            debug_assert!(scripts.contains_key(&id), "no script for client {id:?}");
            let names = scripts.get(&id).map_or(&[][..], Vec::as_slice);
            for (k, name) in names.iter().enumerate().skip(r.len()) {
                r.push(ActionResult {
                    index: k,
                    action: name.clone(),
                    ok: false,
                    reply: None,
                    detail: cut.clone().unwrap_or_else(|| {
                        format!("did not finish within the time limit of {time_limit_s} s")
                    }),
                    bytes: 0,
                });
            }
            out.push(ClientReport {
                node: id,
                name: infos[i].name.clone(),
                actions: r,
                outcome: Outcome::empty(""),
            });
        }
        out
    }

    fn reports(
        &self,
    ) -> (
        Vec<crate::trace::FirewallReport>,
        Vec<crate::trace::NatReport>,
    ) {
        let (mut fw, mut nat) = (Vec::new(), Vec::new());
        for n in &self.nodes {
            if let Node::Middle(m) = n {
                match m.report() {
                    Report::Firewall(r) => fw.push(r),
                    Report::Nat(r) => nat.push(r),
                    Report::None => {}
                }
            }
        }
        (fw, nat)
    }

    fn schedule_poll(&mut self, n: NodeId, at: Time) {
        if let Node::Host(_, next) = &mut self.nodes[n.index()]
            && next.is_none_or(|x| at < x)
        {
            *next = Some(at);
            self.queue.push(at, Ev::Poll(n));
        }
    }

    fn run_host(&mut self, n: NodeId) {
        let now = self.now;
        let Node::Host(h, next) = &mut self.nodes[n.index()] else {
            return;
        };
        *next = None;
        let was_done = client_done(h);
        let mut evs = Vec::new();
        h.poll(now, &mut evs);
        if !was_done && client_done(h) {
            self.clients_left -= 1;
        }
        let out = h.take_outgoing();
        let wake = h.next_wake(now);
        for e in evs {
            self.host_event(n, e);
        }
        for bytes in out {
            match self.rec.packet(bytes, None) {
                Some(p) => self.send(n, p, None),
                None => self.internal(n, "a host sent bytes that do not decode as IPv4"),
            }
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

    fn host_event(&mut self, n: NodeId, e: HostEvent) {
        let now = self.now;
        let on = |rec: &Recorder, on: Option<(std::net::SocketAddrV4, std::net::SocketAddrV4)>| {
            on.and_then(|(l, r)| rec.lookup(l, r))
        };
        let (kind, conn) = match e {
            HostEvent::Opening {
                local,
                remote,
                control,
            } => {
                self.rec.opening(n, local, remote, control);
                return;
            }
            HostEvent::TcpState {
                local,
                remote,
                from,
                to,
            } => (
                EventKind::TcpState {
                    local,
                    remote,
                    from: tcp_state(from),
                    to: tcp_state(to),
                },
                self.rec.lookup(local, remote),
            ),
            HostEvent::FtpCommand { line, sent, on: o } => {
                let c = on(&self.rec, o);
                (EventKind::FtpCommand { line, sent }, c)
            }
            HostEvent::FtpReply {
                code,
                text,
                sent,
                on: o,
            } => {
                let c = on(&self.rec, o);
                (EventKind::FtpReply { code, text, sent }, c)
            }
            HostEvent::Console(shown, line) => (EventKind::Console { line, shown }, None),
            HostEvent::ActionStarted { index, typed } => {
                (EventKind::ActionStarted { index, typed }, None)
            }
            HostEvent::ActionFinished(result) => (
                EventKind::ActionFinished {
                    result: Box::new(result),
                },
                None,
            ),
            HostEvent::Note { note, on: o } => {
                let c = on(&self.rec, o);
                (EventKind::Note { note }, c)
            }
        };
        self.rec.push(now, n, kind, conn);
    }

    /// Puts packet `p` on the wire from node `n`: sent by it (`verdict` None, not a middlebox),
    /// or forwarded after a middlebox's decision (`Some`).
    fn send(
        &mut self,
        n: NodeId,
        p: PacketId,
        forwarded: Option<(Option<Verdict>, Option<PacketId>)>,
    ) {
        let dst = *self.rec.packets[p.index()].dst.ip();
        let Some(link) = self.routes.next(n, dst) else {
            return self.no_route(n, p, forwarded.is_some());
        };
        if let Some((_, None)) = forwarded {
            self.add_hop(p);
        }
        let fate = match forwarded {
            None => PacketFate::Sent { link },
            Some((verdict, rewritten)) => PacketFate::Forwarded {
                link,
                verdict: verdict.map(Box::new),
                rewritten,
            },
        };
        // A rewritten packet is recorded under the version that arrived; the new version
        // travels on.
        let recorded = match &fate {
            PacketFate::Forwarded {
                rewritten: Some(_), ..
            } => self.arrived_as(p),
            _ => p,
        };
        self.rec.packet_event(self.now, n, recorded, fate);
        self.put_on_link(n, link, p);
    }

    /// Node `n` has no route for `p`: it ends here, and a box that answers says so (a
    /// router's ICMP net unreachable).
    fn no_route(&mut self, n: NodeId, p: PacketId, forwarding: bool) {
        let dst = *self.rec.packets[p.index()].dst.ip();
        // As it arrived: the route lookup fails before `ip_forward` would lower the TTL.
        let mut here = self.as_here(p);
        here.ttl = here.ttl.saturating_add(1);
        crate::net::set_ttl(&mut here.bytes, here.ttl);
        let reply = match &self.nodes[n.index()] {
            Node::Middle(m) if forwarding => m.no_route(&here),
            _ => None,
        };
        let reply = reply.and_then(|bytes| self.rec.packet(bytes, None));
        let why = format!("no route to {dst} from {}", self.node_name(n));
        let fate = PacketFate::Unroutable {
            why: why.into(),
            reply,
        };
        self.rec.packet_event(self.now, n, p, fate);
        if let Some(r) = reply {
            self.send(n, r, None);
        }
    }

    fn hops(&self, p: PacketId) -> u8 {
        self.hops.get(p.index()).copied().unwrap_or(0)
    }

    fn add_hop(&mut self, p: PacketId) {
        if self.hops.len() <= p.index() {
            self.hops.resize(p.index() + 1, 0);
        }
        self.hops[p.index()] = self.hops[p.index()].saturating_add(1);
    }

    /// Packet `p` as the box it has reached forwards it: its TTL lowered for every box before
    /// and for this one (Linux lowers it before the FORWARD hook, so a REJECT quotes it so).
    fn as_here(&self, p: PacketId) -> crate::trace::Packet {
        let mut here = self.rec.packets[p.index()].clone();
        here.ttl = here.ttl.saturating_sub(self.hops(p)).saturating_sub(1);
        crate::net::set_ttl(&mut here.bytes, here.ttl);
        here
    }

    fn put_on_link(&mut self, n: NodeId, link: LinkId, p: PacketId) {
        let l = &self.links[link.index()];
        let other = l.other(n);
        let delay = Duration::from_micros(l.delay_us);
        self.queue.push(
            self.now + delay,
            Ev::Arrive {
                node: other,
                link,
                packet: p,
            },
        );
    }

    /// The version a rewritten packet arrived as.
    fn arrived_as(&self, p: PacketId) -> PacketId {
        self.rec.packets[p.index()].prev.unwrap_or(p)
    }

    fn node_name(&self, n: NodeId) -> String {
        match &self.nodes[n.index()] {
            Node::Host(h, _) => h.name.clone(),
            Node::Middle(m) => m.name().to_owned(),
        }
    }

    fn arrive(&mut self, n: NodeId, link: LinkId, p: PacketId) {
        let now = self.now;
        let decision = match &mut self.nodes[n.index()] {
            Node::Host(h, _) => {
                let pk = &self.rec.packets[p.index()];
                if *pk.dst.ip() == h.addr {
                    h.receive(pk.bytes.clone());
                    self.rec.packet_event(now, n, p, PacketFate::Delivered);
                    self.schedule_poll(n, now);
                } else {
                    let why = format!("{} is not addressed to {}", pk.dst.ip(), h.name);
                    self.rec.packet_event(
                        now,
                        n,
                        p,
                        PacketFate::Unroutable {
                            why: why.into(),
                            reply: None,
                        },
                    );
                }
                return;
            }
            Node::Middle(_) => {
                let here = self.as_here(p);
                if here.ttl == 0 {
                    return self.ttl_exceeded(n, p, link, &here);
                }
                let Node::Middle(m) = &mut self.nodes[n.index()] else {
                    return;
                };
                m.process(now, &here, link)
            }
        };
        match decision {
            Decision::Forward(verdict) => self.send(n, p, Some((verdict, None))),
            Decision::Rewrite {
                bytes,
                changes,
                verdict,
            } => match self.rec.packet(bytes, Some((p, changes))) {
                Some(q) => self.send(n, q, Some((verdict, Some(q)))),
                None => self.internal(
                    n,
                    "a middlebox rewrote a packet into bytes that do not decode",
                ),
            },
            Decision::Drop(verdict) => {
                self.rec
                    .packet_event(now, n, p, PacketFate::Dropped { verdict });
            }
            Decision::Reject { reply, verdict } => {
                let Some(r) = self.rec.packet(reply, None) else {
                    return self.internal(n, "a middlebox's reject reply does not decode");
                };
                self.rec
                    .packet_event(now, n, p, PacketFate::Rejected { verdict, reply: r });
                // The reply goes back out the way the packet came.
                self.rec.packet_event(now, n, r, PacketFate::Sent { link });
                self.put_on_link(n, link, r);
            }
        }
    }

    /// A packet reached a box with TTL 1: it goes no further, and the box answers ICMP time
    /// exceeded from its own address if it has one (`ip_forward`'s `too_many_hops`).
    fn ttl_exceeded(&mut self, n: NodeId, p: PacketId, link: LinkId, here: &crate::trace::Packet) {
        let from = match &self.nodes[n.index()] {
            Node::Middle(m) => m.address(),
            Node::Host(..) => None,
        };
        let why = format!("TTL exceeded at {}", self.node_name(n));
        let reply = from
            .filter(|_| here.icmp.is_none())
            .map(|a| crate::net::build_icmp_error(here, 11, 0, a))
            .and_then(|bytes| self.rec.packet(bytes, None));
        let fate = PacketFate::Unroutable {
            why: why.into(),
            reply,
        };
        self.rec.packet_event(self.now, n, p, fate);
        if let Some(r) = reply {
            self.rec
                .packet_event(self.now, n, r, PacketFate::Sent { link });
            self.put_on_link(n, link, r);
        }
    }

    /// A broken invariant of FTP Lab's own: recorded in the trace (tests fail on it), and
    /// caught at once in a debug build.
    fn internal(&mut self, n: NodeId, what: &str) {
        debug_assert!(false, "internal error: {what}");
        let note = crate::trace::Note::Internal {
            what: what.to_owned(),
        };
        self.rec.push(self.now, n, EventKind::Note { note }, None);
    }
}
