//! The panels' one small trait, in the manner of egui's demo `View`: a panel owns its own
//! state (what is selected, scrolled, followed), reads the run and the playback, and returns
//! what the user asked for. It never changes the run, the playback or the document itself.

use super::command::AppCommand;
use super::model::{Command, Playback};
use super::style::Palette;
use super::{Run, events, inspector, ladder, narration, plot, topology, transcript};
use eframe::egui;

/// What every panel reads.
pub struct Seen<'a> {
    pub run: &'a Run,
    pub playback: &'a Playback,
    pub pal: &'a Palette,
}

pub trait Panel {
    fn ui(&mut self, ui: &mut egui::Ui, seen: &Seen) -> Vec<AppCommand>;
}

/// A playback command, and "show the inspector" when the click asked for it.
fn cmds(c: Option<(Command, bool)>) -> Vec<AppCommand> {
    match c {
        Some((c, inspect)) => {
            let mut v = vec![AppCommand::Playback(c)];
            if inspect {
                v.push(AppCommand::Inspect);
            }
            v
        }
        None => Vec::new(),
    }
}

/// The story: what is happening, in plain words.
pub struct Narration;

impl Panel for Narration {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        narration::show(ui, &s.run.trace, s.playback, s.pal);
        Vec::new()
    }
}

/// The user's terminal.
pub struct Terminal;

impl Panel for Terminal {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        transcript::show(ui, &s.run.trace, s.playback, s.pal);
        Vec::new()
    }
}

impl Panel for inspector::InspectorState {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        inspector::show(ui, self, &s.run.trace, s.playback, s.pal)
            .map(AppCommand::Playback)
            .into_iter()
            .collect()
    }
}

impl Panel for ladder::LadderState {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        cmds(ladder::show(ui, self, s.run, s.playback, s.pal))
    }
}

impl Panel for events::EventsState {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        events::show(ui, self, &s.run.trace, s.playback, s.pal)
            .map(AppCommand::Playback)
            .into_iter()
            .collect()
    }
}

/// The time–sequence plot.
pub struct Plot;

impl Panel for Plot {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        plot::show(ui, &s.run.trace, s.playback, s.pal)
            .map(AppCommand::Playback)
            .into_iter()
            .collect()
    }
}

/// The network view, at a height the window chooses; it keeps where it drew the node boxes.
#[derive(Default)]
pub struct Network {
    pub height: f32,
    pub drawn: topology::Drawn,
}

impl Panel for Network {
    fn ui(&mut self, ui: &mut egui::Ui, s: &Seen) -> Vec<AppCommand> {
        let (c, drawn) = topology::show(ui, self.height, s.run, s.playback, s.pal);
        self.drawn = drawn;
        cmds(c)
    }
}
