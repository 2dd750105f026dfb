//! Last-commit dates of many files in one walk over history.
//!
//! Walking first parents from HEAD, each commit's tree is compared with its parent's once,
//! entering only changed directories that hold wanted files, and a file's date is that of
//! the newest commit that touched it: the day it last landed on the branch. The walk stops
//! as soon as every wanted file has a date. Running `git log` once per file would cost one
//! history walk per file instead.
//!
//! With a horizon (rules that only ask "changed within N days?"), the walk compares the
//! commits since the horizon and a fixed number before it; older ones are compared only
//! if a commit further back is dated at or after the horizon (a skewed clock). Files still
//! undated when the history ends were last changed before the horizon, which is all those
//! rules need to know; they are reported with the newest date among the commits left out,
//! an upper bound, not an exact date. Every commit header is still read (cheap next to
//! comparing trees), so skewed dates cannot make an old change look new.

use std::collections::{HashMap, HashSet};

use std::path::Path;
use std::sync::mpsc::{self, Receiver};

use git2::{Commit, ObjectType, Oid, Repository, Tree};
use jiff::Timestamp;

use super::{CommitDate, LastChange};

pub fn last_commit_dates(
    repo: &Repository,
    wanted: &[&str],
    horizon: Option<Timestamp>,
    prefetched: Option<Receiver<FirstParent>>,
) -> Result<HashMap<String, CommitDate>, String> {
    walk(repo, wanted, horizon, prefetched)
        .map_err(|e| format!("cannot read git history: {}", e.message()))
}

/// One commit of the first-parent chain from HEAD: its id and date.
pub type FirstParent = Result<(Oid, Timestamp), git2::Error>;

/// Read the first-parent chain from HEAD on a thread of `scope`, with a repository of its
/// own, while the caller reads the index. The thread stops when the receiver is dropped.
pub fn prefetch_first_parents<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    root: &'s Path,
) -> Receiver<FirstParent> {
    let (sender, receiver) = mpsc::sync_channel(4096);
    scope.spawn(move || {
        let read = || -> Result<(), git2::Error> {
            let repo = Repository::discover(root)?;
            let head = repo.head()?.peel_to_commit()?;
            for commit in first_parents(&repo, head) {
                if sender.send(commit).is_err() {
                    break;
                }
            }
            Ok(())
        };
        if let Err(e) = read() {
            let _ = sender.send(Err(e));
        }
    });
    receiver
}

/// The first-parent chain from `head`, up to the root or a shallow clone's boundary.
fn first_parents<'r>(
    repo: &'r Repository,
    head: Commit<'r>,
) -> impl Iterator<Item = FirstParent> + 'r {
    let shallow = repo.is_shallow();
    let mut next = Some(Ok(head));
    std::iter::from_fn(move || {
        let commit = match next.take()? {
            Ok(commit) => commit,
            Err(e) => return Some(Err(e)),
        };
        next = match commit.parent(0) {
            Ok(parent) => Some(Ok(parent)),
            // The end of history, or of a shallow clone.
            Err(_) if commit.parent_count() == 0 || shallow => None,
            Err(e) => Some(Err(e)),
        };
        let when = Timestamp::from_second(commit.time().seconds()).unwrap_or(Timestamp::UNIX_EPOCH);
        Some(Ok((commit.id(), when)))
    })
}

/// How many commits older than the horizon are compared all the same (about a
/// millisecond's work), before the walk only reads commits.
const EXACT_PAST_HORIZON: usize = 100;

/// A commit the walk has read but not yet compared with its parent.
struct Pending {
    id: Oid,
    when: Timestamp,
}

fn walk(
    repo: &Repository,
    wanted: &[&str],
    horizon: Option<Timestamp>,
    prefetched: Option<Receiver<FirstParent>>,
) -> Result<HashMap<String, CommitDate>, git2::Error> {
    let mut walker = Walker {
        repo,
        dates: HashMap::new(),
        missing: wanted.iter().copied().collect(),
        dirs: HashSet::new(),
        shallow: repo.is_shallow(),
        changed: Vec::new(),
    };
    // Every directory that holds a wanted file: the only ones worth entering.
    for path in wanted {
        let mut rest = *path;
        while let Some((dir, _)) = rest.rsplit_once('/') {
            if !walker.dirs.insert(dir) {
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
            return Ok(walker.dates)
        }
        Err(e) => return Err(e),
    };
    // Past the horizon, the first `EXACT_PAST_HORIZON` commits are still compared, so
    // that recently expired files keep their exact date. Older commits are only read,
    // while every commit after them is too: a file they alone changed is stale whatever
    // its exact date. One at or after the horizon further down (a skewed clock) makes
    // them count again.
    let mut exact_past_horizon = EXACT_PAST_HORIZON;
    let mut pending: Vec<Pending> = Vec::new();
    // First parents, read once each (a revwalk would read every commit twice), by another
    // thread when the caller started one.
    let commits: Box<dyn Iterator<Item = FirstParent>> = match prefetched {
        Some(receiver) => Box::new(receiver.into_iter()),
        None => Box::new(first_parents(repo, head.peel_to_commit()?)),
    };
    for commit in commits {
        if walker.missing.is_empty() {
            break;
        }
        let (id, when) = commit?;
        let before_horizon = horizon.is_some_and(|h| when < h);
        if before_horizon && exact_past_horizon == 0 {
            pending.push(Pending { id, when });
        } else {
            if before_horizon {
                exact_past_horizon -= 1;
            }
            for old in pending.drain(..) {
                walker.visit(&repo.find_commit(old.id)?, old.when)?;
            }
            walker.visit(&repo.find_commit(id)?, when)?;
        }
    }
    if !walker.missing.is_empty() && !pending.is_empty() {
        if walker.shallow {
            // The history ends at a shallow boundary, and what it seems to add may be far
            // newer or older: compare the commits after all, for the usual shallow error.
            for old in pending.drain(..) {
                walker.visit(&repo.find_commit(old.id)?, old.when)?;
            }
        } else {
            let newest = pending
                .iter()
                .map(|p| p.when)
                .max()
                .unwrap_or(Timestamp::UNIX_EPOCH);
            for path in walker.missing.drain() {
                walker
                    .dates
                    .insert(path.to_string(), Ok(LastChange::NotSince(newest)));
            }
        }
    }
    Ok(walker.dates)
}

struct Walker<'w> {
    repo: &'w Repository,
    dates: HashMap<String, CommitDate>,
    /// Wanted files without a date yet.
    missing: HashSet<&'w str>,
    dirs: HashSet<&'w str>,
    shallow: bool,
    changed: Vec<String>,
}

impl Walker<'_> {
    /// Compare `commit` with its first parent, dating the undated files it changed.
    fn visit(&mut self, commit: &Commit<'_>, when: Timestamp) -> Result<(), git2::Error> {
        if self.missing.is_empty() {
            return Ok(());
        }
        let tree = commit.tree()?;
        let parent = commit.parent(0).ok();
        let parent_tree = match &parent {
            Some(p) => Some(p.tree()?),
            None => None,
        };
        // In a shallow clone the oldest commit's "parent" is cut off: what it seems to add
        // may be far older, so those dates are unknown, not "now".
        let boundary = parent.is_none() && self.shallow;
        self.changed.clear();
        changed_files(
            self.repo,
            parent_tree.as_ref(),
            &tree,
            "",
            &self.dirs,
            &self.missing,
            &mut self.changed,
        )?;
        for path in &self.changed {
            if let Some(path) = self.missing.take(path.as_str()) {
                let date = if boundary {
                    Err(
                        "the clone is shallow, so the file's last commit is not in the history; \
                         fetch full history (actions/checkout with `fetch-depth: 0`)"
                            .to_string(),
                    )
                } else {
                    Ok(LastChange::At(when))
                };
                self.dates.insert(path.to_string(), date);
            }
        }
        Ok(())
    }
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
