//! The topology view: client, firewalls, network and server in a row with their addresses,
//! and the packets on the links at the cursor's virtual time, coloured by channel. A packet a
//! firewall stopped ends in a red mark at that firewall, with the rule that stopped it.

use super::Run;
use super::model::{Command, End, Journey, Playback};
use super::style::Palette;
use crate::ids::NodeId;
use crate::trace::{NodeKind, Trace};
use eframe::egui::{self, Align2, Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

/// Node centres across `rect`, in path order.
pub fn columns(rect: Rect, order: &[NodeId], nodes: usize) -> Vec<f32> {
    let mut xs = vec![rect.center().x; nodes];
    let n = order.len();
    if n == 0 {
        return xs;
    }
    let margin = (rect.width() / (n as f32 * 2.0)).min(90.0);
    let span = rect.width() - 2.0 * margin;
    for (k, &node) in order.iter().enumerate() {
        let f = if n == 1 {
            0.5
        } else {
            k as f32 / (n - 1) as f32
        };
        if let Some(x) = xs.get_mut(node.index()) {
            *x = rect.left() + margin + span * f;
        }
    }
    xs
}

fn smoothstep(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
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
    let galley = painter.layout_no_wrap(text.to_owned(), font, color);
    let mut r = anchor.anchor_size(pos, galley.size());
    let dx = (bounds.left() - r.left()).max(0.0) + (bounds.right() - r.right()).min(0.0);
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
) -> Option<(Command, bool)> {
    let trace = &run.trace;
    let width = ui.available_width();
    let (resp, painter) = ui.allocate_painter(Vec2::new(width, height), Sense::click());
    let rect = resp.rect;
    painter.rect_filled(rect, 4.0, pal.node_fill.gamma_multiply(0.35));
    let xs = columns(rect.shrink(8.0), &run.order, trace.nodes.len());
    let link_y = rect.top() + height * 0.52;
    let n = run.order.len().max(1) as f32;
    let spacing = if n > 1.0 {
        let xmax = xs.iter().copied().fold(f32::MIN, f32::max);
        let xmin = xs.iter().copied().fold(f32::MAX, f32::min);
        (xmax - xmin) / (n - 1.0)
    } else {
        rect.width()
    };
    let box_w = (spacing * 0.8).clamp(60.0, 150.0);
    let box_h = 62.0;
    let node_rect = |i: NodeId| {
        Rect::from_center_size(Pos2::new(xs[i.index()], link_y), Vec2::new(box_w, box_h))
    };

    // Links and their delays.
    for l in &trace.links {
        let (ra, rb) = (node_rect(l.a), node_rect(l.b));
        let (a, b) = if ra.center().x < rb.center().x {
            (ra.right(), rb.left())
        } else {
            (rb.right(), ra.left())
        };
        painter.line_segment(
            [Pos2::new(a, link_y), Pos2::new(b, link_y)],
            Stroke::new(pal.line, pal.faint),
        );
        painter.text(
            Pos2::new((a + b) / 2.0, link_y + box_h / 2.0 + 4.0),
            Align2::CENTER_TOP,
            format!("{} ms", l.delay_us as f64 / 1000.0),
            egui::FontId::proportional(pal.font - 2.0),
            pal.faint,
        );
    }

    // Nodes.
    for (i, node) in trace.nodes.iter().enumerate() {
        let r = node_rect(NodeId::new(i));
        let (fill, kind) = match node.kind {
            NodeKind::Client => (pal.node_fill, "FTP client"),
            NodeKind::Server => (pal.node_fill, "FTP server"),
            NodeKind::Firewall => (pal.firewall_fill, "firewall"),
            NodeKind::Router => (pal.node_fill, "network"),
            NodeKind::Nat => (pal.firewall_fill, "NAT"),
        };
        let radius = if node.kind == NodeKind::Router {
            28.0
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
        if node.kind == NodeKind::Firewall {
            // A row of bricks along the top edge.
            let bw = 12.0;
            let mut x = r.left() + 4.0;
            while x + bw < r.right() - 4.0 {
                painter.rect_filled(
                    Rect::from_min_size(Pos2::new(x, r.top() + 4.0), Vec2::new(bw - 2.0, 5.0)),
                    1.0,
                    Color32::from_rgb(190, 80, 40),
                );
                x += bw;
            }
        }
        let c = r.center();
        painter.text(
            Pos2::new(c.x, c.y - 10.0),
            Align2::CENTER_CENTER,
            &node.name,
            egui::FontId::proportional(pal.font + 1.0),
            pal.text,
        );
        let sub = match node.address {
            Some(a) => a.to_string(),
            None => kind.to_owned(),
        };
        // Shrink the address to fit a narrow box rather than spill over its edge.
        let mut size = pal.font - 1.0;
        let w = painter
            .layout_no_wrap(sub.clone(), egui::FontId::proportional(size), pal.text)
            .size()
            .x;
        if w > box_w - 8.0 {
            size = (size * (box_w - 8.0) / w).max(8.0);
        }
        painter.text(
            Pos2::new(c.x, c.y + 10.0),
            Align2::CENTER_CENTER,
            sub,
            egui::FontId::proportional(size),
            pal.text,
        );
    }

    let now = pb.time;
    let cursor_j = run.journeys.at_cursor(pb.cursor);
    // Packets on the links: (position, journey, event). The cursor's packet comes first, so
    // its label gets the place nearest the picture when there is room for only one.
    let mut items: Vec<(Pos2, usize, usize)> = Vec::new();
    if let Some(ji) = cursor_j {
        let j = &run.journeys.list[ji];
        if j.last_event == pb.cursor && !matches!(j.end, End::InFlight) {
            // Where it ended (delivered, or stopped at a firewall).
            let r = node_rect(j.to);
            let from_left = j
                .hops
                .last()
                .is_some_and(|h| xs[h.from.index()] < xs[h.to.index()]);
            let x = if from_left { r.left() } else { r.right() };
            items.push((Pos2::new(x, link_y), ji, j.last_event));
        }
    }
    for (ji, j) in run.journeys.list.iter().enumerate() {
        if j.start.secs_f64() > now || j.end_time.secs_f64() + 0.5 < now {
            continue;
        }
        for h in &j.hops {
            let (t0, t1) = (h.t0.secs_f64(), h.t1.secs_f64());
            let on_link = (t0 <= now && now < t1) || (h.event == pb.cursor && now == t0);
            if !on_link || items.iter().any(|(_, x, _)| *x == ji) {
                continue;
            }
            let p = smoothstep(((now - t0) / (t1 - t0).max(1e-9)) as f32);
            let (ra, rb) = (node_rect(h.from), node_rect(h.to));
            let rightwards = ra.center().x < rb.center().x;
            let sx = if rightwards { ra.right() } else { ra.left() };
            let ex = if rightwards { rb.left() } else { rb.right() };
            items.push((Pos2::new(sx + (ex - sx) * p, link_y), ji, h.event));
        }
    }
    items.sort_by_key(|(_, ji, _)| Some(*ji) != cursor_j);
    let label_bottom = link_y - box_h / 2.0 - 12.0;
    let mut drawn: Vec<(Pos2, usize)> = Vec::new();
    for (stack, (pos, ji, ev)) in items.into_iter().enumerate() {
        let j = &run.journeys.list[ji];
        draw_packet(
            &painter,
            rect,
            pos,
            j,
            trace,
            pal,
            stack,
            label_bottom,
            Some(ji) == cursor_j,
        );
        drawn.push((pos, ev));
    }

    // The last packet stopped by a firewall so far: a red mark and the rule.
    let stopped =
        run.journeys.list.iter().rev().find(|j| {
            j.last_event <= pb.cursor && matches!(j.end, End::Dropped(_) | End::Rejected(_))
        });
    if let Some(j) = stopped {
        let r = node_rect(j.to);
        let from_left = j
            .hops
            .last()
            .is_some_and(|h| xs[h.from.index()] < xs[h.to.index()]);
        // On the link, just outside the box, on the side the packet came from.
        let mx = if from_left {
            r.left() - 13.0
        } else {
            r.right() + 13.0
        };
        let m = Pos2::new(mx, link_y);
        let s = Stroke::new(pal.line + 1.5, pal.bad);
        painter.circle_filled(m, 11.0, Color32::WHITE);
        painter.circle_stroke(m, 11.0, s);
        painter.line_segment([m + Vec2::new(-6.0, -6.0), m + Vec2::new(6.0, 6.0)], s);
        painter.line_segment([m + Vec2::new(-6.0, 6.0), m + Vec2::new(6.0, -6.0)], s);
        let (word, v) = match &j.end {
            End::Dropped(v) => ("DROPPED", v),
            End::Rejected(v) => ("REJECTED (RST sent back)", v),
            _ => return None,
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
        let pkt = trace.packets[j.packet].summary();
        let line1 = format!("✖ {word} at {}: {pkt}", v.middlebox);
        let times = if count > 1 {
            format!(" · {count} stopped so far")
        } else {
            String::new()
        };
        let line2 = format!("by {} · state {}{times}", v.rule_words(), v.state);
        let y = rect.bottom() - 8.0;
        let l2 = label(
            &painter,
            rect.shrink(4.0),
            Pos2::new(rect.left() + 10.0, y),
            Align2::LEFT_BOTTOM,
            &line2,
            egui::FontId::proportional(pal.font),
            pal.bad,
            pal.label_bg,
        );
        let l1 = label(
            &painter,
            rect.shrink(4.0),
            Pos2::new(rect.left() + 10.0, l2.top() - 3.0),
            Align2::LEFT_BOTTOM,
            &line1,
            egui::FontId::proportional(pal.font + 1.0),
            pal.bad,
            pal.label_bg,
        );
        // A leader from under the firewall's box (where no label sits) to the words.
        let anchor = Pos2::new(r.center().x, r.bottom() + 2.0);
        let to = Pos2::new(anchor.x.clamp(l1.left(), l1.right()), l1.top() - 2.0);
        if to.y > anchor.y {
            painter.line_segment([anchor, to], Stroke::new(1.0, pal.bad));
        }
    }

    // The virtual clock, large, for the back of the room.
    painter.text(
        rect.left_top() + Vec2::new(10.0, 8.0),
        Align2::LEFT_TOP,
        format!("t = {:.3} s", now),
        egui::FontId::monospace(pal.font + 5.0),
        pal.text,
    );

    // Clicking a packet opens it in the inspector.
    let mut clicked = None;
    if resp.clicked()
        && let Some(at) = resp.interact_pointer_pos()
    {
        clicked = drawn
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

    // Legend.
    let lx = rect.right() - 8.0;
    painter.text(
        Pos2::new(lx, rect.top() + 8.0),
        Align2::RIGHT_TOP,
        "■ control",
        egui::FontId::proportional(pal.font - 1.0),
        pal.control,
    );
    painter.text(
        Pos2::new(lx, rect.top() + 8.0 + pal.font + 3.0),
        Align2::RIGHT_TOP,
        "■ data",
        egui::FontId::proportional(pal.font - 1.0),
        pal.data,
    );
    clicked
}

#[allow(clippy::too_many_arguments)]
fn draw_packet(
    painter: &egui::Painter,
    bounds: Rect,
    pos: Pos2,
    j: &Journey,
    trace: &Trace,
    pal: &Palette,
    stack: usize,
    label_bottom: f32,
    current: bool,
) {
    let col = pal.channel(j.channel);
    let r = Rect::from_center_size(pos, Vec2::new(18.0, 12.0));
    painter.rect_filled(r, 2.0, col);
    painter.line_segment([r.left_top(), r.center()], Stroke::new(1.0, Color32::WHITE));
    painter.line_segment(
        [r.right_top(), r.center()],
        Stroke::new(1.0, Color32::WHITE),
    );
    // Labels stack upwards above the boxes, but never into the clock at the top.
    let slot = pal.font + 9.0;
    let room = ((label_bottom - (bounds.top() + pal.font + 22.0)) / slot).floor();
    if stack as f32 >= room.clamp(1.0, 3.0) {
        return;
    }
    let text = trace.packets[j.packet].summary();
    let y = label_bottom - stack as f32 * slot;
    let font = if current {
        egui::FontId::proportional(pal.font + 1.0)
    } else {
        pal.font()
    };
    let lr = label(
        painter,
        bounds.shrink(4.0),
        Pos2::new(pos.x, y),
        Align2::CENTER_BOTTOM,
        &text,
        font,
        col,
        pal.label_bg,
    );
    painter.line_segment(
        [
            Pos2::new(pos.x, lr.bottom() + 2.0),
            Pos2::new(pos.x, r.top()),
        ],
        Stroke::new(1.0, col.gamma_multiply(0.6)),
    );
}
