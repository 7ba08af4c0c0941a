//! The window around the panels: the top bar (title, the run's state, the outcome at the end,
//! the view menu, zoom), messages that float above the timeline, and the file dialogs.

use super::command::AppCommand;
use super::help::UiCommand;
use super::model::Playback;
use super::{Document, FtpLabApp, dialogs, files, style};
use crate::trace::Trace;
use eframe::egui::{self, RichText};
use std::path::{Path, PathBuf};

const TOAST_SECONDS: f64 = 8.0;

/// The top bar's one row: as tall as a button or the heading, whichever is taller. Fixed, so
/// nothing in it can make it grow.
pub(super) fn top_bar_height(ctx: &egui::Context) -> f32 {
    let st = ctx.global_style();
    let size = |s: egui::TextStyle| st.text_styles.get(&s).map_or(14.0, |f| f.size);
    let button = size(egui::TextStyle::Button) + 2.0 * st.spacing.button_padding.y;
    let row = button
        .max(size(egui::TextStyle::Heading) * 1.25)
        .max(st.spacing.interact_size.y);
    row + 12.0
}

impl FtpLabApp {
    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Help (?)").clicked() {
                self.queue.push(AppCommand::Ui(UiCommand::Help));
            }
            let label = if self.looks.presentation {
                "Normal view (F)"
            } else {
                "Presentation (F)"
            };
            if ui.button(label).clicked() {
                self.queue.push(AppCommand::Ui(UiCommand::Presentation));
            }
            let mut predict = self.playback.predict;
            if ui
                .toggle_value(&mut predict, "Predict (P)")
                .on_hover_text(
                    "Hide the future: the class answers a question before each decisive moment",
                )
                .changed()
            {
                self.queue.push(AppCommand::Ui(UiCommand::Predict));
            }
            if self.looks.presentation {
                ui.toggle_value(&mut self.show_controls, "✏ Rules")
                    .on_hover_text(
                        "Edit the lesson and its firewall rules, in large print; the story \
                         comes back when you close them",
                    );
            }
            self.view_menu(ui);
            self.class_menu(ui, pal);
            self.next_lesson(ui);
            // Presentation mode zooms with the screen; its slider is in View ▾ (the top bar
            // has no room for it on a 1024 projector).
            if !self.looks.presentation {
                self.zoom_slider(ui);
            }
            if self.ink.pen {
                ui.label(RichText::new("✏ pen on (D)").color(pal.bad).strong());
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                self.top_bar_left(ui, pal);
            });
        });
    }

    /// "Next lesson ▸": the shipped lesson after this one, in the picker's order (a lesson,
    /// not an exercise or a capture).
    fn next_lesson(&mut self, ui: &mut egui::Ui) {
        if self.exercise().is_some() || self.capture().is_some() {
            return;
        }
        let Some((next, title)) = super::files::next_shipped(&self.doc.name) else {
            return;
        };
        if ui
            .button("Next lesson ▸")
            .on_hover_text(format!("Open the next lesson: {title}"))
            .clicked()
        {
            self.queue
                .push(AppCommand::Open(super::builtin::Entry::Builtin(next)));
        }
    }

    fn view_menu(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("View ▾", |ui| {
            ui.checkbox(&mut self.show_controls, "Controls panel");
            if self.looks.presentation {
                ui.checkbox(&mut self.ink.pen, "Pen (D): draw over the window")
                    .on_hover_text("C clears the ink. Shift+drag draws too.");
                ui.horizontal(|ui| self.zoom_slider(ui));
            }
            if ui
                .button("Reset layout")
                .on_hover_text("Panels back to their default widths")
                .clicked()
            {
                self.looks.layout_gen += 1;
                ui.close();
            }
        });
    }

    /// Class ▾: start the class session, show its address and QR code, stop it; while it
    /// runs, how many joined and answered (never what).
    fn class_menu(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        let label = match &self.class {
            Some(c) => {
                let (joined, answered) = c.counts();
                format!("Class: {joined} joined · {answered} answered ▾")
            }
            None => "Class ▾".to_owned(),
        };
        let (mut start, mut stop, mut tally) = (false, false, false);
        ui.menu_button(RichText::new(label).color(if self.class.is_some() { pal.ok } else { pal.text }), |ui| {
            match &mut self.class {
                None => {
                    if ui
                        .button("Let the class answer")
                        .on_hover_text("Students answer each predict question on their phones: the count shows here, the split at the answer")
                        .clicked()
                    {
                        start = true;
                        ui.close();
                    }
                }
                Some(c) => {
                    ui.label(RichText::new(&c.url).monospace());
                    if ui.button("Show the address and QR code").clicked() {
                        c.show_qr = true;
                        ui.close();
                    }
                    if ui
                        .button("Export the answers (CSV)…")
                        .on_hover_text("Per question: the answers per choice and the share right")
                        .clicked()
                    {
                        tally = true;
                        ui.close();
                    }
                    if ui.button("Stop the class session").clicked() {
                        stop = true;
                        ui.close();
                    }
                }
            }
        });
        if start {
            self.start_class(super::class_ui::PORT);
        }
        if tally {
            let dir = self.start_dir();
            self.dialog = Some(super::dialogs::Dialog::tally(&self.doc, &dir));
        }
        if stop && let Some(c) = self.class.take() {
            c.stop();
            self.say(
                false,
                "The class session has ended; the students' pages say so.",
            );
        }
    }

    /// Starts the class session on `port` and shows its address.
    pub fn start_class(&mut self, port: u16) {
        match super::class_ui::ClassUi::start(port) {
            Ok(mut c) => {
                c.show_qr = true;
                self.class = Some(c);
            }
            Err(e) => self.say(true, e),
        }
    }

    fn zoom_slider(&mut self, ui: &mut egui::Ui) {
        let mut z = self.looks.zoom * 100.0;
        ui.spacing_mut().slider_width = 64.0;
        let r = ui
            .add(
                egui::Slider::new(&mut z, 50.0..=250.0)
                    .suffix(" %")
                    .max_decimals(0)
                    .show_value(true),
            )
            .on_hover_text("Zoom (Ctrl+= / Ctrl+− / Ctrl+0)");
        if r.changed() {
            self.set_zoom(z / 100.0);
        }
        ui.label("🔍")
            .on_hover_text("Zoom (Ctrl+= / Ctrl+− / Ctrl+0)");
    }

    /// The title, the state of the run and whether the lesson was edited. The outcome shows
    /// only once the run has been played to its end (and never in predict mode before then).
    fn top_bar_left(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        ui.label(RichText::new("FTP Lab").heading().strong());
        ui.separator();
        let trace = &self.run.trace;
        let at_end = self.playback.cursor + 1 >= trace.events.len();
        if at_end {
            let (txt, col, hover) = outcome_words(trace);
            ui.label(
                RichText::new(txt)
                    .color(if col { pal.ok } else { pal.bad })
                    .strong(),
            )
            .on_hover_text(hover);
        } else {
            let t = Playback::event_time(trace, self.playback.cursor);
            let mut txt = if self.playback.predict {
                format!("t = {t:.3} s · predict mode")
            } else {
                format!("t = {t:.3} s")
            };
            if let Some(q) = self.playback.skipped.filter(|_| self.playback.playing) {
                txt.push_str(&format!(" · ⏩ {q:.1} s of silence skipped"));
            }
            ui.add(egui::Label::new(RichText::new(txt).strong()).truncate());
        }
        ui.separator();
        if self.capture().is_some() {
            ui.label(RichText::new("● real capture").color(pal.data).strong())
                .on_hover_text("A capture file explained, not a simulation: the delays between the capture point and each host are inferred");
            ui.add(egui::Label::new(RichText::new(&self.run.trace.title).strong()).truncate());
            return;
        }
        // Cut with "…" rather than painted under the buttons (seen at 1024 in presentation).
        if let Some(tag) = edited_tag(&self.doc) {
            ui.add(egui::Label::new(RichText::new(tag.0).color(pal.data).strong()).truncate())
                .on_hover_text(tag.1);
        }
        // Presentation mode has the whole title above the picture.
        if self.looks.presentation {
            return;
        }
        let (title, hover) = self.title_words();
        ui.add(egui::Label::new(RichText::new(&title).strong()).truncate())
            .on_hover_text(hover.unwrap_or(title));
    }

    /// The lesson's title and its hover. A title tells the ending ("… drops inbound
    /// connections"): predict mode names only the set-up until the run has been played to its
    /// end.
    pub(super) fn title_words(&self) -> (String, Option<String>) {
        let at_end = self.playback.cursor + 1 >= self.run.trace.events.len();
        if self.playback.predict && !at_end {
            (
                super::setup_words(self.doc.scenario()),
                Some("Predict mode: the lesson's title shows at the end of the run".to_owned()),
            )
        } else {
            (self.doc.scenario().title.clone(), None)
        }
    }

    /// Work going on away from the screen: what, for how long, and Cancel (the last run
    /// stays on screen meanwhile).
    pub(super) fn working(&mut self, ctx: &egui::Context, pal: &style::Palette) {
        let Some((what, secs, frames)) = self.working_on() else {
            return;
        };
        let mut cancel = false;
        egui::Area::new(egui::Id::unique("working"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::CENTER_TOP, egui::Vec2::new(0.0, 64.0))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style())
                    .stroke(egui::Stroke::new(2.0, pal.control))
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            let read = if frames > 0 {
                                format!(", {frames} frames read")
                            } else {
                                String::new()
                            };
                            ui.label(RichText::new(format!("{what}… {secs:.0} s{read}")).strong());
                            cancel = ui
                                .button("Cancel")
                                .on_hover_text("Stop, and keep what was on screen")
                                .clicked();
                        });
                    });
            });
        if cancel || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            self.cancel_job();
        }
    }

    pub(super) fn toast(&mut self, ctx: &egui::Context, pal: &style::Palette) {
        let now = ctx.input(|i| i.time);
        let Some(t) = &mut self.toast else { return };
        let shown = *t.shown_at.get_or_insert(now);
        if !t.error && now - shown > TOAST_SECONDS {
            self.toast = None;
            return;
        }
        if !t.error {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                (TOAST_SECONDS - (now - shown)).max(0.1),
            ));
        }
        let bottom = self.probe.bottom_bar.height() + 12.0;
        let max_w = (ctx.content_rect().width() * 0.6).max(280.0);
        let (error, text) = (t.error, t.text.clone());
        let mut dismiss = false;
        egui::Area::new(egui::Id::unique("toast"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::Vec2::new(-12.0, -bottom))
            .show(ctx, |ui| {
                let col = if error { pal.bad } else { pal.ok };
                egui::Frame::popup(ui.style())
                    .stroke(egui::Stroke::new(2.0, col))
                    .show(ui, |ui| {
                        ui.set_max_width(max_w);
                        ui.horizontal(|ui| {
                            let mark = if error { "⚠" } else { "✔" };
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("{mark} {text}")).color(col).strong(),
                                )
                                .wrap(),
                            );
                            dismiss = ui.small_button("✖").on_hover_text("Dismiss").clicked();
                        });
                    });
            });
        if dismiss {
            self.toast = None;
        }
    }

    pub(super) fn dialogs(&mut self, ctx: &egui::Context) {
        let Some(d) = self.dialog.take() else { return };
        let start = self.start_dir();
        let scenario = self.doc.scenario().clone();
        let name = self.doc.name.clone();
        let ex = super::exporting::Context {
            run: &self.run,
            cursor: self.playback.cursor,
            showing: &self.showing,
            scenario: &scenario,
            name: &name,
            tally: self.class.as_ref().map(super::class_ui::ClassUi::csv),
        };
        match dialogs::show(ctx, d, &mut self.doc, &ex, &start) {
            dialogs::Outcome::Keep(d) => self.dialog = Some(d),
            dialogs::Outcome::Done(msg, folder) => self.dialog_done(msg, folder),
            dialogs::Outcome::Open(p) => {
                self.last_folder = p.parent().map(Path::to_path_buf);
                self.open_path(p);
            }
            dialogs::Outcome::Proceed(next) => match next {
                dialogs::Next::Open(e) => self.open_entry(e),
                dialogs::Next::Close => {
                    self.allow_close = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                dialogs::Next::Nothing => {}
            },
            dialogs::Outcome::SaveThen(next) => {
                self.dialog = Some(dialogs::Dialog::save_as(&self.doc, &start, Some(next)));
            }
        }
    }

    fn dialog_done(&mut self, msg: Option<(bool, String)>, folder: Option<PathBuf>) {
        if let Some((err, m)) = msg {
            self.say(err, m);
        }
        if folder.is_some() {
            self.last_folder = folder;
        }
        if let Some(p) = &self.doc.path
            && self.recent.first() != Some(p)
        {
            files::remember(&mut self.recent, p);
        }
    }
}

/// The outcome in a few words: (text, success, the whole story per client for the hover).
fn outcome_words(trace: &Trace) -> (String, bool, String) {
    let o = &trace.outcome;
    let hover = if trace.clients.is_empty() {
        o.diagnosis.clone()
    } else {
        trace
            .clients
            .iter()
            .map(|c| {
                let mark = if c.outcome.success { "✔" } else { "✖" };
                format!("{mark} {}: {}", c.name, c.outcome.diagnosis)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if trace.clients.len() > 1 {
        let ok = trace.clients.iter().filter(|c| c.outcome.success).count();
        let n = trace.clients.len();
        let mark = if ok == n { "✔" } else { "✖" };
        return (
            format!("{mark} {ok} of {n} clients succeeded"),
            ok == n,
            hover,
        );
    }
    if o.success {
        return ("✔ It worked".to_owned(), true, hover);
    }
    let what = match (&o.failed_action, o.reply) {
        (Some(a), Some(r)) => format!(": '{a}' → {r}"),
        (Some(a), None) => format!(": '{a}'"),
        _ => String::new(),
    };
    (format!("✖ It failed{what}"), false, hover)
}

/// What changed, node by node, since the file was loaded or saved.
fn changes(doc: &Document) -> Vec<String> {
    use crate::scenario::NodeSpec;
    let mut what = Vec::new();
    for (now, was) in doc.scenario().nodes.iter().zip(&doc.saved().nodes) {
        match (now, was) {
            (NodeSpec::Client(a), NodeSpec::Client(b)) if a.mode != b.mode => {
                what.push(format!(
                    "{} now {}",
                    a.name,
                    format!("{:?}", a.mode).to_lowercase()
                ));
            }
            (NodeSpec::Firewall(a), NodeSpec::Firewall(b)) if a != b => {
                what.push(format!("{} rules changed", a.name));
            }
            (NodeSpec::Nat(a), NodeSpec::Nat(b)) if a.ftp_alg != b.ftp_alg => {
                let on = if a.ftp_alg { "on" } else { "off" };
                what.push(format!("{} ALG {on}", a.name));
            }
            (a, b) if a != b => what.push(format!("{} changed", a.name())),
            _ => {}
        }
    }
    what
}

/// "● edited: client now passive" when the lesson was changed from the file: the title may
/// no longer describe it. (short tag, what changed).
fn edited_tag(doc: &Document) -> Option<(String, String)> {
    if !doc.dirty() {
        return None;
    }
    let what = changes(doc);
    let short = match what.first() {
        Some(w) if what.len() == 1 => format!("● edited: {w}"),
        Some(w) => format!("● edited: {w}, …"),
        None => "● edited".to_owned(),
    };
    Some((
        short,
        format!(
            "Changed since the file was loaded or saved: {}. The title was written for the file.",
            if what.is_empty() {
                "details".to_owned()
            } else {
                what.join("; ")
            }
        ),
    ))
}
