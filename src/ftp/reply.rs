//! FTP replies: a three-digit code and text (RFC 959 §4.2), single- or multi-line.
//!
//! A multi-line reply starts `123-text` and ends with a line `123 text`. `ReplyParser`
//! reassembles replies from whatever pieces TCP delivers; `Reply::to_wire` formats one.

use std::fmt;

/// One complete reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// The text; lines of a multi-line reply joined with '\n'.
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// 1xx: the command started; another reply follows.
    pub fn is_preliminary(&self) -> bool {
        (100..200).contains(&self.code)
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3xx: more input is needed (331 after USER).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// The bytes on the wire.
    pub fn to_wire(&self) -> String {
        let lines: Vec<&str> = self.text.split('\n').collect();
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{}{sep}{l}\r\n", self.code));
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text.replace('\n', " / "))
    }
}

/// Malformed reply text from a server.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed reply line: {0:?}")]
pub struct ReplyError(pub String);

/// Reassembles replies from a byte stream.
#[derive(Debug, Default)]
pub struct ReplyParser {
    buf: Vec<u8>,
    pending: Option<(u16, Vec<String>)>,
}

impl ReplyParser {
    /// Feeds bytes; returns every reply completed by them, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_owned();
            if let Some(r) = self.line(line) {
                out.push(r);
            }
        }
        out
    }

    fn line(&mut self, line: String) -> Option<Result<Reply, ReplyError>> {
        let code = line
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok());
        let sep = line.as_bytes().get(3).copied();
        match (&mut self.pending, code, sep) {
            // Final line of a multi-line reply: same code followed by a space (or nothing).
            (Some((pcode, lines)), Some(c), Some(b' ') | None) if c == *pcode => {
                lines.push(line.get(4..).unwrap_or("").to_owned());
                let (code, lines) = self.pending.take()?;
                Some(Ok(Reply {
                    code,
                    text: lines.join("\n"),
                }))
            }
            (Some((pcode, lines)), c, Some(b'-')) if c == Some(*pcode) => {
                lines.push(line[4..].to_owned());
                None
            }
            (Some((_, lines)), _, _) => {
                lines.push(line);
                None
            }
            (None, Some(c), Some(b'-')) => {
                self.pending = Some((c, vec![line[4..].to_owned()]));
                None
            }
            (None, Some(c), Some(b' ') | None) if (100..600).contains(&c) => {
                Some(Ok(Reply::new(c, line.get(4..).unwrap_or(""))))
            }
            _ => Some(Err(ReplyError(line))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_and_multiline_replies() {
        let mut p = ReplyParser::default();
        assert!(p.feed(b"220 (vsFTPd 3.0.3)\r").is_empty());
        let r = p.feed(b"\n230-Welcome\r\n230-to the lab\r\n230 Login successful.\r\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], Ok(Reply::new(220, "(vsFTPd 3.0.3)")));
        let r1 = r[1].as_ref().unwrap();
        assert_eq!(r1.code, 230);
        assert_eq!(r1.text, "Welcome\nto the lab\nLogin successful.");
        assert_eq!(
            r1.to_wire(),
            "230-Welcome\r\n230-to the lab\r\n230 Login successful.\r\n"
        );
        assert!(p.feed(b"hello\r\n")[0].is_err());
    }
}
