//! Last-commit dates of many files in one walk over history.
//!
//! Walking first parents from HEAD, each commit is diffed against its parent once, and a
//! file's date is that of the newest commit that touched it: the day it last landed on the
//! branch. The walk stops as soon as every wanted file has a date. Running `git log` once
//! per file would cost one history walk per file instead.

use std::collections::{HashMap, HashSet};

use git2::{DiffOptions, Repository};
use jiff::Timestamp;

use super::CommitDate;
use crate::policy::patterns::{literal_prefix, Globs};

pub fn last_commit_dates(
    repo: &Repository,
    wanted: &[&str],
    globs: &[Globs],
) -> Result<HashMap<String, CommitDate>, String> {
    walk(repo, wanted, globs).map_err(|e| format!("cannot read git history: {}", e.message()))
}

fn walk(
    repo: &Repository,
    wanted: &[&str],
    globs: &[Globs],
) -> Result<HashMap<String, CommitDate>, git2::Error> {
    let mut dates: HashMap<String, CommitDate> = HashMap::new();
    let mut missing: HashSet<&str> = wanted.iter().copied().collect();
    let head = match repo.head() {
        Ok(head) => head,
        // No commit yet: every file is uncommitted, hence fresh.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            return Ok(dates)
        }
        Err(e) => return Err(e),
    };
    let shallow = repo.is_shallow();
    let mut revwalk = repo.revwalk()?;
    revwalk.push(head.peel_to_commit()?.id())?;
    revwalk.simplify_first_parent()?;

    let mut options = DiffOptions::new();
    // Narrow each diff to the directories the globs can match, when they all have one.
    let prefixes: Vec<String> = globs
        .iter()
        .flat_map(|g| g.patterns().iter())
        .map(|p| {
            literal_prefix(p)
                .rsplit_once('/')
                .map(|(dir, _)| dir.to_string())
                .unwrap_or_default()
        })
        .collect();
    if !prefixes.iter().any(String::is_empty) {
        for prefix in &prefixes {
            options.pathspec(prefix);
        }
    }

    for oid in revwalk {
        if missing.is_empty() {
            break;
        }
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        let parent = commit.parent(0).ok();
        let parent_tree = match &parent {
            Some(p) => Some(p.tree()?),
            None => None,
        };
        // In a shallow clone the oldest commit's "parent" is cut off: what it seems to add
        // may be far older, so those dates are unknown, not "now".
        let boundary = parent.is_none() && shallow;
        let when = Timestamp::from_second(commit.time().seconds()).unwrap_or(Timestamp::UNIX_EPOCH);
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))?;
        for delta in diff.deltas() {
            let Some(path) = delta.new_file().path_bytes() else {
                continue;
            };
            let path = String::from_utf8_lossy(path);
            if missing.remove(path.as_ref()) {
                let date = if boundary {
                    Err(
                        "the clone is shallow, so the file's last commit is not in the history; \
                         fetch full history (actions/checkout with `fetch-depth: 0`)"
                            .to_string(),
                    )
                } else {
                    Ok(when)
                };
                dates.insert(path.into_owned(), date);
            }
        }
    }
    Ok(dates)
}
