//! Policy problems as miette diagnostics that point at the exact span in the policy file.
//!
//! Every problem found while loading a policy is collected into [`PolicyErrors`] so the
//! user sees all of them at once, not one per run.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// A line longer than this is not quoted: the diagnostic gives its position instead.
/// Quoting a 60,000-column line made miette panic, and re-printing one long line per
/// problem turned a 23 KB policy into 80 MB of output.
const MAX_QUOTED_LINE: usize = 300;
/// A span over more lines than this is quoted by its first line only.
const MAX_QUOTED_LINES: usize = 12;
/// Messages, labels and help are cut to this many characters.
const MAX_TEXT: usize = 400;
/// At most this many problems are shown; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// One policy file's text, kept for diagnostics and for resolving relative `extends`.
#[derive(Clone, Debug)]
pub struct PolicySource {
    /// How the file is named in messages (`warden.toml`, `builtin:mojo-solo`).
    pub name: String,
    pub text: Arc<String>,
    /// The directory relative `extends` paths resolve against (none for builtins).
    pub dir: Option<std::path::PathBuf>,
    /// Whether diagnostics may quote the text. A file that is not a policy (not named
    /// `*.toml`) is never quoted: only positions are given, so a secret is not echoed.
    pub quote: bool,
    /// What identifies the file in an `extends` chain (its canonical path), for cycles.
    pub key: String,
    /// Byte offset of the start of each line.
    lines: Arc<Vec<usize>>,
    named: NamedSource<Arc<String>>,
}

impl PolicySource {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        let text: String = text.into();
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let text = Arc::new(text);
        PolicySource {
            key: name.clone(),
            quote: true,
            named: NamedSource::new(name.clone(), text.clone()),
            name,
            text,
            dir: None,
            lines: Arc::new(lines),
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        line_index(&self.lines, offset) as u32 + 1
    }

    pub fn error(&self, code: &'static str, message: impl Into<String>) -> PolicyDiagnostic {
        PolicyDiagnostic {
            code,
            message: cap(message.into()),
            source: Some(self.clone()),
            labels: Vec::new(),
            help: None,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = line_index(&self.lines, offset);
        let start = self.lines[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |t| t.chars().count());
        (line + 1, column + 1)
    }

    /// Whether the lines around `span` (as miette prints them) are short enough to quote.
    fn quotable(&self, span: &Range<usize>) -> bool {
        let first = line_index(&self.lines, span.start).saturating_sub(1);
        let last = (line_index(&self.lines, span.end) + 1).min(self.lines.len() - 1);
        (first..=last).all(|line| {
            let start = self.lines[line];
            let end = self.lines.get(line + 1).copied().unwrap_or(self.text.len());
            end - start <= MAX_QUOTED_LINE
        })
    }

    /// `span` inside the text, on character boundaries, over at most a few lines.
    fn clamp(&self, span: Range<usize>) -> Range<usize> {
        let floor = |mut i: usize| {
            i = i.min(self.text.len());
            while !self.text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = floor(span.start);
        let mut end = floor(span.end.max(start));
        let line = line_index(&self.lines, start);
        if line_index(&self.lines, end) > line + MAX_QUOTED_LINES {
            end = self
                .lines
                .get(line + 1)
                .map_or(end, |next| next - 1)
                .max(start);
        }
        start..end
    }
}

fn line_index(lines: &[usize], offset: usize) -> usize {
    lines
        .partition_point(|start| *start <= offset)
        .saturating_sub(1)
}

/// `text` cut to [`MAX_TEXT`] characters.
fn cap(text: String) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}… (cut)", &text[..at]),
        None => text,
    }
}

/// A single problem in a policy.
#[derive(Debug)]
pub struct PolicyDiagnostic {
    pub code: &'static str,
    pub message: String,
    source: Option<PolicySource>,
    labels: Vec<(Range<usize>, String)>,
    help: Option<String>,
}

impl PolicyDiagnostic {
    /// A problem that is not inside any policy file (e.g. a `--policy` file that is missing).
    pub fn detached(code: &'static str, message: impl Into<String>) -> Self {
        PolicyDiagnostic {
            code,
            message: cap(message.into()),
            source: None,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, span: Range<usize>, text: impl Into<String>) -> Self {
        let span = match &self.source {
            Some(src) => src.clamp(span),
            None => span,
        };
        self.labels.push((span, cap(text.into())));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(cap(help.into()));
        self
    }

    /// The source to quote, when it may be quoted and every label's lines are short.
    fn quoted(&self) -> Option<&PolicySource> {
        self.source
            .as_ref()
            .filter(|src| src.quote && self.labels.iter().all(|(span, _)| src.quotable(span)))
    }
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (&self.source, self.quoted()) {
            (Some(src), None) => {
                for (span, label) in &self.labels {
                    let (line, column) = src.position(span.start);
                    write!(f, "\n  at {}:{line}:{column}: {label}", src.name)?;
                }
                if self.labels.is_empty() {
                    write!(f, " (in {})", src.name)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for PolicyDiagnostic {}

impl Diagnostic for PolicyDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("policy::{}", self.code)))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.quoted().map(|src| &src.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.quoted().is_none() {
            return None;
        }
        Some(Box::new(self.labels.iter().map(|(span, text)| {
            LabeledSpan::new(Some(text.clone()), span.start, span.len())
        })))
    }
}

/// Every problem found in a policy; rendering it shows them all.
#[derive(Debug)]
pub struct PolicyErrors {
    pub errors: Vec<PolicyDiagnostic>,
    /// How many problems there were (more than `errors` holds when some were cut).
    pub total: usize,
}

impl PolicyErrors {
    /// The problems, at most [`MAX_SHOWN`] of them plus one that counts the rest.
    pub fn new(mut errors: Vec<PolicyDiagnostic>) -> Self {
        let total = errors.len();
        if errors.len() > MAX_SHOWN {
            let more = errors.len() - MAX_SHOWN;
            errors.truncate(MAX_SHOWN);
            errors.push(
                PolicyDiagnostic::detached("more", format!("{more} more problems are not shown"))
                    .help("fix the problems above and run again"),
            );
        }
        PolicyErrors { errors, total }
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            1 => write!(f, "the policy has 1 problem"),
            n => write!(f, "the policy has {n} problems"),
        }
    }
}

impl std::error::Error for PolicyErrors {}

impl Diagnostic for PolicyErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("policy::invalid"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "fix the problems below; `warden explain KIND` documents each rule kind's keys",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.errors.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(did_you_mean("alow", ["allow", "include"]), Some("allow"));
        assert_eq!(did_you_mean("zzzzzz", ["allow", "include"]), None);
    }
}
