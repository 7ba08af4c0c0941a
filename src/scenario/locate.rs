//! Where each value of a RON document starts: a map from field path (`nodes[4].passive_range`)
//! to line and column.
//!
//! serde hands validation the values but not their places; this scanner walks the tokens of
//! the same text (from `lex`, which follows ron's lexical rules) and records the position of
//! every value by path, so an error about a field can name its line and column. It keeps an
//! explicit stack instead of recursing, records paths only down to a fixed depth and up to a
//! fixed total size, so its time and memory are linear in the text whatever the text is.

use super::lex::{Lexer, Tok, Token};
use std::collections::BTreeMap;

/// Values deeper than this get their nearest recorded ancestor's position.
const MAX_RECORD_DEPTH: usize = 16;
/// Map keys longer than this are cut in paths.
const MAX_KEY: usize = 128;
/// Stop recording once the recorded paths take this many bytes.
const MAX_RECORDED_BYTES: usize = 16 * 1024 * 1024;

/// Positions by path; paths look like `title`, `nodes[2].rules[0].dst_port`, `passive_range.1`.
#[derive(Debug, Default)]
pub struct Positions {
    map: BTreeMap<String, (usize, usize)>,
}

enum Frame {
    /// `( … )`: named fields or tuple elements.
    Paren {
        path: String,
        n: usize,
    },
    List {
        path: String,
        n: usize,
    },
    Map {
        path: String,
    },
    /// `Some( x )`: x takes the field's own path.
    Some {
        path: String,
        used: bool,
    },
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

struct Scan<'a> {
    src: &'a str,
    tokens: std::iter::Peekable<Lexer<'a>>,
    out: BTreeMap<String, (usize, usize)>,
    bytes: usize,
    stack: Vec<Frame>,
}

impl Scan<'_> {
    fn record(&mut self, path: &str, t: &Token) {
        if self.stack.len() > MAX_RECORD_DEPTH || self.bytes > MAX_RECORDED_BYTES {
            return;
        }
        if !self.out.contains_key(path) {
            self.bytes += path.len() + 32;
            self.out.insert(path.to_owned(), (t.line, t.col));
        }
    }

    fn text(&self, start: usize, end: usize) -> String {
        let s = self.src.get(start..end).unwrap_or("");
        s.chars().take(MAX_KEY).collect()
    }

    fn next_is(&mut self, want: Tok) -> bool {
        self.tokens.peek().is_some_and(|t| t.tok == want)
    }

    /// A value starts with token `t` at `path`.
    fn value(&mut self, path: String, t: Token) {
        self.record(&path, &t);
        // Below the recorded depth paths are not kept, so they cannot grow with the depth.
        let path = if self.stack.len() >= MAX_RECORD_DEPTH {
            String::new()
        } else {
            path
        };
        match t.tok {
            Tok::Ident { start, end } if self.next_is(Tok::Open(b'(')) => {
                self.tokens.next();
                if &self.src[start..end] == "Some" {
                    self.stack.push(Frame::Some { path, used: false });
                } else {
                    self.stack.push(Frame::Paren { path, n: 0 });
                }
            }
            Tok::Open(b'(') => self.stack.push(Frame::Paren { path, n: 0 }),
            Tok::Open(b'[') => self.stack.push(Frame::List { path, n: 0 }),
            Tok::Open(_) => self.stack.push(Frame::Map { path }),
            _ => {}
        }
    }

    /// Inside a container, token `t` comes: an element, a separator or the end.
    fn element(&mut self, t: Token) {
        if matches!(t.tok, Tok::Close(_)) {
            self.stack.pop();
            return;
        }
        if matches!(t.tok, Tok::Comma | Tok::Colon | Tok::Punct(_)) {
            return;
        }
        let field = match (&t.tok, self.tokens.peek().map(|p| p.tok)) {
            (Tok::Ident { start, end }, Some(Tok::Colon))
            | (Tok::Str { start, end }, Some(Tok::Colon)) => Some(self.text(*start, *end)),
            _ => None,
        };
        let path = match self.stack.last_mut() {
            Some(Frame::Paren { path, n }) => match &field {
                Some(f) => join(path, f),
                None => {
                    *n += 1;
                    join(path, &(*n - 1).to_string())
                }
            },
            Some(Frame::List { path, n }) => {
                *n += 1;
                format!("{path}[{}]", *n - 1)
            }
            Some(Frame::Map { path }) => match &field {
                Some(f) => join(path, f),
                None => return, // a key that is not a string: nothing to name
            },
            Some(Frame::Some { path, used }) => {
                if *used {
                    return;
                }
                *used = true;
                path.clone()
            }
            None => return,
        };
        if field.is_some() && !matches!(self.stack.last(), Some(Frame::Some { .. })) {
            self.tokens.next(); // the colon
            if let Some(v) = self.tokens.next() {
                self.value(path, v);
            }
        } else {
            self.value(path, t);
        }
    }
}

impl Positions {
    pub fn scan(src: &str) -> Positions {
        let mut s = Scan {
            src,
            tokens: Lexer::new(src).peekable(),
            out: BTreeMap::new(),
            bytes: 0,
            stack: Vec::new(),
        };
        // `#![enable(...)]` attributes before the value.
        while s.tokens.peek().is_some_and(|t| t.tok == Tok::Punct(b'#')) {
            let mut depth = 0usize;
            for t in s.tokens.by_ref() {
                match t.tok {
                    Tok::Open(_) => depth += 1,
                    Tok::Close(_) => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(t) = s.tokens.next() {
            s.value(String::new(), t);
        }
        while !s.stack.is_empty() {
            let Some(t) = s.tokens.next() else { break };
            s.element(t);
        }
        Positions { map: s.out }
    }

    /// The position of `path`, or of its nearest recorded ancestor, or 1:1.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(pos) = self.map.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.map.get("").copied().unwrap_or((1, 1)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields_lists_and_tuples() {
        let src = "// c\n(\n  title: \"x\",\n  nodes: [\n    Client(name: \"a\"),\n    Server(\n      passive_range: (10005, 10001), /* x */\n      files: {\"r.txt\": \"hi\"},\n    ),\n  ],\n  opt: Some(7),\n)\n";
        let p = Positions::scan(src);
        assert_eq!(p.locate("title"), (3, 10));
        assert_eq!(p.locate("nodes[0].name"), (5, 18));
        assert_eq!(p.locate("nodes[1].passive_range"), (7, 22));
        assert_eq!(p.locate("nodes[1].passive_range.1"), (7, 30));
        assert_eq!(p.locate("nodes[1].files.r.txt"), (8, 24));
        assert_eq!(p.locate("opt"), (11, 8));
        assert_eq!(p.locate("nodes[1].missing"), (6, 5));
    }

    #[test]
    fn nested_comments_and_raw_strings_do_not_shift_positions() {
        let src = "(\n  a: r#\"(((\"#, /* /* ( */ [ */\n  b: 5,\n)";
        let p = Positions::scan(src);
        assert_eq!(p.locate("b"), (3, 6));
    }

    #[test]
    fn deep_and_long_input_is_linear_and_does_not_recurse() {
        let deep = format!("({}", "a: (".repeat(200_000));
        let p = Positions::scan(&deep);
        assert!(p.map.len() <= MAX_RECORD_DEPTH + 2);
        let wide = format!("(x: [{}])", "1,".repeat(300_000));
        let p = Positions::scan(&wide);
        assert_eq!(p.locate("x[299999]"), (1, 5 + 2 * 299_999 + 1));
    }
}
