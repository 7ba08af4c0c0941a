//! The left panel: the lesson picker and files, each client's mode, the server's ports, each
//! NAT's ALG, and a rule table per firewall (`rules`). It reads the scenario and returns what
//! the user asked for: `Edit`s for the document, commands for the window. It never changes
//! the scenario itself; a value that does not parse shows its message under the field and
//! changes nothing.

mod rules;

use super::builtin::Entry;
use super::command::AppCommand;
use super::document::Edit;
use super::files::Group;
use super::style::Palette;
use crate::firewall::{Cidr, PortMatch, RejectWith};
use crate::ftp::Mode;
use crate::scenario::{ActivePort, ClientProfile, DataCommands, NodeSpec, Scenario, ServerProfile};
use crate::trace::Trace;
use eframe::egui::{self, RichText};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct ControlsState {
    bufs: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    /// (node index of the firewall, rule index) selected for editing.
    editing: Option<(usize, usize)>,
    /// A rule being written, not in the firewall until "Add this rule".
    draft: Option<rules::Draft>,
    /// The field left with Esc: what was typed in it is dropped.
    escaped: Option<String>,
}

impl ControlsState {
    /// No rule is selected: while predict mode asks its question a highlighted rule would
    /// point at the answer to "Which rule decides it?" (found by a teacher's fresh eyes).
    pub fn deselect(&mut self) {
        if self.editing.take().is_some() {
            self.clear_rule_fields();
        }
    }

    /// Forgets what was typed in the rule editor (another rule is selected).
    fn clear_rule_fields(&mut self) {
        self.bufs.retain(|key, _| !key.starts_with("rule/"));
        self.errors.retain(|key, _| !key.starts_with("rule/"));
    }
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

/// A labelled text field, committed when Enter is pressed or it loses focus (never while
/// half-typed: "7000" on the way to "70000" is not a port change). A value that does not parse
/// stays in the field, marked, with its reason, and is not applied.
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
    // An id of its own: a re-run that adds or removes a line above (a hit count, a "never
    // matches") must not give the field a new id and take its focus away.
    let id = egui::Id::unique(("field", key));
    let typing = ui.memory(|m| m.has_focus(id));
    // Not being typed in, and not holding a refused value: it shows what the lesson has (an
    // undo, a redo or a new rule changed it; it kept showing the old value).
    if !typing && !st.errors.contains_key(key) {
        st.bufs.insert(key.to_owned(), current.clone());
    }
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(label);
        let buf = st.bufs.entry(key.to_owned()).or_insert(current.clone());
        let w = ui.available_width().clamp(80.0, 150.0);
        let r = ui
            .add(egui::TextEdit::singleline(buf).id(id).desired_width(w))
            .labelled_by(l.id);
        let enter = r.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        // Esc leaves the field as the lesson has it: what was typed is dropped, not applied
        // (the focus may be given up in this frame or the next: remembered until then).
        if (r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            st.escaped = Some(key.to_owned());
        }
        if st.escaped.as_deref() == Some(key) && !r.has_focus() {
            st.escaped = None;
            *buf = current.clone();
            st.errors.remove(key);
        } else if r.lost_focus() || enter {
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

/// What the panel needs besides the scenario.
pub struct View<'a> {
    pub trace: &'a Trace,
    pub cursor: usize,
    /// Predict mode: the whole run's hits are not shown on hover.
    pub predict: bool,
    pub problems: &'a [(String, String)],
    pub library: &'a dyn Fn() -> Vec<Group>,
    pub pal: &'a Palette,
    /// The lesson was changed since it was loaded or saved.
    pub dirty: bool,
    /// There is an edit to undo, one to redo.
    pub can_undo: bool,
    pub can_redo: bool,
}

pub fn show(ui: &mut egui::Ui, st: &mut ControlsState, s: &Scenario, v: &View) -> Vec<AppCommand> {
    let mut out = Vec::new();
    egui::ScrollArea::vertical()
        .id_salt("controls")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            lesson_section(ui, s, v, &mut out);
            problems(ui, v);
            ui.separator();
            let mut edits = client_section(ui, s);
            ui.separator();
            edits.extend(server_section(ui, st, s, v.pal));
            edits.extend(nat_section(ui, s));
            for (i, n) in s.nodes.iter().enumerate() {
                if let NodeSpec::Firewall(fw) = n {
                    ui.separator();
                    edits.extend(rules::firewall_section(ui, st, fw, i, v));
                }
            }
            out.extend(edits.into_iter().map(AppCommand::Edit));
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

/// "Choose a lesson ▾": a search box, then the library's groups (each item by its title and
/// first line) in a list that scrolls, so every lesson is reachable at 1024×768.
fn lesson_menu(ui: &mut egui::Ui, v: &View) -> Option<Entry> {
    let mut chosen = None;
    // The folders are read once when the menu opens (not on every frame it is open), and
    // again the next time it opens.
    let cache = ui.make_persistent_id("lesson-library");
    // Clicks inside (the search box) keep it open; a lesson clicked closes it.
    let config = egui::containers::menu::MenuConfig::new()
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    let (_, menu) = egui::containers::menu::MenuButton::new("Choose a lesson ▾")
        .config(config)
        .ui(ui, |ui| {
            ui.set_max_width(440.0);
            let id = ui.make_persistent_id("lesson-search");
            let mut query: String = ui.data_mut(|d| d.get_temp(id).unwrap_or_default());
            let opened = ui.data(|d| d.get_temp::<std::sync::Arc<Vec<Group>>>(cache).is_none());
            // Each opening starts a new search (the old words stayed, and typing added to
            // them: "ALGmismatch" found nothing).
            if opened {
                query.clear();
            }
            ui.horizontal(|ui| {
                let label = ui.label("Search lessons:");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut query)
                            .hint_text("passive, NAT, reject…")
                            .desired_width(280.0),
                    )
                    .labelled_by(label.id);
                // Typing goes to the search at once (letters reached the shortcuts: P turned
                // predict mode on).
                if opened {
                    r.request_focus();
                }
            });
            ui.data_mut(|d| d.insert_temp(id, query.clone()));
            let all: std::sync::Arc<Vec<Group>> =
                ui.data_mut(|d| d.get_temp(cache)).unwrap_or_else(|| {
                    let all = std::sync::Arc::new((v.library)());
                    ui.data_mut(|d| d.insert_temp(cache, all.clone()));
                    all
                });
            let groups = super::files::search(&all, &query);
            if groups.is_empty() {
                ui.label(RichText::new("No lesson has all these words.").weak());
            }
            let height = (ui.ctx().content_rect().height() - 140.0).max(200.0);
            egui::ScrollArea::vertical()
                .id_salt("lesson-list")
                .max_height(height)
                .show(ui, |ui| {
                    for g in groups {
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
        });
    if menu.is_none() {
        ui.data_mut(|d| d.remove::<std::sync::Arc<Vec<Group>>>(cache));
    }
    chosen
}

pub(super) fn lesson_section(ui: &mut egui::Ui, s: &Scenario, v: &View, out: &mut Vec<AppCommand>) {
    ui.heading("Lesson");
    if let Some(e) = lesson_menu(ui, v) {
        out.push(AppCommand::Open(e));
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button("Open…").clicked() {
            out.push(AppCommand::OpenDialog);
        }
        if ui.button("Save as…").clicked() {
            out.push(AppCommand::SaveAs);
        }
        if ui
            .add_enabled(v.can_undo, egui::Button::new("↶ Undo"))
            .on_hover_text("Undo the last edit (Ctrl+Z)")
            .clicked()
        {
            out.push(AppCommand::Undo);
        }
        if ui
            .add_enabled(v.can_redo, egui::Button::new("↷ Redo"))
            .on_hover_text("Redo the edit undone (Ctrl+Shift+Z)")
            .clicked()
        {
            out.push(AppCommand::Redo);
        }
        if ui
            .add_enabled(v.dirty, egui::Button::new("Revert"))
            .on_hover_text("Go back to the file as it was loaded or saved")
            .clicked()
        {
            out.push(AppCommand::Revert);
        }
        ui.menu_button("Export ▾", |ui| {
            let items = [
                ("Export capture…", "The packets seen at one node, as a pcap for Wireshark", AppCommand::ExportCapture),
                ("Picture (SVG, PNG)…", "The ladder and the network as a drawing for slides", AppCommand::ExportPicture),
                ("Handout (HTML)…", "The run told step by step, in one page any browser opens (an exercise: its worksheet)", AppCommand::ExportHandout),
            ];
            for (label, hover, cmd) in items {
                if ui.button(label).on_hover_text(hover).clicked() {
                    out.push(cmd);
                    ui.close();
                }
            }
        });
    });
    description(ui, s, v);
}

fn description(ui: &mut egui::Ui, s: &Scenario, v: &View) {
    if s.description.is_empty() {
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
    ui.label(RichText::new(&s.description).weak());
    if v.dirty {
        ui.label(
            RichText::new("This describes the lesson as loaded: you have changed it since.")
                .italics(),
        );
    }
}

fn commands_words(d: DataCommands) -> &'static str {
    match d {
        DataCommands::Classic => "PORT / PASV",
        DataCommands::Extended => "EPRT / EPSV only",
        DataCommands::ExtendedFirst => "EPSV/EPRT, then PASV/PORT (curl)",
    }
}

fn client_section(ui: &mut egui::Ui, s: &Scenario) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let NodeSpec::Client(c) = n else { continue };
        ui.label(RichText::new(format!("FTP client {} ({})", c.name, c.address)).strong());
        let mut mode = c.mode;
        let mut program = c.profile;
        ui.horizontal_wrapped(|ui| {
            ui.label("Mode:");
            ui.selectable_value(&mut mode, Mode::Active, "Active")
                .on_hover_text("The server connects back to the client for data (PORT)");
            ui.selectable_value(&mut mode, Mode::Passive, "Passive")
                .on_hover_text("The client connects to the server for data (PASV)");
            // The program on the same row where it fits, else on the next.
            egui::ComboBox::new(("program", &c.name), "")
                .selected_text(c.profile.name())
                .show_ui(ui, |ui| {
                    for p in ClientProfile::ALL {
                        ui.selectable_value(&mut program, p, p.name())
                            .on_hover_text(p.behaviour().summary);
                    }
                })
                .response
                .on_hover_text("Which real client program it behaves like: where it connects after a 227, how long it waits, what its screen shows");
        });
        if mode != c.mode {
            edits.push(Edit::Mode { client: i, mode });
        }
        if program != c.profile {
            edits.push(Edit::Program { client: i, program });
        }
        let mut commands = c.commands();
        egui::ComboBox::new(("commands", &c.name), "Commands")
            .selected_text(commands_words(c.commands()))
            .show_ui(ui, |ui| {
                for d in [DataCommands::Classic, DataCommands::Extended, DataCommands::ExtendedFirst] {
                    ui.selectable_value(&mut commands, d, commands_words(d));
                }
            })
            .response
            .on_hover_text("Which commands set up the data connection: RFC 959's PORT/PASV, or RFC 2428's EPRT/EPSV (EPSV names no address, so it survives server-side NAT)");
        if commands != c.commands() {
            edits.push(Edit::Commands {
                client: i,
                commands,
            });
        }
    }
    edits
}

fn nat_section(ui: &mut egui::Ui, s: &Scenario) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let NodeSpec::Nat(nat) = n else { continue };
        ui.separator();
        ui.label(
            RichText::new(format!("NAT {} (public {})", nat.name, nat.public_address)).strong(),
        );
        let mut on = nat.ftp_alg;
        ui.checkbox(&mut on, "FTP ALG")
            .on_hover_text("Rewrite the address in PORT/EPRT/227/229 and let the announced data connection in (Linux nf_nat_ftp)");
        if on != nat.ftp_alg {
            edits.push(Edit::Alg { nat: i, on });
        }
    }
    edits
}

fn server_section(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    s: &Scenario,
    pal: &Palette,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let NodeSpec::Server(sv) = n else { continue };
        ui.label(RichText::new(format!("FTP server {} ({})", sv.name, sv.address)).strong());
        let mut profile = sv.profile;
        egui::ComboBox::new(("profile", i), "Behaves like")
            .selected_text(sv.profile.name())
            .show_ui(ui, |ui| {
                for p in ServerProfile::ALL {
                    ui.selectable_value(&mut profile, p, p.name())
                        .on_hover_text(p.behaviour().summary);
                }
            });
        if profile != sv.profile {
            edits.push(Edit::Profile { server: i, profile });
        }
        edits.extend(server_ports(ui, st, i, sv, pal));
    }
    edits
}

/// The server's control port, active data port and passive range.
fn server_ports(
    ui: &mut egui::Ui,
    st: &mut ControlsState,
    i: usize,
    sv: &crate::scenario::ServerSpec,
    pal: &Palette,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let key = |x: &str| format!("srv{i}/{x}");
    if let Some(port) = field(
        ui,
        st,
        &key("control"),
        "Control port",
        sv.control_port.to_string(),
        pal,
        parse_port,
    ) {
        edits.push(Edit::ControlPort { server: i, port });
    }
    let active_now = match sv.active_data_port {
        ActivePort::Port(p) => p.to_string(),
        ActivePort::Ephemeral => "ephemeral".to_owned(),
    };
    if let Some(port) = field(
        ui,
        st,
        &key("active"),
        "Active data port",
        active_now,
        pal,
        parse_active,
    ) {
        edits.push(Edit::ActivePort { server: i, port });
    }
    let range_now = format!("{}-{}", sv.passive_range.0, sv.passive_range.1);
    if let Some(range) = field(
        ui,
        st,
        &key("passive"),
        "Passive range",
        range_now,
        pal,
        parse_passive,
    ) {
        edits.push(Edit::PassiveRange { server: i, range });
    }
    edits
}

fn parse_active(t: &str) -> Result<ActivePort, String> {
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
}

fn parse_passive(t: &str) -> Result<(u32, u32), String> {
    let (a, b) = parse_range(t)?;
    if a < 1024 {
        Err(format!("{a}: passive ports start at 1024 or above"))
    } else {
        Ok((a, b))
    }
}

/// "Reject with": what a reject answers (iptables' `--reject-with`), with what the sender's
/// connect() then reports. The choice, when it changed.
fn reject_with(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    now: RejectWith,
) -> Option<RejectWith> {
    let mut w = now;
    egui::ComboBox::new(id, "Reject with")
        .selected_text(w.to_string())
        .show_ui(ui, |ui| {
            for x in RejectWith::ALL {
                ui.selectable_value(&mut w, x, x.to_string())
                    .on_hover_text(format!(
                        "Sends {}: connect() fails with {}",
                        x.words(),
                        x.errno()
                    ));
            }
        });
    (w != now).then_some(w)
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
}
