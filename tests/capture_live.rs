#![allow(clippy::unwrap_used)]
//! Real captures, made by the tests themselves with dumpcap on the loopback while curl and
//! Python's ftplib talk to `ftp-lab serve` and to pyftpdlib, in both modes, as pcap and pcapng;
//! a data connection refused by the kernel (RST); and, as root, a drop made by iptables inside
//! network namespaces the test creates and removes. Each is explained with the right outcome,
//! mode, failing step and mechanism.
//!
//! Each test gives its server its own loopback address (127.0.0.N) and captures only that
//! host, so tests running at the same time do not see each other's packets.

mod common;

use common::peers::Bounded;

use common::live::*;
use ftp_lab::capture::{self, Explained};
use ftp_lab::diagnose::failing_step;
use ftp_lab::ftp::Mode;
use ftp_lab::trace::{Channel, Mechanism};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Dumpcap {
    child: Child,
    file: PathBuf,
}

impl Dumpcap {
    /// Starts capturing `filter` on `iface` (inside `netns` when given) into `file`.
    fn start(netns: Option<&str>, iface: &str, filter: &str, file: &Path, pcapng: bool) -> Dumpcap {
        let _ = std::fs::remove_file(file);
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "dumpcap"]);
                c
            }
            None => Command::new("dumpcap"),
        };
        cmd.args(["-i", iface, "-f", filter, "-w"]).arg(file);
        if !pcapng {
            cmd.arg("-P");
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // dumpcap says "Capturing on …" once it listens.
        let mut err = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 256];
            let mut seen = String::new();
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                if seen.contains("Capturing on") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("dumpcap did not start capturing");
        // It says so a moment before its first packet is written.
        std::thread::sleep(Duration::from_millis(700));
        Dumpcap {
            child,
            file: file.to_path_buf(),
        }
    }

    /// Stops (SIGINT: dumpcap flushes and closes the file) and explains the file.
    fn stop_and_explain(mut self) -> Explained {
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .output_within(5);
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        capture::explain_file(&self.file, |_| {}).unwrap()
    }
}

/// A test that fails half-way leaves no dumpcap running.
impl Drop for Dumpcap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve`, stopped when the test ends however it ends.
struct Served(Child);

impl Served {
    /// Killed, then reaped (a killed process ends at once).
    fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()?;
        self.0.wait().map(|_| ())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftp-lab-live-cap-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// The explained run: one client, its outcome, the mode of its data connection.
fn check(x: &Explained, ok: bool, mode: Mode, what: &str) {
    let t = &x.trace;
    assert_eq!(
        t.clients.len(),
        1,
        "{what}: {:?}",
        t.clients.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    assert_eq!(t.outcome.success, ok, "{what}: {}", t.outcome.diagnosis);
    let data = t
        .connections
        .iter()
        .find(|c| c.channel == Channel::Data)
        .unwrap_or_else(|| panic!("{what}: no data connection"));
    assert_eq!(data.mode, Some(mode), "{what}");
    if ok {
        assert!(
            data.announced.is_some(),
            "{what}: paired with its announcement"
        );
    }
}

/// Waits (at most 10 s) until something listens at `ip:port`.
fn listening(ip: &str, port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect((ip, port)).is_err()
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve_on(ip: &str, pasv: &str) -> (Served, u16, PathBuf) {
    let root = root(&format!("cap-{ip}"));
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["serve", "--root"])
        .arg(&root)
        .args([
            "--listen",
            &format!("{ip}:{port}"),
            "--pasv-range",
            pasv,
            "--anon-upload",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Served(child);
    listening(ip, port);
    (child, port, root)
}

fn curl_against_serve_in_both_modes_as_pcap_and_pcapng() {
    let ip = "127.0.0.21";
    let (mut server, port, _root) = serve_on(ip, "26001-26010");
    for (flags, mode, pcapng) in [
        (vec!["--ftp-pasv"], Mode::Passive, false),
        (vec!["-P", "127.0.0.1"], Mode::Active, true),
        (vec!["--ftp-pasv", "--disable-epsv"], Mode::Passive, true),
    ] {
        let file = tmp(&format!("curl-{mode:?}-{pcapng}.cap"));
        let cap = Dumpcap::start(None, "lo", &format!("host {ip}"), &file, pcapng);
        let out = Command::new("curl")
            .args(["-s", "--max-time", "10"])
            .args(&flags)
            .arg(format!("ftp://{ip}:{port}/readme.txt"))
            .output_within(120)
            .unwrap();
        assert!(out.status.success(), "curl {flags:?}");
        let x = cap.stop_and_explain();
        check(&x, true, mode, &format!("curl {flags:?}"));
        let t = &x.trace;
        assert!(
            t.clients[0]
                .actions
                .iter()
                .any(|a| a.action == ftp_lab::ftp::ActionKind::Get("readme.txt".into()) && a.ok),
            "{:?}",
            t.clients[0].actions
        );
    }
    let _ = server.kill();
}

fn ftplib_against_pyftpdlib_in_both_modes() {
    let ip = "127.0.0.22";
    let dir = root("cap-pyftpdlib");
    let port = free_port();
    let script = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_anonymous(sys.argv[3])
h = FTPHandler; h.authorizer = a; h.passive_ports = range(26021, 26026)
FTPServer((sys.argv[1], int(sys.argv[2])), h).serve_forever()
"#;
    let mut server = Served(
        Command::new("python3")
            .args(["-c", script, ip, &port.to_string(), dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    listening(ip, port);
    for (pasv, mode) in [(true, Mode::Passive), (false, Mode::Active)] {
        let file = tmp(&format!("ftplib-{pasv}.pcapng"));
        let cap = Dumpcap::start(None, "lo", &format!("host {ip}"), &file, true);
        let client = format!(
            "import ftplib\nf = ftplib.FTP()\nf.connect('{ip}', {port}, timeout=10)\nf.login()\nf.set_pasv({})\nf.nlst()\nf.quit()\n",
            if pasv { "True" } else { "False" }
        );
        let out = Command::new("python3")
            .args(["-c", &client])
            .output_within(120)
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let x = cap.stop_and_explain();
        check(&x, true, mode, &format!("ftplib pasv={pasv}"));
        // pyftpdlib's active connection comes from an ephemeral port, announced by PORT.
        if mode == Mode::Active {
            let d = x
                .trace
                .connections
                .iter()
                .find(|c| c.channel == Channel::Data)
                .unwrap();
            assert!(d.initiator.port() > 1024, "{}", d.initiator);
        }
    }
    let _ = server.kill();
}

/// A PORT naming a port nobody listens on: the server's SYN is answered by the kernel's RST,
/// and `serve` replies 425 at once.
fn a_data_connection_refused_by_a_reset() {
    let ip = "127.0.0.23";
    let (mut server, port, _root) = serve_on(ip, "26031-26040");
    let file = tmp("refused.pcapng");
    let cap = Dumpcap::start(None, "lo", &format!("host {ip}"), &file, true);
    // A port that was free a moment ago and is closed now.
    let closed = free_port();
    let client = format!(
        "import ftplib\nf = ftplib.FTP()\nf.connect('{ip}', {port}, timeout=10)\nf.login()\nprint(f.sendport('127.0.0.1', {closed}))\ntry:\n    f.sendcmd('LIST')\n    print(f.getresp())\nexcept ftplib.error_temp as e:\n    print('refused', e)\nf.quit()\n"
    );
    let out = Command::new("python3")
        .args(["-c", &client])
        .output_within(120)
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("425"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x = cap.stop_and_explain();
    let t = &x.trace;
    assert!(!t.outcome.success);
    assert_eq!(
        t.outcome.mechanism,
        Some(Mechanism::Rejected),
        "{}",
        t.outcome.diagnosis
    );
    assert_eq!(failing_step(t, t.clients[0].node), Some(3));
    assert!(
        t.outcome.diagnosis.contains("TCP reset"),
        "{}",
        t.outcome.diagnosis
    );
    let _ = server.kill();
}

/// Two network namespaces joined by a veth pair; removed when dropped.
struct Netns {
    cli: String,
    srv: String,
}

impl Netns {
    fn create() -> Result<Netns, String> {
        let tag = std::process::id() % 100_000;
        let (cli, srv) = (format!("ftplab-c{tag}"), format!("ftplab-s{tag}"));
        let n = Netns {
            cli: cli.clone(),
            srv: srv.clone(),
        };
        let run = |args: &[&str]| -> Result<(), String> {
            let o = Command::new(args[0])
                .args(&args[1..])
                .output_within(120)
                .map_err(|e| e.to_string())?;
            if o.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
        };
        let (vc, vs) = (format!("vc{tag}"), format!("vs{tag}"));
        run(&["ip", "netns", "add", &cli])?;
        run(&["ip", "netns", "add", &srv])?;
        run(&[
            "ip", "link", "add", &vc, "type", "veth", "peer", "name", &vs,
        ])?;
        run(&["ip", "link", "set", &vc, "netns", &cli])?;
        run(&["ip", "link", "set", &vs, "netns", &srv])?;
        run(&["ip", "-n", &cli, "addr", "add", "10.77.0.2/24", "dev", &vc])?;
        run(&["ip", "-n", &srv, "addr", "add", "10.77.0.1/24", "dev", &vs])?;
        for (ns, dev) in [(&cli, &vc), (&srv, &vs)] {
            run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
            run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        }
        // The server's firewall drops every new connection to its passive port.
        run(&[
            "ip", "netns", "exec", &srv, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "26050",
            "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP",
        ])
        .or_else(|_| {
            run(&[
                "ip", "netns", "exec", &srv, "nft", "add table ip f; add chain ip f in { type filter hook input priority 0; }; add rule ip f in tcp dport 26050 ct state new drop",
            ])
        })?;
        Ok(n)
    }

    fn veth(&self) -> String {
        format!("vc{}", std::process::id() % 100_000)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.cli, &self.srv] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .output_within(10);
        }
    }
}

/// A real drop: iptables in the server's namespace drops the passive data connection; the
/// capture on the client's side shows the client's SYN retried and never answered.
fn a_passive_connection_dropped_by_iptables_in_a_namespace() {
    // The harness checked that namespaces can be made (Peer::Netns): failing now is a failure.
    let ns = Netns::create().unwrap_or_else(|e| panic!("cannot make the namespaces: {e}"));
    let dir = root_dir("netns");
    let server = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.srv,
            env!("CARGO_BIN_EXE_ftp-lab"),
            "serve",
            "--root",
        ])
        .arg(&dir)
        .args(["--listen", "10.77.0.1:2121", "--pasv-range", "26050-26050"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Served(server);
    std::thread::sleep(Duration::from_millis(500));
    let file = tmp("netns-drop.pcapng");
    let cap = Dumpcap::start(Some(&ns.cli), &ns.veth(), "tcp", &file, true);
    // The client gives up its connect after 8 s (three SYN retries), as a user would.
    let client = "import ftplib, socket\nf = ftplib.FTP()\nf.connect('10.77.0.1', 2121, timeout=8)\nf.login()\ntry:\n    f.nlst()\nexcept (socket.timeout, TimeoutError, OSError) as e:\n    print('timeout', e)\ntry:\n    f.quit()\nexcept Exception:\n    pass\n";
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.cli, "python3", "-c", client])
        .output_within(120)
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("timeout"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x = cap.stop_and_explain();
    let _ = server.kill();
    let t = &x.trace;
    assert!(!t.outcome.success, "{}", t.outcome.diagnosis);
    assert_eq!(
        t.outcome.mechanism,
        Some(Mechanism::Dropped),
        "{}",
        t.outcome.diagnosis
    );
    assert_eq!(failing_step(t, t.clients[0].node), Some(3));
    // Captured in the client's namespace; on a veth the round trip is tens of microseconds,
    // too little to tell the sides apart by timing, so "between" is an honest answer too.
    assert!(
        matches!(
            x.vantage,
            capture::Vantage::Client | capture::Vantage::Between
        ),
        "{:?}",
        x.vantage
    );
    let syns = t.outcome.diagnosis.matches("times").count();
    assert!(
        syns >= 1 && t.outcome.diagnosis.contains("never answered"),
        "{}",
        t.outcome.diagnosis
    );
    drop(ns);
}

fn root_dir(tag: &str) -> PathBuf {
    root(tag)
}

fn main() -> std::process::ExitCode {
    use common::peers::Peer;
    common::peers::main(tests![
        needs [Peer::Dumpcap, Peer::Curl] => curl_against_serve_in_both_modes_as_pcap_and_pcapng;
        needs [Peer::Dumpcap, Peer::Python, Peer::Pyftpdlib] => ftplib_against_pyftpdlib_in_both_modes;
        needs [Peer::Dumpcap, Peer::Python] => a_data_connection_refused_by_a_reset;
        needs [Peer::Dumpcap, Peer::Netns] => a_passive_connection_dropped_by_iptables_in_a_namespace;
    ])
}
