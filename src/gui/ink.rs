//! The teacher's pen, in presentation mode: drag with the left button while Shift is held (or
//! with the pen switched on) to draw over the window; a soft highlight follows the pointer; C
//! clears the ink. Ink is never saved and never touches the scenario.

use eframe::egui::{self, Color32, Pos2, Stroke};

#[derive(Default)]
pub struct Ink {
    pub pen: bool,
    strokes: Vec<Vec<Pos2>>,
    drawing: bool,
}

impl Ink {
    pub fn clear(&mut self) {
        self.strokes.clear();
        self.drawing = false;
    }

    pub fn strokes(&self) -> usize {
        self.strokes.len()
    }

    /// Follows the pointer and draws; call once per frame in presentation mode.
    pub fn show(&mut self, ctx: &egui::Context) {
        let (pos, down, shift) = ctx.input(|i| {
            (
                i.pointer.hover_pos(),
                i.pointer.primary_down(),
                i.modifiers.shift,
            )
        });
        let active = self.pen || shift;
        if self.pen {
            // A layer over everything takes the drags, so nothing under the pen is clicked.
            let screen = ctx.content_rect();
            egui::Area::new(egui::Id::unique("ink-catcher"))
                .order(egui::Order::Foreground)
                .fixed_pos(screen.min)
                .show(ctx, |ui| {
                    ui.allocate_rect(screen, egui::Sense::drag());
                });
        }
        match (active && down, pos) {
            (true, Some(p)) => {
                if !self.drawing {
                    self.strokes.push(Vec::new());
                    self.drawing = true;
                }
                if let Some(s) = self.strokes.last_mut()
                    && s.last().is_none_or(|q| q.distance(p) > 1.5)
                {
                    s.push(p);
                }
                ctx.request_repaint();
            }
            _ => self.drawing = false,
        }
        let painter = ctx.layer_painter(egui::LayerId::new(
            egui::Order::Tooltip,
            egui::Id::unique("ink"),
        ));
        for s in &self.strokes {
            if s.len() > 1 {
                painter.add(egui::Shape::line(
                    s.clone(),
                    Stroke::new(4.0, Color32::from_rgb(220, 30, 120)),
                ));
            }
        }
        if let Some(p) = pos {
            painter.circle_filled(p, 26.0, Color32::from_rgba_unmultiplied(255, 230, 0, 60));
        }
    }
}
