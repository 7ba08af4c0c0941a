//! A lexer for RON text that follows ron's own lexical rules: line comments, *nested* block
//! comments (`/* /* */ */`), strings with escapes, raw strings (`r#"…"#`), byte strings,
//! character literals, raw identifiers (`r#name`). It is linear in the text and keeps no
//! recursion, so it can look at any file before ron does.
//!
//! Two things use it: the limits check that runs before ron parses a file (nesting depth, and
//! the cost ron will pay for escapes, which is quadratic in ron 0.11: each `\` escape makes it
//! search for the next `"` again), and the position scanner that maps field paths to lines.

/// Deepest nesting of `(`, `[` and `{` accepted in a scenario file (a real one nests about 6).
pub const MAX_DEPTH: usize = 64;
/// The most work ron may do on escapes: for each `\` escape, the distance to the next `"`.
/// 256 M byte comparisons take ron about 25 ms; a 64 KB text with a thousand `\n` is 64 M.
pub const MAX_ESCAPE_COST: u64 = 256 * 1024 * 1024;

/// What a token is. Byte ranges index the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Open(u8),
    Close(u8),
    Comma,
    Colon,
    /// A string of any kind; `start..end` is its contents (raw: as written).
    Str {
        start: usize,
        end: usize,
    },
    Ident {
        start: usize,
        end: usize,
    },
    /// A number, a char literal, or anything else that is one value.
    Atom,
    /// A lone punctuation mark (`#`, `!`).
    Punct(u8),
}

/// A token and where it starts (1-based line and column, columns in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
}

/// A limit the text goes beyond.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Iterates over the tokens of a RON text. Never fails: an unclosed string or comment ends
/// the text (ron reports those itself).
pub struct Lexer<'a> {
    src: &'a str,
    i: usize,
    line: usize,
    col: usize,
    depth: usize,
    max_depth: (usize, usize, usize),
    escape_cost: u64,
}

fn is_ws(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200E}' | '\u{200F}')
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            i: 0,
            line: 1,
            col: 1,
            depth: 0,
            max_depth: (0, 1, 1),
            escape_cost: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.i..].chars().next()
    }

    fn peek_at(&self, byte_offset: usize) -> Option<char> {
        self.src.get(self.i + byte_offset..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn starts_with(&self, s: &str) -> bool {
        self.src[self.i..].starts_with(s)
    }

    /// Skips whitespace and comments (block comments nest, as in ron).
    fn skip_trivia(&mut self) {
        loop {
            if self.peek().is_some_and(is_ws) {
                self.bump();
            } else if self.starts_with("//") {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else if self.starts_with("/*") {
                self.bump();
                self.bump();
                let mut level = 1usize;
                while level > 0 && self.peek().is_some() {
                    if self.starts_with("/*") {
                        self.bump();
                        self.bump();
                        level += 1;
                    } else if self.starts_with("*/") {
                        self.bump();
                        self.bump();
                        level -= 1;
                    } else {
                        self.bump();
                    }
                }
            } else {
                return;
            }
        }
    }

    /// An escaped string after its opening quote. Adds ron's escape cost: each escape makes
    /// ron search to the next `"` (escaped or not), so an escape at byte p costs q - p.
    fn escaped_string(&mut self) -> (usize, usize) {
        let start = self.i;
        let (mut pending, mut pending_sum) = (0u64, 0u64);
        loop {
            let Some(c) = self.bump() else {
                return (start, self.i);
            };
            match c {
                '\\' => {
                    pending += 1;
                    pending_sum += self.i as u64;
                    if self.peek() == Some('"') {
                        let q = self.i as u64;
                        self.add_escape_cost(pending, pending_sum, q);
                        (pending, pending_sum) = (0, 0);
                    }
                    self.bump();
                }
                '"' => {
                    let q = self.i as u64;
                    self.add_escape_cost(pending, pending_sum, q);
                    return (start, self.i - 1);
                }
                _ => {}
            }
        }
    }

    fn add_escape_cost(&mut self, count: u64, sum: u64, q: u64) {
        let cost = count.saturating_mul(q).saturating_sub(sum);
        self.escape_cost = self.escape_cost.saturating_add(cost);
    }

    /// A raw string after its `r`: `#`s, a quote, the text, a quote and the same `#`s.
    fn raw_string(&mut self) -> (usize, usize) {
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // the quote
        let start = self.i;
        let ending = format!("\"{}", "#".repeat(hashes));
        let end = self.src[self.i..]
            .find(&ending)
            .map_or(self.src.len(), |k| self.i + k);
        while self.i < end {
            self.bump();
        }
        for _ in 0..=hashes {
            self.bump();
        }
        (start, end)
    }

    /// True when the text at the cursor (just after an `r`) starts a raw string.
    fn raw_string_follows(&self, offset: usize) -> bool {
        let rest = self.src.get(self.i + offset..).unwrap_or("");
        rest.trim_start_matches('#').starts_with('"')
    }

    fn char_literal(&mut self) {
        self.bump(); // opening '
        for _ in 0..16 {
            match self.bump() {
                Some('\\') => {
                    self.bump();
                }
                Some('\'') | None => return,
                _ => {}
            }
        }
    }

    fn ident_or_atom(&mut self) -> Tok {
        let start = self.i;
        let first = self.peek().unwrap_or(' ');
        while let Some(c) = self.peek() {
            let delim = is_ws(c)
                || matches!(
                    c,
                    '(' | ')' | '[' | ']' | '{' | '}' | ',' | ':' | '"' | '\''
                )
                || self.starts_with("//")
                || self.starts_with("/*");
            if delim {
                break;
            }
            self.bump();
        }
        if self.i == start {
            self.bump();
            return Tok::Atom;
        }
        let text = &self.src[start..self.i];
        if is_ident_start(first) && text.chars().all(is_ident_char) {
            Tok::Ident { start, end: self.i }
        } else {
            Tok::Atom
        }
    }

    /// After the whole text: the deepest nesting and where it happened, and the escape cost.
    pub fn check_limits(mut self) -> Result<(), LimitError> {
        for _ in self.by_ref() {}
        let (depth, line, col) = self.max_depth;
        if depth > MAX_DEPTH {
            return Err(LimitError {
                line,
                col,
                message: format!(
                    "brackets are nested more than {MAX_DEPTH} deep: a scenario nests about 6"
                ),
            });
        }
        if self.escape_cost > MAX_ESCAPE_COST {
            return Err(LimitError {
                line: 1,
                col: 1,
                message: "too many \\ escapes in long strings (the parser would take minutes): \
                          write long text with real line breaks, or as a raw string r#\"…\"#"
                    .to_owned(),
            });
        }
        Ok(())
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.skip_trivia();
        let (line, col) = (self.line, self.col);
        let c = self.peek()?;
        let tok = match c {
            '(' | '[' | '{' => {
                self.bump();
                self.depth += 1;
                if self.depth > self.max_depth.0 {
                    self.max_depth = (self.depth, line, col);
                }
                Tok::Open(c as u8)
            }
            ')' | ']' | '}' => {
                self.bump();
                self.depth = self.depth.saturating_sub(1);
                Tok::Close(c as u8)
            }
            ',' => {
                self.bump();
                Tok::Comma
            }
            ':' => {
                self.bump();
                Tok::Colon
            }
            '#' | '!' => {
                self.bump();
                Tok::Punct(c as u8)
            }
            '"' => {
                self.bump();
                let (start, end) = self.escaped_string();
                Tok::Str { start, end }
            }
            '\'' => {
                self.char_literal();
                Tok::Atom
            }
            'b' if self.peek_at(1) == Some('"') => {
                self.bump();
                self.bump();
                let (start, end) = self.escaped_string();
                Tok::Str { start, end }
            }
            'b' if self.peek_at(1) == Some('r') && self.raw_string_follows(2) => {
                self.bump();
                self.bump();
                let (start, end) = self.raw_string();
                Tok::Str { start, end }
            }
            'r' if self.raw_string_follows(1) => {
                self.bump();
                let (start, end) = self.raw_string();
                Tok::Str { start, end }
            }
            'r' if self.peek_at(1) == Some('#') => {
                // A raw identifier: r#name.
                self.bump();
                self.bump();
                match self.ident_or_atom() {
                    Tok::Ident { start, end } => Tok::Ident { start, end },
                    other => other,
                }
            }
            _ => self.ident_or_atom(),
        };
        Some(Token { tok, line, col })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        Lexer::new(src).map(|t| t.tok).collect()
    }

    #[test]
    fn nested_comments_raw_strings_and_chars_are_single_tokens() {
        let src = "/* a /* b */ c */ (x: r#\"(((\"#, y: '(', z: \"q\\\"(\")";
        let k = kinds(src);
        assert_eq!(k.len(), 13, "{k:?}");
        assert_eq!(k[0], Tok::Open(b'('));
        assert!(matches!(k[3], Tok::Str { .. }));
        assert_eq!(k[7], Tok::Atom);
        assert_eq!(k[12], Tok::Close(b')'));
        assert!(Lexer::new(src).check_limits().is_ok());
    }

    #[test]
    fn positions_count_characters() {
        let t: Vec<Token> = Lexer::new("(\n  é: 1)").collect();
        assert_eq!((t[1].line, t[1].col), (2, 3));
        assert_eq!((t[3].line, t[3].col), (2, 6));
    }

    #[test]
    fn deep_nesting_and_escape_storms_are_refused() {
        let deep = "[".repeat(100);
        assert!(Lexer::new(&deep).check_limits().is_err());
        let storm = format!("\"{}\"", "\\n".repeat(200_000));
        let e = Lexer::new(&storm).check_limits().unwrap_err();
        assert!(e.message.contains("escapes"));
        let fine = format!("\"{}\"", "word ".repeat(1000) + &"\\n".repeat(100));
        assert!(Lexer::new(&fine).check_limits().is_ok());
    }

    #[test]
    fn unclosed_things_end_the_text_without_panicking() {
        for src in [
            "\"abc",
            "/* /* */",
            "r##\"abc\"#",
            "'",
            "b",
            "r#",
            "br",
            "é\\",
        ] {
            let _ = kinds(src);
        }
    }
}
