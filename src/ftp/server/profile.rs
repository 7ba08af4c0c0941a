//! Real servers as rows of a table: when each one connects, from which port, how it retries a
//! passive port, its timeouts, its banner and reply texts, and what the narration says of it.
//! The session reads its row; it never asks which server it is. A third server is a third row
//! (and a variant of `ServerProfile`), not a branch in the session.
//!
//! Sources: vsftpd 3.0 (`postlogin.c`, `privops.c`, `tunables.c`), pyftpdlib 2.x (`handlers.py`:
//! `ActiveDTP`, `PassiveDTP`, `ftp_PORT`, `ftp_PASV`), and what both did on real Linux.

use super::PasvRetry;
use crate::ftp::command::CommandError;
use serde::{Deserialize, Serialize};
use std::net::SocketAddrV4;
use std::time::Duration;

/// Which real server's behaviour the simulated server shows where servers differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerProfile {
    /// vsftpd 3.0 (the default): 9 random tries for a passive port, then `500 OOPS`.
    #[default]
    Vsftpd,
    /// pyftpdlib 2.x: every port of the passive range is tried.
    Pyftpdlib,
}

/// When an active-mode server opens the data connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectsAt {
    /// When the transfer command arrives (RFC 959 §5.2; vsftpd); PORT is answered at once.
    Transfer,
    /// As soon as PORT arrives, answering PORT only once it knows (pyftpdlib).
    Port,
}

/// A setting the server takes from its configuration, or one it always has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixed<T> {
    Configured,
    Always(T),
}

impl<T: Copy> Fixed<T> {
    /// The server's value: its own, or what it was configured with.
    pub fn or(self, configured: T) -> T {
        match self {
            Fixed::Configured => configured,
            Fixed::Always(v) => v,
        }
    }
}

/// How a server fails a data connection that did not open in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `425 Failed to establish connection.` to the transfer command (vsftpd).
    Refuse425,
    /// `421 Active/Passive data channel timed out.`, the session stays open (pyftpdlib).
    DataChannel421,
}

/// One server's behaviour.
pub struct Behaviour {
    pub name: &'static str,
    /// How it differs, in a line (the window's tooltip).
    pub summary: &'static str,
    /// The 220 text (`Configured`: the operator's banner).
    pub banner: Fixed<&'static str>,
    pub connects_at: ConnectsAt,
    /// Where an active-mode connection comes from (`Always(None)`: an ephemeral port).
    pub active_source: Fixed<Option<u16>>,
    pub connect_timeout: Fixed<Duration>,
    pub accept_timeout: Fixed<Duration>,
    /// The passive timeout runs from PASV (pyftpdlib), not from the transfer command.
    pub accept_from_pasv: bool,
    pub pasv_retry: PasvRetry,
    /// Where its passive ports come from when no range is configured (`None`: anywhere in
    /// 1024–65535, as vsftpd without `pasv_min_port`).
    pub unconfigured_passive: Option<(u16, u16)>,
    /// What it says when no passive port could be had, and whether it ends the session.
    pub exhausted: Exhausted,
    pub timeout_reply: TimeoutReply,
    pub texts: Texts,
    /// Replies only this server words so, and what the narration says about them.
    pub told: &'static [(&'static str, &'static str)],
    /// Words in a reply that only this server writes (to tell it in a capture).
    pub marks: &'static [&'static str],
}

/// A server's answer when every passive port it tried was taken.
pub struct Exhausted {
    pub code: u16,
    pub text: &'static str,
    /// vsftpd's `die()`: the reply, then the session is closed.
    pub ends_session: bool,
}

/// A server's reply texts where servers differ.
pub struct Texts {
    /// The 331 after USER.
    pub user_ok: &'static str,
    /// The 226 after a listing.
    pub listing_done: &'static str,
    pub port_ok: &'static str,
    pub eprt_ok: &'static str,
    /// The PORT reply once the connection made at PORT time is up.
    pub active_open: &'static str,
    /// To the transfer command when the data connection was refused or unreachable.
    pub connect_failed: &'static str,
    pub pasv_words: &'static str,
    pub epsv: fn(u16) -> String,
    /// A PORT/EPRT refused (RFC 2577): the code and text.
    pub refuse_port: fn(verb: &str, addr: SocketAddrV4, foreign: bool) -> (u16, String),
    /// A command that does not parse.
    pub unparsed: fn(&CommandError) -> (u16, String),
    /// 125 when the data connection is already open at the transfer command.
    pub already_open: Option<&'static str>,
    /// 150 sent while the passive connection is still awaited.
    pub awaited: Option<&'static str>,
}

fn vsftpd_epsv(port: u16) -> String {
    crate::ftp::announce::format_229(port)
}

fn pyftpdlib_epsv(port: u16) -> String {
    format!("Entering extended passive mode (|||{port}|).")
}

fn vsftpd_refuse(verb: &str, _addr: SocketAddrV4, _foreign: bool) -> (u16, String) {
    (500, format!("Illegal {verb} command."))
}

fn pyftpdlib_refuse(verb: &str, addr: SocketAddrV4, foreign: bool) -> (u16, String) {
    if foreign {
        (
            501,
            format!(
                "Rejected data connection to foreign address {}:{}.",
                addr.ip(),
                addr.port()
            ),
        )
    } else {
        (
            501,
            format!(
                "{verb} against the privileged port \"{}\" refused.",
                addr.port()
            ),
        )
    }
}

fn vsftpd_unparsed(e: &CommandError) -> (u16, String) {
    match e {
        CommandError::Empty => (500, "Unknown command.".into()),
        CommandError::BadArgument { verb, .. } if verb == "PORT" => {
            (500, "Illegal PORT command.".into())
        }
        CommandError::BadArgument { verb, .. } if verb == "EPRT" => {
            (500, "Bad EPRT command.".into())
        }
        // RFC 2428 §2 (vsftpd answers `500 Bad EPRT protocol.` instead).
        CommandError::Protocol { .. } => (522, "Network protocol not supported, use (1).".into()),
        e => (501, format!("Syntax error: {e}.")),
    }
}

fn pyftpdlib_unparsed(e: &CommandError) -> (u16, String) {
    match e {
        CommandError::Empty => (500, "Command \"\" not understood.".into()),
        CommandError::BadArgument { verb, .. } if verb == "PORT" => {
            (501, "Invalid PORT format.".into())
        }
        CommandError::BadArgument { verb, .. } if verb == "EPRT" => {
            (501, "Invalid EPRT format.".into())
        }
        CommandError::Protocol { .. } => (522, "Network protocol not supported (use 1).".into()),
        e => (501, format!("Syntax error: {e}.")),
    }
}

pub static VSFTPD: Behaviour = Behaviour {
    name: "vsftpd",
    summary: "Answers PORT at once, connects when LIST/RETR/STOR comes, 425 after 60 s",
    // vsftpd's default banner names it and its version (measured: `220 (vsFTPd 3.0.3)`).
    banner: Fixed::Always("(vsFTPd 3.0.3)"),
    connects_at: ConnectsAt::Transfer,
    active_source: Fixed::Configured,
    connect_timeout: Fixed::Configured,
    accept_timeout: Fixed::Configured,
    accept_from_pasv: false,
    // privops.c, vsf_privop_pasv_listen: `int bind_retries = 10; while (--bind_retries)`,
    // so 9 random ports of the range.
    pasv_retry: PasvRetry::RandomThenQuit { picks: 9 },
    unconfigured_passive: None,
    // vsf_sysutil_bind failing in vsf_privop_get_pasv_port ends in die(): `500 OOPS: …`.
    exhausted: Exhausted {
        code: 500,
        text: "OOPS: vsf_sysutil_bind, maximum number of attempts to find a listening port exceeded",
        ends_session: true,
    },
    timeout_reply: TimeoutReply::Refuse425,
    texts: Texts {
        user_ok: "Please specify the password.",
        listing_done: "Directory send OK.",
        port_ok: "PORT command successful. Consider using PASV.",
        eprt_ok: "EPRT command successful. Consider using EPSV.",
        active_open: "PORT command successful. Consider using PASV.",
        connect_failed: "Failed to establish connection.",
        pasv_words: "Entering Passive Mode",
        epsv: vsftpd_epsv,
        refuse_port: vsftpd_refuse,
        unparsed: vsftpd_unparsed,
        already_open: None,
        awaited: None,
    },
    told: &[(
        "Failed to establish connection.",
        " These are vsftpd's words: it tried the data connection only when the transfer command came, for 60 s. pyftpdlib would have tried at PORT time and answered the PORT itself (421 after 30 s on a drop, 425 at once on a reject).",
    )],
    marks: &[],
};

pub static PYFTPDLIB: Behaviour = Behaviour {
    name: "pyftpdlib",
    summary: "Connects at PORT time from an ephemeral port, 421 after 30 s; passive waits 30 s from PASV",
    // control.py: `banner = f"pyftpdlib {__ver__} ready."` (measured: 2.2.0).
    banner: Fixed::Always("pyftpdlib 2.2.0 ready."),
    connects_at: ConnectsAt::Port,
    active_source: Fixed::Always(None),
    // ActiveDTP.timeout and PassiveDTP.timeout.
    connect_timeout: Fixed::Always(Duration::from_secs(30)),
    accept_timeout: Fixed::Always(Duration::from_secs(30)),
    accept_from_pasv: true,
    pasv_retry: PasvRetry::EveryPort,
    // Without `passive_ports` it binds port 0: the kernel's ephemeral range
    // (net.ipv4.ip_local_port_range, 32768–60999 by default; measured).
    unconfigured_passive: Some((32768, 60999)),
    // PassiveDTP: "Can't open passive connection." when no port of the range binds.
    exhausted: Exhausted {
        code: 425,
        text: "Can't open passive connection.",
        ends_session: false,
    },
    timeout_reply: TimeoutReply::DataChannel421,
    texts: Texts {
        // control.py: ftp_USER, and the data channel's "226 Transfer complete." for all.
        user_ok: "Username ok, send password.",
        listing_done: "Transfer complete.",
        port_ok: "Active data connection established.",
        eprt_ok: "Active data connection established.",
        active_open: "Active data connection established.",
        connect_failed: "Can't connect to specified address.",
        pasv_words: "Entering passive mode",
        epsv: pyftpdlib_epsv,
        refuse_port: pyftpdlib_refuse,
        unparsed: pyftpdlib_unparsed,
        already_open: Some("Data connection already open. Transfer starting."),
        awaited: Some("File status okay. About to open data connection."),
    },
    told: &[
        (
            "Active data connection established.",
            " pyftpdlib's words: it connected as soon as PORT arrived and answered only then. vsftpd answers PORT at once and connects when the transfer command comes.",
        ),
        (
            "Active data channel timed out.",
            " pyftpdlib gives up the active data connection 30 s after PORT, and the session stays open: the client never sends LIST. vsftpd would have answered PORT with 200 at once and the LIST with 425 after 60 s.",
        ),
        (
            "Passive data channel timed out.",
            " pyftpdlib stops waiting for the passive connection 30 s after PASV, and the session stays open. vsftpd waits 60 s, and only once the transfer command has come.",
        ),
        (
            "Can't connect to specified address.",
            " pyftpdlib's words for a refused data connection (vsftpd says 425 Failed to establish connection.).",
        ),
    ],
    marks: &[
        "pyftpdlib",
        "Username ok, send password",
        "Active data connection established",
        "Entering passive mode",
        "data channel timed out",
        "Can't connect to specified address",
    ],
};

impl ServerProfile {
    pub const ALL: [ServerProfile; 2] = [ServerProfile::Vsftpd, ServerProfile::Pyftpdlib];

    /// Its row of the table.
    pub fn behaviour(self) -> &'static Behaviour {
        match self {
            ServerProfile::Vsftpd => &VSFTPD,
            ServerProfile::Pyftpdlib => &PYFTPDLIB,
        }
    }

    pub fn name(self) -> &'static str {
        self.behaviour().name
    }

    /// What the narration says of a reply text only one server uses ("" for any other).
    pub fn told(text: &str) -> &'static str {
        ServerProfile::ALL
            .iter()
            .flat_map(|p| p.behaviour().told)
            .find(|(t, _)| *t == text)
            .map_or("", |(_, words)| *words)
    }

    /// The server whose words these lines are (a capture's): the first row with one of its
    /// marks among them, or the default.
    pub fn recognise<'a>(lines: impl IntoIterator<Item = &'a str>) -> ServerProfile {
        let lines: Vec<&str> = lines.into_iter().collect();
        ServerProfile::ALL
            .into_iter()
            .find(|p| {
                p.behaviour()
                    .marks
                    .iter()
                    .any(|m| lines.iter().any(|l| l.contains(m)))
            })
            .unwrap_or_default()
    }

    /// A reply (as "500 OOPS: …") that says the server had no free passive port: its text,
    /// up to the first comma (a capture may show only `500 OOPS: vsf_sysutil_bind`).
    pub fn means_range_exhausted(reply: &str) -> bool {
        ServerProfile::ALL.iter().any(|p| {
            let text = p.behaviour().exhausted.text;
            reply.contains(text.split(',').next().unwrap_or(text))
        })
    }
}
