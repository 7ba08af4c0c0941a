//! The lesson being edited, and every change to it as data. A panel never changes the
//! scenario: it returns an `Edit`, and `Document::apply` carries it out in one place — or
//! refuses it with a reason (a node that is not there, a rule number out of range, or, in an
//! exercise, a change to what the exercise locks). Each applied edit keeps the scenario it
//! replaced, so undo and redo give back the exact scenario, and so the exact trace.

use crate::firewall::{Action, FirewallSpec, RejectWith, Rule};
use crate::ftp::Mode;
use crate::scenario::{ActivePort, ClientProfile, DataCommands, NodeSpec, Scenario, ServerProfile};
use std::path::PathBuf;

/// Undo steps kept (a scenario is a few kilobytes).
const HISTORY: usize = 200;

/// One change to the scenario. Nodes are named by their index in `scenario.nodes` (the window
/// cannot add or remove nodes, so an index stays the same node); rules by their index in
/// their firewall.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    Mode {
        client: usize,
        mode: Mode,
    },
    Commands {
        client: usize,
        commands: DataCommands,
    },
    /// Which real client program it behaves like.
    Program {
        client: usize,
        program: ClientProfile,
    },
    Profile {
        server: usize,
        profile: ServerProfile,
    },
    ControlPort {
        server: usize,
        port: u32,
    },
    ActivePort {
        server: usize,
        port: ActivePort,
    },
    PassiveRange {
        server: usize,
        range: (u32, u32),
    },
    Alg {
        nat: usize,
        on: bool,
    },
    Policy {
        firewall: usize,
        policy: Action,
    },
    PolicyRejectWith {
        firewall: usize,
        with: RejectWith,
    },
    Stateful {
        firewall: usize,
        on: bool,
    },
    Helper {
        firewall: usize,
        on: bool,
    },
    AddRule {
        firewall: usize,
        at: usize,
        rule: Rule,
    },
    DeleteRule {
        firewall: usize,
        index: usize,
    },
    MoveRule {
        firewall: usize,
        from: usize,
        to: usize,
    },
    Rule {
        firewall: usize,
        index: usize,
        rule: Rule,
    },
}

/// The scenario being edited, and what was last saved or loaded.
#[derive(Clone)]
pub struct Document {
    /// Where it was loaded from or saved to (`None` for a built-in copy).
    pub path: Option<PathBuf>,
    pub name: String,
    scenario: Scenario,
    saved: Scenario,
    /// In an exercise: the starting scenario, whose locked parts an edit may not change.
    locked: Option<Scenario>,
    undo: Vec<Scenario>,
    redo: Vec<Scenario>,
}

impl Document {
    pub fn new(path: Option<PathBuf>, name: String, scenario: Scenario) -> Document {
        Document {
            path,
            name,
            saved: scenario.clone(),
            scenario,
            locked: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// The scenario as edited.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// As it was last loaded or saved.
    pub fn saved(&self) -> &Scenario {
        &self.saved
    }

    /// An exercise: edits may not change what `start` locks.
    pub fn lock(&mut self, start: Scenario) {
        self.locked = Some(start);
    }

    /// `written` was saved to `path`: it is the document now (it differs from the scenario
    /// only by an expectation that was left out), and what "revert" goes back to.
    pub fn mark_saved(&mut self, path: &std::path::Path, written: Scenario) {
        self.scenario = written;
        self.saved = self.scenario.clone();
        self.path = Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        if let Some(stem) = path.file_stem() {
            self.name = stem.to_string_lossy().into_owned();
        }
    }

    pub fn dirty(&self) -> bool {
        self.scenario != self.saved
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Carries out `edit`, or says why not (the scenario is then as it was).
    pub fn apply(&mut self, edit: &Edit) -> Result<(), String> {
        let mut next = self.scenario.clone();
        change(&mut next, edit)?;
        if let Some(start) = &self.locked
            && let Some(why) = crate::exercise::locked_change(start, &next)
        {
            return Err(format!("the exercise locks {why}"));
        }
        if next != self.scenario {
            self.replace(next);
        }
        Ok(())
    }

    /// Makes `next` the scenario, keeping this one to undo.
    fn replace(&mut self, next: Scenario) {
        let before = std::mem::replace(&mut self.scenario, next);
        self.undo.push(before);
        if self.undo.len() > HISTORY {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Back to the scenario before the last edit. False when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.undo.pop() else {
            return false;
        };
        self.redo.push(std::mem::replace(&mut self.scenario, prev));
        true
    }

    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(std::mem::replace(&mut self.scenario, next));
        true
    }

    /// An exercise's answer back to the exercise's start (an edit: it can be undone). False
    /// when there is no exercise or nothing to reset.
    pub fn reset_to_start(&mut self) -> bool {
        match self.locked.clone() {
            Some(start) if start != self.scenario => {
                self.replace(start);
                true
            }
            _ => false,
        }
    }

    /// Back to the file as it was loaded or saved (an edit itself: it can be undone).
    pub fn revert(&mut self) {
        if self.dirty() {
            self.replace(self.saved.clone());
        }
    }
}

fn node(s: &mut Scenario, i: usize) -> Result<&mut NodeSpec, String> {
    let n = s.nodes.len();
    s.nodes
        .get_mut(i)
        .ok_or_else(|| format!("there is no node {i} (the lesson has {n})"))
}

fn firewall(s: &mut Scenario, i: usize) -> Result<&mut FirewallSpec, String> {
    match node(s, i)? {
        NodeSpec::Firewall(f) => Ok(f),
        other => Err(format!("'{}' is not a firewall", other.name())),
    }
}

fn rule_index(f: &FirewallSpec, k: usize, end_ok: bool) -> Result<(), String> {
    let n = f.rules.len();
    if k < n || (end_ok && k == n) {
        Ok(())
    } else {
        Err(format!(
            "'{}' has rules 1 to {n}; there is no rule {}",
            f.name,
            k + 1
        ))
    }
}

/// The change itself, on a copy of the scenario.
fn change(s: &mut Scenario, e: &Edit) -> Result<(), String> {
    match e {
        Edit::Mode { client, .. }
        | Edit::Commands { client, .. }
        | Edit::Program { client, .. } => client_change(s, *client, e),
        Edit::Profile { server, .. }
        | Edit::ControlPort { server, .. }
        | Edit::ActivePort { server, .. }
        | Edit::PassiveRange { server, .. } => server_change(s, *server, e),
        Edit::Alg { nat, on } => match node(s, *nat)? {
            NodeSpec::Nat(n) => {
                n.ftp_alg = *on;
                Ok(())
            }
            other => Err(format!("'{}' is not a NAT", other.name())),
        },
        _ => firewall_change(s, e),
    }
}

fn client_change(s: &mut Scenario, i: usize, e: &Edit) -> Result<(), String> {
    let NodeSpec::Client(c) = node(s, i)? else {
        return Err(format!("node {i} is not a client"));
    };
    match e {
        Edit::Mode { mode, .. } => c.mode = *mode,
        Edit::Commands { commands, .. } => c.commands = Some(*commands),
        Edit::Program { program, .. } => c.profile = *program,
        _ => {}
    }
    Ok(())
}

fn server_change(s: &mut Scenario, i: usize, e: &Edit) -> Result<(), String> {
    let NodeSpec::Server(sv) = node(s, i)? else {
        return Err(format!("node {i} is not a server"));
    };
    match e {
        Edit::Profile { profile, .. } => sv.profile = *profile,
        Edit::ControlPort { port, .. } => sv.control_port = *port,
        Edit::ActivePort { port, .. } => sv.active_data_port = *port,
        Edit::PassiveRange { range, .. } => sv.passive_range = *range,
        _ => {}
    }
    Ok(())
}

fn firewall_change(s: &mut Scenario, e: &Edit) -> Result<(), String> {
    match e {
        Edit::Policy {
            firewall: i,
            policy,
        } => firewall(s, *i)?.default_policy = *policy,
        Edit::PolicyRejectWith { firewall: i, with } => {
            firewall(s, *i)?.default_reject_with = *with;
        }
        Edit::Stateful { firewall: i, on } => firewall(s, *i)?.stateful = *on,
        Edit::Helper { firewall: i, on } => firewall(s, *i)?.ftp_helper = *on,
        Edit::AddRule {
            firewall: i,
            at,
            rule,
        } => {
            let f = firewall(s, *i)?;
            rule_index(f, *at, true)?;
            f.rules.insert(*at, rule.clone());
        }
        Edit::DeleteRule { firewall: i, index } => {
            let f = firewall(s, *i)?;
            rule_index(f, *index, false)?;
            f.rules.remove(*index);
        }
        Edit::MoveRule {
            firewall: i,
            from,
            to,
        } => {
            let f = firewall(s, *i)?;
            rule_index(f, *from, false)?;
            rule_index(f, *to, false)?;
            let r = f.rules.remove(*from);
            f.rules.insert(*to, r);
        }
        Edit::Rule {
            firewall: i,
            index,
            rule,
        } => {
            let f = firewall(s, *i)?;
            rule_index(f, *index, false)?;
            f.rules[*index] = rule.clone();
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/active-client-fw-drops.ron");
        Document::new(None, "t".into(), Scenario::load(&path).unwrap())
    }

    #[test]
    fn edits_apply_in_one_place_and_undo_gives_back_the_exact_scenario() {
        let mut d = doc();
        let start = d.scenario.clone();
        d.apply(&Edit::Mode {
            client: 0,
            mode: Mode::Passive,
        })
        .unwrap();
        d.apply(&Edit::DeleteRule {
            firewall: 1,
            index: 1,
        })
        .unwrap();
        assert!(d.dirty());
        assert!(d.undo() && d.undo());
        assert_eq!(d.scenario, start);
        assert!(!d.undo());
        assert!(d.redo());
        assert!(matches!(&d.scenario.nodes[0], NodeSpec::Client(c) if c.mode == Mode::Passive));
        d.revert();
        assert_eq!(d.scenario, start);
        assert!(d.undo(), "revert is an edit: it can be undone");
    }

    /// The teacher picks another client program: its row decides the commands it uses when
    /// the lesson does not say, and undo gives the lesson back.
    #[test]
    fn the_client_program_is_an_edit_with_its_commands() {
        let mut d = doc();
        let start = d.scenario.clone();
        d.apply(&Edit::Program {
            client: 0,
            program: ClientProfile::Curl,
        })
        .unwrap();
        let NodeSpec::Client(c) = &d.scenario.nodes[0] else {
            panic!("not a client")
        };
        assert_eq!(c.profile, ClientProfile::Curl);
        assert_eq!(c.commands(), DataCommands::ExtendedFirst);
        assert!(d.undo());
        assert_eq!(d.scenario, start);
        assert!(
            d.apply(&Edit::Program {
                client: 1,
                program: ClientProfile::Ftplib
            })
            .is_err()
        );
    }

    #[test]
    fn an_edit_that_names_what_is_not_there_is_refused_and_changes_nothing() {
        let mut d = doc();
        let start = d.scenario.clone();
        for e in [
            Edit::Mode {
                client: 1,
                mode: Mode::Passive,
            },
            Edit::DeleteRule {
                firewall: 1,
                index: 7,
            },
            Edit::Helper {
                firewall: 0,
                on: true,
            },
            Edit::Alg { nat: 99, on: true },
        ] {
            assert!(d.apply(&e).is_err(), "{e:?}");
        }
        assert_eq!(d.scenario, start);
        assert!(!d.can_undo());
    }

    #[test]
    fn an_exercise_refuses_an_edit_that_leaves_what_it_locks_changed() {
        let mut d = doc();
        // The exercise started from a client at another address: the answer's client is not
        // the exercise's, so no edit can make a gradable answer of it.
        let mut start = d.scenario.clone();
        if let NodeSpec::Client(c) = &mut start.nodes[0] {
            c.address = "198.51.100.8".into();
        }
        d.locked = Some(start);
        let e = d
            .apply(&Edit::DeleteRule {
                firewall: 1,
                index: 0,
            })
            .unwrap_err();
        assert!(e.contains("the exercise locks the node 'client'"), "{e}");
        d.locked = Some(d.scenario.clone());
        assert!(
            d.apply(&Edit::DeleteRule {
                firewall: 1,
                index: 0
            })
            .is_ok()
        );
    }
}
