//! Fixes as data.
//!
//! A rule that knows how to close a gap attaches a [`Fix`] to its finding. Rules stay pure:
//! a fix only *describes* the change, from the policy and the facts the rule already has.
//! Performing it is an effect (`crate::effects`): `warden fix` writes local fixes to the
//! checkout, `warden fix --org --pr` writes the same changes into a pull request, and
//! `warden apply` makes GitHub fixes through the API. Each is re-checked afterwards.

pub mod edit;
pub mod github;
pub mod local;

pub use github::GitHubFix;
pub use local::{
    Allow, Content, ContentReader, Existing, FileChange, LocalFix, RepoFiles, TextEdit,
};

/// How one gap can be closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// A change to files of the repository: in the checkout (`warden fix`), or on a
    /// branch and pull request of each repository (`warden fix --org ORG --pr`).
    Local(LocalFix),
    /// A change to the repository's or organisation's settings on GitHub (`warden apply`).
    GitHub(GitHubFix),
}

impl Fix {
    /// The command that performs this fix.
    pub fn command(&self) -> &'static str {
        match self {
            Fix::Local(_) => "warden fix",
            Fix::GitHub(_) => "warden apply",
        }
    }

    /// A short kebab-case name of the change (`symlink`, `create-file`, `create-labels`).
    pub fn kind(&self) -> &'static str {
        match self {
            Fix::Local(fix) => fix.kind(),
            Fix::GitHub(fix) => fix.kind(),
        }
    }

    /// The repository path a local fix changes.
    pub fn path(&self) -> Option<&str> {
        match self {
            Fix::Local(fix) => Some(fix.path()),
            Fix::GitHub(_) => None,
        }
    }

    /// One line saying what the fix does.
    pub fn describe(&self) -> String {
        match self {
            Fix::Local(fix) => fix.describe(),
            Fix::GitHub(fix) => fix.describe(),
        }
    }
}
