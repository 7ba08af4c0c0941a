//! Dialogs: "Open…", "Save as…" and Export ▾ (capture, picture, handout) use a file dialog drawn in egui (the
//! `egui_file` crate), starting in the last folder used or the user's documents; saving is
//! atomic (a temp file, then rename) and says where it wrote, with the full path. The
//! unsaved-changes question, and the capture point for an export, are small modals.

use super::Document;
use super::builtin::Entry;
use super::exporting::Context;
use crate::export::pcap;
use crate::ids::NodeId;
use crate::trace::Trace;
use eframe::egui::{self, RichText};
use egui_file::FileDialog;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to do once the question is answered.
#[derive(Clone, Debug)]
pub enum Next {
    Open(Entry),
    Close,
    Nothing,
}

/// What a file dialog is for.
#[derive(Clone, Debug)]
pub enum Purpose {
    Open,
    SaveAs(Option<Next>),
    /// A student's answer to an exercise, with the student's name.
    SaveAnswer(String),
    Export(NodeId),
    Picture(super::exporting::PictureChoice),
    Handout,
    /// The class session's tally, as CSV.
    Tally,
}

pub enum Dialog {
    Unsaved {
        next: Next,
    },
    /// "Save my answer": the student's name, before the file is chosen.
    Student {
        name: String,
    },
    /// The capture point of an export, before the file is chosen.
    ExportAt {
        at: NodeId,
    },
    /// What a picture shows, before the file is chosen.
    Picture {
        choice: super::exporting::PictureChoice,
    },
    File {
        dialog: Box<FileDialog>,
        purpose: Purpose,
    },
}

pub enum Outcome {
    Keep(Dialog),
    /// Done; a message for the user (`true`: an error) and, when a file was written or
    /// opened, its folder (the next dialog starts there).
    Done(Option<(bool, String)>, Option<PathBuf>),
    Proceed(Next),
    SaveThen(Next),
    Open(PathBuf),
}

impl Dialog {
    pub fn save_as(doc: &Document, start: &Path, then: Option<Next>) -> Dialog {
        let name = if doc.name.ends_with("-edited") || !doc.dirty() {
            format!("{}.ron", doc.name)
        } else {
            format!("{}-edited.ron", doc.name)
        };
        let mut d = FileDialog::save_file()
            .title("Save the lesson as")
            .initial_path(start.to_path_buf())
            .default_filename(name)
            .filename_filter(Box::new(|n: &str| n.ends_with(".ron")));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::SaveAs(then),
        }
    }

    /// "Save my answer": asks the student's name first.
    pub fn answer() -> Dialog {
        Dialog::Student {
            name: String::new(),
        }
    }

    /// The file dialog for an answer by `student`, named after the exercise and the student.
    fn answer_file(doc: &Document, student: String, start: &Path) -> Dialog {
        let exercise = doc.scenario().exercise.clone().unwrap_or_default();
        let mut d = FileDialog::save_file()
            .title("Save my answer as")
            .initial_path(start.to_path_buf())
            .default_filename(format!("{exercise}-{}.ron", slug(&student)))
            .filename_filter(Box::new(|n: &str| n.ends_with(".ron")));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::SaveAnswer(student),
        }
    }

    pub fn open(start: &Path) -> Dialog {
        let mut d = FileDialog::open_file()
            .title("Open a lesson (.ron) or a capture (.pcap, .pcapng)")
            .initial_path(start.to_path_buf())
            .show_files_filter(Box::new(|p: &Path| {
                p.extension()
                    .is_some_and(|e| e == "ron" || super::is_capture(p))
            }));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::Open,
        }
    }

    pub fn unsaved(next: Next) -> Dialog {
        Dialog::Unsaved { next }
    }

    pub fn export(trace: &Trace) -> Dialog {
        let at = trace
            .nodes
            .iter()
            .position(|n| n.kind == crate::trace::NodeKind::Client)
            .map_or(NodeId(0), NodeId::new);
        Dialog::ExportAt { at }
    }

    pub fn picture(presentation: bool) -> Dialog {
        Dialog::Picture {
            choice: super::exporting::PictureChoice::new(presentation),
        }
    }

    fn picture_file(
        doc: &Document,
        choice: super::exporting::PictureChoice,
        start: &Path,
    ) -> Dialog {
        let ext = choice.extension();
        let mut d = FileDialog::save_file()
            .title("Export the picture as")
            .initial_path(start.to_path_buf())
            .default_filename(format!("{}.{ext}", doc.name));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::Picture(choice),
        }
    }

    pub fn tally(doc: &Document, start: &Path) -> Dialog {
        let mut d = FileDialog::save_file()
            .title("Export the class's answers as")
            .initial_path(start.to_path_buf())
            .default_filename(format!("{}-class.csv", doc.name));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::Tally,
        }
    }

    pub fn handout(doc: &Document, showing: &super::Showing, start: &Path) -> Dialog {
        let mut d = FileDialog::save_file()
            .title(super::exporting::handout_words(showing))
            .initial_path(start.to_path_buf())
            .default_filename(format!("{}.html", doc.name));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::Handout,
        }
    }

    fn export_file(doc: &Document, trace: &Trace, at: NodeId, start: &Path) -> Dialog {
        let mut d = FileDialog::save_file()
            .title("Export the capture as")
            .initial_path(start.to_path_buf())
            .default_filename(format!("{}-at-{}.pcap", doc.name, trace.node_name(at)));
        d.open();
        Dialog::File {
            dialog: Box::new(d),
            purpose: Purpose::Export(at),
        }
    }
}

/// Write `bytes` to `path` atomically: a temp file beside it, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.ftp-lab-tmp"));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// The words "Save as" adds to an edited lesson's description (replaced, not repeated, when
/// it is saved again).
const EDITED: &str = "Edited in FTP Lab:";
/// The words "Save my answer" puts before the student's name in the description.
const ANSWER: &str = "Answer by";
/// The longest student name kept (characters).
const NAME_CHARS: usize = 60;

/// A name as a file name's part: letters and digits, the rest as single dashes, at most 40.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(40).collect();
    if out.is_empty() {
        "answer".to_owned()
    } else {
        out
    }
}

/// A typed name as the file keeps it: printable, one line, at most 60 characters.
fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(NAME_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// What "Save as" adds to an edited lesson's title.
const EDITED_TITLE: &str = " (edited: ";

/// The title without what an earlier save added.
fn own_title(title: &str) -> &str {
    title.find(EDITED_TITLE).map_or(title, |k| &title[..k])
}

/// The description without what an earlier save added (the student, the edit).
fn own_words(description: &str) -> &str {
    let end = [EDITED, ANSWER]
        .iter()
        .filter_map(|m| description.find(&format!("\n\n{m}")))
        .min()
        .unwrap_or(description.len());
    description[..end].trim_end()
}

/// What a saved file says of itself: an `expect` its own run meets (an edited lesson kept
/// the old one, so `ftp-lab run` on it said "NOT as expected" and exited 1), and, when it was
/// edited, a description that says so and how the run now ends. A file that cannot run gets
/// no expectation, and the returned note (a comment for the file's top) says why.
fn as_saved(doc: &Document, student: Option<&str>) -> (crate::Scenario, &'static str) {
    let mut s = doc.scenario().clone();
    let edited = s != *doc.saved();
    let run = crate::simulate(&s.without_expectation());
    let mut description = own_words(&s.description).to_owned();
    if let Some(name) = student {
        description.push_str(&format!("\n\n{ANSWER} {name}."));
    }
    let note = match &run {
        Ok(t) => {
            s.expect = crate::expectation_of(t);
            if edited {
                let end = if t.outcome.success { "works" } else { "fails" };
                // A fixed lesson kept its title ("… drops inbound connections") and told
                // the wrong ending first.
                s.title = format!("{}{EDITED_TITLE}the transfer {end})", own_title(&s.title));
                description.push_str(&format!(
                    "\n\n{EDITED} in this copy the transfer {end}: {}",
                    t.outcome.diagnosis
                ));
            }
            ""
        }
        Err(_) => {
            s = s.without_expectation();
            "// This setup cannot run yet, so the file expects nothing of it.\n"
        }
    };
    if edited || student.is_some() {
        s.description = description.trim_start().to_owned();
    }
    (s, note)
}

/// Save the document to `path` and mark it saved.
pub fn save(doc: &mut Document, path: &Path) -> Result<(), String> {
    save_by(doc, path, None)
}

/// Save the document (a student's answer when `student` is given) and mark it saved.
fn save_by(doc: &mut Document, path: &Path, student: Option<&str>) -> Result<(), String> {
    let (written, note) = as_saved(doc, student);
    let text = format!("// Saved by FTP Lab.\n{note}{}\n", written.to_ron()?);
    write_atomic(path, text.as_bytes())
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    doc.mark_saved(path, written);
    Ok(())
}

fn full(p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    std::fs::canonicalize(&p).unwrap_or(p)
}

fn folder_of(p: &Path) -> Option<PathBuf> {
    p.parent().map(Path::to_path_buf)
}

/// `p` with the `.ron` extension (added when it has another or none).
fn ron(p: &Path) -> PathBuf {
    if p.extension().is_some_and(|e| e == "ron") {
        p.to_path_buf()
    } else {
        p.with_extension("ron")
    }
}

/// What a save comes to: go on to `then`, or say where it wrote (or why not).
fn saved(r: Result<(), String>, p: &Path, then: Option<Next>, folder: Option<PathBuf>) -> Outcome {
    match r {
        Ok(()) => match then {
            Some(n) => Outcome::Proceed(n),
            None => Outcome::Done(
                Some((false, format!("Saved to {}", full(p).display()))),
                folder,
            ),
        },
        Err(e) => Outcome::Done(Some((true, e)), None),
    }
}

/// A chosen file: what the purpose asks of it.
fn chosen(purpose: Purpose, p: &Path, doc: &mut Document, ex: &Context) -> Outcome {
    let folder = folder_of(p);
    let trace = &ex.run.trace;
    match purpose {
        Purpose::Picture(choice) => {
            let r = super::exporting::picture_bytes(ex, choice);
            exported(r, p, "the picture", folder)
        }
        Purpose::Handout => {
            let page = super::exporting::handout_html(ex).into_bytes();
            exported(Ok(page), p, "the page", folder)
        }
        Purpose::Tally => {
            let csv = ex
                .tally
                .clone()
                .ok_or_else(|| "the class session has ended".to_owned())
                .map(String::into_bytes);
            exported(csv, p, "the class's answers", folder)
        }
        Purpose::Open => Outcome::Open(p.to_path_buf()),
        Purpose::SaveAs(then) => saved(save(doc, &ron(p)), &ron(p), then, folder),
        Purpose::SaveAnswer(student) => {
            let p = ron(p);
            saved(save_by(doc, &p, Some(&student)), &p, None, folder)
        }
        Purpose::Export(at) => {
            let mut buf = Vec::new();
            let r = pcap::write(trace, at, &mut buf)
                .map_err(|e| e.to_string())
                .and_then(|n| {
                    write_atomic(p, &buf)
                        .map(|()| n)
                        .map_err(|e| format!("could not write {}: {e}", p.display()))
                });
            match r {
                Ok(n) => Outcome::Done(
                    Some((
                        false,
                        format!(
                            "Wrote {n} packets seen at {} to {}",
                            trace.node_name(at),
                            full(p).display()
                        ),
                    )),
                    folder,
                ),
                Err(e) => Outcome::Done(Some((true, e)), None),
            }
        }
    }
}

/// Writes an export's bytes, and says where.
fn exported(r: Result<Vec<u8>, String>, p: &Path, what: &str, folder: Option<PathBuf>) -> Outcome {
    let r = r.and_then(|b| {
        write_atomic(p, &b).map_err(|e| format!("could not write {}: {e}", p.display()))
    });
    match r {
        Ok(()) => Outcome::Done(
            Some((false, format!("Wrote {what} to {}", full(p).display()))),
            folder,
        ),
        Err(e) => Outcome::Done(Some((true, e)), None),
    }
}

pub fn show(
    ctx: &egui::Context,
    d: Dialog,
    doc: &mut Document,
    ex: &Context,
    start: &Path,
) -> Outcome {
    let trace = &ex.run.trace;
    match d {
        Dialog::Picture { mut choice } => match super::exporting::picture_modal(ctx, &mut choice) {
            Some(true) => Outcome::Keep(Dialog::picture_file(doc, choice, start)),
            Some(false) => Outcome::Done(None, None),
            None => Outcome::Keep(Dialog::Picture { choice }),
        },
        Dialog::File {
            mut dialog,
            purpose,
        } => {
            dialog.show(ctx);
            if dialog.selected()
                && let Some(p) = dialog.path().map(Path::to_path_buf)
            {
                return chosen(purpose, &p, doc, ex);
            }
            if dialog.visible() {
                Outcome::Keep(Dialog::File { dialog, purpose })
            } else {
                Outcome::Done(None, None)
            }
        }
        Dialog::Unsaved { next } => unsaved(ctx, next),
        Dialog::Student { name } => student(ctx, name, doc, start),
        Dialog::ExportAt { mut at } => {
            let mut result = None;
            egui::Modal::new(egui::Id::unique("export_at")).show(ctx, |ui| {
                ui.heading("Export capture (pcap)");
                ui.label("A capture of the run as seen at one node; Wireshark opens it.");
                egui::ComboBox::from_label("Capture at")
                    .selected_text(trace.node_name(at))
                    .show_ui(ui, |ui| {
                        for (i, n) in trace.nodes.iter().enumerate() {
                            ui.selectable_value(&mut at, NodeId::new(i), &n.name);
                        }
                    });
                ui.horizontal(|ui| {
                    if ui.button("Choose the file…").clicked() {
                        result = Some(Outcome::Keep(Dialog::export_file(doc, trace, at, start)));
                    }
                    if ui.button("Cancel").clicked() {
                        result = Some(Outcome::Done(None, None));
                    }
                });
            });
            result.unwrap_or(Outcome::Keep(Dialog::ExportAt { at }))
        }
    }
}

/// "Save my answer": the student's name (it goes in the file and in its name), then the file.
fn student(ctx: &egui::Context, mut name: String, doc: &Document, start: &Path) -> Outcome {
    let mut result = None;
    egui::Modal::new(egui::Id::unique("student_name")).show(ctx, |ui| {
        ui.heading("Save my answer");
        let label = ui.label("Your name (it goes in the file and in its name):");
        let r = ui
            .add(egui::TextEdit::singleline(&mut name).desired_width(320.0))
            .labelled_by(label.id);
        if name.is_empty() && !r.has_focus() {
            r.request_focus();
        }
        let clean = clean_name(&name);
        let ok = clean.chars().any(char::is_alphanumeric);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            let go = ui.add_enabled(ok, egui::Button::new("Choose the file…"));
            if ok && (go.clicked() || enter) {
                result = Some(Outcome::Keep(Dialog::answer_file(
                    doc,
                    clean.clone(),
                    start,
                )));
            }
            if ui.button("Cancel").clicked() {
                result = Some(Outcome::Done(None, None));
            }
        });
    });
    result.unwrap_or(Outcome::Keep(Dialog::Student { name }))
}

fn unsaved(ctx: &egui::Context, next: Next) -> Outcome {
    let mut result = None;
    egui::Modal::new(egui::Id::unique("unsaved")).show(ctx, |ui| {
        ui.heading("Unsaved changes");
        ui.label("You changed this scenario and have not saved it.");
        ui.horizontal(|ui| {
            if ui.button("Save as…").clicked() {
                result = Some(Outcome::SaveThen(next.clone()));
            }
            if ui.button("Discard changes").clicked() {
                result = Some(Outcome::Proceed(next.clone()));
            }
            if ui.button("Cancel").clicked() {
                result = Some(Outcome::Proceed(Next::Nothing));
            }
        });
        ui.label(RichText::new("Esc: cancel").weak());
    });
    result.unwrap_or(Outcome::Keep(Dialog::Unsaved { next }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_students_name_is_kept_printable_and_made_a_file_name() {
        assert_eq!(slug("Alice Martin"), "alice-martin");
        assert_eq!(slug("  Zoë  O'Brien!! "), "zoë-o-brien");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("***"), "answer");
        assert_eq!(clean_name("Bob\u{1b}[2J\n"), "Bob[2J");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), NAME_CHARS);
    }

    #[test]
    fn saving_again_replaces_what_an_earlier_save_added() {
        let d = "The lesson.\n\nAnswer by Ann.\n\nEdited in FTP Lab: in this copy …";
        assert_eq!(own_words(d), "The lesson.");
        assert_eq!(own_words("Plain."), "Plain.");
    }
}
