//! Predict mode's question, asked in the middle of the picture: the class answers first, then
//! sees whether it was right, and why. A wrong pick is marked and the class tries again, as
//! many times as it likes; the answer and its explanation come when it picks right or when the
//! teacher clicks "Show the answer". The teacher can note a show of hands per choice, shown
//! beside the answer. The questions come from `questions`.

use super::model::Command;
use super::questions::Question;
use super::style::Palette;
use eframe::egui::{self, RichText};

/// What has happened to the question being asked.
#[derive(Default)]
pub struct PredictState {
    /// The question these are for.
    question: Option<usize>,
    /// The wrong choices tried so far.
    wrong: Vec<usize>,
    /// The answer is shown (picked right, or shown by the teacher).
    revealed: bool,
    /// The class picked the right one (not shown by the teacher).
    picked_right: bool,
    /// Hands counted per choice (the teacher types them; none when nobody did).
    hands: Vec<u32>,
    /// The teacher put the question aside to look at the picture: only the banner shows it.
    pub tucked: bool,
}

impl PredictState {
    /// The question whose answer is shown, if one is.
    pub fn revealed_question(&self) -> Option<usize> {
        self.question.filter(|_| self.revealed)
    }

    /// The class's counts per choice, where the teacher's hands would go.
    pub fn set_hands(&mut self, counts: &[usize]) {
        for (h, c) in self.hands.iter_mut().zip(counts) {
            *h = u32::try_from(*c).unwrap_or(u32::MAX);
        }
    }

    /// The state for question `k`: fresh when another question is asked.
    fn on(&mut self, k: usize, choices: usize) {
        if self.question != Some(k) {
            *self = PredictState {
                question: Some(k),
                hands: vec![0; choices],
                ..PredictState::default()
            };
        }
    }
}

const LETTERS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

fn letter(i: usize) -> &'static str {
    LETTERS.get(i).copied().unwrap_or("·")
}

/// Shows question `k`; returns `Answered(k)` once the class has seen the answer.
pub fn show(
    ctx: &egui::Context,
    st: &mut PredictState,
    k: usize,
    q: &Question,
    pal: &Palette,
) -> Option<Command> {
    // A window sizes itself from its first frame: its last words and the hands' boxes were
    // cut until something else repainted (found by a teacher's fresh eyes). One more frame.
    if st.question != Some(k) {
        ctx.request_repaint();
    }
    st.on(k, q.choices.len());
    if st.tucked {
        return None;
    }
    let mut cmd = None;
    egui::Window::new("Predict")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::new(0.0, -40.0))
        .show(ctx, |ui| {
            ui.set_max_width(560.0);
            ui.label(RichText::new(&q.text).heading());
            if !q.shows.is_empty() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    for l in &q.shows {
                        ui.add(egui::Label::new(RichText::new(l).monospace()).wrap());
                    }
                });
            }
            choices(ui, st, q, pal);
            if st.revealed {
                cmd = revealed(ui, st, k, q, pal);
            } else {
                asking(ui, st, pal);
            }
        });
    cmd
}

/// The choices: buttons until the answer is shown (a wrong one tried is marked ✖), then text
/// with the right one ✔; each with the hands counted for it, when the teacher counts.
fn choices(ui: &mut egui::Ui, st: &mut PredictState, q: &Question, pal: &Palette) {
    // Large enough to read from the back row.
    let size = ui.text_style_height(&egui::TextStyle::Heading);
    let counting = st.hands.iter().any(|h| *h > 0);
    // A grid: the hands' boxes in one column whatever the choices' widths.
    egui::Grid::new("predict-choices").show(ui, |ui| {
        for (i, c) in q.choices.iter().enumerate() {
            let text = format!("{}. {c}", letter(i));
            {
                if st.revealed {
                    let rt = if i == q.answer {
                        RichText::new(format!("✔ {text}")).color(pal.ok).strong()
                    } else if st.wrong.contains(&i) {
                        RichText::new(format!("✖ {text}")).color(pal.bad)
                    } else {
                        RichText::new(format!("   {text}"))
                    };
                    ui.label(rt.size(size));
                } else if st.wrong.contains(&i) {
                    ui.label(RichText::new(format!("✖ {text}")).color(pal.bad).size(size));
                } else if ui.button(RichText::new(text).size(size)).clicked() {
                    if q.check(i) {
                        st.revealed = true;
                        st.picked_right = true;
                    } else {
                        st.wrong.push(i);
                    }
                }
                if counting || !st.revealed {
                    ui.horizontal(|ui| {
                        let label = ui.label(RichText::new("hands:").weak());
                        ui.add(egui::DragValue::new(&mut st.hands[i]).range(0..=999))
                            .labelled_by(label.id);
                    });
                }
            }
            ui.end_row();
        }
    });
}

/// Before the answer: what the last wrong pick means, and the teacher's "Show the answer".
fn asking(ui: &mut egui::Ui, st: &mut PredictState, pal: &Palette) {
    let size = ui.text_style_height(&egui::TextStyle::Heading);
    match st.wrong.last() {
        Some(w) => {
            ui.label(
                RichText::new(format!(
                    "✖ Not {}. Try another answer, or show the answer.",
                    letter(*w)
                ))
                .color(pal.bad)
                .strong()
                .size(size),
            );
        }
        None => {
            ui.label(
                RichText::new(
                    "Pick an answer (any number of tries); the run goes on once the class has \
                     seen the answer.",
                )
                .weak(),
            );
        }
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(RichText::new("Show the answer").size(size))
            .on_hover_text("Reveal the right answer and why, without another try")
            .clicked()
        {
            st.revealed = true;
        }
        if ui
            .button(RichText::new("Look at the picture").size(size))
            .on_hover_text(
                "Put the question aside to look at the network and the diagram; the question \
                 stays in a banner above the diagram",
            )
            .clicked()
        {
            st.tucked = true;
        }
    });
}

/// The question in a banner above the diagram: always in presentation mode (the back row
/// reads it while the teacher moves the question aside), and whenever it is put aside, with a
/// button that brings it back.
pub fn banner(ui: &mut egui::Ui, st: &mut PredictState, k: usize, q: &Question, pal: &Palette) {
    st.on(k, q.choices.len());
    egui::Frame::new()
        .fill(pal.highlight)
        .inner_margin(egui::Margin::symmetric(8, 4))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                let label = if st.tucked {
                    "Answer ▸"
                } else {
                    "Look at the picture"
                };
                if ui.button(RichText::new(label).strong()).clicked() {
                    st.tucked = !st.tucked;
                }
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("Question: {}", q.text))
                            .strong()
                            .color(pal.text),
                    )
                    .wrap(),
                );
            });
        });
}

/// After the answer: right or not at the first try, why, the hands' tally, and Continue.
fn revealed(
    ui: &mut egui::Ui,
    st: &mut PredictState,
    k: usize,
    q: &Question,
    pal: &Palette,
) -> Option<Command> {
    let size = ui.text_style_height(&egui::TextStyle::Heading);
    let (word, col) = match (st.picked_right, st.wrong.len()) {
        (true, 0) => ("✔ Right.".to_owned(), pal.ok),
        (true, n) => (format!("✔ Right, after {n} wrong."), pal.ok),
        (false, _) => (format!("The answer is {}.", letter(q.answer)), pal.text),
    };
    ui.label(
        RichText::new(format!("{word} {}", q.explain))
            .color(col)
            .strong()
            .size(size),
    );
    let total: u32 = st.hands.iter().sum();
    let right = st.hands.get(q.answer).copied().unwrap_or(0);
    if let Some(pct) = (right * 100).checked_div(total) {
        ui.label(
            RichText::new(format!(
                "Hands: {right} of {total} chose {} ({pct} %)",
                letter(q.answer)
            ))
            .size(size),
        );
    }
    if ui.button(RichText::new("Continue ▶").size(size)).clicked() {
        *st = PredictState::default();
        return Some(Command::Answered(k));
    }
    None
}
