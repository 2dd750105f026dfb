//! Reading the git index: the file list with modes, symlink targets, staged changes.

use git2::{Index, Repository};

use super::{EntryKind, FileEntry};

const MODE_MASK: u32 = 0o170000;
const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

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
