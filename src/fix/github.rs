//! Fixes to settings on GitHub, performed by `warden apply`.
//!
//! Each names only settings the policy names, with the value the policy asks for; the
//! apply planner compares them with what GitHub says at apply time and never loosens a
//! setting that is already stricter.

/// A change to a repository's or organisation's settings on GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitHubFix {
    /// Create labels that are missing (name, colour, description as the policy gives).
    CreateLabels(Vec<Label>),
}

/// A label the policy requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    /// Six hex digits, without `#`.
    pub color: Option<String>,
    pub description: Option<String>,
}
