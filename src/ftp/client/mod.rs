//! The FTP client as a sans-IO state machine that runs a script of user actions.
//!
//! It plays a user at a command-line `ftp` client: `open`, `user`, `passive on|off`, `ls`,
//! `get`, `put`, `quit`. Replies and data-connection events go in; commands, "listen / connect
//! a data connection" requests and the lines the user's terminal would show come out.
//!
//! Active mode (RFC 959 §5.2): the client listens on a data port drawn from its range *before*
//! it sends `PORT`, then sends the transfer command and waits for the server to connect.
//! Passive mode: `PASV`, read the address from the 227 reply, connect, then send the transfer
//! command. A passive connect that does not complete within `data_connect_timeout` fails the
//! command locally, as `ftp: connect: Connection timed out` (the command is never sent).

pub use super::action::Mode;
pub mod profile;

use super::action::{ActionResult, UserAction};
use super::announce::{scan_227, scan_229};
use super::command::Command;
use super::reply::{Reply, ReplyError, ReplyParser};
use super::server::DataFailure;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::Shown;
use profile::Behaviour;
pub use profile::ClientProfile;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::net::SocketAddrV4;
use std::time::Duration;

/// Bytes of a transfer the client keeps (to show a listing); the rest are counted only.
pub const KEPT_BYTES: usize = 1024 * 1024;

/// Which commands set up a data connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataCommands {
    /// PORT and PASV (RFC 959), as the classic command-line `ftp` and the seed article.
    #[default]
    Classic,
    /// EPRT and EPSV only (RFC 2428), never falling back.
    Extended,
    /// EPSV first, PASV if the server refuses it; EPRT first, PORT if refused (curl's default:
    /// it then stays with the old command for the session).
    ExtendedFirst,
}

/// The client's settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub server: SocketAddrV4,
    /// Which real client it behaves like (`profile`'s table).
    pub profile: ClientProfile,
    pub mode: Mode,
    pub commands: DataCommands,
    /// Where the PORT data port is drawn from (Linux's ephemeral range by default).
    pub data_ports: (u16, u16),
    /// Control connection connect timeout.
    pub connect_timeout: Duration,
    /// Passive data connection connect timeout (Linux >= 6.5 gives up a SYN after 131 s).
    pub data_connect_timeout: Duration,
    /// How long to wait for any expected reply.
    pub reply_timeout: Duration,
}

impl ClientConfig {
    pub fn new(server: SocketAddrV4) -> ClientConfig {
        ClientConfig {
            server,
            profile: ClientProfile::Classic,
            mode: Mode::Active,
            commands: DataCommands::Classic,
            data_ports: (32768, 60999),
            connect_timeout: Duration::from_secs(131),
            data_connect_timeout: Duration::from_secs(131),
            reply_timeout: Duration::from_secs(300),
        }
    }
}

/// What the client asks its host to do, or shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAction {
    ConnectControl {
        to: SocketAddrV4,
    },
    SendCommand(Command),
    ListenData {
        port: u16,
    },
    ConnectData {
        to: SocketAddrV4,
    },
    SendData(Vec<u8>),
    CloseData,
    AbortData,
    CloseControl,
    /// A reply arrived (for the trace).
    Received(Reply),
    /// A line the user's terminal shows (`ftp> ls`, `200 PORT command successful.`).
    Console(Shown, String),
    /// The user starts action `index`.
    Started {
        index: usize,
        typed: String,
    },
    Finished(ActionResult),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Xfer {
    Ls(Option<String>),
    Get(String),
    Put(String, Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Wait {
    /// Ready for the next action.
    Idle,
    ControlConnect,
    Greeting,
    User,
    Pass,
    Type(Xfer),
    Listen(Xfer),
    /// PORT (or EPRT, `extended`) sent; the listener is open.
    Port(Xfer, bool),
    /// PASV (or EPSV, `extended`) sent.
    Pasv(Xfer, bool),
    DataConnect(Xfer),
    /// Transfer command sent; waiting for 150 (or an error).
    Start(Xfer),
    /// 150 seen (or not): waiting for the final reply and for the data to end.
    Finish {
        xfer: Xfer,
        reply: Option<Reply>,
        data_done: bool,
    },
    Quit,
    /// Script over (or stopped after a fatal failure).
    Done,
}

/// A scripted FTP client session.
#[derive(Debug)]
pub struct ClientSession {
    cfg: ClientConfig,
    script: Vec<UserAction>,
    next: usize,
    current: Option<usize>,
    mode: Mode,
    wait: Wait,
    deadline: Option<Time>,
    started_at: Time,
    local: Option<SocketAddrV4>,
    parser: ReplyParser,
    rng: Rng,
    binary: bool,
    pending_port: Option<u16>,
    pending_pass: Option<String>,
    /// EPRT / EPSV still to be tried (cleared by a fallback, for the rest of the session).
    use_eprt: bool,
    use_epsv: bool,
    /// Replies that arrived while the user's client was blocked in a connect (shown as unread).
    unread: Vec<Reply>,
    received: Vec<u8>,
    received_len: u64,
    out: VecDeque<ClientAction>,
    results: Vec<ActionResult>,
}

impl ClientSession {
    pub fn new(cfg: ClientConfig, script: Vec<UserAction>, rng: Rng) -> ClientSession {
        let extended = cfg.commands != DataCommands::Classic;
        ClientSession {
            mode: cfg.mode,
            cfg,
            script,
            next: 0,
            current: None,
            wait: Wait::Idle,
            deadline: None,
            started_at: Time::ZERO,
            local: None,
            parser: ReplyParser::default(),
            rng,
            binary: false,
            pending_port: None,
            pending_pass: None,
            use_eprt: extended,
            use_epsv: extended,
            unread: Vec::new(),
            received: Vec::new(),
            received_len: 0,
            out: VecDeque::new(),
            results: Vec::new(),
        }
    }

    /// Begins the script.
    pub fn start(&mut self, now: Time) {
        self.advance(now);
    }

    pub fn poll_action(&mut self) -> Option<ClientAction> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Time> {
        self.deadline
    }

    pub fn is_done(&self) -> bool {
        self.wait == Wait::Done
    }

    pub fn results(&self) -> &[ActionResult] {
        &self.results
    }

    /// Its client's row of the behaviour table.
    fn behaves(&self) -> &'static Behaviour {
        self.cfg.profile.behaviour()
    }

    pub fn handle_timeout(&mut self, now: Time) {
        let Some(d) = self.deadline else { return };
        if now < d {
            return;
        }
        self.deadline = None;
        match std::mem::replace(&mut self.wait, Wait::Idle) {
            Wait::ControlConnect => {
                self.console(self.behaves().texts.connect_timed_out);
                self.out.push_back(ClientAction::CloseControl);
                self.fatal(
                    None,
                    "the control connection was not established: connect timed out",
                    now,
                );
            }
            Wait::DataConnect(_) => {
                let line = (self.behaves().texts.data_connect_timed_out)(
                    self.cfg.server,
                    self.cfg.data_connect_timeout,
                );
                self.console(line);
                self.show_unread();
                self.out.push_back(ClientAction::AbortData);
                let secs = self.cfg.data_connect_timeout.as_secs();
                let detail = format!(
                    "the data connection was not established: connect timed out after {secs} s"
                );
                if self.behaves().hangs_up_after_timeout {
                    // curl exits with the error: the control connection closes, no QUIT.
                    self.out.push_back(ClientAction::CloseControl);
                    self.fatal(None, detail, now);
                } else {
                    self.finish(false, None, detail, now);
                }
            }
            other => {
                self.wait = other;
                self.console("ftp: timed out waiting for the server's reply");
                self.out.push_back(ClientAction::AbortData);
                self.out.push_back(ClientAction::CloseControl);
                self.fatal(None, "no reply from the server", now);
            }
        }
    }

    pub fn control_connected(&mut self, local: SocketAddrV4, now: Time) {
        if self.wait == Wait::ControlConnect {
            self.local = Some(local);
            if let Some(line) = (self.behaves().texts.connected)(self.cfg.server) {
                self.console(line);
            }
            self.wait = Wait::Greeting;
            self.deadline = Some(now + self.cfg.reply_timeout);
        }
    }

    pub fn control_failed(&mut self, why: DataFailure, now: Time) {
        if self.wait == Wait::ControlConnect {
            self.deadline = None;
            self.console(format!("ftp: connect: {}", failure_words(why)));
            self.fatal(
                None,
                format!("the control connection failed: {}", failure_words(why)),
                now,
            );
        }
    }

    pub fn control_closed(&mut self, now: Time) {
        match self.wait {
            Wait::Done | Wait::Idle => {}
            Wait::Quit => {
                self.finish(true, Some(221), "closed".to_owned(), now);
            }
            _ => {
                self.console("421 Service not available, remote server has closed connection");
                self.fatal(None, "the server closed the control connection", now);
            }
        }
    }

    pub fn control_bytes(&mut self, bytes: &[u8], now: Time) {
        for r in self.parser.feed(bytes) {
            if self.wait == Wait::Done {
                return;
            }
            match r {
                Ok(reply) => self.on_reply(reply, now),
                Err(e @ ReplyError::TooLong(_)) => {
                    self.console(format!("ftp: {e}"));
                    self.out.push_back(ClientAction::AbortData);
                    self.out.push_back(ClientAction::CloseControl);
                    self.fatal(None, e.to_string(), now);
                }
                Err(e) => self.console(format!("ftp: {e}")),
            }
        }
    }

    pub fn listen_result(&mut self, result: Result<(), String>, now: Time) {
        let Wait::Listen(x) = std::mem::replace(&mut self.wait, Wait::Idle) else {
            return;
        };
        match (result, self.local, self.pending_port) {
            (Ok(()), Some(local), Some(port)) => {
                let to = SocketAddrV4::new(*local.ip(), port);
                let ext = self.use_eprt;
                self.send(
                    if ext {
                        Command::Eprt(to)
                    } else {
                        Command::Port(to)
                    },
                    now,
                );
                self.wait = Wait::Port(x, ext);
            }
            (result, _, _) => {
                let why = result
                    .err()
                    .unwrap_or_else(|| "no local address".to_owned());
                self.console(format!("ftp: bind: {why}"));
                self.finish(
                    false,
                    None,
                    format!("could not listen for the data connection: {why}"),
                    now,
                );
            }
        }
    }

    pub fn data_connected(&mut self, _peer: SocketAddrV4, now: Time) {
        if let Wait::DataConnect(x) = &self.wait {
            let x = x.clone();
            self.deadline = None;
            self.send_transfer(x, now);
            // What arrived during the connect is read now, in order.
            for r in std::mem::take(&mut self.unread) {
                self.on_reply(r, now);
            }
        }
    }

    pub fn data_failed(&mut self, why: DataFailure, now: Time) {
        if let Wait::DataConnect(_) = self.wait {
            self.deadline = None;
            self.console(format!("ftp: connect: {}", failure_words(why)));
            self.show_unread();
            self.out.push_back(ClientAction::AbortData);
            self.finish(
                false,
                None,
                format!("the data connection failed: {}", failure_words(why)),
                now,
            );
        }
    }

    /// Bytes on the data connection. The first `KEPT_BYTES` are kept (a listing is shown);
    /// the rest are only counted.
    pub fn data_bytes(&mut self, bytes: &[u8]) {
        self.received_len += bytes.len() as u64;
        let room = KEPT_BYTES.saturating_sub(self.received.len());
        self.received
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The server closed its side of the data connection: all data has arrived.
    pub fn data_eof(&mut self, now: Time) {
        self.out.push_back(ClientAction::CloseData);
        let mut listing = false;
        if let Wait::Finish {
            data_done, xfer, ..
        } = &mut self.wait
        {
            *data_done = true;
            listing = matches!(xfer, Xfer::Ls(_));
        }
        if listing {
            let text = String::from_utf8_lossy(&self.received).into_owned();
            for line in text.lines() {
                self.console(line.to_owned());
            }
        }
        self.maybe_finish_transfer(now);
    }

    /// Our close of the data connection (after an upload) finished.
    pub fn data_closed(&mut self, now: Time) {
        if let Wait::Finish {
            xfer: Xfer::Put(..),
            data_done,
            ..
        } = &mut self.wait
        {
            *data_done = true;
        }
        self.maybe_finish_transfer(now);
    }

    fn console(&mut self, line: impl Into<String>) {
        self.out
            .push_back(ClientAction::Console(Shown::Message, line.into()));
    }

    fn send(&mut self, cmd: Command, now: Time) {
        self.deadline = Some(now + self.cfg.reply_timeout);
        self.out.push_back(ClientAction::SendCommand(cmd));
    }

    fn advance(&mut self, now: Time) {
        while self.wait == Wait::Idle {
            let Some(action) = self.script.get(self.next).cloned() else {
                self.wait = Wait::Done;
                return;
            };
            let index = self.next;
            self.next += 1;
            self.current = Some(index);
            self.started_at = now;
            self.received.clear();
            self.received_len = 0;
            let typed = action.typed(self.cfg.server);
            self.out.push_back(ClientAction::Started {
                index,
                typed: typed.clone(),
            });
            if let Some(shown) = (self.behaves().texts.typed)(&action, self.cfg.server) {
                self.out
                    .push_back(ClientAction::Console(Shown::Typed, shown));
            }
            match action {
                UserAction::Connect => {
                    self.out.push_back(ClientAction::ConnectControl {
                        to: self.cfg.server,
                    });
                    self.wait = Wait::ControlConnect;
                    self.deadline = Some(now + self.cfg.connect_timeout);
                }
                UserAction::Login { user, pass } => {
                    self.pending_pass = Some(pass);
                    self.send(Command::User(user), now);
                    self.wait = Wait::User;
                }
                UserAction::SetMode(m) => {
                    self.mode = m;
                    self.console(if m == Mode::Passive {
                        "Passive mode on."
                    } else {
                        "Passive mode off."
                    });
                    self.finish(
                        true,
                        None,
                        format!(
                            "{} mode selected",
                            if m == Mode::Passive {
                                "passive"
                            } else {
                                "active"
                            }
                        ),
                        now,
                    );
                }
                UserAction::Ls(p) => self.begin_transfer(Xfer::Ls(p), now),
                UserAction::Get(f) => {
                    self.console(format!("local: {f} remote: {f}"));
                    self.begin_transfer(Xfer::Get(f), now)
                }
                UserAction::Put { name, data } => {
                    self.console(format!("local: {name} remote: {name}"));
                    self.begin_transfer(Xfer::Put(name, data), now)
                }
                UserAction::Quit => {
                    self.send(Command::Quit, now);
                    self.wait = Wait::Quit;
                }
            }
        }
    }
}

impl ClientSession {
    fn begin_transfer(&mut self, x: Xfer, now: Time) {
        if !self.binary && !matches!(x, Xfer::Ls(_)) {
            self.send(Command::Type("I".to_owned()), now);
            self.wait = Wait::Type(x);
            return;
        }
        self.setup_data(x, now);
    }

    fn setup_data(&mut self, x: Xfer, now: Time) {
        match self.mode {
            Mode::Active => {
                let (lo, hi) = self.cfg.data_ports;
                let port = self.rng.range_u16(lo, hi);
                self.pending_port = Some(port);
                self.out.push_back(ClientAction::ListenData { port });
                self.wait = Wait::Listen(x);
            }
            Mode::Passive => {
                let ext = self.use_epsv;
                self.send(
                    if ext {
                        Command::Epsv(None)
                    } else {
                        Command::Pasv
                    },
                    now,
                );
                self.wait = Wait::Pasv(x, ext);
            }
        }
    }

    fn connect_data(&mut self, x: Xfer, to: SocketAddrV4, now: Time) {
        self.out.push_back(ClientAction::ConnectData { to });
        self.deadline = Some(now + self.cfg.data_connect_timeout);
        self.wait = Wait::DataConnect(x);
    }

    /// Replies that came while the user's client sat in `connect()`: a real client reads them
    /// only later (curl never; ftplib on the next command). Shown as unread.
    fn show_unread(&mut self) {
        for r in std::mem::take(&mut self.unread) {
            self.console(format!("(unread, arrived during the connect: {r})"));
        }
    }

    fn send_transfer(&mut self, x: Xfer, now: Time) {
        let cmd = match &x {
            Xfer::Ls(p) => Command::List(p.clone()),
            Xfer::Get(f) => Command::Retr(f.clone()),
            Xfer::Put(f, _) => Command::Stor(f.clone()),
        };
        self.send(cmd, now);
        self.wait = Wait::Start(x);
    }

    fn on_reply(&mut self, reply: Reply, now: Time) {
        self.out.push_back(ClientAction::Received(reply.clone()));
        if matches!(self.wait, Wait::DataConnect(_)) {
            // Blocked in connect(): the reply waits in the socket's buffer, unread.
            self.unread.push(reply);
            return;
        }
        let shown = (self.behaves().texts.reply)(&reply);
        self.out
            .push_back(ClientAction::Console(Shown::Reply(reply.code), shown));
        self.deadline = None;
        match std::mem::replace(&mut self.wait, Wait::Idle) {
            w @ (Wait::Greeting | Wait::User | Wait::Pass) => self.login_reply(w, reply, now),
            Wait::Type(x) if reply.is_success() => {
                self.binary = true;
                self.setup_data(x, now);
            }
            Wait::Type(_) => self.finish(false, Some(reply.code), reply.to_string(), now),
            Wait::Port(x, extended) => self.port_reply(x, extended, reply, now),
            Wait::Pasv(x, extended) => self.pasv_reply(x, extended, reply, now),
            w @ (Wait::Start(_) | Wait::Finish { .. } | Wait::Quit) => {
                self.transfer_reply(w, reply, now);
            }
            other => self.wait = other, // an unsolicited reply (e.g. 421) is only shown
        }
    }

    /// A reply to the greeting, USER or PASS.
    fn login_reply(&mut self, w: Wait, reply: Reply, now: Time) {
        match w {
            Wait::Greeting if reply.code == 220 => {
                self.finish(true, Some(220), "connected".to_owned(), now)
            }
            Wait::Greeting if reply.is_preliminary() => self.wait = Wait::Greeting,
            Wait::Greeting => {
                self.out.push_back(ClientAction::CloseControl);
                self.fatal(
                    Some(reply.code),
                    format!("the server refused the connection: {reply}"),
                    now,
                )
            }
            Wait::User if reply.code == 331 => {
                let pass = self.pending_pass.take().unwrap_or_default();
                self.send(Command::Pass(pass), now);
                self.wait = Wait::Pass;
            }
            _ if reply.code == 230 => self.finish(true, Some(230), "logged in".to_owned(), now),
            _ => {
                self.console("Login failed.");
                self.fatal(Some(reply.code), format!("login refused: {reply}"), now)
            }
        }
    }

    /// A reply to PORT (or EPRT, `extended`).
    fn port_reply(&mut self, x: Xfer, extended: bool, reply: Reply, now: Time) {
        if reply.is_success() {
            return self.send_transfer(x, now);
        }
        if extended && self.cfg.commands == DataCommands::ExtendedFirst {
            // curl: EPRT refused, so PORT, and no more EPRT in this session.
            self.console("ftp: EPRT refused: trying PORT");
            self.use_eprt = false;
            return match (self.local, self.pending_port) {
                (Some(local), Some(port)) => {
                    self.send(Command::Port(SocketAddrV4::new(*local.ip(), port)), now);
                    self.wait = Wait::Port(x, false);
                }
                _ => self.finish(false, Some(reply.code), reply.to_string(), now),
            };
        }
        self.out.push_back(ClientAction::AbortData);
        if !extended && reply.code >= 500 && self.behaves().retries_without_port {
            // The classic ftp tries once more without PORT: the server is left to connect to
            // the default data port, which vsftpd refuses (425 Use PORT or PASV first.).
            return self.send_transfer(x, now);
        }
        self.finish(false, Some(reply.code), reply.to_string(), now)
    }

    /// A reply to PASV (or EPSV, `extended`).
    fn pasv_reply(&mut self, x: Xfer, extended: bool, reply: Reply, now: Time) {
        match (extended, reply.code) {
            (false, 227) => match scan_227(&reply.text) {
                Ok(to) => {
                    let peer = *self.cfg.server.ip();
                    let ip = self.behaves().pasv_address.choose(*to.ip(), peer);
                    if ip != *to.ip() {
                        if let Some(line) =
                            (self.behaves().texts.skipped_pasv_address)(*to.ip(), ip)
                        {
                            self.console(line);
                        }
                    }
                    self.connect_data(x, SocketAddrV4::new(ip, to.port()), now)
                }
                Err(e) => {
                    self.console(format!("ftp: cannot read the 227 reply: {e}"));
                    self.finish(false, Some(227), format!("unreadable 227 reply: {e}"), now)
                }
            },
            (true, 229) => match scan_229(&reply.text) {
                // RFC 2428: the data connection goes to the control connection's address.
                Ok((port, _)) => {
                    let to = SocketAddrV4::new(*self.cfg.server.ip(), port);
                    self.connect_data(x, to, now)
                }
                Err(e) => {
                    self.console(format!("ftp: cannot read the 229 reply: {e}"));
                    self.finish(false, Some(229), format!("unreadable 229 reply: {e}"), now)
                }
            },
            (true, _) if self.cfg.commands == DataCommands::ExtendedFirst => {
                // curl: "disabling EPSV usage", then PASV.
                self.console("ftp: EPSV refused: trying PASV");
                self.use_epsv = false;
                self.send(Command::Pasv, now);
                self.wait = Wait::Pasv(x, false);
            }
            _ => self.finish(false, Some(reply.code), reply.to_string(), now),
        }
    }

    /// A reply to the transfer command, its final reply, or the reply to QUIT.
    fn transfer_reply(&mut self, w: Wait, reply: Reply, now: Time) {
        match w {
            Wait::Start(x) if reply.is_preliminary() => {
                if let Xfer::Put(_, data) = &x {
                    self.out.push_back(ClientAction::SendData(data.clone()));
                    self.out.push_back(ClientAction::CloseData);
                }
                self.deadline = Some(now + self.cfg.reply_timeout);
                self.wait = Wait::Finish {
                    xfer: x,
                    reply: None,
                    data_done: false,
                };
            }
            Wait::Start(_) => {
                self.out.push_back(ClientAction::AbortData);
                self.finish(false, Some(reply.code), reply.to_string(), now)
            }
            Wait::Finish {
                xfer, data_done, ..
            } => {
                self.wait = Wait::Finish {
                    xfer,
                    reply: Some(reply),
                    data_done,
                };
                self.maybe_finish_transfer(now);
            }
            Wait::Quit => {
                self.out.push_back(ClientAction::CloseControl);
                self.finish(reply.code == 221, Some(reply.code), reply.to_string(), now)
            }
            other => self.wait = other,
        }
    }

    fn maybe_finish_transfer(&mut self, now: Time) {
        let Wait::Finish {
            xfer,
            reply: Some(reply),
            data_done,
        } = &self.wait
        else {
            return;
        };
        // A failure reply ends the command whatever the data connection is doing.
        if reply.is_success() && !data_done {
            self.deadline = Some(now + self.cfg.reply_timeout);
            return;
        }
        let (xfer, reply) = (xfer.clone(), reply.clone());
        self.wait = Wait::Idle;
        if !reply.is_success() {
            self.out.push_back(ClientAction::AbortData);
            return self.finish(false, Some(reply.code), reply.to_string(), now);
        }
        let n = match &xfer {
            Xfer::Put(_, d) => d.len() as u64,
            _ => self.received_len,
        };
        let secs = now.since(self.started_at).as_secs_f64();
        if !matches!(xfer, Xfer::Ls(_)) {
            self.console(format!(
                "{n} bytes {} in {secs:.3} secs",
                if matches!(xfer, Xfer::Put(..)) {
                    "sent"
                } else {
                    "received"
                }
            ));
        }
        let what = match xfer {
            Xfer::Ls(_) => "listing received",
            Xfer::Get(_) => "file received",
            Xfer::Put(..) => "file sent",
        };
        self.finish_with_bytes(
            true,
            Some(reply.code),
            format!("{what} ({n} bytes)"),
            n,
            now,
        );
    }

    fn finish(&mut self, ok: bool, reply: Option<u16>, detail: String, now: Time) {
        self.finish_with_bytes(ok, reply, detail, 0, now);
    }

    fn finish_with_bytes(
        &mut self,
        ok: bool,
        reply: Option<u16>,
        detail: String,
        bytes: u64,
        now: Time,
    ) {
        if let Some(index) = self.current.take() {
            let action = self.script[index].kind();
            let r = ActionResult {
                index,
                action,
                ok,
                reply,
                detail,
                bytes,
            };
            self.results.push(r.clone());
            self.out.push_back(ClientAction::Finished(r));
        }
        if self.wait != Wait::Done {
            self.wait = Wait::Idle;
            self.deadline = None;
            self.advance(now);
        }
    }

    /// A failure after which the rest of the script cannot run (no connection, no login).
    fn fatal(&mut self, reply: Option<u16>, detail: impl Into<String>, now: Time) {
        self.wait = Wait::Done;
        self.deadline = None;
        self.finish(false, reply, detail.into(), now);
        for index in self.next..self.script.len() {
            let r = ActionResult {
                index,
                action: self.script[index].kind(),
                ok: false,
                reply: None,
                detail: "not run: an earlier step failed".to_owned(),
                bytes: 0,
            };
            self.results.push(r.clone());
            self.out.push_back(ClientAction::Finished(r));
        }
        self.next = self.script.len();
    }
}

fn failure_words(why: DataFailure) -> &'static str {
    match why {
        DataFailure::Refused => "Connection refused",
        DataFailure::Reset => "Connection reset by peer",
        DataFailure::Unreachable => "No route to host",
        DataFailure::NetUnreachable => "Network is unreachable",
        DataFailure::TimedOut => "Connection timed out",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(c: &mut ClientSession) -> Vec<ClientAction> {
        std::iter::from_fn(|| c.poll_action()).collect()
    }

    fn sent(actions: &[ClientAction]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| {
                if let ClientAction::SendCommand(c) = a {
                    Some(c.to_string())
                } else {
                    None
                }
            })
            .collect()
    }

    fn client(mode: Mode) -> ClientSession {
        let mut cfg = ClientConfig::new("203.0.113.10:21".parse().unwrap());
        cfg.mode = mode;
        let script = vec![
            UserAction::Connect,
            UserAction::Login {
                user: "anonymous".into(),
                pass: "guest".into(),
            },
            UserAction::Ls(None),
            UserAction::Quit,
        ];
        ClientSession::new(cfg, script, Rng::new(3))
    }

    fn connect_and_login(c: &mut ClientSession) {
        c.start(Time::ZERO);
        c.control_connected("198.51.100.7:40000".parse().unwrap(), Time::ZERO);
        c.control_bytes(b"220 hi\r\n", Time::ZERO);
        c.control_bytes(b"331 pw\r\n230 ok\r\n", Time::ZERO);
    }

    #[test]
    fn active_listens_before_port_and_fails_on_425() {
        let mut c = client(Mode::Active);
        connect_and_login(&mut c);
        let a = drain(&mut c);
        assert_eq!(
            sent(&a),
            ["USER anonymous", "PASS guest"],
            "PORT waits for the listener"
        );
        let Some(ClientAction::ListenData { port }) = a
            .iter()
            .find(|x| matches!(x, ClientAction::ListenData { .. }))
            .cloned()
        else {
            panic!("{a:?}")
        };
        assert!((32768..=60999).contains(&port));
        c.listen_result(Ok(()), Time::ZERO);
        let a = drain(&mut c);
        assert_eq!(
            sent(&a),
            [format!("PORT 198,51,100,7,{},{}", port >> 8, port & 0xff)]
        );
        c.control_bytes(b"200 PORT command successful.\r\n", Time::ZERO);
        assert_eq!(sent(&drain(&mut c)), ["LIST"]);
        c.control_bytes(
            b"425 Failed to establish connection.\r\n",
            Time::from_secs(60),
        );
        let a = drain(&mut c);
        assert_eq!(sent(&a), ["QUIT"]);
        let ls = &c.results()[2];
        assert_eq!((ls.ok, ls.reply), (false, Some(425)));
    }

    /// tnftp's `initconn`: a 5xx to PORT with `sendport == -1` (its default) goes to
    /// `noport`, so the classic ftp sends LIST without PORT; curl, ftplib and FileZilla stop
    /// at the refusal.
    #[test]
    fn the_classic_ftp_sends_list_without_port_after_a_refused_port() {
        for (profile, then) in [
            (ClientProfile::Classic, vec!["LIST"]),
            (ClientProfile::Ftplib, vec!["QUIT"]),
        ] {
            let mut c = client(Mode::Active);
            c.cfg.profile = profile;
            connect_and_login(&mut c);
            drain(&mut c);
            c.listen_result(Ok(()), Time::ZERO);
            drain(&mut c);
            c.control_bytes(b"500 Illegal PORT command.\r\n", Time::ZERO);
            assert_eq!(sent(&drain(&mut c)), then, "{profile:?}");
            if profile == ClientProfile::Classic {
                c.control_bytes(b"425 Use PORT or PASV first.\r\n", Time::ZERO);
                drain(&mut c);
                let ls = &c.results()[2];
                assert_eq!((ls.ok, ls.reply), (false, Some(425)));
            }
        }
    }

    #[test]
    fn passive_connects_to_227_address_then_lists() {
        let mut c = client(Mode::Passive);
        connect_and_login(&mut c);
        assert_eq!(
            sent(&drain(&mut c)),
            ["USER anonymous", "PASS guest", "PASV"]
        );
        c.control_bytes(
            b"227 Entering Passive Mode (203,0,113,10,39,19).\r\n",
            Time::ZERO,
        );
        let a = drain(&mut c);
        assert!(a.contains(&ClientAction::ConnectData {
            to: "203.0.113.10:10003".parse().unwrap()
        }));
        c.data_connected("203.0.113.10:10003".parse().unwrap(), Time::ZERO);
        assert_eq!(sent(&drain(&mut c)), ["LIST"]);
        c.control_bytes(b"150 Here comes the directory listing.\r\n", Time::ZERO);
        c.data_bytes(b"-rw-r--r-- 1 ftp ftp 6 Jan 01 00:00 readme.txt\r\n");
        c.control_bytes(b"226 Directory send OK.\r\n", Time::ZERO);
        assert!(
            sent(&drain(&mut c)).is_empty(),
            "must wait for the data to end"
        );
        c.data_eof(Time::ZERO);
        assert_eq!(sent(&drain(&mut c)), ["QUIT"]);
        assert!(c.results()[2].ok);
    }

    #[test]
    fn passive_connect_timeout_fails_the_command_locally() {
        let mut c = client(Mode::Passive);
        connect_and_login(&mut c);
        drain(&mut c);
        c.control_bytes(b"227 =203,0,113,10,39,19\r\n", Time::ZERO);
        drain(&mut c);
        assert_eq!(c.poll_timeout(), Some(Time::from_secs(131)));
        c.handle_timeout(Time::from_secs(131));
        let a = drain(&mut c);
        assert!(a.iter().any(|x| matches!(
            x,
            ClientAction::Console(_, l) if l.starts_with("ftp: connect: Connection timed out")
        )));
        assert_eq!(sent(&a), ["QUIT"], "LIST is never sent");
        assert!(!c.results()[2].ok);
    }

    fn client_with(mode: Mode, commands: DataCommands) -> ClientSession {
        let mut cfg = ClientConfig::new("203.0.113.10:21".parse().unwrap());
        cfg.mode = mode;
        cfg.commands = commands;
        let script = vec![
            UserAction::Connect,
            UserAction::Login {
                user: "anonymous".into(),
                pass: "guest".into(),
            },
            UserAction::Ls(None),
            UserAction::Ls(None),
            UserAction::Quit,
        ];
        ClientSession::new(cfg, script, Rng::new(3))
    }

    #[test]
    fn epsv_connects_to_the_control_address_and_falls_back_to_pasv_as_curl_does() {
        let mut c = client_with(Mode::Passive, DataCommands::ExtendedFirst);
        connect_and_login(&mut c);
        assert_eq!(
            sent(&drain(&mut c)),
            ["USER anonymous", "PASS guest", "EPSV"]
        );
        c.control_bytes(
            b"229 Entering Extended Passive Mode (|||10004|).\r\n",
            Time::ZERO,
        );
        // RFC 2428: the port, at the address the control connection goes to.
        assert!(drain(&mut c).contains(&ClientAction::ConnectData {
            to: "203.0.113.10:10004".parse().unwrap()
        }));
        // A server that refuses EPSV: PASV, and no more EPSV in this session.
        let mut c = client_with(Mode::Passive, DataCommands::ExtendedFirst);
        connect_and_login(&mut c);
        drain(&mut c);
        c.control_bytes(b"500 Unknown command.\r\n", Time::ZERO);
        assert_eq!(sent(&drain(&mut c)), ["PASV"]);
        c.control_bytes(
            b"227 Entering Passive Mode (203,0,113,10,39,19).\r\n",
            Time::ZERO,
        );
        drain(&mut c);
        c.data_connected("203.0.113.10:10003".parse().unwrap(), Time::ZERO);
        c.control_bytes(b"150 ok\r\n226 ok\r\n", Time::ZERO);
        c.data_eof(Time::ZERO);
        assert_eq!(
            sent(&drain(&mut c)),
            ["LIST", "PASV"],
            "the second ls goes straight to PASV"
        );
        // Forced extended: a refusal fails the command, without a fallback.
        let mut c = client_with(Mode::Passive, DataCommands::Extended);
        connect_and_login(&mut c);
        drain(&mut c);
        c.control_bytes(b"502 Command not implemented.\r\n", Time::ZERO);
        let a = drain(&mut c);
        assert!(!sent(&a).contains(&"PASV".to_owned()));
        assert_eq!(c.results()[2].reply, Some(502));
    }

    #[test]
    fn eprt_falls_back_to_port_on_the_same_listener() {
        let mut c = client_with(Mode::Active, DataCommands::ExtendedFirst);
        connect_and_login(&mut c);
        drain(&mut c);
        c.listen_result(Ok(()), Time::ZERO);
        let a = sent(&drain(&mut c));
        assert!(a[0].starts_with("EPRT |1|198.51.100.7|"), "{a:?}");
        let port: u16 = a[0]
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        c.control_bytes(b"500 Bad EPRT protocol.\r\n", Time::ZERO);
        let a = drain(&mut c);
        assert!(!a.contains(&ClientAction::AbortData), "the listener stays");
        assert_eq!(
            sent(&a),
            [format!("PORT 198,51,100,7,{},{}", port >> 8, port & 0xff)]
        );
        c.control_bytes(b"200 PORT command successful.\r\n", Time::ZERO);
        assert_eq!(sent(&drain(&mut c)), ["LIST"]);
    }

    #[test]
    fn a_reply_during_a_blocked_connect_is_shown_unread_when_the_connect_fails() {
        let mut c = client(Mode::Passive);
        connect_and_login(&mut c);
        drain(&mut c);
        c.control_bytes(
            b"227 Entering passive mode (203,0,113,10,39,19).\r\n",
            Time::ZERO,
        );
        drain(&mut c);
        c.control_bytes(
            b"421 Passive data channel timed out.\r\n",
            Time::from_secs(30),
        );
        let a = drain(&mut c);
        assert!(
            !a.iter()
                .any(|x| matches!(x, ClientAction::Console(_, l) if l.starts_with("421"))),
            "not read while connecting: {a:?}"
        );
        c.handle_timeout(Time::from_secs(131));
        let a = drain(&mut c);
        let lines: Vec<&String> = a
            .iter()
            .filter_map(|x| {
                if let ClientAction::Console(_, l) = x {
                    Some(l)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(lines[0], "ftp: connect: Connection timed out");
        assert_eq!(
            lines[1],
            "(unread, arrived during the connect: 421 Passive data channel timed out.)"
        );
        assert_eq!(sent(&a), ["QUIT"]);
    }
}
