//! Where each value of a RON document starts: a map from field path (`nodes[4].passive_range`)
//! to line and column.
//!
//! serde hands validation the values but not their places; this small scanner walks the same
//! text and records the position of every value by path, so an error about a field can name
//! its line and column. It only needs to understand RON's shape (structs, tuples, lists, maps,
//! strings, comments); the real parse is ron's.

use std::collections::BTreeMap;

/// Positions by path; paths look like `title`, `nodes[2].rules[0].dst_port`, `passive_range.1`.
#[derive(Debug, Default)]
pub struct Positions {
    map: BTreeMap<String, (usize, usize)>,
}

impl Positions {
    pub fn scan(src: &str) -> Positions {
        let mut s = Scanner {
            chars: src.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            out: BTreeMap::new(),
        };
        s.skip_ws();
        while s.peek() == Some('#') {
            // `#![enable(...)]` attributes
            while let Some(c) = s.bump() {
                if c == ']' {
                    break;
                }
            }
            s.skip_ws();
        }
        s.value(String::new());
        Positions { map: s.out }
    }

    /// The position of `path`, or of its nearest recorded ancestor, or 1:1.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        let mut p = path.to_owned();
        loop {
            if let Some(pos) = self.map.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.map.get("").copied().unwrap_or((1, 1)),
            }
        }
    }
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    out: BTreeMap<String, (usize, usize)>,
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        loop {
            match (self.peek(), self.chars.get(self.i + 1).copied()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    while self.peek().is_some()
                        && !(self.peek() == Some('*') && self.chars.get(self.i + 1) == Some(&'/'))
                    {
                        self.bump();
                    }
                    self.bump();
                    self.bump();
                }
                _ => return,
            }
        }
    }

    fn ident(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || matches!(c, '_' | '+' | '-' | '.') {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        s
    }

    fn string(&mut self) -> String {
        let mut s = String::new();
        self.bump(); // opening quote
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    if let Some(e) = self.bump() {
                        s.push(e);
                    }
                }
                '"' => break,
                c => s.push(c),
            }
        }
        s
    }

    fn value(&mut self, path: String) {
        self.skip_ws();
        self.out
            .entry(path.clone())
            .or_insert((self.line, self.col));
        match self.peek() {
            Some('"') => {
                self.string();
            }
            Some('\'') => {
                self.bump();
                self.bump();
                self.bump();
            }
            Some('(') => self.paren(&path),
            Some('[') => {
                self.bump();
                let mut n = 0;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(']') | None => {
                            self.bump();
                            break;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        _ => {
                            self.value(format!("{path}[{n}]"));
                            n += 1;
                        }
                    }
                }
            }
            Some('{') => {
                self.bump();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some('}') | None => {
                            self.bump();
                            break;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some('"') => {
                            let key = self.string();
                            self.skip_ws();
                            if self.peek() == Some(':') {
                                self.bump();
                            }
                            self.value(join(&path, &key));
                        }
                        _ => {
                            let key = self.ident();
                            if key.is_empty() {
                                self.bump();
                                continue;
                            }
                            self.skip_ws();
                            if self.peek() == Some(':') {
                                self.bump();
                            }
                            self.value(join(&path, &key));
                        }
                    }
                }
            }
            Some(_) => {
                let id = self.ident();
                if id.is_empty() {
                    self.bump();
                    return;
                }
                self.skip_ws();
                if self.peek() == Some('(') {
                    if id == "Some" {
                        // `Some(x)` is transparent: x gets the field's own path.
                        self.bump();
                        self.value(path.clone());
                        self.skip_ws();
                        if self.peek() == Some(')') {
                            self.bump();
                        }
                    } else {
                        self.paren(&path);
                    }
                }
            }
            None => {}
        }
    }

    /// `( ... )`: named fields (`name: value`) or tuple elements.
    fn paren(&mut self, path: &str) {
        self.bump();
        let mut n = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(')') | None => {
                    self.bump();
                    return;
                }
                Some(',') => {
                    self.bump();
                }
                Some(c) if c.is_alphabetic() || c == '_' => {
                    let save = (self.i, self.line, self.col);
                    let id = self.ident();
                    self.skip_ws();
                    if self.peek() == Some(':') {
                        self.bump();
                        self.value(join(path, &id));
                    } else {
                        (self.i, self.line, self.col) = save;
                        self.value(format!("{path}.{n}"));
                        n += 1;
                    }
                }
                _ => {
                    self.value(if path.is_empty() {
                        n.to_string()
                    } else {
                        format!("{path}.{n}")
                    });
                    n += 1;
                }
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
}
