//! Fixes to the files of a repository.

use std::path::PathBuf;

/// A change to the repository's files that closes a gap. Paths are repository-relative,
/// with `/` separators, as in findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalFix {
    /// Create a symlink at `path` pointing at `target` (written as given: relative stays
    /// relative).
    Symlink { path: String, target: String },
    /// Create a file at `path` holding `content`.
    CreateFile { path: String, content: Content },
    /// Set the value at `key` (a path of table keys) in the JSON, YAML or TOML file at
    /// `path` (the format follows the file's extension), keeping the rest of the file and
    /// its formatting as it is.
    SetValue {
        path: String,
        key: Vec<String>,
        value: serde_json::Value,
    },
    /// Remove the file at `path`; performed only when the user allows deletions.
    Delete { path: String },
}

/// Where a created file's text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Written in the policy itself.
    Inline(String),
    /// A file beside the policy (resolved against the policy's folder when loaded).
    Template(PathBuf),
    /// A file in another repository: `github:ORG/REPO/PATH@REF`.
    GitHub {
        repo: String,
        path: String,
        reference: String,
    },
}

/// What a local fix does to one path once its content is known: the same for a checkout
/// and for a pull request's tree, so both executors share every decision before the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    Write { path: String, bytes: Vec<u8> },
    Symlink { path: String, target: String },
    Delete { path: String },
}
