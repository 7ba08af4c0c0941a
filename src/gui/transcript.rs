//! The FTP conversation as the user's terminal shows it (`ftp> ls`, `200 PORT command
//! successful`, `425 …`), up to the cursor: lines later in the run are not shown yet.

use super::model::Playback;
use super::style::Palette;
use crate::trace::{EventKind, Shown, Trace};
use eframe::egui::{self, RichText};

/// The terminal's lines up to the cursor. With several clients each line says whose it is
/// ("alice: ftp> ls"): their sessions interleave in time.
pub fn lines_until(trace: &Trace, cursor: usize) -> Vec<(Option<&str>, Shown, &str)> {
    let several = trace.clients.len() > 1;
    trace
        .events
        .iter()
        .take(cursor + 1)
        .filter_map(|e| match &e.kind {
            EventKind::Console { line, shown } => Some((
                several.then(|| trace.node_name(e.node)),
                *shown,
                line.as_str(),
            )),
            _ => None,
        })
        .collect()
}

pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback, pal: &Palette) {
    ui.heading(if trace.clients.len() > 1 {
        "The users' terminals"
    } else {
        "The user's terminal"
    });
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
                    let size = pal.font + 1.0;
                    for (who, shown, l) in lines {
                        let col = match shown {
                            Shown::Typed | Shown::Command => egui::Color32::from_rgb(140, 220, 255),
                            Shown::Reply(c) if c >= 400 => egui::Color32::from_rgb(255, 130, 120),
                            _ => egui::Color32::from_gray(235),
                        };
                        let mut job = egui::text::LayoutJob::default();
                        let mut add = |text: RichText| {
                            text.monospace().size(size).append_to(
                                &mut job,
                                ui.style(),
                                egui::FontSelection::Default,
                                egui::Align::Min,
                            );
                        };
                        if let Some(w) = who {
                            add(RichText::new(format!("{w}: "))
                                .strong()
                                .color(egui::Color32::from_rgb(255, 214, 102)));
                        }
                        add(RichText::new(l).color(col));
                        ui.label(job);
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::shipped_trace as trace;

    #[test]
    fn with_several_clients_each_terminal_line_names_its_client() {
        // Seen in the two-client NAT lesson: "ftp> ls" twice in a row and both listings
        // interleaved, with nothing to say whose they were.
        let t = trace("nat-two-clients-active-alg");
        let lines = lines_until(&t, t.events.len() - 1);
        let who: std::collections::BTreeSet<_> = lines.iter().filter_map(|(w, _, _)| *w).collect();
        assert_eq!(who.into_iter().collect::<Vec<_>>(), ["alice", "bob"]);
        assert!(lines.iter().all(|(w, _, _)| w.is_some()));
        let one = trace("active-client-fw-drops");
        assert!(
            lines_until(&one, one.events.len() - 1)
                .iter()
                .all(|(w, _, _)| w.is_none())
        );
    }
}
