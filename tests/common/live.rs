//! Helpers for tests that talk to `ftp-lab serve` (and other servers) over loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port from 12000–19999: below the passive ranges the tests give servers (from 20011)
/// and below the kernel's ephemeral range (32768–60999), where a port can
/// be taken by any outgoing connection meanwhile, and `wait_for`'s own connect to it can even
/// connect to itself (a TCP self-connect), after which the server cannot bind it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = 12_000 + (std::process::id() % 200) * 20;
    for _ in 0..4000 {
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (base + k % 4000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 12000-19999");
}

pub fn wait_for(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub root: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A line of `/proc/PID/status` as a number (`Threads`, `VmRSS` in kB, `VmHWM`).
    pub fn status(&self, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// CPU time used so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after = stat.rsplit_once(')').map_or("", |x| x.1);
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        f[11] + f[12]
    }
}

/// A fresh directory with `readme.txt` and `pub/blob.bin` (200,000 bytes).
pub fn root(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftp-lab-live-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("pub")).unwrap();
    std::fs::write(d.join("readme.txt"), "hello from ftp-lab serve\n").unwrap();
    std::fs::write(d.join("pub/blob.bin"), blob(200_000)).unwrap();
    d
}

/// Bytes that are not all alike.
pub fn blob(n: usize) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// `ftp-lab serve` on a free port with a passive range, the data timeouts at 5 s, anonymous
/// uploads allowed, and any extra flags.
pub fn serve(tag: &str, pasv: &str, extra: &[&str]) -> Server {
    serve_with(tag, pasv, extra, Stdio::null())
}

pub fn serve_with(tag: &str, pasv: &str, extra: &[&str], stdout: Stdio) -> Server {
    serve_env(tag, pasv, extra, stdout, &[])
}

/// The same, with environment variables for the server process.
pub fn serve_env(
    tag: &str,
    pasv: &str,
    extra: &[&str],
    stdout: Stdio,
    env: &[(&str, &str)],
) -> Server {
    let root = root(tag);
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .envs(env.iter().copied())
        .args(["serve", "--root"])
        .arg(&root)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--pasv-range",
            pasv,
            "--timeout",
            "5",
            "--anon-upload",
        ])
        .args(extra)
        .stdout(stdout)
        .spawn()
        .unwrap();
    wait_for(port);
    Server { child, port, root }
}

/// A raw control connection that reads one reply per command.
pub struct Raw {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Raw {
    pub fn open(port: u16) -> Raw {
        let mut r = Raw::connect(port);
        let hello = r.reply();
        assert!(hello.starts_with("220"), "{hello}");
        r
    }

    /// Connects without reading the greeting.
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Raw {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    pub fn reply(&mut self) -> String {
        let mut l = String::new();
        let _ = self.r.read_line(&mut l);
        l
    }

    pub fn send(&mut self, bytes: &[u8]) -> String {
        self.w.write_all(bytes).unwrap();
        self.reply()
    }

    pub fn login(&mut self) {
        assert!(self.send(b"USER anonymous\r\n").starts_with("331"));
        assert!(self.send(b"PASS x\r\n").starts_with("230"));
    }

    /// PASV, and the connection to the announced address.
    pub fn passive(&mut self) -> TcpStream {
        let reply = self.send(b"PASV\r\n");
        let addr: SocketAddrV4 =
            ftp_lab::ftp::scan_227(&reply).unwrap_or_else(|e| panic!("{reply}: {e}"));
        let d = TcpStream::connect(addr).unwrap();
        d.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        d
    }

    /// RETR in passive mode: the bytes, and the final reply.
    pub fn retr(&mut self, path: &str) -> (Vec<u8>, String) {
        let mut d = self.passive();
        let r = self.send(format!("RETR {path}\r\n").as_bytes());
        assert!(r.starts_with("150"), "{r}");
        let mut got = Vec::new();
        d.read_to_end(&mut got).unwrap();
        (got, self.reply())
    }

    /// STOR in passive mode: the final reply.
    pub fn stor(&mut self, path: &str, bytes: &[u8]) -> String {
        let mut d = self.passive();
        let r = self.send(format!("STOR {path}\r\n").as_bytes());
        assert!(r.starts_with("150"), "{r}");
        d.write_all(bytes).unwrap();
        drop(d);
        self.reply()
    }

    /// LIST in passive mode: the listing, and the final reply.
    pub fn list(&mut self) -> (String, String) {
        let mut d = self.passive();
        let r = self.send(b"LIST\r\n");
        assert!(r.starts_with("150"), "{r}");
        let mut got = String::new();
        d.read_to_string(&mut got).unwrap();
        (got, self.reply())
    }
}
