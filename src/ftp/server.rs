//! The FTP server as a sans-IO state machine: one `ServerSession` per control connection.
//!
//! Bytes from the control connection and data-connection events go in; replies, data and
//! "connect / listen / close a data connection" requests come out through `poll_action`, and
//! the next deadline through `poll_timeout`. It never touches a socket or a clock, so the
//! simulator (over smoltcp) and `ftp-lab serve` (over std::net) drive the same code.
//!
//! Behaviour follows vsftpd (see FTP-FACTS.md): PORT is answered at once and the server
//! connects only when a transfer command arrives (RFC 959 §5.2), from its data port (20 by
//! default, or an ephemeral port) with `connect_timeout`; PASV listens on a port drawn from the
//! passive range and waits `accept_timeout` for the client; either failure is `425 Failed to
//! establish connection.` PORT to a third host or to a port below 1024 is refused (RFC 2577).

use super::command::{Command, encode_host_port};
use super::reply::Reply;
use super::store::{FileStore, StoreError, format_list, format_nlst, resolve};
use crate::rng::Rng;
use crate::time::Time;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// Longest command line accepted; a longer one is answered with 500 and discarded.
pub const MAX_LINE: usize = 4096;

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
    /// `pasv_address`: announced in 227 instead of the control connection's local address.
    pub passive_address: Option<Ipv4Addr>,
    /// `connect_timeout`: how long the active-mode connect may take before 425.
    pub connect_timeout: Duration,
    /// `accept_timeout`: how long to wait for the passive-mode connection before 425.
    pub accept_timeout: Duration,
    /// `port_promiscuous = NO`: refuse PORT naming another host, or a port below 1024.
    pub refuse_port_bounce: bool,
    /// `pasv_promiscuous = NO`: refuse a passive connection from another host.
    pub refuse_pasv_foreign: bool,
    /// Accept `anonymous`/`ftp` with any password.
    pub anonymous: bool,
    /// Named accounts: (user, password).
    pub users: Vec<(String, String)>,
    /// Refuse STOR.
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
            passive_address: None,
            connect_timeout: Duration::from_secs(60),
            accept_timeout: Duration::from_secs(60),
            refuse_port_bounce: true,
            refuse_pasv_foreign: true,
            anonymous: true,
            users: Vec::new(),
            read_only: false,
            banner: "(FTP Lab server)".to_owned(),
        }
    }
}

/// How a data connection failed, as the host saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFailure {
    /// The peer (or a firewall on its behalf) answered with RST.
    Refused,
    /// An established connection was reset.
    Reset,
    /// The host could not even start it (no route, port in use).
    Unreachable,
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
    /// Send these bytes on the data connection.
    SendData(Vec<u8>),
    /// Close the data connection after all data is sent; answer with `data_closed`.
    CloseData,
    /// Abort the data connection or listener (RST / stop listening).
    AbortData,
    /// Close the control connection.
    CloseControl,
    /// Something the operator should know (a refused data connection, a bad address).
    Note(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Login {
    None,
    User(String),
    In(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum DataSetup {
    None,
    Active(SocketAddrV4),
    /// Listening on `port`; `ready` once the host confirmed; `peer` once a client connected.
    Passive {
        port: u16,
        ready: bool,
        peer: Option<SocketAddrV4>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the data connection (active connect or passive accept) until the deadline.
    Connecting { deadline: Time },
    /// Data flowing; for an upload, until the client closes.
    Transferring,
    /// We closed after sending; waiting for `data_closed`, then 226.
    Closing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Work {
    Send {
        data: Vec<u8>,
        start: Reply,
        done: Reply,
    },
    Receive {
        path: String,
        buf: Vec<u8>,
    },
}

#[derive(Clone, Debug)]
struct Transfer {
    work: Work,
    phase: Phase,
}

/// One client's session, from greeting to QUIT.
#[derive(Debug)]
pub struct ServerSession {
    cfg: ServerConfig,
    local: SocketAddrV4,
    peer: SocketAddrV4,
    rng: Rng,
    login: Login,
    cwd: String,
    data: DataSetup,
    transfer: Option<Transfer>,
    inbuf: Vec<u8>,
    discarding: bool,
    lines: VecDeque<Vec<u8>>,
    out: VecDeque<ServerAction>,
    closed: bool,
}

impl ServerSession {
    /// A new session on a control connection from `peer` to `local`; queues the 220 greeting.
    pub fn new(
        cfg: ServerConfig,
        local: SocketAddrV4,
        peer: SocketAddrV4,
        rng: Rng,
    ) -> ServerSession {
        let mut s = ServerSession {
            local,
            peer,
            rng,
            login: Login::None,
            cwd: "/".to_owned(),
            data: DataSetup::None,
            transfer: None,
            inbuf: Vec::new(),
            discarding: false,
            lines: VecDeque::new(),
            out: VecDeque::new(),
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

    /// True once QUIT was answered (or the session gave up); the host closes the connection.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Next thing for the host to do.
    pub fn poll_action(&mut self) -> Option<ServerAction> {
        self.out.pop_front()
    }

    /// The next deadline, if any: the host calls `handle_timeout` at or after it.
    pub fn poll_timeout(&self) -> Option<Time> {
        match &self.transfer {
            Some(Transfer {
                phase: Phase::Connecting { deadline },
                ..
            }) => Some(*deadline),
            _ => None,
        }
    }

    pub fn handle_timeout(&mut self, now: Time, store: &mut dyn FileStore) {
        if let Some(Transfer {
            phase: Phase::Connecting { deadline },
            ..
        }) = &self.transfer
            && now >= *deadline
        {
            let what = match self.data {
                DataSetup::Active(to) => format!(
                    "the data connection to {to} was not established within {} s",
                    self.cfg.connect_timeout.as_secs()
                ),
                _ => format!(
                    "no client connected to the passive port within {} s",
                    self.cfg.accept_timeout.as_secs()
                ),
            };
            self.out.push_back(ServerAction::Note(what));
            self.fail_transfer(425, "Failed to establish connection.");
            self.drain_lines(now, store);
        }
    }

    /// Bytes that arrived on the control connection.
    pub fn handle_control_bytes(&mut self, bytes: &[u8], now: Time, store: &mut dyn FileStore) {
        for &b in bytes {
            if b == b'\n' {
                if self.discarding {
                    self.discarding = false;
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

    /// The host reports that the control connection was closed by the client.
    pub fn control_closed(&mut self) {
        if self.data != DataSetup::None || self.transfer.is_some() {
            self.out.push_back(ServerAction::AbortData);
        }
        self.transfer = None;
        self.data = DataSetup::None;
        self.closed = true;
    }

    /// The data connection is up (active: our connect succeeded; passive: a client connected).
    pub fn data_connected(&mut self, peer: SocketAddrV4, now: Time, store: &mut dyn FileStore) {
        if let DataSetup::Passive { peer: p, .. } = &mut self.data {
            if self.cfg.refuse_pasv_foreign && peer.ip() != self.peer.ip() {
                self.out.push_back(ServerAction::Note(format!(
                    "refused a passive data connection from {peer}: the control connection is from {}",
                    self.peer.ip()
                )));
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
            self.start_transfer();
        }
        self.drain_lines(now, store);
    }

    /// The data connection could not be made, or broke.
    pub fn data_failed(&mut self, why: DataFailure, now: Time, store: &mut dyn FileStore) {
        match &self.transfer {
            Some(Transfer {
                phase: Phase::Connecting { .. },
                ..
            }) => {
                let to = match self.data {
                    DataSetup::Active(to) => to.to_string(),
                    _ => "the client".to_owned(),
                };
                let how = match why {
                    DataFailure::Refused => "was refused (RST)",
                    DataFailure::Reset => "was reset",
                    DataFailure::Unreachable => "could not be started",
                };
                self.out.push_back(ServerAction::Note(format!(
                    "the data connection to {to} {how}"
                )));
                self.fail_transfer(425, "Failed to establish connection.");
            }
            Some(_) => self.fail_transfer(426, "Failure writing network stream."),
            None => {
                self.data = DataSetup::None;
            }
        }
        self.drain_lines(now, store);
    }

    /// Passive listener result.
    pub fn listen_result(
        &mut self,
        result: Result<(), String>,
        now: Time,
        store: &mut dyn FileStore,
    ) {
        let DataSetup::Passive { port, ready, .. } = &mut self.data else {
            return;
        };
        match result {
            Ok(()) => {
                *ready = true;
                let ip = self.cfg.passive_address.unwrap_or(*self.local.ip());
                let hp = encode_host_port(SocketAddrV4::new(ip, *port));
                self.reply(227, format!("Entering Passive Mode ({hp})."));
            }
            Err(e) => {
                self.out.push_back(ServerAction::Note(format!(
                    "could not listen on port {port}: {e}"
                )));
                self.data = DataSetup::None;
                self.reply(425, "Can't open passive connection.");
            }
        }
        self.drain_lines(now, store);
    }

    /// Bytes from the client on the data connection (uploads).
    pub fn data_received(&mut self, bytes: &[u8]) {
        if let Some(Transfer {
            work: Work::Receive { buf, .. },
            ..
        }) = &mut self.transfer
        {
            buf.extend_from_slice(bytes);
        }
    }

    /// The client closed its side of the data connection: an upload is complete.
    pub fn data_eof(&mut self, now: Time, store: &mut dyn FileStore) {
        if let Some(Transfer {
            work: Work::Receive { path, buf },
            phase: Phase::Transferring,
        }) = &self.transfer
        {
            let result = store.write(path, buf);
            self.transfer = None;
            self.data = DataSetup::None;
            self.out.push_back(ServerAction::CloseData);
            match result {
                Ok(()) => self.reply(226, "Transfer complete."),
                Err(StoreError::Denied) => self.reply(553, "Could not create file."),
                Err(e) => self.reply(451, format!("Failure writing to local file: {e}.")),
            }
        }
        self.drain_lines(now, store);
    }

    /// Our close of the data connection finished: all data was delivered.
    pub fn data_closed(&mut self, now: Time, store: &mut dyn FileStore) {
        if let Some(Transfer {
            work: Work::Send { done, .. },
            phase: Phase::Closing,
        }) = &self.transfer
        {
            let done = done.clone();
            self.transfer = None;
            self.data = DataSetup::None;
            self.out.push_back(ServerAction::Reply(done));
        }
        self.drain_lines(now, store);
    }

    fn reply(&mut self, code: u16, text: impl Into<String>) {
        self.out
            .push_back(ServerAction::Reply(Reply::new(code, text)));
    }

    fn fail_transfer(&mut self, code: u16, text: &str) {
        self.transfer = None;
        self.data = DataSetup::None;
        self.out.push_back(ServerAction::AbortData);
        self.reply(code, text);
    }

    fn start_transfer(&mut self) {
        let Some(t) = &mut self.transfer else { return };
        match &t.work {
            Work::Send { data, start, .. } => {
                self.out.push_back(ServerAction::Reply(start.clone()));
                self.out.push_back(ServerAction::SendData(data.clone()));
                self.out.push_back(ServerAction::CloseData);
                t.phase = Phase::Closing;
            }
            Work::Receive { .. } => {
                t.phase = Phase::Transferring;
                self.reply(150, "Ok to send data.");
            }
        }
    }

    /// Runs queued command lines while no transfer is in progress (vsftpd answers one command
    /// at a time; a command sent during a transfer is answered after it).
    fn drain_lines(&mut self, now: Time, store: &mut dyn FileStore) {
        while self.transfer.is_none() && !self.closed {
            let Some(raw) = self.lines.pop_front() else {
                break;
            };
            let Ok(text) = String::from_utf8(raw) else {
                self.reply(500, "Command not understood: not UTF-8.");
                continue;
            };
            let text = text.trim_end_matches('\r').to_owned();
            self.out.push_back(ServerAction::Received(text.clone()));
            self.command(&text, now, store);
        }
    }

    fn command(&mut self, text: &str, now: Time, store: &mut dyn FileStore) {
        let cmd = match Command::parse(text) {
            Ok(c) => c,
            Err(super::command::CommandError::Empty) => return self.reply(500, "Unknown command."),
            Err(super::command::CommandError::BadArgument { verb, .. }) if verb == "PORT" => {
                return self.reply(501, "Illegal PORT command.");
            }
            Err(e) => return self.reply(501, format!("Syntax error: {e}.")),
        };
        let logged_in = matches!(self.login, Login::In(_));
        match cmd {
            Command::User(u) => {
                if logged_in {
                    return self.reply(530, "Can't change to another user.");
                }
                self.login = Login::User(u);
                self.reply(331, "Please specify the password.");
            }
            Command::Pass(p) => {
                let Login::User(u) = &self.login else {
                    return if logged_in {
                        self.reply(230, "Already logged in.")
                    } else {
                        self.reply(503, "Login with USER first.")
                    };
                };
                let anon = self.cfg.anonymous && (u == "anonymous" || u == "ftp");
                let known = self.cfg.users.iter().any(|(n, pw)| n == u && *pw == p);
                if anon || known {
                    self.login = Login::In(u.clone());
                    self.reply(230, "Login successful.");
                } else {
                    self.login = Login::None;
                    self.reply(530, "Login incorrect.");
                }
            }
            Command::Quit => {
                self.reply(221, "Goodbye.");
                if self.data != DataSetup::None {
                    self.out.push_back(ServerAction::AbortData);
                    self.data = DataSetup::None;
                }
                self.out.push_back(ServerAction::CloseControl);
                self.closed = true;
            }
            Command::Noop => self.reply(200, "NOOP ok."),
            Command::Other { verb, .. } => match verb.as_str() {
                "EPRT" | "EPSV" | "ABOR" | "FEAT" | "SIZE" | "MDTM" | "REST" | "DELE" | "MKD"
                | "RMD" | "STAT" | "HELP" | "MODE" | "STRU" | "ALLO" | "APPE" | "RNFR" | "RNTO"
                | "SITE" | "AUTH" | "OPTS" => self.reply(502, "Command not implemented."),
                _ => self.reply(500, "Unknown command."),
            },
            _ if !logged_in => self.reply(530, "Please login with USER and PASS."),
            Command::Syst => self.reply(215, "UNIX Type: L8"),
            Command::Pwd => {
                let cwd = self.cwd.clone();
                self.reply(257, format!("\"{cwd}\" is the current directory"))
            }
            Command::Cwd(dir) => {
                let path = resolve(&self.cwd, &dir);
                if path == "/" || store.is_dir(&path) {
                    self.cwd = path;
                    self.reply(250, "Directory successfully changed.");
                } else {
                    self.reply(550, "Failed to change directory.");
                }
            }
            Command::Type(t) => match t.to_ascii_uppercase().as_str() {
                "I" | "L 8" => self.reply(200, "Switching to Binary mode."),
                "A" | "A N" => self.reply(200, "Switching to ASCII mode."),
                _ => self.reply(504, "Bad TYPE command."),
            },
            Command::Port(addr) => self.port(addr),
            Command::Pasv => self.pasv(),
            Command::List(arg) | Command::Nlst(arg) if text.len() >= 4 => {
                let nlst = text[..4].eq_ignore_ascii_case("NLST");
                // `ls -l`-style flags (`LIST -la`) are accepted and ignored, as vsftpd does.
                let arg = arg.filter(|a| !a.starts_with('-'));
                let path = resolve(&self.cwd, arg.as_deref().unwrap_or("."));
                let listing = match store.list(&path) {
                    Ok(entries) if nlst => format_nlst(&entries),
                    Ok(entries) => format_list(&entries),
                    Err(_) => String::new(), // vsftpd sends an empty listing for a missing path
                };
                self.begin(
                    Work::Send {
                        data: listing.into_bytes(),
                        start: Reply::new(150, "Here comes the directory listing."),
                        done: Reply::new(226, "Directory send OK."),
                    },
                    now,
                );
            }
            Command::Retr(name) => {
                let path = resolve(&self.cwd, &name);
                match store.read(&path) {
                    Ok(data) => {
                        let n = data.len();
                        let start =
                            format!("Opening BINARY mode data connection for {name} ({n} bytes).");
                        self.begin(
                            Work::Send {
                                data,
                                start: Reply::new(150, start),
                                done: Reply::new(226, "Transfer complete."),
                            },
                            now,
                        );
                    }
                    Err(_) => self.reply(550, "Failed to open file."),
                }
            }
            Command::Stor(name) => {
                if self.cfg.read_only {
                    return self.reply(550, "Permission denied.");
                }
                let path = resolve(&self.cwd, &name);
                self.begin(
                    Work::Receive {
                        path,
                        buf: Vec::new(),
                    },
                    now,
                );
            }
            Command::List(_) | Command::Nlst(_) => self.reply(500, "Unknown command."),
        }
    }

    fn port(&mut self, addr: SocketAddrV4) {
        if self.cfg.refuse_port_bounce {
            if addr.ip() != self.peer.ip() {
                self.out.push_back(ServerAction::Note(format!(
                    "refused PORT {addr}: not the control connection's address {} (RFC 2577 bounce protection)",
                    self.peer.ip()
                )));
                return self.reply(500, "Illegal PORT command.");
            }
            if addr.port() < 1024 {
                self.out.push_back(ServerAction::Note(format!(
                    "refused PORT {addr}: privileged port below 1024 (RFC 2577)"
                )));
                return self.reply(500, "Illegal PORT command.");
            }
        }
        if matches!(self.data, DataSetup::Passive { .. }) {
            self.out.push_back(ServerAction::AbortData);
        }
        self.data = DataSetup::Active(addr);
        self.reply(200, "PORT command successful. Consider using PASV.");
    }

    fn pasv(&mut self) {
        if matches!(self.data, DataSetup::Passive { .. }) {
            self.out.push_back(ServerAction::AbortData);
        }
        let (lo, hi) = self.cfg.passive_range;
        let port = self.rng.range_u16(lo, hi);
        self.data = DataSetup::Passive {
            port,
            ready: false,
            peer: None,
        };
        self.out.push_back(ServerAction::ListenData { port });
    }

    fn begin(&mut self, work: Work, now: Time) {
        match self.data.clone() {
            DataSetup::None => self.reply(425, "Use PORT or PASV first."),
            DataSetup::Active(to) => {
                self.transfer = Some(Transfer {
                    work,
                    phase: Phase::Connecting {
                        deadline: now + self.cfg.connect_timeout,
                    },
                });
                self.out.push_back(ServerAction::ConnectData {
                    from_port: self.cfg.active_data_port,
                    to,
                });
            }
            DataSetup::Passive { ready: false, .. } => self.reply(425, "Use PORT or PASV first."),
            DataSetup::Passive { peer, .. } => {
                self.transfer = Some(Transfer {
                    work,
                    phase: Phase::Connecting {
                        deadline: now + self.cfg.accept_timeout,
                    },
                });
                if peer.is_some() {
                    self.start_transfer();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::store::MemStore;

    fn session() -> (ServerSession, MemStore) {
        let mut store = MemStore::new();
        store.insert("/readme.txt", "hello\n");
        let s = ServerSession::new(
            ServerConfig {
                passive_range: (10001, 10005),
                ..ServerConfig::default()
            },
            "203.0.113.10:21".parse().unwrap(),
            "198.51.100.7:40000".parse().unwrap(),
            Rng::new(1),
        );
        (s, store)
    }

    fn drain(s: &mut ServerSession) -> Vec<ServerAction> {
        std::iter::from_fn(|| s.poll_action()).collect()
    }

    fn replies(actions: &[ServerAction]) -> Vec<u16> {
        actions
            .iter()
            .filter_map(|a| {
                if let ServerAction::Reply(r) = a {
                    Some(r.code)
                } else {
                    None
                }
            })
            .collect()
    }

    fn login(s: &mut ServerSession, st: &mut MemStore) {
        s.handle_control_bytes(b"USER anonymous\r\nPASS x\r\n", Time::ZERO, st);
        let r = replies(&drain(s));
        assert_eq!(r[r.len() - 2..], [331, 230]);
    }

    #[test]
    fn active_list_connects_after_list_and_times_out_with_425() {
        let (mut s, mut st) = session();
        login(&mut s, &mut st);
        s.handle_control_bytes(
            b"PORT 198,51,100,7,195,211\r\nLIST\r\n",
            Time::ZERO,
            &mut st,
        );
        let a = drain(&mut s);
        assert_eq!(replies(&a), [200]);
        assert!(a.contains(&ServerAction::ConnectData {
            from_port: Some(20),
            to: "198.51.100.7:50131".parse().unwrap()
        }));
        assert_eq!(s.poll_timeout(), Some(Time::from_secs(60)));
        s.handle_timeout(Time::from_secs(60), &mut st);
        assert_eq!(replies(&drain(&mut s)), [425]);
    }

    #[test]
    fn passive_list_sends_227_in_range_then_listing() {
        let (mut s, mut st) = session();
        login(&mut s, &mut st);
        s.handle_control_bytes(b"PASV\r\n", Time::ZERO, &mut st);
        let a = drain(&mut s);
        let Some(ServerAction::ListenData { port }) = a
            .iter()
            .find(|x| matches!(x, ServerAction::ListenData { .. }))
            .cloned()
        else {
            panic!("no listen: {a:?}")
        };
        assert!((10001..=10005).contains(&port));
        s.listen_result(Ok(()), Time::ZERO, &mut st);
        let a = drain(&mut s);
        let ServerAction::Reply(r) = &a[0] else {
            panic!()
        };
        assert_eq!(r.code, 227);
        assert_eq!(crate::ftp::command::scan_227(&r.text).unwrap().port(), port);
        s.data_connected("198.51.100.7:45000".parse().unwrap(), Time::ZERO, &mut st);
        s.handle_control_bytes(b"NLST\r\n", Time::ZERO, &mut st);
        let a = drain(&mut s);
        assert!(a.contains(&ServerAction::SendData(b"readme.txt\r\n".to_vec())));
        s.data_closed(Time::ZERO, &mut st);
        assert_eq!(replies(&drain(&mut s)), [226]);
    }

    #[test]
    fn refuses_bounce_and_privileged_ports_and_commands_before_login() {
        let (mut s, mut st) = session();
        drain(&mut s);
        s.handle_control_bytes(b"LIST\r\n", Time::ZERO, &mut st);
        assert_eq!(replies(&drain(&mut s)), [530]);
        login(&mut s, &mut st);
        s.handle_control_bytes(
            b"PORT 10,0,0,1,195,211\r\nPORT 198,51,100,7,0,80\r\nPORT 1,2\r\nXYZZY\r\n",
            Time::ZERO,
            &mut st,
        );
        assert_eq!(replies(&drain(&mut s)), [500, 500, 501, 500]);
    }

    #[test]
    fn overlong_and_non_utf8_lines_get_500() {
        let (mut s, mut st) = session();
        drain(&mut s);
        let mut long = vec![b'A'; 10_000];
        long.extend_from_slice(b"\r\n\xff\xfe\r\nNOOP\r\n");
        s.handle_control_bytes(&long, Time::ZERO, &mut st);
        assert_eq!(replies(&drain(&mut s)), [500, 500, 200]);
    }
}
