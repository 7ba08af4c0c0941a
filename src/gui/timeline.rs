//! The timeline bar: play/pause, step back and forward (by every event, every packet, every
//! FTP line or every handshake step), jump to a handshake step, start and end, speed, and a
//! scrubber over virtual time. It wraps onto more rows rather than clip on a narrow window.
//! It only returns commands (and where its widgets went, for the layout checks).

use super::model::{Command, Granularity, Playback, SPEEDS, speed_words};
use crate::trace::Trace;
use eframe::egui::{self, Rect};

pub fn show(
    ui: &mut egui::Ui,
    trace: &Trace,
    pb: &Playback,
    rects: &mut Vec<Rect>,
) -> Vec<Command> {
    let mut cmds = Vec::new();
    rects.clear();
    ui.add_space(3.0);
    ui.horizontal_wrapped(|ui| {
        buttons(ui, pb, &mut cmds, rects);
        steps(ui, trace, pb, &mut cmds, rects);
        choices(ui, pb, &mut cmds, rects);
    });
    ui.horizontal_wrapped(|ui| scrubber(ui, trace, pb, &mut cmds, rects));
    ui.add_space(2.0);
    cmds
}

fn buttons(ui: &mut egui::Ui, pb: &Playback, cmds: &mut Vec<Command>, rects: &mut Vec<Rect>) {
    let play = if pb.playing { "⏸ Pause" } else { "▶ Play" };
    for (text, hover, cmd) in [
        ("⏮ Start", "Home", Command::Start),
        ("◀ Back", "← one step back", Command::StepBack),
        (play, "Space", Command::TogglePlay),
        ("Forward ▶", "→ one step forward", Command::StepForward),
        ("End ⏭", "End", Command::End),
    ] {
        let r = ui.button(text).on_hover_text(hover);
        rects.push(r.rect);
        if r.clicked() {
            cmds.push(cmd);
        }
    }
}

fn steps(
    ui: &mut egui::Ui,
    trace: &Trace,
    pb: &Playback,
    cmds: &mut Vec<Command>,
    rects: &mut Vec<Rect>,
) {
    let current = trace
        .events
        .get(pb.cursor)
        .and_then(|e| e.step)
        .map(|s| s.n);
    for k in 1..=4u8 {
        let has = trace
            .events
            .iter()
            .any(|e| e.step.is_some_and(|s| s.n == k));
        let b = egui::Button::selectable(current == Some(k), format!("Step {k}"));
        // Predict mode does not tell in advance which steps the run never reaches.
        let r = ui
            .add_enabled(has || pb.predict, b)
            .on_hover_text(format!("key {k}"))
            .on_disabled_hover_text("This run never reaches this step");
        rects.push(r.rect);
        if r.clicked() {
            cmds.push(Command::JumpToStep(k));
        }
    }
}

fn choices(ui: &mut egui::Ui, pb: &Playback, cmds: &mut Vec<Command>, rects: &mut Vec<Rect>) {
    let mut g = pb.granularity;
    // The label first, as a sentence reads: "Step by [every event ▾]".
    let steps: Vec<&str> = Granularity::ALL.iter().map(|x| x.words()).collect();
    labelled_combo(
        ui,
        ("Step by", "step_by"),
        (g.words(), &steps),
        rects,
        |ui| {
            for x in Granularity::ALL {
                ui.selectable_value(&mut g, x, x.words());
            }
        },
    );
    if g != pb.granularity {
        cmds.push(Command::SetGranularity(g));
    }
    let mut speed = pb.speed;
    let speeds: Vec<String> = (0..SPEEDS.len()).map(speed_words).collect();
    let speeds: Vec<&str> = speeds.iter().map(String::as_str).collect();
    labelled_combo(
        ui,
        ("Speed", "speed"),
        (&speed_words(speed), &speeds),
        rects,
        |ui| {
            for i in 0..SPEEDS.len() {
                ui.selectable_value(&mut speed, i, speed_words(i));
            }
        },
    );
    if speed != pb.speed {
        cmds.push(Command::SetSpeed(speed));
    }
}

/// A label and its combo box, kept on one row: where the bar has no room left for both, they
/// go to the next row together (a bar that wraps never splits "Speed" from its choice).
/// "Label [selected ▾]", as wide as its widest choice whatever is selected (picking
/// "handshake steps" made the bar wrap at 1024 and the ladder jump). `(label, id)`,
/// `(selected, every choice)`.
fn labelled_combo(
    ui: &mut egui::Ui,
    (label, id): (&str, &str),
    (selected, all): (&str, &[&str]),
    rects: &mut Vec<Rect>,
    menu: impl FnOnce(&mut egui::Ui),
) {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let text_w = |t: &str| {
        ui.painter()
            .layout_no_wrap(t.to_owned(), font.clone(), egui::Color32::BLACK)
            .size()
            .x
    };
    let widest = all
        .iter()
        .chain(std::iter::once(&selected))
        .map(|t| text_w(t))
        .fold(0.0, f32::max);
    let sp = ui.spacing();
    let combo = widest + 2.0 * sp.button_padding.x + sp.icon_width + sp.icon_spacing;
    let need = text_w(label)
        + widest
        + 2.0 * sp.item_spacing.x
        + 2.0 * sp.button_padding.x
        + sp.icon_width
        + sp.icon_spacing
        + 8.0;
    if ui.available_size_before_wrap().x < need {
        ui.end_row();
    }
    let l = ui.label(label);
    rects.push(l.rect);
    let r = egui::ComboBox::from_id_salt(id)
        .selected_text(selected)
        .width(combo)
        .show_ui(ui, menu);
    rects.push(r.response.labelled_by(l.id).rect);
}

fn scrubber(
    ui: &mut egui::Ui,
    trace: &Trace,
    pb: &Playback,
    cmds: &mut Vec<Command>,
    rects: &mut Vec<Rect>,
) {
    let n = trace.events.len();
    // In predict mode the slider ends at the cursor: where its knob stood on the whole run's
    // length told how long the run goes on (a quick failure, a 60 s wait).
    let end = if pb.predict {
        pb.time.max(0.001)
    } else {
        Playback::end_time(trace).max(0.001)
    };
    // Predict mode does not tell how long the run goes on (a long wait gives the ending away).
    let label = if pb.predict {
        format!("event {}   t = {:.3} s", (pb.cursor + 1).min(n), pb.time)
    } else {
        format!(
            "event {} of {}   t = {:.3} s of {:.3} s",
            (pb.cursor + 1).min(n),
            n,
            pb.time,
            Playback::end_time(trace)
        )
    };
    let mut t = pb.time;
    // The slider takes what the label leaves, and at least 120 points.
    let label_w = ui.fonts_mut(|f| {
        f.layout_no_wrap(
            label.clone(),
            egui::TextStyle::Monospace.resolve(ui.style()),
            egui::Color32::BLACK,
        )
        .size()
        .x
    });
    ui.spacing_mut().slider_width = (ui.available_width() - label_w - 140.0).max(120.0);
    let r = ui.add(
        egui::Slider::new(&mut t, 0.0..=end)
            .show_value(false)
            .text("Virtual time"),
    );
    rects.push(r.rect);
    if r.changed() {
        cmds.push(Command::SeekTime(t));
    }
    let r = ui.monospace(label);
    rects.push(r.rect);
}
