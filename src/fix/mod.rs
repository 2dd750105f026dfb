//! Fixes as data.
//!
//! A rule that knows how to close a gap attaches a [`Fix`] to its finding. Rules stay pure:
//! a fix only *describes* the change, from the policy and the facts the rule already has.
//! Performing it is an effect (`crate::effects`): `warden fix` writes local fixes to the
//! checkout, `warden fix --org --pr` writes the same changes into a pull request, and
//! `warden apply` makes GitHub fixes through the API. Each is re-checked afterwards.

mod edit;
pub mod github;
pub mod local;

pub use github::GitHubFix;
pub use local::{Allow, Content, ContentReader, Existing, FileChange, LocalFix, RepoFiles};

/// How one gap can be closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// A change to files of the repository: in the checkout (`warden fix`), or on a
    /// branch and pull request of each repository (`warden fix --org ORG --pr`).
    Local(LocalFix),
    /// A change to the repository's or organisation's settings on GitHub (`warden apply`).
    GitHub(GitHubFix),
}
