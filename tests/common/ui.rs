//! Driving the window headless (egui_kittest) the way a person does: by the labels they see.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ftp_lab::gui::FtpLabApp;
use std::path::Path;

/// The window at `size`, drawn until it settles.
pub fn harness_at(app: FtpLabApp, size: (f32, f32)) -> Harness<'static, FtpLabApp> {
    let mut h = Harness::builder()
        .with_size([size.0, size.1])
        .with_max_steps(30)
        .build_ui_state(|ui, app: &mut FtpLabApp| app.show(ui), app);
    h.run();
    h
}

/// For flows through the file dialog: egui_file's name and path fields carry no accessible
/// label, which kittest's accessibility check would refuse.
pub fn harness_with_file_dialog(app: FtpLabApp, size: (f32, f32)) -> Harness<'static, FtpLabApp> {
    let mut h = Harness::builder()
        .with_size([size.0, size.1])
        .with_max_steps(30)
        .with_accessibility_check(false)
        .build_ui_state(|ui, app: &mut FtpLabApp| app.show(ui), app);
    h.run();
    h
}

fn last_text_input<'a>(h: &'a Harness<'_, FtpLabApp>) -> egui_kittest::Node<'a> {
    h.query_all(egui_kittest::kittest::by().role(egui::accesskit::Role::TextInput))
        .last()
        .unwrap()
}

/// Type a full path into the file dialog's name field (it replaces the proposed name) and
/// press Enter, as a person does.
pub fn type_path(h: &mut Harness<'_, FtpLabApp>, path: &Path) {
    last_text_input(h).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    last_text_input(h).type_text(path.to_str().unwrap());
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
}

/// The event index of the first dropped packet (0 when none is).
pub fn first_drop(app: &FtpLabApp) -> usize {
    app.trace()
        .events
        .iter()
        .position(|e| {
            matches!(
                e.kind,
                ftp_lab::trace::EventKind::Packet {
                    fate: ftp_lab::trace::PacketFate::Dropped { .. },
                    ..
                }
            )
        })
        .unwrap_or(0)
}

/// Every text on screen: each node's label and its value (a label with a hover text carries
/// its words as a value, a combo box its choice).
pub fn texts(h: &Harness<'_, FtpLabApp>) -> Vec<String> {
    use egui_kittest::kittest::NodeT;
    h.query_all(egui_kittest::kittest::by())
        .filter(|n| n.accesskit_node().role() != egui::accesskit::Role::TextRun)
        .flat_map(|n| [n.accesskit_node().label(), n.accesskit_node().value()])
        .flatten()
        .collect()
}

/// In predict mode: steps forward (answering every other question) until a question whose
/// text starts with `prefix` is asked. False when none is, within 200 steps.
pub fn step_to_question(h: &mut Harness<'_, FtpLabApp>, prefix: &str) -> bool {
    for _ in 0..200 {
        if let Some(k) = h.state().playback.asking {
            if h.state().run.lesson.questions[k].text.starts_with(prefix) {
                return true;
            }
            h.state_mut()
                .apply(ftp_lab::gui::model::Command::Answered(k));
        } else {
            h.key_press(eframe::egui::Key::ArrowRight);
        }
        h.run_steps(3);
    }
    false
}
