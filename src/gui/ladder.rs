//! The ladder (sequence) diagram: one lifeline per node, one arrow per packet from where it
//! was sent to where it ended, in trace order. Arrows up to the cursor are solid, later ones
//! faint; the cursor's arrow is highlighted and kept in view. Only visible rows are drawn, so a
//! long trace scrolls smoothly. Clicking an arrow moves the cursor to that packet's fate.

use super::Run;
use super::model::{Command, End, Playback};
use super::style::Palette;
use super::topology::columns;
use eframe::egui::{self, Align2, Pos2, Rect, Sense, Stroke, Vec2};

#[derive(Default)]
pub struct LadderState {
    /// The journey the view last followed.
    followed: Option<usize>,
    /// Rows visible in the last frame.
    visible: std::ops::Range<usize>,
    /// Row height of the last frame (it changes with presentation mode).
    row_h: f32,
}

const GUTTER: f32 = 74.0;

pub fn show(
    ui: &mut egui::Ui,
    st: &mut LadderState,
    run: &Run,
    pb: &Playback,
    pal: &Palette,
) -> Option<(Command, bool)> {
    let trace = &run.trace;
    let row_h = pal.font + 13.0;
    let width = ui.available_width();
    let cols_rect = |r: Rect| Rect::from_min_max(Pos2::new(r.left() + GUTTER, r.top()), r.max);
    // Header: node names over their lifelines.
    let (hr, _) = ui.allocate_exact_size(Vec2::new(width, row_h), Sense::hover());
    let xs = columns(
        cols_rect(hr).shrink2(Vec2::new(8.0, 0.0)),
        &run.order,
        trace.nodes.len(),
    );
    let painter = ui.painter_at(hr);
    painter.text(
        Pos2::new(hr.left() + 4.0, hr.center().y),
        Align2::LEFT_CENTER,
        "time  step",
        egui::FontId::proportional(pal.font - 1.0),
        pal.faint,
    );
    for (i, n) in trace.nodes.iter().enumerate() {
        painter.text(
            Pos2::new(xs[i], hr.center().y),
            Align2::CENTER_CENTER,
            &n.name,
            egui::FontId::proportional(pal.font).clone(),
            pal.text,
        );
    }

    let current = run.journeys.at_cursor(pb.cursor);
    let rows = run.journeys.list.len();
    let mut area = egui::ScrollArea::vertical()
        .id_salt("ladder")
        .auto_shrink([false, false]);
    if current != st.followed || row_h != st.row_h {
        st.row_h = row_h;
        if let Some(c) = current
            && !(st.visible.start + 1..st.visible.end.saturating_sub(3)).contains(&c)
        {
            let span = st.visible.len().max(1);
            let top = c.saturating_sub(span / 3);
            area = area.vertical_scroll_offset(top as f32 * row_h);
        }
        st.followed = current;
    }
    let mut cmd = None;
    ui.spacing_mut().item_spacing.y = 0.0;
    area.show_rows(ui, row_h, rows, |ui, range| {
        st.visible = range.clone();
        for ji in range {
            let j = &run.journeys.list[ji];
            let (r, resp) =
                ui.allocate_exact_size(Vec2::new(ui.available_width(), row_h), Sense::click());
            let xs = columns(
                cols_rect(r).shrink2(Vec2::new(8.0, 0.0)),
                &run.order,
                trace.nodes.len(),
            );
            let p = ui.painter_at(r);
            let past = j.first_event <= pb.cursor;
            if Some(ji) == current {
                p.rect_filled(r, 0.0, pal.highlight);
            } else if resp.hovered() {
                p.rect_filled(r, 0.0, pal.highlight.gamma_multiply(0.4));
            }
            for &x in &xs {
                p.line_segment(
                    [Pos2::new(x, r.top()), Pos2::new(x, r.bottom())],
                    Stroke::new(1.0, pal.faint.gamma_multiply(0.5)),
                );
            }
            let col = if past {
                pal.channel(j.channel)
            } else {
                pal.channel(j.channel).gamma_multiply(0.3)
            };
            let text_col = if past { pal.text } else { pal.faint };
            p.text(
                Pos2::new(r.left() + 4.0, r.center().y),
                Align2::LEFT_CENTER,
                format!("{:.3}", j.start.secs_f64()),
                egui::FontId::monospace(pal.font - 2.0),
                text_col,
            );
            if let Some(s) = j.step {
                let c = Pos2::new(r.left() + GUTTER - 14.0, r.center().y);
                p.circle_filled(c, pal.font * 0.55, col);
                p.text(
                    c,
                    Align2::CENTER_CENTER,
                    s.n.to_string(),
                    egui::FontId::proportional(pal.font - 3.0),
                    egui::Color32::WHITE,
                );
            }
            let (x0, x1) = (xs[j.from.index()], xs[j.to.index()]);
            let y0 = r.top() + row_h * 0.62;
            let y1 = r.top() + row_h * 0.86;
            let a = Pos2::new(x0, y0);
            let b = Pos2::new(x1, y1);
            let stopped = matches!(j.end, End::Dropped(_) | End::Rejected(_));
            let stroke = Stroke::new(
                if Some(ji) == current {
                    pal.line + 1.0
                } else {
                    pal.line * 0.75
                },
                col,
            );
            if (x1 - x0).abs() > 1.0 {
                p.line_segment([a, b], stroke);
                if !stopped {
                    let dir = (b - a).normalized();
                    let back = dir * -8.0;
                    let side = Vec2::new(-dir.y, dir.x) * 4.0;
                    p.line_segment([b, b + back + side], stroke);
                    p.line_segment([b, b + back - side], stroke);
                }
            }
            if stopped && past {
                let s = Stroke::new(pal.line, pal.bad);
                p.line_segment([b + Vec2::new(-5.0, -5.0), b + Vec2::new(5.0, 5.0)], s);
                p.line_segment([b + Vec2::new(-5.0, 5.0), b + Vec2::new(5.0, -5.0)], s);
            }
            let text = trace.packets[j.packet].summary();
            let mid = Pos2::new((x0 + x1) / 2.0, r.top() + 1.0);
            let font = egui::FontId::proportional(pal.font - 1.0);
            let galley = p.layout_no_wrap(text, font, text_col);
            let mut lr = Align2::CENTER_TOP.anchor_size(mid, galley.size());
            let min_x = r.left() + GUTTER;
            if lr.left() < min_x {
                lr = lr.translate(Vec2::new(min_x - lr.left(), 0.0));
            }
            if lr.right() > r.right() {
                lr = lr.translate(Vec2::new(r.right() - lr.right(), 0.0));
            }
            p.rect_filled(lr, 2.0, pal.label_bg.gamma_multiply(0.8));
            p.galley(lr.min, galley, text_col);
            if resp.double_clicked() || resp.secondary_clicked() {
                cmd = Some((Command::SeekEvent(j.last_event), true));
            } else if resp.clicked() {
                cmd = Some((Command::SeekEvent(j.last_event), false));
            }
            let name = format!("Arrow {}: {}", ji + 1, trace.packets[j.packet].summary());
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name.clone()));
            resp.on_hover_text(format!(
                "{} — click to move the cursor here; double-click to inspect it",
                trace.packets[j.packet].summary()
            ));
        }
    });
    cmd
}
