//! `ftp-lab serve`: the simulator's FTP server over real sockets, for students' own clients.
//!
//! One thread per client, as vsftpd has one process per client, and the same limits as
//! vsftpd's defaults: at most `max_clients` sessions and `max_per_ip` from one address (over
//! either, the newcomer gets vsftpd's `421` and is closed), an idle session ends after 300 s,
//! a stalled transfer after 300 s. Each thread runs the sans-IO `ServerSession`: it reads the
//! control connection while no transfer runs, and during a transfer it moves the file's bytes
//! with blocking reads and writes through one bounded buffer (like vsftpd, it does not read
//! the control connection during a transfer; commands sent meanwhile wait in the kernel).
//! When file descriptors run out, the accept loop backs off instead of spinning.

use super::dirstore::DirStore;
use super::{Clock, connect_from, failure_of, printable};
use crate::ftp::server::{DataFailure, DataWork};
use crate::ftp::{ServerAction, ServerConfig, ServerSession};
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The transfer buffer: the most memory a session uses for file bytes.
const BUF: usize = 256 * 1024;
/// Bytes the kernel copies from a file to the socket between two progress reports.
const SENDFILE_CHUNK: usize = 4 * 1024 * 1024;

/// What `serve` was asked for.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub listen: SocketAddrV4,
    pub cfg: ServerConfig,
    /// vsftpd `max_clients` (2000).
    pub max_clients: usize,
    /// vsftpd `max_per_ip` (50).
    pub max_per_ip: usize,
}

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(a) => SocketAddrV4::new(
            a.ip().to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
            a.port(),
        ),
    }
}

/// Sessions open, in all and per address.
#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: BTreeMap<IpAddr, usize>,
}

/// A session's place in the counts, given back when the session ends.
struct Admitted {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Admits a new client, or says which vsftpd 421 it gets.
fn admit(
    counts: &Arc<Mutex<Counts>>,
    ip: IpAddr,
    opts: &ServeOptions,
) -> Result<Admitted, &'static str> {
    let mut c = counts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if c.total >= opts.max_clients {
        return Err("421 There are too many connected users, please try later.\r\n");
    }
    let mine = c.per_ip.get(&ip).copied().unwrap_or(0);
    if mine >= opts.max_per_ip {
        return Err("421 There are too many connections from your internet address.\r\n");
    }
    c.total += 1;
    *c.per_ip.entry(ip).or_insert(0) += 1;
    Ok(Admitted {
        counts: Arc::clone(counts),
        ip,
    })
}

/// True for the accept errors that mean "out of descriptors or memory": wait, do not spin.
fn resource_exhausted(e: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM (Linux numbers).
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12))
}

/// Serves until the process is stopped.
pub fn serve(opts: ServeOptions) -> io::Result<()> {
    let listener = TcpListener::bind(opts.listen)?;
    DirStore::new(&opts.root, opts.cfg.read_only)?.clean_up();
    let cfg = &opts.cfg;
    println!(
        "ftp-lab serve: {} on ftp://{} (passive range {}-{}, active data from {}, uploads {}; \
         at most {} clients, {} per address; idle timeout {} s, data timeout {} s)",
        opts.root.display(),
        listener.local_addr()?,
        cfg.passive_range.0,
        cfg.passive_range.1,
        cfg.active_data_port
            .map_or("an ephemeral port".to_owned(), |p| format!("port {p}")),
        match (cfg.read_only, cfg.anon_upload) {
            (true, _) => "refused",
            (false, false) => "for named users only",
            (false, true) => "allowed, anonymous too",
        },
        opts.max_clients,
        opts.max_per_ip,
        cfg.idle_timeout.as_secs(),
        cfg.data_timeout.as_secs(),
    );
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut backoff = Duration::from_millis(10);
    let mut id = 0u64;
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(x) => x,
            Err(e) if resource_exhausted(&e) => {
                println!("! accept: {e}: waiting {} ms", backoff.as_millis());
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
            Err(e) => {
                println!("! accept: {e}");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        backoff = Duration::from_millis(10);
        id += 1;
        let admitted = match admit(&counts, peer.ip(), &opts) {
            Ok(a) => a,
            Err(msg) => {
                println!("[{peer}] refused: {}", msg.trim_end());
                let mut stream = stream;
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let _ = stream.write_all(msg.as_bytes());
                continue;
            }
        };
        let opts = opts.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let _admitted = admitted;
                if let Err(e) = session(stream, &opts, id) {
                    println!("[{peer}] session ended: {e}");
                }
            });
        if let Err(e) = spawned {
            println!("[{peer}] refused: no thread for it ({e})");
        }
    }
}

/// Whether a session goes on.
#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

fn session(ctl: TcpStream, opts: &ServeOptions, id: u64) -> io::Result<()> {
    let clock = Clock::start();
    let local = v4(ctl.local_addr()?);
    let peer = v4(ctl.peer_addr()?);
    let tag = format!("[{peer}]");
    println!("{tag} connected");
    ctl.set_write_timeout(Some(opts.cfg.data_timeout))?;
    // Replies go out at once: with Nagle, a 226 after a 150 would wait for the client's
    // delayed ACK (40 ms on Linux).
    ctl.set_nodelay(true)?;
    let store = DirStore::new(&opts.root, opts.cfg.read_only)?;
    let seed = id
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0));
    let sess = ServerSession::new(opts.cfg.clone(), local, peer, Rng::new(seed), clock.now());
    let mut d = Driver {
        tag,
        cfg: &opts.cfg,
        clock,
        local,
        ctl,
        store,
        sess,
        listener: None,
        data: None,
        buf: vec![0u8; BUF],
    };
    d.run()
}

struct Driver<'a> {
    tag: String,
    cfg: &'a ServerConfig,
    clock: Clock,
    local: SocketAddrV4,
    ctl: TcpStream,
    store: DirStore,
    sess: ServerSession,
    listener: Option<TcpListener>,
    data: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Driver<'_> {
    fn run(&mut self) -> io::Result<()> {
        loop {
            if self.actions()? == Flow::Stop {
                return Ok(());
            }
            let flow = match self.sess.data_work() {
                DataWork::Accept => self.accept(),
                DataWork::Send => self.send_file(),
                DataWork::Receive => self.receive_file(),
                DataWork::Idle => self.read_control()?,
            };
            if flow == Flow::Stop {
                return Ok(());
            }
        }
    }

    /// Carries out what the session asked, until it asks nothing more.
    fn actions(&mut self) -> io::Result<Flow> {
        while let Some(a) = self.sess.poll_action() {
            let now = self.clock.now();
            let tag = self.tag.clone();
            match a {
                ServerAction::Received(line) => {
                    println!("{tag} > {}", printable(&crate::ftp::command::masked(&line)));
                }
                ServerAction::Reply(r) => {
                    println!("{tag} < {}", printable(&r.to_string()));
                    self.ctl.write_all(r.to_wire().as_bytes())?;
                }
                ServerAction::ConnectData { from_port, to } => self.connect(from_port, to),
                ServerAction::ListenData { port } => {
                    let r = TcpListener::bind(SocketAddrV4::new(*self.local.ip(), port))
                        .and_then(|l| l.set_nonblocking(true).map(|()| l));
                    match r {
                        Ok(l) => {
                            self.listener = Some(l);
                            self.sess.listen_result(Ok(()), now, &mut self.store);
                        }
                        Err(e) => self
                            .sess
                            .listen_result(Err(e.to_string()), now, &mut self.store),
                    }
                }
                ServerAction::CloseData => {
                    if let Some(d) = self.data.take() {
                        let _ = d.shutdown(std::net::Shutdown::Write);
                    }
                    self.sess.data_closed(now, &mut self.store);
                }
                ServerAction::AbortData => {
                    self.listener = None;
                    self.data = None;
                }
                ServerAction::CloseControl => {
                    println!("{tag} closed");
                    return Ok(Flow::Stop);
                }
                ServerAction::Note(t) => println!("{tag} ! {}", printable(&t.to_string())),
            }
        }
        Ok(Flow::Go)
    }

    fn data_socket(&self, s: TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(false)?;
        s.set_read_timeout(Some(self.cfg.data_timeout))?;
        s.set_write_timeout(Some(self.cfg.data_timeout))?;
        Ok(s)
    }

    fn connect(&mut self, from_port: Option<u16>, to: SocketAddrV4) {
        // As vsftpd: the data socket is bound to the control connection's local address (port
        // 20 or a fixed one, else any), so the client sees the data come from the address it
        // talks to (on a host with several addresses the kernel would otherwise pick one).
        let from = Some(SocketAddrV4::new(*self.local.ip(), from_port.unwrap_or(0)));
        let r = connect_from(from, to, self.cfg.connect_timeout).and_then(|s| self.data_socket(s));
        let now = self.clock.now();
        match r {
            Ok(s) => {
                self.data = Some(s);
                self.sess.data_connected(to, now, &mut self.store);
            }
            Err(e) => {
                println!("{} ! connecting to {to} failed: {e}", self.tag);
                self.sess.data_failed(failure_of(&e), now, &mut self.store);
            }
        }
    }

    /// A transfer waits for the passive connection: accept it before the session's deadline.
    fn accept(&mut self) -> Flow {
        loop {
            let now = self.clock.now();
            let Some(l) = &self.listener else {
                self.sess
                    .data_failed(DataFailure::Unreachable, now, &mut self.store);
                return Flow::Go;
            };
            match l.accept() {
                Ok((s, p)) => {
                    match self.data_socket(s) {
                        Ok(s) => {
                            self.data = Some(s);
                            self.listener = None;
                            self.sess.data_connected(v4(p), now, &mut self.store);
                        }
                        Err(_) => self
                            .sess
                            .data_failed(DataFailure::Reset, now, &mut self.store),
                    }
                    return Flow::Go;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => println!("{} ! accept failed: {e}", self.tag),
            }
            if self.sess.poll_timeout().is_some_and(|t| t <= now) {
                self.sess.handle_timeout(now, &mut self.store);
                return Flow::Go;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// A download: from a file, the kernel copies it to the socket (sendfile) a chunk at a
    /// time; otherwise (a listing) through the buffer. The socket does not block: when it is
    /// full the session waits for room until its data timeout, which runs from the last byte
    /// that moved (a blocking send that timed out after moving a few bytes would start the
    /// timeout again, and a download nobody reads took 4× `--data-timeout` to end).
    fn send_file(&mut self) -> Flow {
        if let Some(d) = &self.data {
            let _ = d.set_nonblocking(true);
        }
        while self.sess.data_work() == DataWork::Send {
            let Some(data) = &mut self.data else { break };
            let now = self.clock.now();
            // sendfile(2): the kernel moves the file's pages to the socket, no copy through
            // this process (what vsftpd and pyftpdlib do too).
            let moved = self.sess.copy_from_file(now, |f| {
                rustix::fs::sendfile(&*data, &*f, None, SENDFILE_CHUNK)
                    .map(|n| n as u64)
                    .map_err(io::Error::from)
            });
            match moved {
                Some(Ok(_)) => continue,
                Some(Err(e)) if e.kind() == ErrorKind::WouldBlock => {
                    self.wait_for_room();
                    continue;
                }
                Some(Err(e)) => {
                    self.data_broke(&e, "sending");
                    break;
                }
                None => {}
            }
            let n = self.sess.read_data(&mut self.buf, self.clock.now());
            if n == 0 {
                break;
            }
            if let Err(e) = self.write_buffered(n) {
                self.data_broke(&e, "sending");
                break;
            }
        }
        Flow::Go
    }

    /// Writes the first `n` bytes of the buffer to the data connection, waiting for room as
    /// `send_file` does. Ok also when the session timed out meanwhile (it closed the transfer).
    fn write_buffered(&mut self, n: usize) -> io::Result<()> {
        let mut at = 0;
        while at < n {
            let Some(d) = &mut self.data else {
                return Ok(());
            };
            match d.write(&self.buf[at..n]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(k) => at += k,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.wait_for_room() {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits until the data connection has room, at most until the session's next deadline
    /// (its data timeout), which is then handled. False when the deadline came first.
    fn wait_for_room(&mut self) -> bool {
        let now = self.clock.now();
        let due = self.sess.poll_timeout();
        if due.is_some_and(|t| t <= now) {
            self.sess.handle_timeout(now, &mut self.store);
            return false;
        }
        let Some(d) = &self.data else { return false };
        let wait = due.map_or(Duration::from_secs(1), |t| t.since(now));
        let ts = rustix::event::Timespec {
            tv_sec: wait.as_secs() as i64,
            tv_nsec: i64::from(wait.subsec_nanos()),
        };
        let mut fds = [rustix::event::PollFd::new(d, rustix::event::PollFlags::OUT)];
        let _ = rustix::event::poll(&mut fds, Some(&ts));
        // Past the deadline now: timed out, even if a few bytes would fit (POLLOUT waits for
        // a third of the buffer; a send would move less and seem to make progress).
        let now = self.clock.now();
        if self.sess.poll_timeout().is_some_and(|t| t <= now) {
            self.sess.handle_timeout(now, &mut self.store);
            return false;
        }
        true
    }

    /// An upload: read from the data connection into the upload until the client closes it.
    fn receive_file(&mut self) -> Flow {
        while self.sess.data_work() == DataWork::Receive {
            let Some(d) = &mut self.data else { break };
            match d.read(&mut self.buf) {
                Ok(0) => {
                    // A client that vanished closed both connections: then this was not the
                    // end of the file, and the upload is dropped.
                    if self.control_gone() {
                        println!("{} the client closed the control connection", self.tag);
                        self.sess.control_closed();
                        return Flow::Stop;
                    }
                    self.data = None;
                    self.sess.data_eof(self.clock.now(), &mut self.store);
                }
                Ok(n) => self.sess.data_received(&self.buf[..n], self.clock.now()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => self.data_broke(&e, "receiving"),
            }
        }
        Flow::Go
    }

    fn data_broke(&mut self, e: &io::Error, doing: &str) {
        println!("{} ! {doing} data failed: {e}", self.tag);
        self.data = None;
        let why = if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            DataFailure::TimedOut
        } else {
            DataFailure::Reset
        };
        self.sess
            .data_failed(why, self.clock.now(), &mut self.store);
    }

    /// True when the client has closed the control connection (peeked, nothing consumed).
    fn control_gone(&self) -> bool {
        if self.ctl.set_nonblocking(true).is_err() {
            return true;
        }
        let r = self.ctl.peek(&mut [0u8; 1]);
        let _ = self.ctl.set_nonblocking(false);
        match r {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != ErrorKind::WouldBlock,
        }
    }

    /// No transfer: read commands until the session's next deadline.
    fn read_control(&mut self) -> io::Result<Flow> {
        let now = self.clock.now();
        let wait = self
            .sess
            .poll_timeout()
            .map_or(Duration::from_secs(1), |t| t.since(now))
            .clamp(Duration::from_millis(1), Duration::from_secs(3600));
        if self.sess.wants_input() {
            self.ctl.set_read_timeout(Some(wait))?;
            match self.ctl.read(&mut self.buf) {
                Ok(0) => {
                    self.sess.control_closed();
                    println!("{} the client closed the control connection", self.tag);
                    return Ok(Flow::Stop);
                }
                Ok(n) => {
                    let now = self.clock.now();
                    self.sess
                        .handle_control_bytes(&self.buf[..n], now, &mut self.store);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        } else {
            std::thread::sleep(wait);
        }
        let now = self.clock.now();
        if self.sess.poll_timeout().is_some_and(|t| t <= now) {
            self.sess.handle_timeout(now, &mut self.store);
        }
        Ok(Flow::Go)
    }
}
