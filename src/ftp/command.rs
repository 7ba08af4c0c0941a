//! FTP commands on the control connection: parsing and formatting (RFC 959 §4.1, §5.3).
//!
//! A command is a verb, optionally a space and an argument, then CRLF. Verbs are
//! case-insensitive. `PORT h1,h2,h3,h4,p1,p2` carries an IPv4 address and a port
//! (port = p1·256 + p2, §4.1.2); the same encoding is scanned out of a 227 reply.
//! This module only converts between bytes and values: it decides nothing.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

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
}

/// Why a `h1,h2,h3,h4,p1,p2` host-port string is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostPortError {
    #[error("expected six comma-separated numbers, found {0}")]
    Count(usize),
    #[error("'{0}' is not a number from 0 to 255")]
    Number(String),
    #[error("port 0 cannot be connected to")]
    PortZero,
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

/// `198.51.100.7:50131` → `198,51,100,7,195,211`.
pub fn encode_host_port(addr: SocketAddrV4) -> String {
    let [a, b, c, d] = addr.ip().octets();
    let p = addr.port();
    format!("{a},{b},{c},{d},{},{}", p >> 8, p & 0xff)
}

/// `198,51,100,7,195,211` → `198.51.100.7:50131`. Spaces around numbers are tolerated.
pub fn decode_host_port(s: &str) -> Result<SocketAddrV4, HostPortError> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 6 {
        return Err(HostPortError::Count(parts.len()));
    }
    let mut n = [0u8; 6];
    for (slot, p) in n.iter_mut().zip(&parts) {
        let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
        *slot = match (ok, p.parse::<u8>()) {
            (true, Ok(v)) => v,
            _ => return Err(HostPortError::Number((*p).to_owned())),
        };
    }
    let port = u16::from(n[4]) << 8 | u16::from(n[5]);
    if port == 0 {
        return Err(HostPortError::PortZero);
    }
    Ok(SocketAddrV4::new(
        Ipv4Addr::new(n[0], n[1], n[2], n[3]),
        port,
    ))
}

/// Finds the host-port in a 227 reply's text, whatever its punctuation: RFC 1123 §4.1.2.6
/// advises scanning for the first run of six comma-separated numbers, since servers write
/// `(h1,…,p2)`, `=h1,…,p2` or plain `h1,…,p2`.
pub fn scan_227(text: &str) -> Result<SocketAddrV4, HostPortError> {
    let bytes = text.as_bytes();
    let mut best = HostPortError::Count(0);
    for start in 0..bytes.len() {
        let starts_run =
            bytes[start].is_ascii_digit() && (start == 0 || !bytes[start - 1].is_ascii_digit());
        if !starts_run {
            continue;
        }
        let run: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == ' ')
            .collect();
        let run = run.trim_end_matches([',', ' ']);
        if run.split(',').count() >= 6 {
            let six: Vec<&str> = run.split(',').take(6).collect();
            match decode_host_port(&six.join(",")) {
                Ok(a) => return Ok(a),
                Err(e) => best = e,
            }
        }
    }
    Err(best)
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
    fn port_argument_round_trips() {
        for port in [1u16, 20, 255, 256, 1024, 50131, 65535] {
            let addr = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), port);
            assert_eq!(decode_host_port(&encode_host_port(addr)), Ok(addr));
        }
        assert_eq!(
            encode_host_port("198.51.100.7:50131".parse().unwrap()),
            "198,51,100,7,195,211"
        );
        assert_eq!(195 * 256 + 211, 50131);
    }

    #[test]
    fn port_argument_rejects_malformed() {
        assert_eq!(decode_host_port("1,2,3,4,5"), Err(HostPortError::Count(5)));
        assert_eq!(
            decode_host_port("1,2,3,4,5,6,7"),
            Err(HostPortError::Count(7))
        );
        assert_eq!(
            decode_host_port("1,2,3,256,0,21"),
            Err(HostPortError::Number("256".into()))
        );
        assert_eq!(
            decode_host_port("1,2,3,-4,0,21"),
            Err(HostPortError::Number("-4".into()))
        );
        assert_eq!(
            decode_host_port("1,2,3,,0,21"),
            Err(HostPortError::Number("".into()))
        );
        assert_eq!(
            decode_host_port("a,2,3,4,0,21"),
            Err(HostPortError::Number("a".into()))
        );
        assert_eq!(
            decode_host_port("1,2,3,4,0,0"),
            Err(HostPortError::PortZero)
        );
        assert!(matches!(
            Command::parse("PORT 1,2,3"),
            Err(CommandError::BadArgument { .. })
        ));
        assert!(matches!(
            Command::parse("PORT"),
            Err(CommandError::MissingArgument { .. })
        ));
    }

    #[test]
    fn reply_227_is_scanned_in_its_variants() {
        let want: SocketAddrV4 = "203.0.113.10:10003".parse().unwrap();
        for text in [
            "Entering Passive Mode (203,0,113,10,39,19).",
            "Entering Passive Mode 203,0,113,10,39,19",
            "=203,0,113,10,39,19",
            "Passive 2 go (203, 0, 113, 10, 39, 19)",
        ] {
            assert_eq!(scan_227(text), Ok(want), "{text}");
        }
        assert!(scan_227("Entering Passive Mode").is_err());
        assert!(scan_227("Entering Passive Mode (203,0,113,10,39)").is_err());
        assert!(scan_227("(203,0,113,999,39,19)").is_err());
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
