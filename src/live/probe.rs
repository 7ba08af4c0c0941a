//! `ftp-lab probe URL`: the simulator's FTP client against a real server, once per mode, with
//! a verdict in the simulator's words: which mode works, and why the other does not.

use super::{Clock, failure_of};
use crate::ftp::ActionKind;
use crate::ftp::{
    ActionResult, ClientAction, ClientConfig, ClientSession, Mode, UserAction, scan_227,
};
use crate::rng::Rng;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A parsed `ftp://[user[:pass]@]host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub user: String,
    pub pass: String,
    pub addr: SocketAddrV4,
    pub path: String,
}

/// Parses and resolves an FTP URL (IPv4 only).
pub fn parse_url(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("ftp://")
        .ok_or_else(|| format!("'{url}' is not an ftp:// URL"))?;
    let (auth, hostpath) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    let (user, pass) = match auth {
        Some(a) => match a.split_once(':') {
            Some((u, p)) => (u.to_owned(), p.to_owned()),
            None => (a.to_owned(), String::new()),
        },
        None => ("anonymous".to_owned(), "ftp-lab@example.org".to_owned()),
    };
    let (hostport, path) = match hostpath.split_once('/') {
        Some((h, p)) => (h, p.to_owned()),
        None => (hostpath, String::new()),
    };
    if hostport.is_empty() {
        return Err(format!("'{url}' names no host"));
    }
    let with_port = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:21")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{hostport}': {e}"))?
        .find_map(|a| match a {
            SocketAddr::V4(a) => Some(a),
            SocketAddr::V6(_) => None,
        })
        .ok_or_else(|| format!("'{hostport}' has no IPv4 address"))?;
    Ok(Target {
        user,
        pass,
        addr,
        path,
    })
}

/// What one mode achieved.
#[derive(Clone, Debug)]
pub struct ModeReport {
    pub mode: Mode,
    pub works: bool,
    /// False when the server could not even be reached or logged in to.
    pub reached: bool,
    pub verdict: String,
    pub transcript: Vec<String>,
}

/// Runs the client once in `mode`: log in, list the path (and fetch it when it is a file).
pub fn probe(t: &Target, mode: Mode, timeout: Duration) -> ModeReport {
    let mut cfg = ClientConfig::new(t.addr);
    cfg.mode = mode;
    // As curl does: EPSV / EPRT first, PASV / PORT if the server refuses them, and a 227's
    // address ignored for the server's own (curl ≥ 7.74's default).
    cfg.profile = crate::ftp::client::ClientProfile::Curl;
    cfg.commands = cfg.profile.behaviour().commands;
    cfg.connect_timeout = timeout;
    cfg.data_connect_timeout = timeout;
    cfg.reply_timeout = timeout;
    let path = (!t.path.is_empty()).then(|| t.path.clone());
    let mut script = vec![
        UserAction::Connect,
        UserAction::Login {
            user: t.user.clone(),
            pass: t.pass.clone(),
        },
        UserAction::SetMode(mode),
        UserAction::Ls(path.clone()),
    ];
    let get = path.as_ref().is_some_and(|p| !p.ends_with('/'));
    if let Some(p) = path.filter(|_| get) {
        script.push(UserAction::Get(p));
    }
    script.push(UserAction::Quit);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let mut c = ClientSession::new(cfg, script, Rng::new(seed));
    let mut drv = Driver {
        clock: Clock::start(),
        timeout,
        ctl: None,
        listener: None,
        data: None,
        out: Vec::new(),
        closing: false,
        lines: Vec::new(),
        port_sent: None,
        reply_227: None,
        data_peer: None,
        sent: Vec::new(),
    };
    drv.run(&mut c);
    let results = c.results().to_vec();
    verdict(mode, t, &results, drv, timeout)
}

fn verdict(
    mode: Mode,
    t: &Target,
    results: &[ActionResult],
    d: Driver,
    timeout: Duration,
) -> ModeReport {
    let name = if mode == Mode::Active {
        "active"
    } else {
        "passive"
    };
    let reached = results
        .iter()
        .any(|r| r.action == ActionKind::Login && r.ok);
    // Which command set up the data connection, and whether the extended one was refused.
    let used = d
        .sent
        .last()
        .copied()
        .unwrap_or(if mode == Mode::Active { "PORT" } else { "PASV" });
    let how = match (d.sent.first().copied(), used) {
        (Some(first), last) if first != last => format!("{last} ({first} was refused)"),
        _ => used.to_owned(),
    };
    let reply = if used == "EPSV" { "229" } else { "227" };
    let ls = results.iter().find(|r| r.action == ActionKind::Ls);
    let get = results
        .iter()
        .find(|r| matches!(r.action, ActionKind::Get(_)));
    // A 550 on RETR means the path was a directory: not a failure of the mode.
    let get_ok = get.is_none_or(|g| g.ok || g.reply == Some(550));
    let works = reached && ls.is_some_and(|l| l.ok) && get_ok;
    let verdict = if !reached {
        let why = results
            .iter()
            .find(|r| !r.ok)
            .map_or("no answer".to_owned(), |r| r.detail.clone());
        format!(
            "{name}: cannot test, {} could not be reached or logged in to: {why}",
            t.addr
        )
    } else if works {
        works_words(mode, &how, reply, &d) + &elsewhere(mode, t, &d)
    } else {
        let failed = [ls, get]
            .into_iter()
            .flatten()
            .find(|r| !r.ok && r.reply != Some(550))
            .or(ls);
        fails_words(mode, &how, failed, &d, timeout)
    };
    ModeReport {
        mode,
        works,
        reached,
        verdict,
        transcript: d.lines,
    }
}

/// What the verdict must add when the data connection involves a host other than the server:
/// a 227 naming a third host (ignored, as curl does), or an active connection that came from
/// another address than the server's.
fn elsewhere(mode: Mode, t: &Target, d: &Driver) -> String {
    let server = *t.addr.ip();
    match mode {
        Mode::Passive => match d.reply_227 {
            Some(a) if *a.ip() != server => format!(
                "; but the 227 named another host, {}: FTP Lab connected to the server's own address {server} instead, as curl does by default (--ftp-skip-pasv-ip); a client that trusts the 227 (the classic ftp program) would have connected to {} (a NAT without an ALG, a misconfigured pasv_address, or an attempt to send the client elsewhere)",
                a.ip(),
                a.ip()
            ),
            _ => String::new(),
        },
        Mode::Active => match d.data_peer {
            Some(p) if *p.ip() != server => format!(
                "; but the data connection came from {}, not from the server {server} (a NAT in front of the server, or another host connecting to the announced port)",
                p.ip()
            ),
            _ => String::new(),
        },
    }
}

/// "passive: works with EPSV, 229 announced …", "active: works with PORT, the server …".
fn works_words(mode: Mode, how: &str, reply: &str, d: &Driver) -> String {
    let at = |a: Option<SocketAddrV4>| a.map_or("?".into(), |a| a.to_string());
    match mode {
        Mode::Passive => format!(
            "passive: works with {how}, {reply} announced {}",
            at(d.reply_227)
        ),
        Mode::Active => format!(
            "active: works with {how}, the server connected from {} to {}",
            at(d.data_peer),
            at(d.port_sent)
        ),
    }
}

/// Why a mode failed: the connection that did not come, and the reply that said so.
fn fails_words(
    mode: Mode,
    how: &str,
    failed: Option<&ActionResult>,
    d: &Driver,
    timeout: Duration,
) -> String {
    let at = |a: Option<SocketAddrV4>| a.map_or("?".into(), |a| a.to_string());
    let code = failed
        .and_then(|r| r.reply)
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    let detail = failed.map_or(String::new(), |r| r.detail.clone());
    match mode {
        Mode::Active => format!(
            "active: fails with {how}, the server's connection to {} did not arrive within {} s{code} ({detail})",
            at(d.port_sent),
            timeout.as_secs()
        ),
        Mode::Passive => format!(
            "passive: fails with {how}, the connection to the announced {} did not complete{code} ({detail})",
            at(d.reply_227)
        ),
    }
}

struct Driver {
    clock: Clock,
    timeout: Duration,
    ctl: Option<TcpStream>,
    listener: Option<TcpListener>,
    data: Option<TcpStream>,
    out: Vec<u8>,
    closing: bool,
    lines: Vec<String>,
    port_sent: Option<SocketAddrV4>,
    reply_227: Option<SocketAddrV4>,
    data_peer: Option<SocketAddrV4>,
    /// The data-connection commands sent, in order (EPSV, then PASV after a refusal…).
    sent: Vec<&'static str>,
}

fn v4(a: SocketAddr) -> Option<SocketAddrV4> {
    match a {
        SocketAddr::V4(a) => Some(a),
        SocketAddr::V6(_) => None,
    }
}

impl Driver {
    fn run(&mut self, c: &mut ClientSession) {
        c.start(self.clock.now());
        let mut buf = [0u8; 16 * 1024];
        while !c.is_done() {
            let now = self.clock.now();
            while let Some(a) = c.poll_action() {
                self.act(c, a);
            }
            if c.is_done() {
                break;
            }
            if self.data.is_none()
                && let Some(l) = &self.listener
                && let Ok((s, p)) = l.accept()
            {
                let _ = s.set_nonblocking(true);
                self.data = Some(s);
                self.listener = None;
                self.data_peer = v4(p);
                c.data_connected(
                    v4(p).unwrap_or(SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0)),
                    now,
                );
                continue;
            }
            if let Some(d) = &mut self.data {
                if !self.out.is_empty() {
                    if let Ok(n) = d.write(&self.out) {
                        self.out.drain(..n);
                    }
                } else if self.closing {
                    let _ = d.shutdown(std::net::Shutdown::Write);
                    self.closing = false;
                    c.data_closed(now);
                } else {
                    match d.read(&mut buf) {
                        Ok(0) => {
                            self.data = None;
                            c.data_eof(now);
                            continue;
                        }
                        Ok(n) => c.data_bytes(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => {
                            self.data = None;
                            c.data_failed(failure_of(&e), now);
                        }
                    }
                }
            }
            if let Some(ctl) = &mut self.ctl {
                match ctl.read(&mut buf) {
                    Ok(0) => {
                        self.ctl = None;
                        c.control_closed(now);
                    }
                    Ok(n) => c.control_bytes(&buf[..n], now),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => {
                        self.ctl = None;
                        c.control_closed(now);
                    }
                }
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
            let now = self.clock.now();
            if c.poll_timeout().is_some_and(|t| t <= now) {
                c.handle_timeout(now);
            }
        }
    }

    fn act(&mut self, c: &mut ClientSession, a: ClientAction) {
        let now = self.clock.now();
        match a {
            ClientAction::ConnectControl { to } => self.connect_control(c, to),
            ClientAction::SendCommand(cmd) => self.send_command(&cmd),
            ClientAction::Received(r) => self.received(&r),
            ClientAction::ListenData { port } => {
                let r = self.listen(port);
                c.listen_result(r, now);
            }
            ClientAction::ConnectData { to } => {
                match TcpStream::connect_timeout(&SocketAddr::V4(to), self.timeout) {
                    Ok(s) => {
                        let _ = s.set_nonblocking(true);
                        self.data = Some(s);
                        c.data_connected(to, self.clock.now());
                    }
                    Err(e) => c.data_failed(failure_of(&e), self.clock.now()),
                }
            }
            ClientAction::SendData(d) => self.out.extend_from_slice(&d),
            ClientAction::CloseData => self.closing = self.data.is_some(),
            ClientAction::AbortData => {
                self.data = None;
                self.listener = None;
                self.out.clear();
                self.closing = false;
            }
            ClientAction::CloseControl => self.ctl = None,
            ClientAction::Console(_, l) => self.lines.push(l),
            ClientAction::Started { .. } | ClientAction::Finished(_) => {}
        }
    }

    fn connect_control(&mut self, c: &mut ClientSession, to: SocketAddrV4) {
        let now = self.clock.now();
        match TcpStream::connect_timeout(&SocketAddr::V4(to), self.timeout) {
            Ok(s) => {
                let _ = s.set_read_timeout(Some(Duration::from_millis(5)));
                let local = s.local_addr().ok().and_then(v4);
                self.ctl = Some(s);
                if let Some(l) = local {
                    c.control_connected(l, now);
                }
            }
            Err(e) => c.control_failed(failure_of(&e), now),
        }
    }

    /// Sends a command, remembering what it announced or asked for.
    fn send_command(&mut self, cmd: &crate::ftp::Command) {
        use crate::ftp::Command;
        if let Command::Port(a) | Command::Eprt(a) = cmd {
            self.port_sent = Some(*a);
        }
        let verb = match cmd {
            Command::Port(_) => Some("PORT"),
            Command::Eprt(_) => Some("EPRT"),
            Command::Pasv => Some("PASV"),
            Command::Epsv(_) => Some("EPSV"),
            _ => None,
        };
        self.sent.extend(verb);
        if let Some(ctl) = &mut self.ctl {
            let _ = ctl.write_all(cmd.to_line().as_bytes());
        }
    }

    /// A reply: a 227 or 229 says where the passive connection goes.
    fn received(&mut self, r: &crate::ftp::Reply) {
        if r.code == 227 {
            self.reply_227 = scan_227(&r.text).ok();
        }
        if r.code == 229 {
            // RFC 2428: the port, at the address of the control connection.
            self.reply_227 = crate::ftp::announce::scan_229(&r.text)
                .ok()
                .and_then(|(port, _)| {
                    let ip = self.ctl.as_ref()?.peer_addr().ok().and_then(v4)?;
                    Some(SocketAddrV4::new(*ip.ip(), port))
                });
        }
    }

    /// Listens on `port` of the control connection's local address.
    fn listen(&mut self, port: u16) -> Result<(), String> {
        let ip = self
            .ctl
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .and_then(v4)
            .map(|a| *a.ip())
            .ok_or_else(|| "no control connection".to_owned())?;
        let l = TcpListener::bind(SocketAddrV4::new(ip, port)).map_err(|e| e.to_string())?;
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
        self.listener = Some(l);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let t = parse_url("ftp://alice:secret@127.0.0.1:2121/pub/readme.txt").unwrap();
        assert_eq!(
            (
                t.user.as_str(),
                t.pass.as_str(),
                t.addr.port(),
                t.path.as_str()
            ),
            ("alice", "secret", 2121, "pub/readme.txt")
        );
        let t = parse_url("ftp://127.0.0.1").unwrap();
        assert_eq!(
            (t.user.as_str(), t.addr.port(), t.path.as_str()),
            ("anonymous", 21, "")
        );
        assert!(parse_url("http://x").is_err());
        assert!(parse_url("ftp://").is_err());
    }
}
