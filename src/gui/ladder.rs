//! The ladder (sequence) diagram: one lifeline per node, in the topology's order (clients to
//! servers), one arrow per packet from where it was sent to where it ended, in trace order.
//! Columns keep a minimum width: with many nodes the diagram scrolls sideways rather than let
//! the names run together. Arrows up to the cursor are solid, later ones faint (hidden in
//! predict mode); the cursor's arrow is highlighted and kept in view. Only visible rows are
//! drawn. A packet a NAT rewrote has its words before the NAT on one side of it and after
//! on the other, with a dot where the NAT is. Clicking an arrow moves the cursor to that packet's fate; right-click inspects it.

use super::Run;
use super::model::{Command, End, Playback};
use super::style::Palette;
use crate::ids::{NodeId, PacketId};
use eframe::egui::{self, Align2, Pos2, Rect, Sense, Stroke, Vec2};

#[derive(Default)]
pub struct LadderState {
    /// The journey the view last followed.
    followed: Option<usize>,
    /// Rows visible in the last frame.
    visible: std::ops::Range<usize>,
    /// Row height and view height of the last frame (they change with the zoom).
    geometry: (f32, f32),
    /// Scrolls redone because the cursor's row was still out of view.
    retries: u8,
    /// Where the column headers were drawn (for the layout checks).
    pub headers: Vec<Rect>,
}

/// The left margin: the time and the step's badge, side by side whatever the look (in
/// presentation mode a fixed 78 points put "31.242" against its badge).
fn gutter(pal: &Palette) -> f32 {
    pal.small * 4.2 + pal.font * 1.2 + 14.0
}
/// The most a column asks for before the diagram scrolls sideways.
pub const MIN_COLUMN: f32 = 92.0;

/// The x of each node's lifeline within `r`.
fn columns(r: Rect, run: &Run, gutter: f32) -> Vec<f32> {
    let n = run.graph.order.len().max(1);
    let left = r.left() + gutter;
    let w = (r.width() - gutter) / n as f32;
    let mut xs = vec![0.0; run.trace.nodes.len()];
    for (k, node) in run.graph.order.iter().enumerate() {
        xs[node.index()] = left + w * (k as f32 + 0.5);
    }
    xs
}

pub fn show(
    ui: &mut egui::Ui,
    st: &mut LadderState,
    run: &Run,
    pb: &Playback,
    pal: &Palette,
) -> Option<(Command, bool)> {
    let n = run.graph.order.len().max(1) as f32;
    // A column is as wide as the longest node name needs (never less than 56, never more
    // than MIN_COLUMN is asked): the classic five-node chain fits a 1024-pixel projector
    // without scrolling sideways.
    let font = egui::FontId::proportional(pal.font);
    let widest = run
        .graph
        .order
        .iter()
        .map(|id| {
            ui.fonts_mut(|f| {
                f.layout_no_wrap(run.trace.node_name(*id).to_owned(), font.clone(), pal.text)
                    .size()
                    .x
            })
        })
        .fold(0.0f32, f32::max);
    let min_column = (widest + 14.0).clamp(56.0, MIN_COLUMN);
    let width = ui.available_width().max(gutter(pal) + n * min_column);
    let mut cmd = None;
    egui::ScrollArea::horizontal()
        .id_salt("ladder_h")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_min_width(width);
            header(ui, st, run, pal, width);
            cmd = rows(ui, st, run, pb, pal, width);
        });
    cmd
}

fn header(ui: &mut egui::Ui, st: &mut LadderState, run: &Run, pal: &Palette, width: f32) {
    let row_h = pal.font + 13.0;
    let (hr, _) = ui.allocate_exact_size(Vec2::new(width, row_h), Sense::hover());
    let xs = columns(hr, run, gutter(pal));
    let painter = ui.painter_at(hr);
    painter.text(
        Pos2::new(hr.left() + 4.0, hr.center().y),
        Align2::LEFT_CENTER,
        "time   step",
        egui::FontId::proportional(pal.small),
        pal.faint,
    );
    let col_w = (hr.width() - gutter(pal)) / n_cols(run);
    st.headers.clear();
    for node in &run.graph.order {
        let name = &run.trace.node_name(*node);
        let font = egui::FontId::proportional(pal.font);
        let galley = painter.layout_no_wrap(name.to_string(), font.clone(), pal.text);
        let text = if galley.size().x > col_w - 6.0 {
            shorten(&painter, name, font, col_w - 6.0)
        } else {
            name.to_string()
        };
        let r = painter.text(
            Pos2::new(xs[node.index()], hr.center().y),
            Align2::CENTER_CENTER,
            text,
            egui::FontId::proportional(pal.font),
            pal.text,
        );
        st.headers.push(r);
    }
}

fn n_cols(run: &Run) -> f32 {
    run.graph.order.len().max(1) as f32
}

fn shorten(painter: &egui::Painter, text: &str, font: egui::FontId, width: f32) -> String {
    let chars: Vec<char> = text.chars().collect();
    for k in (1..chars.len()).rev() {
        let t: String = chars[..k].iter().collect::<String>() + "…";
        if painter
            .layout_no_wrap(t.clone(), font.clone(), egui::Color32::BLACK)
            .size()
            .x
            <= width
        {
            return t;
        }
    }
    String::new()
}

/// `text` when it fits in `room`, else "…" and what follows byte `cut` (a word boundary).
fn fit_or_tail(p: &egui::Painter, pal: &Palette, text: &str, cut: usize, room: f32) -> String {
    let font = egui::FontId::proportional(pal.small.max(pal.font - 1.0));
    let wide = p
        .layout_no_wrap(text.to_owned(), font, egui::Color32::BLACK)
        .size()
        .x;
    if wide <= room - 4.0 || cut == 0 || cut >= text.len() {
        text.to_owned()
    } else {
        // The packet's kind stays: "SYN-ACK …10.0.0.5:21 → 198.51.100.7:36823".
        // (when that fits; else "…" and the part the NAT changed, which must show whole).
        let tail = format!("…{}", &text[cut..]);
        let kept = match text.split_once(' ') {
            Some((kind, _)) if kind.len() + 1 < cut => format!("{kind} {tail}"),
            _ => return tail,
        };
        let font = egui::FontId::proportional(pal.small.max(pal.font - 1.0));
        let w = p
            .layout_no_wrap(kept.clone(), font, egui::Color32::BLACK)
            .size()
            .x;
        if w <= room - 4.0 { kept } else { tail }
    }
}

fn rows(
    ui: &mut egui::Ui,
    st: &mut LadderState,
    run: &Run,
    pb: &Playback,
    pal: &Palette,
    width: f32,
) -> Option<(Command, bool)> {
    let row_h = pal.font + 13.0;
    let current = run.journeys.at_cursor(pb.cursor);
    // In predict mode the rows after the cursor are not there yet.
    let shown = if pb.predict {
        run.journeys
            .list
            .partition_point(|j| j.first_event <= pb.cursor)
    } else {
        run.journeys.list.len()
    };
    let mut area = egui::ScrollArea::vertical()
        .id_salt("ladder")
        .auto_shrink([false, false]);
    let mut scrolled = false;
    // A change of zoom changes the rows' height and the view's: the cursor's row is found again.
    let geometry = (row_h, ui.available_height().round());
    if current != st.followed || geometry != st.geometry {
        st.geometry = geometry;
        if let Some(c) = current
            && !(st.visible.start + 1..st.visible.end.saturating_sub(3)).contains(&c)
        {
            let span = st.visible.len().max(1);
            let top = c.saturating_sub(span / 3);
            area = area.vertical_scroll_offset(top as f32 * row_h);
            scrolled = true;
        }
        st.followed = current;
    }
    let mut cmd = None;
    ui.spacing_mut().item_spacing.y = 0.0;
    area.show_rows(ui, row_h, shown, |ui, range| {
        st.visible = range.clone();
        for ji in range {
            if let Some(c) = row(ui, run, pb, pal, width, row_h, ji, current) {
                cmd = Some(c);
            }
        }
    });
    // The scroll was worked out from the last frame's number of rows, which a change of zoom
    // (presentation mode) makes wrong: if the cursor's row is still out of view, try again
    // next frame, a few times at most (the user's own scrolling is never fought).
    if scrolled && current.is_some_and(|c| !st.visible.contains(&c)) && st.retries < 3 {
        st.retries += 1;
        st.followed = None;
        ui.ctx().request_repaint();
    } else if !scrolled {
        st.retries = 0;
    }
    cmd
}

/// One row: one packet's journey, drawn in `r`.
struct Row<'a> {
    run: &'a Run,
    pb: &'a Playback,
    pal: &'a Palette,
    ji: usize,
    j: &'a crate::gui::model::Journey,
    r: Rect,
    xs: Vec<f32>,
    current: bool,
    past: bool,
    /// The journey's last event is at or before the cursor.
    ended: bool,
    /// It was dropped or rejected, and the cursor may show it.
    stopped: bool,
}

#[allow(clippy::too_many_arguments)]
fn row(
    ui: &mut egui::Ui,
    run: &Run,
    pb: &Playback,
    pal: &Palette,
    width: f32,
    row_h: f32,
    ji: usize,
    current: Option<usize>,
) -> Option<(Command, bool)> {
    let j = &run.journeys.list[ji];
    let (r, resp) = ui.allocate_exact_size(Vec2::new(width, row_h), Sense::click());
    let ended = j.last_event <= pb.cursor;
    let row = Row {
        run,
        pb,
        pal,
        ji,
        j,
        r,
        xs: columns(r, run, gutter(pal)),
        current: Some(ji) == current,
        past: j.first_event <= pb.cursor,
        ended,
        stopped: matches!(j.end, End::Dropped(_) | End::Rejected(_)) && (ended || !pb.predict),
    };
    let p = ui.painter_at(r);
    row.background(&p, resp.hovered());
    let (x0, x1) = row.arrow(&p);
    let text = row.label(&p, x0, x1);
    row.interact(resp, &text)
}

impl Row<'_> {
    /// Future rows are thinner, but their words keep full contrast.
    fn text_col(&self) -> egui::Color32 {
        if self.past {
            self.pal.text
        } else {
            self.pal.faint
        }
    }

    /// The highlight, the lifelines, the time and the step's number.
    fn background(&self, p: &egui::Painter, hovered: bool) {
        let (r, pal) = (self.r, self.pal);
        if self.current {
            p.rect_filled(r, 0.0, pal.highlight);
        } else if hovered {
            p.rect_filled(r, 0.0, pal.highlight.gamma_multiply(0.5));
        }
        for &x in &self.xs {
            p.line_segment(
                [Pos2::new(x, r.top()), Pos2::new(x, r.bottom())],
                Stroke::new(1.0, pal.guide),
            );
        }
        p.text(
            Pos2::new(r.left() + 4.0, r.center().y),
            Align2::LEFT_CENTER,
            crate::export::picture::seconds(self.j.start),
            egui::FontId::monospace(pal.small),
            self.text_col(),
        );
        if let Some(s) = self.j.step {
            let c = Pos2::new(r.left() + gutter(pal) - pal.font * 0.6 - 4.0, r.center().y);
            p.circle_filled(c, pal.font * 0.6, pal.channel(self.j.channel));
            p.text(
                c,
                Align2::CENTER_CENTER,
                s.n.to_string(),
                egui::FontId::proportional(pal.small),
                egui::Color32::WHITE,
            );
        }
    }

    /// The arrow from the sender to where the packet got to (a ✖ where it was stopped);
    /// returns the x of its ends.
    fn arrow(&self, p: &egui::Painter) -> (f32, f32) {
        let (j, pb, pal, r) = (self.j, self.pb, self.pal, self.r);
        // In predict mode a packet still on its way is drawn only as far as it has got: where
        // it ends (and whether it is stopped) is not shown before it happens.
        let reached = if pb.predict && !self.ended {
            j.hops
                .iter()
                .rev()
                .find(|h| h.event <= pb.cursor)
                .map_or(j.from, |h| h.to)
        } else {
            j.to
        };
        let row_h = r.height();
        let (x0, x1) = (self.xs[j.from.index()], self.xs[reached.index()]);
        let a = Pos2::new(x0, r.top() + row_h * 0.62);
        let b = Pos2::new(x1, r.top() + row_h * 0.86);
        let width = if self.current {
            pal.line + 1.0
        } else if self.past {
            pal.line * 0.75
        } else {
            1.0
        };
        let stroke = Stroke::new(width, pal.channel(j.channel));
        if (x1 - x0).abs() > 1.0 {
            p.line_segment([a, b], stroke);
            if !self.stopped {
                let dir = (b - a).normalized();
                let side = Vec2::new(-dir.y, dir.x) * 4.0;
                p.line_segment([b, b - dir * 8.0 + side], stroke);
                p.line_segment([b, b - dir * 8.0 - side], stroke);
            }
        }
        if self.stopped && self.ended {
            let s = Stroke::new(pal.line, pal.bad);
            p.line_segment([b + Vec2::new(-5.0, -5.0), b + Vec2::new(5.0, 5.0)], s);
            p.line_segment([b + Vec2::new(-5.0, 5.0), b + Vec2::new(5.0, -5.0)], s);
        }
        (x0, x1)
    }

    /// Where a NAT on the way rewrote the packet, if the arrow reaches past it: the NAT's
    /// node and the packet as it left it.
    fn rewritten(&self, x1: f32) -> Option<(NodeId, PacketId)> {
        let (j, x0) = (self.j, self.xs[self.j.from.index()]);
        let hop = j.hops.iter().find(|h| h.packet != j.packet)?;
        let xn = self.xs[hop.from.index()];
        let between = (xn - x0) * (x1 - xn) > 0.0;
        let trace = &self.run.trace;
        let differs = trace.packets[hop.packet].summary() != trace.packets[j.packet].summary();
        (between && differs && (!self.pb.predict || hop.event <= self.pb.cursor))
            .then_some((hop.from, hop.packet))
    }

    /// The packet's words above its arrow, kept inside the row; returns them. Past a NAT
    /// that rewrote it, the arrow has two labels, each above its own side of the NAT (a dot
    /// on the arrow marks where). A password is masked, as everywhere else.
    fn label(&self, p: &egui::Painter, x0: f32, x1: f32) -> String {
        let summary =
            |id: PacketId| crate::ftp::command::masked(&self.run.trace.packets[id].summary());
        let before = summary(self.j.packet);
        let Some((nat, after_id)) = self.rewritten(x1) else {
            self.one_label(p, &before, x0, x1, None);
            return before;
        };
        let xn = self.xs[nat.index()];
        let after = summary(after_id);
        let (r, pal) = (self.r, self.pal);
        let y = r.top() + r.height() * (0.62 + 0.24 * (xn - x0) / (x1 - x0));
        p.circle_filled(Pos2::new(xn, y), pal.line + 2.0, pal.text);
        // Each label may use its whole side of the row, up to the NAT's lifeline.
        let (left, right) = if x0 < xn {
            ((f32::MIN, xn), (xn, f32::MAX))
        } else {
            ((xn, f32::MAX), (f32::MIN, xn))
        };
        // What they share is said once: where a side is too narrow for its whole label, it
        // shows "…" and the part the NAT changed (the inside address of a data SYN was cut
        // off exactly where it differed).
        let cut = crate::export::picture::shared_cut(&before, &after);
        // Each side's room: from the NAT's lifeline to the row's edge on that side.
        let (lo, hi) = (r.left() + gutter(pal), r.right());
        let (room_before, room_after) = if x0 < xn {
            (xn - lo, hi - xn)
        } else {
            (hi - xn, xn - lo)
        };
        let before_text = fit_or_tail(p, pal, &before, cut, room_before);
        let after_text = fit_or_tail(p, pal, &after, cut, room_after);
        self.one_label(p, &before_text, x0, xn, Some(left));
        self.one_label(p, &after_text, xn, x1, Some(right));
        format!(
            "{before}, rewritten by {} to {after}",
            self.run.trace.node_name(nat)
        )
    }

    /// One label centred over `x0..x1`, kept within `span` (or the row) and the part of the
    /// row on screen, shortened with "…" only when wider than that.
    fn one_label(&self, p: &egui::Painter, text: &str, x0: f32, x1: f32, span: Option<(f32, f32)>) {
        let (r, pal) = (self.r, self.pal);
        let mid = Pos2::new((x0 + x1) / 2.0, r.top() + 1.0);
        let font = egui::FontId::proportional(pal.small.max(pal.font - 1.0));
        // Kept inside the part of the row that is on screen (the diagram may scroll
        // sideways).
        let seen = r.intersect(p.clip_rect());
        let (lo, hi) = span.map_or((seen.left(), seen.right()), |(a, b)| (a + 2.0, b - 2.0));
        let min_x = seen.left().max(r.left() + gutter(pal)).max(lo);
        let max_x = seen.right().min(hi);
        let room = (max_x - min_x).max(1.0);
        let mut galley = p.layout_no_wrap(text.to_owned(), font.clone(), self.text_col());
        if galley.size().x > room {
            let short = shorten(p, text, font.clone(), room);
            galley = p.layout_no_wrap(short, font, self.text_col());
        }
        let mut lr = Align2::CENTER_TOP.anchor_size(mid, galley.size());
        if lr.left() < min_x {
            lr = lr.translate(Vec2::new(min_x - lr.left(), 0.0));
        }
        if lr.right() > max_x {
            lr = lr.translate(Vec2::new(max_x - lr.right(), 0.0));
        }
        let bg = if self.current {
            pal.highlight
        } else {
            pal.label_bg
        };
        p.rect_filled(lr, 2.0, bg);
        p.galley(lr.min, galley, self.text_col());
    }

    /// Its name for a screen reader, its hover, and what a click asks for.
    fn interact(&self, resp: egui::Response, text: &str) -> Option<(Command, bool)> {
        let fate = if self.stopped && self.ended {
            format!(" (stopped at {})", self.run.trace.node_name(self.j.to))
        } else if !self.ended && self.pb.predict {
            " (on its way)".to_owned()
        } else {
            String::new()
        };
        let name = format!("Arrow {}: {text}{fate}", self.ji + 1);
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name.clone()));
        let seek = Command::SeekEvent(self.j.last_event);
        let cmd = if resp.double_clicked() || resp.secondary_clicked() {
            Some((seek, true))
        } else if resp.clicked() {
            Some((seek, false))
        } else {
            None
        };
        resp.on_hover_text(format!(
            "{text} — click to move the cursor here; right-click to inspect it"
        ));
        cmd
    }
}
