//! The FTP conversation as the user's terminal shows it (`ftp> ls`, `200 PORT command
//! successful`, `425 …`), up to the cursor: lines later in the run are not shown yet.

use super::model::Playback;
use super::style::Palette;
use crate::ids::NodeId;
use crate::trace::{EventKind, Shown, Trace};
use eframe::egui::{self, RichText};

/// The terminal's lines of `client` (every client's: `None`) up to the cursor.
pub fn lines_until(trace: &Trace, cursor: usize, client: Option<NodeId>) -> Vec<(Shown, &str)> {
    trace
        .events
        .iter()
        .take(cursor + 1)
        .filter(|e| client.is_none_or(|c| e.node == c))
        .filter_map(|e| match &e.kind {
            EventKind::Console { line, shown } => Some((*shown, line.as_str())),
            _ => None,
        })
        .collect()
}

/// The terminals: one per client, side by side (two clients' sessions used to interleave in
/// one box, told apart only by a name before each line); when they would be narrower than
/// 240 points each (more than three clients, a 1024-wide screen), one at a time, picked by
/// name.
pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback, pal: &Palette) {
    let clients: Vec<(NodeId, &str)> = trace
        .clients
        .iter()
        .map(|c| (c.node, c.name.as_str()))
        .collect();
    if clients.len() <= 1 {
        let title = clients
            .first()
            .map_or("The user's terminal", |(n, _)| trace.screen_of(*n));
        ui.heading(title);
        terminal(ui, "transcript", &lines_until(trace, pb.cursor, None), pal);
        return;
    }
    ui.heading("The users' terminals");
    if clients.len() <= 3 && ui.available_width() >= 240.0 * clients.len() as f32 {
        ui.columns(clients.len(), |cols| {
            for (col, (node, name)) in cols.iter_mut().zip(&clients) {
                col.label(RichText::new(*name).strong().color(pal.data));
                let lines = lines_until(trace, pb.cursor, Some(*node));
                terminal(col, &format!("transcript-{name}"), &lines, pal);
            }
        });
        return;
    }
    let id = ui.make_persistent_id("terminal-of");
    let mut k: usize = ui
        .data_mut(|d| d.get_temp(id).unwrap_or(0))
        .min(clients.len() - 1);
    ui.horizontal_wrapped(|ui| {
        for (i, (_, name)) in clients.iter().enumerate() {
            ui.selectable_value(&mut k, i, format!("{name}'s terminal"));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, k));
    let (node, name) = clients[k];
    let lines = lines_until(trace, pb.cursor, Some(node));
    terminal(ui, &format!("transcript-{name}"), &lines, pal);
}

/// One terminal's box: its lines, commands in blue, failing replies in red.
fn terminal(ui: &mut egui::Ui, id: &str, lines: &[(Shown, &str)], pal: &Palette) {
    // A new line that wraps is taller than egui guessed in the frame it appears, and the box
    // stuck to the bottom of the old height (the last line half hidden until something else
    // repainted): one more frame when the lines change.
    let key = ui.make_persistent_id((id, "lines"));
    let before: Option<usize> = ui.data_mut(|d| d.get_temp(key));
    if before != Some(lines.len()) {
        ui.data_mut(|d| d.insert_temp(key, lines.len()));
        ui.ctx().request_repaint();
    }
    egui::Frame::new()
        .fill(egui::Color32::from_gray(24))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(id)
                .stick_to_bottom(true)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    // Left-aligned, never justified (in a column the lines were spread out
                    // letter by letter).
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        if lines.is_empty() {
                            ui.label(
                                RichText::new("(nothing typed yet: press → or Space)")
                                    .monospace()
                                    .color(egui::Color32::from_gray(160)),
                            );
                        }
                        let size = pal.font + 1.0;
                        for (shown, l) in lines {
                            let col = match shown {
                                Shown::Typed | Shown::Command => {
                                    egui::Color32::from_rgb(140, 220, 255)
                                }
                                Shown::Reply(c) if *c >= 400 => {
                                    egui::Color32::from_rgb(255, 130, 120)
                                }
                                _ => egui::Color32::from_gray(235),
                            };
                            ui.label(RichText::new(*l).monospace().size(size).color(col));
                        }
                    });
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::shipped_trace as trace;

    #[test]
    fn each_client_has_its_own_terminal_lines() {
        // Seen in the two-client NAT lesson: "ftp> ls" twice in a row and both listings
        // interleaved in one box.
        let t = trace("nat-two-clients-active-alg");
        let end = t.events.len() - 1;
        let all = lines_until(&t, end, None).len();
        let each: Vec<usize> = t
            .clients
            .iter()
            .map(|c| lines_until(&t, end, Some(c.node)).len())
            .collect();
        assert_eq!(each.len(), 2);
        assert!(each.iter().all(|n| *n > 0));
        assert_eq!(each.iter().sum::<usize>(), all);
    }
}
