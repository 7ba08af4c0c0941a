//! The one place that carries out what a person asked (`AppCommand`): from a key, a button,
//! a click on the ladder or an edit in the controls.

use super::command::AppCommand;
use super::help::UiCommand;
use super::model::{self, Command};
use super::{FtpLabApp, RightTab, Showing, dialogs};

impl FtpLabApp {
    pub fn run_command(&mut self, c: AppCommand) {
        match c {
            AppCommand::Playback(c) => self.apply(c),
            AppCommand::Ui(c) => self.command(c),
            AppCommand::Edit(e) => match self.doc.apply(&e) {
                Ok(()) => self.rerun(),
                Err(why) => self.say(true, format!("Not changed: {why}")),
            },
            AppCommand::Undo => {
                if self.doc.undo() {
                    self.rerun();
                }
            }
            AppCommand::Redo => {
                if self.doc.redo() {
                    self.rerun();
                }
            }
            AppCommand::ResetExercise => {
                if self.doc.reset_to_start() {
                    self.panels.controls = super::controls::ControlsState::default();
                    self.rerun();
                    self.say(
                        false,
                        "Back to the exercise's start. Ctrl+Z (or ↶ Undo) brings your answer back.",
                    );
                }
            }
            AppCommand::Revert => {
                self.doc.revert();
                self.panels.controls = super::controls::ControlsState::default();
                self.rerun();
            }
            AppCommand::Open(e) => self.request_open(e),
            AppCommand::OpenDialog => self.dialog = Some(dialogs::Dialog::open(&self.start_dir())),
            AppCommand::SaveAs => {
                let start = self.start_dir();
                self.dialog = Some(dialogs::Dialog::save_as(&self.doc, &start, None));
            }
            AppCommand::SaveAnswer => self.dialog = Some(dialogs::Dialog::answer()),
            AppCommand::ExportCapture => {
                self.dialog = Some(dialogs::Dialog::export(&self.run.trace));
            }
            AppCommand::ExportPicture => {
                self.dialog = Some(dialogs::Dialog::picture(self.looks.presentation));
            }
            AppCommand::ExportHandout => {
                let start = self.start_dir();
                self.dialog = Some(dialogs::Dialog::handout(&self.doc, &self.showing, &start));
            }
            AppCommand::Inspect => self.right = RightTab::Inspector,
            AppCommand::ScenarioFromCapture => self.scenario_from_capture(),
            AppCommand::BackToLesson => {
                let doc = self.doc.clone();
                self.open_document(doc);
            }
            AppCommand::Hint => {
                if let Showing::Exercise(x) = &mut self.showing {
                    x.hints = (x.hints + 1).min(x.ex.hints.len());
                }
            }
        }
    }

    /// Carry out a command from a key or a button.
    pub fn command(&mut self, c: UiCommand) {
        match c {
            UiCommand::Timeline(c) => self.apply(c),
            UiCommand::NextGranularity => {
                let all = model::Granularity::ALL;
                let k = all
                    .iter()
                    .position(|g| *g == self.playback.granularity)
                    .unwrap_or(0);
                self.apply(Command::SetGranularity(all[(k + 1) % all.len()]));
            }
            UiCommand::Presentation => self.toggle_presentation(),
            UiCommand::Predict => self.toggle_predict(),
            UiCommand::Help => self.show_help = !self.show_help,
            UiCommand::Close => {
                self.show_help = false;
                self.ink.pen = false;
            }
            UiCommand::ZoomIn => self.set_zoom(self.looks.zoom * 1.1),
            UiCommand::ZoomOut => self.set_zoom(self.looks.zoom / 1.1),
            UiCommand::ZoomReset => self.set_zoom(1.0),
            UiCommand::Pen => {
                if self.looks.presentation {
                    self.ink.pen = !self.ink.pen;
                }
            }
            UiCommand::ClearInk => self.ink.clear(),
            UiCommand::Undo => self.queue.push(AppCommand::Undo),
            UiCommand::Redo => self.queue.push(AppCommand::Redo),
            UiCommand::Fullscreen => self.fullscreen = (!self.fullscreen.0, true),
        }
    }
}
