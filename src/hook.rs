//! `warden hook install`: a git pre-commit hook that runs `warden check --staged`.

use std::path::{Path, PathBuf};

/// The line that marks a hook as warden's own, so re-installing may replace it.
pub const MARKER: &str = "# installed by `warden hook install`";

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{0} is not inside a git repository")]
    NotGit(PathBuf),
    #[error("{path} already exists and was not written by warden; pass --force to replace it")]
    Foreign { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub fn script() -> String {
    format!("#!/bin/sh\n{MARKER}\n# Checks only what this commit changes; offline and quick.\nexec warden check --staged\n")
}

/// Write the pre-commit hook of the repository at `dir`; returns its path.
pub fn install(dir: &Path, force: bool) -> Result<PathBuf, HookError> {
    let repo = git2::Repository::discover(dir).map_err(|_| HookError::NotGit(dir.to_path_buf()))?;
    let hooks = match repo.config().and_then(|c| c.get_path("core.hooksPath")) {
        Ok(path) if path.is_absolute() => path,
        Ok(path) => repo.workdir().unwrap_or_else(|| repo.path()).join(path),
        Err(_) => repo.path().join("hooks"),
    };
    let path = hooks.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains(MARKER) && !force {
            return Err(HookError::Foreign { path });
        }
    }
    let io = |source| HookError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&hooks).map_err(io)?;
    std::fs::write(&path, script()).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(path)
}
