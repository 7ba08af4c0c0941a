//! A firewall's part of the left panel: its default policy, tracking and helper, a row per
//! rule (what it matches as iptables writes it, nftables on hover, its hits up to the cursor,
//! a warning when an earlier rule already takes all its packets), "Add rule", and the editor
//! of the selected rule. A comment the program wrote follows the rule's edits; a hand-written
//! one is kept. Everything it changes comes back as `Edit`s.

use super::{ControlsState, View, field, parse_addr, parse_port_match, reject_with};
use crate::firewall::analysis;
use crate::firewall::{Action, CtState, Direction, FirewallSpec, Rule};
use crate::gui::document::Edit;
use crate::gui::style::Palette;
use crate::trace::{EventKind, PacketFate, Trace};
use eframe::egui::{self, RichText};

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
pub(super) fn hits_until(trace: &Trace, fw: &str, rules: usize, cursor: usize) -> (Vec<u64>, u64) {
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

/// What the blocker stopped, in the run's own terms: the control connection when connecting
/// failed (the lesson's port 21 moved to a blocked one), else the data channel.
fn blocked_what(trace: &Trace) -> &'static str {
    match trace.outcome.failed_action {
        Some(crate::ftp::ActionKind::Connect) => "the control connection",
        _ => "the data channel",
    }
}

/// The rule (`Some(None)`: the default policy) that blocked the data channel, from the moment
/// it first stopped a packet (the class should not see the ending at t = 0).
fn blocked_now(v: &View, fw: &str) -> Option<Option<usize>> {
    v.trace
        .outcome
        .blocked_by
        .as_ref()
        .filter(|b| {
            b.middlebox == fw
                && first_stop(v.trace, &b.middlebox, b.rule).is_some_and(|i| i <= v.cursor)
        })
        .map(|b| b.rule)
}

pub(super) fn firewall_section(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    fw: &FirewallSpec,
    node: usize,
    v: &View,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let (hits, default_hits) = hits_until(v.trace, &fw.name, fw.rules.len(), v.cursor);
    let blocked = blocked_now(v, &fw.name);
    ui.label(RichText::new(format!("Firewall {} (protects {})", fw.name, fw.protects)).strong());
    edits.extend(policy_row(ui, fw, node, default_hits, v));
    if blocked == Some(None) {
        ui.label(
            RichText::new(format!(
                "⛔ The default policy blocked {}",
                blocked_what(v.trace)
            ))
            .color(v.pal.bad)
            .strong(),
        );
    }
    edits.extend(tracking_row(ui, fw, node));
    let report = v.trace.firewalls.iter().find(|f| f.name == fw.name);
    let shadows = analysis::shadowed(&fw.rules);
    for (k, rule) in fw.rules.iter().enumerate() {
        let row = RuleRow {
            node,
            k,
            rule,
            hits: hits[k],
            whole: report.and_then(|r| r.hits.get(k)).copied().unwrap_or(0),
            shadowed_by: shadows[k],
            blocker: blocked == Some(Some(k + 1)),
            what: blocked_what(v.trace),
            last: k + 1 == fw.rules.len(),
            predict: v.predict,
        };
        if let Some(e) = rule_row(ui, st, &row, v.pal) {
            st.editing = None;
            edits.push(e);
        }
    }
    match st.draft.clone().filter(|d| d.node == node) {
        Some(d) => {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                edits.extend(draft_editor(ui, st, d, fw.rules.len(), v.pal));
            });
        }
        None => edits.extend(add_rule(ui, st, fw, node)),
    }
    if let Some((n, k)) = st.editing
        && n == node
        && let Some(rule) = fw.rules.get(k)
    {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            let title = format!("Editing rule {}", k + 1);
            if let Some(rule) = rule_editor(ui, st, rule, &title, k + 1, v.pal) {
                edits.push(Edit::Rule {
                    firewall: node,
                    index: k,
                    rule,
                });
            }
        });
    }
    edits
}

fn policy_row(
    ui: &mut egui::Ui,
    fw: &FirewallSpec,
    node: usize,
    default_hits: u64,
    v: &View,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let report = v.trace.firewalls.iter().find(|f| f.name == fw.name);
    ui.horizontal_wrapped(|ui| {
        let mut policy = fw.default_policy;
        egui::ComboBox::new(("policy", node), "Default policy")
            .selected_text(fw.default_policy.to_string())
            .show_ui(ui, |ui| {
                for a in [Action::Accept, Action::Drop, Action::Reject] {
                    ui.selectable_value(&mut policy, a, a.to_string());
                }
            });
        if policy != fw.default_policy {
            edits.push(Edit::Policy {
                firewall: node,
                policy,
            });
        }
        if fw.default_policy == Action::Reject
            && let Some(with) =
                reject_with(ui, ("default_reject_with", node), fw.default_reject_with)
        {
            edits.push(Edit::PolicyRejectWith {
                firewall: node,
                with,
            });
        }
        ui.label(hits_words(default_hits))
            .on_hover_text(whole_run(report.map_or(0, |r| r.default_hits), v.predict));
    });
    edits
}

fn tracking_row(ui: &mut egui::Ui, fw: &FirewallSpec, node: usize) -> Vec<Edit> {
    let mut edits = Vec::new();
    ui.horizontal_wrapped(|ui| {
        let mut on = fw.stateful;
        ui.checkbox(&mut on, "Stateful")
            .on_hover_text("Track connections (new / established / related)");
        if on != fw.stateful {
            edits.push(Edit::Stateful { firewall: node, on });
        }
        let mut on = fw.ftp_helper;
        ui.checkbox(&mut on, "FTP helper").on_hover_text(
            "Read PORT and 227 on the control connection and expect the data connection (RELATED)",
        );
        if on != fw.ftp_helper {
            edits.push(Edit::Helper { firewall: node, on });
        }
    });
    if fw.ftp_helper {
        let port = u16::try_from(fw.helper_port).unwrap_or(21);
        ui.label(
            RichText::new(analysis::helper_iptables(port))
                .monospace()
                .weak(),
        )
        .on_hover_text(format!(
            "How Linux attaches the helper (since 4.7 it attaches none on its own).\nnft: {}",
            analysis::helper_nft(port)
        ));
    }
    edits
}

struct RuleRow<'a> {
    node: usize,
    k: usize,
    rule: &'a Rule,
    hits: u64,
    whole: u64,
    shadowed_by: Option<usize>,
    blocker: bool,
    /// What the blocker stopped ("the data channel").
    what: &'static str,
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

fn rule_row(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    row: &RuleRow,
    pal: &Palette,
) -> Option<Edit> {
    let (k, n) = (row.k, row.k + 1);
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
        st.draft = None;
        st.clear_rule_fields();
    }
    ui.label(
        RichText::new(analysis::iptables(row.rule))
            .monospace()
            .weak(),
    )
    .on_hover_text(format!("nft: {}", analysis::nft(row.rule)));
    let edit = row_buttons(ui, row);
    if let Some(by) = row.shadowed_by {
        ui.label(
            RichText::new(format!("⚠ never matches: rule {by} takes all its packets"))
                .color(pal.bad),
        );
    }
    if row.blocker {
        ui.label(
            RichText::new(format!("⛔ Rule {n} blocked {}", row.what))
                .color(pal.bad)
                .strong(),
        );
    }
    ui.add_space(4.0);
    edit
}

/// A rule's hits and its ⬆ ⬇ 🗑 buttons.
fn row_buttons(ui: &mut egui::Ui, row: &RuleRow) -> Option<Edit> {
    let (k, n, fw) = (row.k, row.k + 1, row.node);
    let mut edit = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(hits_words(row.hits))
            .on_hover_text(whole_run(row.whole, row.predict));
        let buttons = [
            (
                k > 0,
                "⬆",
                format!("Move rule {n} up"),
                k.checked_sub(1).map(|to| Edit::MoveRule {
                    firewall: fw,
                    from: k,
                    to,
                }),
            ),
            (
                !row.last,
                "⬇",
                format!("Move rule {n} down"),
                Some(Edit::MoveRule {
                    firewall: fw,
                    from: k,
                    to: k + 1,
                }),
            ),
            (
                true,
                "🗑",
                format!("Delete rule {n}"),
                Some(Edit::DeleteRule {
                    firewall: fw,
                    index: k,
                }),
            ),
        ];
        for (enabled, label, hover, e) in buttons {
            if ui
                .add_enabled(enabled, egui::Button::new(label).small())
                .on_hover_text(hover)
                .clicked()
            {
                edit = e;
            }
        }
    });
    edit
}

/// "Add rule": above the selected rule, or (nothing selected) at a place the user picks.
fn add_rule(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    fw: &FirewallSpec,
    node: usize,
) -> Option<Edit> {
    let selected = st.editing.filter(|(n, _)| *n == node).map(|(_, k)| k);
    let n = fw.rules.len();
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
            ui.menu_button(format!("+ Add rule to {} ▾", fw.name), |ui| {
                let mut places = vec![(0, "At the top (matched first)".to_owned())];
                places.extend((1..n).map(|k| (k, format!("Above rule {}", k + 1))));
                places.push((n, "At the end (matched last)".to_owned()));
                for (k, label) in places {
                    if ui.button(label).clicked() {
                        at = Some(k);
                        ui.close();
                    }
                }
            });
        }
    }
    let k = at?.min(n);
    let rule = Rule::default();
    st.draft = Some(Draft {
        node,
        at: k,
        rule: Rule {
            comment: analysis::short(&rule),
            ..rule
        },
    });
    st.editing = None;
    st.clear_rule_fields();
    None
}

/// A rule being written: where it will go, and what it says so far.
#[derive(Clone, Debug)]
pub(super) struct Draft {
    node: usize,
    at: usize,
    rule: Rule,
}

/// The editor of a new rule: it joins the firewall only on "Add this rule", and not while it
/// would match every packet (a blank rule added at once used to accept everything and silently
/// fix the lesson).
fn draft_editor(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    d: Draft,
    rules: usize,
    pal: &Palette,
) -> Option<Edit> {
    // It is drawn under the whole list: the words say where it will go.
    let title = if d.at < rules {
        format!(
            "New rule {}, to go above the present rule {} (not in the firewall yet)",
            d.at + 1,
            d.at + 1
        )
    } else {
        format!(
            "New rule {}, at the end (not in the firewall yet)",
            d.at + 1
        )
    };
    if let Some(rule) = rule_editor(ui, st, &d.rule, &title, usize::MAX, pal) {
        st.draft = Some(Draft { rule, ..d.clone() });
    }
    let rule = st.draft.as_ref().map_or(d.rule, |d| d.rule.clone());
    let every = analysis::matches_every_packet(&rule);
    if every {
        ui.label(
            RichText::new(
                "It matches every packet for now: say what it matches (a port, an address, \
                 a direction or a state) before adding it.",
            )
            .color(pal.bad),
        );
    }
    ui.label(RichText::new(analysis::iptables(&rule)).monospace().weak());
    let mut out = None;
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(!every, egui::Button::new("Add this rule"))
            .clicked()
        {
            out = Some(Edit::AddRule {
                firewall: d.node,
                at: d.at,
                rule: rule.clone(),
            });
            st.draft = None;
            st.editing = Some((d.node, d.at));
            st.clear_rule_fields();
        }
        if ui.button("Cancel").clicked() {
            st.draft = None;
            st.clear_rule_fields();
        }
    });
    out
}

/// The editor of rule `n`: the rule as changed, when it was.
fn rule_editor(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    rule: &Rule,
    title: &str,
    n: usize,
    pal: &Palette,
) -> Option<Rule> {
    let generated = analysis::comment_is_generated(rule);
    let mut r = rule.clone();
    ui.label(RichText::new(title).strong());
    ui.horizontal_wrapped(|ui| {
        ui.label("Action:");
        for a in [Action::Accept, Action::Drop, Action::Reject] {
            ui.selectable_value(&mut r.action, a, a.to_string());
        }
    });
    if r.action == Action::Reject
        && let Some(w) = reject_with(ui, ("reject_with", n), r.reject_with)
    {
        r.reject_with = w;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Direction:");
        for (d, w) in [
            (Direction::Any, "any"),
            (Direction::Inbound, "inbound"),
            (Direction::Outbound, "outbound"),
        ] {
            ui.selectable_value(&mut r.direction, d, w);
        }
    });
    match_fields(ui, st, &mut r, pal);
    state_boxes(ui, &mut r);
    if r.state.is_empty() {
        ui.label(RichText::new("No state ticked: any state.").weak());
    }
    let comment = field(
        ui,
        st,
        "rule/comment",
        "Comment",
        r.comment.clone(),
        pal,
        |t| Ok(t.to_owned()),
    );
    if let Some(c) = &comment {
        r.comment.clone_from(c);
    }
    if let Some(word) = analysis::comment_misfit(&r) {
        ui.label(
            RichText::new(format!(
                "⚠ The comment says “{word}” but the rule {}s: change the comment?",
                r.action
            ))
            .color(pal.bad),
        );
    }
    if r == *rule {
        return None;
    }
    if generated && comment.is_none() {
        // The comment was the program's description: it follows the rule.
        r.comment = analysis::short(&r);
        st.bufs.insert("rule/comment".to_owned(), r.comment.clone());
    }
    Some(r)
}

/// The rule's addresses and ports.
fn match_fields(ui: &mut egui::Ui, st: &mut ControlsState, r: &mut Rule, pal: &Palette) {
    if let Some(v) = field(
        ui,
        st,
        "rule/src",
        "Source address",
        r.src.clone(),
        pal,
        parse_addr,
    ) {
        r.src = v;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/sport",
        "Source port",
        r.src_port.to_string(),
        pal,
        parse_port_match,
    ) {
        r.src_port = v;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/dst",
        "Destination address",
        r.dst.clone(),
        pal,
        parse_addr,
    ) {
        r.dst = v;
    }
    if let Some(v) = field(
        ui,
        st,
        "rule/dport",
        "Destination port",
        r.dst_port.to_string(),
        pal,
        parse_port_match,
    ) {
        r.dst_port = v;
    }
}

fn state_boxes(ui: &mut egui::Ui, rule: &mut Rule) {
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
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_count_only_up_to_the_cursor() {
        let t = crate::gui::shipped_trace("active-client-fw-drops");
        let (all, _) = hits_until(&t, "client-fw", 2, t.events.len());
        assert_eq!(all[1], 10, "ten dropped SYNs in the whole run");
        let (none, _) = hits_until(&t, "client-fw", 2, 0);
        assert_eq!(none, [0, 0]);
    }
}
