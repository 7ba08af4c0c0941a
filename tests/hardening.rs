#![allow(clippy::unwrap_used)]
//! What an outside attack on `check` and `run` found, each pinned: scenario files that crashed
//! the position scanner or smoltcp, numbers that wrapped, files that took minutes or gigabytes,
//! and output that failed silently. Run through the binary, as a user (or an attacker) would.

mod common;

use common::peers::Bounded;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GOOD: &str = include_str!("../scenarios/passive-range-opened.ron");

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ftp-lab-hardening-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the binary with a deadline; (exit code, stdout, stderr, seconds).
fn ftp_lab(args: &[&std::ffi::OsStr], deadline: Duration) -> (Option<i32>, String, String, f64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("ftp-lab {args:?} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed().as_secs_f64(),
    )
}

fn check(text: &str, name: &str) -> (Option<i32>, String) {
    let p = tmp(name, text);
    let (code, _, err, _) = ftp_lab(&["check".as_ref(), p.as_os_str()], Duration::from_secs(10));
    (code, err)
}

#[test]
fn nested_comments_and_raw_strings_do_not_crash_the_position_scanner() {
    // 20 KB of what ron accepts and the old scanner got out of step on, then a bad port:
    // nested block comments, and a raw string full of brackets and comment openers.
    let comments = "/* /* (((( */ [[[ */ ".repeat(700);
    let raw = format!("r#\"{}\"#", "((( /* [[ \" ".repeat(400));
    let text = GOOD
        .replacen("files: {", &format!("files: {{\"noise.txt\": {raw}, "), 1)
        .replacen(
            "control_port: 21,",
            &format!("{comments}\n control_port: 0,"),
            1,
        );
    assert!(text.len() > 20_000);
    let (code, err) = check(&text, "nested.ron");
    assert_eq!(code, Some(2), "{err}");
    let line = text
        .lines()
        .position(|l| l.contains("control_port: 0"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("nested.ron:{line}:")), "{err}");
    assert!(
        err.contains("control_port") && err.contains("port 0"),
        "{err}"
    );
}

#[test]
fn unusable_addresses_are_refused_by_check_with_the_field_named() {
    for bad in [
        "224.0.0.1",
        "239.1.2.3",
        "255.255.255.255",
        "0.0.0.0",
        "127.0.0.1",
        "240.0.0.1",
    ] {
        let text = GOOD.replacen("\"198.51.100.7\"", &format!("\"{bad}\""), 1);
        let (code, err) = check(&text, "addr.ron");
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(
            err.contains("nodes[0].address") && err.contains(bad),
            "{bad}: {err}"
        );
        let p = tmp("addr-run.ron", &text);
        let (code, _, err, _) = ftp_lab(&["run".as_ref(), p.as_os_str()], Duration::from_secs(10));
        assert_eq!(code, Some(2), "run must refuse it too, not panic: {err}");
    }
}

#[test]
fn huge_numbers_are_refused_not_wrapped() {
    for (from, to, field) in [
        (
            "seed: 7,",
            "seed: 7, time_limit_s: 18446744073710,",
            "time_limit_s",
        ),
        ("delay_ms: 10)", "delay_ms: 1e300)", "delay_ms"),
        (
            "control_port: 21,",
            "control_port: 21, connect_timeout_s: 18446744073709551615,",
            "connect_timeout_s",
        ),
    ] {
        let text = GOOD.replacen(from, to, 1);
        let (code, err) = check(&text, "huge.ron");
        assert_eq!(code, Some(2), "{field}: {err}");
        assert!(err.contains(field), "{field}: {err}");
    }
}

#[test]
fn files_beyond_the_limits_are_refused_quickly() {
    // 10,000 Connect actions: once 22.8 s and 2.15 GB.
    let many = "Connect, ".repeat(10_000);
    let text = GOOD.replacen(
        "actions: [Connect,",
        &format!("actions: [Connect, {many}"),
        1,
    );
    let (code, err) = check(&text, "many.ron");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("actions") && err.contains("at most"), "{err}");
    // 500,000 escapes: once 27 s in ron's quadratic escape handling.
    let storm = "\\n".repeat(500_000);
    let text = GOOD.replacen(
        "seed: 7,",
        &format!("seed: 7, description: \"{storm}\","),
        1,
    );
    let p = tmp("storm.ron", &text);
    let (code, _, err, secs) = ftp_lab(&["check".as_ref(), p.as_os_str()], Duration::from_secs(20));
    assert_eq!(code, Some(2), "{err}");
    assert!(secs < 2.0, "took {secs} s");
    // Over a megabyte.
    let big = format!("// {}\n{GOOD}", "x".repeat(1_100_000));
    let (code, err) = check(&big, "big.ron");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("at most 1048576 bytes"), "{err}");
}

#[test]
fn devices_and_fifos_are_refused_without_reading_them() {
    let (code, _, err, secs) = ftp_lab(
        &["check".as_ref(), "/dev/zero".as_ref()],
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("not a regular file"), "{err}");
    assert!(secs < 5.0);
    let fifo = std::env::temp_dir().join(format!("ftp-lab-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    if Command::new("mkfifo")
        .arg(&fifo)
        .output_within(10)
        .is_ok_and(|o| o.status.success())
    {
        let (code, _, err, _) = ftp_lab(
            &["check".as_ref(), fifo.as_os_str()],
            Duration::from_secs(10),
        );
        assert_eq!(code, Some(2));
        assert!(err.contains("not a regular file"), "{err}");
        let _ = std::fs::remove_file(&fifo);
    }
}

#[test]
fn a_full_disk_is_an_error_not_a_silent_success() {
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/active-open.ron");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .arg("run")
        .arg(&scenario)
        .stdout(full)
        .stderr(Stdio::piped())
        .wait_within(120)
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output"));
    let (code, _, err, _) = ftp_lab(
        &[
            "run".as_ref(),
            scenario.as_os_str(),
            "--pcap".as_ref(),
            "/dev/full".as_ref(),
        ],
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/dev/full"), "{err}");
}

#[test]
fn two_clients_that_check_accepts_both_run() {
    let text = r#"(
    title: "Two clients at once",
    seed: 7,
    nodes: [
        Client(name: "alice", address: "198.51.100.7", server: "server", mode: Passive,
            actions: [Connect, Login(user: "anonymous", pass: "a@example.org"), Ls, Quit]),
        Client(name: "bob", address: "198.51.100.8", server: "server", mode: Passive,
            actions: [Connect, Login(user: "anonymous", pass: "b@example.org"), Ls, Quit]),
        Router(name: "internet"),
        Server(name: "server", address: "203.0.113.10", files: {"readme.txt": "hi\n"}),
    ],
    links: [
        (a: "alice", b: "internet", delay_ms: 1),
        (a: "bob", b: "internet", delay_ms: 1),
        (a: "internet", b: "server", delay_ms: 10),
    ],
    expect: (result: Success),
)"#;
    let (code, err) = check(text, "two.ron");
    assert_eq!(code, Some(0), "{err}");
    let p = tmp("two-run.ron", text);
    let (code, out, err, _) = ftp_lab(&["run".as_ref(), p.as_os_str()], Duration::from_secs(10));
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.matches("226 Directory send OK.").count(), 4, "{out}");
    assert!(!out.contains("Connection refused"), "{out}");
}
