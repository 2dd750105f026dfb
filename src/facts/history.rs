//! Last-commit dates of many files in one walk over history.
//!
//! Walking first parents from HEAD, each commit's tree is compared with its parent's once,
//! entering only changed directories that hold wanted files, and a file's date is that of
//! the newest commit that touched it: the day it last landed on the branch. The walk stops
//! as soon as every wanted file has a date. Running `git log` once per file would cost one
//! history walk per file instead.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Repository, Tree};
use jiff::Timestamp;

use super::CommitDate;

pub fn last_commit_dates(
    repo: &Repository,
    wanted: &[&str],
) -> Result<HashMap<String, CommitDate>, String> {
    walk(repo, wanted).map_err(|e| format!("cannot read git history: {}", e.message()))
}

fn walk(repo: &Repository, wanted: &[&str]) -> Result<HashMap<String, CommitDate>, git2::Error> {
    let mut dates: HashMap<String, CommitDate> = HashMap::new();
    let mut missing: HashSet<&str> = wanted.iter().copied().collect();
    // Every directory that holds a wanted file: the only ones worth entering.
    let mut dirs: HashSet<&str> = HashSet::new();
    for path in wanted {
        let mut rest = *path;
        while let Some((dir, _)) = rest.rsplit_once('/') {
            if !dirs.insert(dir) {
                break;
            }
            rest = dir;
        }
    }
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

    let mut changed = Vec::new();
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
        changed.clear();
        changed_files(
            repo,
            parent_tree.as_ref(),
            &tree,
            "",
            &dirs,
            &missing,
            &mut changed,
        )?;
        for path in &changed {
            if let Some(path) = missing.take(path.as_str()) {
                let date = if boundary {
                    Err(
                        "the clone is shallow, so the file's last commit is not in the history; \
                         fetch full history (actions/checkout with `fetch-depth: 0`)"
                            .to_string(),
                    )
                } else {
                    Ok(when)
                };
                dates.insert(path.to_string(), date);
            }
        }
    }
    Ok(dates)
}

/// The wanted files that `new` adds or changes compared with `old`. Subtrees with the same
/// id are skipped whole, and only directories that hold wanted files are entered, so a
/// commit costs what it touches, not the size of the tree.
fn changed_files(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    prefix: &str,
    dirs: &HashSet<&str>,
    missing: &HashSet<&str>,
    out: &mut Vec<String>,
) -> Result<(), git2::Error> {
    for entry in new.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let before = old.and_then(|t| t.get_name(&name));
        if before
            .as_ref()
            .is_some_and(|b| b.id() == entry.id() && b.filemode() == entry.filemode())
        {
            continue;
        }
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        if entry.kind() == Some(ObjectType::Tree) {
            if dirs.contains(path.as_str()) {
                let subtree = repo.find_tree(entry.id())?;
                let old_subtree = match before.filter(|b| b.kind() == Some(ObjectType::Tree)) {
                    Some(b) => Some(repo.find_tree(b.id())?),
                    None => None,
                };
                changed_files(
                    repo,
                    old_subtree.as_ref(),
                    &subtree,
                    &path,
                    dirs,
                    missing,
                    out,
                )?;
            }
        } else if missing.contains(path.as_str()) {
            out.push(path);
        }
    }
    Ok(())
}
