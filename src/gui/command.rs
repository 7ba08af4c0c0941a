//! What a person asks the window to do, as data: panels, buttons and keys return
//! `AppCommand`s, and `FtpLabApp::run_command` carries each out in one place (rerun's
//! `UICommand` is the model). Nothing else changes the document, opens a file or moves the
//! playback.

use super::builtin::Entry;
use super::document::Edit;
use super::help::UiCommand;
use super::model::Command;

#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Move the playback (step, play, jump, speed, answer a question…).
    Playback(Command),
    /// A key's command (presentation, predict, zoom, help, the pen…).
    Ui(UiCommand),
    /// Change the lesson.
    Edit(Edit),
    Undo,
    Redo,
    /// Back to the file as loaded or saved.
    Revert,
    /// Open a lesson, an exercise or a capture (asking first when there are unsaved edits).
    Open(Entry),
    OpenDialog,
    SaveAs,
    ExportCapture,
    /// Export ▾ → Picture… (SVG or PNG).
    ExportPicture,
    /// Export ▾ → Handout… (HTML; an exercise's worksheet).
    ExportHandout,
    /// Show the packet inspector (after a click on a packet).
    Inspect,
    /// "Make a scenario from this capture".
    ScenarioFromCapture,
    /// From a capture back to the lesson it was opened over.
    BackToLesson,
    /// The exercise's next hint.
    Hint,
    /// An exercise's answer back to its starting lesson (an edit: it can be undone).
    ResetExercise,
    /// "Save my answer".
    SaveAnswer,
}
