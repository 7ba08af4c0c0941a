#![allow(clippy::unwrap_used)]
//! `ftp-lab serve` under attack and under load: what an outside test found, each pinned, and
//! the limits it keeps (vsftpd's defaults). Loopback only; every wait is bounded.

mod common;

use common::peers::Bounded;

use common::live::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_second_upload_in_one_session_completes() {
    let s = serve("two-uploads", "21001-21005", &[]);
    let mut c = Raw::open(s.port);
    c.login();
    let a = blob(300_000);
    for name in ["one.bin", "two.bin", "three.bin"] {
        let r = c.stor(name, &a);
        assert!(r.starts_with("226"), "{name}: {r}");
        assert_eq!(std::fs::read(s.root.join(name)).unwrap(), a, "{name}");
    }
    let (list, r) = c.list();
    assert!(
        r.starts_with("226") && list.contains("two.bin"),
        "{r}{list}"
    );
    let (got, r) = c.retr("one.bin");
    assert!(r.starts_with("226"));
    assert_eq!(got, a);
}

#[test]
fn big_transfers_stream_in_bounded_memory() {
    let s = serve("stream", "21006-21010", &[]);
    let size = 64 * 1024 * 1024;
    let data = blob(size);
    std::fs::write(s.root.join("big.bin"), &data).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let (got, r) = c.retr("big.bin");
    assert!(r.starts_with("226"), "{r}");
    assert!(got == data, "RETR not byte-identical");
    let r = c.stor("up.bin", &data);
    assert!(r.starts_with("226"), "{r}");
    assert!(std::fs::read(s.root.join("up.bin")).unwrap() == data);
    let peak_kb = s.status("VmHWM");
    assert!(
        peak_kb < 32 * 1024,
        "peak RSS {peak_kb} kB for a 64 MB file each way"
    );
}

fn no_temp_files(dir: &std::path::Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        assert!(!n.starts_with(".ftp-lab-upload"), "left behind: {n}");
    }
}

#[test]
fn an_upload_that_ends_early_never_replaces_the_file() {
    let s = serve("early", "21011-21015", &[]);
    let old = std::fs::read(s.root.join("readme.txt")).unwrap();
    // Announced with ALLO, then cut short: 426, and the old file stays.
    let mut c = Raw::open(s.port);
    c.login();
    assert!(c.send(b"ALLO 100000\r\n").starts_with("200"));
    let r = c.stor("readme.txt", &blob(5_000));
    assert!(r.starts_with("426"), "{r}");
    assert_eq!(std::fs::read(s.root.join("readme.txt")).unwrap(), old);
    // The client vanishes mid-upload: both connections close (control first, as a killed
    // process closes its descriptors in order).
    let mut c = Raw::open(s.port);
    c.login();
    let mut d = c.passive();
    assert!(c.send(b"STOR readme.txt\r\n").starts_with("150"));
    d.write_all(&blob(5_000)).unwrap();
    drop(c);
    drop(d);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(std::fs::read(s.root.join("readme.txt")).unwrap(), old);
    no_temp_files(&s.root);
    // The server still serves.
    Raw::open(s.port).login();
}

#[test]
fn a_planted_symlink_at_the_temporary_name_is_not_followed() {
    let s = serve("planted", "21016-21020", &[]);
    let outside = std::env::temp_dir().join(format!("ftp-lab-victim-{}", std::process::id()));
    std::fs::write(&outside, "precious").unwrap();
    // The name the old server used for its temporary file.
    std::os::unix::fs::symlink(&outside, s.root.join(".notes.txt.ftp-lab-upload")).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    assert!(c.stor("notes.txt", b"student notes").starts_with("226"));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    assert_eq!(
        std::fs::read(s.root.join("notes.txt")).unwrap(),
        b"student notes"
    );
}

#[test]
fn anonymous_users_cannot_upload_by_default() {
    let root = root("anon-ro");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["serve", "--root"])
        .arg(&root)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--pasv-range",
            "21021-21025",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _s = Server { child, port, root };
    wait_for(port);
    let mut c = Raw::open(port);
    c.login();
    let _d = c.passive();
    let r = c.send(b"STOR x.txt\r\n");
    assert!(r.starts_with("550"), "{r}");
}

#[test]
fn idle_sessions_and_stalled_transfers_are_closed() {
    let s = serve(
        "idle",
        "21026-21030",
        &["--idle-timeout", "1", "--data-timeout", "1"],
    );
    let mut c = Raw::open(s.port);
    c.login();
    let start = Instant::now();
    let r = c.reply();
    assert_eq!(r, "421 Timeout.\r\n");
    assert!(start.elapsed() < Duration::from_secs(5));
    // A download nobody reads: the server gives up after the data timeout.
    std::fs::write(s.root.join("big.bin"), blob(32 * 1024 * 1024)).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let _d = c.passive();
    assert!(c.send(b"RETR big.bin\r\n").starts_with("150"));
    let r = c.reply();
    assert_eq!(r, "421 Data timeout. Reconnect. Sorry.\r\n");
}

/// Opens a session once the server has a place for it (the place taken by `wait_for`'s
/// probe connection, or by a session just closed, is given back a moment after).
fn open_when_admitted(port: u16) -> Raw {
    let start = Instant::now();
    loop {
        let mut d = Raw::connect(port);
        let hello = d.reply();
        if hello.starts_with("220") {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still refused: {hello}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn too_many_clients_get_vsftpds_421() {
    let s = serve(
        "limits",
        "21031-21035",
        &["--max-per-ip", "2", "--max-clients", "3"],
    );
    let a = open_when_admitted(s.port);
    let b = open_when_admitted(s.port);
    let mut c = Raw::connect(s.port);
    assert_eq!(
        c.reply(),
        "421 There are too many connections from your internet address.\r\n"
    );
    drop((a, b));
    // Their sessions end and give back their places.
    open_when_admitted(s.port).login();
}

#[test]
fn wrong_passwords_are_slow_and_the_third_ends_the_session() {
    let s = serve("login", "21036-21040", &[]);
    let mut c = Raw::open(s.port);
    let start = Instant::now();
    for _ in 0..3 {
        assert!(c.send(b"USER anonymous-not\r\n").starts_with("331"));
        assert!(c.send(b"PASS wrong\r\n").starts_with("530"));
    }
    assert!(
        start.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(c.reply(), "", "closed after the third failure");
}

#[test]
fn commands_sent_during_a_transfer_do_not_grow_the_server() {
    let s = serve("flood", "21041-21045", &["--data-timeout", "3"]);
    std::fs::write(s.root.join("big.bin"), blob(32 * 1024 * 1024)).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let _d = c.passive();
    assert!(c.send(b"RETR big.bin\r\n").starts_with("150"));
    let before = s.status("VmRSS");
    // 12 MB of NOOPs while the transfer stalls: the server does not read them.
    c.w.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let noops = b"NOOP\r\n".repeat(200_000);
    for _ in 0..10 {
        if c.w.write_all(&noops).is_err() {
            break;
        }
    }
    let after = s.status("VmRSS");
    assert!(
        after < before + 16 * 1024,
        "RSS grew from {before} kB to {after} kB"
    );
}

#[test]
fn five_clients_share_a_five_port_passive_range() {
    let s = serve("range", "21046-21050", &[]);
    let mut clients: Vec<Raw> = (0..5).map(|_| Raw::open(s.port)).collect();
    let mut ports = Vec::new();
    for c in &mut clients {
        c.login();
        let r = c.send(b"PASV\r\n");
        assert!(r.starts_with("227"), "{r}");
        ports.push(ftp_lab::ftp::scan_227(&r).unwrap().port());
    }
    ports.sort_unstable();
    assert_eq!(ports, [21046, 21047, 21048, 21049, 21050]);
    let mut sixth = Raw::open(s.port);
    sixth.login();
    assert_eq!(
        sixth.send(b"PASV\r\n"),
        "425 Can't open passive connection.\r\n"
    );
}

#[test]
fn control_characters_from_clients_are_escaped_in_the_log() {
    let s = serve_with("escape", "21051-21055", &[], Stdio::piped());
    let mut c = Raw::open(s.port);
    assert!(c.send(b"USER \x1b[2Jevil\rfake\r\n").starts_with("331"));
    assert!(c.send(b"QUIT\r\n").starts_with("221"));
    let mut s = s;
    std::thread::sleep(Duration::from_millis(200));
    let _ = s.child.kill();
    let mut out = String::new();
    s.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(!out.contains('\x1b'), "raw ESC in the log");
    assert!(out.contains("USER \\u{1b}[2Jevil\\rfake"), "{out}");
}

#[test]
fn running_out_of_descriptors_does_not_spin() {
    let root = root("emfile");
    let port = free_port();
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 24; exec '{}' serve --root '{}' --listen 127.0.0.1:{port}",
            env!("CARGO_BIN_EXE_ftp-lab"),
            root.display()
        ))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let s = Server { child, port, root };
    wait_for(port);
    let held: Vec<TcpStream> = (0..40)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let t0 = s.cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let used = s.cpu_ticks() - t0;
    // 100 ticks a second: a spinning loop would use about 200.
    assert!(
        used < 40,
        "{used} ticks of CPU in 2 s with descriptors exhausted"
    );
    drop(held);
}

/// A thread that plays a server sending `220-` continuation lines forever.
fn endless_greeting() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let chunk = b"220-welcome, welcome, welcome, welcome\r\n".repeat(1000);
            // At most 4 GB: probe gives up long before (it would fail the test otherwise).
            for _ in 0..100_000 {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn probe_bounds_what_a_hostile_server_sends() {
    let port = endless_greeting();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args([
            "probe",
            &format!("ftp://127.0.0.1:{port}/"),
            "--timeout",
            "3",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut peak = 0u64;
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "probe did not give up"
        );
        if let Ok(t) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            let rss = t
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            peak = peak.max(rss);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(peak < 64 * 1024, "probe grew to {peak} kB");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("longer than"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["probe", "ftp://127.0.0.1:1/", "--timeout", "0"])
        .output_within(120)
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
}

/// One client of the load test: LIST, a 1 MB RETR, a 1 MB STOR of its own file.
fn load_client(port: u16, k: usize, want: &[u8]) {
    let mut c = Raw::open(port);
    c.login();
    let (list, r) = c.list();
    assert!(
        r.starts_with("226") && list.contains("one-mb.bin"),
        "{k}: {r}"
    );
    let (got, r) = c.retr("one-mb.bin");
    assert!(r.starts_with("226"), "{k}: {r}");
    assert!(got == want, "{k}: RETR differs");
    let mine: Vec<u8> = want.iter().map(|b| b.wrapping_add(k as u8)).collect();
    let r = c.stor(&format!("up-{k}.bin"), &mine);
    assert!(r.starts_with("226"), "{k}: {r}");
    assert!(c.send(b"QUIT\r\n").starts_with("221"));
}

fn load_round(s: &Server, want: &[u8]) {
    let handles: Vec<_> = (0..50)
        .map(|k| {
            let want = want.to_vec();
            let port = s.port;
            std::thread::spawn(move || load_client(port, k, &want))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for k in 0..50 {
        let mine: Vec<u8> = want.iter().map(|b| b.wrapping_add(k as u8)).collect();
        assert!(
            std::fs::read(s.root.join(format!("up-{k}.bin"))).unwrap() == mine,
            "{k}"
        );
    }
}

fn settle(s: &Server, threads: u64) {
    let start = Instant::now();
    // Generous: under a loaded machine (the whole test suite on 2 cores) threads end late.
    while s.status("Threads") > threads && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn fifty_clients_at_once_all_get_their_bytes_and_the_server_returns_to_rest() {
    // glibc gives each busy thread its own malloc arena (up to 8 per core) and keeps freed
    // memory in them; two arenas make "back to rest" measure the server, not the allocator.
    let s = serve_env(
        "load",
        "22001-22050",
        &[],
        Stdio::null(),
        &[("MALLOC_ARENA_MAX", "2")],
    );
    let want = blob(1024 * 1024);
    std::fs::write(s.root.join("one-mb.bin"), &want).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let threads0 = s.status("Threads");
    // The first round warms the allocator (glibc keeps freed memory in its arenas for the
    // next sessions). A leak then grows with every round; the allocator's settling (seen
    // under the whole suite's load on 2 cores: +3.6 MB, then +5.2 MB, then nothing) levels
    // off. Five rounds tell them apart: the last three together may add at most 4 MB (a leak
    // of a kilobyte per session adds 50 kB a round; one of the size that was seen, 100 kB a
    // session, adds 15 MB).
    let mut rss = Vec::new();
    for _ in 0..5 {
        load_round(&s, &want);
        settle(&s, threads0);
        rss.push(s.status("VmRSS"));
    }
    let threads5 = s.status("Threads");
    // At most as many as before: a thread of the server's start-up may still have been
    // ending when threads0 was read.
    assert!(
        threads5 <= threads0,
        "threads left running: {threads0} then {threads5}"
    );
    // A leak grows every round; the allocator's settling may jump once (seen under the
    // whole suite's load: 9748, 10876, 9980, 10004, 15216 kB). Grown by 4 MB after both the
    // fourth and the fifth round is a leak.
    assert!(
        rss[3] <= rss[1] + 4 * 1024 || rss[4] <= rss[1] + 4 * 1024,
        "RSS after each of five rounds (kB): {rss:?}"
    );
    assert!(rss[4] < 48 * 1024, "RSS {} kB at rest", rss[4]);
}

/// Starts an upload of `name` and leaves it in progress: its control and data connections.
fn upload_in_progress(port: u16, name: &str, bytes: &[u8]) -> (Raw, TcpStream) {
    let mut c = Raw::open(port);
    c.login();
    let mut d = c.passive();
    let r = c.send(format!("STOR {name}\r\n").as_bytes());
    assert!(r.starts_with("150"), "{r}");
    d.write_all(bytes).unwrap();
    d.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    (c, d)
}

/// Seen in the second attack: anonymous users saw `.ftp-lab-upload.<hex>` in LIST and could
/// RETR another user's upload in progress, or STOR onto its name and have it become hers.
#[test]
fn an_upload_in_progress_cannot_be_seen_read_or_taken() {
    let s = serve("tmp-hidden", "21061-21070", &[]);
    let (_alice, _data) = upload_in_progress(s.port, "alice.bin", &blob(40_000));
    let mut eve = Raw::open(s.port);
    eve.login();
    let (listing, end) = eve.list();
    assert!(end.starts_with("226"), "{end}");
    assert!(!listing.contains("ftp-lab"), "{listing}");
    let mut d = eve.passive();
    let r = eve.send(b"NLST\r\n");
    assert!(r.starts_with("150"), "{r}");
    let mut names = String::new();
    d.read_to_string(&mut names).unwrap();
    assert!(eve.reply().starts_with("226"));
    assert!(!names.contains("ftp-lab"), "{names}");
    // Nothing of it is on disk under a name a client could give.
    for e in std::fs::read_dir(&s.root).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".ftp-lab-upload"), "{name} on disk");
    }
}

/// A file named like a temporary upload (left by an older server, or planted) is neither
/// listed nor read, and no client can create one.
#[test]
fn names_of_temporary_uploads_are_refused_by_every_command() {
    let s = serve("tmp-names", "21071-21080", &[]);
    let planted = ".ftp-lab-upload.00000000deadbeef";
    std::fs::write(s.root.join(planted), "someone's half upload").unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let (listing, _) = c.list();
    assert!(!listing.contains("ftp-lab-upload"), "{listing}");
    for cmd in ["SIZE", "MDTM", "DELE", "RNFR"] {
        let r = c.send(format!("{cmd} {planted}\r\n").as_bytes());
        assert!(r.starts_with('5'), "{cmd}: {r}");
    }
    let _d = c.passive();
    let r = c.send(format!("RETR {planted}\r\n").as_bytes());
    assert!(r.starts_with("550"), "RETR: {r}");
    let _d = c.passive();
    let r = c.send(format!("STOR {planted}\r\n").as_bytes());
    assert!(r.starts_with("553") || r.starts_with("550"), "STOR: {r}");
    let _d = c.passive();
    let r = c.send(b"STOR .ftp-lab-upload.mine\r\n");
    assert!(r.starts_with("553") || r.starts_with("550"), "STOR: {r}");
}

/// After a `kill -9` in the middle of an upload, nothing of it stays, and a file an older
/// server left is cleaned up when the server starts.
#[test]
fn a_killed_upload_leaves_nothing_behind() {
    let mut s = serve("tmp-killed", "21081-21090", &[]);
    std::fs::write(s.root.join(".ftp-lab-upload.0123456789abcdef"), "old").unwrap();
    let (_c, _d) = upload_in_progress(s.port, "big.bin", &blob(100_000));
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let root = s.root.clone();
    let again = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["serve", "--root"])
        .arg(&root)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", s.port),
            "--pasv-range",
            "21081-21090",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Server {
        child: again,
        port: s.port,
        root: root.clone(),
    };
    wait_for(s.port);
    let left: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ftp-lab-upload"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Seen in the second attack: a download nobody reads was ended after 4× `--data-timeout`
/// (8.1 s for 2 s): the timeout ran again after every partly sent chunk. STOR was exact.
#[test]
fn a_stalled_download_ends_after_the_data_timeout_not_a_multiple_of_it() {
    let s = serve("stall", "21091-21095", &["--data-timeout", "2"]);
    // Larger than any socket buffer; sparse, so it costs no disk.
    let f = std::fs::File::create(s.root.join("huge.bin")).unwrap();
    f.set_len(256 * 1024 * 1024).unwrap();
    let mut c = Raw::open(s.port);
    c.login();
    let _d = c.passive();
    assert!(c.send(b"RETR huge.bin\r\n").starts_with("150"));
    let start = Instant::now();
    let r = c.reply();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(r, "421 Data timeout. Reconnect. Sorry.\r\n");
    assert!(
        (1.9..3.0).contains(&took),
        "ended after {took:.2} s, not 2 s"
    );
}
