//! Facts about a repository, gathered once and then frozen for the rules.
//!
//! The file list of a git repository comes from the git index (tracked and staged files,
//! with their git mode), so a symlink committed as a symlink is told apart from a copy, and
//! untracked clutter never counts. Outside git, a directory walk stands in.
//! Rules say what else they need through [`Needs`] (file contents, last-commit dates) so
//! that work is done only for the files that matter, in one pass.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rayon::prelude::*;

use crate::policy::patterns::Globs;

mod format;
pub(crate) mod git;
mod git_index;
mod history;
mod text;
mod walk;

pub use text::{read_worktree_text, TextSource, MAX_CONTENT_BYTES};

/// What a repository entry is, as git records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Executable,
    /// Mode 120000; `target` is the link text exactly as committed.
    Symlink {
        target: String,
    },
    /// A gitlink (mode 160000).
    Submodule,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// `/`-separated, relative to the repository root.
    pub path: String,
    pub kind: EntryKind,
}

fn path_of(file: &FileEntry) -> &str {
    &file.path
}

/// Where the file list came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSource {
    GitIndex,
    Walk,
    /// The git trees API of a remote repository (org sweeps, no clone).
    Tree,
}

/// When a file last changed, as far as the history walk had to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastChange {
    /// The date of the newest commit that changed it.
    At(Timestamp),
    /// No commit since this moment (the walk's horizon) changed it: the walk read only
    /// the commits since then, as `git log --since` does. See
    /// [`HistoryNeed::exact_within_days`].
    NotSince(Timestamp),
}

/// The last change of a file, or why it cannot be known.
pub type CommitDate = Result<LastChange, String>;

/// Files whose last-commit dates a rule reads.
#[derive(Clone, Debug)]
pub struct HistoryNeed {
    pub paths: Globs,
    /// Dates more than this many days before the run's clock (in UTC calendar days) need
    /// not be exact: the walk stops at that horizon (the start of that UTC day) and
    /// reports the files it has not dated as [`LastChange::NotSince`] it. `None`: every
    /// date must be exact (the walk may read the whole history).
    pub exact_within_days: Option<u64>,
}

/// What rules need beyond the file list.
#[derive(Default, Debug)]
pub struct Needs {
    /// Files whose text rules read ahead, kept in [`Facts::contents`].
    pub content: Vec<Globs>,
    /// Files whose text rules judge one at a time through [`Facts::scan_texts`], never
    /// all held at once (`contains` over a glob).
    pub streamed: Vec<Globs>,
    /// Files whose last-commit date rules read.
    pub history: Vec<HistoryNeed>,
    /// What GitHub rules need fetched.
    pub github: crate::github::GitHubNeeds,
    /// Fetch the state of the issues a PR body references (for `pr-issue-link`).
    pub pr_issues: bool,
    /// Paths outside the repository (relative to its root, e.g. `../organisation-rules/X`)
    /// whose existence a rule asks about. Only ever stat-ed, never read.
    pub outside: Vec<String>,
}

impl Needs {
    /// Whether some rule reads the text of `path` (read ahead or streamed).
    pub fn reads_text(&self, path: &str) -> bool {
        self.content
            .iter()
            .chain(&self.streamed)
            .any(|g| g.is_match(path))
    }

    /// The files (sorted) whose text rules stream.
    fn streamed_files<'f>(&self, files: &'f [FileEntry]) -> Vec<&'f FileEntry> {
        let mut wanted: Vec<&FileEntry> = self
            .streamed
            .iter()
            .flat_map(|globs| globs.select(files, path_of))
            .collect();
        if self.streamed.len() > 1 {
            wanted.sort_unstable_by(|a, b| a.path.cmp(&b.path));
            wanted.dedup_by(|a, b| a.path == b.path);
        }
        wanted
    }

    /// The files (sorted, as in [`Facts::files`]) whose text rules read, sorted.
    fn content_files<'f>(&self, files: &'f [FileEntry]) -> Vec<&'f FileEntry> {
        let mut wanted: Vec<&FileEntry> = self
            .content
            .iter()
            .flat_map(|globs| globs.select(files, path_of))
            .collect();
        if self.content.len() > 1 {
            wanted.sort_unstable_by(|a, b| a.path.cmp(&b.path));
            wanted.dedup_by(|a, b| a.path == b.path);
        }
        wanted
    }

    /// The paths of `files` whose last-commit dates rules read, sorted.
    fn history_paths<'f>(&self, files: &'f [FileEntry]) -> Vec<&'f str> {
        let mut wanted: Vec<&str> = self
            .history
            .iter()
            .flat_map(|need| need.paths.select(files, path_of))
            .map(path_of)
            .collect();
        if self.history.len() > 1 {
            wanted.sort_unstable();
            wanted.dedup();
        }
        wanted
    }

    /// The oldest moment whose commits still need exact dates, for a run at `now`; `None`
    /// when some rule needs every date exact (or none needs any).
    fn history_horizon(&self, now: Timestamp) -> Option<Timestamp> {
        let days = self
            .history
            .iter()
            .map(|h| h.exact_within_days)
            .try_fold(0, |max: u64, days| days.map(|d| max.max(d)))?;
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let days = i64::try_from(days).ok()?;
        let start = today
            .checked_sub(jiff::Span::new().try_days(days).ok()?)
            .ok()?;
        start
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    }
}

pub struct GatherOptions {
    pub root: PathBuf,
    /// Pre-commit mode: path rules see only what the commit would change.
    pub staged: bool,
    pub now: Timestamp,
    /// The git index, when the caller read it already (`--staged` reads the policy from
    /// it first): read once, not twice.
    pub index: std::sync::Mutex<Option<gix_index::File>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read the git repository at {path}: {message}")]
    Git { path: PathBuf, message: String },
    /// A bare, SHA-256 or reftable repository: named, never misread.
    #[error("{0}")]
    UnsupportedRepository(String),
    #[error("`--staged` needs a git repository, and {0} is not in one")]
    StagedOutsideGit(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything rules may look at. Built once by [`gather`], never changed afterwards.
#[derive(Debug)]
pub struct Facts {
    pub root: PathBuf,
    pub source: FileSource,
    /// Sorted by path.
    pub files: Vec<FileEntry>,
    /// In `--staged` and PR mode: the files the change adds or modifies (sorted). Path
    /// rules judge these instead of the whole tree. A PR's files need not be in the
    /// checkout (on `pull_request_target` the checkout is the base).
    pub changed: Option<Vec<FileEntry>>,
    /// The pull request, in PR mode.
    pub pr: Option<crate::pr::PullRequest>,
    /// Last-commit dates of the files rules asked for; `Err` when history is unreadable.
    pub last_commit: Result<HashMap<String, CommitDate>, String>,
    /// Text of the files rules asked to read ahead (lossy UTF-8), or why it could not be
    /// read.
    pub contents: HashMap<String, Result<String, String>>,
    /// Where [`Facts::scan_texts`] reads the files that were not read ahead.
    pub text_source: TextSource,
    /// Facts from the GitHub API, attached after the repository facts (or why there are none).
    pub github: crate::github::GitHubState,
    /// Whether each path of [`Needs::outside`] exists.
    pub outside_exists: HashMap<String, bool>,
    pub now: Timestamp,
    /// In `--staged` and PR mode: the tree before the change (HEAD, or the PR's base), as
    /// a patch on `files`; `Err` when it cannot be had (then every gap counts as new).
    pub before: Option<Result<Before, String>>,
}

/// The tree before the change being judged, kept as what differs from the tree after it,
/// so judging both costs one read of the tree, not two.
#[derive(Debug, Default)]
pub struct Before {
    /// What the tree before the change was (`HEAD`, `the base commit abc1234`).
    pub name: String,
    /// Paths the change added: absent before.
    pub added: Vec<String>,
    /// The entries the change modified or removed, as they were before.
    pub entries: Vec<FileEntry>,
    /// The texts before the change of those entries whose text rules read.
    pub contents: HashMap<String, Result<String, String>>,
}

impl Before {
    /// Built from a change read from git: `changed` paths after it, `old` entries before.
    fn from_change(
        repo: &git2::Repository,
        name: String,
        change: &git::StagedChange,
        needs: &Needs,
    ) -> Before {
        let old: std::collections::HashSet<&str> =
            change.before.iter().map(|e| e.path.as_str()).collect();
        let added = change
            .changed
            .iter()
            .filter(|p| !old.contains(p.as_str()))
            .cloned()
            .collect();
        let entries = change
            .before
            .iter()
            .map(|e| e.to_file_entry(repo))
            .collect();
        let contents = change
            .before
            .iter()
            // Read ahead or streamed alike: only the changed files' old texts, so few.
            .filter(|e| needs.reads_text(&e.path))
            .filter(|e| e.mode & 0o170000 == 0o100000)
            .map(|e| {
                (
                    e.path.clone(),
                    git::blob_text(repo, e.id, MAX_CONTENT_BYTES),
                )
            })
            .collect();
        Before {
            name,
            added,
            entries,
            contents,
        }
    }
}

/// The tree before a pull request (`base`: the commit it started from), for the checkout
/// at `root`, as a patch on the checkout's file list.
pub fn before_commit(root: &Path, base: &str, needs: &Needs) -> Result<Before, String> {
    let repo = git2::Repository::discover(root)
        .map_err(|_| format!("{} is not a git checkout", root.display()))?;
    let oid = git2::Oid::from_str(base).map_err(|_| format!("`{base}` is not a commit id"))?;
    let short = &base[..base.len().min(7)];
    if repo.find_commit(oid).is_err() {
        return Err(format!("the checkout lacks the base commit {short}"));
    }
    // The base of what the checkout holds: the base commit itself for a merge checkout,
    // else where the checked-out branch left it.
    let from = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .and_then(|head| repo.merge_base(oid, head).ok())
        .unwrap_or(oid);
    let change = git::change_since(&repo, from)
        .map_err(|e| format!("cannot compare the checkout with {short}: {}", e.message()))?;
    Ok(Before::from_change(
        &repo,
        format!("the base commit {short}"),
        &change,
        needs,
    ))
}

impl Facts {
    /// Facts built by hand, for tests and for sources other than a checkout.
    pub fn from_entries(
        root: PathBuf,
        source: FileSource,
        mut files: Vec<FileEntry>,
        now: Timestamp,
    ) -> Self {
        // The git index is already sorted by path; a walk is not.
        if !files.is_sorted_by(|a, b| a.path <= b.path) {
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Facts {
            root,
            source,
            files,
            changed: None,
            pr: None,
            last_commit: Ok(HashMap::new()),
            contents: HashMap::new(),
            text_source: TextSource::None,
            github: crate::github::GitHubState::NotNeeded,
            outside_exists: HashMap::new(),
            now,
            before: None,
        }
    }

    /// Facts of regular files with the given texts, for tests and for judging content
    /// that did not come from a checkout.
    pub fn from_texts(files: &[(&str, &str)], now: Timestamp) -> Self {
        let entries = files
            .iter()
            .map(|(path, _)| FileEntry {
                path: path.to_string(),
                kind: EntryKind::File,
            })
            .collect();
        let mut facts = Facts::from_entries(".".into(), FileSource::Walk, entries, now);
        facts.contents = files
            .iter()
            .map(|(p, t)| (p.to_string(), Ok(t.to_string())))
            .collect();
        facts
    }

    pub fn get(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The files path rules judge: the changed ones in `--staged` and PR mode, else all.
    pub fn path_candidates(&self) -> Box<dyn Iterator<Item = &FileEntry> + '_> {
        match &self.changed {
            Some(changed) => Box::new(changed.iter()),
            None => Box::new(self.files.iter()),
        }
    }

    /// Judge path rules on these paths only. A path in the checkout keeps its git mode;
    /// one that is not (a PR file on a base checkout) counts as a regular file.
    pub fn set_changed<'a>(&mut self, paths: impl IntoIterator<Item = &'a str>) {
        let mut entries: Vec<FileEntry> = paths
            .into_iter()
            .map(|p| {
                self.get(p).cloned().unwrap_or_else(|| FileEntry {
                    path: p.to_string(),
                    kind: EntryKind::File,
                })
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        entries.dedup_by(|a, b| a.path == b.path);
        self.changed = Some(entries);
    }

    /// The files `globs` match, in order; cheap for globs with a literal directory prefix.
    pub fn files_matching<'f: 'x, 'g: 'x, 'x>(
        &'f self,
        globs: &'g Globs,
    ) -> impl Iterator<Item = &'f FileEntry> + 'x {
        globs.select(&self.files, path_of)
    }

    /// The [path candidates](Self::path_candidates) `globs` match, in order.
    pub fn candidates_matching<'f: 'x, 'g: 'x, 'x>(
        &'f self,
        globs: &'g Globs,
    ) -> impl Iterator<Item = &'f FileEntry> + 'x {
        globs.select(self.changed.as_deref().unwrap_or(&self.files), path_of)
    }

    /// True when `path` is a directory holding tracked files.
    pub fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        // `files` is sorted, so the first path not below `prefix` settles it.
        let start = self
            .files
            .partition_point(|f| f.path.as_str() < prefix.as_str());
        self.files
            .get(start)
            .is_some_and(|f| f.path.starts_with(&prefix))
    }

    /// A file's text, if a rule asked for it in [`Needs`].
    pub fn content(&self, path: &str) -> Option<&Result<String, String>> {
        self.contents.get(path)
    }

    /// The GitHub facts, for rules of [`crate::rules::Scope::GitHub`] (the engine only runs
    /// those when the facts are known).
    pub fn github(&self) -> Option<&crate::github::GitHubFacts> {
        match &self.github {
            crate::github::GitHubState::Known(facts) => Some(facts),
            _ => None,
        }
    }

    pub fn is_staged_mode(&self) -> bool {
        self.changed.is_some() && self.pr.is_none()
    }

    /// These facts as they were before the change: `before` undone on the file list and
    /// the texts, and the changed paths narrowed to those that existed then. Everything
    /// else (history, GitHub, the PR) is the same on both sides.
    pub fn into_before(mut self, before: Before) -> Facts {
        let mut drop: Vec<usize> = before
            .added
            .iter()
            .chain(before.entries.iter().map(|e| &e.path))
            .filter_map(|p| self.files.binary_search_by(|f| f.path.cmp(p)).ok())
            .collect();
        drop.sort_unstable();
        drop.dedup();
        if !drop.is_empty() {
            let mut next = drop.iter().copied().peekable();
            let mut index = 0;
            self.files.retain(|_| {
                let keep = next.peek() != Some(&index);
                if !keep {
                    next.next();
                }
                index += 1;
                keep
            });
        }
        for entry in before.entries {
            let at = self.files.partition_point(|f| f.path < entry.path);
            self.files.insert(at, entry);
        }
        for path in &before.added {
            self.contents.remove(path);
        }
        self.contents.extend(before.contents);
        if let Some(changed) = self.changed.take() {
            let existed: Vec<FileEntry> = changed
                .iter()
                .filter_map(|c| self.get(&c.path).cloned())
                .collect();
            self.changed = Some(existed);
        }
        self
    }
}

/// Gather the facts the rules need, in one pass over the repository.
pub fn gather(options: &GatherOptions, needs: &Needs) -> Result<Facts, FactsError> {
    // warden only reads objects, and git does not re-hash what it reads either; libgit2
    // checking every object's hash was a seventh of a full check.
    git2::opts::strict_hash_verification(false);
    if let Some(why) = format::unsupported(&options.root) {
        return Err(FactsError::UnsupportedRepository(why));
    }
    match git2::Repository::discover(&options.root) {
        Ok(repo) if !repo.is_bare() => gather_git(&repo, options, needs),
        _ if options.staged => Err(FactsError::StagedOutsideGit(options.root.clone())),
        _ => gather_walk(options, needs),
    }
}

fn gather_git(
    repo: &git2::Repository,
    options: &GatherOptions,
    needs: &Needs,
) -> Result<Facts, FactsError> {
    let git_error = |e: git2::Error| FactsError::Git {
        path: options.root.clone(),
        message: e.message().to_string(),
    };
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| options.root.clone());
    let pre_read = options.index.lock().ok().and_then(|mut i| i.take());
    // A check of the working tree needs only the file list: read straight from the index
    // file. `--staged` needs the cache tree, and a given index is already read.
    let direct = if options.staged || pre_read.is_some() {
        None
    } else {
        git_index::entries(&repo.path().join("index"), |id| {
            git::symlink_target(repo, id)
        })
    };
    let (files, index) = match direct {
        Some(files) => (files, None),
        None => {
            // gix-index reads large indexes fast; libgit2 stays for split and sparse ones.
            let index = match pre_read.or_else(|| git::read_index(repo)) {
                Some(file) => Index::Gix(Box::new(file)),
                None => Index::Git2(repo.index().map_err(git_error)?),
            };
            let files = match &index {
                Index::Gix(file) => git::entries_from(repo, file),
                Index::Git2(index) => git::index_entries(repo, index),
            };
            (files, Some(index))
        }
    };
    let staged_index = index.as_ref().filter(|_| options.staged);
    let mut facts = Facts::from_entries(root.clone(), FileSource::GitIndex, files, options.now);
    if let Some(index) = staged_index {
        let change = match index {
            Index::Gix(file) => git::staged_change_from(repo, file),
            Index::Git2(index) => git::staged_change(repo, index),
        }
        .map_err(git_error)?;
        facts.set_changed(change.changed.iter().map(String::as_str));
        facts.before = Some(Ok(Before::from_change(
            repo,
            "HEAD".to_string(),
            &change,
            needs,
        )));
    }

    let wanted = needs.history_paths(&facts.files);
    if !wanted.is_empty() {
        let horizon = needs.history_horizon(options.now);
        facts.last_commit = history::last_commit_dates(repo, &wanted, horizon);
    }

    let wanted = needs.content_files(&facts.files);
    facts.contents = if let Some(index) = staged_index {
        // What the commit will contain is the staged blob, not the working tree.
        wanted
            .iter()
            .map(|f| {
                let text = match index {
                    Index::Gix(file) => {
                        git::staged_text_from(repo, file, &f.path, MAX_CONTENT_BYTES)
                    }
                    Index::Git2(index) => git::staged_text(repo, index, &f.path, MAX_CONTENT_BYTES),
                };
                (f.path.clone(), text)
            })
            .collect()
    } else {
        read_worktree(&root, &wanted)
    };
    facts.text_source = if let Some(index) = staged_index {
        let streamed = needs.streamed_files(&facts.files);
        staged_source(repo, index, &streamed)
    } else {
        TextSource::Worktree(root.clone())
    };
    facts.outside_exists = stat_outside(&root, &needs.outside);
    Ok(facts)
}

/// The staged blobs of the streamed files: only their ids are kept, texts are read when
/// a rule scans them.
fn staged_source(repo: &git2::Repository, index: &Index, files: &[&FileEntry]) -> TextSource {
    if files.is_empty() {
        return TextSource::None;
    }
    let Ok(own) = git2::Repository::open(repo.path()) else {
        return TextSource::None;
    };
    let blobs = files
        .iter()
        .map(|f| {
            let blob = match index {
                Index::Gix(file) => file
                    .entry_by_path(f.path.as_bytes().into())
                    .map(|e| (e.id.as_bytes().to_vec(), u64::from(e.stat.size))),
                Index::Git2(index) => index
                    .get_path(Path::new(&f.path), 0)
                    .map(|e| (e.id.as_bytes().to_vec(), u64::from(e.file_size))),
            };
            let blob = match blob {
                None => Err("not in the index".to_string()),
                Some((_, size)) if size > MAX_CONTENT_BYTES => {
                    Err(format!("larger than {MAX_CONTENT_BYTES} bytes; not read"))
                }
                Some((id, size)) => git2::Oid::from_bytes(&id)
                    .map(|oid| (oid, size))
                    .map_err(|e| e.message().to_string()),
            };
            (f.path.clone(), blob)
        })
        .collect();
    TextSource::Staged {
        repo: std::sync::Mutex::new(own),
        blobs,
    }
}

/// The git index, read by gix-index when it can, else by libgit2.
enum Index {
    Gix(Box<gix_index::File>),
    Git2(git2::Index),
}

fn gather_walk(options: &GatherOptions, needs: &Needs) -> Result<Facts, FactsError> {
    let files = walk::entries(&options.root).map_err(|source| FactsError::Io {
        path: options.root.clone(),
        source,
    })?;
    let mut facts = Facts::from_entries(options.root.clone(), FileSource::Walk, files, options.now);
    let wanted = needs.content_files(&facts.files);
    facts.contents = read_worktree(&options.root, &wanted);
    facts.text_source = TextSource::Worktree(options.root.clone());
    facts.outside_exists = stat_outside(&options.root, &needs.outside);
    if !needs.history.is_empty() {
        facts.last_commit = Err(format!(
            "{} is not a git repository, so commit dates are unknown",
            options.root.display()
        ));
    }
    Ok(facts)
}

fn stat_outside(root: &Path, paths: &[String]) -> HashMap<String, bool> {
    paths
        .iter()
        .map(|p| (p.clone(), root.join(p).exists()))
        .collect()
}

fn read_worktree(root: &Path, wanted: &[&FileEntry]) -> HashMap<String, Result<String, String>> {
    let regular = |f: &&&FileEntry| matches!(f.kind, EntryKind::File | EntryKind::Executable);
    let read = |f: &&FileEntry| (f.path.clone(), read_worktree_text(root, &f.path));
    // A handful of files (package.json, CODEOWNERS) is read before rayon's threads
    // would have started.
    if wanted.len() < 16 {
        return wanted.iter().filter(regular).map(read).collect();
    }
    wanted.par_iter().filter(regular).map(read).collect()
}
