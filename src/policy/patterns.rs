//! Compiled globs and regexes from a policy, and the checks that refuse patterns warden
//! cannot honour.
//!
//! Globs match whole repository paths (`/`-separated, relative to the root): `*` never
//! crosses a `/`, `**` matches any number of directories, `{a,b}` gives alternatives.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

/// A list of globs matched as one set, keeping the source patterns for messages.
#[derive(Clone, Debug)]
pub struct Globs {
    set: GlobSet,
    patterns: Vec<String>,
}

impl Globs {
    pub fn empty() -> Self {
        Globs {
            set: GlobSet::empty(),
            patterns: Vec::new(),
        }
    }

    /// Compile patterns that are already known to be valid (used for built-in defaults).
    pub fn from_valid(patterns: &[&str]) -> Self {
        let globs: Vec<Glob> = patterns
            .iter()
            .map(|p| compile_glob(p).expect("built-in glob is valid"))
            .collect();
        Globs::from_compiled(globs, patterns.iter().map(|p| p.to_string()).collect())
    }

    pub fn from_compiled(globs: Vec<Glob>, patterns: Vec<String>) -> Self {
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            builder.add(glob);
        }
        // Every glob compiled on its own, so building the set cannot fail.
        let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        Globs { set, patterns }
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Indices of the patterns that match `path`.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        self.set.matches(path)
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

pub fn compile_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// True when the text contains glob syntax, i.e. it is not a plain path.
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// The part of a glob before its first wildcard: `docs/**` → `docs/`.
pub fn literal_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?', '[', '{']).unwrap_or(pattern.len());
    &pattern[..end]
}

/// A regex from a policy, with the text it was written as.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub regex: Regex,
    pub source: String,
}

/// Why a regex was refused, with the byte range inside the pattern when known.
pub struct RegexProblem {
    pub message: String,
    pub label: String,
    pub span_in_pattern: Option<std::ops::Range<usize>>,
    pub help: String,
}

pub fn compile_regex(pattern: &str) -> Result<Pattern, RegexProblem> {
    use regex_syntax::ast::ErrorKind;
    if let Err(err) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        let span = err.span().start.offset..err.span().end.offset.max(err.span().start.offset + 1);
        let (message, help) = match err.kind() {
            ErrorKind::UnsupportedLookAround => (
                "regex uses look-around, which warden cannot honour".to_string(),
                "warden's regex engine runs in linear time and has no look-ahead or look-behind \
                 (`(?=`, `(?!`, `(?<=`, `(?<!`). A rule with such a pattern could never fail, so \
                 it is refused: write the positive pattern and list the exceptions under \
                 `exclude`, or split it into two rules"
                    .to_string(),
            ),
            ErrorKind::UnsupportedBackreference => (
                "regex uses a backreference, which warden cannot honour".to_string(),
                "backreferences (`\\1`) are not supported by warden's linear-time regex \
                 engine; rewrite the pattern without them"
                    .to_string(),
            ),
            _ => (
                "invalid regular expression".to_string(),
                "warden uses Rust regex syntax: https://docs.rs/regex/latest/regex/#syntax"
                    .to_string(),
            ),
        };
        return Err(RegexProblem {
            message,
            label: err.kind().to_string(),
            span_in_pattern: Some(span),
            help,
        });
    }
    match Regex::new(pattern) {
        Ok(regex) => Ok(Pattern {
            regex,
            source: pattern.to_string(),
        }),
        Err(err) => Err(RegexProblem {
            message: "invalid regular expression".to_string(),
            label: err
                .to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .to_string(),
            span_in_pattern: None,
            help: "simplify the pattern; warden refuses regexes it cannot compile".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_does_not_cross_directories() {
        let globs = Globs::from_valid(&["docs/*", "notes/**"]);
        assert!(globs.is_match("docs/a.md"));
        assert!(!globs.is_match("docs/a/b.md"));
        assert!(globs.is_match("notes/a/b/c.md"));
    }

    #[test]
    fn look_around_is_refused_with_its_position() {
        let err = compile_regex(r"^docs/(?!archive/).+\.md$").err().unwrap();
        assert!(err.message.contains("look-around"));
        assert_eq!(err.span_in_pattern.unwrap().start, 6);
    }

    #[test]
    fn literal_prefix_stops_at_first_wildcard() {
        assert_eq!(literal_prefix("docs/**/*.md"), "docs/");
        assert_eq!(literal_prefix("README.md"), "README.md");
    }
}
