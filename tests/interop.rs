#![allow(clippy::unwrap_used)]
//! The same FTP code over real loopback sockets, against peers nobody here wrote: curl and
//! Python's ftplib against `ftp-lab serve`, and `ftp-lab probe` against pyftpdlib.
//!
//! A missing peer shows as a skip in the test's name; under CI (CI=true) it fails
//! (`tests/common/peers.rs`).

mod common;

use common::peers::Bounded;

use common::live::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

/// curl with its defaults (EPSV for passive, EPRT for `-P`) and with the classic commands
/// (`--disable-epsv` → PASV, `--disable-eprt` → PORT): LIST, RETR, STOR, byte for byte; curl's
/// own verbose log says which command it used.
fn curl_lists_retrieves_and_stores_in_both_modes() {
    let s = serve("curl", "20001-20010", &[]);
    let url = format!("ftp://127.0.0.1:{}", s.port);
    let want = std::fs::read(s.root.join("pub/blob.bin")).unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--ftp-pasv"], "EPSV"),
        (&["-P", "127.0.0.1"], "EPRT"),
        (&["--ftp-pasv", "--disable-epsv"], "PASV"),
        (&["-P", "127.0.0.1", "--disable-eprt"], "PORT"),
    ];
    for (k, (flags, verb)) in cases.into_iter().enumerate() {
        let run = |more: &[&str]| {
            let out = Command::new("curl")
                .args(["-v", "-s", "-S", "--max-time", "20"])
                .args(flags)
                .args(more)
                .output_within(120)
                .unwrap();
            let log = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{verb}: {log}");
            assert!(log.contains(&format!("> {verb}")), "{verb} not used: {log}");
            out.stdout
        };
        let list = run(&[&format!("{url}/")]);
        let list = String::from_utf8_lossy(&list);
        assert!(
            list.contains("readme.txt") && list.contains("pub"),
            "{verb}: {list}"
        );
        assert_eq!(run(&[&format!("{url}/pub/blob.bin")]), want, "{verb}: RETR");
        let local = std::env::temp_dir().join(format!("ftp-lab-up-{}-{k}", std::process::id()));
        std::fs::write(&local, &want[..123_457]).unwrap();
        run(&["-T", local.to_str().unwrap(), &format!("{url}/up-{k}.bin")]);
        assert_eq!(
            std::fs::read(s.root.join(format!("up-{k}.bin"))).unwrap(),
            &want[..123_457],
            "{verb}: STOR not byte-identical"
        );
        let _ = std::fs::remove_file(&local);
    }
}

/// Python's ftplib with the extended commands: EPSV (its `parse229`) and `sendeprt`.
fn ftplib_uses_epsv_and_eprt() {
    let s = serve("ftplib-ext", "20031-20040", &[]);
    let script = r#"
import ftplib, socket, sys
port, root = int(sys.argv[1]), sys.argv[2]
want = open(root + "/pub/blob.bin", "rb").read()
f = ftplib.FTP()
f.connect("127.0.0.1", port, timeout=10)
f.login()
f.voidcmd("TYPE I")
# EPSV: the reply names only a port; connect to the control connection's address.
host, dport = ftplib.parse229(f.sendcmd("EPSV"), f.sock.getpeername())
d = socket.create_connection((host, dport), timeout=10)
assert f.sendcmd("RETR pub/blob.bin").startswith("150")
got = b""
while True:
    b = d.recv(65536)
    if not b:
        break
    got += b
d.close()
assert f.voidresp().startswith("226")
assert got == want, len(got)
# EPRT: ftplib's sendeprt with a listening socket.
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
r = f.sendeprt("127.0.0.1", l.getsockname()[1])
assert r.startswith("200 EPRT"), r
assert f.sendcmd("LIST").startswith("150")
c, _ = l.accept()
listing = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    listing += b
c.close()
assert f.voidresp().startswith("226")
assert b"readme.txt" in listing, listing
# EPSV 2 (IPv6) on an IPv4 control connection: 522, and the session goes on.
try:
    f.sendcmd("EPSV 2")
    raise SystemExit("EPSV 2 accepted")
except ftplib.error_perm as e:
    assert str(e).startswith("522"), e
f.quit()
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &s.port.to_string(), s.root.to_str().unwrap()])
        .output_within(120)
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ftplib_works_in_both_modes() {
    let s = serve("ftplib", "20011-20020", &[]);
    let script = r#"
import ftplib, io, sys
port, root = int(sys.argv[1]), sys.argv[2]
want = open(root + "/pub/blob.bin", "rb").read()
for pasv in (True, False):
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=10)
    f.login()
    f.set_pasv(pasv)
    names = f.nlst()
    assert "pub" in names and "readme.txt" in names, names
    lines = []
    f.retrlines("LIST", lines.append)
    assert any(l.endswith("readme.txt") for l in lines), lines
    buf = io.BytesIO()
    f.retrbinary("RETR pub/blob.bin", buf.write)
    assert buf.getvalue() == want
    name = "stored-%s.bin" % pasv
    f.storbinary("STOR " + name, io.BytesIO(want[:99999]))
    assert open(root + "/" + name, "rb").read() == want[:99999]
    f.quit()
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &s.port.to_string(), s.root.to_str().unwrap()])
        .output_within(120)
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Seen in the second attack: `257 "/q"uote"`, which ftplib's pwd() reads as `/q`. RFC 959
/// appendix II: a quote in the name is doubled (vsftpd does).
fn ftplib_reads_a_directory_name_with_a_quote_from_pwd() {
    let s = serve("ftplib-pwd", "20041-20050", &[]);
    std::fs::create_dir_all(s.root.join("q\"uote")).unwrap();
    let script = r#"
import ftplib, sys
f = ftplib.FTP()
f.connect("127.0.0.1", int(sys.argv[1]), timeout=10)
f.login()
f.cwd('q"uote')
assert f.pwd() == '/q"uote', f.pwd()
f.quit()
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", script, &s.port.to_string()])
        .output_within(60)
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn probe_tells_both_modes_work_against_pyftpdlib_with_a_passive_range() {
    let dir = root("pyftpdlib");
    let port = free_port();
    let script = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_anonymous(sys.argv[2])
h = FTPHandler; h.authorizer = a; h.passive_ports = range(20021, 20026)
FTPServer(("127.0.0.1", int(sys.argv[1])), h).serve_forever()
"#;
    let child = Command::new("python3")
        .args(["-c", script, &port.to_string(), dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Server {
        child,
        port,
        root: dir,
    };
    wait_for(port);
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args([
            "probe",
            &format!("ftp://127.0.0.1:{port}/readme.txt"),
            "--timeout",
            "10",
        ])
        .output_within(120)
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Like curl, probe tries EPSV first; pyftpdlib answers it.
    let pasv = text
        .lines()
        .find(|l| l.starts_with("passive: works with EPSV, 229 announced 127.0.0.1:"))
        .unwrap_or_else(|| panic!("{text}"));
    let announced: u16 = pasv.rsplit(':').next().unwrap().parse().unwrap();
    assert!((20021..=20025).contains(&announced), "{pasv}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("active: works with EPRT")),
        "{text}"
    );
    assert!(
        text.contains("25 bytes received"),
        "the file was retrieved: {text}"
    );
}

/// Seen in the second attack: a 227 naming a third host (127.0.0.3, the control connection
/// being to 127.0.0.1) was followed, that host's listing printed, and the verdict "works".
/// A server written here (Python) refuses EPSV and announces the third host, which listens
/// too and serves another listing.
fn probe_does_not_follow_a_227_to_a_third_host() {
    let port = free_port();
    let script = r#"
import socket, sys, threading
port = int(sys.argv[1])
# The same port on both hosts, so only the address differs.
real = socket.socket(); real.bind(("127.0.0.1", 0)); dport = real.getsockname()[1]; real.close()
def listen(ip, text):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((ip, dport)); l.listen(4)
    def serve():
        while True:
            c, _ = l.accept(); c.sendall(text); c.close()
    threading.Thread(target=serve, daemon=True).start()
listen("127.0.0.1", b"-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 real.txt\r\n")
listen("127.0.0.3", b"-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 THIRD-HOST.txt\r\n")
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept(); f = c.makefile("rb"); target = None
    c.sendall(b"220 hello \x1b[2J\x1b]0;pwned\x07\r\n")
    for line in f:
        v = line.decode().split()[0].upper() if line.strip() else ""
        if v == "USER": c.sendall(b"331 pw\r\n")
        elif v == "PASS": c.sendall(b"230 ok\r\n")
        elif v == "PASV": c.sendall(("227 Entering Passive Mode (127,0,0,3,%d,%d).\r\n" % (dport >> 8, dport & 255)).encode())
        elif v == "PORT":
            n = [int(x) for x in line.decode().split()[1].split(",")]
            target = ("%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]); c.sendall(b"200 ok\r\n")
        elif v in ("LIST", "NLST", "RETR") and target:
            # Active mode: the data connection comes from a third host.
            d = socket.socket(); d.bind(("127.0.0.3", 0)); d.connect(target)
            c.sendall(b"150 here\r\n"); d.sendall(b"-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 real.txt\r\n"); d.close()
            target = None; c.sendall(b"226 done\r\n")
        elif v in ("LIST", "NLST", "RETR"): c.sendall(b"150 here\r\n"); threading.Timer(0.3, lambda: c.sendall(b"226 done\r\n")).start()
        elif v == "QUIT": c.sendall(b"221 bye\r\n"); break
        elif v in ("TYPE", "PWD", "CWD", "SYST"): c.sendall(b"200 ok\r\n")
        else: c.sendall(b"500 no\r\n")
    c.close()
"#;
    let mut server = Command::new("python3")
        .args(["-c", script, &port.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut ready).unwrap();
    assert_eq!(ready.trim(), "ready");
    let probe = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args([
            "probe",
            &format!("ftp://127.0.0.1:{port}/"),
            "--mode",
            "passive",
            "--timeout",
            "5",
        ])
        .output_within(60)
        .unwrap();
    let active = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args([
            "probe",
            &format!("ftp://127.0.0.1:{port}/"),
            "--mode",
            "active",
            "--timeout",
            "5",
        ])
        .output_within(60)
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&probe.stdout).into_owned()
        + &String::from_utf8_lossy(&probe.stderr);
    assert!(
        !text.contains("THIRD-HOST"),
        "the third host's data was followed:\n{text}"
    );
    assert!(text.contains("real.txt"), "{text}");
    assert!(text.contains("another host, 127.0.0.3"), "{text}");
    // Its banner's ESC and BEL are printed escaped.
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && text.contains("pwned"),
        "{text:?}"
    );
    let text = String::from_utf8_lossy(&active.stdout).into_owned()
        + &String::from_utf8_lossy(&active.stderr);
    assert!(
        text.contains("came from 127.0.0.3, not from the server"),
        "{text}"
    );
}

fn probe_exits_2_when_nothing_listens() {
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args([
            "probe",
            &format!("ftp://127.0.0.1:{port}/"),
            "--timeout",
            "2",
        ])
        .output_within(120)
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be reached"));
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["probe", "http://example.org/"])
        .output_within(120)
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn serve_refuses_port_bounce_and_privileged_ports() {
    let s = serve("bounce", "20031-20035", &[]);
    let mut c = Raw::open(s.port);
    c.login();
    assert!(
        c.send(b"PORT 10,0,0,1,195,211\r\n").starts_with("500"),
        "third-party address"
    );
    assert!(
        c.send(b"PORT 127,0,0,1,0,80\r\n").starts_with("500"),
        "port 80"
    );
    assert!(
        c.send(b"PORT 127,0,0,1,195,211\r\n").starts_with("200"),
        "a proper PORT still works"
    );
}

fn bad_input_over_the_wire_gets_5xx_and_the_server_keeps_serving() {
    let s = serve("badinput", "20036-20040", &[]);
    let mut c = Raw::open(s.port);
    assert!(c.send(b"LIST\r\n").starts_with("530"), "before login");
    let mut long = vec![b'A'; 10_000];
    long.extend_from_slice(b"\r\n");
    assert!(c.send(&long).starts_with("500"), "10,000-byte line");
    assert!(c.send(b"\xff\xfe\xfd\r\n").starts_with("500"), "not UTF-8");
    assert!(c.send(b"XYZZY\r\n").starts_with("500"), "unknown command");
    // Multi-byte characters where the log looks for "PASS ": once, this killed the session.
    assert!(
        c.send("ééé\r\n".as_bytes()).starts_with("500"),
        "multi-byte UTF-8"
    );
    c.login();
    assert!(
        c.send(b"RETR ../../../../etc/passwd\r\n")
            .starts_with("550"),
        "outside the root"
    );
    // A client that disconnects in the middle of a transfer.
    let reply = c.send(b"PASV\r\n");
    let addr = ftp_lab::ftp::scan_227(&reply).unwrap();
    let data = TcpStream::connect(addr).unwrap();
    assert!(c.send(b"RETR pub/blob.bin\r\n").starts_with("150"));
    drop(data);
    drop(c);
    // Others are still served.
    let mut d = Raw::open(s.port);
    d.login();
    assert!(d.send(b"NOOP\r\n").starts_with("200"));
    let mut buf = String::new();
    d.w.write_all(b"QUIT\r\n").unwrap();
    d.r.read_to_string(&mut buf).unwrap();
    assert!(buf.starts_with("221"));
}

fn symlinks_out_of_the_root_are_refused() {
    let s = serve("symlink", "20041-20045", &[]);
    let outside = std::env::temp_dir().join(format!("ftp-lab-outside-{}", std::process::id()));
    std::fs::write(&outside, "secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, s.root.join("escape.txt")).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let reply = c.send(b"PASV\r\n");
    let _addr = ftp_lab::ftp::scan_227(&reply).unwrap();
    assert!(c.send(b"RETR escape.txt\r\n").starts_with("550"));
    let _ = Path::new(&outside);
}

fn serve_handles_several_clients_at_once() {
    let s = serve("several", "20046-20050", &[]);
    let mut a = Raw::open(s.port);
    let mut b = Raw::open(s.port);
    let mut c = Raw::open(s.port);
    // Interleaved: each session keeps its own state.
    assert!(a.send(b"USER anonymous\r\n").starts_with("331"));
    assert!(b.send(b"LIST\r\n").starts_with("530"), "b is not logged in");
    assert!(c.send(b"USER anonymous\r\n").starts_with("331"));
    assert!(a.send(b"PASS x\r\n").starts_with("230"));
    assert!(c.send(b"PASS y\r\n").starts_with("230"));
    assert!(a.send(b"CWD pub\r\n").starts_with("250"));
    assert!(
        c.send(b"PWD\r\n").contains("\"/\""),
        "c's directory is its own"
    );
    assert!(a.send(b"PWD\r\n").contains("\"/pub\""));
    assert!(b.send(b"NOOP\r\n").starts_with("200"));
}

fn main() -> std::process::ExitCode {
    use common::peers::Peer;
    common::peers::main(tests![
        needs [Peer::Curl] => curl_lists_retrieves_and_stores_in_both_modes;
        needs [Peer::Python] => probe_does_not_follow_a_227_to_a_third_host, ftplib_uses_epsv_and_eprt, ftplib_works_in_both_modes, ftplib_reads_a_directory_name_with_a_quote_from_pwd;
        needs [Peer::Python, Peer::Pyftpdlib] => probe_tells_both_modes_work_against_pyftpdlib_with_a_passive_range;
        needs [] => probe_exits_2_when_nothing_listens, serve_refuses_port_bounce_and_privileged_ports, bad_input_over_the_wire_gets_5xx_and_the_server_keeps_serving, symlinks_out_of_the_root_are_refused, serve_handles_several_clients_at_once;
    ])
}
