//! Pictures of a run for slides and documents: the ladder diagram and the topology at one
//! moment, as SVG with its text as text, and as PNG rendered from that very SVG (resvg), so
//! there is one drawing. It reads what the window's ladder and topology read (the journeys,
//! the layout, the palette), so the picture says what the window says: one arrow per packet
//! from its sender to where it ended, its words above it (a NAT's rewrite on each side of the
//! NAT's dot), the four steps' badges, a ✖ with the rule where a packet was stopped, the
//! cursor's row highlighted and later rows faint.
//!
//! Long stretches of bulk data are folded into one row that says how many packets it holds.
//! Everything that came from a file or a capture is escaped (`esc`).

use crate::gui::Run;
use crate::gui::model::{End, Journey};
use crate::gui::style::Palette;
use crate::ids::{NodeId, PacketId};
use crate::trace::{Channel, NodeKind};
use std::fmt::Write;

/// Which part of the window a picture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    Ladder,
    Topology,
    Both,
}

/// What a picture shows, and how.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub view: View,
    /// The event the cursor is on (the trace's last event: the end of the run).
    pub cursor: usize,
    /// The back row's look: thicker lines, larger text.
    pub presentation: bool,
    /// Highlight the cursor's row, fade later ones and show the cursor's packet in the
    /// topology (a handout marks the rows itself, and its topology shows no moment).
    pub cursor_marks: bool,
    /// At most this many ladder rows, around the cursor (a slide); `None`: every row.
    pub rows: Option<usize>,
    /// The lesson's title as the picture's title, and in the presentation look written at
    /// its top (off: a handout's pictures, whose title tells the ending, say what they are).
    pub titled: bool,
}

/// The fonts the picture asks for, in order: the window's own (Ubuntu), then what every
/// system has.
pub const FONTS: &str =
    "Ubuntu, 'Ubuntu Light', 'Segoe UI', 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif";

/// Text for XML: control and bidi characters escaped as the terminal shows them, then `&`,
/// `<`, `>` and both quotes as entities (and anything left XML 1.0 cannot hold as U+FFFD).
pub fn esc(s: &str) -> String {
    // Controls and bidi overrides first, as everywhere FTP Lab shows text (`\u{202e}`): an
    // override in a name would reorder the page's own words.
    let s = crate::text::printable_lines(s);
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\t' | '\n' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                o.push('\u{fffd}');
            }
            c => o.push(c),
        }
    }
    o
}

/// "#rrggbb" of a palette colour.
fn hex(c: egui::Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// About how wide `text` is at `size` in Ubuntu (the window's font) or a common sans-serif:
/// a little generous, so labels laid out with it do not run into each other.
pub fn text_width(text: &str, size: f32) -> f32 {
    // A line with an arrow (→) is drawn in the fallback font that has it, which is monospace
    // where only the window's fonts are (the PNG): as wide as Hack then.
    if !text.is_ascii() {
        return text.chars().count() as f32 * 0.62 * size;
    }
    let em: f32 = text
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '|' | '\'' | '!' | ' ' => 0.3,
            '(' | ')' | '[' | ']' | 'f' | 't' | 'r' | 'I' => 0.38,
            'm' | 'w' | 'M' | 'W' | '@' => 0.86,
            'A'..='Z' => 0.66,
            '0'..='9' => 0.56,
            c if c.is_ascii() => 0.53,
            _ => 0.9,
        })
        .sum();
    em * size
}

/// A time as the transcript and the window write it, without the unit: "1.034".
pub fn seconds(t: crate::time::Time) -> String {
    t.to_string().trim_end_matches('s').to_owned()
}

/// One row of the ladder: a packet's journey, or a fold of many bulk-data journeys.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    Journey(usize),
    /// Journeys `first..=last` (indices), all bulk data, drawn as one row.
    Folded {
        first: usize,
        last: usize,
    },
    /// A slide's cut: this many packets before (or after) the rows shown.
    More {
        packets: usize,
        earlier: bool,
    },
}

/// How many bulk-data journeys in a row are folded (the first and last two stay).
const FOLD_FROM: usize = 40;

/// A journey that is only bulk data: on the data connection, no handshake step, delivered.
fn bulk(j: &Journey) -> bool {
    j.channel == Some(Channel::Data) && j.step.is_none() && j.end == End::Delivered
}

/// The rows of the ladder: every journey, with each stretch of `FOLD_FROM` or more bulk-data
/// journeys folded but its first and last two.
pub fn rows(run: &Run) -> Vec<Row> {
    let list = &run.journeys.list;
    let mut out = Vec::with_capacity(list.len());
    let mut i = 0;
    while i < list.len() {
        let mut k = i;
        while k < list.len() && bulk(&list[k]) {
            k += 1;
        }
        if k - i >= FOLD_FROM {
            out.extend([Row::Journey(i), Row::Journey(i + 1)]);
            out.push(Row::Folded {
                first: i + 2,
                last: k - 3,
            });
            out.extend([Row::Journey(k - 2), Row::Journey(k - 1)]);
            i = k;
        } else if k > i {
            out.extend((i..k).map(Row::Journey));
            i = k;
        } else {
            out.push(Row::Journey(i));
            i += 1;
        }
    }
    out
}

/// Where a NAT on the way rewrote the packet (its node and the packet after it), when the
/// rewrite changed the packet's words: the window draws a dot there and a label on each side.
pub fn rewritten(run: &Run, j: &Journey) -> Option<(NodeId, PacketId)> {
    let hop = j.hops.iter().find(|h| h.packet != j.packet)?;
    let trace = &run.trace;
    let differs = trace.packets[hop.packet].summary() != trace.packets[j.packet].summary();
    let (a, n, b) = (
        column(run, j.from),
        column(run, hop.from),
        column(run, j.to),
    );
    let between = (n as i64 - a as i64) * (b as i64 - n as i64) > 0;
    (differs && between).then_some((hop.from, hop.packet))
}

/// Where the words before and after a NAT's rewrite may be cut: the start of the word in
/// which they first differ (the window shows "…" and the rest when a side is narrow).
pub fn shared_cut(before: &str, after: &str) -> usize {
    let shared = before
        .char_indices()
        .zip(after.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, c), _)| i + c.len_utf8());
    let cut = before[..shared].rfind(' ').map_or(0, |k| k + 1);
    if cut < after.len() && after.is_char_boundary(cut) {
        cut
    } else {
        0
    }
}

/// The narrowest form `fit_or_tail` may give: "…" and the tail, or the whole text when
/// only the packet's kind comes before the cut.
fn narrowest(text: &str, cut: usize) -> String {
    match text.split_once(' ') {
        Some((kind, _)) if kind.len() + 1 == cut => text.to_owned(),
        _ if cut == 0 || cut >= text.len() => text.to_owned(),
        _ => format!("…{}", &text[cut..]),
    }
}

/// `text`, or "…" and what follows byte `cut` when it is wider than `room`.
fn fit_or_tail(text: &str, cut: usize, size: f32, room: f32) -> String {
    if text_width(text, size) <= room - 4.0 || cut == 0 || cut >= text.len() {
        text.to_owned()
    } else {
        // The packet's kind stays ("SYN-ACK …10.0.0.5:21 → …"), as in the window.
        // (when that fits; else "…" and the part the NAT changed, which must show whole).
        let tail = format!("…{}", &text[cut..]);
        let kept = match text.split_once(' ') {
            Some((kind, _)) if kind.len() + 1 < cut => format!("{kind} {tail}"),
            // Nothing between the kind and the cut: the whole text it is.
            Some((kind, _)) if kind.len() + 1 == cut => return text.to_owned(),
            _ => return tail,
        };
        if text_width(&kept, size) <= room - 4.0 {
            kept
        } else {
            tail
        }
    }
}

/// A node's column in the ladder.
fn column(run: &Run, n: NodeId) -> usize {
    run.graph.order.iter().position(|x| *x == n).unwrap_or(0)
}

/// The packet's words as the window shows them (a password masked).
pub fn words(run: &Run, id: PacketId) -> String {
    crate::ftp::command::masked(&run.trace.packets[id].summary())
}

/// What the ✖ of a stopped packet says: the middlebox and the rule that stopped it.
pub fn stop_words(run: &Run, j: &Journey) -> Option<String> {
    let v = match &j.end {
        End::Dropped(v) | End::Rejected(v) => v,
        End::Unroutable => return Some(format!("no route at {}", run.trace.node_name(j.to))),
        _ => return None,
    };
    // Read from a capture: what came back (or did not) is all there is to go on.
    if v.reason == crate::rules::Reason::Inferred {
        return Some(v.rule_text.clone());
    }
    let verb = if matches!(j.end, End::Rejected(_)) {
        "rejected"
    } else {
        "dropped"
    };
    Some(match v.rule() {
        Some(r) => format!("{verb} by {} rule {r}", v.middlebox),
        None => format!("{verb} by {} (default policy)", v.middlebox),
    })
}

/// The window's palette, and for a slide in presentation look text half as large again (a
/// slide is scaled down to fit the screen: the window's few pixels more were lost).
pub fn palette(presentation: bool) -> Palette {
    let mut pal = Palette::new(presentation);
    if presentation {
        pal.font *= 1.4;
        pal.small *= 1.4;
    }
    pal
}

/// The ladder's measures.
struct Grid {
    gutter: f32,
    col: f32,
    head: f32,
    row_h: f32,
    font: f32,
    small: f32,
}

impl Grid {
    fn new(run: &Run, pal: &Palette) -> Grid {
        let (font, small) = (pal.font + 1.0, pal.small + 1.0);
        let widest_name = run
            .graph
            .order
            .iter()
            .map(|id| text_width(run.trace.node_name(*id), font))
            .fold(0.0f32, f32::max);
        // A column is as wide as the widest label needs over the columns it spans (at most
        // 260: a longer label may reach over the next lifeline, on its white ground).
        let label = run
            .journeys
            .list
            .iter()
            .map(|j| {
                let need = |text: &str, a: NodeId, b: NodeId| {
                    text_width(text, small) / column(run, a).abs_diff(column(run, b)).max(1) as f32
                };
                match rewritten(run, j) {
                    // Each side shows its whole label, or "…" and what the NAT changed.
                    // Its room: from the NAT's lifeline to the picture's edge on that side.
                    Some((nat, after)) => {
                        let (before, after) = (words(run, j.packet), words(run, after));
                        let cut = shared_cut(&before, &after);
                        let (n, c) = (run.graph.order.len() as f32, column(run, nat) as f32);
                        let (left, right) = (c + 0.5, n - c - 0.5);
                        let (rb, ra) = if column(run, j.from) < column(run, nat) {
                            (left, right)
                        } else {
                            (right, left)
                        };
                        (text_width(&narrowest(&before, cut), small) / rb.max(0.5))
                            .max(text_width(&narrowest(&after, cut), small) / ra.max(0.5))
                    }
                    None => need(&words(run, j.packet), j.from, j.to),
                }
            })
            .fold(0.0f32, f32::max);
        // (Wider with larger text: the presentation look's labels need it.)
        let most = 260.0 * small / 12.0;
        let col = (widest_name + 24.0).max(label + 20.0).clamp(120.0, most);
        Grid {
            gutter: small * 4.0 + font * 1.4 + 20.0,
            col,
            head: font + 22.0,
            row_h: font + 17.0,
            font,
            small,
        }
    }

    fn x(&self, run: &Run, n: NodeId) -> f32 {
        self.gutter + self.col * (column(run, n) as f32 + 0.5)
    }

    fn width(&self, run: &Run) -> f32 {
        self.gutter + self.col * run.graph.order.len().max(1) as f32 + 8.0
    }
}

/// The picture's SVG document: the view asked for, at the cursor.
pub fn svg(run: &Run, o: &Options) -> String {
    let pal = palette(o.presentation);
    let title = if o.titled {
        esc(&run.trace.title)
    } else {
        match o.view {
            View::Topology => "The network".to_owned(),
            _ => "The ladder diagram".to_owned(),
        }
    };
    let (body, w, h) = match o.view {
        View::Ladder => ladder(run, o, &pal),
        View::Topology => topology(run, o, &pal, None),
        View::Both => {
            let (lb, lw, lh) = ladder(run, o, &pal);
            let (tb, tw, th) = topology(run, o, &pal, Some(lw));
            let w = lw.max(tw);
            (
                format!("{tb}<g transform=\"translate(0 {th:.0})\">{lb}</g>"),
                w,
                th + lh,
            )
        }
    };
    // A slide says what it is at its top.
    let (head, body, h) = if o.titled && o.presentation {
        let f = pal.font * 1.3;
        let line = format!(
            "<text class=\"heading\" x=\"20\" y=\"{:.1}\" font-size=\"{f:.0}\" fill=\"{}\">{}</text>",
            f * 1.3,
            hex(pal.text),
            esc(&run.trace.title.chars().take(160).collect::<String>())
        );
        let dy = f * 2.0;
        (
            line,
            format!("<g transform=\"translate(0 {dy:.0})\">{body}</g>"),
            h + dy,
        )
    } else {
        (String::new(), body, h)
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"{FONTS}\">\n<title>{title}</title>\n<rect width=\"{w:.0}\" height=\"{h:.0}\" fill=\"{}\"/>\n{head}{body}</svg>\n",
        hex(pal.background)
    )
}

/// How many packets rows stand for.
fn packets_in(rs: &[Row]) -> usize {
    rs.iter()
        .map(|r| match r {
            Row::Journey(_) => 1,
            Row::Folded { first, last } => last - first + 1,
            Row::More { packets, .. } => *packets,
        })
        .sum()
}

/// The rows shown: all, or at most `n` around the cursor's (two thirds of them before it),
/// with a row saying how many packets come before and after.
fn window(run: &Run, o: &Options, all: Vec<Row>) -> Vec<Row> {
    let Some(n) = o.rows.filter(|n| *n < all.len()) else {
        return all;
    };
    let n = n.max(3);
    let at = all
        .iter()
        .position(|r| match r {
            Row::Journey(ji) => run.journeys.list[*ji].last_event >= o.cursor,
            Row::Folded { last, .. } => run.journeys.list[*last].last_event >= o.cursor,
            Row::More { .. } => false,
        })
        .unwrap_or(all.len() - 1);
    let start = at.saturating_sub(n * 2 / 3).min(all.len() - n);
    let mut out = Vec::with_capacity(n + 2);
    if start > 0 {
        out.push(Row::More {
            packets: packets_in(&all[..start]),
            earlier: true,
        });
    }
    out.extend_from_slice(&all[start..start + n]);
    if start + n < all.len() {
        out.push(Row::More {
            packets: packets_in(&all[start + n..]),
            earlier: false,
        });
    }
    out
}

/// The ladder as an SVG group, with its width and height. `o.cursor_marks` off: no row is
/// highlighted or faded (the handout's script does it).
pub fn ladder(run: &Run, o: &Options, pal: &Palette) -> (String, f32, f32) {
    let g = Grid::new(run, pal);
    let rows = window(run, o, rows(run));
    let (w, h) = (g.width(run), g.head + g.row_h * rows.len() as f32 + 8.0);
    let mut s = String::with_capacity(rows.len() * 600 + 1024);
    let _ = write!(
        s,
        "<g class=\"ladder\"><text x=\"4\" y=\"{:.1}\" font-size=\"{:.0}\" fill=\"{}\">time   step</text>",
        g.head * 0.6,
        g.small,
        hex(pal.faint)
    );
    for n in &run.graph.order {
        let _ = write!(
            s,
            "<text class=\"node\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
            g.x(run, *n),
            g.head * 0.6,
            g.font,
            hex(pal.text),
            esc(run.trace.node_name(*n))
        );
        let x = g.x(run, *n);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{h:.1}\" stroke=\"{}\" stroke-width=\"1\"/>",
            g.head - 4.0,
            hex(pal.guide)
        );
    }
    for (k, r) in rows.iter().enumerate() {
        let y = g.head + g.row_h * k as f32;
        match r {
            Row::Journey(ji) => journey_row(&mut s, run, o, pal, &g, *ji, y),
            Row::Folded { first, last } => folded_row(&mut s, run, pal, &g, (*first, *last), y, w),
            Row::More { packets, earlier } => {
                let _ = write!(
                    s,
                    "<text class=\"more\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" font-style=\"italic\" fill=\"{}\">… {packets} {} packet{}</text>",
                    g.gutter,
                    y + g.row_h * 0.62,
                    g.small,
                    hex(pal.faint),
                    if *earlier { "earlier" } else { "later" },
                    if *packets == 1 { "" } else { "s" }
                );
            }
        }
    }
    s.push_str("</g>\n");
    (s, w, h)
}

/// A row's state at the cursor.
struct Marks {
    current: bool,
    past: bool,
}

fn marks(run: &Run, o: &Options, ji: usize) -> Marks {
    let j = &run.journeys.list[ji];
    if !o.cursor_marks {
        return Marks {
            current: false,
            past: true,
        };
    }
    Marks {
        current: run.journeys.at_cursor(o.cursor) == Some(ji),
        past: j.first_event <= o.cursor,
    }
}

/// One journey's row: its highlight, time, step badge, arrow, words and fate.
fn journey_row(s: &mut String, run: &Run, o: &Options, pal: &Palette, g: &Grid, ji: usize, y: f32) {
    let j = &run.journeys.list[ji];
    let m = marks(run, o, ji);
    let text_col = hex(if m.past { pal.text } else { pal.faint });
    let hl = if m.current {
        hex(pal.highlight)
    } else {
        "none".to_owned()
    };
    let _ = write!(
        s,
        "<g class=\"row\" data-j=\"{ji}\" data-first=\"{}\" data-last=\"{}\"><rect class=\"hl\" x=\"0\" y=\"{y:.1}\" width=\"{:.0}\" height=\"{:.1}\" fill=\"{hl}\"/>",
        j.first_event,
        j.last_event,
        g.width(run),
        g.row_h
    );
    let _ = write!(
        s,
        "<text x=\"4\" y=\"{:.1}\" font-size=\"{:.0}\" font-family=\"Hack, 'DejaVu Sans Mono', Consolas, monospace\" fill=\"{text_col}\">{}</text>",
        y + g.row_h * 0.66,
        g.small,
        seconds(j.start)
    );
    if let Some(st) = j.step {
        let (cx, cy, r) = (
            g.gutter - g.font * 0.6 - 4.0,
            y + g.row_h / 2.0,
            g.font * 0.6,
        );
        let _ = write!(
            s,
            "<circle class=\"step\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"{}\"/><text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" text-anchor=\"middle\" fill=\"#ffffff\">{}</text>",
            hex(pal.channel(j.channel)),
            cy + g.small * 0.36,
            g.small,
            st.n
        );
    }
    arrow(s, run, pal, g, j, &m, y);
    // Its fate has a title of its own (a question before it hides it, with the ✖).
    let _ = writeln!(s, "<title>{}</title></g>", esc(&row_name(run, ji)));
}

/// The arrow from sender to where the packet ended, with its words, a NAT's dot and the ✖.
fn arrow(s: &mut String, run: &Run, pal: &Palette, g: &Grid, j: &Journey, m: &Marks, y: f32) {
    let (x0, x1) = (g.x(run, j.from), g.x(run, j.to));
    let (y0, y1) = (y + g.row_h * 0.62, y + g.row_h * 0.86);
    let width = if m.current {
        pal.line + 1.0
    } else if m.past {
        pal.line * 0.75
    } else {
        1.0
    };
    let col = hex(pal.channel(j.channel));
    let stopped = matches!(j.end, End::Dropped(_) | End::Rejected(_) | End::Unroutable);
    let _ = write!(
        s,
        "<g class=\"arrow\" data-packet=\"{}\"><line class=\"shaft\" x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" data-x2=\"{x1:.1}\" data-reach=\"{}\" stroke=\"{col}\" stroke-width=\"{width:.2}\" stroke-linecap=\"round\"/>",
        j.packet.index(),
        reach(run, g, j)
    );
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    if !stopped && (x1 - x0).abs() > 1.0 {
        let (bx, by) = (x1 - ux * 9.0, y1 - uy * 9.0);
        let _ = write!(
            s,
            "<path class=\"head\" d=\"M{x1:.1} {y1:.1} L{:.1} {:.1} L{:.1} {:.1} Z\" fill=\"{col}\"/>",
            bx - uy * 4.5,
            by + ux * 4.5,
            bx + uy * 4.5,
            by - ux * 4.5
        );
    }
    labels(s, run, pal, g, j, m, y);
    s.push_str("</g>");
    if stopped {
        let bad = hex(pal.bad);
        let _ = write!(
            s,
            "<g class=\"fate\"><path class=\"stop\" d=\"M{:.1} {:.1} L{:.1} {:.1} M{:.1} {:.1} L{:.1} {:.1}\" stroke=\"{bad}\" stroke-width=\"{:.1}\"/>",
            x1 - 5.0,
            y1 - 5.0,
            x1 + 5.0,
            y1 + 5.0,
            x1 - 5.0,
            y1 + 5.0,
            x1 + 5.0,
            y1 - 5.0,
            pal.line
        );
        if let Some(w) = stop_words(run, j) {
            let (anchor, x) = if x1 >= x0 {
                ("start", x1 + 9.0)
            } else {
                ("end", x1 - 9.0)
            };
            let _ = write!(
                s,
                "<text class=\"why\" x=\"{x:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" text-anchor=\"{anchor}\" fill=\"{bad}\">✖ {}</text>",
                y1 + g.small * 0.35,
                g.small,
                esc(&w)
            );
            let _ = write!(s, "<title>{}</title>", esc(&w));
        }
        s.push_str("</g>");
    }
}

/// Where the packet had got at each of its hops: "event:x …", for the handout's predict
/// questions, which draw an arrow only as far as the packet has got.
fn reach(run: &Run, g: &Grid, j: &Journey) -> String {
    let mut out = String::new();
    for h in &j.hops {
        let _ = write!(out, "{}:{:.1} ", h.event, g.x(run, h.to));
    }
    out.trim_end().to_owned()
}

/// The packet's words over its arrow; past a NAT that rewrote it, one label each side of the
/// NAT's dot.
fn labels(s: &mut String, run: &Run, pal: &Palette, g: &Grid, j: &Journey, m: &Marks, y: f32) {
    let (x0, x1) = (g.x(run, j.from), g.x(run, j.to));
    let col = hex(if m.past { pal.text } else { pal.faint });
    let bg = hex(if m.current {
        pal.highlight
    } else {
        pal.label_bg
    });
    let max_x = g.width(run) - 4.0;
    // Each label stays within its bounds: the picture, and its own side of a NAT's dot.
    let one = |text: &str, a: f32, b: f32, (lo, hi): (f32, f32), s: &mut String| {
        let w = text_width(text, g.small);
        let (lo, hi) = (lo.max(g.gutter), hi.min(max_x));
        let left = ((a + b) / 2.0 - w / 2.0).clamp(lo, (hi - w).max(lo));
        let _ = write!(
            s,
            "<rect class=\"lbg\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"2\" fill=\"{bg}\"/><text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" fill=\"{col}\">{}</text>",
            left - 2.0,
            y + 1.0,
            w + 4.0,
            g.small + 4.0,
            left,
            y + g.small + 1.5,
            g.small,
            esc(text)
        );
    };
    match rewritten(run, j) {
        None => one(&words(run, j.packet), x0, x1, (0.0, f32::MAX), s),
        Some((nat, after)) => {
            let xn = g.x(run, nat);
            let (before_side, after_side) = if x0 < xn {
                ((0.0, xn - 6.0), (xn + 6.0, f32::MAX))
            } else {
                ((xn + 6.0, f32::MAX), (0.0, xn - 6.0))
            };
            let (before, after) = (words(run, j.packet), words(run, after));
            let cut = shared_cut(&before, &after);
            // Each side's room: from the NAT's lifeline to the picture's edge on that side.
            let (room_before, room_after) = if x0 < xn {
                (xn - g.gutter, max_x - xn)
            } else {
                (max_x - xn, xn - g.gutter)
            };
            let title = format!("rewritten by {} to {after}", run.trace.node_name(nat));
            let before = fit_or_tail(&before, cut, g.small, room_before);
            let after = fit_or_tail(&after, cut, g.small, room_after);
            one(&before, x0, xn, before_side, s);
            // What the NAT made of it is a later event: a question before it hides it.
            let at = j
                .hops
                .iter()
                .find(|h| h.packet != j.packet)
                .map_or(0, |h| h.event);
            let _ = write!(
                s,
                "<g class=\"after\" data-at=\"{at}\"><title>{}</title>",
                esc(&title)
            );
            one(&after, xn, x1, after_side, s);
            let yn = y + g.row_h * (0.62 + 0.24 * (xn - x0) / (x1 - x0));
            let _ = write!(
                s,
                "<circle class=\"nat\" cx=\"{xn:.1}\" cy=\"{yn:.1}\" r=\"{:.1}\" fill=\"{}\"/></g>",
                pal.line + 2.0,
                hex(pal.text)
            );
        }
    }
}

/// A row's name, as the window's screen reader and hover say it, without what became of the
/// packet: its fate and a NAT's rewrite have titles of their own (a question before them
/// hides them).
pub fn row_name(run: &Run, ji: usize) -> String {
    let j = &run.journeys.list[ji];
    format!("Arrow {}: {}", ji + 1, words(run, j.packet))
}

/// A fold: many bulk-data packets in one row, said in words.
fn folded_row(
    s: &mut String,
    run: &Run,
    pal: &Palette,
    g: &Grid,
    (a, b): (usize, usize),
    y: f32,
    w: f32,
) {
    let list = &run.journeys.list;
    let bytes: usize = list[a..=b]
        .iter()
        .map(|j| run.trace.packets[j.packet].payload_len)
        .sum();
    let text = format!(
        "… {} more data packets folded ({} bytes of data, {}–{} s)",
        b - a + 1,
        bytes,
        seconds(list[a].start),
        seconds(list[b].start)
    );
    let _ = writeln!(
        s,
        "<g class=\"row fold\" data-j=\"{a}\" data-first=\"{}\" data-last=\"{}\" data-folded=\"{}\"><rect class=\"hl\" x=\"0\" y=\"{y:.1}\" width=\"{w:.0}\" height=\"{:.1}\" fill=\"none\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" font-style=\"italic\" fill=\"{}\">{}</text></g>",
        list[a].first_event,
        list[b].last_event,
        b - a + 1,
        g.row_h,
        g.gutter,
        y + g.row_h * 0.62,
        g.small,
        hex(pal.faint),
        esc(&text)
    );
}

/// The topology at the cursor: each node a box in the window's layout and colours, the links,
/// and where the cursor's packet is (or the ✖ of the last one stopped). `width`: as wide as
/// the ladder under it.
pub fn topology(run: &Run, o: &Options, pal: &Palette, width: Option<f32>) -> (String, f32, f32) {
    let (bw, bh) = (box_width(run, pal), pal.font * 4.2 + 12.0);
    let cols = run.graph.columns.max(1) as f32;
    let rows = run.graph.rows.max(1) as f32;
    let w = width.unwrap_or(0.0).max(cols * (bw + 40.0) + 40.0);
    let h = rows * (bh + 40.0) + if o.cursor_marks { 90.0 } else { 70.0 };
    let at = |n: NodeId| {
        let (ux, uy) = run.graph.pos.get(n.index()).copied().unwrap_or((0.5, 0.5));
        (
            30.0 + bw / 2.0 + ux * (w - 60.0 - bw),
            30.0 + bh / 2.0 + uy * (h - 110.0 - bh),
        )
    };
    let mut s = String::from("<g class=\"topology\">");
    for l in &run.trace.links {
        let ((ax, ay), (bx, by)) = (at(l.a), at(l.b));
        let _ = write!(
            s,
            "<line x1=\"{ax:.1}\" y1=\"{ay:.1}\" x2=\"{bx:.1}\" y2=\"{by:.1}\" stroke=\"{}\" stroke-width=\"2\"/>",
            hex(pal.guide)
        );
    }
    for n in run.trace.node_ids() {
        node_box(&mut s, run, pal, n, at(n), (bw, bh));
    }
    if o.cursor_marks {
        moment(&mut s, run, o, pal, &at, bh, w);
    }
    legend(&mut s, pal, h - 22.0);
    s.push_str("</g>\n");
    (s, w, h)
}

/// A node box as wide as its widest line needs in its shortest form (the window's forms).
fn box_width(run: &Run, pal: &Palette) -> f32 {
    let need = run
        .trace
        .nodes
        .iter()
        .flat_map(|n| crate::gui::topology_lines(n, pal.font, &run.trace))
        .map(|(forms, f)| {
            forms
                .iter()
                .map(|t| text_width(t, f))
                .fold(f32::MAX, f32::min)
        })
        .fold(0.0f32, f32::max);
    (need + 20.0).clamp(96.0, 220.0)
}

fn node_box(
    s: &mut String,
    run: &Run,
    pal: &Palette,
    n: NodeId,
    (cx, cy): (f32, f32),
    (bw, bh): (f32, f32),
) {
    let Some(node) = run.trace.node(n) else {
        return;
    };
    let fill = match node.kind {
        NodeKind::Firewall => pal.firewall_fill,
        NodeKind::Nat => pal.nat_fill,
        _ => pal.node_fill,
    };
    let _ = write!(
        s,
        "<g class=\"box\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.0}\" height=\"{bh:.0}\" rx=\"6\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>",
        cx - bw / 2.0,
        cy - bh / 2.0,
        hex(fill),
        hex(pal.faint)
    );
    let lines = crate::gui::topology_lines(node, pal.font, &run.trace);
    let total: f32 = lines.iter().map(|(_, f)| f * 1.3).sum();
    let mut y = cy - total / 2.0;
    for (forms, f) in &lines {
        y += f * 1.3;
        let room = bw - 10.0;
        let text = forms
            .iter()
            .find(|t| text_width(t, *f) <= room)
            .or(forms.last())
            .cloned()
            .unwrap_or_default();
        let _ = write!(
            s,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{f:.0}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
            y - f * 0.3,
            hex(pal.text),
            esc(&text)
        );
    }
    s.push_str("</g>");
}

/// The cursor's packet on its link, or the ✖ where the last stopped packet was stopped.
/// The x of a centred text of `size` near `x`, moved so it stays inside `0..width`.
fn picture_text_room(text: &str, size: f32, x: f32, width: f32) -> f32 {
    let half = text_width(text, size) / 2.0 + 6.0;
    x.clamp(half.min(width / 2.0), (width - half).max(width / 2.0))
}

#[allow(clippy::too_many_arguments)]
fn moment(
    s: &mut String,
    run: &Run,
    o: &Options,
    pal: &Palette,
    at: &dyn Fn(NodeId) -> (f32, f32),
    box_h: f32,
    width: f32,
) {
    let list = &run.journeys.list;
    let Some(ji) = run.journeys.at_cursor(o.cursor) else {
        return;
    };
    let j = &list[ji];
    let hop = j
        .hops
        .iter()
        .rev()
        .find(|h| h.event <= o.cursor)
        .or(j.hops.first());
    let Some(hop) = hop else {
        return;
    };
    let ((ax, ay), (bx, by)) = (at(hop.from), at(hop.to));
    // On the link between the two boxes, its words under the boxes' row.
    let (px, py) = ((ax + bx) / 2.0, (ay + by) / 2.0);
    let col = hex(pal.channel(j.channel));
    let text = words(run, hop.packet);
    let w = picture_text_room(&text, pal.small + 1.0, px, width);
    let _ = write!(
        s,
        "<circle class=\"packet\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"7\" fill=\"{col}\"/><text class=\"moving\" x=\"{w:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
        py.max(ay.max(by)) + box_h / 2.0 + pal.small + 8.0,
        pal.small + 1.0,
        hex(pal.text),
        esc(&text)
    );
    let ended = j.last_event <= o.cursor;
    if ended && let Some(w) = stop_words(run, j) {
        let (x, y) = at(j.to);
        let _ = write!(
            s,
            "<text class=\"why\" x=\"{x:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" text-anchor=\"middle\" fill=\"{}\">✖ {}</text>",
            y - pal.font * 3.0,
            pal.font + 1.0,
            hex(pal.bad),
            esc(&w)
        );
    }
}

fn legend(s: &mut String, pal: &Palette, y: f32) {
    // The second entry after the first's words, at any text size.
    let x2 = 66.0 + text_width("control connection", pal.small + 1.0) + 30.0;
    let _ = write!(
        s,
        "<line x1=\"30\" y1=\"{y:.1}\" x2=\"60\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"3\"/><text x=\"66\" y=\"{:.1}\" font-size=\"{:.0}\" fill=\"{}\">control connection</text><line x1=\"{x2:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.0}\" fill=\"{}\">data connection</text>",
        hex(pal.control),
        y + 4.0,
        pal.small + 1.0,
        hex(pal.text),
        x2 + 30.0,
        hex(pal.data),
        x2 + 36.0,
        y + 4.0,
        pal.small + 1.0,
        hex(pal.text)
    );
}

/// The fonts a PNG is drawn with: the window's own, shipped in the binary (egui's), so a
/// PNG looks the same on every machine.
fn fontdb() -> resvg::usvg::fontdb::Database {
    let mut db = resvg::usvg::fontdb::Database::new();
    for f in [
        epaint_default_fonts::UBUNTU_LIGHT,
        epaint_default_fonts::HACK_REGULAR,
        epaint_default_fonts::NOTO_EMOJI_REGULAR,
        epaint_default_fonts::EMOJI_ICON,
    ] {
        db.load_font_data(f.to_vec());
    }
    db.set_sans_serif_family("Ubuntu");
    db.set_monospace_family("Hack");
    db
}

/// The PNG of an SVG this module drew, at `scale` (2: sharp on a projector).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let opt = resvg::usvg::Options {
        fontdb: std::sync::Arc::new(fontdb()),
        font_family: "Ubuntu".to_owned(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("the picture: {e}"))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("the picture has no size")?;
    if u64::from(size.width()) * u64::from(size.height()) > 200_000_000 {
        return Err(format!(
            "the picture would be {}×{} pixels: too large for a PNG (use --svg, or --at to show less)",
            size.width(),
            size.height()
        ));
    }
    let mut pix = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or("the picture is too large")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pix.as_mut(),
    );
    pix.encode_png().map_err(|e| format!("the PNG: {e}"))
}
