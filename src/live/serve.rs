//! `ftp-lab serve`: the simulator's FTP server over real sockets, for students' own clients.
//!
//! One thread per client. Each runs the sans-IO `ServerSession` against its control socket,
//! carries out its data-connection requests with real sockets, and prints the session's
//! transcript as it happens, with the same words the simulator uses for a failed data
//! connection.

use super::dirstore::DirStore;
use super::{Clock, connect_from, failure_of};
use crate::ftp::server::DataFailure;
use crate::ftp::{ServerAction, ServerConfig, ServerSession};
use crate::rng::Rng;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// What `serve` was asked for.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub listen: SocketAddrV4,
    pub cfg: ServerConfig,
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

/// Serves until the process is stopped.
pub fn serve(opts: ServeOptions) -> std::io::Result<()> {
    let listener = TcpListener::bind(opts.listen)?;
    let store_check = DirStore::new(&opts.root, opts.cfg.read_only)?;
    drop(store_check);
    println!(
        "ftp-lab serve: {} on ftp://{} (passive range {}-{}, active data from {}, uploads {})",
        opts.root.display(),
        listener.local_addr()?,
        opts.cfg.passive_range.0,
        opts.cfg.passive_range.1,
        opts.cfg
            .active_data_port
            .map_or("an ephemeral port".to_owned(), |p| format!("port {p}")),
        if opts.cfg.read_only {
            "refused"
        } else {
            "allowed"
        }
    );
    let mut id = 0u64;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        id += 1;
        let opts = opts.clone();
        std::thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            if let Err(e) = session(stream, &opts, id) {
                println!("[{peer}] session ended: {e}");
            }
        });
    }
    Ok(())
}

fn session(ctl: TcpStream, opts: &ServeOptions, id: u64) -> std::io::Result<()> {
    let clock = Clock::start();
    let local = v4(ctl.local_addr()?);
    let peer = v4(ctl.peer_addr()?);
    let tag = format!("[{peer}]");
    println!("{tag} connected");
    let mut store = DirStore::new(&opts.root, opts.cfg.read_only)?;
    let seed = id
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0));
    let mut sess = ServerSession::new(opts.cfg.clone(), local, peer, Rng::new(seed));
    let mut ctl = ctl;
    ctl.set_read_timeout(Some(Duration::from_millis(5)))?;
    let mut listener: Option<TcpListener> = None;
    let mut data: Option<TcpStream> = None;
    let mut out: Vec<u8> = Vec::new();
    let mut closing = false;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let now = clock.now();
        while let Some(a) = sess.poll_action() {
            match a {
                ServerAction::Received(line) => {
                    println!("{tag} > {}", crate::ftp::command::masked(&line));
                }
                ServerAction::Reply(r) => {
                    println!("{tag} < {r}");
                    ctl.write_all(r.to_wire().as_bytes())?;
                }
                ServerAction::ConnectData { from_port, to } => {
                    let from = from_port.map(|p| SocketAddrV4::new(*local.ip(), p));
                    match connect_from(from, to, opts.cfg.connect_timeout) {
                        Ok(s) => {
                            s.set_nonblocking(true)?;
                            data = Some(s);
                            sess.data_connected(to, now, &mut store);
                        }
                        Err(e) => {
                            println!("{tag} ! connecting to {to} failed: {e}");
                            sess.data_failed(failure_of(&e), clock.now(), &mut store);
                        }
                    }
                }
                ServerAction::ListenData { port } => {
                    match TcpListener::bind(SocketAddrV4::new(*local.ip(), port)) {
                        Ok(l) => {
                            l.set_nonblocking(true)?;
                            listener = Some(l);
                            sess.listen_result(Ok(()), now, &mut store);
                        }
                        Err(e) => sess.listen_result(Err(e.to_string()), now, &mut store),
                    }
                }
                ServerAction::SendData(b) => out.extend_from_slice(&b),
                ServerAction::CloseData => closing = true,
                ServerAction::AbortData => {
                    listener = None;
                    data = None;
                    out.clear();
                    closing = false;
                }
                ServerAction::CloseControl => {
                    println!("{tag} closed");
                    return Ok(());
                }
                ServerAction::Note(t) => println!("{tag} ! {t}"),
            }
        }
        if data.is_none()
            && let Some(l) = &listener
        {
            match l.accept() {
                Ok((s, p)) => {
                    s.set_nonblocking(true)?;
                    data = Some(s);
                    listener = None;
                    sess.data_connected(v4(p), now, &mut store);
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => println!("{tag} ! accept failed: {e}"),
            }
        }
        if let Some(d) = &mut data {
            if !out.is_empty() {
                match d.write(&out) {
                    Ok(n) => {
                        out.drain(..n);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => {
                        println!("{tag} ! data connection broke: {e}");
                        data = None;
                        out.clear();
                        closing = false;
                        sess.data_failed(DataFailure::Reset, now, &mut store);
                        continue;
                    }
                }
            }
            if closing && out.is_empty() {
                let _ = d.shutdown(std::net::Shutdown::Write);
                data = None;
                closing = false;
                sess.data_closed(now, &mut store);
                continue;
            }
            if !closing && out.is_empty() {
                match d.read(&mut buf) {
                    Ok(0) => {
                        data = None;
                        sess.data_eof(now, &mut store);
                        continue;
                    }
                    Ok(n) => sess.data_received(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => {
                        data = None;
                        sess.data_failed(DataFailure::Reset, now, &mut store);
                    }
                }
            }
        }
        match ctl.read(&mut buf) {
            Ok(0) => {
                sess.control_closed();
                println!("{tag} the client closed the control connection");
                return Ok(());
            }
            Ok(n) => sess.handle_control_bytes(&buf[..n], clock.now(), &mut store),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        let now = clock.now();
        if sess.poll_timeout().is_some_and(|t| t <= now) {
            sess.handle_timeout(now, &mut store);
        }
    }
}
