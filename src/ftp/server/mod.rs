//! The FTP server as a sans-IO state machine: one `ServerSession` per control connection.
//!
//! Bytes from the control connection and data-connection events go in; replies and "connect /
//! listen / close a data connection" requests come out through `poll_action`, file bytes for a
//! download are pulled with `read_data`, and the next deadline comes from `poll_timeout`. It
//! never touches a socket or a clock, so the simulator (over smoltcp) and `ftp-lab serve`
//! (over std::net) drive the same code.
//!
//! Behaviour follows vsftpd 3.0 (its source: `postlogin.c`, `prelogin.c`, `ftpdataio.c`,
//! `tunables.c`): PORT is answered at once and the server connects only when a transfer
//! command arrives (RFC 959 §5.2), from its data port (20, or an ephemeral port) within
//! `connect_timeout`; PASV listens on a port of the passive range and waits `accept_timeout`
//! for the client; either failure is `425 Failed to establish connection.` PORT/EPRT to a
//! third host or to a port below 1024 is refused (RFC 2577). Limits as vsftpd's defaults: an
//! idle session is closed after 300 s (`421 Timeout.`), a stalled transfer after 300 s
//! (`421 Data timeout. Reconnect. Sorry.`), a failed login is answered after 1 s and the third
//! one closes the session, anonymous users may not upload unless allowed.

mod commands;
pub mod note;
pub mod profile;
#[cfg(test)]
mod tests;

use super::reply::Reply;
use super::store::{FileStore, Source, StoreError, Upload};
use crate::rng::Rng;
use crate::time::Time;
pub use note::{Refusal, ServerNote};
pub use profile::ServerProfile;
use profile::{Behaviour, TimeoutReply};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// Longest command line accepted; a longer one is answered with 500 and discarded.
pub const MAX_LINE: usize = 4096;
/// Command lines a driver lets queue up (during a transfer) before it stops reading.
pub const QUEUE_SOFT: usize = 32;
/// Command lines queued beyond which the session gives up (a driver that kept reading).
pub const QUEUE_HARD: usize = 1024;
/// Ports tried in a large passive range before giving up.
pub const MAX_PASV_TRIES: u32 = 1000;

/// What to do when the port picked for PASV is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasvRetry {
    /// Try every port of the range (at most `MAX_PASV_TRIES`), then `425`.
    EveryPort,
    /// Up to `picks` random ports, then the session dies (vsftpd: 9 picks, `privops.c`,
    /// `bind_retries = 10; while (--bind_retries)`, then `500 OOPS: vsf_sysutil_bind`).
    RandomThenQuit { picks: u32 },
}

/// The server's settings (named after vsftpd's where one exists).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `listen_port`: the control port, 21.
    pub control_port: u16,
    /// `connect_from_port_20` + `ftp_data_port`: `Some(20)` (or another fixed port), or `None`
    /// for an ephemeral port chosen by the host.
    pub active_data_port: Option<u16>,
    /// `pasv_min_port` ..= `pasv_max_port`.
    pub passive_range: (u16, u16),
    /// Whose behaviour it shows where real servers differ (`profile`'s table).
    pub profile: ServerProfile,
    /// Whose way of retrying a busy passive port it follows, when not `profile`'s: `serve`
    /// tries every port of its range as pyftpdlib does (vsftpd's 9 random tries, then
    /// `500 OOPS` and the end of the session, would turn away a client while a port is free).
    pub pasv_retry_of: Option<ServerProfile>,
    /// `pasv_address`: announced in 227 instead of the control connection's local address.
    pub passive_address: Option<Ipv4Addr>,
    /// `connect_timeout`: how long the active-mode connect may take before 425.
    pub connect_timeout: Duration,
    /// `accept_timeout`: how long to wait for the passive-mode connection before 425.
    pub accept_timeout: Duration,
    /// `idle_session_timeout`: no command for this long closes the session (`421 Timeout.`).
    pub idle_timeout: Duration,
    /// `data_connection_timeout`: a transfer that moves no byte for this long is ended.
    pub data_timeout: Duration,
    /// `delay_failed_login`: how long a wrong password waits for its 530.
    pub delay_failed_login: Duration,
    /// `max_login_fails`: the session is closed after this many (0 = never).
    pub max_login_fails: u32,
    /// `port_promiscuous = NO`: refuse PORT naming another host, or a port below 1024.
    pub refuse_port_bounce: bool,
    /// `pasv_promiscuous = NO`: refuse a passive connection from another host.
    pub refuse_pasv_foreign: bool,
    /// `anonymous_enable`: accept `anonymous`/`ftp` with any password.
    pub anonymous: bool,
    /// `anon_upload_enable`: let anonymous users upload.
    pub anon_upload: bool,
    /// Named accounts: (user, password).
    pub users: Vec<(String, String)>,
    /// Refuse every upload.
    pub read_only: bool,
    /// The 220 text.
    pub banner: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            control_port: 21,
            active_data_port: Some(20),
            passive_range: (1024, 65535),
            profile: ServerProfile::Vsftpd,
            pasv_retry_of: None,
            passive_address: None,
            connect_timeout: Duration::from_secs(60),
            accept_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(300),
            delay_failed_login: Duration::from_secs(1),
            max_login_fails: 3,
            refuse_port_bounce: true,
            refuse_pasv_foreign: true,
            anonymous: true,
            anon_upload: false,
            users: Vec::new(),
            read_only: false,
            banner: "(FTP Lab server)".to_owned(),
        }
    }
}

/// How a data connection failed, as the host saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DataFailure {
    /// The peer (or a firewall on its behalf) answered with RST.
    Refused,
    /// An established connection was reset.
    Reset,
    /// The host could not even start it (no route, port in use), or an ICMP host
    /// unreachable (or time exceeded) aborted it: EHOSTUNREACH.
    Unreachable,
    /// An ICMP net unreachable aborted it (a router with no route): ENETUNREACH.
    NetUnreachable,
    /// Nothing moved for too long (a connect or a send that timed out).
    TimedOut,
}

/// What the session asks its host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAction {
    /// A command line was received (for the transcript).
    Received(String),
    /// Send this reply on the control connection.
    Reply(Reply),
    /// Active mode: open a TCP connection to `to`, from `from_port` (None = ephemeral).
    ConnectData {
        from_port: Option<u16>,
        to: SocketAddrV4,
    },
    /// Passive mode: listen on `port`; answer with `listen_result`.
    ListenData { port: u16 },
    /// Close the data connection once everything pulled with `read_data` is sent; answer with
    /// `data_closed`.
    CloseData,
    /// Abort the data connection or listener (RST / stop listening).
    AbortData,
    /// Close the control connection.
    CloseControl,
    /// Something the operator should know (a refused data connection, a bad address).
    Note(ServerNote),
}

/// What the data side of the session waits for: how a driver knows what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataWork {
    /// Nothing on the data side.
    Idle,
    /// A transfer waits for the client to connect to the passive port: accept it.
    Accept,
    /// A download: pull bytes with `read_data` and send them.
    Send,
    /// An upload: feed what arrives to `data_received`, then `data_eof`.
    Receive,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Login {
    None,
    User(String),
    In { anonymous: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum DataSetup {
    None,
    Active(SocketAddrV4),
    /// pyftpdlib: connecting to the PORT address; the PORT reply waits for the outcome.
    ActiveConnecting {
        to: SocketAddrV4,
        deadline: Time,
    },
    /// pyftpdlib: connected to the PORT address before any transfer command.
    ActiveOpen(SocketAddrV4),
    /// Listening on `port` (`first`: the first port tried, `tries` so far); `ready` once the
    /// host confirmed; `peer` once a client connected.
    Passive {
        port: u16,
        first: u16,
        tries: u32,
        extended: bool,
        ready: bool,
        peer: Option<SocketAddrV4>,
        /// pyftpdlib: the listener gives up at this time (from PASV, not from the transfer).
        deadline: Option<Time>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the data connection (active connect or passive accept) until the deadline.
    Connecting { deadline: Time },
    /// Download: the host pulls bytes.
    Sending,
    /// Upload: bytes arrive.
    Receiving,
    /// We closed after sending; waiting for `data_closed`, then the final reply.
    Closing,
}

enum Work {
    Send {
        source: Source,
        start: Reply,
        done: Reply,
    },
    Receive {
        upload: Box<dyn Upload>,
        /// Bytes announced with ALLO.
        expected: Option<u64>,
    },
}

struct Transfer {
    work: Work,
    phase: Phase,
    /// The start reply (1xx) went out already (pyftpdlib's 150 while awaiting the client).
    told: bool,
    bytes: u64,
    /// When a byte last moved (for `data_timeout`).
    progress_at: Time,
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.work {
            Work::Send { .. } => "send",
            Work::Receive { .. } => "receive",
        };
        write!(
            f,
            "Transfer({kind}, {:?}, {} bytes)",
            self.phase, self.bytes
        )
    }
}

/// One client's session, from greeting to QUIT.
#[derive(Debug)]
pub struct ServerSession {
    cfg: ServerConfig,
    local: SocketAddrV4,
    peer: SocketAddrV4,
    rng: Rng,
    login: Login,
    login_fails: u32,
    cwd: String,
    data: DataSetup,
    transfer: Option<Transfer>,
    /// Size announced by ALLO for the next upload.
    allo: Option<u64>,
    inbuf: Vec<u8>,
    discarding: bool,
    lines: VecDeque<Vec<u8>>,
    out: VecDeque<ServerAction>,
    /// A reply held back until a time (the failed-login delay).
    held: Option<(Time, Reply)>,
    last_command: Time,
    closed: bool,
}

impl ServerSession {
    /// A new session on a control connection from `peer` to `local`, opened at `now`; queues
    /// the 220 greeting.
    pub fn new(
        cfg: ServerConfig,
        local: SocketAddrV4,
        peer: SocketAddrV4,
        rng: Rng,
        now: Time,
    ) -> ServerSession {
        let mut s = ServerSession {
            local,
            peer,
            rng,
            login: Login::None,
            login_fails: 0,
            cwd: "/".to_owned(),
            data: DataSetup::None,
            transfer: None,
            allo: None,
            inbuf: Vec::new(),
            discarding: false,
            lines: VecDeque::new(),
            out: VecDeque::new(),
            held: None,
            last_command: now,
            closed: false,
            cfg,
        };
        let banner = s.cfg.banner.clone();
        s.reply(220, banner);
        s
    }

    pub fn peer(&self) -> SocketAddrV4 {
        self.peer
    }

    /// Its server's row of the behaviour table.
    fn behaves(&self) -> &'static Behaviour {
        self.cfg.profile.behaviour()
    }

    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// True once QUIT was answered (or the session gave up); the host closes the connection.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Next thing for the host to do.
    pub fn poll_action(&mut self) -> Option<ServerAction> {
        self.out.pop_front()
    }

    /// What the data side waits for.
    pub fn data_work(&self) -> DataWork {
        match (&self.transfer, &self.data) {
            (
                Some(Transfer {
                    phase: Phase::Connecting { .. },
                    ..
                }),
                DataSetup::Passive {
                    ready: true,
                    peer: None,
                    ..
                },
            ) => DataWork::Accept,
            (Some(t), _) if t.phase == Phase::Sending => DataWork::Send,
            (Some(t), _) if t.phase == Phase::Receiving => DataWork::Receive,
            _ => DataWork::Idle,
        }
    }

    /// False when enough command lines are queued: a driver should stop reading the control
    /// connection until they are answered (the kernel's buffer then holds the rest).
    pub fn wants_input(&self) -> bool {
        !self.closed && self.lines.len() < QUEUE_SOFT
    }

    /// The next deadline, if any: the host calls `handle_timeout` at or after it.
    pub fn poll_timeout(&self) -> Option<Time> {
        if self.closed {
            return None;
        }
        let transfer = self
            .transfer
            .as_ref()
            .map(|t| match t.phase {
                Phase::Connecting { deadline } => deadline,
                _ => t.progress_at + self.cfg.data_timeout,
            })
            .or(self.data_deadline());
        let idle = self.last_command + self.cfg.idle_timeout;
        let wait = match (&self.held, transfer) {
            (Some((at, _)), _) => *at,
            (None, Some(t)) => t,
            (None, None) => idle,
        };
        Some(wait)
    }

    /// A deadline of the data setup itself, with no transfer (pyftpdlib's).
    fn data_deadline(&self) -> Option<Time> {
        match self.data {
            DataSetup::ActiveConnecting { deadline, .. } => Some(deadline),
            DataSetup::Passive {
                deadline: Some(d),
                peer: None,
                ..
            } => Some(d),
            _ => None,
        }
    }

    /// pyftpdlib's data-channel timeouts: `421`, the session stays open.
    fn data_setup_timed_out(&mut self) {
        let (what, text) = match self.data {
            DataSetup::ActiveConnecting { to, .. } => (
                ServerNote::ActiveConnectTimedOut {
                    to,
                    secs: self.cfg.connect_timeout.as_secs(),
                },
                "Active data channel timed out.",
            ),
            _ => (
                ServerNote::PassiveAcceptTimedOut {
                    secs: self.cfg.accept_timeout.as_secs(),
                    since_pasv: true,
                },
                "Passive data channel timed out.",
            ),
        };
        self.note(what);
        self.fail_transfer(421, text);
    }

    pub fn handle_timeout(&mut self, now: Time, store: &mut dyn FileStore) {
        if self.closed {
            return;
        }
        if self
            .transfer
            .as_ref()
            .is_none_or(|t| matches!(t.phase, Phase::Connecting { .. }))
            && self.data_deadline().is_some_and(|d| now >= d)
        {
            self.data_setup_timed_out();
            self.drain_lines(now, store);
            return;
        }
        if let Some((at, _)) = &self.held {
            if now >= *at {
                self.release_held();
                self.drain_lines(now, store);
            }
            return;
        }
        let phase = self.transfer.as_ref().map(|t| (t.phase, t.progress_at));
        match phase {
            Some((Phase::Connecting { deadline }, _)) if now >= deadline => {
                self.connect_timed_out();
                self.drain_lines(now, store);
            }
            Some((Phase::Connecting { .. }, _)) => {}
            Some((_, at)) if now >= at + self.cfg.data_timeout => {
                self.note(ServerNote::TransferStalled {
                    secs: self.cfg.data_timeout.as_secs(),
                });
                self.close_session(421, "Data timeout. Reconnect. Sorry.");
            }
            Some(_) => {}
            None if now >= self.last_command + self.cfg.idle_timeout => {
                self.note(ServerNote::Idle {
                    secs: self.cfg.idle_timeout.as_secs(),
                });
                self.close_session(421, "Timeout.");
            }
            None => {}
        }
    }

    fn connect_timed_out(&mut self) {
        if self.behaves().timeout_reply == TimeoutReply::DataChannel421 {
            return self.data_setup_timed_out();
        }
        let what = match self.data {
            DataSetup::Active(to) => ServerNote::ActiveConnectTimedOut {
                to,
                secs: self.cfg.connect_timeout.as_secs(),
            },
            _ => ServerNote::PassiveAcceptTimedOut {
                secs: self.cfg.accept_timeout.as_secs(),
                since_pasv: false,
            },
        };
        self.note(what);
        self.fail_transfer(425, "Failed to establish connection.");
    }

    /// Bytes that arrived on the control connection.
    pub fn handle_control_bytes(&mut self, bytes: &[u8], now: Time, store: &mut dyn FileStore) {
        for &b in bytes {
            if self.closed {
                return;
            }
            if b == b'\n' {
                if self.discarding {
                    self.discarding = false;
                } else if self.lines.len() >= QUEUE_HARD {
                    self.close_session(421, "Too many commands queued.");
                    return;
                } else {
                    let line = std::mem::take(&mut self.inbuf);
                    self.lines.push_back(line);
                }
                self.inbuf.clear();
            } else if !self.discarding {
                self.inbuf.push(b);
                if self.inbuf.len() > MAX_LINE {
                    self.inbuf.clear();
                    self.discarding = true;
                    self.reply(500, "Command line too long.");
                }
            }
        }
        self.drain_lines(now, store);
    }

    /// The host reports that the control connection was closed by the client. An upload in
    /// progress is dropped: the old file stays.
    pub fn control_closed(&mut self) {
        if self.data != DataSetup::None || self.transfer.is_some() {
            self.out.push_back(ServerAction::AbortData);
        }
        if matches!(
            self.transfer,
            Some(Transfer {
                work: Work::Receive { .. },
                ..
            })
        ) {
            self.note(ServerNote::UploadAbandoned);
        }
        self.transfer = None;
        self.data = DataSetup::None;
        self.closed = true;
    }

    /// The data connection is up (active: our connect succeeded; passive: a client connected).
    pub fn data_connected(&mut self, peer: SocketAddrV4, now: Time, store: &mut dyn FileStore) {
        if let DataSetup::ActiveConnecting { to, .. } = self.data {
            self.data = DataSetup::ActiveOpen(to);
            self.reply(200, "Active data connection established.");
            self.drain_lines(now, store);
            return;
        }
        if let DataSetup::Passive { peer: p, .. } = &mut self.data {
            if self.cfg.refuse_pasv_foreign && peer.ip() != self.peer.ip() {
                self.note(ServerNote::RefusedPassivePeer {
                    peer,
                    control: *self.peer.ip(),
                });
                self.out.push_back(ServerAction::AbortData);
                self.data = DataSetup::None;
                if self.transfer.is_some() {
                    self.transfer = None;
                    self.reply(425, "Security: Bad IP connecting.");
                }
                return;
            }
            *p = Some(peer);
        }
        if matches!(
            self.transfer,
            Some(Transfer {
                phase: Phase::Connecting { .. },
                ..
            })
        ) {
            self.start_transfer(now);
        }
        self.drain_lines(now, store);
    }

    /// The data connection could not be made, or broke.
    pub fn data_failed(&mut self, why: DataFailure, now: Time, store: &mut dyn FileStore) {
        if let DataSetup::ActiveConnecting { to, .. } = self.data {
            self.note(ServerNote::ActiveConnectFailed { to, failure: why });
            self.data = DataSetup::None;
            if why == DataFailure::TimedOut {
                self.reply(421, "Active data channel timed out.");
            } else {
                self.reply(425, "Can't connect to specified address.");
            }
            self.drain_lines(now, store);
            return;
        }
        match &self.transfer {
            Some(Transfer {
                phase: Phase::Connecting { .. },
                ..
            }) => {
                let to = match self.data {
                    DataSetup::Active(to) => Some(to),
                    _ => None,
                };
                self.note(ServerNote::DataConnectionFailed { to, failure: why });
                self.fail_transfer(425, self.behaves().texts.connect_failed);
            }
            Some(_) if why == DataFailure::TimedOut => {
                self.note(ServerNote::TransferStalled {
                    secs: self.cfg.data_timeout.as_secs(),
                });
                self.close_session(421, "Data timeout. Reconnect. Sorry.");
            }
            Some(Transfer {
                work: Work::Receive { .. },
                ..
            }) => self.fail_transfer(426, "Failure reading network stream."),
            Some(_) => self.fail_transfer(426, "Failure writing network stream."),
            None => {
                self.data = DataSetup::None;
            }
        }
        self.drain_lines(now, store);
    }

    /// Passive listener result. On a port in use, the next port of the range is tried.
    pub fn listen_result(
        &mut self,
        result: Result<(), String>,
        now: Time,
        store: &mut dyn FileStore,
    ) {
        let DataSetup::Passive {
            port,
            ready,
            extended,
            ..
        } = &mut self.data
        else {
            return;
        };
        let (port, extended) = (*port, *extended);
        match result {
            Ok(()) => {
                *ready = true;
                self.announce_passive(port, extended);
            }
            Err(e) => self.next_passive_port(port, e),
        }
        self.drain_lines(now, store);
    }

    fn announce_passive(&mut self, port: u16, extended: bool) {
        let texts = &self.behaves().texts;
        if extended {
            self.reply(229, (texts.epsv)(port));
        } else {
            let ip = self.cfg.passive_address.unwrap_or(*self.local.ip());
            let hp = super::announce::encode_host_port(SocketAddrV4::new(ip, port));
            self.reply(227, format!("{} ({hp}).", texts.pasv_words));
        }
    }

    /// Pulls up to `buf.len()` bytes of a download; 0 when the file is all sent (the session
    /// then asks to close the data connection).
    pub fn read_data(&mut self, buf: &mut [u8], now: Time) -> usize {
        let Some(t) = &mut self.transfer else {
            return 0;
        };
        let Work::Send { source, .. } = &mut t.work else {
            return 0;
        };
        if t.phase != Phase::Sending {
            return 0;
        }
        match source.read(buf) {
            Ok(0) => {
                t.phase = Phase::Closing;
                self.out.push_back(ServerAction::CloseData);
                0
            }
            Ok(n) => {
                t.bytes += n as u64;
                t.progress_at = now;
                n
            }
            Err(e) => {
                self.note(ServerNote::ReadFailed(e.to_string()));
                self.fail_transfer(451, "Failure reading local file.");
                0
            }
        }
    }

    /// For a download read straight from a file: lets `copy` move bytes from the file to the
    /// data connection itself (zero-copy); it returns how many it moved, 0 at the end of the
    /// file. `None` when the download is not from a file (then use `read_data`).
    pub fn copy_from_file(
        &mut self,
        now: Time,
        copy: impl FnOnce(&mut std::fs::File) -> std::io::Result<u64>,
    ) -> Option<std::io::Result<u64>> {
        let t = self.transfer.as_mut()?;
        let Work::Send { source, .. } = &mut t.work else {
            return None;
        };
        if t.phase != Phase::Sending {
            return None;
        }
        let result = copy(source.file()?);
        match &result {
            Ok(0) => {
                t.phase = Phase::Closing;
                self.out.push_back(ServerAction::CloseData);
            }
            Ok(n) => {
                t.bytes += n;
                t.progress_at = now;
            }
            Err(_) => {}
        }
        Some(result)
    }

    /// Bytes from the client on the data connection (an upload).
    pub fn data_received(&mut self, bytes: &[u8], now: Time) {
        let Some(t) = &mut self.transfer else { return };
        let Work::Receive { upload, .. } = &mut t.work else {
            return;
        };
        if t.phase != Phase::Receiving {
            return;
        }
        t.bytes += bytes.len() as u64;
        t.progress_at = now;
        if let Err(e) = upload.write(bytes) {
            self.note(ServerNote::WriteFailed(e.to_string()));
            self.fail_transfer(451, "Failure writing to local file.");
        }
    }

    /// The client closed its side of the data connection: an upload is complete, unless it
    /// is shorter than ALLO announced (then it is dropped and the old file stays).
    pub fn data_eof(&mut self, now: Time, store: &mut dyn FileStore) {
        let receiving = matches!(
            &self.transfer,
            Some(Transfer {
                work: Work::Receive { .. },
                phase: Phase::Receiving,
                ..
            })
        );
        if receiving && let Some(t) = self.transfer.take() {
            self.data = DataSetup::None;
            self.out.push_back(ServerAction::CloseData);
            self.finish_upload(t, now);
        }
        self.drain_lines(now, store);
    }

    fn finish_upload(&mut self, t: Transfer, now: Time) {
        self.last_command = now;
        let Work::Receive { upload, expected } = t.work else {
            return;
        };
        if let Some(want) = expected.filter(|w| t.bytes < *w) {
            drop(upload);
            self.note(ServerNote::UploadShort { got: t.bytes, want });
            return self.reply(426, "Failure reading network stream.");
        }
        match upload.commit() {
            Ok(()) => self.reply(226, "Transfer complete."),
            Err(StoreError::Denied) => self.reply(553, "Could not create file."),
            Err(e) => {
                self.note(ServerNote::StoreFailed(e.to_string()));
                self.reply(451, "Failure writing to local file.")
            }
        }
    }

    /// Our close of the data connection finished: all data was delivered.
    pub fn data_closed(&mut self, now: Time, store: &mut dyn FileStore) {
        let closing = matches!(
            &self.transfer,
            Some(Transfer {
                phase: Phase::Closing,
                ..
            })
        );
        if closing && let Some(t) = self.transfer.take() {
            self.data = DataSetup::None;
            self.last_command = now;
            if let Work::Send { done, .. } = t.work {
                self.out.push_back(ServerAction::Reply(done));
            }
        }
        self.drain_lines(now, store);
    }

    fn reply(&mut self, code: u16, text: impl Into<String>) {
        self.out
            .push_back(ServerAction::Reply(Reply::new(code, text)));
    }

    fn note(&mut self, note: ServerNote) {
        self.out.push_back(ServerAction::Note(note));
    }

    fn fail_transfer(&mut self, code: u16, text: &str) {
        self.transfer = None;
        self.data = DataSetup::None;
        self.out.push_back(ServerAction::AbortData);
        self.reply(code, text);
    }

    /// Ends the session with a 421-style reply (a timeout, a limit).
    fn close_session(&mut self, code: u16, text: &str) {
        if self.transfer.is_some() || self.data != DataSetup::None {
            self.out.push_back(ServerAction::AbortData);
        }
        self.transfer = None;
        self.data = DataSetup::None;
        self.reply(code, text);
        self.out.push_back(ServerAction::CloseControl);
        self.closed = true;
    }

    fn release_held(&mut self) {
        if let Some((_, r)) = self.held.take() {
            self.out.push_back(ServerAction::Reply(r));
            if self.cfg.max_login_fails > 0 && self.login_fails >= self.cfg.max_login_fails {
                self.note(ServerNote::LoginsExhausted {
                    fails: self.login_fails,
                });
                self.out.push_back(ServerAction::CloseControl);
                self.closed = true;
            }
        }
    }

    fn start_transfer(&mut self, now: Time) {
        let already_open = self.behaves().texts.already_open;
        let Some(t) = &mut self.transfer else { return };
        t.progress_at = now;
        let told = std::mem::replace(&mut t.told, true);
        let reply = match &t.work {
            Work::Send { start, .. } => {
                t.phase = Phase::Sending;
                start.clone()
            }
            Work::Receive { .. } => {
                t.phase = Phase::Receiving;
                Reply::new(150, "Ok to send data.")
            }
        };
        if let (Some(text), false) = (already_open, told) {
            // pyftpdlib: the data connection was open before the command.
            self.reply(125, text);
        } else if !told {
            self.out.push_back(ServerAction::Reply(reply));
        }
    }

    /// Runs queued command lines while no transfer is in progress (vsftpd answers one command
    /// at a time; a command sent during a transfer is answered after it).
    fn drain_lines(&mut self, now: Time, store: &mut dyn FileStore) {
        while self.transfer.is_none() && self.held.is_none() && !self.closed {
            let Some(raw) = self.lines.pop_front() else {
                break;
            };
            self.last_command = now;
            let Ok(text) = String::from_utf8(raw) else {
                self.reply(500, "Command not understood: not UTF-8.");
                continue;
            };
            let text = text.trim_end_matches('\r').to_owned();
            self.out.push_back(ServerAction::Received(text.clone()));
            self.command(&text, now, store);
        }
    }

    fn begin(&mut self, work: Work, now: Time) {
        let transfer = |phase, told| Transfer {
            work,
            phase,
            told,
            bytes: 0,
            progress_at: now,
        };
        let b = self.behaves();
        match self.data.clone() {
            DataSetup::None
            | DataSetup::Passive { ready: false, .. }
            | DataSetup::ActiveConnecting { .. } => self.reply(425, "Use PORT or PASV first."),
            DataSetup::Active(to) => {
                self.transfer = Some(transfer(
                    Phase::Connecting {
                        deadline: now + self.cfg.connect_timeout,
                    },
                    false,
                ));
                self.out.push_back(ServerAction::ConnectData {
                    from_port: self.cfg.active_data_port,
                    to,
                });
            }
            DataSetup::ActiveOpen(_) => {
                self.transfer = Some(transfer(Phase::Connecting { deadline: now }, false));
                self.start_transfer(now);
            }
            DataSetup::Passive { peer, deadline, .. } => {
                let awaited = b.texts.awaited.filter(|_| peer.is_none());
                let deadline = match deadline {
                    Some(d) if b.accept_from_pasv => d,
                    _ => now + self.cfg.accept_timeout,
                };
                self.transfer = Some(transfer(Phase::Connecting { deadline }, awaited.is_some()));
                if let Some(text) = awaited {
                    self.reply(150, text);
                }
                if peer.is_some() {
                    self.start_transfer(now);
                }
            }
        }
    }
}
