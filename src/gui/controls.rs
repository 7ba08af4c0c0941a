//! The left panel: the lesson picker and files, each client's mode, the server's ports, each
//! NAT's ALG, and a rule table per firewall. Each rule shows what it matches the way iptables
//! writes it (nftables on hover), its hits up to the cursor (the whole run on hover), and a
//! warning when an earlier rule already takes every packet it could match. "Add rule" inserts
//! above the selected rule; a comment the program wrote follows the rule's edits, a
//! hand-written one is kept. Every accepted change edits the scenario and asks for a re-run;
//! a value that does not parse shows its message under the field and changes nothing.

use super::Document;
use super::builtin::Entry;
use super::files::Group;
use super::style::Palette;
use crate::firewall::analysis;
use crate::firewall::{Action, Cidr, CtState, Direction, PortMatch, RejectWith, Rule};
use crate::ftp::Mode;
use crate::scenario::{ActivePort, DataCommands, NodeSpec, ServerProfile};
use crate::trace::{EventKind, PacketFate, Trace};
use eframe::egui::{self, RichText};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct ControlsState {
    bufs: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    /// (node index of the firewall, rule index) selected for editing.
    editing: Option<(usize, usize)>,
}

#[derive(Default)]
pub struct ControlsOut {
    pub changed: bool,
    pub open: Option<Entry>,
    pub open_file: bool,
    pub save_as: bool,
    pub revert: bool,
    pub export: bool,
}

/// A port typed in a field (`ports`' parser; its message on error).
pub fn parse_port(s: &str) -> Result<u32, String> {
    s.parse::<crate::ports::Port>()
        .map(|p| u32::from(p.get()))
        .map_err(|e| e.to_string())
}

/// A range typed in a field.
pub fn parse_range(s: &str) -> Result<(u32, u32), String> {
    let r: crate::ports::PortRange = s
        .parse()
        .map_err(|e: crate::ports::PortError| e.to_string())?;
    Ok((u32::from(r.lo()), u32::from(r.hi())))
}

/// A rule's port condition typed in a field: any, a port or a range.
pub fn parse_port_match(s: &str) -> Result<PortMatch, String> {
    s.parse()
        .map_err(|e: crate::ports::PortError| e.to_string())
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
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(label);
        let buf = st.bufs.entry(key.to_owned()).or_insert(current);
        let w = ui.available_width().clamp(80.0, 150.0);
        let r = ui
            // An id of its own: a re-run that adds or removes a line above (a hit count, a
            // "never matches") must not give the field a new id and take its focus away.
            .add(
                egui::TextEdit::singleline(buf)
                    .id(egui::Id::unique(("field", key)))
                    .desired_width(w),
            )
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

/// What the panel needs besides the document.
pub struct View<'a> {
    pub trace: &'a Trace,
    pub cursor: usize,
    /// Predict mode: the whole run's hits are not shown on hover.
    pub predict: bool,
    pub problems: &'a [(String, String)],
    pub library: &'a dyn Fn() -> Vec<Group>,
    pub pal: &'a Palette,
}

pub fn show(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    doc: &mut Document,
    v: &View,
) -> ControlsOut {
    let mut out = ControlsOut::default();
    egui::ScrollArea::vertical()
        .id_salt("controls")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            lesson_section(ui, doc, v, &mut out);
            problems(ui, v);
            ui.separator();
            out.changed |= client_section(ui, doc);
            ui.separator();
            out.changed |= server_section(ui, st, doc, v.pal);
            out.changed |= nat_section(ui, doc);
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
                out.changed |= firewall_section(ui, st, doc, i, v);
            }
        });
    out
}

fn problems(ui: &mut egui::Ui, v: &View) {
    if v.problems.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(
            RichText::new("This setup cannot run yet (showing the last run that could):")
                .color(v.pal.bad)
                .strong(),
        );
        for (f, m) in v.problems {
            ui.label(RichText::new(format!("{f}: {m}")).color(v.pal.bad));
        }
    });
}

pub(super) fn lesson_section(
    ui: &mut egui::Ui,
    doc: &mut Document,
    v: &View,
    out: &mut ControlsOut,
) {
    ui.heading("Lesson");
    let mut chosen: Option<Entry> = None;
    ui.menu_button("Choose a lesson ▾", |ui| {
        ui.set_max_width(420.0);
        // The folders are read only while the menu is open, not on every frame.
        for g in (v.library)() {
            ui.label(RichText::new(&g.name).strong());
            for it in g.items {
                let r = ui
                    .selectable_label(false, RichText::new(&it.title))
                    .on_hover_text(&it.line);
                ui.label(RichText::new(&it.line).weak());
                if r.clicked() {
                    chosen = Some(it.entry.clone());
                    ui.close();
                }
            }
            ui.separator();
        }
    });
    out.open = chosen;
    ui.horizontal_wrapped(|ui| {
        out.open_file |= ui.button("Open…").clicked();
        out.save_as |= ui.button("Save as…").clicked();
        out.revert |= ui
            .add_enabled(doc.dirty(), egui::Button::new("Revert"))
            .on_hover_text("Go back to the file as it was loaded or saved")
            .clicked();
        out.export |= ui.button("Export capture…").clicked();
    });
    if doc.scenario.description.is_empty() {
        return;
    }
    // The description tells the ending: predict mode keeps it until the run's end.
    let at_end = v.cursor + 1 >= v.trace.events.len();
    if v.predict && !at_end {
        ui.label(
            RichText::new("Predict mode: the lesson's description shows at the end of the run.")
                .italics(),
        );
        return;
    }
    ui.label(RichText::new(&doc.scenario.description).weak());
    if doc.dirty() {
        ui.label(
            RichText::new("This describes the lesson as loaded: you have changed it since.")
                .italics(),
        );
    }
}

fn client_section(ui: &mut egui::Ui, doc: &mut Document) -> bool {
    let mut changed = false;
    for n in &mut doc.scenario.nodes {
        if let NodeSpec::Client(c) = n {
            ui.label(RichText::new(format!("FTP client {} ({})", c.name, c.address)).strong());
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
            let before = c.commands;
            let words = |d: DataCommands| match d {
                DataCommands::Classic => "PORT / PASV",
                DataCommands::Extended => "EPRT / EPSV only",
                DataCommands::ExtendedFirst => "EPSV/EPRT, then PASV/PORT (curl)",
            };
            egui::ComboBox::new(("commands", &c.name), "Commands")
                .selected_text(words(c.commands))
                .show_ui(ui, |ui| {
                    for d in [DataCommands::Classic, DataCommands::Extended, DataCommands::ExtendedFirst] {
                        ui.selectable_value(&mut c.commands, d, words(d));
                    }
                })
                .response
                .on_hover_text("Which commands set up the data connection: RFC 959's PORT/PASV, or RFC 2428's EPRT/EPSV (EPSV names no address, so it survives server-side NAT)");
            changed |= before != c.commands;
        }
    }
    changed
}

fn nat_section(ui: &mut egui::Ui, doc: &mut Document) -> bool {
    let mut changed = false;
    for n in &mut doc.scenario.nodes {
        if let NodeSpec::Nat(nat) = n {
            ui.separator();
            ui.label(
                RichText::new(format!("NAT {} (public {})", nat.name, nat.public_address)).strong(),
            );
            changed |= ui
                .checkbox(&mut nat.ftp_alg, "FTP ALG")
                .on_hover_text("Rewrite the address in PORT/EPRT/227/229 and let the announced data connection in (Linux nf_nat_ftp)")
                .changed();
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
        ui.label(RichText::new(format!("FTP server {} ({})", s.name, s.address)).strong());
        let before = s.profile;
        egui::ComboBox::new(("profile", i), "Behaves like")
            .selected_text(s.profile.name())
            .show_ui(ui, |ui| {
                for p in ServerProfile::ALL {
                    ui.selectable_value(&mut s.profile, p, p.name())
                        .on_hover_text(p.behaviour().summary);
                }
            });
        changed |= before != s.profile;
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
        let active = field(
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
        );
        if let Some(p) = active {
            s.active_data_port = p;
            changed = true;
        }
        let range = field(
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
        );
        if let Some(r) = range {
            s.passive_range = r;
            changed = true;
        }
    }
    changed
}

/// "Reject with": what a reject answers (iptables' `--reject-with`), with what the sender's
/// connect() then reports.
fn reject_with(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    w: &mut RejectWith,
) -> bool {
    let before = *w;
    egui::ComboBox::new(id, "Reject with")
        .selected_text(w.to_string())
        .show_ui(ui, |ui| {
            for x in RejectWith::ALL {
                ui.selectable_value(w, x, x.to_string())
                    .on_hover_text(format!(
                        "Sends {}: connect() fails with {}",
                        x.words(),
                        x.errno()
                    ));
            }
        });
    before != *w
}

/// The first event where `middlebox` stopped a packet by `rule` (`None`: the default policy).
fn first_stop(trace: &Trace, middlebox: &str, rule: Option<usize>) -> Option<usize> {
    trace.events.iter().position(|e| match &e.kind {
        EventKind::Packet {
            fate: PacketFate::Dropped { verdict } | PacketFate::Rejected { verdict, .. },
            ..
        } => verdict.middlebox == middlebox && verdict.rule() == rule,
        _ => false,
    })
}

/// Each rule's hits up to the cursor, and the default policy's: (rules, default).
fn hits_until(trace: &Trace, fw: &str, rules: usize, cursor: usize) -> (Vec<u64>, u64) {
    let mut hits = vec![0u64; rules];
    let mut default = 0u64;
    for e in trace.events.iter().take(cursor + 1) {
        let EventKind::Packet { fate, .. } = &e.kind else {
            continue;
        };
        let Some(v) = fate.verdict() else {
            continue;
        };
        if v.middlebox != fw {
            continue;
        }
        match v.rule() {
            Some(r) if r >= 1 && r <= rules => hits[r - 1] += 1,
            Some(_) => {}
            None => default += 1,
        }
    }
    (hits, default)
}

fn firewall_section(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    doc: &mut Document,
    node: usize,
    v: &View,
) -> bool {
    let pal = v.pal;
    let mut changed = false;
    let NodeSpec::Firewall(fw) = &mut doc.scenario.nodes[node] else {
        return false;
    };
    let report = v.trace.firewalls.iter().find(|f| f.name == fw.name);
    let (hits, default_hits) = hits_until(v.trace, &fw.name, fw.rules.len(), v.cursor);
    // The blocking rule is marked from the moment it first stops a packet, not before (the
    // class should not see the ending at t = 0).
    let blocked = v
        .trace
        .outcome
        .blocked_by
        .as_ref()
        .filter(|b| {
            b.middlebox == fw.name
                && first_stop(v.trace, &b.middlebox, b.rule).is_some_and(|i| i <= v.cursor)
        })
        .map(|b| b.rule);
    ui.label(RichText::new(format!("Firewall {} (protects {})", fw.name, fw.protects)).strong());
    ui.horizontal_wrapped(|ui| {
        let before = fw.default_policy;
        egui::ComboBox::new(("policy", node), "Default policy")
            .selected_text(fw.default_policy.to_string())
            .show_ui(ui, |ui| {
                for a in [Action::Accept, Action::Drop, Action::Reject] {
                    ui.selectable_value(&mut fw.default_policy, a, a.to_string());
                }
            });
        changed |= before != fw.default_policy;
        if fw.default_policy == Action::Reject {
            changed |= reject_with(
                ui,
                ("default_reject_with", node),
                &mut fw.default_reject_with,
            );
        }
        ui.label(hits_words(default_hits))
            .on_hover_text(whole_run(report.map_or(0, |r| r.default_hits), v.predict));
    });
    if blocked == Some(None) {
        ui.label(
            RichText::new("⛔ The default policy blocked the data channel")
                .color(pal.bad)
                .strong(),
        );
    }
    ui.horizontal_wrapped(|ui| {
        changed |= ui
            .checkbox(&mut fw.stateful, "Stateful")
            .on_hover_text("Track connections (new / established / related)")
            .changed();
        changed |= ui
            .checkbox(&mut fw.ftp_helper, "FTP helper")
            .on_hover_text("Read PORT and 227 on the control connection and expect the data connection (RELATED)")
            .changed();
    });
    let shadows = analysis::shadowed(&fw.rules);
    let mut action = None;
    for (k, rule) in fw.rules.iter().enumerate() {
        let whole = report.and_then(|r| r.hits.get(k)).copied().unwrap_or(0);
        let row = RuleRow {
            node,
            k,
            rule,
            hits: hits[k],
            whole,
            shadowed_by: shadows[k],
            blocker: blocked == Some(Some(k + 1)),
            last: k + 1 == fw.rules.len(),
            predict: v.predict,
        };
        if let Some(a) = rule_row(ui, st, &row, pal) {
            action = Some(a);
        }
    }
    if let Some(a) = action {
        apply_row_action(st, &mut fw.rules, node, a);
        changed = true;
    }
    changed |= add_rule(ui, st, &mut fw.rules, node, &fw.name);
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

struct RuleRow<'a> {
    node: usize,
    k: usize,
    rule: &'a Rule,
    hits: u64,
    whole: u64,
    shadowed_by: Option<usize>,
    blocker: bool,
    last: bool,
    predict: bool,
}

fn hits_words(n: u64) -> String {
    if n == 1 {
        "1 hit".to_owned()
    } else {
        format!("{n} hits")
    }
}

/// The hover of a hit counter: the whole run's count, unless predict mode hides the future.
fn whole_run(n: u64, predict: bool) -> String {
    if predict {
        "Hits up to the cursor (predict mode hides the rest of the run)".to_owned()
    } else {
        format!("Hits up to the cursor; {n} in the whole run")
    }
}

#[derive(Clone, Copy)]
enum RowAction {
    Up(usize),
    Down(usize),
    Delete(usize),
}

fn rule_row(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    row: &RuleRow,
    pal: &Palette,
) -> Option<RowAction> {
    let (k, n) = (row.k, row.k + 1);
    let mut action = None;
    let mut text = RichText::new(format!("{n}. [{}] {}", row.rule.action, row.rule.label()));
    if row.blocker {
        text = text.color(pal.bad).strong();
    }
    let editing = st.editing == Some((row.node, k));
    let r = ui.selectable_label(editing, text).on_hover_text(format!(
        "{}\nnft: {}\nClick to edit",
        row.rule.describe(),
        analysis::nft(row.rule)
    ));
    if r.clicked() {
        st.editing = if editing { None } else { Some((row.node, k)) };
        st.bufs.retain(|key, _| !key.starts_with("rule/"));
        st.errors.retain(|key, _| !key.starts_with("rule/"));
    }
    ui.label(
        RichText::new(analysis::iptables(row.rule))
            .monospace()
            .weak(),
    )
    .on_hover_text(format!("nft: {}", analysis::nft(row.rule)));
    ui.horizontal_wrapped(|ui| {
        ui.label(hits_words(row.hits))
            .on_hover_text(whole_run(row.whole, row.predict));
        if ui
            .add_enabled(k > 0, egui::Button::new("⬆").small())
            .on_hover_text(format!("Move rule {n} up"))
            .clicked()
        {
            action = Some(RowAction::Up(k));
        }
        if ui
            .add_enabled(!row.last, egui::Button::new("⬇").small())
            .on_hover_text(format!("Move rule {n} down"))
            .clicked()
        {
            action = Some(RowAction::Down(k));
        }
        if ui
            .add(egui::Button::new("🗑").small())
            .on_hover_text(format!("Delete rule {n}"))
            .clicked()
        {
            action = Some(RowAction::Delete(k));
        }
    });
    if let Some(by) = row.shadowed_by {
        ui.label(
            RichText::new(format!("⚠ never matches: rule {by} takes all its packets"))
                .color(pal.bad),
        );
    }
    if row.blocker {
        ui.label(
            RichText::new(format!("⛔ Rule {n} blocked the data channel"))
                .color(pal.bad)
                .strong(),
        );
    }
    ui.add_space(4.0);
    action
}

fn apply_row_action(st: &mut ControlsState, rules: &mut Vec<Rule>, node: usize, a: RowAction) {
    match a {
        RowAction::Up(k) => rules.swap(k, k - 1),
        RowAction::Down(k) => rules.swap(k, k + 1),
        RowAction::Delete(k) => {
            rules.remove(k);
        }
    }
    let _ = node;
    st.editing = None;
}

/// "Add rule": above the selected rule, or (nothing selected) at a place the user picks.
fn add_rule(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    rules: &mut Vec<Rule>,
    node: usize,
    name: &str,
) -> bool {
    let selected = st.editing.filter(|(n, _)| *n == node).map(|(_, k)| k);
    let mut at = None;
    match selected {
        Some(k) => {
            if ui
                .button(format!("+ Add rule above rule {}", k + 1))
                .clicked()
            {
                at = Some(k);
            }
        }
        None => {
            ui.menu_button(format!("+ Add rule to {name} ▾"), |ui| {
                if ui.button("At the top (matched first)").clicked() {
                    at = Some(0);
                    ui.close();
                }
                for k in 1..rules.len() {
                    if ui.button(format!("Above rule {}", k + 1)).clicked() {
                        at = Some(k);
                        ui.close();
                    }
                }
                if ui.button("At the end (matched last)").clicked() {
                    at = Some(rules.len());
                    ui.close();
                }
            });
        }
    }
    let Some(k) = at else { return false };
    let rule = Rule::default();
    let rule = Rule {
        comment: analysis::short(&rule),
        ..rule
    };
    rules.insert(k.min(rules.len()), rule);
    st.editing = Some((node, k.min(rules.len() - 1)));
    st.bufs.retain(|key, _| !key.starts_with("rule/"));
    st.errors.retain(|key, _| !key.starts_with("rule/"));
    true
}

fn rule_editor(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    rule: &mut Rule,
    n: usize,
    pal: &Palette,
) -> bool {
    let before = rule.clone();
    let generated = analysis::comment_is_generated(&before);
    let mut changed = false;
    ui.label(RichText::new(format!("Editing rule {n}")).strong());
    ui.horizontal_wrapped(|ui| {
        ui.label("Action:");
        for a in [Action::Accept, Action::Drop, Action::Reject] {
            changed |= ui
                .selectable_value(&mut rule.action, a, a.to_string())
                .changed();
        }
    });
    if rule.action == Action::Reject {
        changed |= reject_with(ui, ("reject_with", n), &mut rule.reject_with);
    }
    ui.horizontal_wrapped(|ui| {
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
        rule.src_port.to_string(),
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
        rule.dst_port.to_string(),
        pal,
        parse_port_match,
    ) {
        rule.dst_port = v;
        changed = true;
    }
    changed |= state_boxes(ui, rule);
    ui.label(RichText::new("No state ticked: any state.").weak());
    let mut comment_edited = false;
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
        comment_edited = true;
    }
    if changed && generated && !comment_edited {
        // The comment was the program's description: it follows the rule.
        rule.comment = analysis::short(rule);
        st.bufs
            .insert("rule/comment".to_owned(), rule.comment.clone());
    }
    changed
}

fn state_boxes(ui: &mut egui::Ui, rule: &mut Rule) -> bool {
    let mut changed = false;
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
        assert!(parse_port_match("9-3").unwrap_err().contains("reversed"));
        assert!(parse_port_match("http").is_err());
        assert!(parse_addr("10.0.0.0/33").is_err());
        assert_eq!(parse_addr("198.51.100.0/24").unwrap(), "198.51.100.0/24");
    }

    #[test]
    fn hits_count_only_up_to_the_cursor() {
        let t = crate::gui::shipped_trace("active-client-fw-drops");
        let (all, _) = hits_until(&t, "client-fw", 2, t.events.len());
        assert_eq!(all[1], 6, "six dropped SYNs in the whole run");
        let (none, _) = hits_until(&t, "client-fw", 2, 0);
        assert_eq!(none, [0, 0]);
    }
}
