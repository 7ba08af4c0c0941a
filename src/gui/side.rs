//! Where the panels go: the left panel (the exercise, the controls, or a capture's summary),
//! the right one (the story and the terminal, or the inspector) and the centre (the network
//! above the ladder, the event list or the plot). Each panel returns commands; they are queued
//! for the end of the frame.

use super::command::AppCommand;
use super::panel::{self, Panel, Seen};
use super::{
    CaptureView, CentreTab, ExerciseState, FtpLabApp, RightTab, Showing, controls, files, style,
};
use eframe::egui::{self, RichText};

impl FtpLabApp {
    pub(super) fn controls_panel(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        if let Showing::Capture(c) = &self.showing {
            let c = c.clone();
            return self.capture_panel(ui, &c, pal);
        }
        if let Showing::Exercise(x) = &self.showing {
            // In predict mode the checks would tell the class what the run does before it
            // gets there: they wait for the end of the run.
            let hide =
                self.playback.predict && self.playback.cursor + 1 < self.run.trace.events.len();
            // The exercise takes at most half the panel; it scrolls on a small screen.
            let h = ui.available_height() * 0.5;
            let cmds = egui::ScrollArea::vertical()
                .id_salt("exercise")
                .max_height(h)
                .auto_shrink([false, true])
                .show(ui, |ui| exercise_section(ui, x, pal, hide))
                .inner;
            self.queue.extend(cmds);
        }
        let recent = &self.recent;
        let folder = self.last_folder.as_deref();
        let library = || files::library(recent, folder);
        let view = controls::View {
            trace: &self.run.trace,
            cursor: self.playback.cursor,
            predict: self.playback.predict,
            problems: &self.problems,
            library: &library,
            pal,
            dirty: self.doc.dirty(),
            can_undo: self.doc.can_undo(),
            can_redo: self.doc.can_redo(),
        };
        if self.playback.asking.is_some() {
            self.panels.controls.deselect();
        }
        let cmds = controls::show(ui, &mut self.panels.controls, self.doc.scenario(), &view);
        self.queue.extend(cmds);
    }

    /// The left panel for a capture: what was read, where it was taken, and the way to a
    /// lesson that does the same.
    fn capture_panel(&mut self, ui: &mut egui::Ui, c: &CaptureView, pal: &style::Palette) {
        let mut cmds = Vec::new();
        egui::ScrollArea::vertical()
            .id_salt("capture_panel")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.heading("A real capture");
                ui.label(RichText::new(&c.name).strong());
                ui.label(format!("Taken {}.", c.vantage.words()));
                let st = &c.stats;
                ui.label(format!(
                    "{} frames read, {} IPv4; {} not FTP; {} cut short by the snap length; {} with bad checksums (often the sender's offloading).",
                    st.frames, st.ipv4, st.not_ftp, st.truncated, st.bad_checksums
                ));
                if let Some(why) = &st.ends_early {
                    ui.label(RichText::new(format!("The file ends early: {why}.")).color(pal.bad));
                }
                ui.separator();
                if ui
                    .button("Make a scenario from this capture")
                    .on_hover_text("A lesson with the capture's addresses, server ports, mode and delays, and a firewall that does what the capture shows (its description says what still differs); then edit its rules to fix it")
                    .clicked()
                {
                    cmds.push(AppCommand::ScenarioFromCapture);
                }
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Open…").clicked() {
                        cmds.push(AppCommand::OpenDialog);
                    }
                    if ui.button("Back to the lesson").clicked() {
                        cmds.push(AppCommand::BackToLesson);
                    }
                });
                ui.separator();
                self.capture_actions(ui, pal);
            });
        self.queue.extend(cmds);
    }

    /// Each action the capture shows, ✔ or ✖ (at the end only, in predict mode).
    fn capture_actions(&self, ui: &mut egui::Ui, pal: &style::Palette) {
        let at_end = self.playback.cursor + 1 >= self.run.trace.events.len();
        if !at_end && self.playback.predict {
            return;
        }
        for cl in &self.run.trace.clients {
            for a in &cl.actions {
                let (mark, col) = if a.ok {
                    ("✔", pal.ok)
                } else {
                    ("✖", pal.bad)
                };
                ui.label(
                    RichText::new(format!("{mark} {} {}: {}", cl.name, a.action, a.detail))
                        .color(col),
                );
            }
        }
    }

    pub(super) fn right_panel(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.right, RightTab::Story, "Story");
            ui.selectable_value(&mut self.right, RightTab::Inspector, "Packet inspector");
        });
        ui.separator();
        let seen = Seen {
            run: &self.run,
            playback: &self.playback,
            pal,
        };
        // The content never widens the panel: it scrolls (or wraps) inside it.
        let cmds = match self.right {
            RightTab::Story => {
                let h = ui.available_height();
                // At the end of the run the story holds the conclusion: it gets the room
                // (in presentation mode it was cut mid-sentence above the terminal).
                let at_end = self.playback.cursor + 1 >= self.run.trace.events.len();
                let share = if at_end { 0.72 } else { 0.55 };
                let mut cmds = egui::ScrollArea::vertical()
                    .id_salt("story")
                    .max_height(h * share)
                    .auto_shrink([false, true])
                    .show(ui, |ui| panel::Narration.ui(ui, &seen))
                    .inner;
                ui.separator();
                cmds.extend(panel::Terminal.ui(ui, &seen));
                cmds
            }
            // While the class answers, the inspector would show the answer (the PORT's
            // arithmetic, the rule that decides): it waits for the reveal.
            RightTab::Inspector if self.playback.asking.is_some() => {
                ui.label(
                    RichText::new(
                        "The inspector is hidden while the class answers the question: it would \
                         give the answer away. It comes back once the question is answered.",
                    )
                    .color(pal.text),
                );
                Vec::new()
            }
            RightTab::Inspector => self.panels.inspector.ui(ui, &seen),
        };
        self.queue.extend(cmds);
    }

    /// The network view's height: it grows with the rows of its graph (clients stacked behind
    /// a NAT), up to 55 % of the centre, so that each row's boxes get text no smaller than the
    /// palette's smallest (readable from the back row in presentation mode).
    fn network_height(&self, avail: f32, pal: &style::Palette) -> f32 {
        let rows = self.run.graph.rows.max(1) as f32;
        let need = pal.font * 4.6 + 28.0 + rows * pal.small * 5.0;
        (avail * 0.42)
            .clamp(170.0, 320.0)
            .max(need.min(avail * 0.55))
    }

    pub(super) fn centre_panel(&mut self, ui: &mut egui::Ui, pal: &style::Palette) {
        // In presentation mode the whole title, wrapped, above the picture (the top bar has
        // no room for it). The picture keeps its size: the diagram below gives up the room.
        let avail = ui.available_height();
        if self.looks.presentation && self.capture().is_none() {
            let (title, _) = self.title_words();
            ui.add(egui::Label::new(RichText::new(title).heading().strong()).wrap());
        }
        let mut network = panel::Network {
            height: self.network_height(avail, pal),
            ..Default::default()
        };
        let seen = Seen {
            run: &self.run,
            playback: &self.playback,
            pal,
        };
        let mut cmds = network.ui(ui, &seen);
        self.probe.node_boxes = network.drawn.boxes;
        if let Some(k) = self.playback.asking
            && let Some(q) = self.run.lesson.questions.get(k)
            && (self.looks.presentation || self.panels.predict.tucked)
        {
            super::predict::banner(ui, &mut self.panels.predict, k, q, pal);
        }
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.centre, CentreTab::Ladder, "Ladder diagram");
            ui.selectable_value(&mut self.centre, CentreTab::Events, "Event list");
            ui.selectable_value(&mut self.centre, CentreTab::Plot, "Time–sequence plot");
        });
        ui.separator();
        self.probe.ladder_headers.clear();
        cmds.extend(match self.centre {
            CentreTab::Ladder => {
                let c = self.panels.ladder.ui(ui, &seen);
                self.probe.ladder_headers = self.panels.ladder.headers.clone();
                c
            }
            CentreTab::Events => self.panels.events.ui(ui, &seen),
            CentreTab::Plot => panel::Plot.ui(ui, &seen),
        });
        self.queue.extend(cmds);
    }
}

/// The exercise above the controls: the task, the checklist (✔ / ✖ and why, after every
/// edit), hints one at a time, and "Save my answer".
fn exercise_section(
    ui: &mut egui::Ui,
    x: &ExerciseState,
    pal: &style::Palette,
    hide: bool,
) -> Vec<AppCommand> {
    let mut cmds = Vec::new();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(format!("Exercise: {}", x.ex.title)).heading());
        // The buttons first: they stay in view however long the task is.
        ui.horizontal_wrapped(|ui| {
            let left = x.ex.hints.len() - x.hints;
            if left > 0 {
                let label = format!("Hint ({} of {})", x.hints + 1, x.ex.hints.len());
                if ui
                    .button(label)
                    .on_hover_text("Show the next hint")
                    .clicked()
                {
                    cmds.push(AppCommand::Hint);
                }
            }
            if ui
                .button("Reset to the start")
                .on_hover_text("Back to the exercise's starting lesson (Ctrl+Z undoes it)")
                .clicked()
            {
                cmds.push(AppCommand::ResetExercise);
            }
            if ui
                .button("Save my answer")
                .on_hover_text(
                    "Write your scenario, marked with this exercise, for the teacher to grade",
                )
                .clicked()
            {
                cmds.push(AppCommand::SaveAnswer);
            }
        });
        // The task next, then the hints, then the checklist: a small screen shows what to do
        // first (the task used to start below the checklist, out of view at 1024×768).
        // In predict mode the task waits for the end of the run, as the title does: it says
        // how the run ends ("'ls' fails with 425"; found by a teacher's fresh eyes).
        if hide {
            ui.label(
                RichText::new("Predict mode: the task shows at the end of the run (it tells how the run ends).")
                    .color(pal.text),
            );
        } else {
            ui.label(&x.ex.task);
        }
        for (k, h) in x.ex.hints.iter().take(x.hints).enumerate() {
            ui.label(RichText::new(format!("Hint {}: {h}", k + 1)).color(pal.data));
        }
        ui.separator();
        if hide {
            ui.label(RichText::new("Checklist").strong());
            for c in &x.grade.checks {
                ui.label(format!("? {}", c.text));
            }
            ui.label(
                RichText::new(
                    "Predict mode: whether each check passes shows at the end of the run (or press P).",
                )
                .small(),
            );
        } else {
            checklist(ui, x, pal);
        }
    });
    ui.add_space(6.0);
    cmds
}

fn checklist(ui: &mut egui::Ui, x: &ExerciseState, pal: &style::Palette) {
    let (ok, total) = x.grade.score();
    let head = if x.grade.passed() {
        RichText::new(format!("✔ All {total} checks pass"))
            .color(pal.ok)
            .strong()
    } else {
        RichText::new(format!("{ok} of {total} checks pass")).strong()
    };
    ui.label(head);
    if let Some(why) = &x.grade.refused {
        ui.label(RichText::new(format!("✖ Not gradable: {why}")).color(pal.bad));
    }
    for c in &x.grade.checks {
        let (mark, col) = if c.passed {
            ("✔", pal.ok)
        } else {
            ("✖", pal.bad)
        };
        let r = ui.label(
            RichText::new(format!("{mark} {}", c.text))
                .color(col)
                .strong(),
        );
        // Why a check fails is shown; why one passes only on hover (it made a wall of text).
        if c.passed {
            r.on_hover_text(&c.why);
        } else {
            ui.label(RichText::new(&c.why).small());
        }
    }
}
