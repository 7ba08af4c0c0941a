//! The topology view: the nodes as a graph (clients on the left, servers on the right, a LAN
//! behind a NAT as a column), their addresses (both sides of a NAT), the links with their
//! delays, and the packets on the links at the cursor's virtual time, coloured by channel and
//! labelled as they are on that link (so a label changes as the packet crosses a NAT). A packet
//! a middlebox stopped ends in a red mark beside it, with the rule that stopped it. Boxes and
//! fonts scale to the room the view gets; labels that would cover one another are left out
//! (the cursor's packet is always labelled).

use super::Run;
use super::model::{Command, End, Journey, Playback};
use super::style::Palette;
use crate::trace::{NodeKind, Trace};
use eframe::egui::{self, Align2, Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

/// Where the boxes went, for the layout checks.
#[derive(Clone, Debug, Default)]
pub struct Drawn {
    pub boxes: Vec<Rect>,
}

struct Geometry {
    rects: Vec<Rect>,
    /// Font size for the text in the boxes.
    font: f32,
}

fn geometry(rect: Rect, run: &Run, pal: &Palette) -> Geometry {
    let l = &run.graph;
    let cols = l.columns.max(1) as f32;
    let rows = l.rows.max(1) as f32;
    let top_room = pal.font * 2.6 + 14.0; // the clock and the labels above the boxes
    let bottom_room = pal.font * 2.0 + 14.0; // the link delays and the drop banner
    let inner = Rect::from_min_max(
        Pos2::new(rect.left() + 8.0, rect.top() + top_room),
        Pos2::new(rect.right() - 8.0, rect.bottom() - bottom_room),
    );
    let col_w = inner.width() / cols;
    let row_h = inner.height() / rows;
    let box_w = (col_w * 0.84).clamp(20.0, 160.0);
    // Boxes never reach into the next row: at most 80 % of a row, however many rows.
    let box_h = (row_h * 0.8).min(64.0);
    let font = (box_h / 4.0)
        .clamp(8.0, pal.font + 1.0)
        .min(box_w / 6.0)
        .max(8.0);
    let span_x = (inner.width() - box_w).max(0.0);
    let rects = l
        .pos
        .iter()
        .map(|&(x, y)| {
            let c = Pos2::new(
                inner.left() + box_w / 2.0 + x * span_x,
                // `y` is the middle of the node's row (rows share the column's height).
                inner.top() + y * inner.height(),
            );
            Rect::from_center_size(c, Vec2::new(box_w, box_h))
        })
        .collect();
    Geometry { rects, font }
}

/// Where the segment from `r`'s centre towards `to` leaves `r`.
fn edge(r: Rect, to: Pos2) -> Pos2 {
    let c = r.center();
    let d = to - c;
    if d.length() < 1e-3 {
        return c;
    }
    let tx = if d.x.abs() > 1e-6 {
        (r.width() / 2.0) / d.x.abs()
    } else {
        f32::MAX
    };
    let ty = if d.y.abs() > 1e-6 {
        (r.height() / 2.0) / d.y.abs()
    } else {
        f32::MAX
    };
    c + d * tx.min(ty).min(1.0)
}

fn smoothstep(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Text cut to fit `width` at `font` (with an ellipsis), as it will be laid out.
fn fit(painter: &egui::Painter, text: &str, font: f32, width: f32) -> String {
    let measure = |t: &str| {
        painter
            .layout_no_wrap(
                t.to_owned(),
                egui::FontId::proportional(font),
                Color32::BLACK,
            )
            .size()
            .x
    };
    if measure(text) <= width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    for n in (1..chars.len()).rev() {
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if measure(&t) <= width {
            return t;
        }
    }
    String::new()
}

/// A label with a background, clamped inside `bounds`.
#[allow(clippy::too_many_arguments)]
pub fn label(
    painter: &egui::Painter,
    bounds: Rect,
    pos: Pos2,
    anchor: Align2,
    text: &str,
    font: egui::FontId,
    color: Color32,
    bg: Color32,
) -> Rect {
    // Wider than the view (a long drop caption on a 1024-pixel screen): it wraps, rather
    // than being pushed off the left edge.
    let galley = painter.layout(text.to_owned(), font, color, bounds.width().max(1.0));
    let mut r = anchor.anchor_size(pos, galley.size());
    let dx = (bounds.right() - r.right()).min(0.0);
    r = r.translate(Vec2::new(dx, 0.0));
    let dx = (bounds.left() - r.left()).max(0.0);
    let dy = (bounds.top() - r.top()).max(0.0) + (bounds.bottom() - r.bottom()).min(0.0);
    r = r.translate(Vec2::new(dx, dy));
    painter.rect_filled(r.expand(2.0), 3.0, bg);
    painter.galley(r.min, galley, color);
    r
}

pub fn show(
    ui: &mut egui::Ui,
    height: f32,
    run: &Run,
    pb: &Playback,
    pal: &Palette,
) -> (Option<(Command, bool)>, Drawn) {
    let trace = &run.trace;
    let width = ui.available_width();
    let (resp, painter) = ui.allocate_painter(Vec2::new(width, height), Sense::click());
    let rect = resp.rect;
    painter.rect_filled(rect, 4.0, pal.background);
    painter.rect_stroke(rect, 4.0, Stroke::new(1.0, pal.guide), StrokeKind::Inside);
    let g = geometry(rect, run, pal);
    draw_link_lines(&painter, trace, &g, pal);
    let canvas = Canvas {
        painter: &painter,
        rect,
        run,
        pb,
        g: &g,
        pal,
        stopped: last_stopped(run, pb),
    };
    // A stopped packet's caption first: the links' delays keep off it.
    let mut caption = Vec::new();
    draw_stopped(&canvas, &mut caption);
    let mut placed: Vec<Rect> = g.rects.clone();
    placed.extend(link_labels(&painter, trace, &g, pal, &caption));
    placed.extend(caption);
    for (i, node) in trace.nodes.iter().enumerate() {
        draw_node(&painter, node, g.rects[i], g.font, trace, pal);
    }
    // The virtual clock, large, for the back of the room; and the legend. Labels keep off
    // both.
    placed.push(painter.text(
        rect.left_top() + Vec2::new(10.0, 8.0),
        Align2::LEFT_TOP,
        format!("t = {:.3} s", pb.time),
        egui::FontId::monospace(pal.font + 5.0),
        pal.text,
    ));
    placed.extend(legend(&painter, rect, pal));
    let drawn_packets = draw_packets(&canvas, &mut placed);
    draw_stopped_mark(&canvas);
    let mut clicked = None;
    if resp.clicked()
        && let Some(at) = resp.interact_pointer_pos()
    {
        clicked = drawn_packets
            .iter()
            .filter(|(p, _)| p.distance(at) < 24.0)
            .min_by(|a, b| a.0.distance(at).total_cmp(&b.0.distance(at)))
            .map(|(_, e)| (Command::SeekEvent(*e), true));
    }
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            "Topology: click a packet to inspect it",
        )
    });
    (clicked, Drawn { boxes: g.rects })
}

/// The legend at the top right; returns where its lines went.
fn legend(painter: &egui::Painter, rect: Rect, pal: &Palette) -> Vec<Rect> {
    let lx = rect.right() - 8.0;
    let mut out = Vec::new();
    for (k, (text, col)) in [("■ control", pal.control), ("■ data", pal.data)]
        .iter()
        .enumerate()
    {
        out.push(painter.text(
            Pos2::new(lx, rect.top() + 8.0 + k as f32 * (pal.font + 3.0)),
            Align2::RIGHT_TOP,
            *text,
            egui::FontId::proportional(pal.small.max(pal.font - 1.0)),
            *col,
        ));
    }
    out
}

/// The links' lines.
fn draw_link_lines(painter: &egui::Painter, trace: &Trace, g: &Geometry, pal: &Palette) {
    for l in &trace.links {
        let (ra, rb) = (g.rects[l.a.index()], g.rects[l.b.index()]);
        let (a, b) = (edge(ra, rb.center()), edge(rb, ra.center()));
        painter.line_segment([a, b], Stroke::new(pal.line, pal.guide));
    }
}

/// The links' delays: under the link (beside it when the link is steep), or under or beside
/// both boxes where they stand too close for it (presentation mode on a small screen), never
/// behind one. A delay that a stopped packet's caption (`avoid`) would cover is left out
/// while the caption shows: the caption matters more at that moment. Returns where they went.
fn link_labels(
    painter: &egui::Painter,
    trace: &Trace,
    g: &Geometry,
    pal: &Palette,
    avoid: &[Rect],
) -> Vec<Rect> {
    let mut out = Vec::new();
    for l in &trace.links {
        let (ra, rb) = (g.rects[l.a.index()], g.rects[l.b.index()]);
        let (a, b) = (edge(ra, rb.center()), edge(rb, ra.center()));
        let mid = a + (b - a) * 0.5;
        let text = format!("{} ms", l.delay_us as f64 / 1000.0);
        let galley = painter.layout_no_wrap(
            text,
            // One size under the boxes' text, but never under the palette's smallest.
            egui::FontId::proportional((g.font - 1.0).max(pal.small.min(g.font)).max(8.0)),
            pal.faint,
        );
        let size = galley.size();
        let pos = if (b.x - a.x).abs() >= (b.y - a.y).abs() {
            let y = if size.x + 4.0 > (b.x - a.x).abs() {
                ra.bottom().max(rb.bottom()) + 2.0
            } else {
                mid.y + 4.0
            };
            Align2::CENTER_TOP.anchor_size(Pos2::new(mid.x, y), size)
        } else {
            let x = if size.y + 4.0 > (b.y - a.y).abs() {
                ra.right().max(rb.right()) + 4.0
            } else {
                mid.x + 6.0
            };
            Align2::LEFT_CENTER.anchor_size(Pos2::new(x, mid.y), size)
        };
        if !avoid.iter().any(|c| c.intersects(pos)) {
            painter.galley(pos.min, galley, pal.faint);
            out.push(pos);
        }
    }
    out
}

fn draw_node(
    painter: &egui::Painter,
    node: &crate::trace::NodeInfo,
    r: Rect,
    font: f32,
    trace: &Trace,
    pal: &Palette,
) {
    let fill = match node.kind {
        NodeKind::Firewall => pal.firewall_fill,
        NodeKind::Nat => pal.nat_fill,
        _ => pal.node_fill,
    };
    let radius = if node.kind == NodeKind::Router {
        r.height() * 0.45
    } else {
        6.0
    };
    painter.rect_filled(r, radius, fill);
    painter.rect_stroke(
        r,
        radius,
        Stroke::new(pal.line * 0.75, pal.text),
        StrokeKind::Inside,
    );
    if node.kind == NodeKind::Firewall && r.height() > 30.0 {
        bricks(painter, r);
    }
    let mut lines = node_lines(node, font, trace);
    let room = (r.height() / (font * 1.25)).floor().max(1.0) as usize;
    lines.truncate(room);
    let total = lines.iter().map(|(_, f)| f * 1.2).sum::<f32>();
    let mut y = r.center().y - total / 2.0;
    for (forms, f) in lines {
        let (t, f) = fitted(painter, &forms, f, r.width() - 6.0, pal);
        painter.text(
            Pos2::new(r.center().x, y + f * 0.6),
            Align2::CENTER_CENTER,
            t,
            egui::FontId::proportional(f),
            pal.text,
        );
        y += f * 1.2;
    }
}

/// A row of bricks along a firewall's top edge.
fn bricks(painter: &egui::Painter, r: Rect) {
    let bw = 12.0;
    let mut x = r.left() + 4.0;
    while x + bw < r.right() - 4.0 {
        painter.rect_filled(
            Rect::from_min_size(Pos2::new(x, r.top() + 4.0), Vec2::new(bw - 2.0, 4.0)),
            1.0,
            Color32::from_rgb(190, 80, 40),
        );
        x += bw;
    }
}

/// A node box's lines, each with shorter forms to fall back on before it is cut (the
/// router's public address is the fact of a NAT lesson and must not end in "…"), and the
/// font size of each.
pub(crate) fn node_lines(
    node: &crate::trace::NodeInfo,
    font: f32,
    trace: &Trace,
) -> Vec<(Vec<String>, f32)> {
    let kind = match node.kind {
        NodeKind::Client => "FTP client",
        NodeKind::Server => "FTP server",
        NodeKind::Firewall => "firewall",
        NodeKind::Router => "network",
        NodeKind::Nat => "NAT",
    };
    let mut lines: Vec<(Vec<String>, f32)> = vec![(vec![node.name.clone()], font + 1.0)];
    let sub: Vec<Vec<String>> = match (node.kind, node.address) {
        (NodeKind::Nat, Some(a)) => {
            let inside: Vec<String> = node
                .inside
                .iter()
                .filter_map(|n| trace.node(*n).and_then(|x| x.address))
                .map(|a| a.to_string())
                .collect();
            vec![
                vec![format!("public {a}"), format!("pub. {a}"), a.to_string()],
                vec![
                    format!("inside {}", inside.join(", ")),
                    format!("in {}", inside.join(", ")),
                    format!("inside: {} hosts", inside.len()),
                ],
            ]
        }
        (_, Some(a)) => vec![vec![a.to_string()]],
        (_, None) => vec![vec![kind.to_owned()]],
    };
    lines.extend(sub.into_iter().map(|s| (s, font)));
    lines
}

/// A line that does not fit `room` is set smaller first (down to 70 %, never under the
/// palette's smallest), then said in a shorter form, then shortened: (text, size).
fn fitted(
    painter: &egui::Painter,
    forms: &[String],
    f: f32,
    room: f32,
    pal: &Palette,
) -> (String, f32) {
    let width = |t: &str, f: f32| {
        painter
            .layout_no_wrap(t.to_owned(), egui::FontId::proportional(f), Color32::BLACK)
            .size()
            .x
    };
    let smallest = (f * 0.7).max(pal.small.min(f));
    let text = forms
        .iter()
        .find(|t| width(t, smallest) <= room)
        .or(forms.last())
        .cloned()
        .unwrap_or_default();
    let w = width(&text, f);
    // (Text does not scale exactly with its size: a little under the exact ratio.)
    let f = if w > room {
        (f * room / w * 0.97).max(smallest)
    } else {
        f
    };
    (fit(painter, &text, f, room), f)
}

/// What the moving parts of the picture are drawn on and from.
struct Canvas<'a> {
    painter: &'a egui::Painter,
    rect: Rect,
    run: &'a Run,
    pb: &'a Playback,
    g: &'a Geometry,
    pal: &'a Palette,
    /// The last packet stopped by a middlebox so far (found once a frame).
    stopped: Option<&'a Journey>,
}

/// The packets on the links at the animation's time; returns (position, event) of each.
fn draw_packets(c: &Canvas, placed: &mut Vec<Rect>) -> Vec<(Pos2, usize)> {
    let (painter, rect, run, pb, g, pal) = (c.painter, c.rect, c.run, c.pb, c.g, c.pal);
    let now = pb.time;
    let cursor_j = run.journeys.at_cursor(pb.cursor);
    // (position, journey, event, the packet version on that link); the cursor's first.
    let mut items: Vec<(Pos2, usize, usize, crate::ids::PacketId)> = Vec::new();
    if let Some(ji) = cursor_j {
        let j = &run.journeys.list[ji];
        if j.last_event == pb.cursor && !matches!(j.end, End::InFlight) {
            let r = g.rects[j.to.index()];
            let from = j
                .hops
                .last()
                .map_or(r.center(), |h| g.rects[h.from.index()].center());
            items.push((edge(r, from), ji, j.last_event, j.last_packet));
        }
    }
    for (ji, j) in run.journeys.list.iter().enumerate() {
        // Predict mode draws nothing the cursor has not reached, even at the same instant:
        // the client's data SYN leaves as the 227 arrives, and its label would give the
        // answer to "which port will the client connect to?".
        if j.start.secs_f64() > now
            || j.end_time.secs_f64() + 0.5 < now
            || (pb.predict && j.first_event > pb.cursor)
        {
            continue;
        }
        for h in &j.hops {
            let (t0, t1) = (h.t0.secs_f64(), h.t1.secs_f64());
            let on_link = (t0 <= now && now < t1) || (h.event == pb.cursor && now == t0);
            if !on_link || items.iter().any(|x| x.1 == ji) {
                continue;
            }
            let p = smoothstep(((now - t0) / (t1 - t0).max(1e-9)) as f32);
            let (ra, rb) = (g.rects[h.from.index()], g.rects[h.to.index()]);
            let (s, e) = (edge(ra, rb.center()), edge(rb, ra.center()));
            items.push((s + (e - s) * p, ji, h.event, h.packet));
        }
    }
    let mut drawn = Vec::new();
    for (k, (pos, ji, ev, packet)) in items.into_iter().enumerate() {
        let j = &run.journeys.list[ji];
        let current = Some(ji) == cursor_j;
        draw_packet(
            painter,
            (rect, &g.rects),
            pos,
            j,
            &run.trace.packets[packet].summary(),
            pal,
            placed,
            current,
            k,
        );
        drawn.push((pos, ev));
    }
    drawn
}

#[allow(clippy::too_many_arguments)]
fn draw_packet(
    painter: &egui::Painter,
    (bounds, boxes): (Rect, &[Rect]),
    pos: Pos2,
    j: &Journey,
    text: &str,
    pal: &Palette,
    placed: &mut Vec<Rect>,
    current: bool,
    k: usize,
) {
    let col = pal.channel(j.channel);
    let r = Rect::from_center_size(pos, Vec2::new(18.0, 12.0));
    painter.rect_filled(r, 2.0, col);
    painter.line_segment([r.left_top(), r.center()], Stroke::new(1.0, Color32::WHITE));
    painter.line_segment(
        [r.right_top(), r.center()],
        Stroke::new(1.0, Color32::WHITE),
    );
    if k > 6 && !current {
        return;
    }
    let font = egui::FontId::proportional(if current { pal.font + 1.0 } else { pal.font });
    let galley = painter.layout_no_wrap(text.to_owned(), font.clone(), col);
    let size = galley.size() + Vec2::splat(4.0);
    // Above the packet, then higher, then below; at each height centred on it, then moved
    // sideways (off the clock, say): the first place that covers nothing.
    let tries = [-1.0f32, -2.2, -3.4, 1.2, 2.4];
    let sideways = [0.0f32, 0.5, -0.5, 1.0, -1.0];
    let inner = bounds.shrink(4.0);
    let spot = tries.iter().find_map(|t| {
        sideways.iter().find_map(|s| {
            let c = Pos2::new(pos.x + s * size.x, pos.y + t * (size.y + 2.0));
            let mut lr = Rect::from_center_size(c, size);
            let dx = (inner.left() - lr.left()).max(0.0) + (inner.right() - lr.right()).min(0.0);
            lr = lr.translate(Vec2::new(dx, 0.0));
            let clear = inner.contains_rect(lr) && !placed.iter().any(|p| p.intersects(lr));
            clear.then_some(lr)
        })
    });
    // The cursor's packet is labelled anyway where it covers no box (above it, kept inside
    // the view sideways); the ladder and the story say it too.
    let Some(lr) = spot.or_else(|| {
        current
            .then(|| {
                let lr = Rect::from_center_size(pos - Vec2::new(0.0, size.y + 2.0), size);
                let dx =
                    (inner.left() - lr.left()).max(0.0) + (inner.right() - lr.right()).min(0.0);
                lr.translate(Vec2::new(dx, 0.0))
            })
            .filter(|lr| !boxes.iter().any(|b| b.intersects(*lr)))
    }) else {
        return;
    };
    painter.rect_filled(lr, 3.0, pal.label_bg);
    painter.rect_stroke(lr, 3.0, Stroke::new(1.0, col), StrokeKind::Inside);
    painter.galley(lr.min + Vec2::splat(2.0), galley, col);
    let anchor = if lr.center().y < pos.y {
        lr.center_bottom()
    } else {
        lr.center_top()
    };
    painter.line_segment([anchor, pos], Stroke::new(1.0, col));
    placed.push(lr);
}

/// The last packet stopped by a middlebox so far: a red mark beside it, and the rule.
/// The last packet stopped by a middlebox so far.
fn last_stopped<'a>(run: &'a Run, pb: &Playback) -> Option<&'a Journey> {
    run.journeys
        .list
        .iter()
        .rev()
        .find(|j| j.last_event <= pb.cursor && matches!(j.end, End::Dropped(_) | End::Rejected(_)))
}

/// The red ✖ beside the middlebox that stopped the last stopped packet: drawn last, over
/// the packets (seen at the drop: two packets on top of it hid it).
fn draw_stopped_mark(c: &Canvas) {
    let Some(j) = c.stopped else {
        return;
    };
    let (painter, pal) = (c.painter, c.pal);
    let m = mark_at(c.g, j);
    let s = Stroke::new(pal.line + 1.0, pal.bad);
    painter.circle_filled(m, 11.0, Color32::WHITE);
    painter.circle_stroke(m, 11.0, s);
    painter.line_segment([m + Vec2::new(-6.0, -6.0), m + Vec2::new(6.0, 6.0)], s);
    painter.line_segment([m + Vec2::new(-6.0, 6.0), m + Vec2::new(6.0, -6.0)], s);
}

/// Where the ✖ of a stopped packet goes: beside the box that stopped it, on the side the
/// packet came from.
fn mark_at(g: &Geometry, j: &Journey) -> Pos2 {
    let r = g.rects[j.to.index()];
    let from = j
        .hops
        .last()
        .map_or(r.center(), |h| g.rects[h.from.index()].center());
    let e = edge(r, from);
    e + (from - e).normalized() * 14.0
}

/// The caption of the last packet stopped so far: what, where, and the rule. Labels keep off
/// it and off the ✖.
fn draw_stopped(c: &Canvas, placed: &mut Vec<Rect>) {
    let (painter, rect, run, pb, g, pal) = (c.painter, c.rect, c.run, c.pb, c.g, c.pal);
    let Some(j) = c.stopped else {
        return;
    };
    placed.push(Rect::from_center_size(mark_at(g, j), Vec2::splat(24.0)));
    let (word, v) = match &j.end {
        End::Dropped(v) => ("DROPPED", v),
        End::Rejected(v) => ("REJECTED (refused)", v),
        _ => return,
    };
    let count = run
        .journeys
        .list
        .iter()
        .filter(|x| {
            x.last_event <= pb.cursor
                && x.to == j.to
                && matches!(x.end, End::Dropped(_) | End::Rejected(_))
        })
        .count();
    let pkt = run.trace.packets[j.last_packet].summary();
    let times = if count > 1 {
        format!(" · {count} stopped so far")
    } else {
        String::new()
    };
    let line1 = format!("✖ {word} at {}: {pkt}", v.middlebox);
    let line2 = format!("by {} · state {}{times}", v.rule_words(), v.state);
    let font = pal.font.min(g.font + 3.0).max(pal.small);
    let bounds = rect.shrink(4.0);
    let l2 = label(
        painter,
        bounds,
        Pos2::new(rect.left() + 10.0, rect.bottom() - 6.0),
        Align2::LEFT_BOTTOM,
        &line2,
        egui::FontId::proportional(font),
        pal.bad,
        pal.label_bg,
    );
    let l1 = label(
        painter,
        bounds,
        Pos2::new(rect.left() + 10.0, l2.top() - 3.0),
        Align2::LEFT_BOTTOM,
        &line1,
        egui::FontId::proportional(font + 1.0),
        pal.bad,
        pal.label_bg,
    );
    placed.push(l1.union(l2));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_wider_than_the_view_wraps_inside_it() {
        // Seen at 1024×768: "✖ REJECTED (refused) at client-fw: SYN …" was pushed off the
        // view's left edge and read "JECTED (refused) …".
        let ctx = egui::Context::default();
        let bounds = Rect::from_min_size(Pos2::new(100.0, 100.0), Vec2::new(200.0, 300.0));
        let mut got = Vec::new();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            let painter = ui.painter().clone();
            for anchor in [
                Align2::LEFT_BOTTOM,
                Align2::RIGHT_TOP,
                Align2::CENTER_CENTER,
            ] {
                got.push(label(
                    &painter,
                    bounds,
                    Pos2::new(110.0, 390.0),
                    anchor,
                    "✖ REJECTED (refused) at client-fw: SYN 203.0.113.10:20 → 198.51.100.7:36317",
                    egui::FontId::proportional(20.0),
                    Color32::RED,
                    Color32::WHITE,
                ));
            }
        });
        out.textures_delta.clear();
        for r in got {
            assert!(
                bounds.expand(0.5).contains_rect(r),
                "{r:?} outside {bounds:?}"
            );
            assert!(r.height() > 30.0, "not wrapped: {r:?}");
        }
    }
}
