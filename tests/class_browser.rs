#![allow(clippy::unwrap_used)]
//! A student's phone in a real browser: headless Chromium over WebDriver (Python's
//! selenium; `tests/browser/class.py`) opens the join URL on loopback, sees the question,
//! answers, sees "answer sent"; the teacher reveals; it sees right or wrong and the
//! explanation, then that the session ended. No console error (the page's own policy would
//! report its script blocked). Skipped when the browser is missing; fails under CI=true.

mod common;

use common::peers::Peer;
use ftp_lab::class::server::ClassServer;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn a_students_phone_answers_and_sees_the_reveal() {
    let s = ClassServer::start("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = s.url(IpAddr::V4(Ipv4Addr::LOCALHOST));
    s.with(|x| {
        x.ask(
            "Which port will the server connect to? <b>p1 = 141</b>",
            &["20".into(), "36317".into(), "14321".into()],
        )
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/class.py");
    let shot = std::env::temp_dir().join(format!("ftp-lab-class-{}.png", std::process::id()));
    let child = Command::new("python3")
        .arg(script)
        .arg(&url)
        .arg("--shot")
        .arg(&shot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The teacher reveals once the phone's answer is in (at most 60 s).
    let start = Instant::now();
    while s.read(|x| x.answered()).1 == 0 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.read(|x| x.answered()), (1, 1), "the phone never answered");
    s.with(|x| x.reveal(1, "141·256 + 221 = 36317"));
    std::thread::sleep(Duration::from_millis(800));
    s.stop();
    let out = common::peers::wait_child(child, 90);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["question"], "Which port will the server connect to? <b>p1 = 141</b>",
        "{v}"
    );
    assert_eq!(v["choices"][1], "B. 36317", "{v}");
    assert_eq!(v["sent"], true, "{v}");
    assert_eq!(v["verdict"], "Right! 36317.", "{v}");
    assert_eq!(v["explain"], "141·256 + 221 = 36317", "{v}");
    assert_eq!(v["ended"], true, "{v}");
    assert_eq!(v["console"], serde_json::json!([]), "{v}");
    let w = v["widths"].as_array().unwrap();
    assert!(
        w[0].as_u64() <= w[1].as_u64(),
        "wider than the phone: {w:?}"
    );
}

fn main() -> std::process::ExitCode {
    common::peers::main(tests![
        needs [Peer::Browser] => a_students_phone_answers_and_sees_the_reveal;
    ])
}
