//! `warden fix`: close the gaps whose rules carry a local fix, in the checkout.
//!
//! Check, plan every fix with [`crate::fix::local::plan`] (the same decisions the org
//! pull requests use), print the plan, write the changes, stage them only when asked,
//! then check again and say which fixed gaps are still open.
//!
//! Writes never leave the repository: paths are plain and relative, and on Unix every
//! directory on the way is opened with `O_NOFOLLOW` relative to the one before (as the
//! facts read files), so a symlink planted in a parent directory is refused rather than
//! followed. Files and links are written under a temporary name and renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

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
        match write(&root, change) {
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

/// Perform one change below `root`.
pub fn write(root: &Path, change: &FileChange) -> Result<(), String> {
    local::check_path(change.path())?;
    let path = change.path();
    let (dirs, name) = match path.rsplit_once('/') {
        Some((dirs, name)) => (Some(dirs), name),
        None => (None, path),
    };
    let create = !matches!(change, FileChange::Delete { .. });
    let dir = sys::open_dirs(root, dirs, create).map_err(|e| format!("`{path}`: {e}"))?;
    match change {
        FileChange::Write { bytes, .. } => sys::write_file(&dir, name, bytes),
        FileChange::Symlink { target, .. } => sys::symlink(&dir, name, target),
        FileChange::Delete { .. } => sys::delete(&dir, name),
    }
    .map_err(|e| format!("`{path}`: {e}"))
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

/// Opens each directory relative to the one before without following links, so no write
/// can be redirected outside the repository.
#[cfg(unix)]
mod sys {
    use std::ffi::CString;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    fn c(text: &[u8]) -> io::Result<CString> {
        CString::new(text).map_err(|_| io::Error::other("a path with a NUL byte"))
    }

    fn check(result: libc::c_int) -> io::Result<()> {
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    fn open_at(dir: Option<&OwnedFd>, name: &CString, flags: libc::c_int) -> io::Result<OwnedFd> {
        // SAFETY: a valid C string and an open descriptor (or none with a plain path).
        let fd = unsafe {
            match dir {
                Some(dir) => libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, 0o666),
                None => libc::open(name.as_ptr(), flags, 0o666),
            }
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: just opened, owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    const DIR: libc::c_int =
        libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY | libc::O_NOFOLLOW;

    /// The directory `dirs` below `root` (created when `create`), every step without
    /// following a symlink.
    pub fn open_dirs(root: &Path, dirs: Option<&str>, create: bool) -> io::Result<OwnedFd> {
        let mut dir = open_at(
            None,
            &c(root.as_os_str().as_bytes())?,
            libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY,
        )?;
        for part in dirs.into_iter().flat_map(|d| d.split('/')) {
            let name = c(part.as_bytes())?;
            dir = match open_at(Some(&dir), &name, DIR) {
                Ok(next) => next,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) && create => {
                    // SAFETY: valid descriptor and C string.
                    check(unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o777) })?;
                    open_at(Some(&dir), &name, DIR)?
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                    return Err(io::Error::other(format!(
                        "`{part}` on the way is a symlink or a file, not a directory; warden \
                         never writes through a symlink"
                    )))
                }
                Err(e) => return Err(e),
            };
        }
        Ok(dir)
    }

    /// What is at `name` in `dir`, not following a link: (exists, is a directory, mode).
    fn look(dir: &OwnedFd, name: &CString) -> io::Result<Option<libc::stat>> {
        // SAFETY: all-zero is a valid `stat` to fill in.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor, C string and out-pointer.
        let r = unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                &mut stat,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        match r {
            0 => Ok(Some(stat)),
            _ => {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ENOENT) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    #[allow(clippy::unnecessary_cast)] // `mode_t` is u32 on Linux, u16 on macOS.
    fn refuse_dir(stat: &Option<libc::stat>) -> io::Result<()> {
        match stat {
            Some(s) if (s.st_mode as u32 & libc::S_IFMT as u32) == libc::S_IFDIR as u32 => Err(
                io::Error::other("it is a directory; warden does not replace one"),
            ),
            _ => Ok(()),
        }
    }

    /// A fresh name in `dir` for a temporary entry, made by `make` (which must fail with
    /// EEXIST when the name is taken).
    fn temporary(mut make: impl FnMut(&CString) -> io::Result<()>) -> io::Result<CString> {
        use std::time::{SystemTime, UNIX_EPOCH};
        for attempt in 0..100u32 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = c(
                format!(".warden-fix-{}-{nanos:x}-{attempt}.tmp", std::process::id()).as_bytes(),
            )?;
            match make(&name) {
                Ok(()) => return Ok(name),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("cannot find a free temporary name"))
    }

    fn rename_into(dir: &OwnedFd, from: &CString, to: &CString) -> io::Result<()> {
        // SAFETY: valid descriptor and C strings.
        let r =
            unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) };
        if r < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: as above; the temporary entry is ours.
            unsafe { libc::unlinkat(dir.as_raw_fd(), from.as_ptr(), 0) };
            return Err(e);
        }
        Ok(())
    }

    #[allow(clippy::unnecessary_cast)]
    pub fn write_file(dir: &OwnedFd, name: &str, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let target = c(name.as_bytes())?;
        let now = look(dir, &target)?;
        refuse_dir(&now)?;
        // Keep an existing file's permissions (an executable stays executable).
        let mode = match &now {
            Some(s) if (s.st_mode as u32 & libc::S_IFMT as u32) == libc::S_IFREG as u32 => {
                s.st_mode as u32 & 0o7777
            }
            _ => 0o666,
        };
        let mut file = None;
        let tmp = temporary(|name| {
            let flags =
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
            // SAFETY: valid descriptor and C string.
            let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: just opened, owned by nobody else.
            file = Some(std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) }));
            Ok(())
        })?;
        let mut file = file.expect("set when the name was made");
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        if let Err(e) = written {
            // SAFETY: valid descriptor and C string; the temporary file is ours.
            unsafe { libc::unlinkat(dir.as_raw_fd(), tmp.as_ptr(), 0) };
            return Err(e);
        }
        rename_into(dir, &tmp, &target)
    }

    pub fn symlink(dir: &OwnedFd, name: &str, target: &str) -> io::Result<()> {
        let link = c(name.as_bytes())?;
        refuse_dir(&look(dir, &link)?)?;
        let to = c(target.as_bytes())?;
        let tmp = temporary(|name| {
            // SAFETY: valid descriptor and C strings.
            check(unsafe { libc::symlinkat(to.as_ptr(), dir.as_raw_fd(), name.as_ptr()) })
        })?;
        rename_into(dir, &tmp, &link)
    }

    pub fn delete(dir: &OwnedFd, name: &str) -> io::Result<()> {
        let name = c(name.as_bytes())?;
        refuse_dir(&look(dir, &name)?)?;
        // SAFETY: valid descriptor and C string; unlinkat removes the entry, never
        // what a link points at.
        check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) })
    }
}

/// Without `openat`: look at each component before writing (a narrower guarantee).
#[cfg(not(unix))]
mod sys {
    use std::collections::HashMap;
    use std::io;
    use std::path::{Path, PathBuf};

    pub fn open_dirs(root: &Path, dirs: Option<&str>, create: bool) -> io::Result<PathBuf> {
        let mut at = root.to_path_buf();
        for part in dirs.into_iter().flat_map(|d| d.split('/')) {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                    return Err(io::Error::other(format!(
                        "`{part}` on the way is a symlink or a file, not a directory"
                    )))
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    std::fs::create_dir(&at)?
                }
                Err(e) => return Err(e),
            }
        }
        Ok(at)
    }

    pub fn write_file(dir: &PathBuf, name: &str, bytes: &[u8]) -> io::Result<()> {
        crate::effects::output::write_atomic(&dir.join(name), bytes)
    }

    pub fn symlink(_: &PathBuf, _: &str, _: &str) -> io::Result<()> {
        Err(io::Error::other(
            "warden creates symlinks on Unix only; create the link with git",
        ))
    }

    pub fn delete(dir: &PathBuf, name: &str) -> io::Result<()> {
        std::fs::remove_file(dir.join(name))
    }
}
