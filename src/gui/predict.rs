//! Predict mode's question, asked in the middle of the picture: the class answers first, then
//! sees whether it was right, and why. The questions come from `questions`.

use super::model::Command;
use super::questions::Question;
use super::style::Palette;
use eframe::egui::{self, RichText};

/// The answer picked for the question being asked.
#[derive(Default)]
pub struct PredictState {
    picked: Option<(usize, usize)>,
}

const LETTERS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// Shows question `k`; returns `Answered(k)` once the class has seen the answer.
pub fn show(
    ctx: &egui::Context,
    st: &mut PredictState,
    k: usize,
    q: &Question,
    pal: &Palette,
) -> Option<Command> {
    let mut cmd = None;
    egui::Window::new("Predict")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::new(0.0, -40.0))
        .show(ctx, |ui| {
            ui.set_max_width(520.0);
            ui.label(RichText::new(&q.text).heading());
            if !q.shows.is_empty() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    for l in &q.shows {
                        ui.add(egui::Label::new(RichText::new(l).monospace()).wrap());
                    }
                });
            }
            let picked = st.picked.filter(|(qk, _)| *qk == k).map(|(_, c)| c);
            // Large enough to read from the back row; once answered, the choices become plain
            // text: the right one marked ✔ in green, a wrong pick ✖ in red.
            let size = ui.text_style_height(&egui::TextStyle::Heading);
            for (i, c) in q.choices.iter().enumerate() {
                let text = format!("{}. {c}", LETTERS.get(i).copied().unwrap_or("·"));
                match picked {
                    None => {
                        if ui.button(RichText::new(text).size(size)).clicked() {
                            st.picked = Some((k, i));
                        }
                    }
                    Some(p) => {
                        let rt = if i == q.answer {
                            RichText::new(format!("✔ {text}")).color(pal.ok).strong()
                        } else if i == p {
                            RichText::new(format!("✖ {text}")).color(pal.bad)
                        } else {
                            RichText::new(format!("   {text}"))
                        };
                        ui.label(rt.size(size));
                    }
                }
            }
            if let Some(p) = picked {
                let (word, col) = if q.check(p) {
                    ("✔ Right.", pal.ok)
                } else {
                    ("✖ Not quite.", pal.bad)
                };
                ui.label(
                    RichText::new(format!("{word} {}", q.explain))
                        .color(col)
                        .strong()
                        .size(size),
                );
                if ui.button(RichText::new("Continue ▶").size(size)).clicked() {
                    st.picked = None;
                    cmd = Some(Command::Answered(k));
                }
            } else {
                ui.label(
                    RichText::new("Pick an answer; the run goes on once the class has seen it.")
                        .weak(),
                );
            }
        });
    cmd
}
