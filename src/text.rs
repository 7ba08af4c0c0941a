//! Text that came from a file or the network, made safe to show: every control character
//! (ESC, BEL, CR, NUL…) and every bidirectional override is written as an escape (`\u{1b}`),
//! so a captured reply, a scenario's comment or a file name can neither drive a terminal
//! (clear it, retitle it, fake a line) nor reorder what a person reads.

use std::borrow::Cow;

/// Bidirectional formatting characters (the "Trojan Source" ones).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi(c)
}

/// `s` with every control and bidi character escaped (unchanged, and not copied, when it has
/// none).
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .flat_map(|c| {
                let esc: Vec<char> = if c.is_control() {
                    c.escape_default().collect()
                } else if is_bidi(c) {
                    c.escape_unicode().collect()
                } else {
                    vec![c]
                };
                esc
            })
            .collect(),
    )
}

/// Several lines, each made printable; the line breaks between them stay.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && unsafe_char(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<str>> = s.split('\n').map(printable).collect();
    Cow::Owned(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(
            printable("USER \u{1b}[2Jx\rfake"),
            "USER \\u{1b}[2Jx\\rfake"
        );
        assert_eq!(printable("a\u{7}b"), "a\\u{7}b");
        assert_eq!(printable("élan → ok"), "élan → ok");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(
            printable_lines("a\n\u{1b}]0;t\u{7}\nc"),
            "a\n\\u{1b}]0;t\\u{7}\nc"
        );
    }
}
