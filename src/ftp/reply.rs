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

/// Longest reply line accepted.
pub const MAX_REPLY_LINE: usize = 8 * 1024;
/// Most bytes one (multi-line) reply may take.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Malformed reply text from a server.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("malformed reply line: {0:?}")]
    Malformed(String),
    /// A line or a multi-line reply beyond the limits: the server is not speaking FTP (or
    /// is hostile); the client gives up the connection.
    #[error("the server's reply is longer than {0} bytes")]
    TooLong(usize),
}

/// Reassembles replies from a byte stream, within `MAX_REPLY_LINE` and `MAX_REPLY_BYTES`.
#[derive(Debug, Default)]
pub struct ReplyParser {
    buf: Vec<u8>,
    pending: Option<(u16, Vec<String>)>,
    pending_bytes: usize,
}

impl ReplyParser {
    /// Feeds bytes; returns every reply completed by them, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        let mut out = Vec::new();
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            self.buf.extend_from_slice(chunk);
            if chunk.last() != Some(&b'\n') {
                if self.buf.len() > MAX_REPLY_LINE {
                    self.buf.clear();
                    out.push(Err(ReplyError::TooLong(MAX_REPLY_LINE)));
                }
                continue;
            }
            let raw = std::mem::take(&mut self.buf);
            if raw.len() > MAX_REPLY_LINE {
                out.push(Err(ReplyError::TooLong(MAX_REPLY_LINE)));
                continue;
            }
            let line = String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_owned();
            self.pending_bytes += raw.len();
            if self.pending_bytes > MAX_REPLY_BYTES {
                self.pending = None;
                self.pending_bytes = 0;
                out.push(Err(ReplyError::TooLong(MAX_REPLY_BYTES)));
                continue;
            }
            if let Some(r) = self.line(line) {
                self.pending_bytes = 0;
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
                lines.push(line.get(4..).unwrap_or("").to_owned());
                None
            }
            (Some((_, lines)), _, _) => {
                lines.push(line);
                None
            }
            (None, Some(c), Some(b'-')) => {
                self.pending = Some((c, vec![line.get(4..).unwrap_or("").to_owned()]));
                None
            }
            (None, Some(c), Some(b' ') | None) if (100..600).contains(&c) => {
                Some(Ok(Reply::new(c, line.get(4..).unwrap_or(""))))
            }
            _ => Some(Err(ReplyError::Malformed(line))),
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

    #[test]
    fn endless_continuation_lines_and_endless_lines_are_cut() {
        let mut p = ReplyParser::default();
        let mut errors = 0;
        for _ in 0..10_000 {
            errors += p
                .feed(b"220-more and more\r\n")
                .iter()
                .filter(|r| r.is_err())
                .count();
        }
        assert!(errors > 0);
        assert!(p.pending_bytes <= MAX_REPLY_BYTES);
        let mut p = ReplyParser::default();
        let r = p.feed(&vec![b'2'; 3 * MAX_REPLY_LINE]);
        assert_eq!(r, [Err(ReplyError::TooLong(MAX_REPLY_LINE))]);
        assert!(p.buf.len() <= MAX_REPLY_LINE);
        assert_eq!(
            p.feed(b"\r\n220 ok\r\n").last(),
            Some(&Ok(Reply::new(220, "ok")))
        );
    }
}
