//! Narration: the current event in plain words — which of the four steps it is (in the seed
//! article's words), what happened and, at a firewall, which rule decided and why. At the end of
//! the run it adds the outcome and its diagnosis, naming the blocking rule.

use super::model::Playback;
use super::narrate::narrate;
use super::style::Palette;
use crate::trace::Trace;
use eframe::egui::{self, RichText};

pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback, pal: &Palette) {
    ui.heading("What is happening");
    let (headline, detail) = narrate(trace, pb.cursor);
    if let Some(e) = trace.events.get(pb.cursor) {
        ui.label(
            RichText::new(format!("t = {} at {}", e.time, trace.node_name(e.node)))
                .color(pal.faint)
                .small(),
        );
    }
    if !headline.is_empty() {
        let col = trace.events.get(pb.cursor).map_or(pal.text, |e| {
            if e.step.is_some() {
                pal.channel(e.channel)
            } else {
                pal.text
            }
        });
        ui.label(RichText::new(headline).strong().size(17.0).color(col));
    }
    ui.label(RichText::new(detail).size(15.0));
    let at_end = pb.cursor + 1 >= trace.events.len();
    if at_end {
        ui.add_space(6.0);
        let o = &trace.outcome;
        let (word, col) = if o.success {
            ("It worked.", pal.ok)
        } else {
            ("It failed.", pal.bad)
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!("End of the run: {word}"))
                    .strong()
                    .color(col),
            );
            ui.label(RichText::new(&o.diagnosis).size(15.0));
        });
    }
}
