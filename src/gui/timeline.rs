//! The timeline bar: play/pause, step back and forward one event, jump to a handshake step,
//! start and end, speed, and a scrubber over virtual time. It only returns commands.

use super::model::{Command, Playback, SPEEDS, speed_words};
use crate::trace::Trace;
use eframe::egui;

pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback) -> Vec<Command> {
    let mut cmds = Vec::new();
    let n = trace.events.len();
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        if ui.button("⏮ Start").on_hover_text("Home").clicked() {
            cmds.push(Command::Start);
        }
        if ui
            .button("◀ Back")
            .on_hover_text("← one event back")
            .clicked()
        {
            cmds.push(Command::StepBack);
        }
        let play = if pb.playing { "⏸ Pause" } else { "▶ Play" };
        if ui.button(play).on_hover_text("Space").clicked() {
            cmds.push(Command::TogglePlay);
        }
        if ui
            .button("Forward ▶")
            .on_hover_text("→ one event forward")
            .clicked()
        {
            cmds.push(Command::StepForward);
        }
        if ui.button("End ⏭").on_hover_text("End").clicked() {
            cmds.push(Command::End);
        }
        ui.separator();
        ui.label("Jump to");
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
            if ui
                .add_enabled(has, b)
                .on_hover_text(format!("key {k}"))
                .on_disabled_hover_text("This run never reaches this step")
                .clicked()
            {
                cmds.push(Command::JumpToStep(k));
            }
        }
        ui.separator();
        let mut speed = pb.speed;
        egui::ComboBox::from_label("Speed")
            .selected_text(speed_words(speed))
            .show_ui(ui, |ui| {
                for i in 0..SPEEDS.len() {
                    ui.selectable_value(&mut speed, i, speed_words(i));
                }
            });
        if speed != pb.speed {
            cmds.push(Command::SetSpeed(speed));
        }
    });
    ui.horizontal(|ui| {
        let end = Playback::end_time(trace).max(0.001);
        let label = format!(
            "event {} of {}   t = {:.3} s of {:.3} s",
            (pb.cursor + 1).min(n),
            n,
            pb.time,
            end
        );
        let mut t = pb.time;
        ui.spacing_mut().slider_width = (ui.available_width() - 430.0).max(120.0);
        let r = ui.add(
            egui::Slider::new(&mut t, 0.0..=end)
                .show_value(false)
                .text("Virtual time"),
        );
        if r.changed() {
            cmds.push(Command::SeekTime(t));
        }
        ui.monospace(label);
    });
    ui.add_space(2.0);
    cmds
}
