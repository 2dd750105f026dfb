//! Repository formats warden cannot read, named instead of misread.
//!
//! libgit2 (through git2) reads SHA-1 repositories with loose and packed refs. A SHA-256
//! repository or one with reftable refs fails to open, and a bare repository has no
//! working tree; each used to fall through to the directory walk, which judged the git
//! directory's own files as if they were the project. The repository's `config` says
//! which format it is, so the error can name it.

use std::path::{Path, PathBuf};

/// Why the repository at or above `root` cannot be checked, if it is one warden cannot
/// read: a bare repository, SHA-256 object ids, or reftable refs.
pub fn unsupported(root: &Path) -> Option<String> {
    let (git_dir, bare) = find_git_dir(root)?;
    let config_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(common) => git_dir.join(common.trim()),
        Err(_) => git_dir.clone(),
    };
    let config = git2::Config::open(&config_dir.join("config")).ok()?;
    let get = |key: &str| config.get_string(key).ok().map(|v| v.to_ascii_lowercase());
    let shown = git_dir.display();
    if let Some(format) = get("extensions.objectformat").filter(|f| f != "sha1") {
        return Some(format!(
            "{shown} is a {} repository (`extensions.objectFormat = {format}`); warden reads \
             only SHA-1 repositories, so it cannot check this one",
            format.to_ascii_uppercase().replace("SHA", "SHA-")
        ));
    }
    if let Some(refs) = get("extensions.refstorage").filter(|r| r != "files") {
        return Some(format!(
            "{shown} stores its refs as {refs} (`extensions.refStorage = {refs}`); warden \
             reads only the files ref format, so it cannot check this repository (convert \
             it with `git refs migrate --ref-format=files`)"
        ));
    }
    // Found as the directory itself, it is bare unless its config says otherwise (a
    // run from inside a `.git` directory).
    let bare = config.get_bool("core.bare").unwrap_or(bare);
    bare.then(|| {
        format!(
            "{shown} is a bare repository (no working tree); warden checks a checkout: run \
             it in a clone or a worktree (`git worktree add`)"
        )
    })
}

/// The git directory at or above `root`, and whether it is bare (found as the directory
/// itself rather than a `.git` inside it).
fn find_git_dir(root: &Path) -> Option<(PathBuf, bool)> {
    let start = root.canonicalize().ok()?;
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        if dot_git.is_dir() {
            return Some((dot_git, false));
        }
        if dot_git.is_file() {
            // A worktree or submodule: `gitdir: PATH`.
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.strip_prefix("gitdir:")?.trim();
            return Some((dir.join(target), false));
        }
        if dir.join("HEAD").is_file()
            && dir.join("objects").is_dir()
            && dir.join("config").is_file()
        {
            return Some((dir.to_path_buf(), true));
        }
    }
    None
}
