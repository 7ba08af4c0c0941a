//! Opening what the window shows: a lesson (from a file or the built-in copies), an exercise
//! (its starting scenario becomes the student's answer), or a real capture (explained, with
//! the lesson kept to come back to).

use super::builtin::{self, Entry};
use super::{DEFAULT_SCENARIO, is_capture};
use super::{Document, ExerciseState, FtpLabApp, Showing, dialogs, files};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Reads a lesson file into a document.
pub(super) fn load_document(path: &Path) -> Result<Document, String> {
    let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
    let name = path.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    // Remember it by its full path, so "the last scenario" opens from any directory.
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Document::new(Some(path), name, scenario))
}

/// The lesson the window opens with: the file given (unless it is a capture or an
/// exercise, which open over the default lesson), or the default one; and the error of a file
/// that could not be read.
pub(super) fn first_document(path: Option<&Path>) -> (Document, Option<String>) {
    let over_default =
        path.is_some_and(|p| is_capture(p) || crate::exercise::Exercise::load(p).is_ok());
    match path {
        Some(p) if !over_default => match load_document(p) {
            Ok(d) => (d, None),
            Err(e) => (builtin::default_document(), Some(e)),
        },
        _ => {
            let p = Path::new("scenarios").join(DEFAULT_SCENARIO);
            (
                load_document(&p).unwrap_or_else(|_| builtin::default_document()),
                None,
            )
        }
    }
}

/// A capture or an exercise given on the command line opens over the default lesson; a
/// student's saved answer opens as the exercise it answers.
pub(super) fn open_argument(app: &mut FtpLabApp, path: Option<&Path>) {
    let Some(p) = path else { return };
    if is_capture(p) {
        if let Err(e) = app.open_capture(p) {
            app.say(true, e);
        }
    } else if let Ok(ex) = crate::exercise::Exercise::load(p) {
        app.open_exercise(ex);
    } else if let Some((ex, doc)) = answer(p) {
        app.open_answer(ex, doc);
    }
}

/// A saved answer (a lesson file marked `exercise: "…"`) and the shipped exercise it answers.
/// It used to reopen as a plain lesson, without the task or the checklist.
fn answer(p: &Path) -> Option<(crate::exercise::Exercise, Document)> {
    let doc = load_document(p).ok()?;
    let id = doc.scenario().exercise.clone()?;
    // An exercise's name, not a path.
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let file = files::shipped_dir("exercises")?.join(format!("{id}.ron"));
    let ex = crate::exercise::Exercise::load(&file).ok()?;
    Some((ex, doc))
}

impl FtpLabApp {
    /// Opens an exercise: its starting scenario becomes the student's answer.
    pub fn open_exercise(&mut self, ex: crate::exercise::Exercise) {
        let scenario = ex.starting_answer();
        let doc = Document::new(None, format!("{}-answer", ex.id), scenario);
        self.open_answer(ex, doc);
    }

    /// Opens an exercise with `doc` as the student's answer (its start, or a saved answer).
    fn open_answer(&mut self, ex: crate::exercise::Exercise, mut doc: Document) {
        doc.lock(ex.starting_answer());
        self.open_document(doc);
        // The task, the checklist and the rule editor live in the controls panel.
        self.show_controls = true;
        let grade = ex.grade(self.doc.scenario(), "your answer");
        self.showing = Showing::Exercise(Box::new(ExerciseState {
            ex,
            grade,
            hints: 0,
        }));
    }

    /// Replace the document (after the unsaved-changes question, if any).
    pub fn open_document(&mut self, doc: Document) {
        let prev = std::mem::replace(&mut self.doc, doc);
        self.showing = Showing::Lesson;
        self.panels.controls = super::controls::ControlsState::default();
        if let Some(p) = &self.doc.path {
            files::remember(&mut self.recent, p);
        }
        let job = super::jobs::Job::simulate(
            self.doc.scenario(),
            super::jobs::Undo::Open(Box::new(prev)),
            true,
        );
        self.launch(job);
    }

    /// Explain a capture file and show it (the document stays, to come back to). An error
    /// that comes at once is returned; a later one is said when the reading ends.
    pub fn open_capture(&mut self, path: &Path) -> Result<(), String> {
        match super::jobs::Job::explain(path) {
            (_, Some(super::jobs::Done::Explained(Err(e), _))) => Err(e),
            job => {
                self.launch(job);
                Ok(())
            }
        }
    }

    /// "Make a scenario from this capture": a lesson that does what the capture shows, opened
    /// as a new, unsaved document.
    pub fn scenario_from_capture(&mut self) {
        let Some(c) = self.capture().cloned() else {
            return;
        };
        let scenario = crate::capture::scenario::from_trace(&self.run.trace, &c.name);
        let stem = c.name.rsplit_once('.').map_or(c.name.as_str(), |(a, _)| a);
        self.open_document(Document::new(None, format!("from-{stem}"), scenario));
        let o = &self.run.trace.outcome;
        let words = if o.success { "it works" } else { "it fails" };
        self.say(
            false,
            format!("Made a lesson from {}: simulated, {words}. Edit the rules on the left to change that; Save as… keeps it.", c.name),
        );
    }

    /// Opens what a file is: a capture, or a lesson.
    pub fn open_path(&mut self, p: PathBuf) {
        if is_capture(&p) {
            if let Err(e) = self.open_capture(&p) {
                self.say(true, e);
            }
        } else {
            self.request_open(Entry::File(p));
        }
    }

    /// Open a scenario, asking first when there are unsaved edits.
    pub fn request_open(&mut self, target: Entry) {
        if self.doc.dirty() {
            self.dialog = Some(dialogs::Dialog::unsaved(dialogs::Next::Open(target)));
        } else {
            self.open_entry(target);
        }
    }

    pub(super) fn open_entry(&mut self, target: Entry) {
        if let Entry::File(p) = &target
            && let Ok(ex) = crate::exercise::Exercise::load(p)
        {
            self.toast = None;
            self.open_exercise(ex);
            return;
        }
        if let Entry::File(p) = &target
            && let Some((ex, doc)) = answer(p)
        {
            self.toast = None;
            self.open_answer(ex, doc);
            return;
        }
        match target.load() {
            Ok(d) => {
                self.toast = None;
                self.open_document(d);
            }
            Err(e) => self.say(true, e),
        }
    }

    /// Where file dialogs start.
    pub(super) fn start_dir(&self) -> PathBuf {
        files::start_dir(self.last_folder.as_deref())
    }
}
