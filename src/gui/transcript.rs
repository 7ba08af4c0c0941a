//! The FTP conversation as the user's terminal shows it (`ftp> ls`, `200 PORT command
//! successful`, `425 …`), up to the cursor: lines later in the run are not shown yet.

use super::model::Playback;
use super::style::Palette;
use crate::trace::{EventKind, Trace};
use eframe::egui::{self, RichText};

pub fn lines_until(trace: &Trace, cursor: usize) -> Vec<&str> {
    trace
        .events
        .iter()
        .take(cursor + 1)
        .filter_map(|e| match &e.kind {
            EventKind::Console { line } => Some(line.as_str()),
            _ => None,
        })
        .collect()
}

pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback, pal: &Palette) {
    ui.heading("The user's terminal");
    egui::Frame::new()
        .fill(egui::Color32::from_gray(24))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("transcript")
                .stick_to_bottom(true)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let lines = lines_until(trace, pb.cursor);
                    if lines.is_empty() {
                        ui.label(
                            RichText::new("(nothing typed yet: press → or Space)")
                                .monospace()
                                .color(egui::Color32::from_gray(160)),
                        );
                    }
                    for l in lines {
                        let col = if l.starts_with("ftp>") {
                            egui::Color32::from_rgb(140, 220, 255)
                        } else if l.starts_with('4') || l.starts_with('5') {
                            egui::Color32::from_rgb(255, 130, 120)
                        } else {
                            egui::Color32::from_gray(235)
                        };
                        ui.label(RichText::new(l).monospace().color(col).size(pal.font + 1.0));
                    }
                });
        });
}
