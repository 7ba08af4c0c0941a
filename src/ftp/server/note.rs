//! What a server session remarks on (for the operator, the transcript and the diagnosis), as
//! data: the diagnosis matches on these variants, never on their words. `Display` gives the
//! words.

use super::DataFailure;
use crate::ftp::announce::Kind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Why a PORT or EPRT was refused (RFC 2577).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// It names another host than the control connection's peer (a bounce, or a client
    /// behind a NAT that did not rewrite it).
    ForeignAddress { control: Ipv4Addr },
    /// It names a port below 1024.
    PrivilegedPort,
}

/// A remark of a server session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerNote {
    /// A PORT (or EPRT) was refused.
    RefusedAnnouncement {
        verb: Kind,
        addr: SocketAddrV4,
        why: Refusal,
    },
    /// No port of the passive range could be listened on. `session_ends`: the server gives up
    /// the whole session (vsftpd).
    PassiveRangeExhausted {
        range: (u16, u16),
        tried: u32,
        last: u16,
        why: String,
        session_ends: bool,
    },
    /// The active-mode connection to `to` did not open in time.
    ActiveConnectTimedOut {
        to: SocketAddrV4,
        secs: u64,
    },
    /// Nobody connected to the passive port in time (`since_pasv`: counted from PASV, not
    /// from the transfer command).
    PassiveAcceptTimedOut {
        secs: u64,
        since_pasv: bool,
    },
    /// The connection the server made at PORT time failed (pyftpdlib).
    ActiveConnectFailed {
        to: SocketAddrV4,
        failure: DataFailure,
    },
    /// The data connection for a transfer failed (`to`: the active-mode address).
    DataConnectionFailed {
        to: Option<SocketAddrV4>,
        failure: DataFailure,
    },
    /// A passive connection came from another host than the control connection's peer.
    RefusedPassivePeer {
        peer: SocketAddrV4,
        control: Ipv4Addr,
    },
    TransferStalled {
        secs: u64,
    },
    Idle {
        secs: u64,
    },
    UploadAbandoned,
    UploadShort {
        got: u64,
        want: u64,
    },
    ReadFailed(String),
    WriteFailed(String),
    StoreFailed(String),
    LoginsExhausted {
        fails: u32,
    },
}

/// `errno` of a failed connect, as the note says it.
pub fn failure_errno(why: DataFailure) -> &'static str {
    match why {
        DataFailure::Refused => "ECONNREFUSED (a TCP reset or an ICMP port unreachable)",
        DataFailure::Reset => "ECONNRESET",
        DataFailure::Unreachable => "EHOSTUNREACH (no route, or an ICMP unreachable)",
        DataFailure::NetUnreachable => {
            "ENETUNREACH (an ICMP net unreachable: a router has no route)"
        }
        DataFailure::TimedOut => "ETIMEDOUT",
    }
}

fn failure_how(why: DataFailure) -> &'static str {
    match why {
        DataFailure::Refused => {
            "was refused (ECONNREFUSED: a TCP reset or an ICMP port unreachable)"
        }
        DataFailure::Reset => "was reset",
        DataFailure::Unreachable => {
            "could not be made (EHOSTUNREACH: no route, or an ICMP unreachable)"
        }
        DataFailure::NetUnreachable => {
            "could not be made (ENETUNREACH: a router answered that it has no route)"
        }
        DataFailure::TimedOut => "timed out",
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ForeignAddress { control } => write!(
                f,
                "not the control connection's address {control} (RFC 2577 bounce protection)"
            ),
            Refusal::PrivilegedPort => f.write_str("privileged port below 1024 (RFC 2577)"),
        }
    }
}

impl fmt::Display for ServerNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerNote::RefusedAnnouncement { verb, addr, why } => {
                write!(f, "refused {} {addr}: {why}", verb.words())
            }
            ServerNote::PassiveRangeExhausted {
                range: (lo, hi),
                tried,
                last,
                why,
                session_ends: true,
            } => write!(
                f,
                "{tried} random ports of {lo}-{hi} were in use (last {last}: {why}): vsftpd gives up the session"
            ),
            ServerNote::PassiveRangeExhausted {
                range: (lo, hi),
                tried,
                last,
                why,
                session_ends: false,
            } => write!(
                f,
                "no free port in the passive range {lo}-{hi} after {tried} tries (last {last}: {why})"
            ),
            ServerNote::ActiveConnectTimedOut { to, secs } => write!(
                f,
                "the data connection to {to} was not established within {secs} s"
            ),
            ServerNote::PassiveAcceptTimedOut { secs, since_pasv } => write!(
                f,
                "no client connected to the passive port within {secs} s{}",
                if *since_pasv { " of PASV" } else { "" }
            ),
            ServerNote::ActiveConnectFailed { to, failure } => write!(
                f,
                "the data connection to {to} failed: {}",
                failure_errno(*failure)
            ),
            ServerNote::DataConnectionFailed { to, failure } => match to {
                Some(to) => write!(f, "the data connection to {to} {}", failure_how(*failure)),
                None => write!(f, "the data connection to the client {}", failure_how(*failure)),
            },
            ServerNote::RefusedPassivePeer { peer, control } => write!(
                f,
                "refused a passive data connection from {peer}: the control connection is from {control}"
            ),
            ServerNote::TransferStalled { secs } => {
                write!(f, "the transfer moved no data for {secs} s")
            }
            ServerNote::Idle { secs } => {
                write!(f, "no command for {secs} s: the session is closed")
            }
            ServerNote::UploadAbandoned => f.write_str(
                "the client closed the control connection during an upload: the file was not replaced",
            ),
            ServerNote::UploadShort { got, want } => write!(
                f,
                "the upload ended after {got} of the {want} bytes announced by ALLO: the file was not replaced"
            ),
            ServerNote::ReadFailed(e) => write!(f, "reading the file failed: {e}"),
            ServerNote::WriteFailed(e) => write!(f, "writing the upload failed: {e}"),
            ServerNote::StoreFailed(e) => write!(f, "storing the upload failed: {e}"),
            ServerNote::LoginsExhausted { fails } => {
                write!(f, "{fails} failed logins: the session is closed")
            }
        }
    }
}
