//! The egui front end. It reads the `Scenario` being edited and the `Trace` of its last run;
//! it never reaches into the simulator beyond calling `simulate` again after an edit.
//!
//! One file per panel (`topology`, `ladder`, `timeline`, `narration`, `controls`,
//! `transcript`, `plot`, `help`); each takes plain data and returns what the user asked for.
//! Timeline commands from buttons and keys go through `Playback::apply` in one place, so the two
//! cannot drift apart. The window repaints continuously only while playing.

mod builtin;
mod controls;
mod dialogs;
mod events;
mod help;
pub mod inspect;
mod inspector;
mod ladder;
pub mod model;
mod narration;
mod plot;
mod style;
mod timeline;
mod topology;
mod transcript;

use crate::scenario::Scenario;
use crate::simulate;
use crate::trace::Trace;
use eframe::egui;
use model::{Command, Journeys, Playback};
use std::path::{Path, PathBuf};

pub use builtin::DEFAULT_SCENARIO;

/// The scenario being edited, and what was last saved or loaded.
pub struct Document {
    /// Where it was loaded from or saved to (`None` for a built-in copy).
    pub path: Option<PathBuf>,
    pub name: String,
    pub scenario: Scenario,
    pub saved: Scenario,
}

impl Document {
    pub fn dirty(&self) -> bool {
        self.scenario != self.saved
    }
}

/// The last successful run of the document.
pub struct Run {
    pub trace: Trace,
    pub journeys: Journeys,
    pub order: Vec<crate::ids::NodeId>,
}

impl Run {
    fn new(trace: Trace) -> Run {
        let journeys = Journeys::new(&trace);
        let order = model::node_order(&trace);
        Run {
            trace,
            journeys,
            order,
        }
    }
}

/// What the lower half of the centre shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CentreTab {
    Ladder,
    Events,
    Plot,
}

/// What the right-hand panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightTab {
    Story,
    Inspector,
}

/// Settings that survive a restart (eframe persistence).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Prefs {
    last_scenario: Option<PathBuf>,
    presentation: bool,
    speed: Option<usize>,
}

/// The whole application state.
pub struct FtpLabApp {
    pub doc: Document,
    pub run: Run,
    pub playback: Playback,
    /// Validation problems of the current edit (the run shown is the last good one).
    pub problems: Vec<(String, String)>,
    /// A message for the user (load error, saved, exported).
    pub banner: Option<(bool, String)>,
    pub presentation: bool,
    pub show_help: bool,
    pub show_controls: bool,
    pub centre: CentreTab,
    pub right: RightTab,
    controls: controls::ControlsState,
    events: events::EventsState,
    inspector: inspector::InspectorState,
    ladder: ladder::LadderState,
    dialog: Option<dialogs::Dialog>,
    allow_close: bool,
    style_applied: Option<bool>,
    /// Input time of the last frame drawn while playing.
    last_frame: Option<f64>,
    /// The window title last sent (sending it every frame would keep the window repainting).
    title: String,
}

impl FtpLabApp {
    /// Open `path`, or the default scenario (a built-in copy when `scenarios/` is not here).
    pub fn new(path: Option<&Path>) -> FtpLabApp {
        let (doc, banner) = match path {
            Some(p) => match load_document(p) {
                Ok(d) => (d, None),
                Err(e) => (builtin::default_document(), Some((true, e))),
            },
            None => {
                let p = Path::new("scenarios").join(DEFAULT_SCENARIO);
                match load_document(&p) {
                    Ok(d) => (d, None),
                    Err(_) => (builtin::default_document(), None),
                }
            }
        };
        let (run, problems) = match simulate(&doc.scenario) {
            Ok(t) => (Run::new(t), Vec::new()),
            Err(p) => (Run::new(builtin::default_trace()), p),
        };
        FtpLabApp {
            doc,
            run,
            playback: Playback::default(),
            problems,
            banner,
            presentation: false,
            show_help: false,
            show_controls: true,
            centre: CentreTab::Ladder,
            right: RightTab::Story,
            controls: controls::ControlsState::default(),
            events: events::EventsState::default(),
            inspector: inspector::InspectorState::default(),
            ladder: ladder::LadderState::default(),
            dialog: None,
            allow_close: false,
            style_applied: None,
            title: String::new(),
            last_frame: None,
        }
    }

    pub fn trace(&self) -> &Trace {
        &self.run.trace
    }

    pub fn apply(&mut self, cmd: Command) {
        self.playback.apply(&self.run.trace, cmd);
    }

    /// Re-simulate the edited scenario and swap the trace, keeping the cursor at its step.
    pub fn rerun(&mut self) {
        match simulate(&self.doc.scenario) {
            Ok(t) => {
                self.playback.carry_over(&self.run.trace, &t);
                self.run = Run::new(t);
                self.problems.clear();
            }
            Err(p) => self.problems = p,
        }
    }

    /// Replace the document (after the unsaved-changes question, if any).
    pub fn open_document(&mut self, doc: Document) {
        self.doc = doc;
        self.controls = controls::ControlsState::default();
        self.playback = Playback {
            speed: self.playback.speed,
            ..Playback::default()
        };
        match simulate(&self.doc.scenario) {
            Ok(t) => {
                self.run = Run::new(t);
                self.problems.clear();
            }
            Err(p) => self.problems = p,
        }
    }

    /// Open a scenario file, asking first when there are unsaved edits.
    pub fn request_open(&mut self, target: builtin::Entry) {
        if self.doc.dirty() {
            self.dialog = Some(dialogs::Dialog::unsaved(dialogs::Next::Open(target)));
        } else {
            self.open_entry(target);
        }
    }

    fn open_entry(&mut self, target: builtin::Entry) {
        match target.load() {
            Ok(d) => {
                self.banner = None;
                self.open_document(d);
            }
            Err(e) => self.banner = Some((true, e)),
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, Modifiers};
        if ctx.egui_wants_keyboard_input() || self.dialog.is_some() {
            return;
        }
        let keys: [(Key, Option<Command>); 13] = [
            (Key::Space, Some(Command::TogglePlay)),
            (Key::ArrowRight, Some(Command::StepForward)),
            (Key::ArrowLeft, Some(Command::StepBack)),
            (Key::Home, Some(Command::Start)),
            (Key::End, Some(Command::End)),
            (Key::Num1, Some(Command::JumpToStep(1))),
            (Key::Num2, Some(Command::JumpToStep(2))),
            (Key::Num3, Some(Command::JumpToStep(3))),
            (Key::Num4, Some(Command::JumpToStep(4))),
            (Key::Plus, Some(Command::Faster)),
            (Key::Equals, Some(Command::Faster)),
            (Key::Minus, Some(Command::Slower)),
            (Key::F, None),
        ];
        let mut cmds = Vec::new();
        let mut toggle_pres = false;
        ctx.input_mut(|i| {
            for (k, c) in keys {
                // Shift is allowed so that `+` typed as Shift+= works.
                if i.consume_key(Modifiers::NONE, k) || i.consume_key(Modifiers::SHIFT, k) {
                    match c {
                        Some(c) => cmds.push(c),
                        None => toggle_pres = true,
                    }
                }
            }
            if i.consume_key(Modifiers::NONE, Key::F1)
                || i.consume_key(Modifiers::NONE, Key::Questionmark)
                || i.consume_key(Modifiers::SHIFT, Key::Questionmark)
                || i.consume_key(Modifiers::NONE, Key::H)
            {
                self.show_help = !self.show_help;
            }
            if i.consume_key(Modifiers::NONE, Key::Escape) {
                self.show_help = false;
            }
        });
        if toggle_pres {
            self.toggle_presentation();
        }
        for c in cmds {
            self.apply(c);
        }
    }

    /// The whole window, drawn into `ui` (the eframe app and the UI tests both call this).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.style_applied.is_none() {
            style::install_fonts(&ctx);
        }
        if self.style_applied != Some(self.presentation) {
            style::apply(&ctx, self.presentation);
            self.style_applied = Some(self.presentation);
        }
        self.shortcuts(&ctx);
        let now = ctx.input(|i| i.time);
        if self.playback.playing {
            // Real time since the last frame (frames may come slowly on a software renderer;
            // a long stall counts as at most a quarter second).
            let dt = self.last_frame.map_or(0.0, |t| (now - t).clamp(0.0, 0.25));
            self.last_frame = Some(now);
            self.playback
                .advance(&self.run.trace, &self.run.journeys, dt);
            // 30 frames a second is smooth enough for packets crossing a link, and halves the
            // cost on a machine that renders in software.
            ctx.request_repaint_after(std::time::Duration::from_millis(33));
        } else {
            self.last_frame = None;
        }
        let pal = style::Palette::new(self.presentation, ui.visuals().dark_mode);

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &pal));
        egui::Panel::bottom("timeline")
            .resizable(false)
            .show(ui, |ui| {
                let cmds = timeline::show(ui, &self.run.trace, &self.playback);
                for c in cmds {
                    self.apply(c);
                }
            });
        if self.show_controls {
            egui::Panel::left("controls")
                .resizable(true)
                .size_range(240.0..=440.0)
                .default_size(if self.presentation { 300.0 } else { 310.0 })
                .show(ui, |ui| {
                    let out = controls::show(
                        ui,
                        &mut self.controls,
                        &mut self.doc,
                        &self.run.trace,
                        &self.problems,
                        &pal,
                    );
                    if out.changed {
                        self.rerun();
                    }
                    if let Some(e) = out.open {
                        self.request_open(e);
                    }
                    if out.save_as {
                        self.dialog = Some(dialogs::Dialog::save_as(&self.doc, None));
                    }
                    if out.revert {
                        self.doc.scenario = self.doc.saved.clone();
                        self.controls = controls::ControlsState::default();
                        self.rerun();
                    }
                    if out.export {
                        self.dialog = Some(dialogs::Dialog::export(&self.doc, &self.run.trace));
                    }
                });
        }
        egui::Panel::right("story")
            .resizable(true)
            .size_range(260.0..=480.0)
            .default_size(if self.presentation { 300.0 } else { 330.0 })
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.right, RightTab::Story, "Story");
                    ui.selectable_value(&mut self.right, RightTab::Inspector, "Packet inspector");
                });
                ui.separator();
                match self.right {
                    RightTab::Story => {
                        narration::show(ui, &self.run.trace, &self.playback, &pal);
                        ui.separator();
                        transcript::show(ui, &self.run.trace, &self.playback, &pal);
                    }
                    RightTab::Inspector => {
                        let cmd = inspector::show(
                            ui,
                            &mut self.inspector,
                            &self.run.trace,
                            &self.playback,
                            &pal,
                        );
                        if let Some(c) = cmd {
                            self.apply(c);
                        }
                    }
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let h = (ui.available_height() * 0.42).clamp(180.0, 300.0);
            if let Some((c, inspect)) = topology::show(ui, h, &self.run, &self.playback, &pal) {
                self.apply(c);
                if inspect {
                    self.right = RightTab::Inspector;
                }
            }
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.centre, CentreTab::Ladder, "Ladder diagram");
                ui.selectable_value(&mut self.centre, CentreTab::Events, "Event list");
                ui.selectable_value(&mut self.centre, CentreTab::Plot, "Time–sequence plot");
            });
            ui.separator();
            let cmd = match self.centre {
                CentreTab::Ladder => {
                    ladder::show(ui, &mut self.ladder, &self.run, &self.playback, &pal)
                }
                CentreTab::Events => {
                    events::show(ui, &mut self.events, &self.run.trace, &self.playback, &pal)
                        .map(|c| (c, false))
                }
                CentreTab::Plot => {
                    plot::show(ui, &self.run.trace, &self.playback, &pal).map(|c| (c, false))
                }
            };
            if let Some((c, inspect)) = cmd {
                self.apply(c);
                if inspect {
                    self.right = RightTab::Inspector;
                }
            }
        });

        if self.show_help {
            help::show(&ctx, &mut self.show_help);
        }
        if let Some(d) = self.dialog.take() {
            match dialogs::show(&ctx, d, &mut self.doc, &self.run.trace) {
                dialogs::Outcome::Keep(d) => self.dialog = Some(d),
                dialogs::Outcome::Done(msg) => {
                    if let Some(m) = msg {
                        self.banner = Some(m);
                    }
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
                    self.dialog = Some(dialogs::Dialog::save_as(&self.doc, Some(next)));
                }
            }
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Help (?)").clicked() {
                self.show_help = !self.show_help;
            }
            let label = if self.presentation {
                "Normal view (F)"
            } else {
                "Presentation (F)"
            };
            if ui.button(label).clicked() {
                self.toggle_presentation();
            }
            ui.toggle_value(&mut self.show_controls, "Controls");
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                self.top_bar_left(ui, pal);
            });
        });
        if let Some((err, msg)) = self.banner.clone() {
            ui.horizontal_wrapped(|ui| {
                let col = if err { pal.bad } else { pal.ok };
                ui.label(egui::RichText::new(msg).color(col));
                if ui.small_button("Dismiss").clicked() {
                    self.banner = None;
                }
            });
        }
    }

    fn top_bar_left(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        {
            ui.heading("FTP Lab");
            ui.separator();
            let o = &self.run.trace.outcome;
            let (txt, col) = if o.success {
                ("Outcome: success ✔".to_owned(), pal.ok)
            } else {
                let what = match (&o.failed_action, o.reply) {
                    (Some(a), Some(r)) => format!(" ('{a}' → {r})"),
                    (Some(a), None) => format!(" ('{a}')"),
                    _ => String::new(),
                };
                (format!("Outcome: failure ✖{what}"), pal.bad)
            };
            ui.label(egui::RichText::new(txt).color(col).strong());
            ui.separator();
            if self.doc.dirty() {
                ui.label(
                    egui::RichText::new("● unsaved changes")
                        .color(pal.data)
                        .strong(),
                );
            }
            ui.add(
                egui::Label::new(egui::RichText::new(&self.doc.scenario.title).strong()).truncate(),
            );
        }
    }

    /// Presentation mode hides the controls (the "Controls" button brings them back).
    pub fn toggle_presentation(&mut self) {
        self.presentation = !self.presentation;
        self.show_controls = !self.presentation;
    }

    fn prefs(&self) -> Prefs {
        Prefs {
            last_scenario: self.doc.path.clone(),
            presentation: self.presentation,
            speed: Some(self.playback.speed),
        }
    }
}

impl eframe::App for FtpLabApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) && self.doc.dirty() && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.dialog = Some(dialogs::Dialog::unsaved(dialogs::Next::Close));
        }
        let mut title = format!("FTP Lab — {}", self.doc.name);
        if self.doc.dirty() {
            title.push_str(" ●");
        }
        if title != self.title {
            self.title.clone_from(&title);
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
        }
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs());
    }
}

/// The trace of a shipped scenario, for the unit tests of the panels' models.
#[cfg(test)]
pub(crate) fn shipped_trace(name: &str) -> Trace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.ron"));
    simulate(&Scenario::load(&path).unwrap()).unwrap()
}

fn load_document(path: &Path) -> Result<Document, String> {
    let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
    let name = path.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    // Remember it by its full path, so "the last scenario" opens from any directory.
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Document {
        path: Some(path.clone()),
        name,
        saved: scenario.clone(),
        scenario,
    })
}

/// Open the window. `path`: a scenario given on the command line.
pub fn run(path: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 600.0])
            .with_title("FTP Lab"),
        ..Default::default()
    };
    eframe::run_native(
        "FTP Lab",
        options,
        Box::new(move |cc| {
            let prefs: Prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let chosen = path.or_else(|| prefs.last_scenario.clone().filter(|p| p.exists()));
            let mut app = FtpLabApp::new(chosen.as_deref());
            if prefs.presentation {
                app.toggle_presentation();
            }
            if let Some(s) = prefs.speed {
                app.playback.speed = s.min(model::SPEEDS.len() - 1);
            }
            Ok(Box::new(app))
        }),
    )
}
