//! End hosts: smoltcp TCP sockets driven by virtual time, running one FTP application (the
//! scripted client, or the server with one session per control connection).
//!
//! The host owns the glue between TCP and the sans-IO FTP state machines: it watches socket
//! states (SYN-SENT → ESTABLISHED is "connected", SYN-SENT → CLOSED is "refused"), moves bytes
//! both ways, and carries out what the FTP code asks (listen, connect from port 20, close).
//! It never writes TCP itself. The world feeds it packets and polls it when smoltcp or the FTP
//! code asks for a wake-up; everything it has to tell goes out as `HostEvent`s.
//!
//! One smoltcp `Interface` per host, and one socket set per socket (`table`): each arriving
//! packet goes to its own socket (by 4-tuple, or to the listener for a SYN), one at a time,
//! and only sockets that got a packet, a timer or something to send are polled. So the cost of
//! a packet does not grow with the number of sessions a server holds.

mod device;
mod glue;
pub mod profile;
mod table;

use crate::ftp::server::DataFailure;
use crate::ftp::{ClientSession, MemStore, ServerConfig, ServerSession};
use crate::rng::Rng;
use crate::time::Time;
use device::SimDevice;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::socket::tcp::State;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpProtocol, Ipv4Packet, TcpPacket};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use table::{Role, Table};

/// Where hosts draw ephemeral ports from (Linux's default `ip_local_port_range`).
pub const EPHEMERAL: (u16, u16) = (32768, 60999);

/// What a host tells the world during a poll.
#[derive(Clone, Debug, PartialEq)]
pub enum HostEvent {
    TcpState {
        local: SocketAddrV4,
        remote: SocketAddrV4,
        from: State,
        to: State,
    },
    /// The host starts a TCP connection (`control`: the FTP control connection).
    Opening {
        local: SocketAddrV4,
        remote: SocketAddrV4,
        control: bool,
    },
    /// An FTP command, on the control connection `on` (local, remote).
    FtpCommand {
        line: String,
        sent: bool,
        on: Option<(SocketAddrV4, SocketAddrV4)>,
    },
    FtpReply {
        code: u16,
        text: String,
        sent: bool,
        on: Option<(SocketAddrV4, SocketAddrV4)>,
    },
    Console(crate::trace::Shown, String),
    ActionStarted {
        index: usize,
        typed: String,
    },
    ActionFinished(crate::ftp::ActionResult),
    /// A remark, about the control connection `on` when it concerns a session.
    Note {
        note: crate::trace::Note,
        on: Option<(SocketAddrV4, SocketAddrV4)>,
    },
}

/// The server application: its settings, its files, one session per control connection.
#[derive(Debug)]
pub struct ServerApp {
    pub cfg: ServerConfig,
    pub store: MemStore,
    sessions: Vec<ServerSession>,
    seed: u64,
}

/// What runs on the host.
#[derive(Debug)]
pub enum App {
    Client(Box<ClientSession>),
    Server(Box<ServerApp>),
}

/// The application's deadlines: one per session (the client is session 0).
#[derive(Default)]
struct AppTimers {
    set: BTreeSet<(Time, usize)>,
    at: BTreeMap<usize, Time>,
}

impl AppTimers {
    fn update(&mut self, owner: usize, at: Option<Time>) {
        if self.at.get(&owner).copied() == at {
            return;
        }
        if let Some(t) = self.at.remove(&owner) {
            self.set.remove(&(t, owner));
        }
        if let Some(t) = at {
            self.at.insert(owner, t);
            self.set.insert((t, owner));
        }
    }

    fn next(&self) -> Option<Time> {
        self.set.first().map(|(t, _)| *t)
    }

    fn pop_due(&mut self, now: Time) -> Vec<usize> {
        let mut due = Vec::new();
        while let Some(&(t, o)) = self.set.first() {
            if t > now {
                break;
            }
            self.set.pop_first();
            self.at.remove(&o);
            due.push(o);
        }
        due
    }
}

/// An end host.
pub struct EndHost {
    pub name: String,
    pub addr: Ipv4Addr,
    iface: Interface,
    table: Table,
    /// Packets arrived and not yet handed to a socket.
    inbox: VecDeque<Vec<u8>>,
    /// An empty socket set: a packet for no socket goes here, and smoltcp answers it (RST).
    stray: (SimDevice, SocketSet<'static>),
    outgoing: Vec<Vec<u8>>,
    app: App,
    /// Sessions with something to tell or do.
    app_dirty: BTreeSet<usize>,
    timers: AppTimers,
    /// Sessions sending a file (the host pulls from them as their socket drains).
    senders: BTreeSet<usize>,
    rng: Rng,
    started: bool,
    /// Each connection's next IP ID, by (local port, remote address, remote port).
    ip_ids: BTreeMap<(u16, Ipv4Addr, u16), u16>,
    /// The scenario's seed (each connection's IDs start from it).
    seed: u64,
}

impl EndHost {
    pub fn client(name: &str, addr: Ipv4Addr, session: ClientSession, seed: u64) -> EndHost {
        EndHost::new(name, addr, App::Client(Box::new(session)), seed)
    }

    pub fn server(
        name: &str,
        addr: Ipv4Addr,
        cfg: ServerConfig,
        store: MemStore,
        seed: u64,
    ) -> EndHost {
        let app = ServerApp {
            cfg,
            store,
            sessions: Vec::new(),
            seed,
        };
        EndHost::new(name, addr, App::Server(Box::new(app)), seed)
    }

    /// Whose TCP this host's kernel has (the SYN back-off of that system).
    pub fn set_tcp(&mut self, tcp: profile::TcpProfile) {
        self.table.tcp = tcp;
    }

    fn new(name: &str, addr: Ipv4Addr, app: App, seed: u64) -> EndHost {
        let mut rng = Rng::split(seed, &format!("host/{name}"));
        let mut dev = SimDevice::default();
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = rng.next_u64();
        let mut iface = Interface::new(config, &mut dev, smoltcp::time::Instant::ZERO);
        iface.update_ip_addrs(|a| {
            // A /32 with a default route: every other address is "through the network".
            let _ = a.push(IpCidr::new(IpAddress::Ipv4(addr), 32));
        });
        let gw = Ipv4Addr::from(u32::from(addr) ^ 1);
        let _ = iface.routes_mut().add_default_ipv4_route(gw);
        EndHost {
            name: name.to_owned(),
            addr,
            iface,
            table: Table::default(),
            inbox: VecDeque::new(),
            stray: (SimDevice::default(), SocketSet::new(Vec::new())),
            outgoing: Vec::new(),
            app,
            app_dirty: BTreeSet::new(),
            timers: AppTimers::default(),
            senders: BTreeSet::new(),
            // Streams of their own: the host's other numbers (ports, ISNs) stay as they were.
            ip_ids: BTreeMap::new(),
            seed,
            rng,
            started: false,
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// A packet arrives from the network.
    pub fn receive(&mut self, bytes: Vec<u8>) {
        self.inbox.push_back(bytes);
    }

    /// Packets the host has sent since the last call.
    /// The packets the host sent since the last call, each with its IP ID as Linux gives it:
    /// a connection's packets numbered up from a random start of their own, a listener's
    /// SYN-ACK 0 (smoltcp leaves every ID 0), so that a firewall's forged RST (ID 0) stands
    /// out from the peer's own packets.
    pub fn take_outgoing(&mut self) -> Vec<Vec<u8>> {
        let mut out = std::mem::take(&mut self.outgoing);
        for b in &mut out {
            let ihl = usize::from(b.first().copied().unwrap_or(0) & 0x0f) * 4;
            if ihl < 20 || b.len() < ihl + 14 || b[9] != 6 || b[4..6] != [0, 0] {
                continue;
            }
            if b[ihl + 13] & 0x12 == 0x12 {
                continue; // SYN-ACK
            }
            let key = (
                u16::from_be_bytes([b[ihl], b[ihl + 1]]),
                Ipv4Addr::new(b[16], b[17], b[18], b[19]),
                u16::from_be_bytes([b[ihl + 2], b[ihl + 3]]),
            );
            let (seed, name) = (self.seed, &self.name);
            let id = self.ip_ids.entry(key).or_insert_with(|| {
                let tag = format!("ip-id/{name}/{}/{}/{}", key.0, key.1, key.2);
                Rng::split(seed, &tag).next_u64() as u16
            });
            b[4..6].copy_from_slice(&id.to_be_bytes());
            *id = id.wrapping_add(1);
            let ttl = b[8];
            crate::net::set_ttl(b, ttl);
        }
        out
    }

    /// When the host next wants to be polled.
    pub fn next_wake(&mut self, now: Time) -> Option<Time> {
        if !self.inbox.is_empty() || !self.table.dirty.is_empty() || !self.app_dirty.is_empty() {
            return Some(now);
        }
        let t = match (self.table.next_timer(), self.timers.next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        t.map(|t| t.max(now))
    }

    /// Runs the host at `now`: arrived packets one by one, due timers, then the application
    /// and the sockets it touched, until nothing more happens.
    pub fn poll(&mut self, now: Time, out: &mut Vec<HostEvent>) {
        if !self.started {
            self.started = true;
            self.start(now);
        }
        let mut timed_out = false;
        for owner in self.timers.pop_due(now) {
            self.app_timeout(owner, now);
            timed_out = true;
        }
        // What the application does about its timeout (give up a connect) happens before the
        // sockets' own timers at the same instant: Linux gives up at the 11th SYN timeout
        // without sending a 12th SYN.
        if timed_out {
            self.run_app(now, out);
            self.flush();
        }
        self.table.due(now);
        for _ in 0..100_000 {
            let mut progress = false;
            if let Some(bytes) = self.inbox.pop_front() {
                self.deliver(bytes, now, out);
                progress = true;
            }
            let dirty = std::mem::take(&mut self.table.dirty);
            for slot in dirty {
                progress |= self.poll_socket(slot, now, out);
            }
            progress |= self.run_app(now, out);
            progress |= self.pump_downloads(now);
            progress |= self.flush();
            if !progress && self.inbox.is_empty() && self.table.dirty.is_empty() {
                break;
            }
        }
    }

    fn start(&mut self, now: Time) {
        match &mut self.app {
            App::Client(c) => {
                c.start(now);
                self.app_dirty.insert(0);
            }
            App::Server(s) => {
                let port = s.cfg.control_port;
                let _ = self.table.listen(Role::ControlListen, 0, port);
            }
        }
    }

    /// An ICMP destination unreachable about one of our connections: (its socket, how the
    /// connect fails, why in words).
    fn icmp_about(&self, bytes: &[u8]) -> Option<(usize, DataFailure, crate::trace::Note)> {
        let p = crate::net::decode(bytes, false).ok()?;
        let icmp = p.icmp.as_ref()?;
        let (ours, theirs) = icmp.quoted?;
        if !matches!(icmp.kind, 3 | 11) || *ours.ip() != self.addr {
            return None;
        }
        let slot = self.table.demux(ours.port(), theirs, false)?;
        // Linux's icmp_err_convert; a connect in SYN-SENT is aborted by any of them
        // (tcp_v4_err), time exceeded as EHOSTUNREACH.
        let failure = match (icmp.kind, icmp.code) {
            (3, 2 | 3) => DataFailure::Refused,
            (3, 0 | 6 | 9) => DataFailure::NetUnreachable,
            _ => DataFailure::Unreachable,
        };
        let why = crate::trace::Note::IcmpAbort {
            host: self.name.clone(),
            icmp: icmp.clone(),
            from: *p.src.ip(),
            ours,
            theirs,
        };
        Some((slot, failure, why))
    }

    /// Hands one arrived packet to its socket (or to the empty set, for a RST) and polls it.
    fn deliver(&mut self, bytes: Vec<u8>, now: Time, out: &mut Vec<HostEvent>) {
        if let Some((slot, failure, why)) = self.icmp_about(&bytes) {
            self.icmp_error(slot, failure, why, now, out);
            return;
        }
        let slot = (|| {
            let ip = Ipv4Packet::new_checked(&bytes[..]).ok()?;
            if ip.next_header() != IpProtocol::Tcp {
                return None;
            }
            let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
            let src = SocketAddrV4::new(ip.src_addr(), tcp.src_port());
            let syn = tcp.syn() && !tcp.ack();
            self.table.demux(tcp.dst_port(), src, syn)
        })();
        match slot.and_then(|s| self.table.get(s).map(|_| s)) {
            Some(s) => {
                if let Some(c) = self.table.get(s) {
                    c.dev.rx.push_back(bytes);
                }
                self.poll_socket(s, now, out);
            }
            None => {
                let (dev, set) = &mut self.stray;
                dev.rx.push_back(bytes);
                dev.rx_ready = true;
                self.iface.poll(to_smol(now), dev, set);
                self.outgoing.extend(dev.tx.drain(..));
            }
        }
    }

    /// Polls one socket: its packets one at a time, then what it has to send. Returns true
    /// when something changed.
    fn poll_socket(&mut self, slot: usize, now: Time, out: &mut Vec<HostEvent>) -> bool {
        let mut progress = false;
        loop {
            let Some(c) = self.table.get(slot) else {
                return progress;
            };
            c.dev.rx_ready = true;
            self.iface.poll(to_smol(now), &mut c.dev, &mut c.set);
            self.outgoing.extend(c.dev.tx.drain(..));
            progress |= self.observe(slot, now, out);
            let more = self.table.get(slot).is_some_and(|c| !c.dev.rx.is_empty());
            if !more {
                break;
            }
        }
        if !self.table.reap(slot)
            && let Some(c) = self.table.get(slot)
        {
            let at = self.iface.poll_at(to_smol(now), &c.set).map(from_smol);
            // smoltcp may ask for "now" again: a microsecond later is as good, and cannot spin.
            let at = at.map(|t| {
                if t <= now {
                    now + std::time::Duration::from_micros(1)
                } else {
                    t
                }
            });
            self.table.set_timer(slot, at);
        }
        progress
    }

    fn ephemeral_port(&mut self) -> u16 {
        loop {
            let p = self.rng.range_u16(EPHEMERAL.0, EPHEMERAL.1);
            if !self.table.port_in_use(p) {
                return p;
            }
        }
    }

    /// Starts a connection to `to`; returns the local endpoint.
    fn connect(
        &mut self,
        role: Role,
        owner: usize,
        to: SocketAddrV4,
        from_port: Option<u16>,
    ) -> Result<SocketAddrV4, String> {
        let port = from_port.unwrap_or_else(|| self.ephemeral_port());
        self.table.connect(&mut self.iface, role, owner, to, port)?;
        Ok(SocketAddrV4::new(self.addr, port))
    }
}

fn to_smol(t: Time) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(t.micros() as i64)
}

fn from_smol(t: smoltcp::time::Instant) -> Time {
    Time::from_micros(t.total_micros().max(0) as u64)
}
