#![allow(clippy::unwrap_used)]
//! A captured failure in the window: it opens like a lesson, the ladder shows the SYN sent
//! again and again, the narration names the step, and "Make a scenario from this capture"
//! gives a lesson whose simulation fails at the same step.

mod common;

use common::ui::{harness_at, texts};
use eframe::egui;
use egui_kittest::kittest::Queryable;
use ftp_lab::diagnose::failing_step;
use ftp_lab::gui::FtpLabApp;

fn server_capture(name: &str) -> std::path::PathBuf {
    let t = common::run(&common::load(name));
    let node = ftp_lab::export::pcap::capture_point(&t, "server").unwrap();
    let dir = std::env::temp_dir().join(format!("ftp-lab-gui-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-at-server.pcap"));
    ftp_lab::export::pcap::write(&t, node, std::fs::File::create(&path).unwrap()).unwrap();
    path
}

#[test]
fn a_captured_failure_opens_explains_and_becomes_a_lesson() {
    let path = server_capture("active-client-fw-drops");
    let mut h = harness_at(FtpLabApp::new(Some(&path)), (1280.0, 800.0));
    assert!(h.state().capture().is_some(), "opened as a capture");
    h.get_by_label("A real capture");
    h.get_by_label_contains("Taken on the server's side");
    // The ladder: the server's SYN to the client, six times, each stopped past the capture point.
    let app = h.state();
    let t = app.trace();
    let stopped: Vec<usize> = app
        .run
        .journeys
        .list
        .iter()
        .filter(|j| matches!(j.end, ftp_lab::gui::model::End::Dropped(_)))
        .filter(|j| {
            t.packet(j.packet)
                .summary()
                .starts_with("SYN 203.0.113.10:20 → 198.51.100.7:")
        })
        .map(|j| j.last_event)
        .collect();
    assert_eq!(stopped.len(), 10);
    // On screen: with the cursor on the last retry, its arrow says where it stopped.
    h.state_mut()
        .apply(ftp_lab::gui::model::Command::SeekEvent(stopped[5]));
    h.run();
    let arrows: Vec<String> = texts(&h)
        .into_iter()
        .filter(|t| t.starts_with("Arrow"))
        .collect();
    let shown = arrows
        .iter()
        .filter(|t| {
            t.contains("SYN 203.0.113.10:20 → 198.51.100.7:")
                && t.ends_with("(stopped at in between)")
        })
        .count();
    assert!(shown >= 2, "{arrows:?}");
    // Step 3 is named by the narration.
    h.key_press(egui::Key::Num3);
    h.run();
    h.get_by_label_contains("Step 3: the server connects from its data port");
    // The ending.
    h.key_press(egui::Key::End);
    h.run();
    let diagnosis = h.state().trace().outcome.diagnosis.clone();
    assert!(
        diagnosis.contains("sent 10 times") && diagnosis.contains("never answered"),
        "{diagnosis}"
    );
    let captured = h.state().trace().clone();
    let cap_step = failing_step(&captured, captured.clients[0].node);
    assert_eq!(cap_step, Some(3));
    let dir = std::env::var("FTP_LAB_SCREENSHOTS").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    h.key_press(egui::Key::Num3);
    h.run();
    h.remove_cursor();
    h.run();
    h.render().unwrap().save(dir.join("capture.png")).unwrap();
    // The lesson made from it fails at the same step, and can be edited.
    h.get_by_label("Make a scenario from this capture").click();
    h.run();
    assert!(h.state().capture().is_none());
    let t = h.state().trace();
    assert!(!t.outcome.success, "{}", t.outcome.diagnosis);
    assert_eq!(failing_step(t, t.clients[0].node), cap_step);
    assert_eq!(t.outcome.mechanism, captured.outcome.mechanism);
    h.get_by_label_contains("Made a lesson from");
    h.get_by_label_contains("drop inbound new (what the capture shows)");
}

/// Seen in the second attack: bytes from the network reached the views as they were. The
/// hostile capture's banner holds ESC[2J, an OSC title, BEL and a bare CR, its 550 ESC[31m:
/// at every step, on every tab, nothing the window shows holds a control character.
#[test]
fn hostile_bytes_in_a_capture_are_shown_escaped_everywhere() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/real/hostile-replies.pcap");
    let mut h = harness_at(FtpLabApp::new(Some(&path)), (1280.0, 800.0));
    assert!(h.state().capture().is_some());
    let n = h.state().trace().events.len();
    let mut seen_escape = false;
    for i in (0..n).step_by(3) {
        h.state_mut()
            .apply(ftp_lab::gui::model::Command::SeekEvent(i));
        for tab in [
            ftp_lab::gui::RightTab::Story,
            ftp_lab::gui::RightTab::Inspector,
        ] {
            h.state_mut().right = tab;
            h.run();
            for t in texts(&h) {
                let bad: Vec<char> = t.chars().filter(|c| c.is_control() && *c != '\n').collect();
                assert!(bad.is_empty(), "at event {i}, {tab:?}: {bad:?} in {t:?}");
                seen_escape |= t.contains("\\u{1b}");
            }
        }
    }
    assert!(seen_escape, "the escaped banner was never shown");
}
