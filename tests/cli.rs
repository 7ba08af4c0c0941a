#![allow(clippy::unwrap_used)]
//! The command line, run as a user runs it.

mod common;

use common::peers::Bounded;
use std::process::Command;

fn ftp_lab(args: &[&str]) -> (i32, String, String) {
    // No display: a command that would open the window fails to instead of waiting for it.
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output_within(120)
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_the_transcript_and_exits_0_when_as_expected() {
    let (code, out, _) = ftp_lab(&["run", "scenarios/passive-open.ron"]);
    assert_eq!(code, 0);
    assert!(out.contains("PASV"));
    assert!(out.contains("227 Entering Passive Mode (203,0,113,10,"));
    assert!(out.contains("[passive step 3]"));
    assert!(out.contains("Outcome: SUCCESS"));
}

#[test]
fn the_drop_case_shows_each_syn_retransmission_at_its_virtual_time() {
    let (code, out, _) = ftp_lab(&["run", "scenarios/active-client-fw-drops.ron"]);
    assert_eq!(code, 0);
    let syn_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("203.0.113.10:20 →") && l.contains("SYN") && l.contains("DROPPED"))
        .collect();
    assert_eq!(syn_lines.len(), 10, "{out}");
    let times: Vec<&str> = syn_lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "0.242s", "1.242s", "2.242s", "3.242s", "4.242s", "5.242s", "7.242s", "11.242s",
            "19.242s", "35.242s"
        ]
    );
    assert!(out.contains("rule 2 'drop inbound new'"));
    assert!(out.contains("425 Failed to establish connection."));
}

#[test]
fn json_is_the_trace() {
    let (code, out, _) = ftp_lab(&["run", "--json", "scenarios/active-open.ron"]);
    assert_eq!(code, 0);
    let t: ftp_lab::Trace = serde_json::from_str(&out).expect("valid trace JSON");
    assert!(t.outcome.success);
}

#[test]
fn exit_1_when_the_outcome_is_not_the_expected_one() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/active-client-fw-drops.ron"
    ))
    .unwrap();
    let wrong = dir.join("wrong.ron");
    std::fs::write(&wrong, text.replace("expect: (result: Failure, failed_action: \"ls\", reply: 425, blocked_by: (firewall: \"client-fw\", rule: 2))", "expect: (result: Success)")).unwrap();
    let (code, _, err) = ftp_lab(&["run", wrong.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("NOT as expected"));
}

#[test]
fn exit_2_and_a_located_message_for_an_invalid_file() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/passive-open.ron"
    ))
    .unwrap();
    std::fs::write(
        &bad,
        text.replace(
            "passive_range: (1024, 65535)",
            "passive_range: (65535, 1024)",
        ),
    )
    .unwrap();
    for cmd in ["run", "check"] {
        let (code, _, err) = ftp_lab(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(
            err.contains("bad.ron:") && err.contains("passive_range") && err.contains("reversed"),
            "{err}"
        );
    }
    let (code, out, _) = ftp_lab(&["check", "scenarios/passive-open.ron"]);
    assert_eq!(code, 0);
    assert!(out.contains("valid"));
}

#[test]
fn opening_a_bad_file_in_the_window_reports_it_on_stderr_too() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        "(title: \"x\", nodes: [], links: [], expect: (result: Maybe))",
    )
    .unwrap();
    // Said on stderr before the window opens (here there is no display to open it on; the
    // window itself shows the error too: tests/gui.rs).
    let (code, _, err) = ftp_lab(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:1:"), "{err}");
    let (code, _, err) = ftp_lab(&["no-such-file.ron"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-file.ron"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `explain` exits 0 when every transfer worked, 1 when one failed, 2 for a file it cannot
/// read; the window refuses an unreadable capture before opening.
#[test]
fn explain_exit_codes_and_a_bad_capture_for_the_window() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, want) in [("passive-open", 0), ("active-client-fw-drops", 1)] {
        let pcap = dir.join(format!("{name}.pcap"));
        let (code, _, err) = ftp_lab(&[
            "run",
            &format!("scenarios/{name}.ron"),
            "--pcap",
            pcap.to_str().unwrap(),
            "--at",
            "server",
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = ftp_lab(&["explain", pcap.to_str().unwrap()]);
        assert_eq!(code, want, "{name}: {out}{err}");
        assert!(
            out.contains("Outcome:") && out.contains("taken on the server's side"),
            "{out}"
        );
        // A capture has no seed (it printed "seed 0 · as captured").
        assert!(
            out.contains("a real capture, explained") && !out.contains("seed 0"),
            "{out}"
        );
    }
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    let (code, _, err) = ftp_lab(&["explain", junk.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("neither pcap nor pcapng"), "{err}");
    // No DISPLAY is needed: the capture is refused before a window is made.
    let (code, _, err) = ftp_lab(&[junk.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("junk.pcap"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every port on the command line goes through the one parser (`--active-port 0` was taken).
#[test]
fn ports_on_the_command_line_are_range_checked() {
    for (flag, bad) in [
        ("--active-port", "0"),
        ("--active-port", "70000"),
        ("--pasv-range", "10005-10001"),
        ("--pasv-range", "0-10"),
    ] {
        let (code, _, err) = ftp_lab(&["serve", "--root", "/nonexistent", flag, bad]);
        assert_eq!(code, 2, "{flag} {bad}: {err}");
        assert!(
            err.contains(flag) && err.contains(bad),
            "{flag} {bad}: {err}"
        );
    }
}

/// Seen in the second attack: ESC[2J, an OSC title and BEL in a capture's FTP text reached
/// the terminal as they were. Every byte explain prints is printable (or a line break).
#[test]
fn explain_prints_hostile_bytes_escaped() {
    for args in [&[][..], &["--json"][..]] {
        let mut a = vec!["explain", "tests/data/real/hostile-replies.pcap"];
        a.extend_from_slice(args);
        let (code, out, err) = ftp_lab(&a);
        assert_eq!(code, 1, "{err}");
        let bad: Vec<char> = (out.clone() + &err)
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(bad.is_empty(), "{args:?}: {bad:?}");
        assert!(out.contains("pwned"), "{out}");
    }
}

#[test]
fn export_writes_what_it_is_asked_and_exits_2_on_what_it_cannot() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let lesson = "scenarios/active-client-fw-drops.ron";
    let (code, _, err) = ftp_lab(&[
        "export",
        lesson,
        "--svg",
        &out("a.svg"),
        "--png",
        &out("a.png"),
        "--html",
        &out("a.html"),
        "--at",
        "step:3",
        "--look",
        "presentation",
    ]);
    assert_eq!(code, 0, "{err}");
    for f in ["a.svg", "a.png", "a.html"] {
        assert!(err.contains(&format!("wrote {}", out(f))), "{err}");
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() > 1000);
    }
    // Nothing asked: clap says what is needed.
    let (code, _, err) = ftp_lab(&["export", lesson]);
    assert_eq!(code, 2);
    assert!(err.contains("--svg") && err.contains("--html"), "{err}");
    // A moment the run does not have, a word --at does not know.
    for (at, says) in [
        ("event:99999999999999999999", "--at takes"),
        ("event:100000", "this run has events 1 to"),
        ("event:0", "this run has events 1 to"),
        ("step:9", "no step 9"),
        ("middle", "--at takes end, start, event:N or step:N"),
    ] {
        let (code, _, err) = ftp_lab(&["export", lesson, "--svg", &out("b.svg"), "--at", at]);
        assert_eq!(code, 2, "{at}: {err}");
        assert!(err.contains(says), "{at}: {err}");
    }
    assert!(!dir.join("b.svg").exists());
    // An output over the lesson, or twice the same output: refused, nothing written.
    let copy = dir.join("copy.ron");
    std::fs::copy(lesson, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let copy_s = copy.to_str().unwrap();
    let (code, _, err) = ftp_lab(&["export", copy_s, "--html", copy_s]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the file being exported"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    let (code, _, err) = ftp_lab(&["export", lesson, "--svg", &out("d.x"), "--png", &out("d.x")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("asked for twice"), "{err}");
    assert!(!dir.join("d.x").exists());
    // A folder for a file, a file that is not there, a folder that is not there.
    let (code, _, err) = ftp_lab(&["export", lesson, "--svg", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("writing"), "{err}");
    let (code, _, err) = ftp_lab(&["export", "no-such.ron", "--svg", &out("c.svg")]);
    assert_eq!(code, 2, "{err}");
    let missing = dir.join("no/such/dir/x.html");
    let (code, _, err) = ftp_lab(&["export", lesson, "--html", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    // No half file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Found by a fresh look: `explain` printed `PASS ftp@example.com` in its packet list while
/// its terminal section said `PASS ****`; `run` did the same with the lesson's password.
#[test]
fn passwords_are_masked_in_the_packet_list_too() {
    let (_, out, _) = ftp_lab(&["run", "scenarios/passive-open.ron"]);
    assert!(out.contains("PASS ****"), "{out}");
    assert!(!out.contains("student@example.org"), "{out}");
    let (_, out, _) = ftp_lab(&["explain", "tests/data/real/hostile-replies.pcap"]);
    assert!(!out.contains("ftp@example.com"), "{out}");
}

/// Found by a second fresh look: `explain cap.pcap --html cap.pcap` replaced the capture.
#[test]
fn explain_html_never_writes_over_its_capture() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-cli-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = dir.join("cap.pcap");
    std::fs::copy("tests/data/real/vsftpd-active-drop-server.pcap", &cap).unwrap();
    let before = std::fs::read(&cap).unwrap();
    let c = cap.to_str().unwrap();
    let (code, _, err) = ftp_lab(&["explain", c, "--html", c]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the capture being explained"), "{err}");
    assert_eq!(std::fs::read(&cap).unwrap(), before);
    // And a report elsewhere is written, with only the outcome on standard output.
    let out = dir.join("r.html");
    let (code, text, err) = ftp_lab(&["explain", c, "--html", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(text.starts_with("It failed."), "{text}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("It failed.")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
