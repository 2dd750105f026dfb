//! Control characters from file names, rule ids and messages, made visible.
//!
//! A file name may hold a newline (which could start a `::` workflow command line in a
//! CI log), ESC or OSC sequences (which recolour or retitle a terminal), or bidirectional
//! overrides (which reorder what a reader sees). Every text renderer passes untrusted text
//! through [`controls`]; JSON and SARIF escape it as JSON does.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and bidirectional override written
/// as a visible escape: `\n`, `\r`, `\t`, else `\u{1b}`.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is a control character or a bidirectional override.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::controls;

    #[test]
    fn makes_controls_visible_and_leaves_the_rest() {
        assert_eq!(controls("docs/a b.md"), "docs/a b.md");
        assert_eq!(
            controls("a\n::error::x\u{1b}]0;t\u{7}\u{9b}\u{202e}"),
            "a\\n::error::x\\u{1b}]0;t\\u{7}\\u{9b}\\u{202e}"
        );
    }
}
