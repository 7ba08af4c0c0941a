//! Exercises: a broken lesson, a task, and checks computed from the student's scenario and its
//! simulated runs, so nobody passes by luck.
//!
//! An exercise file (RON, in `exercises/`) names its starting scenario (a path, or inline), the
//! task in words, **goals** (what must work, or fail fast) and **constraints** (how little may
//! be opened), and progressive hints. A check that names a mode runs the scenario with every
//! client in that mode. Counting ports is done on the rule set itself (`firewall::analysis`),
//! not on the run. An answer may change firewalls, the server's ports and behaviour, the
//! clients' mode and commands, and NATs' ALG and forwarding; it may not change what the
//! exercise locks (the nodes and links, addresses, the clients' actions, the server's files),
//! so deleting a firewall is refused rather than graded.

use crate::firewall::analysis::{count_ports, new_inbound_ports};
use crate::firewall::{Action, CtState, Direction, FirewallSpec};
use crate::ftp::{ActionKind, Mode};
use crate::scenario::{NodeSpec, Scenario, ScenarioErrors, parse_ron, read_bounded};
use crate::simulate;
use crate::trace::{Channel, Mechanism, Trace};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where the starting scenario comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Start {
    /// A path relative to the exercise file.
    File(String),
    Inline(Box<Scenario>),
}

/// What a transfer check asks to work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    Listing,
    Download,
    Upload,
    /// Every action of every client.
    Everything,
}

/// The checks an exercise may ask for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Check {
    /// The transfers succeed, with every client in `mode` (or as the scenario sets it).
    Works { what: What, mode: Option<Mode> },
    /// The run fails, and its failed transfer ends within `seconds` of its start.
    FailsWithin { seconds: f64 },
    /// The failed transfer's data connection was refused (reset or ICMP error) by a rule of
    /// the firewall: the mechanism, not only the time (a refused PORT or a blocked control
    /// connection also fails fast).
    RefusedBy { firewall: String },
    /// The firewall's default policy is still this.
    DefaultPolicy { firewall: String, policy: Action },
    /// At most `max` ports accept NEW inbound connections on the firewall.
    MaxInboundNewPorts { firewall: String, max: u32 },
    /// No rule of the firewall accepts NEW connections inbound.
    NoInboundNew { firewall: String },
    /// The server's passive range has at most `max` ports and the firewall opens exactly those
    /// (besides the control port).
    PassiveRangeOpened {
        server: String,
        firewall: String,
        max: u32,
    },
    /// No firewall has fewer rules than at the start.
    NoRuleDeleted,
    /// The firewall's FTP helper is on (`true`) or off.
    Helper { firewall: String, on: bool },
    /// The firewall is exactly as at the start.
    Unchanged { firewall: String },
}

/// An exercise as written in its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseFile {
    pub title: String,
    pub task: String,
    pub scenario: Start,
    pub goals: Vec<Check>,
    #[serde(default)]
    pub constraints: Vec<Check>,
    #[serde(default)]
    pub hints: Vec<String>,
}

/// An exercise ready to check answers.
#[derive(Clone, Debug)]
pub struct Exercise {
    /// The file name without `.ron`: answers name it.
    pub id: String,
    pub path: PathBuf,
    pub title: String,
    pub task: String,
    pub start: Scenario,
    pub goals: Vec<Check>,
    pub constraints: Vec<Check>,
    pub hints: Vec<String>,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// "goal" or "constraint".
    pub kind: String,
    /// The check in words.
    pub text: String,
    pub passed: bool,
    /// Why, in one line.
    pub why: String,
}

/// An answer's grade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub exercise: String,
    pub answer: String,
    /// Set when the answer is not graded (it changes what the exercise locks, or cannot run).
    pub refused: Option<String>,
    pub checks: Vec<Outcome>,
}

impl Grade {
    pub fn score(&self) -> (usize, usize) {
        (
            self.checks.iter().filter(|c| c.passed).count(),
            self.checks.len(),
        )
    }

    pub fn passed(&self) -> bool {
        self.refused.is_none() && self.checks.iter().all(|c| c.passed)
    }
}

impl Exercise {
    /// Reads an exercise file (and its starting scenario).
    pub fn load(path: &Path) -> Result<Exercise, String> {
        let file = path.display().to_string();
        let text = read_bounded(path, crate::scenario::limits::FILE_BYTES)
            .map_err(|e| format!("{file}: {e}"))?;
        let x: ExerciseFile = parse_ron(&text, &file).map_err(|e| e.to_string())?;
        let start = match &x.scenario {
            Start::Inline(s) => {
                let problems = s.check();
                if let Some((f, m)) = problems.first() {
                    return Err(format!("{file}: scenario.{f}: {m}"));
                }
                (**s).clone()
            }
            Start::File(rel) => {
                let p = path.parent().unwrap_or(Path::new(".")).join(rel);
                Scenario::load(&p).map_err(|e: ScenarioErrors| e.to_string())?
            }
        };
        let id = path.file_stem().map_or_else(
            || "exercise".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        );
        let ex = Exercise {
            id,
            path: path.to_path_buf(),
            title: x.title,
            task: x.task,
            start,
            goals: x.goals,
            constraints: x.constraints,
            hints: x.hints,
        };
        for c in ex.goals.iter().chain(&ex.constraints) {
            if let Some(why) = ex.check_names(c) {
                return Err(format!("{file}: {why}"));
            }
        }
        Ok(ex)
    }

    /// A check that names a node the scenario does not have.
    fn check_names(&self, c: &Check) -> Option<String> {
        let has_fw = |n: &str| {
            self.start
                .nodes
                .iter()
                .any(|x| matches!(x, NodeSpec::Firewall(f) if f.name == n))
        };
        let has_server = |n: &str| {
            self.start
                .nodes
                .iter()
                .any(|x| matches!(x, NodeSpec::Server(s) if s.name == n))
        };
        match c {
            Check::DefaultPolicy { firewall, .. }
            | Check::MaxInboundNewPorts { firewall, .. }
            | Check::NoInboundNew { firewall }
            | Check::Helper { firewall, .. }
            | Check::Unchanged { firewall }
            | Check::RefusedBy { firewall }
                if !has_fw(firewall) =>
            {
                Some(format!(
                    "a check names the firewall '{firewall}', which the scenario does not have"
                ))
            }
            Check::PassiveRangeOpened {
                server, firewall, ..
            } if !has_server(server) || !has_fw(firewall) => Some(format!(
                "a check names '{server}' and '{firewall}', which the scenario does not both have"
            )),
            Check::FailsWithin { seconds }
                if !(seconds.is_finite() && *seconds > 0.0 && *seconds <= 86_400.0) =>
            {
                Some(format!(
                    "FailsWithin: {seconds} is not a number of seconds (0 to 86400)"
                ))
            }
            _ => None,
        }
    }

    /// The starting scenario, marked as an answer to this exercise.
    pub fn starting_answer(&self) -> Scenario {
        Scenario {
            exercise: Some(self.id.clone()),
            ..self.start.clone()
        }
    }

    /// Grades an answer (`name`: how to call it in the table).
    pub fn grade(&self, answer: &Scenario, name: &str) -> Grade {
        let mut g = Grade {
            exercise: self.id.clone(),
            answer: name.to_owned(),
            refused: None,
            checks: Vec::new(),
        };
        if let Some(other) = answer.exercise.as_deref().filter(|e| *e != self.id) {
            g.refused = Some(format!(
                "it answers the exercise '{other}', not '{}'",
                self.id
            ));
            return g;
        }
        if let Some(why) = locked_change(&self.start, answer) {
            g.refused = Some(format!("it changes what the exercise locks: {why}"));
            return g;
        }
        // What the answer expects of itself is not graded (and an edit can leave it stale).
        let answer = &answer.without_expectation();
        let problems = answer.check();
        if let Some((f, m)) = problems.first() {
            g.refused = Some(format!("it cannot run: {f}: {m}"));
            return g;
        }
        let mut runs = Runs::new(answer);
        for c in &self.goals {
            g.checks.push(self.evaluate("goal", c, answer, &mut runs));
        }
        for c in &self.constraints {
            g.checks
                .push(self.evaluate("constraint", c, answer, &mut runs));
        }
        g
    }

    fn evaluate(&self, kind: &str, c: &Check, answer: &Scenario, runs: &mut Runs) -> Outcome {
        let (passed, why) = match c {
            Check::Works { what, mode } => works(runs.get(*mode), *what),
            Check::FailsWithin { seconds } => fails_within(runs.get(None), *seconds),
            Check::RefusedBy { firewall } => refused_by(runs.get(None), firewall),
            Check::PassiveRangeOpened {
                server,
                firewall,
                max,
            } => passive_range(answer, server, firewall, *max),
            Check::NoRuleDeleted => no_rule_deleted(&self.start, answer),
            Check::Unchanged { firewall } => {
                match (fw(&self.start, firewall), fw(answer, firewall)) {
                    (Some(a), Some(b)) if a == b => (true, format!("{firewall} is as it was")),
                    _ => (
                        false,
                        format!("{firewall} was changed; the task is to fix it elsewhere"),
                    ),
                }
            }
            Check::DefaultPolicy { firewall, .. }
            | Check::MaxInboundNewPorts { firewall, .. }
            | Check::NoInboundNew { firewall }
            | Check::Helper { firewall, .. } => match fw(answer, firewall) {
                Some(f) => firewall_check(c, f),
                None => (false, format!("there is no firewall {firewall}")),
            },
        };
        Outcome {
            kind: kind.to_owned(),
            text: words(c),
            passed,
            why,
        }
    }
}

/// A check on one firewall of the answer: (passed, why).
fn firewall_check(c: &Check, f: &FirewallSpec) -> (bool, String) {
    let firewall = &f.name;
    match c {
        Check::DefaultPolicy { policy, .. } if f.default_policy == *policy => {
            (true, format!("{firewall}'s default policy is {policy}"))
        }
        Check::DefaultPolicy { policy, .. } => (
            false,
            format!(
                "{firewall}'s default policy is {}, it must stay {policy}",
                f.default_policy
            ),
        ),
        Check::MaxInboundNewPorts { max, .. } => {
            let open = new_inbound_ports(f);
            let n = count_ports(&open);
            let words = ranges_words(&open);
            if n <= *max {
                (
                    true,
                    format!(
                        "{n} NEW ports open inbound on {firewall} ({words}), at most {max} allowed"
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "{n} NEW ports open inbound on {firewall}, at most {max} allowed: {words} count as {n}"
                    ),
                )
            }
        }
        Check::NoInboundNew { .. } => no_inbound_new(f),
        Check::Helper { on, .. } => {
            let state = if *on { "on" } else { "off" };
            if f.ftp_helper == *on {
                (true, format!("{firewall}'s FTP helper is {state}"))
            } else {
                (false, format!("{firewall}'s FTP helper must be {state}"))
            }
        }
        _ => (false, "not a firewall check".to_owned()),
    }
}

fn no_inbound_new(f: &FirewallSpec) -> (bool, String) {
    let firewall = &f.name;
    let open = new_inbound_ports(f);
    if open.is_empty() {
        return (
            true,
            format!("no rule of {firewall} accepts NEW connections inbound"),
        );
    }
    let by = accepting_new_inbound(f)
        .map_or_else(|| "its default policy".to_owned(), |k| format!("rule {k}"));
    (
        false,
        format!(
            "{firewall} accepts NEW connections inbound to {} ({by})",
            ranges_words(&open)
        ),
    )
}

/// Runs of the answer, made once each: as it is, and with every client in a given mode.
struct Runs<'a> {
    answer: &'a Scenario,
    done: Vec<(Option<Mode>, Result<Trace, String>)>,
}

impl<'a> Runs<'a> {
    fn new(answer: &'a Scenario) -> Runs<'a> {
        Runs {
            answer,
            done: Vec::new(),
        }
    }

    fn get(&mut self, mode: Option<Mode>) -> &Result<Trace, String> {
        if let Some(k) = self.done.iter().position(|(m, _)| *m == mode) {
            return &self.done[k].1;
        }
        let mut s = self.answer.clone();
        if let Some(m) = mode {
            for n in &mut s.nodes {
                if let NodeSpec::Client(c) = n {
                    c.mode = m;
                }
            }
        }
        let r = simulate(&s).map_err(|p| {
            p.first()
                .map_or_else(String::new, |(f, m)| format!("{f}: {m}"))
        });
        self.done.push((mode, r));
        &self.done[self.done.len() - 1].1
    }
}

fn fw<'a>(s: &'a Scenario, name: &str) -> Option<&'a FirewallSpec> {
    s.nodes.iter().find_map(|n| match n {
        NodeSpec::Firewall(f) if f.name == name => Some(f),
        _ => None,
    })
}

fn mode_words(m: Option<Mode>) -> &'static str {
    match m {
        Some(Mode::Active) => " in active mode",
        Some(Mode::Passive) => " in passive mode",
        None => "",
    }
}

/// A check in words, for the checklist.
pub fn words(c: &Check) -> String {
    match c {
        Check::Works { what, mode } => {
            let w = match what {
                What::Listing => "the listing works",
                What::Download => "the download works",
                What::Upload => "the upload works",
                What::Everything => "every action works",
            };
            format!("{w}{}", mode_words(*mode))
        }
        Check::FailsWithin { seconds } => {
            format!("the transfer fails within {seconds} s (fail fast)")
        }
        Check::RefusedBy { firewall } => {
            format!("{firewall} refuses the data connection (a reset or an ICMP error)")
        }
        Check::DefaultPolicy { firewall, policy } => {
            format!("{firewall}'s default policy stays {policy}")
        }
        Check::MaxInboundNewPorts { firewall, max } => format!(
            "at most {max} NEW inbound port{} open on {firewall}",
            if *max == 1 { "" } else { "s" }
        ),
        Check::NoInboundNew { firewall } => {
            format!("no rule of {firewall} accepts NEW inbound connections")
        }
        Check::PassiveRangeOpened {
            server,
            firewall,
            max,
        } => format!(
            "{server}'s passive range has at most {max} ports and {firewall} opens exactly it"
        ),
        Check::NoRuleDeleted => "no rule is deleted".to_owned(),
        Check::Helper { firewall, on } => format!(
            "{firewall}'s FTP helper is {}",
            if *on { "used" } else { "not used" }
        ),
        Check::Unchanged { firewall } => format!("{firewall} is left as it is"),
    }
}

fn is_kind(action: &ActionKind, what: What) -> bool {
    match what {
        What::Listing => *action == ActionKind::Ls,
        What::Download => matches!(action, ActionKind::Get(_)),
        What::Upload => matches!(action, ActionKind::Put(_)),
        What::Everything => true,
    }
}

fn works(run: &Result<Trace, String>, what: What) -> (bool, String) {
    let t = match run {
        Ok(t) => t,
        Err(e) => return (false, format!("the scenario cannot run: {e}")),
    };
    let mut seen = 0;
    for c in &t.clients {
        for a in c.actions.iter().filter(|a| is_kind(&a.action, what)) {
            seen += 1;
            if !a.ok {
                return (
                    false,
                    format!("{}: '{}' failed: {}", c.name, a.action, c.outcome.diagnosis),
                );
            }
        }
    }
    if seen == 0 {
        return (false, "no such transfer in the scenario".to_owned());
    }
    (
        true,
        format!("{seen} transfer{} worked", if seen == 1 { "" } else { "s" }),
    )
}

fn refused_by(run: &Result<Trace, String>, firewall: &str) -> (bool, String) {
    let t = match run {
        Ok(t) => t,
        Err(e) => return (false, format!("the scenario cannot run: {e}")),
    };
    let o = &t.outcome;
    let transfer = o
        .failed_action
        .as_ref()
        .is_some_and(ActionKind::is_transfer);
    let by = o.blocked_by.as_ref().map(|b| b.middlebox.as_str());
    match (transfer, &o.mechanism, by) {
        (true, Some(Mechanism::Rejected), Some(b)) if b == firewall => {
            (true, format!("{firewall} refused the data connection"))
        }
        (false, _, _) if o.success => (false, "nothing failed".to_owned()),
        (false, _, _) => (
            false,
            format!("not a transfer that failed: {}", o.diagnosis),
        ),
        (true, Some(Mechanism::Rejected), Some(b)) => {
            (false, format!("{b} refused it, not {firewall}"))
        }
        _ => (
            false,
            format!(
                "the data connection was not refused by {firewall}: {}",
                o.diagnosis
            ),
        ),
    }
}

fn fails_within(run: &Result<Trace, String>, seconds: f64) -> (bool, String) {
    let t = match run {
        Ok(t) => t,
        Err(e) => return (false, format!("the scenario cannot run: {e}")),
    };
    for c in &t.clients {
        let Some(failed) = c.actions.iter().find(|a| !a.ok) else {
            continue;
        };
        // A failed action has finished: its window ends where it failed.
        let (start, end) = t.action_window(c.node, failed.index);
        let took = end.secs_f64() - start.secs_f64();
        return if took <= seconds {
            (
                true,
                format!("'{}' failed after {took:.3} s", failed.action),
            )
        } else {
            (
                false,
                format!(
                    "'{}' failed, but only after {took:.1} s (at most {seconds} s)",
                    failed.action
                ),
            )
        };
    }
    (
        false,
        "nothing failed: the transfer works, so it cannot fail fast".to_owned(),
    )
}

/// The first rule (1-based) that accepts NEW connections inbound, if any.
fn accepting_new_inbound(f: &FirewallSpec) -> Option<usize> {
    f.rules
        .iter()
        .position(|r| {
            r.action == Action::Accept
                && matches!(r.direction, Direction::Inbound | Direction::Any)
                && (r.state.is_empty() || r.state.contains(&CtState::New))
        })
        .map(|k| k + 1)
}

fn ranges_words(r: &[(u32, u32)]) -> String {
    if r.is_empty() {
        return "none".to_owned();
    }
    r.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn passive_range(answer: &Scenario, server: &str, firewall: &str, max: u32) -> (bool, String) {
    let Some(s) = answer.nodes.iter().find_map(|n| match n {
        NodeSpec::Server(s) if s.name == server => Some(s),
        _ => None,
    }) else {
        return (false, format!("there is no server {server}"));
    };
    let Some(f) = fw(answer, firewall) else {
        return (false, format!("there is no firewall {firewall}"));
    };
    let (lo, hi) = s.passive_range;
    let size = hi.saturating_sub(lo) + 1;
    if size > max {
        return (
            false,
            format!("{server}'s passive range {lo}-{hi} has {size} ports, at most {max} allowed"),
        );
    }
    let control = s.control_port;
    let open: Vec<(u32, u32)> = new_inbound_ports(f)
        .into_iter()
        .flat_map(|(a, b)| {
            // The control port is not part of the range.
            if a <= control && control <= b {
                let mut v = Vec::new();
                if a < control {
                    v.push((a, control - 1));
                }
                if control < b {
                    v.push((control + 1, b));
                }
                v
            } else {
                vec![(a, b)]
            }
        })
        .collect();
    if open == [(lo, hi)] {
        (
            true,
            format!("{server} uses {lo}-{hi} and {firewall} opens exactly {lo}-{hi}"),
        )
    } else {
        (
            false,
            format!(
                "{server} uses {lo}-{hi}, but {firewall} opens {} besides port {control}",
                ranges_words(&open)
            ),
        )
    }
}

fn no_rule_deleted(start: &Scenario, answer: &Scenario) -> (bool, String) {
    for n in &start.nodes {
        let NodeSpec::Firewall(a) = n else { continue };
        let now = fw(answer, &a.name).map_or(0, |b| b.rules.len());
        if now < a.rules.len() {
            return (
                false,
                format!("{} had {} rules and now has {now}", a.name, a.rules.len()),
            );
        }
    }
    (true, "every firewall has at least its rules".to_owned())
}

/// What an answer may not change: everything but what an exercise is about. Unlocked are a
/// firewall's rules, policy, reject type, statefulness and helper; a client's mode, data
/// commands and data ports; a server's active data port, passive range and passive address; a
/// NAT's ALG and port forwards. Everything else (the nodes, their kinds, names and order, every
/// address, the links and their delays, the clients' actions, start times, timeouts and
/// profiles, the servers' files, accounts, timeouts, profiles and control ports, the seed and
/// the time limit) is locked, and so is any field added later: the lock compares whole nodes
/// after putting back what may change. `Some(why)` when the answer changed a locked thing.
pub fn locked_change(start: &Scenario, answer: &Scenario) -> Option<String> {
    if start.nodes.len() != answer.nodes.len() {
        return Some(format!("the nodes ({})", added_and_removed(start, answer)));
    }
    for (a, b) in start.nodes.iter().zip(&answer.nodes) {
        if let Some(field) = first_difference(a, &unlocked(a, b)) {
            return Some(format!("the node '{}' (its {field})", a.name()));
        }
    }
    if start.links.len() != answer.links.len() {
        return Some("the links between the nodes".to_owned());
    }
    for (x, y) in start.links.iter().zip(&answer.links) {
        if (&x.a, &x.b) != (&y.a, &y.b) {
            return Some("the links between the nodes".to_owned());
        }
        if x.delay_ms != y.delay_ms {
            return Some(format!("the delay of the link {}–{}", x.a, x.b));
        }
    }
    if start.seed != answer.seed {
        return Some("the seed".to_owned());
    }
    if start.time_limit_s != answer.time_limit_s {
        return Some("the time limit".to_owned());
    }
    None
}

/// `answer` with the fields an answer may change put back as they are in `start`.
fn unlocked(start: &NodeSpec, answer: &NodeSpec) -> NodeSpec {
    let mut n = answer.clone();
    match (&mut n, start) {
        (NodeSpec::Firewall(y), NodeSpec::Firewall(x)) => {
            y.rules.clone_from(&x.rules);
            y.default_policy = x.default_policy;
            y.default_reject_with = x.default_reject_with;
            y.stateful = x.stateful;
            y.ftp_helper = x.ftp_helper;
        }
        (NodeSpec::Client(y), NodeSpec::Client(x)) => {
            y.mode = x.mode;
            y.commands = x.commands;
            y.data_ports = x.data_ports;
        }
        (NodeSpec::Server(y), NodeSpec::Server(x)) => {
            y.active_data_port = x.active_data_port;
            y.passive_range = x.passive_range;
            y.passive_address.clone_from(&x.passive_address);
        }
        (NodeSpec::Nat(y), NodeSpec::Nat(x)) => {
            y.ftp_alg = x.ftp_alg;
            y.forwards.clone_from(&x.forwards);
        }
        _ => {}
    }
    n
}

/// The first field (as the file names it) in which two nodes differ; "kind" when they are
/// not the same kind of node.
fn first_difference(a: &NodeSpec, b: &NodeSpec) -> Option<String> {
    if a == b {
        return None;
    }
    let fields = |n: &NodeSpec| match serde_json::to_value(n) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().next(),
        _ => None,
    };
    match (fields(a), fields(b)) {
        (Some((ka, serde_json::Value::Object(x))), Some((kb, serde_json::Value::Object(y))))
            if ka == kb =>
        {
            let keys = x.keys().chain(y.keys());
            let field = keys.into_iter().find(|k| x.get(*k) != y.get(*k));
            Some(field.map_or_else(|| "settings".to_owned(), String::clone))
        }
        _ => Some("kind".to_owned()),
    }
}

fn added_and_removed(start: &Scenario, answer: &Scenario) -> String {
    let names =
        |s: &Scenario| -> Vec<String> { s.nodes.iter().map(|n| n.name().to_owned()).collect() };
    let (was, now) = (names(start), names(answer));
    let list = |v: Vec<&String>| {
        v.iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gone: Vec<&String> = was.iter().filter(|n| !now.contains(n)).collect();
    let added: Vec<&String> = now.iter().filter(|n| !was.contains(n)).collect();
    let mut why = Vec::new();
    if !gone.is_empty() {
        why.push(format!("it removes {}", list(gone)));
    }
    if !added.is_empty() {
        why.push(format!("it adds {}", list(added)));
    }
    why.join("; ")
}

/// The grades as a table for a terminal: per answer, its score and each check with why.
/// Every text from a file (a file name, a rule's comment in a reason) is one line with its
/// control characters escaped, so an answer cannot forge a line ("fake.ron: PASS 3/3") or
/// drive the terminal.
pub fn table(ex: &Exercise, grades: &[Grade]) -> String {
    let p = |s: &str| crate::text::printable(s).into_owned();
    let mut out = format!("Exercise {}: {}\n", p(&ex.id), p(&ex.title));
    for g in grades {
        let (ok, total) = g.score();
        let answer = p(&g.answer);
        match &g.refused {
            Some(why) => out.push_str(&format!("\n{answer}: REFUSED, {}\n", p(why))),
            None => {
                let verdict = if g.passed() { "PASS" } else { "FAIL" };
                out.push_str(&format!("\n{answer}: {verdict} {ok}/{total}\n"));
                for c in &g.checks {
                    let mark = if c.passed { "✔" } else { "✖" };
                    let (kind, text, why) = (p(&c.kind), p(&c.text), p(&c.why));
                    out.push_str(&format!("  {mark} {kind}: {text} ({why})\n"));
                }
            }
        }
    }
    out
}

/// A CSV cell: quoted, and neutralised when a spreadsheet would read it as a formula (it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's advice, a leading `'`).
pub fn csv_cell(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = if formula {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The grades as CSV: answer, passed, score, total, then one column per check (1 or 0), and
/// the reason an answer was refused.
pub fn csv(ex: &Exercise, grades: &[Grade]) -> String {
    let quote = csv_cell;
    let mut head = vec![
        "answer".to_owned(),
        "passed".into(),
        "score".into(),
        "total".into(),
    ];
    for c in ex.goals.iter().chain(&ex.constraints) {
        head.push(quote(&words(c)));
    }
    head.push("refused".into());
    let mut out = head.join(",") + "\n";
    for g in grades {
        let (ok, total) = g.score();
        let mut row = vec![
            quote(&g.answer),
            u8::from(g.passed()).to_string(),
            ok.to_string(),
            (ex.goals.len() + ex.constraints.len())
                .max(total)
                .to_string(),
        ];
        for k in 0..ex.goals.len() + ex.constraints.len() {
            row.push(
                g.checks
                    .get(k)
                    .map_or_else(String::new, |c| u8::from(c.passed).to_string()),
            );
        }
        row.push(quote(g.refused.as_deref().unwrap_or("")));
        out.push_str(&(row.join(",") + "\n"));
    }
    out
}

/// A run's data connections in words, for a checklist's "why" (used by the GUI).
pub fn data_summary(t: &Trace) -> String {
    let n = t
        .connections
        .iter()
        .filter(|c| c.channel == Channel::Data)
        .count();
    format!("{n} data connection{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests;
