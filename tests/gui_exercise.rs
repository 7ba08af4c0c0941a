#![allow(clippy::unwrap_used)]
//! Exercise mode in the window: the checklist shows ✖, the student edits as the reference
//! solution does, the checklist turns ✔, hints come one at a time, and "Save my answer"
//! writes a file that `grade` passes.

mod common;

use common::peers::Bounded;

use common::ui::{harness_with_file_dialog, texts, type_path};
use egui_kittest::kittest::Queryable;
use ftp_lab::gui::FtpLabApp;
use std::path::Path;

#[test]
fn an_exercise_is_solved_in_the_window_and_its_saved_answer_passes_grade() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex_path = root.join("exercises/01-active-through-the-client-firewall.ron");
    let mut h = harness_with_file_dialog(FtpLabApp::new(Some(&ex_path)), (1280.0, 800.0));
    assert!(h.state().exercise().is_some());
    assert!(
        texts(&h)
            .iter()
            .any(|t| t == "Exercise: Active mode through the client's firewall")
    );
    h.get_by_label("2 of 3 checks pass");
    h.get_by_label("✖ the listing works in active mode");
    // Hints, one at a time.
    assert!(!texts(&h).iter().any(|t| t.starts_with("Hint 1:")));
    h.get_by_label("Hint (1 of 3)").click();
    h.run();
    assert!(
        texts(&h)
            .iter()
            .any(|t| t.starts_with("Hint 1: Step 3 fails"))
    );
    assert!(!texts(&h).iter().any(|t| t.starts_with("Hint 2:")));
    h.get_by_label("Hint (2 of 3)").click();
    h.run();
    assert!(texts(&h).iter().any(|t| t.starts_with("Hint 2:")));
    // The reference solution's edit: attach the FTP helper on client-fw (the first one).
    h.get_all_by_label("FTP helper")
        .next()
        .unwrap()
        .scroll_to_me();
    h.run();
    h.get_all_by_label("FTP helper").next().unwrap().click();
    h.run();
    assert!(
        h.state().doc.scenario().nodes.iter().any(|n| matches!(n, ftp_lab::scenario::NodeSpec::Firewall(f) if f.name == "client-fw" && f.ftp_helper)),
        "the click attached the helper to client-fw"
    );
    h.get_by_label("✔ All 3 checks pass");
    h.get_by_label("✔ the listing works in active mode");
    let dir = std::env::var("FTP_LAB_SCREENSHOTS").map_or_else(
        |_| root.join("target/screenshots"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    h.remove_cursor();
    h.run();
    h.render().unwrap().save(dir.join("exercise.png")).unwrap();
    // Save my answer, then grade it as the teacher would.
    let out = std::env::temp_dir().join(format!("ftp-lab-answer-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let answer = out.join("alice.ron");
    h.get_by_label("Save my answer").click();
    h.run();
    // The student's name first: it goes in the file's name and in the file.
    h.get_by_label("Your name (it goes in the file and in its name):")
        .type_text("Alice Martin");
    h.run();
    h.get_by_label("Choose the file…").click();
    h.run();
    assert!(
        h.query_all_by_role(eframe::egui::accesskit::Role::TextInput)
            .any(|n| n.value().is_some_and(|v| {
                v.ends_with("01-active-through-the-client-firewall-alice-martin.ron")
            })),
        "the file dialog does not offer the student's file name"
    );
    type_path(&mut h, &answer);
    assert!(answer.is_file());
    let saved = ftp_lab::Scenario::load(&answer).unwrap();
    assert_eq!(
        saved.exercise.as_deref(),
        Some("01-active-through-the-client-firewall")
    );
    assert!(
        saved.description.contains("Answer by Alice Martin."),
        "{}",
        saved.description
    );
    let graded = std::process::Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(["grade"])
        .arg(&ex_path)
        .arg(&answer)
        .output_within(120)
        .unwrap();
    assert_eq!(
        graded.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&graded.stdout)
    );
    // And the answer runs as it says it does (it kept the lesson's "fails" expectation).
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .arg("run")
        .arg(&answer)
        .output_within(120)
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    std::fs::remove_dir_all(&out).unwrap();
}

/// Seen in a teacher's trial at 1024×768: the task began at the bottom edge of the exercise
/// box, under the checklist, and two hints pushed it out of view.
#[test]
fn the_task_is_in_view_at_1024_with_its_hints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex = ftp_lab::exercise::Exercise::load(
        &root.join("exercises/01-active-through-the-client-firewall.ron"),
    )
    .unwrap();
    let first_words: String = ex.task.chars().take(30).collect();
    let mut h = harness_with_file_dialog(
        FtpLabApp::new(Some(
            &root.join("exercises/01-active-through-the-client-firewall.ron"),
        )),
        (1024.0, 768.0),
    );
    h.get_by_label("Hint (1 of 3)").click();
    h.run();
    h.get_by_label("Hint (2 of 3)").click();
    h.run();
    let task = h.get_by_label_contains(&first_words).rect();
    let screen = h.state().probe.screen;
    assert!(
        task.top() >= screen.top() && task.top() + 40.0 <= screen.height() * 0.6,
        "task at {task:?}"
    );
}

/// Undo, redo and "Reset to the start" in an exercise: each gives back the exact run.
#[test]
fn an_exercise_answer_can_be_undone_redone_and_reset() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex_path = root.join("exercises/01-active-through-the-client-firewall.ron");
    let mut h = common::ui::harness_at(FtpLabApp::new(Some(&ex_path)), (1280.0, 800.0));
    let start = h.state().trace().digest();
    h.get_all_by_label("FTP helper")
        .next()
        .unwrap()
        .scroll_to_me();
    h.run();
    h.get_all_by_label("FTP helper").next().unwrap().click();
    h.run();
    let fixed = h.state().trace().digest();
    assert_ne!(fixed, start);
    h.get_by_label("↶ Undo").scroll_to_me();
    h.run();
    h.get_by_label("↶ Undo").click();
    h.run();
    assert_eq!(h.state().trace().digest(), start, "undo");
    h.get_by_label("↷ Redo").scroll_to_me();
    h.run();
    h.get_by_label("↷ Redo").click();
    h.run();
    assert_eq!(h.state().trace().digest(), fixed, "redo");
    h.get_by_label("Reset to the start").scroll_to_me();
    h.run();
    h.get_by_label("Reset to the start").click();
    h.run();
    assert_eq!(h.state().trace().digest(), start, "reset");
    h.get_by_label("2 of 3 checks pass");
    // It says how to get the answer back (it wiped it without a word).
    h.get_by_label_contains("Ctrl+Z (or ↶ Undo) brings your answer back");
}

/// Found by a teacher's fresh eyes: a saved answer reopened (the next start, or Open…) as a
/// plain lesson, without the task or the checklist. It opens as the exercise it answers.
#[test]
fn a_saved_answer_opens_as_its_exercise() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex = ftp_lab::exercise::Exercise::load(
        &root.join("exercises/01-active-through-the-client-firewall.ron"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ftp-lab-reopen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let answer = dir.join("bob.ron");
    std::fs::write(&answer, ex.starting_answer().to_ron().unwrap()).unwrap();
    let h = common::ui::harness_at(FtpLabApp::new(Some(&answer)), (1280.0, 800.0));
    let x = h.state().exercise().expect("opened as a plain lesson");
    assert_eq!(x.ex.id, "01-active-through-the-client-firewall");
    h.get_by_label_contains("checks pass");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Seen in a teacher's trial: in predict mode the exercise's checklist told the class what the
/// run would do ("✖ the listing works in active mode") while they were asked whether it will.
/// The marks wait for the end of the run.
#[test]
fn predict_mode_keeps_the_checklist_marks_for_the_end() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex_path = root.join("exercises/01-active-through-the-client-firewall.ron");
    let mut h = common::ui::harness_at(FtpLabApp::new(Some(&ex_path)), (1280.0, 800.0));
    h.get_by_label_contains("checks pass");
    h.key_press(eframe::egui::Key::P);
    h.run();
    let shown = texts(&h);
    assert!(
        !shown
            .iter()
            .any(|t| t.contains("checks pass") || t.starts_with('✔') || t.starts_with('✖')),
        "{shown:?}"
    );
    h.get_by_label_contains("whether each check passes shows at the end");
    // Out of predict mode they are back.
    h.key_press(eframe::egui::Key::P);
    h.run();
    h.get_by_label_contains("checks pass");
}

/// Found by a teacher's fresh eyes: in predict mode an exercise's task still said how the
/// run ends ("'ls' fails with 425"). It waits for the end of the run, as the title does.
#[test]
fn predict_mode_holds_the_exercise_task_until_the_end() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex_path = root.join("exercises/01-active-through-the-client-firewall.ron");
    let mut h = common::ui::harness_at(FtpLabApp::new(Some(&ex_path)), (1280.0, 800.0));
    let task = h.state().exercise().unwrap().ex.task.clone();
    let start: String = task.chars().take(30).collect();
    assert!(texts(&h).iter().any(|t| t.starts_with(&start)));
    h.key_press(eframe::egui::Key::P);
    h.run();
    assert!(
        !texts(&h).iter().any(|t| t.starts_with(&start)),
        "the task shows in predict mode"
    );
    assert!(
        texts(&h)
            .iter()
            .any(|t| t.starts_with("Predict mode: the task shows at the end"))
    );
}
