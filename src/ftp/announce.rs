//! Announcements of a data connection on the control connection, parsed and written in one
//! place: `PORT h1,h2,h3,h4,p1,p2` and `EPRT |1|a.b.c.d|port|` from the client (active mode),
//! `227 … (h1,h2,h3,h4,p1,p2)` and `229 … (|||port|)` from the server (passive mode).
//!
//! RFC 959 §4.1.2 defines the host-port encoding (port = p1·256 + p2); RFC 1123 §4.1.2.6 warns
//! that servers punctuate 227 differently, so it is scanned for the first six comma-separated
//! numbers; RFC 2428 defines EPRT and EPSV/229 (any delimiter from ASCII 33–126, `|` usual;
//! network protocol 1 is IPv4, 2 is IPv6). The client, the server, the firewall's FTP helper,
//! the NAT's ALG, the narration and the inspector all read announcements through this module,
//! and every parser works on bytes with checked indexing: no input can make it panic.

use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;

/// Which announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// `PORT h1,h2,h3,h4,p1,p2` (active).
    Port,
    /// `EPRT |1|addr|port|` (active).
    Eprt,
    /// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` (passive).
    Pasv,
    /// `229 Entering Extended Passive Mode (|||port|)` (passive; no address).
    Epsv,
}

impl Kind {
    /// How people call it: `PORT`, `EPRT`, `227`, `229`.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Port => "PORT",
            Kind::Eprt => "EPRT",
            Kind::Pasv => "227",
            Kind::Epsv => "229",
        }
    }

    /// True for the client's announcements (active mode: the server will connect).
    pub fn active(self) -> bool {
        matches!(self, Kind::Port | Kind::Eprt)
    }
}

/// One announcement read from a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub kind: Kind,
    /// The announced address; `None` for 229, which names only a port (the data connection
    /// then goes to the control connection's address).
    pub ip: Option<Ipv4Addr>,
    pub port: u16,
    /// Where the address and port are written in the line, in bytes (what an ALG rewrites).
    pub span: Range<usize>,
}

impl Announcement {
    /// Where the data connection will go, given the control connection's peer address.
    pub fn target(&self, control_ip: Ipv4Addr) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip.unwrap_or(control_ip), self.port)
    }

    /// The same announcement naming `to` instead, written as the original was:
    /// `PORT 198,51,100,2,…`, `EPRT |1|198.51.100.2|…|`, `(…)` inside the 227 text.
    pub fn rewritten(&self, line: &str, to: SocketAddrV4) -> Option<String> {
        let text = match self.kind {
            Kind::Port | Kind::Pasv => encode_host_port(to),
            Kind::Eprt => {
                let d = line.get(self.span.start..self.span.start + 1)?;
                format!("{d}1{d}{}{d}{}{d}", to.ip(), to.port())
            }
            Kind::Epsv => to.port().to_string(),
        };
        let (head, tail) = (line.get(..self.span.start)?, line.get(self.span.end..)?);
        Some(format!("{head}{text}{tail}"))
    }
}

/// Why an announcement is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnnounceError {
    #[error("expected six comma-separated numbers, found {0}")]
    Count(usize),
    #[error("'{0}' is not a number from 0 to 255")]
    Number(String),
    #[error("port 0 cannot be connected to")]
    PortZero,
    #[error("network protocol {0} is not supported (1 is IPv4)")]
    Protocol(String),
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// `198.51.100.7:50131` → `198,51,100,7,195,211`.
pub fn encode_host_port(addr: SocketAddrV4) -> String {
    let [a, b, c, d] = addr.ip().octets();
    let p = addr.port();
    format!("{a},{b},{c},{d},{},{}", p >> 8, p & 0xff)
}

/// `198,51,100,7,195,211` → `198.51.100.7:50131`. Spaces around numbers are tolerated.
pub fn decode_host_port(s: &str) -> Result<SocketAddrV4, AnnounceError> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 6 {
        return Err(AnnounceError::Count(parts.len()));
    }
    let mut n = [0u8; 6];
    for (slot, p) in n.iter_mut().zip(&parts) {
        let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
        *slot = match (ok, p.parse::<u8>()) {
            (true, Ok(v)) => v,
            _ => return Err(AnnounceError::Number(p.chars().take(16).collect())),
        };
    }
    let port = u16::from(n[4]) << 8 | u16::from(n[5]);
    if port == 0 {
        return Err(AnnounceError::PortZero);
    }
    Ok(SocketAddrV4::new(
        Ipv4Addr::new(n[0], n[1], n[2], n[3]),
        port,
    ))
}

/// Finds the host-port in a 227 reply's text, whatever its punctuation (RFC 1123 §4.1.2.6:
/// the first run of six comma-separated numbers), and where it is written.
pub fn scan_host_port(text: &str) -> Result<(SocketAddrV4, Range<usize>), AnnounceError> {
    let b = text.as_bytes();
    let mut best = AnnounceError::Count(0);
    let mut start = 0;
    while start < b.len() {
        let starts_run =
            b[start].is_ascii_digit() && (start == 0 || !b[start - 1].is_ascii_digit());
        if !starts_run {
            start += 1;
            continue;
        }
        // The run: digits and commas (a space only after a comma); it ends after the sixth
        // number.
        let (mut end, mut commas, mut last) = (start, 0, b[start]);
        while end < b.len() {
            let c = b[end];
            if !(c.is_ascii_digit() || c == b',' || (c == b' ' && last == b',')) {
                break;
            }
            if c == b',' {
                commas += 1;
                if commas == 6 {
                    break;
                }
            }
            if c != b' ' {
                last = c;
            }
            end += 1;
        }
        let run = text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches([',', ' ']);
        if commas >= 5 {
            match decode_host_port(run) {
                Ok(a) => return Ok((a, start..start + run.len())),
                Err(e) => best = e,
            }
        }
        start = end.max(start + 1);
    }
    Err(best)
}

/// The 227 reply text's address (see `scan_host_port`).
pub fn scan_227(text: &str) -> Result<SocketAddrV4, AnnounceError> {
    scan_host_port(text).map(|(a, _)| a)
}

fn delimiter(c: u8) -> bool {
    (33..=126).contains(&c) && !c.is_ascii_alphanumeric() && c != b'.'
}

/// `EPRT |1|132.235.1.2|6275|` → its address and where the argument is. Network protocol 2
/// (IPv6) or any other is `AnnounceError::Protocol` (the server answers 522).
pub fn parse_eprt(arg: &str) -> Result<(SocketAddrV4, Range<usize>), AnnounceError> {
    let lead = arg.len() - arg.trim_start().len();
    let a = arg.trim();
    let d = *a
        .as_bytes()
        .first()
        .ok_or(AnnounceError::Malformed("empty"))?;
    if !delimiter(d) {
        return Err(AnnounceError::Malformed("no delimiter"));
    }
    let fields: Vec<&str> = a.split(char::from(d)).collect();
    let [empty, af, addr, port, tail] = fields.as_slice() else {
        return Err(AnnounceError::Malformed("expected |1|address|port|"));
    };
    if !empty.is_empty() || !tail.is_empty() {
        return Err(AnnounceError::Malformed("expected |1|address|port|"));
    }
    if *af != "1" {
        return Err(AnnounceError::Protocol(af.chars().take(8).collect()));
    }
    let ip: Ipv4Addr = addr
        .parse()
        .map_err(|_| AnnounceError::Malformed("not an IPv4 address"))?;
    let port = parse_port(port)?;
    Ok((SocketAddrV4::new(ip, port), lead..lead + a.len()))
}

/// `|1|132.235.1.2|6275|`.
pub fn format_eprt(addr: SocketAddrV4) -> String {
    format!("|1|{}|{}|", addr.ip(), addr.port())
}

fn parse_port(s: &str) -> Result<u16, AnnounceError> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AnnounceError::Malformed("the port is not a number"));
    }
    match s.parse::<u16>() {
        Ok(0) => Err(AnnounceError::PortZero),
        Ok(p) => Ok(p),
        Err(_) => Err(AnnounceError::Malformed("the port is above 65535")),
    }
}

/// The port of a 229 reply text, `(|||6446|)` with any delimiter, and where the port is.
pub fn scan_229(text: &str) -> Result<(u16, Range<usize>), AnnounceError> {
    let b = text.as_bytes();
    for (open, _) in text.match_indices('(') {
        let Some(&d) = b.get(open + 1) else { break };
        if !delimiter(d) || b.get(open + 2) != Some(&d) || b.get(open + 3) != Some(&d) {
            continue;
        }
        let start = open + 4;
        let len = b[start.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if b.get(start + len) == Some(&d) && b.get(start + len + 1) == Some(&b')') {
            let port = parse_port(text.get(start..start + len).unwrap_or(""))?;
            return Ok((port, start..start + len));
        }
    }
    Err(AnnounceError::Malformed("no (|||port|) in the 229 reply"))
}

/// `229 Entering Extended Passive Mode (|||6446|)` text for a port.
/// vsftpd's 229 text (measured: no period after the parenthesis).
pub fn format_229(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}

/// The command word of a line, upper-cased, and the rest (no byte slicing).
fn verb_and_rest(line: &str) -> (String, &str) {
    let t = line.trim_start();
    let (v, rest) = t.split_once(' ').unwrap_or((t, ""));
    (v.to_ascii_uppercase(), rest)
}

/// Reads one line of control-connection text. From the client: `PORT` and `EPRT` commands;
/// from the server: `227` and `229` replies. `None` when the line announces nothing.
pub fn parse_line(line: &str, from_client: bool) -> Option<Result<Announcement, AnnounceError>> {
    let offset_of = |rest: &str| line.len() - rest.len();
    if from_client {
        let (verb, rest) = verb_and_rest(line);
        let rest = rest.trim_end_matches(['\r', '\n']);
        let base = offset_of(rest);
        return match verb.as_str() {
            "PORT" => Some(decode_host_port(rest.trim()).map(|a| {
                let lead = rest.len() - rest.trim_start().len();
                Announcement {
                    kind: Kind::Port,
                    ip: Some(*a.ip()),
                    port: a.port(),
                    span: base + lead..base + rest.trim_end().len(),
                }
            })),
            "EPRT" => Some(parse_eprt(rest).map(|(a, r)| Announcement {
                kind: Kind::Eprt,
                ip: Some(*a.ip()),
                port: a.port(),
                span: base + r.start..base + r.end,
            })),
            _ => None,
        };
    }
    if line.starts_with("227") {
        Some(scan_host_port(line).map(|(a, span)| Announcement {
            kind: Kind::Pasv,
            ip: Some(*a.ip()),
            port: a.port(),
            span,
        }))
    } else if line.starts_with("229") {
        Some(scan_229(line).map(|(port, span)| Announcement {
            kind: Kind::Epsv,
            ip: None,
            port,
            span,
        }))
    } else {
        None
    }
}

/// Reads a line from either side (a command or a reply): `parse_line` for both.
pub fn parse_any(line: &str) -> Option<Result<Announcement, AnnounceError>> {
    parse_line(line, true).or_else(|| parse_line(line, false))
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn port_argument_rejects_malformed() {
        assert_eq!(decode_host_port("1,2,3,4,5"), Err(AnnounceError::Count(5)));
        assert_eq!(
            decode_host_port("1,2,3,4,5,6,7"),
            Err(AnnounceError::Count(7))
        );
        for bad in [
            "1,2,3,256,0,21",
            "1,2,3,-4,0,21",
            "1,2,3,,0,21",
            "a,2,3,4,0,21",
        ] {
            assert!(
                matches!(decode_host_port(bad), Err(AnnounceError::Number(_))),
                "{bad}"
            );
        }
        assert_eq!(
            decode_host_port("1,2,3,4,0,0"),
            Err(AnnounceError::PortZero)
        );
    }

    #[test]
    fn reply_227_is_scanned_in_its_variants() {
        let want: SocketAddrV4 = "203.0.113.10:10003".parse().unwrap();
        for text in [
            "227 Entering Passive Mode (203,0,113,10,39,19).",
            "227 Entering Passive Mode 203,0,113,10,39,19",
            "227 =203,0,113,10,39,19",
            "227 Passive 2 go (203, 0, 113, 10, 39, 19)",
            "227 entering passive mode (203,0,113,10,39,19)",
            "227 Entering Passive Mode (203,0,113,10,39,19,7)",
            "227 203,0,113,10,39,19",
        ] {
            let a = parse_line(text, false).unwrap().unwrap();
            assert_eq!(a.target(Ipv4Addr::UNSPECIFIED), want, "{text}");
            assert!(text[a.span.clone()].starts_with("203"), "{text}");
        }
        for bad in [
            "227 Entering Passive Mode",
            "227 Entering Passive Mode (203,0,113,10,39)",
            "227 (203,0,113,999,39,19)",
        ] {
            assert!(parse_line(bad, false).unwrap().is_err(), "{bad}");
        }
    }

    #[test]
    fn eprt_and_229_parse_and_refuse_what_they_must() {
        let a = parse_line("EPRT |1|198.51.100.7|50131|", true)
            .unwrap()
            .unwrap();
        assert_eq!(
            (a.kind, a.ip, a.port),
            (Kind::Eprt, Some("198.51.100.7".parse().unwrap()), 50131)
        );
        let b = parse_line("eprt !1!198.51.100.7!50131!", true)
            .unwrap()
            .unwrap();
        assert_eq!(b.port, 50131);
        assert_eq!(
            parse_line("EPRT |2|::1|5282|", true).unwrap(),
            Err(AnnounceError::Protocol("2".into()))
        );
        for bad in [
            "EPRT |1|1.2.3.4|70000|",
            "EPRT |1|1.2.3|50|",
            "EPRT |1|1.2.3.4|50",
            "EPRT 1|1.2.3.4|5|",
            "EPRT |1|1.2.3.4|0|",
            "EPRT",
        ] {
            assert!(parse_line(bad, true).unwrap().is_err(), "{bad}");
        }
        let e = parse_line("229 Entering Extended Passive Mode (|||6446|).", false)
            .unwrap()
            .unwrap();
        assert_eq!((e.kind, e.ip, e.port), (Kind::Epsv, None, 6446));
        assert_eq!(
            e.target("203.0.113.10".parse().unwrap()).to_string(),
            "203.0.113.10:6446"
        );
        assert!(
            parse_line("229 Entering Extended Passive Mode (||6446|)", false)
                .unwrap()
                .is_err()
        );
        assert!(parse_line("LIST", true).is_none());
        assert!(parse_line("200 ok", false).is_none());
    }

    #[test]
    fn rewriting_keeps_the_rest_of_the_line() {
        let line = "PORT 10,0,0,5,195,211";
        let a = parse_line(line, true).unwrap().unwrap();
        let to = "198.51.100.2:40000".parse().unwrap();
        assert_eq!(a.rewritten(line, to).unwrap(), "PORT 198,51,100,2,156,64");
        let line = "227 Entering Passive Mode (10,0,0,5,39,17).";
        let a = parse_line(line, false).unwrap().unwrap();
        assert_eq!(
            a.rewritten(line, to).unwrap(),
            "227 Entering Passive Mode (198,51,100,2,156,64)."
        );
        let line = "EPRT |1|10.0.0.5|50131|";
        let a = parse_line(line, true).unwrap().unwrap();
        assert_eq!(
            a.rewritten(line, to).unwrap(),
            "EPRT |1|198.51.100.2|40000|"
        );
    }

    #[test]
    fn multibyte_text_never_panics() {
        for line in [
            "ééé",
            "PORT é,1,2,3,4,5",
            "227 é(1,2,3,4,5,6)é",
            "229 (|||é|)",
            "EPRT é1é1.2.3.4é5é",
            "227 1,2,3,4,5,ß",
        ] {
            let _ = parse_line(line, true);
            let _ = parse_line(line, false);
        }
    }
}
