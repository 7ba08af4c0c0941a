//! The egui front end. It reads the `Scenario` being edited and the `Trace` of its last run;
//! it never reaches into the simulator beyond calling `simulate` again after an edit.
//!
//! One file per panel (`topology`, `ladder`, `timeline`, `narration`, `controls`,
//! `transcript`, `plot`, `help`); each takes plain data and returns what the user asked for
//! as `AppCommand`s (`command`), which `FtpLabApp::run_command` carries out in one place
//! (`commands.rs`); a change to the lesson is an `Edit` that `Document::apply` carries out or
//! refuses (`document`). The window: `chrome` (top bar, messages), `side` (the left panel,
//! the story and the centre), `opening` (lessons, exercises, captures), `prefs`. The window
//! repaints continuously only while playing.

mod builtin;
mod chrome;
pub mod class_ui;
pub mod command;
mod commands;
mod controls;
mod dialogs;
pub mod document;
mod events;
pub mod exporting;
pub mod files;
mod focus;
pub mod graph;
pub mod help;
mod ink;
pub mod inspect;
mod inspector;
mod jobs;
mod ladder;
pub mod model;
pub mod narrate;
mod narration;
mod opening;
pub mod panel;
mod plot;
mod predict;
mod prefs;
pub mod questions;
mod side;
pub mod style;
mod timeline;
mod topology;
pub(crate) use topology::node_lines as topology_lines;
mod transcript;

use crate::ftp::client::Mode;
use crate::scenario::{NodeSpec, QuestionSpec, Scenario};
use crate::trace::Trace;
use command::AppCommand;
use eframe::egui::{self, Rect};
use model::{Command, Journeys, Lesson, Playback};
use std::path::{Path, PathBuf};

pub use builtin::DEFAULT_SCENARIO;
pub use document::{Document, Edit};

/// A capture file name: `.pcap`, `.pcapng`, `.cap`.
pub fn is_capture(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "pcap" | "pcapng" | "cap"))
}

/// An exercise being worked on: the document is the student's answer.
pub struct ExerciseState {
    pub ex: crate::exercise::Exercise,
    /// The answer's grade after the last edit.
    pub grade: crate::exercise::Grade,
    /// How many hints are shown.
    pub hints: usize,
}

/// A real capture shown instead of a simulation.
#[derive(Clone, Debug)]
pub struct CaptureView {
    pub name: String,
    pub stats: crate::capture::Stats,
    pub vantage: crate::capture::Vantage,
}

/// What the window shows: a lesson, an exercise (the lesson is the student's answer), or a
/// real capture (the lesson stays, to come back to).
pub enum Showing {
    Lesson,
    Exercise(Box<ExerciseState>),
    Capture(CaptureView),
}

/// The last successful run of the document, and what the panels derive from it once.
pub struct Run {
    pub trace: Trace,
    pub journeys: Journeys,
    pub graph: graph::Layout,
    pub lesson: Lesson,
}

impl Run {
    /// The window shows every text of the trace with control characters escaped (a
    /// capture's reply can hold ESC, BEL or a bidi override).
    pub fn new(trace: Trace, questions: &[QuestionSpec]) -> Run {
        let trace = trace.printable();
        let journeys = Journeys::new(&trace);
        let graph = graph::layout(&trace);
        let lesson = Lesson::new(&trace, &journeys, questions);
        Run {
            trace,
            journeys,
            graph,
            lesson,
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

/// Where the last frame put things, for the layout tests (and nothing else).
#[derive(Clone, Debug)]
pub struct LayoutProbe {
    pub screen: Rect,
    pub top_bar: Rect,
    pub bottom_bar: Rect,
    /// Every widget of the bottom bar.
    pub bottom_widgets: Vec<Rect>,
    pub node_boxes: Vec<Rect>,
    pub ladder_headers: Vec<Rect>,
    pub left: Option<Rect>,
    pub right: Rect,
    /// The help window, while it is open.
    pub help: Option<Rect>,
}

impl Default for LayoutProbe {
    fn default() -> Self {
        LayoutProbe {
            screen: Rect::NOTHING,
            top_bar: Rect::NOTHING,
            bottom_bar: Rect::NOTHING,
            bottom_widgets: Vec::new(),
            node_boxes: Vec::new(),
            ladder_headers: Vec::new(),
            left: None,
            right: Rect::NOTHING,
            help: None,
        }
    }
}

/// A message for the user that does not move the layout: it floats above the bottom bar.
#[derive(Clone, Debug)]
pub struct Toast {
    pub error: bool,
    pub text: String,
    /// When it appeared (input time); a success fades after a few seconds, an error stays.
    shown_at: Option<f64>,
}

/// Zoom the teacher may choose on top of the look's own (50 % to 250 %).
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.5..=2.5;

/// How the window looks: presentation mode, the zoom, the panels' layout.
pub struct Looks {
    pub presentation: bool,
    /// The teacher's zoom (1.0: the look's own size).
    pub zoom: f32,
    /// The look last applied: (presentation, zoom factor).
    applied: Option<(bool, f32)>,
    /// Bumped by "Reset layout": the panels get new ids and so their default widths.
    layout_gen: u32,
    /// The window width (points) the panel widths were chosen for.
    layout_width: f32,
}

/// The panels' own state (what is selected, typed, scrolled) and which are shown.
#[derive(Default)]
struct Panels {
    controls: controls::ControlsState,
    events: events::EventsState,
    inspector: inspector::InspectorState,
    ladder: ladder::LadderState,
    predict: predict::PredictState,
}

/// The whole application state.
pub struct FtpLabApp {
    pub doc: Document,
    pub run: Run,
    pub playback: Playback,
    pub showing: Showing,
    /// Validation problems of the current edit (the run shown is the last good one).
    pub problems: Vec<(String, String)>,
    pub toast: Option<Toast>,
    pub looks: Looks,
    pub show_help: bool,
    /// "Let the class answer": the session, while it runs.
    pub class: Option<class_ui::ClassUi>,
    pub show_controls: bool,
    pub centre: CentreTab,
    pub right: RightTab,
    pub recent: Vec<PathBuf>,
    pub last_folder: Option<PathBuf>,
    /// Where the last frame put things.
    pub probe: LayoutProbe,
    pub ink: ink::Ink,
    panels: Panels,
    dialog: Option<dialogs::Dialog>,
    /// A run or a capture being made away from the screen.
    job: Option<jobs::Job>,
    /// Commands given this frame, carried out at its end.
    queue: Vec<AppCommand>,
    allow_close: bool,
    /// Input time of the last frame drawn while playing.
    last_frame: Option<f64>,
    /// The window title last sent (sending it every frame would keep the window repainting).
    title: String,
    /// Keyboard focus asked for (once, at start), and frames left to take the X11 focus (the
    /// window may not be mapped yet).
    focused: bool,
    /// Fullscreen asked for (F11), and whether the window still has to be told.
    fullscreen: (bool, bool),
    /// Frames drawn so far (the first few fit the window to the screen).
    frames: u32,
    x11_focus_tries: u32,
    /// Whether a window manager runs (asked once, at the first frame; None: cannot tell).
    window_manager: Option<Option<bool>>,
}

impl FtpLabApp {
    /// Open `path`, or the default scenario (a built-in copy when `scenarios/` is not here).
    pub fn new(path: Option<&Path>) -> FtpLabApp {
        let (doc, toast) = opening::first_document(path);
        let (run, problems) = (Run::new(builtin::default_trace(), &[]), Vec::new());
        let mut app = FtpLabApp {
            doc,
            run,
            playback: Playback::default(),
            showing: Showing::Lesson,
            problems,
            toast: None,
            looks: Looks {
                presentation: false,
                zoom: 1.0,
                applied: None,
                layout_gen: 0,
                layout_width: 0.0,
            },
            show_help: false,
            class: None,
            show_controls: true,
            centre: CentreTab::Ladder,
            right: RightTab::Story,
            recent: Vec::new(),
            last_folder: None,
            probe: LayoutProbe::default(),
            ink: ink::Ink::default(),
            panels: Panels::default(),
            dialog: None,
            job: None,
            queue: Vec::new(),
            allow_close: false,
            last_frame: None,
            title: String::new(),
            focused: false,
            fullscreen: (false, false),
            frames: 0,
            x11_focus_tries: 120,
            window_manager: None,
        };
        let first = jobs::Job::simulate(app.doc.scenario(), jobs::Undo::Nothing, true);
        app.launch(first);
        if let Some(t) = toast {
            app.say(true, t);
        }
        opening::open_argument(&mut app, path);
        app
    }

    pub fn trace(&self) -> &Trace {
        &self.run.trace
    }

    /// The capture shown, if one is.
    pub fn capture(&self) -> Option<&CaptureView> {
        match &self.showing {
            Showing::Capture(c) => Some(c),
            _ => None,
        }
    }

    /// The exercise being worked on, if one is.
    pub fn exercise(&self) -> Option<&ExerciseState> {
        match &self.showing {
            Showing::Exercise(x) => Some(x),
            _ => None,
        }
    }

    pub fn presentation(&self) -> bool {
        self.looks.presentation
    }

    pub fn zoom(&self) -> f32 {
        self.looks.zoom
    }

    pub fn apply(&mut self, cmd: Command) {
        self.playback.apply(&self.run.trace, &self.run.lesson, cmd);
    }

    /// A message for the user (an error stays until dismissed).
    pub fn say(&mut self, error: bool, text: impl Into<String>) {
        self.toast = Some(Toast {
            error,
            text: text.into(),
            shown_at: None,
        });
    }

    /// Re-simulate the edited scenario and swap the trace, keeping the cursor at its step.
    pub fn rerun(&mut self) {
        if self.capture().is_some() {
            return;
        }
        let job = jobs::Job::simulate(self.doc.scenario(), jobs::Undo::Edit, false);
        self.launch(job);
    }

    /// Work started: finished now if it already is, else shown as going on (an earlier job
    /// still going is dropped: its result would be stale).
    fn launch(&mut self, (job, done): (jobs::Job, Option<jobs::Done>)) {
        if let Some(old) = self.job.take() {
            old.cancel();
        }
        match done {
            Some(d) => self.finish(d, job.fresh),
            None => self.job = Some(job),
        }
    }

    /// Work that ended: its run shown (or its problems, or its error).
    fn finish(&mut self, done: jobs::Done, fresh: bool) {
        match done {
            jobs::Done::Simulated(Ok(run)) => {
                if fresh {
                    self.playback = self.playback.fresh();
                } else {
                    self.playback.carry_over(&self.run.trace, &run.trace);
                }
                self.run = run;
                self.problems.clear();
            }
            jobs::Done::Simulated(Err(p)) => self.problems = p,
            jobs::Done::Explained(Ok((run, view)), path) => {
                self.playback = self.playback.fresh();
                self.run = run;
                self.problems.clear();
                self.showing = Showing::Capture(view);
                if let Some(dir) = path.parent() {
                    self.last_folder = Some(dir.to_path_buf());
                }
            }
            jobs::Done::Explained(Err(e), _) => self.say(true, e),
            jobs::Done::Stopped => {}
        }
        self.regrade();
    }

    /// Each frame: the job's result, if it has come.
    fn poll_job(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.job else { return };
        match job.poll() {
            Some(d) => {
                let fresh = job.fresh;
                self.job = None;
                self.finish(d, fresh);
            }
            None => ctx.request_repaint_after(std::time::Duration::from_millis(100)),
        }
    }

    /// Cancel: the work stops, and what asked for it is put back.
    pub fn cancel_job(&mut self) {
        let Some(job) = self.job.take() else { return };
        job.cancel();
        match job.undo {
            jobs::Undo::Edit => {
                self.doc.undo();
            }
            jobs::Undo::Open(prev) => self.doc = *prev,
            jobs::Undo::Nothing => {}
        }
        self.say(false, format!("Cancelled: {}.", job.what.to_lowercase()));
    }

    /// What is being worked on, and for how long (for the bar and the tests).
    pub fn working_on(&self) -> Option<(String, f64, u64)> {
        self.job.as_ref().map(|j| {
            (
                j.what.clone(),
                j.since.elapsed().as_secs_f64(),
                j.progress.load(std::sync::atomic::Ordering::Relaxed),
            )
        })
    }

    /// Checks the answer against the exercise again (after every edit).
    fn regrade(&mut self) {
        if let Showing::Exercise(x) = &mut self.showing {
            x.grade = x.ex.grade(self.doc.scenario(), "your answer");
        }
    }

    pub fn set_zoom(&mut self, z: f32) {
        // Snap near 100 % so that in and out come back to it exactly.
        let z = if (z - 1.0).abs() < 0.02 { 1.0 } else { z };
        self.looks.zoom = z.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
    }

    /// Predict mode: the future is hidden and questions come before decisive moments.
    pub fn toggle_predict(&mut self) {
        self.playback.predict = !self.playback.predict;
        self.playback.asking = None;
        self.playback.answered.clear();
    }

    /// Presentation mode hides the controls ("View ▾ → Controls panel" brings them back).
    pub fn toggle_presentation(&mut self) {
        self.looks.presentation = !self.looks.presentation;
        self.show_controls = !self.looks.presentation;
        if !self.looks.presentation {
            self.ink.pen = false;
        }
    }

    /// F11's fullscreen; and at start, a window smaller than the screen it is on (no window
    /// manager maximised it: a projector's bare X session) is made as large as the screen.
    fn fit_to_screen(&mut self, ctx: &egui::Context) {
        if self.fullscreen.1 {
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen.0));
            self.fullscreen.1 = false;
        }
        self.frames = self.frames.saturating_add(1);
        if self.frames != 3 {
            return;
        }
        let (monitor, inner) = ctx.input(|i| (i.viewport().monitor_size, i.viewport().inner_rect));
        // With no window manager any gap is a black strip (1280 of 1366 was seen); where we
        // cannot tell, only a window much smaller than the screen is grown (a window manager's
        // panels and title bar take some of a maximised window).
        let slack = match self.window_manager.flatten() {
            Some(true) => return,
            Some(false) => 1.0,
            None => 0.9,
        };
        if let (Some(m), Some(r)) = (monitor, inner)
            && (r.width() < m.x * slack - 0.5 || r.height() < m.y * slack - 0.5)
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(0.0, 0.0)));
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(m));
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() || self.dialog.is_some() {
            return;
        }
        for c in help::pressed(ctx) {
            self.queue.push(AppCommand::Ui(c));
        }
    }

    /// Apply the look when presentation mode, the window width or the zoom changed.
    fn apply_look(&mut self, ctx: &egui::Context) {
        if self.looks.applied.is_none() {
            style::install_fonts(ctx);
            // The window's own Ctrl+= / Ctrl+− would fight the zoom slider; the bindings
            // table handles those keys.
            ctx.options_mut(|o| o.zoom_with_keyboard = false);
        }
        // The size in pixels does not change with the zoom (points × zoom), so this settles.
        let px = ctx.content_rect().size() * ctx.zoom_factor();
        let z = style::base_zoom(self.looks.presentation, px) * self.looks.zoom;
        let want = (self.looks.presentation, (z * 100.0).round() / 100.0);
        if self.looks.applied != Some(want) {
            style::apply(ctx, self.looks.presentation, want.1);
            self.looks.applied = Some(want);
        }
    }

    /// Moves the playback while playing, by the real time since the last frame.
    fn play(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        if !self.playback.playing {
            self.last_frame = None;
            return;
        }
        // Frames may come slowly on a software renderer; a long stall counts as at most a
        // quarter second.
        let dt = self.last_frame.map_or(0.0, |t| (now - t).clamp(0.0, 0.25));
        self.last_frame = Some(now);
        self.playback
            .advance(&self.run.trace, &self.run.journeys, &self.run.lesson, dt);
        // 30 frames a second is smooth enough for packets crossing a link, and halves the
        // cost on a machine that renders in software.
        ctx.request_repaint_after(std::time::Duration::from_millis(33));
    }

    /// The whole window, drawn into `ui` (the eframe app and the UI tests both call this).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.apply_look(&ctx);
        if !self.focused {
            // Without this the first key presses go nowhere until the window is clicked.
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
            self.focused = true;
        }
        self.poll_job(&ctx);
        self.shortcuts(&ctx);
        self.fit_to_screen(&ctx);
        // A lesson or a capture dropped onto the window opens.
        let dropped: Option<PathBuf> =
            ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(p) = dropped {
            self.open_path(p);
        }
        self.play(&ctx);
        let pal = style::Palette::new(self.looks.presentation);
        self.layout(ui, &pal);
        if self.looks.presentation {
            self.ink.show(&ctx);
        }
        self.probe.help = None;
        if self.show_help {
            self.probe.help = help::show(&ctx, &mut self.show_help);
        }
        // A dialog (unsaved changes, a name) is answered first: the question waits under it.
        if let Some(k) = self.playback.asking
            && self.dialog.is_none()
            && let Some(q) = self.run.lesson.questions.get(k)
            && let Some(c) = predict::show(&ctx, &mut self.panels.predict, k, q, &pal)
        {
            self.queue.push(AppCommand::Playback(c));
        }
        if let Some(c) = &mut self.class {
            c.sync(
                self.playback.asking,
                &self.run.lesson.questions,
                &mut self.panels.predict,
            );
            c.qr_window(&ctx);
            // The count changes with the class, not with the mouse.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        self.working(&ctx, &pal);
        self.toast(&ctx, &pal);
        self.dialogs(&ctx);
        for c in std::mem::take(&mut self.queue) {
            self.run_command(c);
        }
    }

    /// The panels: the top bar, the timeline, the controls, the story and the centre.
    fn layout(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        let ctx = ui.ctx().clone();
        let screen = ctx.content_rect();
        let w = screen.width();
        self.probe.screen = screen;
        // Panel widths chosen on a much wider (or narrower) window do not carry over: the
        // panels start again from their defaults for this width.
        if (w - self.looks.layout_width).abs() > 0.15 * w {
            if self.looks.layout_width > 0.0 {
                self.looks.layout_gen += 1;
            }
            self.looks.layout_width = w;
        }
        let bar_h = chrome::top_bar_height(&ctx);
        let top = egui::Panel::top("top_bar")
            .exact_size(bar_h)
            .resizable(false)
            .show(ui, |ui| self.top_bar(ui, pal));
        self.probe.top_bar = top.response.rect;
        let mut widgets = Vec::new();
        let bottom = egui::Panel::bottom("timeline")
            .resizable(false)
            .show(ui, |ui| {
                timeline::show(ui, &self.run.trace, &self.playback, &mut widgets)
            });
        self.queue
            .extend(bottom.inner.into_iter().map(AppCommand::Playback));
        self.probe.bottom_bar = bottom.response.rect;
        self.probe.bottom_widgets = widgets;
        self.side_panels(ui, pal, w);
        egui::CentralPanel::default().show(ui, |ui| self.centre_panel(ui, pal));
    }

    fn side_panels(&mut self, ui: &mut egui::Ui, pal: &style::Palette, w: f32) {
        let layout_gen = self.looks.layout_gen;
        self.probe.left = None;
        if self.show_controls {
            let (range, default) = if self.looks.presentation {
                ((0.28 * w).max(260.0)..=(0.4 * w).max(300.0), 0.34 * w)
            } else {
                ((0.18 * w).max(190.0)..=(0.3 * w).max(210.0), 0.26 * w)
            };
            let r = egui::Panel::left(("controls", layout_gen, self.looks.presentation))
                .resizable(true)
                .size_range(range)
                .default_size(default)
                .show(ui, |ui| self.controls_panel(ui, pal));
            self.probe.left = Some(r.response.rect);
        }
        // In presentation mode the rules take the story's place while the teacher edits (the
        // centre keeps its width, so the back row's view does not shrink).
        if self.looks.presentation && self.show_controls {
            self.probe.right = Rect::NOTHING;
            return;
        }
        let right = egui::Panel::right(("story", layout_gen))
            .resizable(true)
            .size_range((0.2 * w).max(200.0)..=(0.32 * w).max(220.0))
            .default_size(0.28 * w)
            .show(ui, |ui| self.right_panel(ui, pal));
        self.probe.right = right.response.rect;
    }
}

impl eframe::App for FtpLabApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.window_manager.is_none() {
            self.window_manager = Some(focus::window_manager(frame));
        }
        if self.x11_focus_tries > 0 {
            self.x11_focus_tries -= 1;
            if focus::take(frame).is_some() {
                self.x11_focus_tries = 0;
            } else {
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
            }
        }
        if ctx.input(|i| i.viewport().close_requested()) && self.doc.dirty() && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.dialog = Some(dialogs::Dialog::unsaved(dialogs::Next::Close));
        }
        let mut title = match self.capture() {
            Some(c) => format!("FTP Lab — capture {}", c.name),
            None => format!("FTP Lab — {}", self.doc.name),
        };
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
    crate::simulate(&Scenario::load(&path).unwrap()).unwrap()
}

/// What a lesson sets up, without its ending: "Active mode: what will happen?".
pub(crate) fn setup_words(s: &Scenario) -> String {
    let modes: Vec<Mode> = s
        .nodes
        .iter()
        .filter_map(|n| match n {
            NodeSpec::Client(c) => Some(c.mode),
            _ => None,
        })
        .collect();
    let mode = if modes.iter().all(|m| *m == Mode::Active) {
        "Active mode"
    } else if modes.iter().all(|m| *m == Mode::Passive) {
        "Passive mode"
    } else {
        "Active and passive mode"
    };
    format!("{mode}: what will happen?")
}

impl FtpLabApp {
    /// The app at start: the file given, else the lesson last opened (a file, an exercise or
    /// a shipped lesson), with the saved settings.
    fn starting(path: Option<&std::path::Path>, prefs: &prefs::Prefs) -> FtpLabApp {
        let file = path
            .map(std::path::Path::to_path_buf)
            .or_else(|| prefs.last_scenario.clone().filter(|p| p.exists()));
        let mut app = FtpLabApp::new(file.as_deref());
        if file.is_none()
            && let Some(n) = &prefs.last_builtin
            && let Some((name, _)) = builtin::SHIPPED.iter().find(|(s, _)| s == n)
        {
            app.open_entry(builtin::Entry::Builtin(name));
        }
        app.load_prefs(prefs.clone());
        app
    }
}

/// Open the window. `path`: a scenario given on the command line.
pub fn run(path: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_maximized(true)
            .with_min_inner_size([800.0, 600.0])
            .with_title("FTP Lab"),
        ..Default::default()
    };
    eframe::run_native(
        "FTP Lab",
        options,
        Box::new(move |cc| {
            let prefs: prefs::Prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            Ok(Box::new(FtpLabApp::starting(path.as_deref(), &prefs)))
        }),
    )
}
