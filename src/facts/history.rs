//! Last-commit dates of many files in one walk over history.
//!
//! Walking first parents from HEAD, each commit's tree is compared with its parent's once,
//! entering only changed directories that still hold undated wanted files, and a file's
//! date is that of the newest commit that touched it: the day it last landed on the
//! branch. The walk stops as soon as every wanted file has a date. Running `git log` once
//! per file would cost one history walk per file instead.
//!
//! With a horizon (rules that only ask "changed within N days?"), the walk stops at the
//! first commit dated before it, as `git log --since` does: its cost is that of the
//! window, not of the history. A file no commit in the window changed is reported as
//! [`LastChange::NotSince`] the horizon. A commit whose clock is skewed into the past ends
//! the window early, so a file changed below it looks stale, never fresh.
//!
//! Trees are compared by walking both sorted entry lists together (git's tree order), as
//! git's own tree diff does: no lookup by name, no allocation per entry.

use std::cmp::Ordering;
use std::collections::HashMap;

use git2::{ObjectType, Repository, Tree, TreeEntry};
use jiff::Timestamp;

use super::{CommitDate, LastChange};

pub fn last_commit_dates(
    repo: &Repository,
    wanted: &[&str],
    horizon: Option<Timestamp>,
) -> Result<HashMap<String, CommitDate>, String> {
    walk(repo, wanted, horizon).map_err(|e| format!("cannot read git history: {}", e.message()))
}

fn walk(
    repo: &Repository,
    wanted: &[&str],
    horizon: Option<Timestamp>,
) -> Result<HashMap<String, CommitDate>, git2::Error> {
    let mut walker = Walker {
        repo,
        dates: HashMap::with_capacity(wanted.len()),
        missing: wanted.iter().map(|p| (*p, ())).collect(),
        undated_below: HashMap::new(),
        changed: Vec::new(),
        path: String::new(),
    };
    // Every directory that holds a wanted file, with how many: the only ones worth
    // entering, until all their files are dated.
    for path in wanted {
        let mut rest = *path;
        while let Some((dir, _)) = rest.rsplit_once('/') {
            *walker.undated_below.entry(dir).or_insert(0) += 1;
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
    bound_object_cache();
    let shallow = repo.is_shallow();
    let mut commit = head.peel_to_commit()?;
    let mut tree = commit.tree()?;
    while !walker.missing.is_empty() {
        let when = Timestamp::from_second(commit.time().seconds()).unwrap_or(Timestamp::UNIX_EPOCH);
        if let Some(horizon) = horizon.filter(|h| when < *h) {
            // The window ends here: what it did not change, it did not change since.
            for (path, ()) in walker.missing.drain() {
                walker
                    .dates
                    .insert(path.to_string(), Ok(LastChange::NotSince(horizon)));
            }
            break;
        }
        // Each commit and tree is read once: the parent's become the next round's.
        let parent = match commit.parent(0) {
            Ok(parent) => Some(parent),
            // The end of history, or of a shallow clone.
            Err(_) if commit.parent_count() == 0 || shallow => None,
            Err(e) => return Err(e),
        };
        let parent_tree = match &parent {
            Some(p) => Some(p.tree()?),
            None => None,
        };
        // In a shallow clone the oldest commit's "parent" is cut off: what it seems to add
        // may be far older, so those dates are unknown, not "now".
        let boundary = parent.is_none() && shallow;
        walker.visit(parent_tree.as_ref(), &tree, when, boundary)?;
        match (parent, parent_tree) {
            (Some(p), Some(t)) => {
                commit = p;
                tree = t;
            }
            // Files never committed (staged only) stay undated: fresh.
            _ => break,
        }
    }
    Ok(walker.dates)
}

/// libgit2 keeps up to 256 MB of the commits and small trees it has read. This walk
/// reads each at most twice in a row and holds what it reuses, so a walk over a long
/// history would only fill the cache: keep it to what git itself would use.
fn bound_object_cache() {
    const CACHE_BYTES: libc::ssize_t = 16 * 1024 * 1024;
    // SAFETY: a documented libgit2 option taking one `ssize_t`; git2 has initialised
    // libgit2 (a repository is open), and warden sets no option from two threads at once.
    unsafe {
        libgit2_sys::git_libgit2_opts(
            libgit2_sys::GIT_OPT_SET_CACHE_MAX_SIZE as libc::c_int,
            CACHE_BYTES,
        );
    }
}

struct Walker<'w> {
    repo: &'w Repository,
    dates: HashMap<String, CommitDate>,
    /// Wanted files without a date yet.
    missing: HashMap<&'w str, ()>,
    /// Directories by how many wanted files below them have no date yet.
    undated_below: HashMap<&'w str, usize>,
    /// The wanted files the commit being visited changed.
    changed: Vec<&'w str>,
    /// The path being compared, reused for every entry.
    path: String,
}

impl<'w> Walker<'w> {
    /// Compare a commit's tree with its first parent's, dating the undated files changed.
    fn visit(
        &mut self,
        old: Option<&Tree<'_>>,
        new: &Tree<'_>,
        when: Timestamp,
        boundary: bool,
    ) -> Result<(), git2::Error> {
        self.changed.clear();
        self.path.clear();
        self.compare(old, new)?;
        for i in 0..self.changed.len() {
            let path = self.changed[i];
            if self.missing.remove(path).is_none() {
                continue;
            }
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
            let mut rest = path;
            while let Some((dir, _)) = rest.rsplit_once('/') {
                if let Some(count) = self.undated_below.get_mut(dir) {
                    *count = count.saturating_sub(1);
                }
                rest = dir;
            }
        }
        Ok(())
    }

    /// The wanted files `new` adds or changes compared with `old`, below `self.path`.
    /// Entries with the same id are skipped, so are subtrees whose wanted files are all
    /// dated: a commit costs what it touches, not the size of the tree.
    fn compare(&mut self, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<(), git2::Error> {
        let mut i = 0;
        for entry in new.iter() {
            // Both lists are in git's tree order: skip what only the old one has.
            let mut before = None;
            while let Some(o) = old.and_then(|t| t.get(i)) {
                match tree_order(&o, &entry) {
                    Ordering::Less => i += 1,
                    Ordering::Equal => {
                        i += 1;
                        before = Some(o);
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
            if before
                .as_ref()
                .is_some_and(|b| b.id() == entry.id() && b.filemode() == entry.filemode())
            {
                continue;
            }
            let len = self.path.len();
            if len > 0 {
                self.path.push('/');
            }
            match std::str::from_utf8(entry.name_bytes()) {
                Ok(name) => self.path.push_str(name),
                Err(_) => self
                    .path
                    .push_str(&String::from_utf8_lossy(entry.name_bytes())),
            }
            let result = self.entered(before, &entry);
            self.path.truncate(len);
            result?;
        }
        Ok(())
    }

    fn entered(
        &mut self,
        before: Option<TreeEntry<'_>>,
        entry: &TreeEntry<'_>,
    ) -> Result<(), git2::Error> {
        if entry.kind() == Some(ObjectType::Tree) {
            if self
                .undated_below
                .get(self.path.as_str())
                .is_some_and(|n| *n > 0)
            {
                let subtree = self.repo.find_tree(entry.id())?;
                // Same order means same kind: a file replaced by a directory has no "before".
                let old_subtree = match before {
                    Some(b) => Some(self.repo.find_tree(b.id())?),
                    None => None,
                };
                self.compare(old_subtree.as_ref(), &subtree)?;
            }
        } else if let Some((path, ())) = self.missing.get_key_value(self.path.as_str()) {
            self.changed.push(path);
        }
        Ok(())
    }
}

/// git's order of tree entries: by name, a tree's name compared as if it ended in `/`.
fn tree_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let (x, y) = (a.name_bytes(), b.name_bytes());
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let end = |name: &[u8], e: &TreeEntry<'_>| {
            name.get(n)
                .copied()
                .unwrap_or(if e.kind() == Some(ObjectType::Tree) {
                    b'/'
                } else {
                    0
                })
        };
        end(x, a).cmp(&end(y, b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commit `files` (path, text; `None` removes it) on top of HEAD at `seconds`.
    fn commit(repo: &Repository, files: &[(&str, Option<&str>)], seconds: i64) {
        let mut index = repo.index().unwrap();
        for (path, text) in files {
            match text {
                Some(text) => {
                    let full = repo.workdir().unwrap().join(path);
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, text).unwrap();
                    index.add_path(std::path::Path::new(path)).unwrap();
                }
                None => {
                    let _ = std::fs::remove_file(repo.workdir().unwrap().join(path));
                    index.remove_path(std::path::Path::new(path)).unwrap();
                }
            }
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(seconds, 0)).unwrap();
        let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap();
    }

    fn at(seconds: i64) -> CommitDate {
        Ok(LastChange::At(Timestamp::from_second(seconds).unwrap()))
    }

    #[test]
    fn names_that_sort_around_a_directory_are_matched_in_gits_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        // In git's order "a-b.md" and "a.md" sort before the tree "a" ("a/"), "a0.md"
        // after it: a lookup that got this wrong would see them all as changed.
        let all = [
            ("a-b.md", Some("1")),
            ("a.md", Some("1")),
            ("a/x.md", Some("1")),
            ("a0.md", Some("1")),
            ("b/c/d.md", Some("1")),
        ];
        commit(&repo, &all, 1_000);
        commit(&repo, &[("a/x.md", Some("2"))], 2_000);
        commit(&repo, &[("a0.md", Some("2"))], 3_000);
        // A file replaced by a directory of the same name.
        commit(
            &repo,
            &[("b/c/d.md", None), ("b/c/d.md/e.md", Some("1"))],
            4_000,
        );
        let wanted = ["a-b.md", "a.md", "a/x.md", "a0.md", "b/c/d.md/e.md"];
        let dates = last_commit_dates(&repo, &wanted, None).unwrap();
        assert_eq!(dates["a-b.md"], at(1_000));
        assert_eq!(dates["a.md"], at(1_000));
        assert_eq!(dates["a/x.md"], at(2_000));
        assert_eq!(dates["a0.md"], at(3_000));
        assert_eq!(dates["b/c/d.md/e.md"], at(4_000));
    }

    #[test]
    fn the_walk_stops_at_the_horizon() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit(
            &repo,
            &[("old.md", Some("1")), ("new.md", Some("1"))],
            1_000,
        );
        commit(&repo, &[("new.md", Some("2"))], 5_000);
        let horizon = Timestamp::from_second(4_000).unwrap();
        let dates = last_commit_dates(&repo, &["old.md", "new.md"], Some(horizon)).unwrap();
        assert_eq!(dates["new.md"], at(5_000));
        assert_eq!(dates["old.md"], Ok(LastChange::NotSince(horizon)));
        // Without one, the walk goes on to the file's last change.
        let dates = last_commit_dates(&repo, &["old.md"], None).unwrap();
        assert_eq!(dates["old.md"], at(1_000));
    }
}
