//! Export ▾ → Picture… and Handout…: the same pictures and pages as `ftp-lab export`, of what
//! the window shows (the lesson, the student's answer with its exercise's worksheet, or a
//! capture), at the cursor or at the end, in the window's look.

use super::{Run, Showing};
use crate::export::handout::{self, Source};
use crate::export::picture::{self, View};
use crate::scenario::Scenario;
use eframe::egui;

/// What the window hands an export.
pub struct Context<'a> {
    pub run: &'a Run,
    pub cursor: usize,
    pub showing: &'a Showing,
    pub scenario: &'a Scenario,
    /// The document's name (the file's, without `.ron`).
    pub name: &'a str,
    /// The class session's tally as CSV, while one runs.
    pub tally: Option<String>,
}

/// The choices of Export ▾ → Picture….
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PictureChoice {
    pub view: View,
    /// At the cursor (else at the end of the run).
    pub at_cursor: bool,
    pub presentation: bool,
    pub png: bool,
}

impl PictureChoice {
    pub fn new(presentation: bool) -> PictureChoice {
        PictureChoice {
            view: View::Both,
            at_cursor: true,
            presentation,
            png: false,
        }
    }

    pub fn extension(self) -> &'static str {
        if self.png { "png" } else { "svg" }
    }
}

/// The picture's file: SVG text, or the PNG drawn from it.
pub fn picture_bytes(c: &Context, choice: PictureChoice) -> Result<Vec<u8>, String> {
    let end = c.run.trace.events.len().saturating_sub(1);
    let cursor = if choice.at_cursor {
        c.cursor.min(end)
    } else {
        end
    };
    let svg = crate::export::files::svg(c.run, choice.view, cursor, choice.presentation);
    if choice.png {
        picture::png(&svg, 2.0)
    } else {
        Ok(svg.into_bytes())
    }
}

/// The handout of what the window shows: a lesson's, a capture's report, or the exercise's
/// worksheet.
pub fn handout_html(c: &Context) -> String {
    let file = format!("{}.ron", c.name);
    match c.showing {
        Showing::Lesson => handout::handout(
            c.run,
            &Source::Lesson {
                scenario: c.scenario,
                file: &file,
            },
        ),
        Showing::Exercise(x) => handout::worksheet(&x.ex, c.run),
        Showing::Capture(v) => handout::handout(
            c.run,
            &Source::Capture {
                file: &v.name,
                stats: &v.stats,
                vantage: v.vantage,
            },
        ),
    }
}

/// What the handout of this window is called (a worksheet for an exercise).
pub fn handout_words(showing: &Showing) -> &'static str {
    match showing {
        Showing::Lesson => "Export the handout as",
        Showing::Exercise(_) => "Export the worksheet as",
        Showing::Capture(_) => "Export the capture's report as",
    }
}

/// The picture's choices, in a modal: `Some(true)` to choose the file, `Some(false)` to
/// cancel.
pub fn picture_modal(ctx: &egui::Context, ch: &mut PictureChoice) -> Option<bool> {
    let mut result = None;
    egui::Modal::new(egui::Id::unique("export_picture")).show(ctx, |ui| {
        ui.heading("Export a picture");
        ui.label("The ladder and the network as a drawing for slides and documents.");
        ui.horizontal(|ui| {
            ui.label("Show");
            ui.selectable_value(&mut ch.view, View::Both, "both");
            ui.selectable_value(&mut ch.view, View::Ladder, "the ladder");
            ui.selectable_value(&mut ch.view, View::Topology, "the network");
        });
        ui.horizontal(|ui| {
            ui.label("At");
            ui.selectable_value(&mut ch.at_cursor, true, "the cursor");
            ui.selectable_value(&mut ch.at_cursor, false, "the end of the run");
        });
        ui.checkbox(
            &mut ch.presentation,
            "Presentation look (thicker lines, larger text)",
        );
        ui.horizontal(|ui| {
            ui.label("As");
            ui.selectable_value(&mut ch.png, false, "SVG (text stays text)")
                .on_hover_text("For slides and documents: sharp at any size");
            ui.selectable_value(&mut ch.png, true, "PNG")
                .on_hover_text("A picture at twice the size, drawn from the same SVG");
        });
        ui.horizontal(|ui| {
            if ui.button("Choose the file…").clicked() {
                result = Some(true);
            }
            if ui.button("Cancel").clicked() {
                result = Some(false);
            }
        });
    });
    result
}
