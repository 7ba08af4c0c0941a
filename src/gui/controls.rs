//! The left panel: the scenario picker, the client's mode, the server's ports, and a rule
//! table per firewall (add, delete, move, edit; hit counters; the rule that blocked the data
//! channel marked). Every accepted change edits the scenario and asks for a re-run. A value
//! that does not parse shows its message under the field and changes nothing.

use super::Document;
use super::builtin::{self, Entry};
use super::style::Palette;
use crate::firewall::{Action, Cidr, CtState, Direction, PortMatch, Rule};
use crate::ftp::Mode;
use crate::scenario::{ActivePort, NodeSpec};
use crate::trace::Trace;
use eframe::egui::{self, RichText};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct ControlsState {
    bufs: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    /// (node index of the firewall, rule index) being edited.
    editing: Option<(usize, usize)>,
}

#[derive(Default)]
pub struct ControlsOut {
    pub changed: bool,
    pub open: Option<Entry>,
    pub save_as: bool,
    pub revert: bool,
    pub export: bool,
}

pub fn parse_port(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let n: u32 = t
        .parse()
        .map_err(|_| format!("'{t}' is not a port number (1–65535)"))?;
    if (1..=65535).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is not a port: ports go from 1 to 65535"))
    }
}

pub fn parse_range(s: &str) -> Result<(u32, u32), String> {
    let t = s.trim();
    let (a, b) = t
        .split_once(['-', ':', '–'])
        .ok_or_else(|| format!("'{t}' is not a range: write it as 10001-10005"))?;
    let (a, b) = (parse_port(a)?, parse_port(b)?);
    if a > b {
        return Err(format!("the range {a}-{b} runs backwards"));
    }
    Ok((a, b))
}

pub fn parse_port_match(s: &str) -> Result<PortMatch, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("any") {
        return Ok(PortMatch::Any);
    }
    if t.contains(['-', ':', '–']) {
        let (a, b) = parse_range(t)?;
        return Ok(PortMatch::Range(a, b));
    }
    parse_port(t).map(PortMatch::Port)
}

fn port_match_text(p: PortMatch) -> String {
    p.to_string()
}

fn parse_addr(s: &str) -> Result<String, String> {
    let t = s.trim();
    t.parse::<Cidr>()?;
    Ok(if t.is_empty() {
        "any".to_owned()
    } else {
        t.to_owned()
    })
}

/// A labelled text field whose value is applied only when it parses.
fn field<T>(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    key: &str,
    label: &str,
    current: String,
    pal: &Palette,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let mut out = None;
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let buf = st.bufs.entry(key.to_owned()).or_insert(current);
        let r = ui
            .add(egui::TextEdit::singleline(buf).desired_width(130.0))
            .labelled_by(l.id);
        if r.changed() {
            match parse(buf) {
                Ok(v) => {
                    st.errors.remove(key);
                    out = Some(v);
                }
                Err(m) => {
                    st.errors.insert(key.to_owned(), m);
                }
            }
        }
    });
    if let Some(e) = st.errors.get(key) {
        ui.label(RichText::new(format!("⚠ {e} (not applied)")).color(pal.bad));
    }
    out
}

pub fn show(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    doc: &mut Document,
    trace: &Trace,
    problems: &[(String, String)],
    pal: &Palette,
) -> ControlsOut {
    let mut out = ControlsOut::default();
    egui::ScrollArea::vertical()
        .id_salt("controls")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            scenario_section(ui, doc, &mut out);
            if !problems.is_empty() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(
                        RichText::new(
                            "This setup cannot run yet (showing the last run that could):",
                        )
                        .color(pal.bad)
                        .strong(),
                    );
                    for (f, m) in problems {
                        ui.label(RichText::new(format!("{f}: {m}")).color(pal.bad));
                    }
                });
            }
            ui.separator();
            out.changed |= client_section(ui, doc);
            ui.separator();
            out.changed |= server_section(ui, st, doc, pal);
            let fws: Vec<usize> = doc
                .scenario
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(n, NodeSpec::Firewall(_)))
                .map(|(i, _)| i)
                .collect();
            for i in fws {
                ui.separator();
                out.changed |= firewall_section(ui, st, doc, i, trace, pal);
            }
        });
    out
}

fn scenario_section(ui: &mut egui::Ui, doc: &mut Document, out: &mut ControlsOut) {
    ui.heading("Lesson");
    let mut chosen: Option<Entry> = None;
    egui::ComboBox::from_label("Scenario")
        .selected_text(&doc.name)
        .width(220.0)
        .show_ui(ui, |ui| {
            // The directory is read only while the list is open, not on every frame.
            for e in builtin::entries(doc.path.as_deref()) {
                let name = e.name();
                if ui.selectable_label(name == doc.name, &name).clicked() {
                    chosen = Some(e);
                }
            }
        });
    out.open = chosen;
    ui.horizontal_wrapped(|ui| {
        if ui.button("Save as…").clicked() {
            out.save_as = true;
        }
        if ui
            .add_enabled(doc.dirty(), egui::Button::new("Revert"))
            .on_hover_text("Go back to the file as it was loaded or saved")
            .clicked()
        {
            out.revert = true;
        }
        if ui.button("Export capture…").clicked() {
            out.export = true;
        }
    });
    if !doc.scenario.description.is_empty() {
        ui.label(RichText::new(&doc.scenario.description).small());
    }
}

fn client_section(ui: &mut egui::Ui, doc: &mut Document) -> bool {
    let mut changed = false;
    for n in &mut doc.scenario.nodes {
        if let NodeSpec::Client(c) = n {
            ui.heading(format!("FTP client {}", c.address));
            ui.horizontal(|ui| {
                ui.label("Mode:");
                changed |= ui
                    .selectable_value(&mut c.mode, Mode::Active, "Active")
                    .on_hover_text("The server connects back to the client for data (PORT)")
                    .changed();
                changed |= ui
                    .selectable_value(&mut c.mode, Mode::Passive, "Passive")
                    .on_hover_text("The client connects to the server for data (PASV)")
                    .changed();
            });
        }
    }
    changed
}

fn server_section(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    doc: &mut Document,
    pal: &Palette,
) -> bool {
    let mut changed = false;
    for (i, n) in doc.scenario.nodes.iter_mut().enumerate() {
        let NodeSpec::Server(s) = n else { continue };
        ui.heading(format!("FTP server {}", s.address));
        if let Some(p) = field(
            ui,
            st,
            &format!("srv{i}/control"),
            "Control port",
            s.control_port.to_string(),
            pal,
            parse_port,
        ) {
            s.control_port = p;
            changed = true;
        }
        let active_now = match s.active_data_port {
            ActivePort::Port(p) => p.to_string(),
            ActivePort::Ephemeral => "ephemeral".to_owned(),
        };
        if let Some(p) = field(
            ui,
            st,
            &format!("srv{i}/active"),
            "Active data port",
            active_now,
            pal,
            |t| {
                if t.trim().eq_ignore_ascii_case("ephemeral") {
                    return Ok(ActivePort::Ephemeral);
                }
                let p = parse_port(t)?;
                if p == 20 || p > 1024 {
                    Ok(ActivePort::Port(p))
                } else {
                    Err(format!(
                        "{p}: the active data port is 20 or above 1024 (or 'ephemeral')"
                    ))
                }
            },
        ) {
            s.active_data_port = p;
            changed = true;
        }
        if let Some(r) = field(
            ui,
            st,
            &format!("srv{i}/passive"),
            "Passive range",
            format!("{}-{}", s.passive_range.0, s.passive_range.1),
            pal,
            |t| {
                let (a, b) = parse_range(t)?;
                if a < 1024 {
                    Err(format!("{a}: passive ports start at 1024 or above"))
                } else {
                    Ok((a, b))
                }
            },
        ) {
            s.passive_range = r;
            changed = true;
        }
    }
    changed
}

fn firewall_section(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    doc: &mut Document,
    node: usize,
    trace: &Trace,
    pal: &Palette,
) -> bool {
    let mut changed = false;
    let NodeSpec::Firewall(fw) = &mut doc.scenario.nodes[node] else {
        return false;
    };
    let report = trace.firewalls.iter().find(|f| f.name == fw.name);
    let blocked = trace
        .outcome
        .blocked_by
        .as_ref()
        .filter(|b| b.middlebox == fw.name)
        .map(|b| b.rule);
    ui.heading(format!("Firewall {} (protects {})", fw.name, fw.protects));
    ui.horizontal(|ui| {
        let before = fw.default_policy;
        egui::ComboBox::new(("policy", node), "Default policy")
            .selected_text(fw.default_policy.to_string())
            .show_ui(ui, |ui| {
                for a in [Action::Accept, Action::Drop, Action::Reject] {
                    ui.selectable_value(&mut fw.default_policy, a, a.to_string());
                }
            });
        changed |= before != fw.default_policy;
        if let Some(r) = report {
            ui.label(format!("{} hits", r.default_hits));
        }
    });
    if blocked == Some(None) {
        ui.label(
            RichText::new("⛔ The default policy blocked the data channel")
                .color(pal.bad)
                .strong(),
        );
    }
    ui.horizontal(|ui| {
        changed |= ui
            .checkbox(&mut fw.stateful, "Stateful")
            .on_hover_text("Track connections (new / established / related)")
            .changed();
        changed |= ui
            .checkbox(&mut fw.ftp_helper, "FTP helper")
            .on_hover_text("Read PORT and 227 on the control connection and expect the data connection (RELATED)")
            .changed();
    });

    let mut action: Option<(usize, i32)> = None; // (rule, -1 up / +1 down / 0 delete)
    for (k, rule) in fw.rules.iter().enumerate() {
        let n = k + 1;
        let hits = report.and_then(|r| r.hits.get(k)).copied().unwrap_or(0);
        let is_blocker = blocked == Some(Some(n));
        ui.horizontal(|ui| {
            let text = format!("{n}. [{}] {}", rule.action, rule.label());
            let mut rt = RichText::new(text);
            if is_blocker {
                rt = rt.color(pal.bad).strong();
            }
            let editing = st.editing == Some((node, k));
            let r = ui
                .selectable_label(editing, rt)
                .on_hover_text(format!("{}\nClick to edit", rule.describe()));
            if r.clicked() {
                st.editing = if editing { None } else { Some((node, k)) };
                st.bufs.retain(|key, _| !key.starts_with("rule/"));
                st.errors.retain(|key, _| !key.starts_with("rule/"));
            }
            ui.label(RichText::new(format!("{hits} hits")).small());
            if ui
                .add_enabled(k > 0, egui::Button::new("⬆").small())
                .on_hover_text(format!("Move rule {n} up"))
                .clicked()
            {
                action = Some((k, -1));
            }
            if ui
                .add_enabled(k + 1 < fw.rules.len(), egui::Button::new("⬇").small())
                .on_hover_text(format!("Move rule {n} down"))
                .clicked()
            {
                action = Some((k, 1));
            }
            if ui
                .add(egui::Button::new("🗑").small())
                .on_hover_text(format!("Delete rule {n}"))
                .clicked()
            {
                action = Some((k, 0));
            }
        });
        if is_blocker {
            ui.label(
                RichText::new(format!("⛔ Rule {n} blocked the data channel"))
                    .color(pal.bad)
                    .strong(),
            );
        }
    }
    if let Some((k, d)) = action {
        match d {
            0 => {
                fw.rules.remove(k);
            }
            -1 => fw.rules.swap(k, k - 1),
            _ => fw.rules.swap(k, k + 1),
        }
        st.editing = None;
        changed = true;
    }
    if ui.button(format!("+ Add rule to {}", fw.name)).clicked() {
        fw.rules.push(Rule {
            comment: "new rule".to_owned(),
            ..Rule::default()
        });
        st.editing = Some((node, fw.rules.len() - 1));
        st.bufs.retain(|key, _| !key.starts_with("rule/"));
        st.errors.retain(|key, _| !key.starts_with("rule/"));
        changed = true;
    }
    if let Some((n, k)) = st.editing
        && n == node
        && let Some(rule) = fw.rules.get_mut(k)
    {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            changed |= rule_editor(ui, st, rule, k + 1, pal);
        });
    }
    changed
}

fn rule_editor(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    rule: &mut Rule,
    n: usize,
    pal: &Palette,
) -> bool {
    let mut changed = false;
    ui.label(RichText::new(format!("Editing rule {n}")).strong());
    ui.horizontal(|ui| {
        ui.label("Action:");
        for a in [Action::Accept, Action::Drop, Action::Reject] {
            changed |= ui
                .selectable_value(&mut rule.action, a, a.to_string())
                .changed();
        }
    });
    ui.horizontal(|ui| {
        ui.label("Direction:");
        for (d, w) in [
            (Direction::Any, "any"),
            (Direction::Inbound, "inbound"),
            (Direction::Outbound, "outbound"),
        ] {
            changed |= ui.selectable_value(&mut rule.direction, d, w).changed();
        }
    });
    if let Some(v) = field(
        ui,
        st,
        "rule/src",
        "Source address",
        rule.src.clone(),
        pal,
        parse_addr,
    ) {
        rule.src = v;
        changed = true;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/sport",
        "Source port",
        port_match_text(rule.src_port),
        pal,
        parse_port_match,
    ) {
        rule.src_port = v;
        changed = true;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/dst",
        "Destination address",
        rule.dst.clone(),
        pal,
        parse_addr,
    ) {
        rule.dst = v;
        changed = true;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/dport",
        "Destination port",
        port_match_text(rule.dst_port),
        pal,
        parse_port_match,
    ) {
        rule.dst_port = v;
        changed = true;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("State:");
        for s in [
            CtState::New,
            CtState::Established,
            CtState::Related,
            CtState::Invalid,
        ] {
            let mut on = rule.state.contains(&s);
            if ui.checkbox(&mut on, s.to_string()).changed() {
                if on {
                    rule.state.push(s);
                    rule.state.sort();
                } else {
                    rule.state.retain(|x| *x != s);
                }
                changed = true;
            }
        }
    });
    ui.label(RichText::new("No state ticked: any state.").small());
    if let Some(v) = field(
        ui,
        st,
        "rule/comment",
        "Comment",
        rule.comment.clone(),
        pal,
        |t| Ok(t.to_owned()),
    ) {
        rule.comment = v;
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_fields_parse_or_explain() {
        assert_eq!(parse_port_match("any"), Ok(PortMatch::Any));
        assert_eq!(parse_port_match(" 20 "), Ok(PortMatch::Port(20)));
        assert_eq!(
            parse_port_match("10001-10005"),
            Ok(PortMatch::Range(10001, 10005))
        );
        assert!(
            parse_port_match("70000")
                .unwrap_err()
                .contains("1 to 65535")
        );
        assert!(parse_port_match("0").is_err());
        assert!(parse_port_match("9-3").unwrap_err().contains("backwards"));
        assert!(parse_port_match("http").is_err());
        assert!(parse_addr("10.0.0.0/33").is_err());
        assert_eq!(parse_addr("198.51.100.0/24").unwrap(), "198.51.100.0/24");
    }
}
