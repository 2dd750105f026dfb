//! Reading the git index: the file list with modes, symlink targets, staged changes.

use git2::{Index, Repository};

use super::{EntryKind, FileEntry};

const MODE_MASK: u32 = 0o170000;
const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// The file list straight from `.git/index`, read with gix-index: several times faster
/// than libgit2's reader on large repositories (no checksum pass, no per-entry copies).
/// `None` when that reader cannot handle this index (e.g. a split index): use libgit2's.
pub fn index_entries_fast(repo: &Repository) -> Option<Vec<FileEntry>> {
    use gix_index::entry::{Mode, Stage};
    let path = repo.path().join("index");
    if !path.exists() {
        return Some(Vec::new());
    }
    let file =
        gix_index::File::at(&path, gix_index::hash::Kind::Sha1, true, Default::default()).ok()?;
    // A split or sparse index lists only part of the tree here.
    if file.link().is_some() || file.is_sparse() {
        return None;
    }
    let mut files = Vec::with_capacity(file.entries().len());
    for entry in file.entries() {
        // Conflict stages describe one path several times; keep one.
        if matches!(entry.stage(), Stage::Ours | Stage::Theirs) {
            continue;
        }
        let path = String::from_utf8_lossy(entry.path(&file)).into_owned();
        let kind = if entry.mode == Mode::SYMLINK {
            let oid = git2::Oid::from_bytes(entry.id.as_bytes()).ok()?;
            EntryKind::Symlink {
                target: repo
                    .find_blob(oid)
                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                    .unwrap_or_default(),
            }
        } else if entry.mode == Mode::COMMIT {
            EntryKind::Submodule
        } else if entry.mode == Mode::FILE_EXECUTABLE {
            EntryKind::Executable
        } else {
            EntryKind::File
        };
        files.push(FileEntry { path, kind });
    }
    files.dedup_by(|a, b| a.path == b.path);
    Some(files)
}

pub fn index_entries(repo: &Repository, index: &Index) -> Vec<FileEntry> {
    let mut files = Vec::with_capacity(index.len());
    for entry in index.iter() {
        // Conflict stages (1-3) describe one path several times; keep stage 0 or the first.
        let stage = (entry.flags >> 12) & 0x3;
        if stage > 1 {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let kind = match entry.mode & MODE_MASK {
            MODE_SYMLINK => EntryKind::Symlink {
                target: repo
                    .find_blob(entry.id)
                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                    .unwrap_or_default(),
            },
            MODE_GITLINK => EntryKind::Submodule,
            _ if entry.mode & 0o111 != 0 => EntryKind::Executable,
            _ => EntryKind::File,
        };
        files.push(FileEntry { path, kind });
    }
    files
}

/// Paths the next commit adds, modifies or renames to (index vs HEAD).
pub fn staged_paths(repo: &Repository, index: &Index) -> Result<Vec<String>, git2::Error> {
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree()?),
        // An unborn branch: everything in the index is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let diff = repo.diff_tree_to_index(head_tree.as_ref(), Some(index), None)?;
    let mut paths: Vec<String> = diff
        .deltas()
        .filter(|d| d.status() != git2::Delta::Deleted)
        .filter_map(|d| {
            d.new_file()
                .path_bytes()
                .map(|p| String::from_utf8_lossy(p).into_owned())
        })
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The staged text of a file.
pub fn staged_text(
    repo: &Repository,
    index: &Index,
    path: &str,
    max: u64,
) -> Result<String, String> {
    let entry = index
        .get_path(std::path::Path::new(path), 0)
        .ok_or_else(|| "not in the index".to_string())?;
    if u64::from(entry.file_size) > max {
        return Err(format!("larger than {max} bytes; not read"));
    }
    let blob = repo
        .find_blob(entry.id)
        .map_err(|e| e.message().to_string())?;
    Ok(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The files a pull request changes, from local git: `base...head` (from their merge base,
/// as GitHub compares), with renames and line counts. `None` when the checkout lacks either
/// commit (a shallow clone, or a base-only checkout on `pull_request_target`).
pub fn pr_files(
    root: &std::path::Path,
    base: &str,
    head: &str,
) -> Option<Result<Vec<crate::pr::ChangedFile>, String>> {
    use crate::pr::{ChangedFile, FileStatus};
    let repo = Repository::discover(root).ok()?;
    let base = repo.find_commit(git2::Oid::from_str(base).ok()?).ok()?;
    let head = repo.find_commit(git2::Oid::from_str(head).ok()?).ok()?;
    let compute = || -> Result<Vec<ChangedFile>, git2::Error> {
        let merge_base = repo.merge_base(base.id(), head.id())?;
        let from = repo.find_commit(merge_base)?.tree()?;
        let to = head.tree()?;
        let mut diff = repo.diff_tree_to_tree(Some(&from), Some(&to), None)?;
        diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))?;
        let mut files = Vec::with_capacity(diff.deltas().len());
        for (index, delta) in diff.deltas().enumerate() {
            let path_of = |f: git2::DiffFile<'_>| {
                f.path_bytes()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
            };
            let (status, path) = match delta.status() {
                git2::Delta::Added => (FileStatus::Added, path_of(delta.new_file())),
                git2::Delta::Deleted => (FileStatus::Removed, path_of(delta.old_file())),
                git2::Delta::Renamed => (FileStatus::Renamed, path_of(delta.new_file())),
                git2::Delta::Copied => (FileStatus::Copied, path_of(delta.new_file())),
                git2::Delta::Typechange => (FileStatus::Changed, path_of(delta.new_file())),
                _ => (FileStatus::Modified, path_of(delta.new_file())),
            };
            let Some(path) = path else { continue };
            let (additions, deletions) = match git2::Patch::from_diff(&diff, index)? {
                Some(patch) => {
                    let (_, added, deleted) = patch.line_stats()?;
                    (added as u64, deleted as u64)
                }
                None => (0, 0),
            };
            files.push(ChangedFile {
                path,
                status,
                previous_path: (status == FileStatus::Renamed)
                    .then(|| path_of(delta.old_file()))
                    .flatten(),
                additions,
                deletions,
            });
        }
        Ok(files)
    };
    Some(compute().map_err(|e| format!("cannot diff the pull request locally: {}", e.message())))
}
