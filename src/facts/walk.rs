//! The file list of a directory that is not a git repository.

use std::path::Path;

use super::{EntryKind, FileEntry};

pub fn entries(root: &Path) -> std::io::Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.depth() == 0 || entry.file_type().is_dir() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let path = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let kind = if entry.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            EntryKind::Symlink {
                target: target.to_string_lossy().replace('\\', "/"),
            }
        } else if is_executable(&entry) {
            EntryKind::Executable
        } else {
            EntryKind::File
        };
        out.push(FileEntry { path, kind });
    }
    Ok(out)
}

#[cfg(unix)]
fn is_executable(entry: &walkdir::DirEntry) -> bool {
    use std::os::unix::fs::PermissionsExt;
    entry
        .metadata()
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_entry: &walkdir::DirEntry) -> bool {
    false
}
