//! The help overlay: keyboard shortcuts and what the colours mean.

use eframe::egui::{self, RichText};

pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "play / pause"),
    ("→  /  ←", "one event forward / back"),
    ("1 2 3 4", "jump to that step of the handshake"),
    ("Home / End", "start / end of the run"),
    ("+  /  −", "faster / slower"),
    ("F", "presentation mode (large, high contrast)"),
    ("? or H or F1", "this help; Esc closes it"),
];

pub fn show(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Help: keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .spacing([24.0, 6.0])
                .show(ui, |ui| {
                    for (k, what) in SHORTCUTS {
                        ui.label(RichText::new(*k).monospace().strong());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            ui.separator();
            ui.label("Blue packets belong to the control connection (port 21), orange ones to the data connection.");
            ui.label("A red ✖ marks a packet a firewall stopped; the rule that stopped it is named under the picture.");
            ui.label("Edit a firewall rule on the left: the run is simulated again at once.");
        });
}
