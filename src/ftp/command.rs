//! FTP commands on the control connection: parsing and formatting (RFC 959 §4.1, §5.3).
//!
//! A command is a verb, optionally a space and an argument, then CRLF. Verbs are
//! case-insensitive. `PORT` and `EPRT` carry an address and a port; their arguments are read
//! by `announce`, the one parser of announcements. This module only converts between bytes
//! and values: it decides nothing.

use super::announce::{AnnounceError, decode_host_port, encode_host_port, format_eprt, parse_eprt};
use std::fmt;
use std::net::SocketAddrV4;

/// One command line, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    Syst,
    Pwd,
    Cwd(String),
    Type(String),
    Port(SocketAddrV4),
    Pasv,
    /// RFC 2428 `EPRT |1|addr|port|`.
    Eprt(SocketAddrV4),
    /// RFC 2428 `EPSV`, `EPSV 1`, `EPSV ALL`.
    Epsv(Option<String>),
    /// `ALLO n`: the size of the next upload.
    Allo(String),
    List(Option<String>),
    Nlst(Option<String>),
    Retr(String),
    Stor(String),
    Quit,
    Noop,
    /// A verb this implementation does not know (answered with 500 or 502).
    Other {
        verb: String,
        arg: Option<String>,
    },
}

/// Why a command line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("empty command line")]
    Empty,
    #[error("{verb} needs an argument")]
    MissingArgument { verb: String },
    #[error("bad {verb} argument: {why}")]
    BadArgument { verb: String, why: String },
    /// EPRT naming a network protocol other than IPv4 (RFC 2428: reply 522).
    #[error("{verb}: network protocol not supported")]
    Protocol { verb: String },
}

impl Command {
    /// Parses one line (without its CRLF).
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v, Some(a.trim_start())),
            None => (line, None),
        };
        let arg = arg.filter(|a| !a.is_empty()).map(str::to_owned);
        if verb.is_empty() {
            return Err(CommandError::Empty);
        }
        let verb_up = verb.to_ascii_uppercase();
        let need = |arg: Option<String>| {
            arg.ok_or_else(|| CommandError::MissingArgument {
                verb: verb_up.clone(),
            })
        };
        Ok(match verb_up.as_str() {
            "USER" => Command::User(need(arg)?),
            // An empty password is legal (RFC 959 allows PASS with an empty string).
            "PASS" => Command::Pass(arg.unwrap_or_default()),
            "SYST" => Command::Syst,
            "PWD" | "XPWD" => Command::Pwd,
            "CWD" | "XCWD" => Command::Cwd(need(arg)?),
            "TYPE" => Command::Type(need(arg)?),
            "PORT" => {
                let a = need(arg)?;
                let addr = decode_host_port(&a).map_err(|e| CommandError::BadArgument {
                    verb: verb_up.clone(),
                    why: e.to_string(),
                })?;
                Command::Port(addr)
            }
            "PASV" => Command::Pasv,
            "EPRT" => {
                let a = need(arg)?;
                match parse_eprt(&a) {
                    Ok((addr, _)) => Command::Eprt(addr),
                    Err(AnnounceError::Protocol(_)) => {
                        return Err(CommandError::Protocol { verb: verb_up });
                    }
                    Err(e) => {
                        return Err(CommandError::BadArgument {
                            verb: verb_up,
                            why: e.to_string(),
                        });
                    }
                }
            }
            "EPSV" => Command::Epsv(arg),
            "ALLO" => Command::Allo(need(arg)?),
            "LIST" => Command::List(arg),
            "NLST" => Command::Nlst(arg),
            "RETR" => Command::Retr(need(arg)?),
            "STOR" => Command::Stor(need(arg)?),
            "QUIT" => Command::Quit,
            "NOOP" => Command::Noop,
            _ => Command::Other { verb: verb_up, arg },
        })
    }

    /// The verb, upper case (`PORT`, `LIST`, …).
    pub fn verb(&self) -> &str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Syst => "SYST",
            Command::Pwd => "PWD",
            Command::Cwd(_) => "CWD",
            Command::Type(_) => "TYPE",
            Command::Port(_) => "PORT",
            Command::Pasv => "PASV",
            Command::Eprt(_) => "EPRT",
            Command::Epsv(_) => "EPSV",
            Command::Allo(_) => "ALLO",
            Command::List(_) => "LIST",
            Command::Nlst(_) => "NLST",
            Command::Retr(_) => "RETR",
            Command::Stor(_) => "STOR",
            Command::Quit => "QUIT",
            Command::Noop => "NOOP",
            Command::Other { verb, .. } => verb,
        }
    }

    /// The line as sent on the wire, CRLF included.
    pub fn to_line(&self) -> String {
        format!("{self}\r\n")
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::User(a) | Command::Pass(a) | Command::Cwd(a) | Command::Type(a) => {
                write!(f, "{} {a}", self.verb())
            }
            Command::Retr(a) | Command::Stor(a) => write!(f, "{} {a}", self.verb()),
            Command::Port(addr) => write!(f, "PORT {}", encode_host_port(*addr)),
            Command::Eprt(addr) => write!(f, "EPRT {}", format_eprt(*addr)),
            Command::Allo(a) | Command::Epsv(Some(a)) => write!(f, "{} {a}", self.verb()),
            Command::List(a) | Command::Nlst(a) => match a {
                Some(a) => write!(f, "{} {a}", self.verb()),
                None => f.write_str(self.verb()),
            },
            Command::Other { verb, arg: Some(a) } => write!(f, "{verb} {a}"),
            _ => f.write_str(self.verb()),
        }
    }
}

/// The command word of a line, upper-cased (`"port 1,2"` → `"PORT"`), even for a line that
/// does not parse as a command.
pub fn verb(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// A command line as it may be shown or logged: `PASS secret` becomes `PASS ****`.
/// (Slices by `get`, so a line of multi-byte characters cannot make it panic.)
pub fn masked(line: &str) -> String {
    if line
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("PASS "))
    {
        "PASS ****".to_owned()
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn masked_hides_passwords_and_survives_multibyte_lines() {
        assert_eq!(masked("PASS secret"), "PASS ****");
        assert_eq!(masked("pass x"), "PASS ****");
        assert_eq!(masked("USER bob"), "USER bob");
        assert_eq!(masked("ééé"), "ééé");
        assert_eq!(masked("PASS"), "PASS");
    }

    use super::*;

    #[test]
    fn port_and_eprt_arguments_are_checked() {
        assert!(matches!(
            Command::parse("PORT 1,2,3"),
            Err(CommandError::BadArgument { .. })
        ));
        assert!(matches!(
            Command::parse("PORT"),
            Err(CommandError::MissingArgument { .. })
        ));
        assert!(matches!(
            Command::parse("EPRT |2|::1|5282|"),
            Err(CommandError::Protocol { .. })
        ));
        let e = Command::parse("EPRT |1|198.51.100.7|50131|").unwrap();
        assert_eq!(e.to_line(), "EPRT |1|198.51.100.7|50131|\r\n");
        assert_eq!(
            Command::parse("epsv all"),
            Ok(Command::Epsv(Some("all".into())))
        );
    }

    #[test]
    fn commands_parse_and_format() {
        assert_eq!(
            Command::parse("user anonymous"),
            Ok(Command::User("anonymous".into()))
        );
        assert_eq!(Command::parse("LIST\r\n"), Ok(Command::List(None)));
        assert_eq!(Command::parse("PASS"), Ok(Command::Pass(String::new())));
        assert_eq!(Command::parse(""), Err(CommandError::Empty));
        let port = Command::parse("PORT 198,51,100,7,195,211").unwrap();
        assert_eq!(port.to_line(), "PORT 198,51,100,7,195,211\r\n");
        assert!(matches!(Command::parse("FEAT"), Ok(Command::Other { .. })));
    }
}
