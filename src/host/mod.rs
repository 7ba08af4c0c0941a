//! End hosts: a smoltcp `Interface` with its TCP sockets, driven by virtual time, running one
//! FTP application (the scripted client, or the server with one session per control
//! connection).
//!
//! The host owns the glue between TCP and the sans-IO FTP state machines: it watches socket
//! states (SYN-SENT → ESTABLISHED is "connected", SYN-SENT → CLOSED is "refused"), moves bytes
//! both ways, and carries out what the FTP code asks (listen, connect from port 20, close).
//! It never writes TCP itself. The world feeds it packets and polls it when smoltcp or the FTP
//! code asks for a wake-up; everything it has to tell goes out as `HostEvent`s.

mod device;

use crate::ftp::server::{DataFailure, DataWork};
use crate::ftp::{
    ClientAction, ClientSession, MemStore, ServerAction, ServerConfig, ServerSession,
};
use crate::rng::Rng;
use crate::time::Time;
use device::SimDevice;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint};
use std::net::{Ipv4Addr, SocketAddrV4};

const BUF: usize = 64 * 1024;
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
    Console(String),
    ActionStarted {
        index: usize,
        typed: String,
    },
    ActionFinished(crate::ftp::ActionResult),
    /// A remark, about the control connection `on` when it concerns a session.
    Note {
        text: String,
        on: Option<(SocketAddrV4, SocketAddrV4)>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The server's listener on its control port.
    ControlListen,
    Control,
    DataListen,
    Data,
}

#[derive(Debug)]
struct Sock {
    handle: SocketHandle,
    role: Role,
    /// The server session it belongs to (0 for the client).
    owner: usize,
    last: State,
    /// The connection was established at some point.
    opened: bool,
    /// We were asked to close once the send buffer is flushed.
    close_when_flushed: bool,
    /// `close()` was called.
    closing: bool,
    eof_reported: bool,
    closed_reported: bool,
    pending: Vec<u8>,
    local: Option<SocketAddrV4>,
    remote: Option<SocketAddrV4>,
    /// Removed from the socket set (a connect given up, a listener no longer wanted).
    gone: bool,
    /// A control listener that left LISTEN has been replaced by a new one.
    relistened: bool,
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

/// An end host.
pub struct EndHost {
    pub name: String,
    pub addr: Ipv4Addr,
    iface: Interface,
    dev: SimDevice,
    sockets: SocketSet<'static>,
    socks: Vec<Sock>,
    app: App,
    rng: Rng,
    started: bool,
}

fn v4(ep: IpEndpoint) -> Option<SocketAddrV4> {
    match ep.addr {
        IpAddress::Ipv4(a) => Some(SocketAddrV4::new(a, ep.port)),
    }
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
            dev,
            sockets: SocketSet::new(Vec::new()),
            socks: Vec::new(),
            app,
            rng,
            started: false,
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// A packet arrives from the network.
    pub fn receive(&mut self, bytes: Vec<u8>) {
        self.dev.rx.push_back(bytes);
    }

    /// Packets the host has sent since the last call.
    pub fn take_outgoing(&mut self) -> Vec<Vec<u8>> {
        self.dev.tx.drain(..).collect()
    }

    /// When the host next wants to be polled.
    pub fn next_wake(&mut self, now: Time) -> Option<Time> {
        let tcp = self
            .iface
            .poll_at(to_smol(now), &self.sockets)
            .map(from_smol);
        let app = match &self.app {
            App::Client(c) => c.poll_timeout(),
            App::Server(s) => s
                .sessions
                .iter()
                .filter_map(ServerSession::poll_timeout)
                .min(),
        };
        match (tcp, app) {
            (Some(a), Some(b)) => Some(a.min(b).max(now)),
            (a, b) => a.or(b).map(|t| t.max(now)),
        }
    }

    /// Runs the host at `now`: TCP first, then the application, until neither has more to do.
    pub fn poll(&mut self, now: Time, out: &mut Vec<HostEvent>) {
        if !self.started {
            self.started = true;
            match &mut self.app {
                App::Client(c) => c.start(now),
                App::Server(s) => {
                    let port = s.cfg.control_port;
                    let _ = self.open_listener(Role::ControlListen, 0, port);
                }
            }
        }
        self.app_timeouts(now);
        for _ in 0..10_000 {
            self.dev.rx_ready = true;
            self.iface
                .poll(to_smol(now), &mut self.dev, &mut self.sockets);
            let mut progress = !self.dev.rx.is_empty();
            progress |= self.observe(now, out);
            progress |= self.run_app(now, out);
            progress |= self.pump_downloads(now);
            progress |= self.flush();
            if !progress {
                break;
            }
        }
        self.reap();
    }

    fn app_timeouts(&mut self, now: Time) {
        match &mut self.app {
            App::Client(c) => {
                if c.poll_timeout().is_some_and(|t| t <= now) {
                    c.handle_timeout(now);
                }
            }
            App::Server(s) => {
                let ServerApp {
                    sessions, store, ..
                } = &mut **s;
                for sess in sessions.iter_mut() {
                    if sess.poll_timeout().is_some_and(|t| t <= now) {
                        sess.handle_timeout(now, store);
                    }
                }
            }
        }
    }

    fn new_socket(&mut self) -> SocketHandle {
        let s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUF]),
            tcp::SocketBuffer::new(vec![0; BUF]),
        );
        self.sockets.add(s)
    }

    fn track(&mut self, handle: SocketHandle, role: Role, owner: usize) {
        let last = self.sockets.get::<tcp::Socket>(handle).state();
        self.socks.push(Sock {
            handle,
            role,
            owner,
            last,
            opened: false,
            close_when_flushed: false,
            closing: false,
            eof_reported: false,
            closed_reported: false,
            pending: Vec::new(),
            local: None,
            remote: None,
            gone: false,
            relistened: false,
        });
    }

    fn open_listener(&mut self, role: Role, owner: usize, port: u16) -> Result<(), String> {
        let busy = self.socks.iter().filter(|s| !s.gone).any(|s| {
            let sock = self.sockets.get::<tcp::Socket>(s.handle);
            sock.state() == State::Listen && sock.listen_endpoint().port == port
        });
        if busy {
            return Err(format!("port {port} is already in use"));
        }
        let h = self.new_socket();
        self.sockets
            .get_mut::<tcp::Socket>(h)
            .listen(port)
            .map_err(|e| e.to_string())?;
        self.track(h, role, owner);
        Ok(())
    }

    fn ephemeral_port(&mut self) -> u16 {
        loop {
            let p = self.rng.range_u16(EPHEMERAL.0, EPHEMERAL.1);
            let used = self
                .socks
                .iter()
                .any(|s| s.local.is_some_and(|l| l.port() == p));
            if !used {
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
        let h = self.new_socket();
        let cx = self.iface.context();
        self.sockets
            .get_mut::<tcp::Socket>(h)
            .connect(cx, to, port)
            .map_err(|e| e.to_string())?;
        self.track(h, role, owner);
        Ok(SocketAddrV4::new(self.addr, port))
    }

    /// The (local, remote) endpoints of the socket with this role and owner.
    fn endpoints(&self, role: Role, owner: usize) -> Option<(SocketAddrV4, SocketAddrV4)> {
        let s = self
            .socks
            .iter()
            .rev()
            .find(|s| s.role == role && s.owner == owner && s.local.is_some())?;
        Some((s.local?, s.remote?))
    }

    /// A server session's control connection (local, remote).
    fn session_endpoints(&self, owner: usize) -> Option<(SocketAddrV4, SocketAddrV4)> {
        match &self.app {
            App::Server(s) => s.sessions.get(owner).map(|x| (x.local(), x.peer())),
            App::Client(_) => None,
        }
    }

    /// Watches every socket for state changes and data, and tells the application.
    fn observe(&mut self, now: Time, out: &mut Vec<HostEvent>) -> bool {
        let mut progress = false;
        let mut i = 0;
        while i < self.socks.len() {
            if self.socks[i].gone {
                i += 1;
                continue;
            }
            let (handle, role) = (self.socks[i].handle, self.socks[i].role);
            let sock = self.sockets.get_mut::<tcp::Socket>(handle);
            let state = sock.state();
            let local = sock.local_endpoint().and_then(v4);
            let remote = sock.remote_endpoint().and_then(v4);
            let mut data = Vec::new();
            while sock.can_recv() {
                let mut buf = [0u8; 4096];
                match sock.recv_slice(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
            }
            let peer_done = !sock.may_recv()
                && matches!(
                    state,
                    State::CloseWait
                        | State::LastAck
                        | State::Closing
                        | State::TimeWait
                        | State::Closed
                );
            let s = &mut self.socks[i];
            if local.is_some() {
                s.local = local;
            }
            if remote.is_some() {
                s.remote = remote;
            }
            let from = s.last;
            if from != state {
                progress = true;
                s.last = state;
                if let (Some(l), Some(r)) = (s.local, s.remote) {
                    out.push(HostEvent::TcpState {
                        local: l,
                        remote: r,
                        from,
                        to: state,
                    });
                }
            }
            let became_open = !s.opened && matches!(state, State::Established | State::CloseWait);
            let failed = !s.opened
                && from != State::Listen
                && from != State::Closed
                && state == State::Closed;
            if became_open {
                s.opened = true;
            }
            // A listener that got a connection becomes that connection; listen again.
            // A listener that took a SYN is that connection now: listen again at once, so a
            // second client's SYN finds a listener (a real server's backlog).
            if role == Role::ControlListen && state != State::Listen && !s.relistened {
                s.relistened = true;
                if let App::Server(srv) = &self.app {
                    let port = srv.cfg.control_port;
                    let _ = self.open_listener(Role::ControlListen, 0, port);
                }
                progress = true;
            }
            if became_open && role == Role::ControlListen {
                self.socks[i].role = Role::Control;
                if let App::Server(srv) = &mut self.app {
                    let (Some(l), Some(r)) = (local, remote) else {
                        i += 1;
                        continue;
                    };
                    let idx = srv.sessions.len();
                    let rng = Rng::split(srv.seed, &format!("session/{idx}"));
                    srv.sessions
                        .push(ServerSession::new(srv.cfg.clone(), l, r, rng, now));
                    self.socks[i].owner = idx;
                }
                progress = true;
            }
            let (role, owner) = (self.socks[i].role, self.socks[i].owner);
            if became_open && role == Role::DataListen {
                self.socks[i].role = Role::Data;
            }
            let s = &self.socks[i];
            let (opened, eof_reported, closing, closed_reported) =
                (s.opened, s.eof_reported, s.closing, s.closed_reported);
            let our_close_done = closing
                && !closed_reported
                && matches!(state, State::FinWait2 | State::TimeWait | State::Closed);
            let reset = opened && !closing && state == State::Closed && !eof_reported;
            if became_open
                || failed
                || !data.is_empty()
                || (peer_done && !eof_reported)
                || our_close_done
                || reset
            {
                progress = true;
            }
            self.tell_app(
                i,
                role,
                owner,
                now,
                became_open,
                failed,
                &data,
                peer_done && !eof_reported,
                our_close_done,
                reset,
                remote,
            );
            if peer_done {
                self.socks[i].eof_reported = true;
            }
            if our_close_done {
                self.socks[i].closed_reported = true;
            }
            i += 1;
        }
        progress
    }

    #[allow(clippy::too_many_arguments)]
    fn tell_app(
        &mut self,
        i: usize,
        role: Role,
        owner: usize,
        now: Time,
        opened: bool,
        failed: bool,
        data: &[u8],
        eof: bool,
        our_close_done: bool,
        reset: bool,
        remote: Option<SocketAddrV4>,
    ) {
        let local = self.socks[i].local;
        let peer = remote
            .or(self.socks[i].remote)
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        match &mut self.app {
            App::Client(c) => match role {
                Role::Control => {
                    if opened && let Some(l) = local {
                        c.control_connected(l, now);
                    }
                    if failed {
                        c.control_failed(DataFailure::Refused, now);
                    }
                    if !data.is_empty() {
                        c.control_bytes(data, now);
                    }
                    if eof {
                        c.control_closed(now);
                        self.socks[i].close_when_flushed = true;
                    }
                }
                Role::Data | Role::DataListen => {
                    if opened {
                        c.data_connected(peer, now);
                    }
                    if failed {
                        c.data_failed(DataFailure::Refused, now);
                    }
                    if reset {
                        c.data_failed(DataFailure::Reset, now);
                    }
                    if !data.is_empty() {
                        c.data_bytes(data);
                    }
                    if eof {
                        c.data_eof(now);
                    }
                    if our_close_done {
                        c.data_closed(now);
                    }
                }
                Role::ControlListen => {}
            },
            App::Server(srv) => {
                let ServerApp {
                    sessions, store, ..
                } = &mut **srv;
                let Some(sess) = sessions.get_mut(owner) else {
                    return;
                };
                match role {
                    Role::Control => {
                        if !data.is_empty() {
                            sess.handle_control_bytes(data, now, store);
                        }
                        if eof {
                            if !sess.is_closed() {
                                sess.control_closed();
                            }
                            self.socks[i].close_when_flushed = true;
                        }
                    }
                    Role::Data | Role::DataListen => {
                        if opened {
                            sess.data_connected(peer, now, store);
                        }
                        if failed {
                            sess.data_failed(DataFailure::Refused, now, store);
                        }
                        if reset {
                            sess.data_failed(DataFailure::Reset, now, store);
                        }
                        if !data.is_empty() {
                            sess.data_received(data, now);
                        }
                        if eof {
                            sess.data_eof(now, store);
                        }
                        if our_close_done {
                            sess.data_closed(now, store);
                        }
                    }
                    Role::ControlListen => {}
                }
            }
        }
    }

    /// Carries out what the application asks.
    fn run_app(&mut self, now: Time, out: &mut Vec<HostEvent>) -> bool {
        let mut progress = false;
        loop {
            let next = match &mut self.app {
                App::Client(c) => c.poll_action().map(|a| (0, Either::C(a))),
                App::Server(s) => s
                    .sessions
                    .iter_mut()
                    .enumerate()
                    .find_map(|(i, x)| x.poll_action().map(|a| (i, Either::S(a)))),
            };
            let Some((owner, action)) = next else { break };
            progress = true;
            match action {
                Either::C(a) => self.client_action(a, now, out),
                Either::S(a) => self.server_action(owner, a, now, out),
            }
        }
        progress
    }

    fn client_action(&mut self, a: ClientAction, now: Time, out: &mut Vec<HostEvent>) {
        match a {
            ClientAction::ConnectControl { to } => match self.connect(Role::Control, 0, to, None) {
                Ok(local) => out.push(HostEvent::Opening {
                    local,
                    remote: to,
                    control: true,
                }),
                Err(e) => {
                    out.push(HostEvent::Note {
                        text: format!("connect failed: {e}"),
                        on: None,
                    });
                    if let App::Client(c) = &mut self.app {
                        c.control_failed(DataFailure::Unreachable, now);
                    }
                }
            },
            ClientAction::SendCommand(cmd) => {
                out.push(HostEvent::FtpCommand {
                    line: cmd.to_string(),
                    sent: true,
                    on: self.endpoints(Role::Control, 0),
                });
                self.queue_send(Role::Control, 0, cmd.to_line().as_bytes());
            }
            ClientAction::Received(r) => out.push(HostEvent::FtpReply {
                code: r.code,
                text: r.text,
                sent: false,
                on: self.endpoints(Role::Control, 0),
            }),
            ClientAction::ListenData { port } => {
                let r = self.open_listener(Role::DataListen, 0, port);
                if let App::Client(c) = &mut self.app {
                    c.listen_result(r, now);
                }
            }
            ClientAction::ConnectData { to } => match self.connect(Role::Data, 0, to, None) {
                Ok(local) => out.push(HostEvent::Opening {
                    local,
                    remote: to,
                    control: false,
                }),
                Err(e) => {
                    out.push(HostEvent::Note {
                        text: format!("data connect failed: {e}"),
                        on: None,
                    });
                    if let App::Client(c) = &mut self.app {
                        c.data_failed(DataFailure::Unreachable, now);
                    }
                }
            },
            ClientAction::SendData(d) => self.queue_send(Role::Data, 0, &d),
            ClientAction::CloseData => self.close_role(Role::Data, 0),
            ClientAction::AbortData => self.abort_data(0),
            ClientAction::CloseControl => self.close_role(Role::Control, 0),
            ClientAction::Console(l) => out.push(HostEvent::Console(l)),
            ClientAction::Started { index, typed } => {
                out.push(HostEvent::ActionStarted { index, typed })
            }
            ClientAction::Finished(r) => out.push(HostEvent::ActionFinished(r)),
        }
    }

    fn server_action(
        &mut self,
        owner: usize,
        a: ServerAction,
        now: Time,
        out: &mut Vec<HostEvent>,
    ) {
        match a {
            ServerAction::Received(line) => out.push(HostEvent::FtpCommand {
                line,
                sent: false,
                on: self.session_endpoints(owner),
            }),
            ServerAction::Reply(r) => {
                self.queue_send(Role::Control, owner, r.to_wire().as_bytes());
                out.push(HostEvent::FtpReply {
                    code: r.code,
                    text: r.text,
                    sent: true,
                    on: self.session_endpoints(owner),
                });
            }
            ServerAction::ConnectData { from_port, to } => {
                match self.connect(Role::Data, owner, to, from_port) {
                    Ok(local) => out.push(HostEvent::Opening {
                        local,
                        remote: to,
                        control: false,
                    }),
                    Err(e) => {
                        out.push(HostEvent::Note {
                            text: format!("data connect failed: {e}"),
                            on: None,
                        });
                        if let App::Server(s) = &mut self.app {
                            let ServerApp {
                                sessions, store, ..
                            } = &mut **s;
                            sessions[owner].data_failed(DataFailure::Unreachable, now, store);
                        }
                    }
                }
            }
            ServerAction::ListenData { port } => {
                let r = self.open_listener(Role::DataListen, owner, port);
                if let App::Server(s) = &mut self.app {
                    let ServerApp {
                        sessions, store, ..
                    } = &mut **s;
                    sessions[owner].listen_result(r, now, store);
                }
            }
            ServerAction::CloseData => self.close_role(Role::Data, owner),
            ServerAction::AbortData => self.abort_data(owner),
            ServerAction::CloseControl => self.close_role(Role::Control, owner),
            ServerAction::Note(t) => out.push(HostEvent::Note {
                text: t,
                on: self.session_endpoints(owner),
            }),
        }
    }

    fn find(&self, role: Role, owner: usize) -> Option<usize> {
        self.socks
            .iter()
            .rposition(|s| s.role == role && s.owner == owner && !s.closing && !s.gone)
    }

    fn queue_send(&mut self, role: Role, owner: usize, bytes: &[u8]) {
        if let Some(i) = self.find(role, owner) {
            self.socks[i].pending.extend_from_slice(bytes);
        }
    }

    fn close_role(&mut self, role: Role, owner: usize) {
        if let Some(i) = self.find(role, owner) {
            self.socks[i].close_when_flushed = true;
        }
    }

    fn abort_data(&mut self, owner: usize) {
        for s in self.socks.iter_mut().filter(|s| {
            matches!(s.role, Role::Data | Role::DataListen) && s.owner == owner && !s.gone
        }) {
            if !s.closing {
                s.closing = true;
                s.closed_reported = true;
                s.eof_reported = true;
                let sock = self.sockets.get_mut::<tcp::Socket>(s.handle);
                if matches!(sock.state(), State::Listen | State::SynSent) {
                    discard(&mut self.sockets, s);
                } else {
                    sock.abort();
                }
            }
        }
    }

    /// Pulls download bytes from server sessions into their data sockets' queues, a chunk at
    /// a time, as the sockets drain (so a file is never copied whole).
    fn pump_downloads(&mut self, now: Time) -> bool {
        let App::Server(srv) = &mut self.app else {
            return false;
        };
        let mut progress = false;
        for (owner, sess) in srv.sessions.iter_mut().enumerate() {
            if sess.data_work() != DataWork::Send {
                continue;
            }
            let Some(s) = self
                .socks
                .iter_mut()
                .rev()
                .find(|s| s.role == Role::Data && s.owner == owner && !s.closing && !s.gone)
            else {
                continue;
            };
            if s.pending.is_empty() {
                let mut buf = [0u8; 16 * 1024];
                let n = sess.read_data(&mut buf, now);
                s.pending.extend_from_slice(&buf[..n]);
                progress = true;
            }
        }
        progress
    }

    /// Moves queued bytes into socket buffers; closes sockets whose data is all handed over.
    fn flush(&mut self) -> bool {
        let mut progress = false;
        for s in self.socks.iter_mut().filter(|s| !s.gone) {
            let sock = self.sockets.get_mut::<tcp::Socket>(s.handle);
            if !s.pending.is_empty() && sock.may_send() {
                if let Ok(n) = sock.send_slice(&s.pending) {
                    if n > 0 {
                        s.pending.drain(..n);
                        progress = true;
                    }
                }
            }
            if s.close_when_flushed && !s.closing && s.pending.is_empty() {
                s.closing = true;
                progress = true;
                if matches!(sock.state(), State::Listen | State::SynSent) {
                    discard(&mut self.sockets, s);
                } else {
                    sock.close();
                }
            }
        }
        progress
    }

    /// Forgets sockets that are closed for good.
    fn reap(&mut self) {
        let sockets = &mut self.sockets;
        self.socks.retain(|s| {
            if s.gone {
                return false;
            }
            let done = sockets.get::<tcp::Socket>(s.handle).state() == State::Closed
                && s.last == State::Closed
                && (s.closing || s.opened || s.role != Role::ControlListen);
            if done {
                sockets.remove(s.handle);
            }
            !done
        });
    }
}

/// Deletes a socket that has no synchronised peer (LISTEN or SYN-SENT): nothing is sent, as
/// when a real stack deletes the TCB (RFC 793, CLOSE in SYN-SENT). smoltcp would otherwise
/// send an RST from CLOSED.
fn discard(sockets: &mut SocketSet<'static>, s: &mut Sock) {
    sockets.remove(s.handle);
    s.gone = true;
}

enum Either {
    C(ClientAction),
    S(ServerAction),
}

fn to_smol(t: Time) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(t.micros() as i64)
}

fn from_smol(t: smoltcp::time::Instant) -> Time {
    Time::from_micros(t.total_micros().max(0) as u64)
}
