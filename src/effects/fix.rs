//! `warden fix`: close the gaps whose rules carry a local fix, in the checkout.
//!
//! Check, plan every fix with [`crate::fix::local::plan`] (the same decisions the org
//! pull requests use), print the plan, write the changes, stage them only when asked,
//! then check again and say which fixed gaps are still open.
//!
//! Writes never leave the repository ([`confined`]): a symlink planted in a parent
//! directory is refused rather than followed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::confined;
use crate::fix::local::{self, read_local, Allow, Existing, RepoFiles};
use crate::fix::{Content, ContentReader, FileChange, Fix, LocalFix};
use crate::github::ClientConfig;
use crate::report::{Report, ReportedFinding};
use crate::run::{RunError, RunOptions};

/// What the user asked of `warden fix`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Print the plan; write nothing.
    pub dry_run: bool,
    /// Delete files, and replace files or links the policy wants different.
    pub allow_delete: bool,
    /// Stage the changed paths in the git index.
    pub stage: bool,
}

/// What happens to one fixable gap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In the plan (a dry run stops here).
    Planned,
    /// Written.
    Done,
    /// The checkout already has what the fix wants (the gap is about the index: stage it).
    InPlace,
    /// Not done, and why (e.g. it needs `--allow-delete`).
    Refused,
    /// The write failed.
    Failed,
}

/// One fixable gap and what became of it.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub rule: String,
    pub fingerprint: String,
    pub message: String,
    /// `symlink`, `create-file`, `set-value` or `delete`.
    pub kind: &'static str,
    pub path: String,
    /// The fix in one line.
    pub description: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip)]
    change: Option<FileChange>,
    /// Another item's change (to the same path) performs this fix too.
    #[serde(skip)]
    shared: bool,
}

/// A gap `warden fix` cannot close, and what can.
#[derive(Clone, Debug, Serialize)]
pub struct NotFixable {
    pub rule: String,
    pub fingerprint: String,
    pub message: String,
    /// `run \`warden apply\``, or that no fix is known.
    pub how: String,
}

/// The whole run: the plan, what was done, and the re-check.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub dry_run: bool,
    pub fixes: Vec<Item>,
    pub not_fixable: Vec<NotFixable>,
    /// Paths added to or removed from the git index (`--stage`).
    pub staged: Vec<String>,
    /// How the re-check judged the fixes: `staged` (the real index) or `as if staged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rechecked: Option<&'static str>,
    /// Fixed gaps the re-check still finds, by fingerprint, with its message.
    pub still_open: Vec<NotFixable>,
    /// What stopped the run after files were written (staging or re-checking failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The exit code: 0 when every fixed gap is closed and nothing blocking remains.
    pub exit_code: i32,
}

/// Check, plan, apply, re-check. `Err` only for what stops `warden check` too.
pub fn run(options: &RunOptions, fix: FixOptions) -> Result<Outcome, RunError> {
    let report = crate::run::check(options, false)?;
    let root = PathBuf::from(&report.root);
    let contents = CheckoutContent {
        github: options.github.client_config(),
    };
    let allow = Allow {
        delete: fix.allow_delete,
    };
    let (mut fixes, not_fixable) = plan(&report, &root, &contents, allow);
    let mut outcome = Outcome {
        dry_run: fix.dry_run,
        fixes: Vec::new(),
        not_fixable,
        staged: Vec::new(),
        rechecked: None,
        still_open: Vec::new(),
        problem: None,
        exit_code: report.exit_code(),
    };
    if fix.dry_run {
        outcome.fixes = fixes;
        return Ok(outcome);
    }
    for item in &mut fixes {
        let Some(change) = item
            .change
            .as_ref()
            .filter(|_| item.status == Status::Planned)
        else {
            continue;
        };
        match confined::write(&root, change) {
            Ok(()) => item.status = Status::Done,
            Err(e) => {
                item.status = Status::Failed;
                item.reason = Some(e);
            }
        }
    }
    // What the index should get: the changes written, and fixes already in the working
    // tree (created by hand or by an earlier `warden fix` without --stage).
    settle_shared(&mut fixes);
    let done: Vec<&FileChange> = fixes
        .iter()
        .filter(|i| matches!(i.status, Status::Done | Status::InPlace))
        .filter_map(|i| i.change.as_ref())
        .collect();
    let attempted = fixes
        .iter()
        .any(|i| matches!(i.status, Status::Done | Status::InPlace));
    let failed = fixes.iter().any(|i| i.status == Status::Failed);
    if !attempted {
        if failed {
            outcome.exit_code = 1;
        }
        outcome.fixes = fixes;
        return Ok(outcome);
    }
    let recheck = if fix.stage {
        match stage(&root, &done) {
            Ok(staged) => outcome.staged = staged,
            // The files are written: say so, and that the index is not as asked.
            Err(e) => {
                outcome.problem = Some(e);
                outcome.exit_code = 1;
                outcome.fixes = fixes;
                return Ok(outcome);
            }
        }
        outcome.rechecked = Some("staged");
        crate::run::check(options, false)?
    } else {
        match index_with(&root, &done) {
            Ok(Some(index)) => {
                outcome.rechecked = Some("as if staged");
                crate::run::check_index(options, index)?
            }
            // Not a git repository: the files themselves are the tree.
            Ok(None) => {
                outcome.rechecked = Some("the working tree");
                crate::run::check(options, false)?
            }
            Err(e) => {
                outcome.problem = Some(format!("cannot re-check: {e}"));
                outcome.exit_code = 1;
                outcome.fixes = fixes;
                return Ok(outcome);
            }
        }
    };
    for item in &fixes {
        if !matches!(item.status, Status::Done | Status::InPlace) {
            continue;
        }
        if let Some(open) = recheck.gaps().find(|g| g.fingerprint == item.fingerprint) {
            outcome.still_open.push(NotFixable {
                rule: open.rule.clone(),
                fingerprint: open.fingerprint.clone(),
                message: open.message.clone(),
                how: "still open after the fix".to_string(),
            });
        }
    }
    outcome.exit_code = if outcome.still_open.is_empty() && !failed {
        recheck.exit_code()
    } else {
        1
    };
    outcome.fixes = fixes;
    Ok(outcome)
}

/// The plan for every gap of `report`: its fix's change (or why not), and the gaps no
/// local fix closes.
pub fn plan(
    report: &Report,
    root: &Path,
    contents: &dyn ContentReader,
    allow: Allow,
) -> (Vec<Item>, Vec<NotFixable>) {
    let checkout = Checkout { root };
    // Later fixes see the changes planned before them: two values set in one file make
    // one write holding both.
    let mut files = Overlay {
        base: &checkout,
        planned: HashMap::new(),
    };
    let mut fixes: Vec<Item> = Vec::new();
    let mut not_fixable = Vec::new();
    for gap in report.gaps() {
        let local = match gap.fix_data.as_deref() {
            Some(Fix::Local(local)) => local,
            other => {
                not_fixable.push(NotFixable {
                    rule: gap.rule.clone(),
                    fingerprint: gap.fingerprint.clone(),
                    message: gap.message.clone(),
                    how: match other {
                        Some(fix) => format!("run `{}` ({})", fix.command(), fix.describe()),
                        None => "no fix is known; see the gap's help".to_string(),
                    },
                });
                continue;
            }
        };
        let mut item = item_for(gap, local);
        let path = local.path();
        let earlier = fixes
            .iter()
            .position(|i| i.path == path && i.change.is_some());
        match local::plan(local, &files, contents, allow) {
            Ok(Some(change)) => {
                files.planned.insert(path.to_string(), after(&change));
                if let Some(i) = earlier {
                    // This change includes the earlier one: it is written once, here.
                    fixes[i].change = None;
                    fixes[i].shared = true;
                }
                item.change = Some(change);
            }
            Ok(None) if earlier.is_some() || files.planned.contains_key(path) => {
                item.shared = true;
            }
            Ok(None) => {
                item.change = in_place(local, &checkout);
                item.status = Status::InPlace;
                item.reason = Some(
                    "the working tree already has it; the check reads the git index: \
                     `git add` it (or run with --stage)"
                        .to_string(),
                );
            }
            Err(why) => {
                item.status = Status::Refused;
                item.reason = Some(why);
            }
        }
        fixes.push(item);
    }
    (fixes, not_fixable)
}

/// What a path holds once `change` is made.
fn after(change: &FileChange) -> Existing {
    match change {
        FileChange::Write { bytes, .. } => Existing::File(bytes.clone()),
        FileChange::Symlink { target, .. } => Existing::Symlink(target.clone()),
        FileChange::Delete { .. } => Existing::Missing,
    }
}

/// The checkout with the changes planned so far.
struct Overlay<'a> {
    base: &'a Checkout<'a>,
    planned: HashMap<String, Existing>,
}

impl RepoFiles for Overlay<'_> {
    fn existing(&self, path: &str) -> Result<Existing, String> {
        match self.planned.get(path) {
            Some(planned) => Ok(planned.clone()),
            None => self.base.existing(path),
        }
    }
}

/// Fixes whose change another item writes take that item's status.
fn settle_shared(fixes: &mut [Item]) {
    let carriers: HashMap<String, (Status, Option<String>)> = fixes
        .iter()
        .filter(|i| i.change.is_some())
        .map(|i| (i.path.clone(), (i.status.clone(), i.reason.clone())))
        .collect();
    for item in fixes.iter_mut().filter(|i| i.shared) {
        if let Some((status, reason)) = carriers.get(&item.path) {
            item.status = status.clone();
            item.reason = reason.clone();
        }
    }
}

/// The change a fix already in the working tree amounts to, for staging it.
fn in_place(fix: &LocalFix, files: &Checkout<'_>) -> Option<FileChange> {
    let path = fix.path().to_string();
    Some(match (fix, files.existing(&path).ok()?) {
        (LocalFix::Symlink { target, .. }, _) => FileChange::Symlink {
            path,
            target: target.clone(),
        },
        (_, Existing::File(bytes)) => FileChange::Write { path, bytes },
        (LocalFix::Delete { .. }, Existing::Missing) => FileChange::Delete { path },
        _ => return None,
    })
}

fn item_for(gap: &ReportedFinding, fix: &LocalFix) -> Item {
    Item {
        rule: gap.rule.clone(),
        fingerprint: gap.fingerprint.clone(),
        message: gap.message.clone(),
        kind: fix.kind(),
        path: fix.path().to_string(),
        description: fix.describe(),
        status: Status::Planned,
        reason: None,
        change: None,
        shared: false,
    }
}

/// Human text of the outcome: the plan (or what was done), what is not fixable here, and
/// the re-check.
pub fn render(outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let verb = if outcome.dry_run {
        "would fix (dry run, nothing written)"
    } else {
        "fix"
    };
    if outcome.fixes.is_empty() {
        writeln!(out, "warden fix: no gap has a fix warden can make here")?;
    } else {
        writeln!(out, "warden {verb}:")?;
    }
    for item in &outcome.fixes {
        let mark = match item.status {
            Status::Planned => "plan",
            Status::Done => "done",
            Status::InPlace => "in place",
            Status::Refused => "refused",
            Status::Failed => "FAILED",
        };
        writeln!(out, "  [{mark}] {}: {}", item.rule, item.description)?;
        if let Some(reason) = &item.reason {
            writeln!(out, "      {reason}")?;
        }
    }
    if !outcome.not_fixable.is_empty() {
        writeln!(out, "not fixable here:")?;
        for gap in &outcome.not_fixable {
            writeln!(out, "  {}: {} — {}", gap.rule, gap.message, gap.how)?;
        }
    }
    if let Some(problem) = &outcome.problem {
        writeln!(out, "problem: {problem}")?;
    }
    if !outcome.staged.is_empty() {
        writeln!(out, "staged: {}", outcome.staged.join(", "))?;
    }
    if let Some(how) = outcome.rechecked {
        if outcome.still_open.is_empty() {
            writeln!(out, "re-check ({how}): every fixed gap is closed")?;
        } else {
            writeln!(out, "re-check ({how}): still open:")?;
            for gap in &outcome.still_open {
                writeln!(out, "  {}: {}", gap.rule, gap.message)?;
            }
        }
        if how == "as if staged" {
            writeln!(
                out,
                "nothing was staged: `git add` the fixed paths, or run `warden fix --stage`"
            )?;
        }
    }
    Ok(())
}

/// Reads what is in the working tree, refusing paths through symlinks.
struct Checkout<'a> {
    root: &'a Path,
}

impl RepoFiles for Checkout<'_> {
    fn existing(&self, path: &str) -> Result<Existing, String> {
        local::check_path(path)?;
        let mut at = self.root.to_path_buf();
        let parts: Vec<&str> = path.split('/').collect();
        for (depth, part) in parts.iter().enumerate() {
            at.push(part);
            let meta = match std::fs::symlink_metadata(&at) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Missing),
                Err(e) => return Err(format!("cannot read `{path}`: {e}")),
            };
            let last = depth + 1 == parts.len();
            let shown = parts[..=depth].join("/");
            if meta.file_type().is_symlink() {
                if !last {
                    return Err(format!(
                        "`{shown}` is a symlink; warden never writes through one (it may \
                         lead out of the repository)"
                    ));
                }
                let target = std::fs::read_link(&at)
                    .map_err(|e| format!("cannot read the link `{path}`: {e}"))?;
                return Ok(Existing::Symlink(target.to_string_lossy().into_owned()));
            }
            if !last {
                if !meta.is_dir() {
                    return Err(format!("`{shown}` is a file, not a directory"));
                }
                continue;
            }
            if meta.is_dir() {
                return Ok(Existing::Other("a directory".to_string()));
            }
            if !meta.is_file() {
                return Ok(Existing::Other(
                    "not a regular file (a device, FIFO or socket)".to_string(),
                ));
            }
            // Larger than anything warden parses or writes: not read into memory.
            if meta.len() > crate::select::MAX_DOCUMENT_BYTES as u64 {
                return Err(format!(
                    "`{path}` is larger than {} MiB; warden does not change it",
                    crate::select::MAX_DOCUMENT_BYTES >> 20
                ));
            }
            let bytes = std::fs::read(&at).map_err(|e| format!("cannot read `{path}`: {e}"))?;
            return Ok(Existing::File(bytes));
        }
        unreachable!("a checked path has one part at least")
    }
}

/// Inline and template content from disk; `github:` content through the contents API.
struct CheckoutContent {
    github: Result<ClientConfig, String>,
}

impl ContentReader for CheckoutContent {
    fn read(&self, content: &Content) -> Result<Vec<u8>, String> {
        if let Some(local) = read_local(content) {
            return local;
        }
        let Content::GitHub {
            repo,
            path,
            reference,
        } = content
        else {
            unreachable!("read_local reads everything else")
        };
        let config = self
            .github
            .clone()
            .map_err(|why| format!("cannot read `github:{repo}/{path}@{reference}`: {why}"))?;
        let (answer, _) = crate::github::with_client(config, async |client| {
            crate::github::contents::file(client, repo, path, reference).await
        })
        .map_err(|e| e.to_string())?;
        answer.map_err(|e| format!("cannot read `github:{repo}/{path}@{reference}`: {e}"))
    }
}

/// Stage exactly the changed paths; the paths staged.
pub fn stage(root: &Path, changes: &[&FileChange]) -> Result<Vec<String>, String> {
    let repo = git2::Repository::open(root).map_err(|e| {
        format!(
            "cannot stage: {} is not a git repository ({e})",
            root.display()
        )
    })?;
    let mut index = repo
        .index()
        .map_err(|e| format!("cannot read the git index: {e}"))?;
    let mut staged = Vec::new();
    for change in changes {
        let path = Path::new(change.path());
        let done = match change {
            FileChange::Delete { .. } => index.remove_path(path),
            _ => index.add_path(path),
        };
        done.map_err(|e| format!("cannot stage `{}`: {e}", change.path()))?;
        staged.push(change.path().to_string());
    }
    index
        .write()
        .map_err(|e| format!("cannot write the git index: {e}"))?;
    Ok(staged)
}

/// The repository's git index with `changes` applied in memory, to re-check the fixes as
/// they will be once staged. `None` outside git. The index file is not written; only a
/// symlink's target is stored as a blob (git reads link targets from blobs).
fn index_with(root: &Path, changes: &[&FileChange]) -> Result<Option<gix_index::File>, String> {
    use gix_index::entry::{Flags, Mode, Stat};
    let Ok(repo) = git2::Repository::open(root) else {
        return Ok(None);
    };
    let mut file = crate::facts::git::read_index(&repo)
        .ok_or("the git index is split or sparse; re-check after staging (--stage)")?;
    let changed: Vec<&str> = changes.iter().map(|c| c.path()).collect();
    let mut modes = HashMap::new();
    file.remove_entries(|_, path, entry| {
        let path = String::from_utf8_lossy(path);
        let hit = changed.contains(&path.as_ref());
        if hit {
            modes.insert(path.into_owned(), entry.mode);
        }
        hit
    });
    file.remove_tree();
    for change in changes {
        let (oid, mode) = match change {
            FileChange::Write { path, bytes } => {
                let oid = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
                    .map_err(|e| e.to_string())?;
                let mode = match modes.get(path.as_str()) {
                    Some(&m) if m == Mode::FILE_EXECUTABLE => m,
                    _ => Mode::FILE,
                };
                (oid, mode)
            }
            FileChange::Symlink { target, .. } => {
                let oid = repo
                    .blob(target.as_bytes())
                    .map_err(|e| format!("cannot store the link target: {e}"))?;
                (oid, Mode::SYMLINK)
            }
            FileChange::Delete { .. } => continue,
        };
        let id = gix_index::hash::ObjectId::try_from(oid.as_bytes())
            .map_err(|e| format!("unexpected object id: {e}"))?;
        file.dangerously_push_entry(
            Stat::default(),
            id,
            Flags::empty(),
            mode,
            change.path().as_bytes().into(),
        );
    }
    file.sort_entries();
    Ok(Some(file))
}
