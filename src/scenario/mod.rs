//! Scenarios: what a lesson sets up, as RON files in `scenarios/`.
//!
//! The model is plain serde data: nodes (FTP clients, FTP servers, firewalls, routers), links
//! with their delay, the user's actions, the seed, and the outcome the lesson expects. Loading
//! parses with ron and then validates the whole file, collecting *every* problem with its file,
//! line, column and field, in words a teacher understands. Nothing here panics on bad input.

mod lex;
mod locate;
pub mod network;
mod validate;

pub use locate::Positions;
pub use validate::{limits, unusable_address};

use crate::firewall::FirewallSpec;
use crate::ftp::Mode;
pub use crate::ftp::client::{ClientProfile, DataCommands};
pub use crate::ftp::server::ServerProfile;
pub use crate::host::profile::TcpProfile;
pub use crate::middlebox::nat::{ForwardSpec, NatSpec};
use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Seeds ephemeral ports, TCP initial sequence numbers and the passive port choice.
    #[serde(default)]
    pub seed: u64,
    /// Stop the simulation at this virtual time at the latest.
    #[serde(default = "default_time_limit")]
    pub time_limit_s: u64,
    pub nodes: Vec<NodeSpec>,
    pub links: Vec<LinkSpec>,
    pub expect: Expectation,
    /// Questions predict mode asks, besides the ones it makes from the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<QuestionSpec>,
    /// For a student's answer: the exercise it answers (its file name without `.ron`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
}

/// A question of the lesson's own, asked (in predict mode) before a handshake step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// Asked just before this step (1-4) first happens.
    pub before_step: u8,
    pub text: String,
    pub choices: Vec<String>,
    /// The right choice, counted from 0.
    pub answer: usize,
    /// Said once it is answered.
    #[serde(default)]
    pub explain: String,
}

fn default_time_limit() -> u64 {
    900
}

/// One node of the topology.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeSpec {
    Client(ClientSpec),
    Server(ServerSpec),
    Firewall(FirewallSpec),
    Router(RouterSpec),
    /// A NAT router: source NAT for its inside, port forwarding, an optional FTP ALG.
    Nat(NatSpec),
}

impl NodeSpec {
    pub fn name(&self) -> &str {
        match self {
            NodeSpec::Client(c) => &c.name,
            NodeSpec::Server(s) => &s.name,
            NodeSpec::Firewall(f) => &f.name,
            NodeSpec::Router(r) => &r.name,
            NodeSpec::Nat(n) => &n.name,
        }
    }
}

/// An FTP client host and what its user types.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub name: String,
    pub address: String,
    /// The server node it talks to.
    pub server: String,
    /// Which real client it behaves like (its messages, which address it trusts).
    #[serde(default, skip_serializing_if = "is_default")]
    pub profile: ClientProfile,
    /// Whose TCP its kernel has: `Linux` (6.5 and later, the default) or `LinuxClassic`
    /// (before 6.5: the SYN back-off doubles from the start).
    #[serde(default, skip_serializing_if = "is_default")]
    pub tcp: TcpProfile,
    /// The mode it starts in (a `Mode` action can switch).
    #[serde(default = "active")]
    pub mode: Mode,
    /// PORT/PASV (`Classic`), EPRT/EPSV only (`Extended`), or EPSV/EPRT first with a fallback
    /// to PASV/PORT as curl does (`ExtendedFirst`); default: what the profile's client uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<DataCommands>,
    /// Range for the PORT data port.
    #[serde(default = "ephemeral_range")]
    pub data_ports: (u32, u32),
    /// How long a TCP connect may take before the client gives up; default: the profile's
    /// (FileZilla: 20 s of inactivity), else the kernel's (Linux >= 6.5: 131 s, the 11th SYN's
    /// timeout; 133-135 s measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_s: Option<u64>,
    /// The address the user opens (default: the server's own address; for a server behind
    /// port forwarding, the NAT's public address).
    #[serde(default)]
    pub server_address: Option<String>,
    /// When the user starts typing, in milliseconds of virtual time.
    #[serde(default)]
    pub start_ms: u64,
    pub actions: Vec<ActionSpec>,
}

impl ClientSpec {
    /// The data commands it uses: its own, or its profile's.
    pub fn commands(&self) -> DataCommands {
        self.commands.unwrap_or(self.profile.behaviour().commands)
    }

    /// Seconds a connect may take: its own, or its profile's, or the kernel's 131 s.
    pub fn connect_timeout_s(&self) -> u64 {
        self.connect_timeout_s.unwrap_or_else(|| {
            self.profile
                .behaviour()
                .timeout
                .map_or(131, |t| t.as_secs())
        })
    }
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

fn active() -> Mode {
    Mode::Active
}

fn ephemeral_range() -> (u32, u32) {
    (32768, 60999)
}

fn secs_60() -> u64 {
    60
}

/// What the user types at the `ftp>` prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionSpec {
    Connect,
    Login { user: String, pass: String },
    Mode(Mode),
    Ls,
    LsDir(String),
    Get(String),
    Put { name: String, content: String },
    Quit,
}

/// Where an active-mode server connects from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivePort {
    /// A fixed source port: 20 (vsftpd's `connect_from_port_20=YES`) or one above 1024.
    Port(u32),
    /// Any ephemeral port, as pyftpdlib and vsftpd's upstream default do.
    Ephemeral,
}

/// An FTP server host and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: String,
    pub address: String,
    /// Whose behaviour it shows where real servers differ.
    #[serde(default)]
    pub profile: ServerProfile,
    /// Whose TCP its kernel has (see the client's `tcp`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub tcp: TcpProfile,
    #[serde(default = "port_21")]
    pub control_port: u32,
    #[serde(default = "port_20")]
    pub active_data_port: ActivePort,
    #[serde(default = "full_range")]
    pub passive_range: (u32, u32),
    /// Address announced in 227 (vsftpd `pasv_address`); default: its own.
    #[serde(default)]
    pub passive_address: Option<String>,
    #[serde(default = "secs_60")]
    pub connect_timeout_s: u64,
    #[serde(default = "secs_60")]
    pub accept_timeout_s: u64,
    #[serde(default = "yes")]
    pub anonymous: bool,
    /// Let anonymous users upload (vsftpd `anon_upload_enable`, off by default).
    #[serde(default)]
    pub anonymous_upload: bool,
    #[serde(default)]
    pub users: Vec<(String, String)>,
    /// Files served: path → contents.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

fn port_21() -> u32 {
    21
}

fn port_20() -> ActivePort {
    ActivePort::Port(20)
}

fn full_range() -> (u32, u32) {
    (1024, 65535)
}

fn yes() -> bool {
    true
}

/// A plain router (the Internet between the two sites).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    pub name: String,
    /// Its own address, which its ICMP errors come from (needed for `NetUnreachable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// What it does with a packet it has no route for.
    #[serde(default, skip_serializing_if = "is_default")]
    pub no_route: NoRoute,
}

/// What a router does with a packet for an address it has no route to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoRoute {
    /// Nothing: dropped without a word, as the Internet's routers drop private (bogon)
    /// destinations; the sender retries until it gives up.
    #[default]
    Drop,
    /// ICMP destination unreachable, code 0 (net unreachable), from its own address, as a
    /// Linux router with no route does: the sender's connect fails at once (ENETUNREACH).
    NetUnreachable,
}

/// A link between two nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub a: String,
    pub b: String,
    /// One-way delay in milliseconds.
    pub delay_ms: f64,
}

/// Success or failure of the whole script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expected {
    Success,
    Failure,
}

/// What the lesson expects to happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub result: Expected,
    /// The first action that fails ("ls", "get readme.txt").
    #[serde(default)]
    pub failed_action: Option<String>,
    /// The reply code that reports it, if any.
    #[serde(default)]
    pub reply: Option<u16>,
    /// The firewall rule that blocks the data channel.
    #[serde(default)]
    pub blocked_by: Option<ExpectedBlocker>,
    /// Words the diagnosis must contain (the mechanism, as the lesson names it).
    #[serde(default)]
    pub diagnosis: Vec<String>,
    /// What each client sees, by the client's name (scenarios with several clients).
    #[serde(default)]
    pub clients: BTreeMap<String, ClientExpectation>,
}

/// What one client is expected to see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientExpectation {
    pub result: Expected,
    #[serde(default)]
    pub failed_action: Option<String>,
    #[serde(default)]
    pub reply: Option<u16>,
    #[serde(default)]
    pub diagnosis: Vec<String>,
}

/// A firewall and a 1-based rule number (`None`: its default policy).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedBlocker {
    pub firewall: String,
    #[serde(default)]
    pub rule: Option<usize>,
}

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field path, e.g. `nodes[4].passive_range`.
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    /// A problem with the file as a whole (it cannot be read, it is too big).
    pub fn whole_file(file: &str, message: String) -> ScenarioError {
        ScenarioError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            field: String::new(),
            message,
        }
    }
}

fn too_big(len: u64) -> String {
    format!(
        "the file is {len} bytes; a scenario may be at most {} bytes",
        limits::FILE_BYTES
    )
}

/// Reads at most `max` bytes of a regular file as UTF-8, or says why not.
pub fn read_bounded(path: &Path, max: usize) -> Result<String, String> {
    use std::io::Read;
    let md = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !md.is_file() {
        return Err(
            "cannot read the file: it is not a regular file (a directory, a device or a pipe)"
                .to_owned(),
        );
    }
    if md.len() > max as u64 {
        return Err(too_big(md.len()));
    }
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() > max {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (byte {} is not valid)",
            e.utf8_error().valid_up_to()
        )
    })
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Parses RON text into any type with the scenario loader's limits and options; errors name
/// the file, line and column. (Exercises use it for their own files.)
pub fn parse_ron<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<T, ScenarioErrors> {
    if text.len() > limits::FILE_BYTES {
        return Err(ScenarioErrors(vec![ScenarioError::whole_file(
            file,
            too_big(text.len() as u64),
        )]));
    }
    lex::Lexer::new(text).check_limits().map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            file: file.to_owned(),
            line: e.line,
            column: e.col,
            field: String::new(),
            message: e.message,
        }])
    })?;
    ron_options().from_str(text).map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            file: file.to_owned(),
            line: e.span.start.line,
            column: e.span.start.col,
            field: String::new(),
            message: format!("not valid RON for this file: {}", e.code),
        }])
    })
}

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME)
}

impl Scenario {
    /// Reads and validates a scenario file. Only a regular file of at most
    /// `limits::FILE_BYTES` is read (a FIFO or `/dev/zero` is refused before it is opened).
    pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
        let file = path.display().to_string();
        let text = read_bounded(path, limits::FILE_BYTES)
            .map_err(|message| ScenarioErrors(vec![ScenarioError::whole_file(&file, message)]))?;
        Scenario::parse(&text, &file)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
        let scenario: Scenario = parse_ron(text, file).map_err(|mut e| {
            for x in &mut e.0 {
                x.message = x
                    .message
                    .replace("not valid RON for this file", "not valid scenario RON");
            }
            e
        })?;
        let problems = validate::validate(&scenario);
        if problems.is_empty() {
            return Ok(scenario);
        }
        let pos = Positions::scan(text);
        let total = problems.len();
        let mut errors: Vec<ScenarioError> = problems
            .into_iter()
            .take(limits::REPORTED_PROBLEMS)
            .map(|(field, message)| {
                let (line, column) = pos.locate(&field);
                ScenarioError {
                    file: file.to_owned(),
                    line,
                    column,
                    field,
                    message,
                }
            })
            .collect();
        if total > limits::REPORTED_PROBLEMS {
            errors.push(ScenarioError::whole_file(
                file,
                format!(
                    "and {} more problems (only the first {} are listed)",
                    total - limits::REPORTED_PROBLEMS,
                    limits::REPORTED_PROBLEMS
                ),
            ));
        }
        Err(ScenarioErrors(errors))
    }

    /// Whether problems from `check`/`resolve` are all in the expectation (the network runs).
    pub fn only_expectation(problems: &[(String, String)]) -> bool {
        problems
            .iter()
            .all(|(field, _)| validate::in_expectation(field))
    }

    /// Whether any problem is in the expectation.
    pub fn any_in_expectation(problems: &[(String, String)]) -> bool {
        problems
            .iter()
            .any(|(field, _)| validate::in_expectation(field))
    }

    /// The same scenario with no expectation (an edit can leave the expectation naming a rule
    /// that is gone; the network itself still runs).
    pub fn without_expectation(&self) -> Scenario {
        Scenario {
            expect: Expectation {
                result: Expected::Success,
                failed_action: None,
                reply: None,
                blocked_by: None,
                diagnosis: Vec::new(),
                clients: BTreeMap::new(),
            },
            ..self.clone()
        }
    }

    /// Checks an in-memory scenario (one edited in the GUI); errors carry field paths only.
    pub fn check(&self) -> Vec<(String, String)> {
        validate::validate(self)
    }

    /// The network the simulator runs, or every problem (field path, message) that stops it.
    pub fn resolve(&self) -> Result<network::Network, Vec<(String, String)>> {
        validate::resolve(self)
    }

    /// The scenario as RON text (for "save as"); an error rather than an empty file.
    pub fn to_ron(&self) -> Result<String, String> {
        let cfg = ron::ser::PrettyConfig::new()
            .struct_names(false)
            .extensions(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(self, cfg).map_err(|e| format!("cannot write the scenario: {e}"))
    }
}
