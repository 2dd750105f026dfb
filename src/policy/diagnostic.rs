//! Policy problems as miette diagnostics that point at the exact span in the policy file.
//!
//! Every problem found while loading a policy is collected into [`PolicyErrors`] so the
//! user sees all of them at once, not one per run.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// One policy file's text, kept for diagnostics and for resolving relative `extends`.
#[derive(Clone, Debug)]
pub struct PolicySource {
    /// How the file is named in messages (`warden.toml`, `builtin:mojo-solo`).
    pub name: String,
    pub text: Arc<String>,
    /// The directory relative `extends` paths resolve against (none for builtins).
    pub dir: Option<std::path::PathBuf>,
}

impl PolicySource {
    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32
            + 1
    }

    pub fn error(&self, code: &'static str, message: impl Into<String>) -> PolicyDiagnostic {
        PolicyDiagnostic {
            code,
            message: message.into(),
            source: Some(NamedSource::new(self.name.clone(), self.text.clone())),
            labels: Vec::new(),
            help: None,
        }
    }
}

/// A single problem in a policy.
#[derive(Debug)]
pub struct PolicyDiagnostic {
    pub code: &'static str,
    pub message: String,
    source: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl PolicyDiagnostic {
    /// A problem that is not inside any policy file (e.g. a `--policy` file that is missing).
    pub fn detached(code: &'static str, message: impl Into<String>) -> Self {
        PolicyDiagnostic {
            code,
            message: message.into(),
            source: None,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, span: Range<usize>, text: impl Into<String>) -> Self {
        let len = span.end.saturating_sub(span.start);
        self.labels
            .push(LabeledSpan::new(Some(text.into()), span.start, len));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Every problem found in a policy; rendering it shows them all.
#[derive(Debug)]
pub struct PolicyErrors {
    pub errors: Vec<PolicyDiagnostic>,
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
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
