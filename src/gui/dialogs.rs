//! Modal dialogs: "Save as" (atomic: a temp file, then rename), the unsaved-changes question,
//! and "Export capture" (a pcap of the run as seen at one node, like `run --pcap`).

use super::Document;
use super::builtin::Entry;
use crate::export::pcap;
use crate::ids::NodeId;
use crate::trace::Trace;
use eframe::egui::{self, RichText};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to do once the question is answered.
#[derive(Clone, Debug)]
pub enum Next {
    Open(Entry),
    Close,
    Nothing,
}

pub enum Dialog {
    SaveAs {
        path: String,
        error: Option<String>,
        then: Option<Next>,
    },
    Unsaved {
        next: Next,
    },
    Export {
        at: NodeId,
        path: String,
        error: Option<String>,
    },
}

pub enum Outcome {
    Keep(Dialog),
    Done(Option<(bool, String)>),
    Proceed(Next),
    SaveThen(Next),
}

impl Dialog {
    pub fn save_as(doc: &Document, then: Option<Next>) -> Dialog {
        let path = match &doc.path {
            Some(p) if doc.dirty() => {
                let stem = p.file_stem().map_or_else(
                    || "scenario".to_owned(),
                    |s| s.to_string_lossy().into_owned(),
                );
                let stem = if stem.ends_with("-edited") {
                    stem
                } else {
                    format!("{stem}-edited")
                };
                p.with_file_name(format!("{stem}.ron"))
            }
            Some(p) => p.clone(),
            None => PathBuf::from("scenarios").join(format!("{}-edited.ron", doc.name)),
        };
        Dialog::SaveAs {
            path: path.display().to_string(),
            error: None,
            then,
        }
    }

    pub fn unsaved(next: Next) -> Dialog {
        Dialog::Unsaved { next }
    }

    pub fn export(doc: &Document, trace: &Trace) -> Dialog {
        let at = trace
            .nodes
            .iter()
            .position(|n| n.kind == crate::trace::NodeKind::Client)
            .map_or(NodeId(0), NodeId::new);
        let at_name = trace.node_name(at).to_owned();
        Dialog::Export {
            at,
            path: format!("{}-at-{at_name}.pcap", doc.name),
            error: None,
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

/// Save the document to `path` and mark it saved.
pub fn save(doc: &mut Document, path: &Path) -> Result<(), String> {
    let text = format!("// Saved by FTP Lab.\n{}\n", doc.scenario.to_ron());
    write_atomic(path, text.as_bytes())
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    doc.saved = doc.scenario.clone();
    doc.path = Some(path.to_path_buf());
    doc.name = path
        .file_stem()
        .map_or_else(|| doc.name.clone(), |s| s.to_string_lossy().into_owned());
    Ok(())
}

/// The "File:" field of a dialog, with the last error under it.
fn file_field(ui: &mut egui::Ui, path: &mut String, error: Option<&str>) {
    ui.horizontal(|ui| {
        let l = ui.label("File:");
        ui.add(egui::TextEdit::singleline(path).desired_width(360.0))
            .labelled_by(l.id);
    });
    if let Some(e) = error {
        ui.label(RichText::new(e).color(egui::Color32::from_rgb(205, 20, 30)));
    }
}

pub fn show(ctx: &egui::Context, d: Dialog, doc: &mut Document, trace: &Trace) -> Outcome {
    match d {
        Dialog::SaveAs {
            mut path,
            mut error,
            then,
        } => {
            let mut result = None;
            egui::Modal::new(egui::Id::unique("save_as")).show(ctx, |ui| {
                ui.heading("Save scenario as");
                file_field(ui, &mut path, error.as_deref());
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        let p = PathBuf::from(path.trim());
                        if p.extension().is_none_or(|e| e != "ron") {
                            error = Some("The file name must end in .ron".to_owned());
                        } else {
                            match save(doc, &p) {
                                Ok(()) => {
                                    result = Some(match &then {
                                        Some(n) => Outcome::Proceed(n.clone()),
                                        None => Outcome::Done(Some((
                                            false,
                                            format!("Saved {}", p.display()),
                                        ))),
                                    });
                                }
                                Err(e) => error = Some(e),
                            }
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        result = Some(Outcome::Done(None));
                    }
                });
            });
            result.unwrap_or(Outcome::Keep(Dialog::SaveAs { path, error, then }))
        }
        Dialog::Unsaved { next } => {
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
            });
            result.unwrap_or(Outcome::Keep(Dialog::Unsaved { next }))
        }
        Dialog::Export {
            mut at,
            mut path,
            mut error,
        } => {
            let mut result = None;
            egui::Modal::new(egui::Id::unique("export")).show(ctx, |ui| {
                ui.heading("Export capture (pcap)");
                ui.label("A capture of the run as seen at one node; Wireshark opens it.");
                egui::ComboBox::from_label("Capture at")
                    .selected_text(trace.node_name(at))
                    .show_ui(ui, |ui| {
                        for (i, n) in trace.nodes.iter().enumerate() {
                            ui.selectable_value(&mut at, NodeId::new(i), &n.name);
                        }
                    });
                file_field(ui, &mut path, error.as_deref());
                ui.horizontal(|ui| {
                    if ui.button("Export").clicked() {
                        let p = PathBuf::from(path.trim());
                        let mut buf = Vec::new();
                        match pcap::write(trace, at, &mut buf)
                            .map_err(|e| e.to_string())
                            .and_then(|n| {
                                write_atomic(&p, &buf)
                                    .map(|()| n)
                                    .map_err(|e| format!("could not write {}: {e}", p.display()))
                            }) {
                            Ok(n) => {
                                result = Some(Outcome::Done(Some((
                                    false,
                                    format!(
                                        "Wrote {n} packets seen at {} to {}",
                                        trace.node_name(at),
                                        p.display()
                                    ),
                                ))));
                            }
                            Err(e) => error = Some(e),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        result = Some(Outcome::Done(None));
                    }
                });
            });
            result.unwrap_or(Outcome::Keep(Dialog::Export { at, path, error }))
        }
    }
}
