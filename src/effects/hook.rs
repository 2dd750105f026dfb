//! `warden hook install` / `uninstall`: the git pre-commit hook that runs
//! `warden check --staged`.
//!
//! The hook goes where git really looks for hooks (`git rev-parse --git-path hooks`: the
//! common directory of linked worktrees, or `core.hooksPath`), names warden by the absolute
//! path it was installed from (PATH is the fallback, so a hook never dies with "warden: not
//! found"), prints one line when the commit is clean and the report when it is not. A hook
//! that was there before is kept aside and put back by `uninstall`.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The line that marks a hook as warden's own, so re-installing may replace it.
pub const MARKER: &str = "# installed by `warden hook install`";
/// Where `--force` keeps the hook it replaces, beside it; `uninstall` puts it back.
pub const BACKUP: &str = "pre-commit.warden-backup";

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{0} is not inside a git repository")]
    NotGit(PathBuf),
    #[error("{path} already exists and was not written by warden; pass --force to keep it aside as {BACKUP} and replace it")]
    Foreign { path: PathBuf },
    #[error("{path} was not written by warden; it is left alone")]
    NotOurs { path: PathBuf },
    #[error("{path} already holds a hook kept aside earlier; move it away first")]
    BackupTaken { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What `uninstall` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Uninstalled {
    Removed(PathBuf),
    /// Removed, and the hook kept aside at install put back.
    Restored(PathBuf),
    NotInstalled(PathBuf),
}

/// Quote `text` for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The hook script; `warden` is the absolute path of the warden that installed it, if known.
pub fn script(warden: Option<&Path>) -> String {
    let recorded = warden
        .map(|p| quote(&p.to_string_lossy()))
        .unwrap_or_else(|| "''".to_string());
    format!(
        r#"#!/bin/sh
{MARKER}
# Checks what this commit holds (the staged files, judged by the staged policy), offline.
# One line when the commit is clean; the report when it is not.
warden={recorded}
if [ -z "$warden" ] || [ ! -x "$warden" ]; then
  warden=$(command -v warden) || {{
    echo "warden hook: warden is not at {shown} and not on PATH; install it again, or remove this hook with 'warden hook uninstall'" >&2
    exit 1
  }}
fi
out=$("$warden" check --staged --color never 2>&1)
code=$?
if [ "$code" -eq 0 ]; then
  printf 'warden: %s\n' "$(printf '%s\n' "$out" | tail -n 1)"
else
  printf '%s\n' "$out" >&2
fi
exit "$code"
"#,
        shown = warden
            .map(|p| p
                .to_string_lossy()
                .replace(['"', '$', '`', '\\', '\''], "_"))
            .unwrap_or_else(|| "the path it was installed from".to_string()),
    )
}

/// Where git reads hooks for the repository at `dir`: `core.hooksPath` (relative to the
/// top of the working tree), else the `hooks` directory of the common git directory,
/// which linked worktrees share.
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, HookError> {
    let repo = git2::Repository::discover(dir).map_err(|_| HookError::NotGit(dir.to_path_buf()))?;
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repo.workdir().unwrap_or_else(|| repo.path()).join(path),
        None => repo.commondir().join("hooks"),
    })
}

/// Write the pre-commit hook of the repository at `dir`; returns its path.
pub fn install(dir: &Path, force: bool) -> Result<PathBuf, HookError> {
    let warden = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    install_with(dir, force, warden.as_deref())
}

/// [`install`] with the warden binary named.
pub fn install_with(dir: &Path, force: bool, warden: Option<&Path>) -> Result<PathBuf, HookError> {
    let hooks = hooks_dir(dir)?;
    let path = hooks.join("pre-commit");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HookError::Io { path, source }
    };
    // A symlink counts as there (and foreign) even when it dangles; it is never followed.
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        let ours = meta.file_type().is_file()
            && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER));
        if !ours {
            if !force {
                return Err(HookError::Foreign { path });
            }
            let backup = hooks.join(BACKUP);
            if std::fs::symlink_metadata(&backup).is_ok() {
                return Err(HookError::BackupTaken { path: backup });
            }
            // Renaming moves a symlink itself, never what it points to.
            std::fs::rename(&path, &backup).map_err(io(&backup))?;
        }
    }
    std::fs::create_dir_all(&hooks).map_err(io(&hooks))?;
    write_new(&hooks, &path, script(warden).as_bytes()).map_err(io(&path))?;
    Ok(path)
}

/// Write `bytes` to a new file beside `path` (created exclusively, so never through a
/// link) and rename it over `path`.
fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".pre-commit.warden-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o755);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Remove warden's pre-commit hook (only warden's) and put back the one kept aside.
pub fn uninstall(dir: &Path) -> Result<Uninstalled, HookError> {
    let hooks = hooks_dir(dir)?;
    let path = hooks.join("pre-commit");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HookError::Io { path, source }
    };
    match std::fs::symlink_metadata(&path) {
        Err(_) => return Ok(Uninstalled::NotInstalled(path)),
        Ok(meta) => {
            let ours = meta.file_type().is_file()
                && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER));
            if !ours {
                return Err(HookError::NotOurs { path });
            }
        }
    }
    std::fs::remove_file(&path).map_err(io(&path))?;
    let backup = hooks.join(BACKUP);
    if std::fs::symlink_metadata(&backup).is_ok() {
        std::fs::rename(&backup, &path).map_err(io(&path))?;
        return Ok(Uninstalled::Restored(path));
    }
    Ok(Uninstalled::Removed(path))
}
