//! Plain data shared by rules, the engine and the renderers.

use serde::Serialize;

/// How much a gap matters. The order matters: `Deny > Warn > Info`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "deny" => Some(Level::Deny),
            "warn" => Some(Level::Warn),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
}

/// One gap between what the policy says and what is true, as a rule reports it.
///
/// Rules know nothing about waivers or levels: the engine adds those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Repository-relative path (or URL) the gap is about, if any.
    pub path: Option<String>,
    /// 1-based line in `path`, if known.
    pub line: Option<u32>,
    /// How to close the gap.
    pub help: Option<String>,
    /// Stable identity of the gap within its rule (defaults to the path, else the message).
    /// Used for fingerprints, so it must not contain volatile data such as ages.
    pub subject: Option<String>,
    /// How to close the gap, when the rule knows how (see [`crate::fix`]).
    /// Boxed: most findings have none, and a finding is returned by value a lot.
    pub fix: Option<Box<crate::fix::Fix>>,
}

impl Finding {
    pub fn new(message: impl Into<String>) -> Self {
        Finding {
            message: message.into(),
            path: None,
            line: None,
            help: None,
            subject: None,
            fix: None,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn line(mut self, line: Option<u32>) -> Self {
        self.line = line;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn fix(mut self, fix: crate::fix::Fix) -> Self {
        self.fix = Some(Box::new(fix));
        self
    }

    /// The identity used for fingerprints and waiver matching.
    pub fn subject_key(&self) -> &str {
        self.subject
            .as_deref()
            .or(self.path.as_deref())
            .unwrap_or(&self.message)
    }
}

/// What evaluating one rule produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evaluation {
    /// The rule ran; an empty list means the policy holds.
    Checked(Vec<Finding>),
    /// The rule could not decide (a fact was unavailable). Never a pass.
    Error(String),
    /// The rule does not apply in this mode (e.g. history rules on a staged change).
    Skipped(String),
}

#[cfg(test)]
impl Evaluation {
    /// The messages of a rule that ran; panics on `Error`/`Skipped` (tests only).
    pub fn messages(self) -> Vec<String> {
        match self {
            Evaluation::Checked(findings) => findings.into_iter().map(|f| f.message).collect(),
            other => panic!("{other:?}"),
        }
    }
}
