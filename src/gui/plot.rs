//! Time–sequence plot (egui_plot): for each connection, the bytes each side has sent over
//! virtual time, and every SYN attempt as a marker, so the back-off of a blocked data
//! connection (1, 2, 3, 4, 5, 7, 11, 19 s…) is visible at a glance. The cursor time is a vertical line.

use super::model::{Command, Playback};
use super::style::Palette;
use crate::ids::ConnId;
use crate::trace::{Channel, EventKind, PacketFate, Trace};
use eframe::egui;
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points, VLine};
use std::collections::BTreeMap;

/// One named series: (name, channel, points).
pub type Named = (String, Option<Channel>, Vec<[f64; 2]>);

/// Series of the plot: bytes over time (with whether the side that answered the connection
/// sent them: drawn dashed, the other solid), and SYN markers.
pub struct Series {
    pub bytes: Vec<(Named, bool)>,
    pub syns: Vec<Named>,
}

/// The node name of an address ("client", "server"), or the address itself.
fn who(trace: &Trace, a: std::net::SocketAddrV4) -> String {
    trace
        .node_at(*a.ip())
        .map_or_else(|| a.ip().to_string(), |n| n.name.clone())
}

/// The series of the events up to `last` (all of them: `usize::MAX`).
pub fn series(trace: &Trace, last: usize) -> Series {
    // (connection, sent by the initiator) → the series and the running byte count.
    let mut bytes: BTreeMap<(ConnId, bool), (Named, u64)> = BTreeMap::new();
    // The flag comes with the series, not from its name (the name "client → server" of the
    // control connection matched the answered side of an active data connection, and both
    // byte series were drawn dashed).
    let mut syns: BTreeMap<ConnId, Named> = BTreeMap::new();
    for e in trace.events.iter().take(last.saturating_add(1)) {
        let EventKind::Packet { packet, fate } = &e.kind else {
            continue;
        };
        if !matches!(fate, PacketFate::Sent { .. }) {
            continue;
        }
        let p = &trace.packets[*packet];
        let Some(cid) = e.conn else { continue };
        let Some(c) = trace.conn(cid) else {
            continue;
        };
        let chan = match c.channel {
            Channel::Control => "control",
            Channel::Data => "data",
        };
        let t = e.time.secs_f64();
        if p.flags.syn && !p.flags.ack {
            syns.entry(cid)
                .or_insert_with(|| {
                    (
                        format!(
                            "{chan} SYNs {} → {}:{}",
                            who(trace, c.initiator),
                            who(trace, c.responder),
                            c.responder.port()
                        ),
                        Some(c.channel),
                        Vec::new(),
                    )
                })
                .2
                .push([t, 0.0]);
        }
        if p.payload_len > 0 {
            let fwd = c.from_initiator(p.src, p.dst);
            let (series, total) = bytes.entry((cid, fwd)).or_insert_with(|| {
                (
                    (
                        format!("{chan} bytes {} → {}", who(trace, p.src), who(trace, p.dst)),
                        Some(c.channel),
                        vec![[t, 0.0]],
                    ),
                    0,
                )
            });
            series.2.push([t, *total as f64]);
            *total += p.payload_len as u64;
            series.2.push([t, *total as f64]);
        }
    }
    Series {
        bytes: bytes
            .into_iter()
            .map(|((_, fwd), (s, _))| (s, !fwd))
            .collect(),
        syns: syns.into_values().collect(),
    }
}

/// The legend, drawn above the plot (inside it, it covered the data): one entry per series,
/// wrapped, scrolling when there are many.
fn legend(ui: &mut egui::Ui, s: &Series, pal: &Palette) {
    let row = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::vertical()
        .id_salt("plot_legend")
        .max_height(row * 3.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                // Each marker and its label in one piece of text that does not break, so
                // that the legend wraps between entries, never between a marker and its label.
                let entry = |ui: &mut egui::Ui, mark: &str, color: egui::Color32, name: &str| {
                    let mut job = egui::text::LayoutJob::default();
                    let font = egui::TextStyle::Body.resolve(ui.style());
                    let fmt = |c: egui::Color32| egui::TextFormat::simple(font.clone(), c);
                    job.append(mark, 0.0, fmt(color));
                    job.append(name, 6.0, fmt(ui.visuals().text_color()));
                    ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
                    ui.add_space(8.0);
                };
                for ((name, ch, _), answered) in &s.bytes {
                    let mark = if *answered { "╌╌" } else { "━━" };
                    entry(ui, mark, pal.channel(*ch), name);
                }
                for (name, ch, _) in &s.syns {
                    entry(ui, "◆", pal.channel(*ch), name);
                }
                entry(ui, "│", pal.bad, "cursor");
            });
        });
}

pub fn show(ui: &mut egui::Ui, trace: &Trace, pb: &Playback, pal: &Palette) -> Option<Command> {
    // Predict mode: nothing after the cursor, not even at the same virtual time (the data
    // SYN sent the instant the 227 is read named the answer's port in the legend).
    let s = series(trace, if pb.predict { pb.cursor } else { usize::MAX });
    legend(ui, &s, pal);
    let resp = Plot::new("time_sequence")
        .x_axis_label("virtual time (s)")
        .y_axis_label("bytes sent")
        .include_y(0.0)
        .include_x(0.0)
        .allow_scroll(false)
        .show(ui, |pui| {
            for ((name, ch, pts), answered) in s.bytes {
                let style = if answered {
                    egui_plot::LineStyle::dashed_loose()
                } else {
                    egui_plot::LineStyle::Solid
                };
                pui.line(
                    Line::new(name, PlotPoints::from(pts))
                        .style(style)
                        .color(pal.channel(ch))
                        .width(pal.line)
                        .allow_band(false),
                );
            }
            for (name, ch, pts) in s.syns {
                pui.points(
                    Points::new(name, PlotPoints::from(pts))
                        .color(pal.channel(ch))
                        .shape(MarkerShape::Diamond)
                        .filled(true)
                        .radius(6.0),
                );
            }
            pui.vline(VLine::new("cursor", pb.time).color(pal.bad).width(1.5));
            pui.pointer_coordinate()
        });
    if resp.response.clicked()
        && let Some(p) = resp.inner
    {
        return Some(Command::SeekTime(p.x));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seen in a teacher's trial: both control byte series were the same blue dashes (the
    /// dashed look came from the series' name, and "client → server" also names the answered
    /// side of an active data connection).
    #[test]
    fn the_two_sides_of_a_connection_are_drawn_differently() {
        let t = crate::gui::shipped_trace("active-open");
        let s = series(&t, usize::MAX);
        let look = |name: &str| {
            s.bytes
                .iter()
                .find(|((n, _, _), _)| n == name)
                .map(|(_, answered)| *answered)
        };
        assert_eq!(look("control bytes client → server"), Some(false));
        assert_eq!(look("control bytes server → client"), Some(true));
        // The active data connection is opened by the server: its bytes are the opener's.
        assert_eq!(look("data bytes server → client"), Some(false));
    }

    #[test]
    fn syn_markers_show_the_back_off() {
        let t = crate::gui::shipped_trace("active-client-fw-drops");
        let s = series(&t, usize::MAX);
        let data = s.syns.iter().find(|x| x.1 == Some(Channel::Data)).unwrap();
        let first = data.2[0][0];
        let gaps: Vec<i64> = data
            .2
            .iter()
            .map(|p| (p[0] - first).round() as i64)
            .collect();
        assert_eq!(gaps, [0, 1, 2, 3, 4, 5, 7, 11, 19, 35]);
    }
}
