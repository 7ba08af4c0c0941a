//! What the user does at the `ftp>` prompt, and how each action ended: plain data shared by
//! the client, the trace, the diagnosis, exercises and captures.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddrV4;
use std::str::FromStr;

/// Active (PORT: the server connects to the client) or passive (PASV: the client connects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Active,
    Passive,
}

/// One thing the user types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserAction {
    Connect,
    Login { user: String, pass: String },
    SetMode(Mode),
    Ls(Option<String>),
    Get(String),
    Put { name: String, data: Vec<u8> },
    Quit,
}

impl UserAction {
    /// As typed at the `ftp>` prompt.
    pub fn typed(&self, server: SocketAddrV4) -> String {
        match self {
            UserAction::Connect if server.port() == 21 => format!("open {}", server.ip()),
            UserAction::Connect => format!("open {} {}", server.ip(), server.port()),
            UserAction::Login { user, .. } => format!("user {user}"),
            UserAction::SetMode(Mode::Passive) => "passive on".to_owned(),
            UserAction::SetMode(Mode::Active) => "passive off".to_owned(),
            UserAction::Ls(None) => "ls".to_owned(),
            UserAction::Ls(Some(p)) => format!("ls {p}"),
            UserAction::Get(f) => format!("get {f}"),
            UserAction::Put { name, .. } => format!("put {name}"),
            UserAction::Quit => "quit".to_owned(),
        }
    }

    /// What kind of action it is (for results and diagnoses).
    pub fn kind(&self) -> ActionKind {
        match self {
            UserAction::Connect => ActionKind::Connect,
            UserAction::Login { .. } => ActionKind::Login,
            UserAction::SetMode(m) => ActionKind::Mode(*m),
            UserAction::Ls(_) => ActionKind::Ls,
            UserAction::Get(f) => ActionKind::Get(f.clone()),
            UserAction::Put { name, .. } => ActionKind::Put(name.clone()),
            UserAction::Quit => ActionKind::Quit,
        }
    }
}

/// What a user action was, as results and diagnoses name it. `Display` gives its short name
/// ("ls", "get readme.txt"), which is also how a scenario's `expect` names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionKind {
    Connect,
    Login,
    Mode(Mode),
    Ls,
    Get(String),
    Put(String),
    Quit,
    /// In a capture: a data connection was set up (PORT, PASV, …) for a transfer that was
    /// refused or never came.
    DataTransfer,
}

impl ActionKind {
    /// A listing, a download, an upload, or a capture's data transfer: an action that needs a
    /// data connection.
    pub fn is_transfer(&self) -> bool {
        matches!(
            self,
            ActionKind::Ls | ActionKind::Get(_) | ActionKind::Put(_) | ActionKind::DataTransfer
        )
    }

    /// The action as a sentence's subject: "Listing", "Downloading readme.txt".
    pub fn doing(&self) -> String {
        match self {
            ActionKind::Ls => "Listing".to_owned(),
            ActionKind::Get(f) => format!("Downloading {f}"),
            ActionKind::Put(f) => format!("Uploading {f}"),
            ActionKind::Connect => "Connecting".to_owned(),
            ActionKind::Login => "Logging in".to_owned(),
            ActionKind::Quit => "Quitting".to_owned(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionKind::Connect => f.write_str("connect"),
            ActionKind::Login => f.write_str("login"),
            ActionKind::Mode(Mode::Active) => f.write_str("active mode"),
            ActionKind::Mode(Mode::Passive) => f.write_str("passive mode"),
            ActionKind::Ls => f.write_str("ls"),
            ActionKind::Get(n) => write!(f, "get {n}"),
            ActionKind::Put(n) => write!(f, "put {n}"),
            ActionKind::Quit => f.write_str("quit"),
            ActionKind::DataTransfer => f.write_str("data transfer"),
        }
    }
}

impl FromStr for ActionKind {
    type Err = String;
    /// The short name, as `Display` writes it.
    fn from_str(s: &str) -> Result<ActionKind, String> {
        let s = s.trim();
        Ok(match s {
            "connect" => ActionKind::Connect,
            "login" => ActionKind::Login,
            "active mode" => ActionKind::Mode(Mode::Active),
            "passive mode" => ActionKind::Mode(Mode::Passive),
            "ls" => ActionKind::Ls,
            "quit" => ActionKind::Quit,
            "data transfer" => ActionKind::DataTransfer,
            _ => match s.split_once(' ') {
                Some(("get", f)) if !f.trim().is_empty() => ActionKind::Get(f.trim().to_owned()),
                Some(("put", f)) if !f.trim().is_empty() => ActionKind::Put(f.trim().to_owned()),
                _ => {
                    return Err(format!(
                        "'{s}' is not an action: connect, login, active mode, passive mode, ls, get FILE, put FILE, quit"
                    ));
                }
            },
        })
    }
}

/// How one user action ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub index: usize,
    pub action: ActionKind,
    pub ok: bool,
    /// The reply that decided it, if one did.
    pub reply: Option<u16>,
    /// Plain words: "listing received (180 bytes)", "425 Failed to establish connection.".
    pub detail: String,
    /// Bytes moved on the data connection.
    pub bytes: u64,
}
