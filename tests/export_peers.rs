#![allow(clippy::unwrap_used)]
//! The exports judged by programs FTP Lab did not write.
//!
//! - tshark reads each shipped lesson's capture at the client: the FTP lines on the
//!   picture's arrows that start or end at the client are the lines tshark finds, in order.
//! - Chromium (headless, over WebDriver with Python's selenium: tests/browser/handout.py)
//!   opens a lesson's handout, a real capture's report and a worksheet: it steps with → to
//!   the dropped SYN, sees its row highlighted and its story, reveals a predict answer, prints
//!   to PDF, and reports no console error (the page's own policy blocks anything else); a
//!   hostile lesson and the hostile real capture raise no alert and add no element.
//!
//! A missing peer is listed as skipped; under CI=true it fails (tests/common/peers.rs).

mod common;

use common::peers::{Bounded, Peer};
use ftp_lab::export::files;
use ftp_lab::export::picture::{self, View};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftp-lab-peers-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The FTP lines tshark reads in a capture, in order, a password masked as on screen.
fn tshark_ftp_lines(pcap: &Path) -> Vec<String> {
    let out = Command::new("tshark")
        .args(["-r", pcap.to_str().unwrap(), "-Y", "ftp", "-T", "fields"])
        .args(["-e", "_ws.col.Info"])
        .output_within(60)
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "Request: USER anonymous", "Response: 220 (vsFTPd 3.0.3)".
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let line = l
                .strip_prefix("Request: ")
                .or_else(|| l.strip_prefix("Response: "))
                .unwrap_or(l);
            ftp_lab::ftp::command::masked(line.trim_end())
        })
        .collect()
}

fn the_ladders_ftp_lines_are_the_ones_tshark_reads_at_the_client() {
    let dir = tmp("tshark");
    for (name, s) in common::shipped() {
        let t = common::run(&s);
        let node = ftp_lab::export::pcap::capture_point(&t, "client").unwrap();
        let pcap = dir.join(format!("{name}.pcap"));
        let mut f = std::fs::File::create(&pcap).unwrap();
        ftp_lab::export::pcap::write(&t, node, &mut f).unwrap();
        drop(f);
        let run = ftp_lab::gui::Run::new(t, &s.questions);
        let svg = files::svg(&run, View::Ladder, 0, false);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        // Each arrow that starts at the client or reaches it, with the words on the
        // client's side of it.
        let mut ours = Vec::new();
        for a in doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("arrow"))
        {
            let id: usize = a.attribute("data-packet").unwrap().parse().unwrap();
            let j = run
                .journeys
                .list
                .iter()
                .find(|j| j.packet.index() == id)
                .unwrap();
            let from_client = j.from == node;
            let to_client = j.to == node && j.end == ftp_lab::gui::model::End::Delivered;
            let p = &run.trace.packets[if from_client { j.packet } else { j.last_packet }];
            if !(from_client || to_client) || p.ftp_text.is_none() {
                continue;
            }
            let labels: Vec<String> = a
                .descendants()
                .filter(|n| n.attribute("class") == Some("label"))
                .map(|n| n.text().unwrap().to_owned())
                .collect();
            let label = if from_client {
                labels.first()
            } else {
                labels.last()
            };
            ours.push(label.unwrap().clone());
        }
        let theirs = tshark_ftp_lines(&pcap);
        assert_eq!(
            ours, theirs,
            "{name}: the ladder's FTP lines at the client and tshark's"
        );
        assert!(!ours.is_empty(), "{name}");
    }
}

/// What the browser saw (tests/browser/handout.py's JSON).
fn browse(html: &Path, args: &[&str]) -> serde_json::Value {
    let script = root().join("tests/browser/handout.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(html)
        .args(args)
        .output_within(180)
        .unwrap();
    assert!(
        out.status.success(),
        "handout.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ftp-lab` with `args`, bounded.
fn ftp_lab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(args)
        .output_within(120)
        .unwrap()
}

fn export(file: &Path, html: &Path) {
    let out = ftp_lab(&[
        "export",
        file.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// No alert, no console error, one script (the page's), the script ran.
fn clean(v: &serde_json::Value, what: &str) {
    assert_eq!(v["alert"], serde_json::Value::Null, "{what}: an alert");
    assert_eq!(
        v["alert_after"],
        serde_json::Value::Null,
        "{what}: an alert"
    );
    assert_eq!(v["console"], serde_json::json!([]), "{what}: console");
    assert_eq!(v["scripts"], 1, "{what}");
    assert_eq!(v["foreign"], 0, "{what}: an element from the file");
    assert_eq!(
        v["js"], true,
        "{what}: the page's script did not run (its policy?)"
    );
    let pages = v["pages"].as_u64().unwrap();
    assert!((1..=40).contains(&pages), "{what}: {pages} pages");
}

fn a_browser_steps_through_a_handout_to_the_dropped_syn_and_reveals_an_answer() {
    let dir = tmp("handout");
    let html = dir.join("drops.html");
    let lesson = common::scenario_path("active-client-fw-drops");
    export(&lesson, &html);
    let v = browse(
        &html,
        &[
            "--until",
            "DROPPED",
            "--answer",
            "--pdf",
            dir.join("d.pdf").to_str().unwrap(),
        ],
    );
    clean(&v, "handout");
    // Only the current step is on screen.
    assert_eq!(v["visible_steps"], 1);
    // The dropped SYN: its row is the one highlighted, and the story says so.
    let (_, run) = (0, {
        let s = common::load("active-client-fw-drops");
        ftp_lab::gui::Run::new(common::run(&s), &s.questions)
    });
    let u = &v["until"];
    let row: usize = u["row"].as_str().unwrap().parse().unwrap();
    let dropped = &run.journeys.list[row];
    assert!(
        matches!(dropped.end, ftp_lab::gui::model::End::Dropped(_)),
        "{u}"
    );
    let text = u["text"].as_str().unwrap();
    // The ten tries are one step: the same words, each try's time.
    assert!(text.contains("10 times in all"), "{text}");
    assert!(text.contains("is DROPPED at client-fw"), "{text}");
    assert!(text.contains("rule 2 'drop inbound new'"), "{text}");
    assert!(
        text.contains("-A FORWARD -i wan -o lan -m conntrack --ctstate NEW -j DROP"),
        "{text}"
    );
    assert!(
        u["row_title"]
            .as_str()
            .unwrap()
            .contains(&picture::words(&run, dropped.packet))
    );
    // Nothing ahead is shown while stepping: not the later rows, not the description or the
    // outcome, which tell the ending (found by a teacher's fresh look).
    let st = &v["start"];
    assert!(st["unseen"].as_u64().unwrap() > 20, "{st}");
    let body = v["body_text"].as_str().unwrap();
    assert!(
        !body.contains("is dropped by rule 2"),
        "the description shows: {body}"
    );
    assert!(!body.contains("It failed."), "the outcome shows: {body}");
    // Nor the title ("… drops inbound connections"): what the lesson sets up stands in.
    assert!(!body.contains("drops inbound"), "the title shows: {body}");
    assert!(body.contains("Active mode: what will happen?"), "{body}");
    assert!(
        !v["title"].as_str().unwrap().contains("drops"),
        "{}",
        v["title"]
    );
    // One step back is the question about it: the rows after are not shown, nor the fate.
    let b = &v["back"];
    assert_eq!(b["ask"], true, "{b}");
    assert!(b["unseen"].as_u64().unwrap() > 5, "{b}");
    // The first question: the answer hidden until asked, then shown, and the rows with it.
    assert_eq!(v["answer_hidden"], true);
    assert!(v["asked"]["unseen"].as_u64().unwrap() > 0);
    // Revealed: the rows still to come stay hidden as on any step (the packet on its way is
    // drawn whole again); "show what comes later" shows them all.
    assert!(v["answered"]["unseen"].as_u64() <= v["asked"]["unseen"].as_u64());
    assert_eq!(v["ahead"]["unseen"], 0, "{}", v["ahead"]);
    assert!(v["until"]["unseen"].as_u64().unwrap() > 0);
    let q = &run.lesson.questions[0];
    let answer = v["answer_text"].as_str().unwrap();
    assert!(answer.contains(&q.choices[q.answer]), "{answer}");
}

/// Found by a teacher's fresh look at a NAT lesson: while the server's 227 was on its way,
/// the row already showed what the NAT would make of it.
fn a_packet_on_its_way_shows_nothing_of_what_a_nat_will_do() {
    let dir = tmp("nat");
    let html = dir.join("nat.html");
    export(&common::scenario_path("nat-server-passive-alg"), &html);
    let v = browse(&html, &["--until", "server sends 227"]);
    clean(&v, "nat handout");
    let u = &v["until"];
    assert!(
        u["text"].as_str().unwrap().contains("server sends 227"),
        "{u}"
    );
    assert_eq!(u["pending"], 1, "{u}");
    assert!(
        !u["row_title"].as_str().unwrap().contains("rewritten"),
        "{u}"
    );
    assert_eq!(
        u["unseen_parts"], 1,
        "the NAT's rewrite shows before it happens: {u}"
    );
    // With what comes later shown, the row is whole.
    assert_eq!(v["ahead"]["unseen_parts"], 0, "{}", v["ahead"]);
}

/// Found by a second fresh look: with "show what comes later" ticked, revealing "What will
/// client-fw do?" showed "✖ dropped by client-fw rule 2", the answer to the next question,
/// asked at the same moment; and on a phone the whole page scrolled sideways.
fn two_questions_at_one_moment_and_a_phone() {
    let dir = tmp("two");
    let html = dir.join("drops.html");
    export(&common::scenario_path("active-client-fw-drops"), &html);
    let v = browse(&html, &["--ahead-reveal", "What will client-fw do"]);
    clean(&v, "two questions");
    let r = &v["ahead_revealed"];
    assert_eq!(r["ask"], true, "{r}");
    assert_eq!(
        v["fates_shown"], 0,
        "a fate shows before 'Which rule?' is answered: {r}"
    );
    assert!(r["pending"].as_u64().unwrap() >= 1, "{r}");
    let v = browse(&html, &["--phone", "--until", "DROPPED"]);
    clean(&v, "phone");
    let w = v["widths"].as_array().unwrap();
    assert!(
        w[0].as_u64() <= w[1].as_u64(),
        "the page is wider than the phone: {w:?}"
    );
}

fn a_browser_opens_a_real_captures_report_and_a_worksheet() {
    let dir = tmp("report");
    let html = dir.join("report.html");
    let cap = root().join("tests/data/real/vsftpd-active-drop-server.pcap");
    let out = ftp_lab(&[
        "explain",
        cap.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = browse(&html, &["--until", "as far as the capture shows"]);
    clean(&v, "report");
    let text = v["until"]["text"].as_str().unwrap();
    assert!(text.contains("SYN 203.0.113.10:20"), "{text}");
    // The worksheet: hints hidden until asked, and one shown when asked.
    let ex = root().join("exercises/01-active-through-the-client-firewall.ron");
    let ws = dir.join("worksheet.html");
    export(&ex, &ws);
    let v = browse(&ws, &["--hint"]);
    clean(&v, "worksheet");
    let e = ftp_lab::exercise::Exercise::load(&ex).unwrap();
    assert_eq!(v["hints"], e.hints.len());
    assert_eq!(v["hints_open"], 0);
    assert_eq!(v["hint_shown_before"], false);
    assert!(v["hint_text"].as_str().unwrap().contains(&e.hints[0]));
    // Nothing of the reference solution is on the page.
    let sol = ftp_lab::Scenario::load(
        &root().join("exercises/solutions/01-active-through-the-client-firewall.ron"),
    )
    .unwrap();
    let body = v["body_text"].as_str().unwrap();
    let (theirs, start) = (
        common::solution_rules(&sol),
        common::solution_rules(&e.start),
    );
    let extra: Vec<_> = theirs.difference(&start).collect();
    assert!(!extra.is_empty(), "the solution adds a rule or the helper");
    for line in extra {
        assert!(
            !body.contains(line.as_str()),
            "the solution's {line} is on the worksheet"
        );
    }
    assert!(body.contains("Your answer must"), "{body}");
}

fn nothing_hostile_runs_in_the_browser() {
    let dir = tmp("hostile");
    let text = std::fs::read_to_string(common::scenario_path("active-client-fw-drops")).unwrap();
    let text = text
        .replacen(
            "title: \"",
            "title: \"<script>alert('title')</script></svg></title>\\\"' ",
            1,
        )
        .replacen(
            "description: \"",
            "description: \"</svg><img src=x onerror=alert('desc')> ",
            1,
        )
        .replace(
            "comment: \"",
            "comment: \"\\\"><script>alert('rule')</script> ",
        );
    let lesson = dir.join("hostile.ron");
    std::fs::write(&lesson, text).unwrap();
    let html = dir.join("hostile.html");
    export(&lesson, &html);
    let v = browse(&html, &["--until", "DROPPED"]);
    clean(&v, "hostile lesson");
    // The title is there as text (held until the last step, as the window holds it).
    assert!(
        v["h1"].as_str().unwrap().contains("<script>alert('title')"),
        "{}",
        v["h1"]
    );
    // The real capture whose server sends terminal escapes and colour codes.
    let cap = root().join("tests/data/real/hostile-replies.pcap");
    let html = dir.join("hostile-capture.html");
    let out = ftp_lab(&[
        "explain",
        cap.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(out.status.code().is_some(), "{out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains('\u{1b}'), "an escape byte in the page");
    clean(&browse(&html, &[]), "hostile capture");
}

fn main() -> std::process::ExitCode {
    common::peers::main(tests![
        needs [Peer::Tshark] => the_ladders_ftp_lines_are_the_ones_tshark_reads_at_the_client;
        needs [Peer::Browser] => a_browser_steps_through_a_handout_to_the_dropped_syn_and_reveals_an_answer, a_packet_on_its_way_shows_nothing_of_what_a_nat_will_do, two_questions_at_one_moment_and_a_phone, a_browser_opens_a_real_captures_report_and_a_worksheet, nothing_hostile_runs_in_the_browser;
    ])
}
