//! Between the sockets and the FTP application: what a socket's change means to the
//! application (connected, refused, bytes, end of stream, reset), and what the application's
//! requests mean to the sockets (connect, listen, send, close, abort).

use super::table::{Role, Table};
use super::{App, EndHost, HostEvent, ServerApp};
use crate::ftp::server::{DataFailure, DataWork};
use crate::ftp::{ClientAction, ServerAction, ServerSession};
use crate::rng::Rng;
use crate::time::Time;
use smoltcp::socket::tcp::State;
use std::net::{Ipv4Addr, SocketAddrV4};

/// What changed on one socket, for the application.
#[derive(Default)]
struct Seen {
    opened: bool,
    failed: bool,
    /// How a failed connect failed (a RST when not said: refused).
    failure: Option<DataFailure>,
    data: Vec<u8>,
    eof: bool,
    our_close_done: bool,
    reset: bool,
    remote: Option<SocketAddrV4>,
}

impl EndHost {
    /// An ICMP destination unreachable about the connection in `slot`. smoltcp ignores ICMP
    /// for TCP, so the host does what Linux's `tcp_v4_err` does: a connect still in SYN-SENT
    /// fails at once (ECONNREFUSED for a port unreachable, EHOSTUNREACH for host unreachable
    /// or administratively prohibited), the socket is deleted without sending anything, and
    /// the application hears it as a failed connect. On a synchronised connection the error
    /// is "soft" and ignored.
    pub(super) fn icmp_error(
        &mut self,
        slot: usize,
        failure: DataFailure,
        why: crate::trace::Note,
        now: Time,
        out: &mut Vec<HostEvent>,
    ) -> bool {
        let Some(c) = self.table.get(slot) else {
            return false;
        };
        let state = c.socket().state();
        if state != State::SynSent {
            return false;
        }
        let (role, owner, local, remote) = (c.meta.role, c.meta.owner, c.meta.local, c.meta.remote);
        c.meta.last = State::Closed;
        if let (Some(l), Some(r)) = (local, remote) {
            out.push(HostEvent::TcpState {
                local: l,
                remote: r,
                from: state,
                to: State::Closed,
            });
        }
        out.push(HostEvent::Note {
            note: why,
            on: None,
        });
        self.table.discard(slot);
        let seen = Seen {
            failed: true,
            failure: Some(failure),
            remote,
            ..Seen::default()
        };
        self.tell_app(slot, role, owner, now, &seen);
        true
    }

    /// Looks at one socket after a poll: its state change, its data; tells the application.
    pub(super) fn observe(&mut self, slot: usize, now: Time, out: &mut Vec<HostEvent>) -> bool {
        let Some(c) = self.table.get(slot) else {
            return false;
        };
        let (state, local, remote) = Table::endpoints_now(c);
        let mut seen = Seen {
            remote,
            ..Seen::default()
        };
        let sock = c.socket();
        while sock.can_recv() {
            let mut buf = [0u8; 4096];
            match sock.recv_slice(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.data.extend_from_slice(&buf[..n]),
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
        let m = &mut c.meta;
        m.local = local.or(m.local);
        m.remote = remote.or(m.remote);
        let from = m.last;
        let mut progress = from != state;
        if from != state {
            m.last = state;
            if let (Some(l), Some(r)) = (m.local, m.remote) {
                out.push(HostEvent::TcpState {
                    local: l,
                    remote: r,
                    from,
                    to: state,
                });
            }
        }
        seen.opened = !m.opened && matches!(state, State::Established | State::CloseWait);
        seen.failed =
            !m.opened && from != State::Listen && from != State::Closed && state == State::Closed;
        m.opened |= seen.opened;
        seen.eof = peer_done && !m.eof_reported;
        seen.our_close_done = m.closing
            && !m.closed_reported
            && matches!(state, State::FinWait2 | State::TimeWait | State::Closed);
        seen.reset = m.opened && !m.closing && state == State::Closed && !m.eof_reported;
        m.eof_reported |= peer_done;
        m.closed_reported |= seen.our_close_done;
        let (role, owner) = (m.role, m.owner);
        progress |= self.listener_changes(slot, role, state, local, remote, now);
        let (role, owner) = self
            .table
            .get(slot)
            .map_or((role, owner), |c| (c.meta.role, c.meta.owner));
        progress |= seen.opened
            || seen.failed
            || !seen.data.is_empty()
            || seen.eof
            || seen.our_close_done
            || seen.reset;
        self.tell_app(slot, role, owner, now, &seen);
        progress
    }

    /// A listener that took a SYN is that connection now. A control listener is replaced at
    /// once (so the next client's SYN finds one: a real server's backlog) and, once the
    /// connection is established, gets its session.
    fn listener_changes(
        &mut self,
        slot: usize,
        role: Role,
        state: State,
        local: Option<SocketAddrV4>,
        remote: Option<SocketAddrV4>,
        now: Time,
    ) -> bool {
        if !matches!(role, Role::ControlListen | Role::DataListen) || state == State::Listen {
            return false;
        }
        let (Some(l), Some(r)) = (local, remote) else {
            return false;
        };
        let Some(c) = self.table.get(slot) else {
            return false;
        };
        let first = !c.meta.relistened;
        c.meta.relistened = true;
        let opened = c.meta.opened;
        let owner = c.meta.owner;
        if first {
            self.table.listener_taken(slot, l, r);
            if role == Role::ControlListen
                && let App::Server(srv) = &self.app
            {
                let _ = self
                    .table
                    .listen(Role::ControlListen, 0, srv.cfg.control_port);
            }
        }
        if !opened {
            return first;
        }
        match (role, &mut self.app) {
            (Role::ControlListen, App::Server(srv)) => {
                let idx = srv.sessions.len();
                let rng = Rng::split(srv.seed, &format!("session/{idx}"));
                srv.sessions
                    .push(ServerSession::new(srv.cfg.clone(), l, r, rng, now));
                self.table.set_role(slot, Role::Control, idx);
                self.app_dirty.insert(idx);
            }
            (Role::DataListen, _) => self.table.set_role(slot, Role::Data, owner),
            _ => {}
        }
        true
    }

    fn tell_app(&mut self, slot: usize, role: Role, owner: usize, now: Time, s: &Seen) {
        let local = self.table.get(slot).and_then(|c| c.meta.local);
        let peer = s
            .remote
            .or(self.table.get(slot).and_then(|c| c.meta.remote))
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        let nothing =
            !(s.opened || s.failed || !s.data.is_empty() || s.eof || s.our_close_done || s.reset);
        if nothing || role == Role::ControlListen {
            return;
        }
        self.app_dirty.insert(owner);
        let close_control = match &mut self.app {
            App::Client(c) => match role {
                Role::Control => {
                    if s.opened
                        && let Some(l) = local
                    {
                        c.control_connected(l, now);
                    }
                    if s.failed {
                        c.control_failed(s.failure.unwrap_or(DataFailure::Refused), now);
                    }
                    if !s.data.is_empty() {
                        c.control_bytes(&s.data, now);
                    }
                    if s.eof {
                        c.control_closed(now);
                    }
                    s.eof
                }
                _ => {
                    if s.opened {
                        c.data_connected(peer, now);
                    }
                    if s.failed {
                        c.data_failed(s.failure.unwrap_or(DataFailure::Refused), now);
                    }
                    if s.reset {
                        c.data_failed(DataFailure::Reset, now);
                    }
                    if !s.data.is_empty() {
                        c.data_bytes(&s.data);
                    }
                    if s.eof {
                        c.data_eof(now);
                    }
                    if s.our_close_done {
                        c.data_closed(now);
                    }
                    false
                }
            },
            App::Server(srv) => server_told(srv, role, owner, now, s, peer),
        };
        if close_control && let Some(c) = self.table.get(slot) {
            c.meta.close_when_flushed = true;
            self.table.to_flush.insert(slot);
        }
    }

    /// Carries out what the sessions with news ask.
    pub(super) fn run_app(&mut self, now: Time, out: &mut Vec<HostEvent>) -> bool {
        let mut progress = false;
        while let Some(owner) = self.app_dirty.pop_first() {
            loop {
                let action = match &mut self.app {
                    App::Client(c) => c.poll_action().map(Either::C),
                    App::Server(s) => s
                        .sessions
                        .get_mut(owner)
                        .and_then(|x| x.poll_action())
                        .map(Either::S),
                };
                let Some(action) = action else { break };
                progress = true;
                match action {
                    Either::C(a) => self.client_action(a, now, out),
                    Either::S(a) => self.server_action(owner, a, now, out),
                }
            }
            let (deadline, sending) = match &self.app {
                App::Client(c) => (c.poll_timeout(), false),
                App::Server(s) => s.sessions.get(owner).map_or((None, false), |x| {
                    (x.poll_timeout(), x.data_work() == DataWork::Send)
                }),
            };
            self.timers.update(owner, deadline);
            if sending {
                self.senders.insert(owner);
            } else {
                self.senders.remove(&owner);
            }
        }
        progress
    }

    pub(super) fn app_timeout(&mut self, owner: usize, now: Time) {
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
                if let Some(sess) = sessions.get_mut(owner)
                    && sess.poll_timeout().is_some_and(|t| t <= now)
                {
                    sess.handle_timeout(now, store);
                }
            }
        }
        self.app_dirty.insert(owner);
    }

    fn client_action(&mut self, a: ClientAction, now: Time, out: &mut Vec<HostEvent>) {
        match a {
            ClientAction::ConnectControl { to } => self.client_connect(Role::Control, to, now, out),
            ClientAction::ConnectData { to } => self.client_connect(Role::Data, to, now, out),
            ClientAction::SendCommand(cmd) => {
                out.push(HostEvent::FtpCommand {
                    line: cmd.to_string(),
                    sent: true,
                    on: self.table.endpoints(Role::Control, 0),
                });
                self.queue_send(Role::Control, 0, cmd.to_line().as_bytes());
            }
            ClientAction::Received(r) => out.push(HostEvent::FtpReply {
                code: r.code,
                text: r.text,
                sent: false,
                on: self.table.endpoints(Role::Control, 0),
            }),
            ClientAction::ListenData { port } => {
                let r = self.table.listen(Role::DataListen, 0, port).map(|_| ());
                if let App::Client(c) = &mut self.app {
                    c.listen_result(r, now);
                }
            }
            ClientAction::SendData(d) => self.queue_send(Role::Data, 0, &d),
            ClientAction::CloseData => self.close_role(Role::Data, 0),
            ClientAction::AbortData => self.abort_data(0),
            ClientAction::CloseControl => self.close_role(Role::Control, 0),
            ClientAction::Console(shown, l) => out.push(HostEvent::Console(shown, l)),
            ClientAction::Started { index, typed } => {
                out.push(HostEvent::ActionStarted { index, typed })
            }
            ClientAction::Finished(r) => out.push(HostEvent::ActionFinished(r)),
        }
    }

    fn client_connect(
        &mut self,
        role: Role,
        to: SocketAddrV4,
        now: Time,
        out: &mut Vec<HostEvent>,
    ) {
        match self.connect(role, 0, to, None) {
            Ok(local) => out.push(HostEvent::Opening {
                local,
                remote: to,
                control: role == Role::Control,
            }),
            Err(e) => {
                out.push(HostEvent::Note {
                    note: crate::trace::Note::ConnectFailed {
                        data: role != Role::Control,
                        error: e,
                    },
                    on: None,
                });
                if let App::Client(c) = &mut self.app {
                    if role == Role::Control {
                        c.control_failed(DataFailure::Unreachable, now);
                    } else {
                        c.data_failed(DataFailure::Unreachable, now);
                    }
                }
            }
        }
    }

    fn session_endpoints(&self, owner: usize) -> Option<(SocketAddrV4, SocketAddrV4)> {
        match &self.app {
            App::Server(s) => s.sessions.get(owner).map(|x| (x.local(), x.peer())),
            App::Client(_) => None,
        }
    }

    fn server_action(
        &mut self,
        owner: usize,
        a: ServerAction,
        now: Time,
        out: &mut Vec<HostEvent>,
    ) {
        let on = self.session_endpoints(owner);
        match a {
            ServerAction::Received(line) => out.push(HostEvent::FtpCommand {
                line,
                sent: false,
                on,
            }),
            ServerAction::Reply(r) => {
                self.queue_send(Role::Control, owner, r.to_wire().as_bytes());
                out.push(HostEvent::FtpReply {
                    code: r.code,
                    text: r.text,
                    sent: true,
                    on,
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
                            note: crate::trace::Note::ConnectFailed {
                                data: true,
                                error: e,
                            },
                            on,
                        });
                        self.with_session(owner, |s, store| {
                            s.data_failed(DataFailure::Unreachable, now, store)
                        });
                    }
                }
            }
            ServerAction::ListenData { port } => {
                let r = self.table.listen(Role::DataListen, owner, port).map(|_| ());
                self.with_session(owner, |s, store| s.listen_result(r, now, store));
            }
            ServerAction::CloseData => self.close_role(Role::Data, owner),
            ServerAction::AbortData => self.abort_data(owner),
            ServerAction::CloseControl => self.close_role(Role::Control, owner),
            ServerAction::Note(n) => out.push(HostEvent::Note {
                note: crate::trace::Note::Server(n),
                on,
            }),
        }
    }

    fn with_session(
        &mut self,
        owner: usize,
        f: impl FnOnce(&mut ServerSession, &mut crate::ftp::MemStore),
    ) {
        if let App::Server(s) = &mut self.app {
            let ServerApp {
                sessions, store, ..
            } = &mut **s;
            if let Some(sess) = sessions.get_mut(owner) {
                f(sess, store);
            }
        }
        self.app_dirty.insert(owner);
    }

    fn queue_send(&mut self, role: Role, owner: usize, bytes: &[u8]) {
        if let Some(slot) = self.table.find(role, owner)
            && let Some(c) = self.table.get(slot)
        {
            c.meta.pending.extend_from_slice(bytes);
            self.table.to_flush.insert(slot);
        }
    }

    fn close_role(&mut self, role: Role, owner: usize) {
        if let Some(slot) = self.table.find(role, owner)
            && let Some(c) = self.table.get(slot)
        {
            c.meta.close_when_flushed = true;
            self.table.to_flush.insert(slot);
        }
    }

    fn abort_data(&mut self, owner: usize) {
        for slot in self.table.data_sockets(owner) {
            let Some(c) = self.table.get(slot) else {
                continue;
            };
            if c.meta.closing {
                continue;
            }
            c.meta.closed_reported = true;
            c.meta.eof_reported = true;
            let state = c.socket().state();
            if matches!(state, State::Listen | State::SynSent) {
                self.table.discard(slot);
            } else {
                c.socket().abort();
                self.table.closing(slot);
                self.table.dirty.insert(slot);
            }
        }
    }

    /// Pulls download bytes from the sessions sending a file into their data sockets' queues,
    /// a chunk at a time, as the sockets drain (so a file is never copied whole).
    pub(super) fn pump_downloads(&mut self, now: Time) -> bool {
        let App::Server(srv) = &mut self.app else {
            return false;
        };
        let mut progress = false;
        for owner in self.senders.clone() {
            let Some(sess) = srv.sessions.get_mut(owner) else {
                continue;
            };
            if sess.data_work() != DataWork::Send {
                self.senders.remove(&owner);
                continue;
            }
            let Some(slot) = self.table.find(Role::Data, owner) else {
                continue;
            };
            let Some(c) = self.table.get(slot) else {
                continue;
            };
            if c.meta.pending.is_empty() {
                let mut buf = [0u8; 16 * 1024];
                let n = sess.read_data(&mut buf, now);
                c.meta.pending.extend_from_slice(&buf[..n]);
                self.table.to_flush.insert(slot);
                self.app_dirty.insert(owner);
                progress = true;
            }
        }
        progress
    }

    /// Moves queued bytes into socket buffers; closes sockets whose data is all handed over.
    pub(super) fn flush(&mut self) -> bool {
        let mut progress = false;
        for slot in std::mem::take(&mut self.table.to_flush) {
            let Some(c) = self.table.get(slot) else {
                continue;
            };
            let sock_can_send = c.socket().may_send();
            let mut keep = false;
            if !c.meta.pending.is_empty() && sock_can_send {
                let pending = std::mem::take(&mut c.meta.pending);
                let n = c.socket().send_slice(&pending).unwrap_or(0);
                c.meta.pending = pending[n..].to_vec();
                if n > 0 {
                    progress = true;
                    self.table.dirty.insert(slot);
                }
            }
            let Some(c) = self.table.get(slot) else {
                continue;
            };
            keep |= !c.meta.pending.is_empty();
            if c.meta.close_when_flushed && !c.meta.closing && c.meta.pending.is_empty() {
                progress = true;
                let state = c.socket().state();
                if matches!(state, State::Listen | State::SynSent) {
                    self.table.discard(slot);
                    continue;
                }
                c.socket().close();
                self.table.closing(slot);
                self.table.dirty.insert(slot);
            }
            if keep {
                // Waits for room in the socket: tried again after the socket is polled.
                self.table.to_flush.insert(slot);
            }
        }
        progress
    }
}

/// A server session hears about its socket. Returns true when the control connection is to
/// be closed (the client closed its side).
fn server_told(
    srv: &mut ServerApp,
    role: Role,
    owner: usize,
    now: Time,
    s: &Seen,
    peer: SocketAddrV4,
) -> bool {
    let ServerApp {
        sessions, store, ..
    } = srv;
    let Some(sess) = sessions.get_mut(owner) else {
        return false;
    };
    match role {
        Role::Control => {
            if !s.data.is_empty() {
                sess.handle_control_bytes(&s.data, now, store);
            }
            if s.eof && !sess.is_closed() {
                sess.control_closed();
            }
            s.eof
        }
        _ => {
            if s.opened {
                sess.data_connected(peer, now, store);
            }
            if s.failed {
                sess.data_failed(s.failure.unwrap_or(DataFailure::Refused), now, store);
            }
            if s.reset {
                sess.data_failed(DataFailure::Reset, now, store);
            }
            if !s.data.is_empty() {
                sess.data_received(&s.data, now);
            }
            if s.eof {
                sess.data_eof(now, store);
            }
            if s.our_close_done {
                sess.data_closed(now, store);
            }
            false
        }
    }
}

enum Either {
    C(crate::ftp::ClientAction),
    S(ServerAction),
}
