//! The packet inspector: the packet at the cursor, layer by layer as a student reads it —
//! the FTP line and its meaning, TCP, IPv4, the raw bytes in hex with the selected field
//! highlighted — and every firewall decision on it (rule, connection-tracking state, why).
//! A data-connection packet links to the PORT or 227 that announced it, and back.

use super::inspect::{
    FieldInfo, Rewrite, announced_event, as_text, changed_bytes, decisions, fields_at, ftp_words,
    packet_event_at, rewrite_at, setup_event,
};
use super::model::{Command, Playback};
use super::narrate::step_title;
use super::style::Palette;
use crate::trace::{EventKind, Trace};
use eframe::egui::{self, RichText, text::LayoutJob};

#[derive(Default)]
pub struct InspectorState {
    /// The selected field (name), highlighted in the hex view.
    field: Option<&'static str>,
}

pub fn show(
    ui: &mut egui::Ui,
    st: &mut InspectorState,
    trace: &Trace,
    pb: &Playback,
    pal: &Palette,
) -> Option<Command> {
    let Some(ev) = packet_event_at(trace, pb.cursor) else {
        ui.label("No packet yet: step forward to the first one.");
        return None;
    };
    let mut cmd = None;
    // Both ways: a wide hex dump scrolls inside the panel instead of widening it.
    egui::ScrollArea::both()
        .id_salt("inspector")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            cmd = packet_view(ui, st, trace, ev, pb, pal);
        });
    cmd
}

/// The packet of event `ev`, layer by layer.
fn packet_view(
    ui: &mut egui::Ui,
    st: &mut InspectorState,
    trace: &Trace,
    ev: usize,
    pb: &Playback,
    pal: &Palette,
) -> Option<Command> {
    let cursor = pb.cursor;
    let e = &trace.events[ev];
    let EventKind::Packet { packet, .. } = &e.kind else {
        return None;
    };
    let p = &trace.packets[*packet];
    header(ui, trace, ev, cursor, pal);
    let mut cmd = links(ui, trace, ev);
    if let Some(r) = rewrite_at(trace, ev) {
        ui.separator();
        if rewritten(ui, trace, &r, pal) {
            cmd = Some(Command::SeekEvent(r.other_event));
        }
    }
    // Predict mode: only the decisions taken so far (the firewall ahead has not decided yet).
    let upto = if pb.predict { cursor } else { usize::MAX };
    firewall_decisions(ui, trace, *packet, upto, pal);
    if let Some((line, meaning)) = ftp_words(p) {
        ui.separator();
        ui.label(RichText::new("FTP").strong());
        ui.label(RichText::new(line).monospace());
        ui.label(meaning);
    }
    let fs = fields_at(trace, ev, p, e.conn);
    field_grid(ui, st, &fs);
    ui.separator();
    ui.label(RichText::new("Bytes (click a field above to highlight it)").strong());
    let sel = fs.iter().find(|f| Some(f.name) == st.field);
    let changed = rewrite_at(trace, ev).map(|r| {
        changed_bytes(
            &trace.packets[r.before].bytes,
            &trace.packets[r.after].bytes,
        )
    });
    hex(ui, &p.bytes, sel, changed.as_deref().unwrap_or(&[]), pal);
    if changed.is_some() {
        ui.label(RichText::new("Underlined: bytes the rewrite changed.").small());
    }
    cmd
}

/// The packet's number and summary, "Copy as text", and its step.
fn header(ui: &mut egui::Ui, trace: &Trace, ev: usize, cursor: usize, pal: &Palette) {
    let e = &trace.events[ev];
    let EventKind::Packet { packet, .. } = &e.kind else {
        return;
    };
    let p = &trace.packets[*packet];
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("Packet {}", p.id)).strong());
        ui.label(
            RichText::new(p.summary())
                .color(pal.channel(e.channel))
                .strong(),
        );
        if ui.button("Copy as text").clicked() {
            ui.ctx().copy_text(as_text(trace, ev));
        }
    });
    if ev != cursor {
        ui.label(
            RichText::new(format!(
                "(the last packet before the cursor, at t = {})",
                e.time
            ))
            .small(),
        );
    }
    if let Some(s) = e.step {
        ui.label(format!("Step {}: {}", s.n, step_title(s)));
    }
}

/// Links between the two connections: the announcement a data packet belongs to, and the
/// data connection an announcement opened.
fn links(ui: &mut egui::Ui, trace: &Trace, ev: usize) -> Option<Command> {
    let mut cmd = None;
    let links = [
        ("Announced by", setup_event(trace, ev)),
        (
            "The data connection it announced",
            announced_event(trace, ev),
        ),
    ];
    for (words, target) in links {
        if let Some(t) = target
            && link_to(ui, trace, words, t)
        {
            cmd = Some(Command::SeekEvent(t));
        }
    }
    cmd
}

/// Every middlebox's decision on the packet up to event `upto`: the rule, the tracking state,
/// why.
fn firewall_decisions(
    ui: &mut egui::Ui,
    trace: &Trace,
    packet: crate::ids::PacketId,
    upto: usize,
    pal: &Palette,
) {
    let decided: Vec<_> = decisions(trace, packet)
        .into_iter()
        .filter(|(i, _)| *i <= upto)
        .collect();
    if decided.is_empty() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Firewall decisions").strong());
    for (_, v) in decided {
        let col = match v.action {
            crate::firewall::Action::Accept => pal.ok,
            _ => pal.bad,
        };
        let rule = match v.rule() {
            Some(n) => format!("Rule {n}: {}", v.rule_text),
            None => format!("Default policy: {}", v.action),
        };
        let head = format!(
            "{} ({}): {}",
            v.middlebox,
            v.direction,
            v.action.to_string().to_uppercase()
        );
        ui.label(RichText::new(head).color(col).strong());
        let mut detail = format!("{rule}\nState: {}", v.state);
        if !v.why.is_empty() {
            detail.push_str(&format!("\nWhy: {}", v.why));
        }
        ui.indent(("decision", &v.middlebox), |ui| ui.label(detail));
    }
}

/// The fields layer by layer; a click selects one (highlighted in the bytes).
fn field_grid(ui: &mut egui::Ui, st: &mut InspectorState, fs: &[FieldInfo]) {
    let mut layer = "";
    egui::Grid::new("fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for f in fs {
                if f.layer != layer {
                    layer = f.layer;
                    ui.label(RichText::new(layer).strong());
                    ui.end_row();
                }
                let selected = st.field == Some(f.name);
                if ui.selectable_label(selected, f.name).clicked() {
                    st.field = if selected { None } else { Some(f.name) };
                }
                // Wrapped at the panel edge: a long value (an absolute sequence number) would be cut.
                ui.add(egui::Label::new(&f.value).wrap());
                ui.end_row();
            }
        });
}

/// "{words}: {packet} (t = …) — go there", as a link; true when clicked.
fn link_to(ui: &mut egui::Ui, trace: &Trace, words: &str, event: usize) -> bool {
    let text = match &trace.events[event].kind {
        EventKind::Packet { packet, .. } => trace.packets[*packet].summary(),
        _ => String::new(),
    };
    ui.link(format!(
        "{words}: {text} (t = {}) — go there",
        trace.events[event].time
    ))
    .clicked()
}

/// What a middlebox rewrote in this packet; true when the link to the other version is clicked.
fn rewritten(ui: &mut egui::Ui, trace: &Trace, r: &Rewrite, pal: &Palette) -> bool {
    let who = trace.node_name(r.at);
    let after = &trace.packets[r.after];
    let before = &trace.packets[r.before];
    let head = if r.is_after {
        format!("Rewritten by {who}: this is the packet after it")
    } else {
        format!("{who} rewrites this packet")
    };
    ui.label(RichText::new(head).strong().color(pal.data));
    // Each field with its before and after one under the other: side by side, the "after"
    // column was off the panel's edge at 1024×768 (and cut at 1920×1080).
    for c in &after.changes {
        ui.label(RichText::new(&c.what).strong());
        egui::Frame::new()
            .inner_margin(egui::Margin {
                left: 12,
                ..Default::default()
            })
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(format!("before: {}", c.before)).monospace())
                        .wrap(),
                );
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("after:  {}", c.after))
                            .monospace()
                            .color(pal.data),
                    )
                    .wrap(),
                );
            });
    }
    let n = changed_bytes(&before.bytes, &after.bytes).len();
    ui.label(format!(
        "{n} bytes differ; {} → {} bytes long.",
        before.bytes.len(),
        after.bytes.len()
    ));
    let words = if r.is_after {
        format!("Before {who}")
    } else {
        format!("After {who}")
    };
    link_to(ui, trace, &words, r.other_event)
}

fn hex(ui: &mut egui::Ui, bytes: &[u8], sel: Option<&FieldInfo>, changed: &[usize], pal: &Palette) {
    let font = egui::FontId::monospace(pal.font - 1.0);
    let hl = egui::Color32::from_rgb(255, 215, 0);
    for (k, chunk) in bytes.chunks(16).enumerate() {
        let mut job = LayoutJob::default();
        let plain = egui::TextFormat::simple(font.clone(), pal.text);
        job.append(
            &format!("{:04x}  ", k * 16),
            0.0,
            egui::TextFormat::simple(font.clone(), pal.faint),
        );
        for (j, b) in chunk.iter().enumerate() {
            let at = k * 16 + j;
            let mut fmt = plain.clone();
            if sel.is_some_and(|f| f.bytes.contains(&at)) {
                fmt.background = hl;
                fmt.color = egui::Color32::BLACK;
            }
            if changed.binary_search(&at).is_ok() {
                fmt.underline = egui::Stroke::new(2.0, pal.data);
            }
            job.append(&format!("{b:02x}"), 0.0, fmt);
            job.append(if j == 7 { "  " } else { " " }, 0.0, plain.clone());
        }
        ui.label(job);
    }
}
