//! Reading the git index: the file list with modes, symlink targets, staged changes.

use git2::{Index, Repository};

use super::{EntryKind, FileEntry};

pub(super) const MODE_MASK: u32 = 0o170000;
pub(super) const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// `.git/index`, read with gix-index: several times faster than libgit2's reader on large
/// repositories (no checksum pass, no per-entry copies). `None` when that reader cannot
/// handle this index (a split or sparse index): then libgit2's is used.
pub fn read_index(repo: &Repository) -> Option<gix_index::File> {
    let path = repo.path().join("index");
    if !path.exists() {
        return Some(gix_index::File::from_state(
            gix_index::State::new(gix_index::hash::Kind::Sha1),
            path,
        ));
    }
    let file =
        gix_index::File::at(&path, gix_index::hash::Kind::Sha1, true, Default::default()).ok()?;
    // A split or sparse index lists only part of the tree here.
    (file.link().is_none() && !file.is_sparse()).then_some(file)
}

/// The entries of a gix index that describe the tree: conflict stages of one path collapse.
fn tree_entries(file: &gix_index::File) -> impl Iterator<Item = &gix_index::Entry> {
    use gix_index::entry::Stage;
    file.entries()
        .iter()
        .filter(|e| !matches!(e.stage(), Stage::Ours | Stage::Theirs))
}

/// A path as text: UTF-8 almost always, checked fast; lossy otherwise.
pub(super) fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The text of the blob `id` (a symlink's target), if the object database has it.
pub fn symlink_target(repo: &Repository, id: &[u8]) -> Option<String> {
    let oid = git2::Oid::from_bytes(id).ok()?;
    let blob = repo.find_blob(oid).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The file list, with modes and symlink targets, from a gix index.
pub fn entries_from(repo: &Repository, file: &gix_index::File) -> Vec<FileEntry> {
    use gix_index::entry::Mode;
    let mut files = Vec::with_capacity(file.entries().len());
    for entry in tree_entries(file) {
        let path = text(entry.path(file));
        let kind = if entry.mode == Mode::SYMLINK {
            EntryKind::Symlink {
                target: symlink_target(repo, entry.id.as_bytes()).unwrap_or_default(),
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
    files
}

/// Paths the next commit adds or modifies (index vs HEAD), from a gix index. Directories
/// whose cache-tree entry is valid and equal to HEAD's tree are skipped whole, as git does,
/// so the cost is that of what changed, not of the tree.
#[cfg(test)]
pub fn staged_from(repo: &Repository, file: &gix_index::File) -> Result<Vec<String>, git2::Error> {
    staged_change_from(repo, file).map(|change| change.changed)
}

/// What the next commit changes, with HEAD's side of it: the entries it modifies or
/// removes as HEAD has them (for judging the tree as it was before the commit).
#[derive(Debug, Default)]
pub struct StagedChange {
    /// Paths added or modified (sorted).
    pub changed: Vec<String>,
    /// HEAD's entries of the paths modified or removed.
    pub before: Vec<OldEntry>,
}

/// A tree entry as a commit has it.
#[derive(Clone, Debug)]
pub struct OldEntry {
    pub path: String,
    pub mode: u32,
    pub id: git2::Oid,
}

impl OldEntry {
    /// The entry as the file list describes it (a symlink's target is read from its blob).
    pub fn to_file_entry(&self, repo: &Repository) -> FileEntry {
        let kind = match self.mode & MODE_MASK {
            MODE_SYMLINK => EntryKind::Symlink {
                target: repo
                    .find_blob(self.id)
                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                    .unwrap_or_default(),
            },
            MODE_GITLINK => EntryKind::Submodule,
            _ if self.mode & 0o111 != 0 => EntryKind::Executable,
            _ => EntryKind::File,
        };
        FileEntry {
            path: self.path.clone(),
            kind,
        }
    }
}

/// HEAD's tree, or `None` on an unborn branch.
fn head_tree(repo: &Repository) -> Result<Option<git2::Tree<'_>>, git2::Error> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree()?)),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// [`staged_from`] with HEAD's side of the change.
pub fn staged_change_from(
    repo: &Repository,
    file: &gix_index::File,
) -> Result<StagedChange, git2::Error> {
    let entries: Vec<(&[u8], &gix_index::Entry)> = tree_entries(file)
        .map(|e| (e.path(file).as_ref(), e))
        .collect();
    let head = head_tree(repo)?;
    let mut change = StagedChange::default();
    staged_in_dir(repo, b"", head, file.tree(), &entries, &mut change)?;
    change.changed.sort();
    change.changed.dedup();
    change.before.sort_by(|a, b| a.path.cmp(&b.path));
    change.before.dedup_by(|a, b| a.path == b.path);
    Ok(change)
}

/// Compare the index entries below one directory (`entries`, whose paths all start with
/// `prefix`) with that directory in HEAD (`head`), helped by its cache-tree node.
fn staged_in_dir(
    repo: &Repository,
    prefix: &[u8],
    head: Option<git2::Tree<'_>>,
    cache: Option<&gix_index::extension::Tree>,
    entries: &[(&[u8], &gix_index::Entry)],
    out: &mut StagedChange,
) -> Result<(), git2::Error> {
    if let (Some(head), Some(cache)) = (&head, cache) {
        if cache.num_entries.is_some() && cache.id.as_bytes() == head.id().as_bytes() {
            return Ok(());
        }
    }
    let depth = prefix.len();
    // Names the index has here, to find what HEAD has and the index lost.
    let mut files_here: Vec<&[u8]> = Vec::new();
    let mut dirs_here: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let rest = &entries[i].0[depth..];
        match rest.iter().position(|b| *b == b'/') {
            Some(slash) => {
                let name = &rest[..slash];
                dirs_here.push(name);
                let start = i;
                while i < entries.len()
                    && entries[i].0[depth..].starts_with(name)
                    && entries[i].0.get(depth + slash) == Some(&b'/')
                {
                    i += 1;
                }
                let name_text = String::from_utf8_lossy(name);
                let child = cache.and_then(|c| {
                    c.children
                        .binary_search_by(|t| t.name.as_slice().cmp(name))
                        .ok()
                        .map(|k| &c.children[k])
                });
                let head_entry = head
                    .as_ref()
                    .and_then(|h| h.get_name(&name_text))
                    .filter(|e| e.kind() == Some(git2::ObjectType::Tree));
                // A valid cache-tree node equal to HEAD's subtree: nothing below changed,
                // and the subtree need not even be read.
                if let (Some(e), Some(child)) = (&head_entry, child) {
                    if child.num_entries.is_some() && child.id.as_bytes() == e.id().as_bytes() {
                        continue;
                    }
                }
                let subtree = match head_entry {
                    Some(e) => Some(repo.find_tree(e.id())?),
                    None => None,
                };
                staged_in_dir(
                    repo,
                    &entries[start].0[..depth + slash + 1],
                    subtree,
                    child,
                    &entries[start..i],
                    out,
                )?;
            }
            None => {
                let (path, entry) = entries[i];
                files_here.push(rest);
                let name = String::from_utf8_lossy(rest);
                let old = head
                    .as_ref()
                    .and_then(|h| h.get_name(&name))
                    .filter(|h| h.kind() != Some(git2::ObjectType::Tree));
                let same = old.as_ref().is_some_and(|h| {
                    h.id().as_bytes() == entry.id.as_bytes()
                        && h.filemode() as u32 == entry.mode.bits()
                });
                if !same {
                    out.changed.push(String::from_utf8_lossy(path).into_owned());
                    if let Some(old) = old {
                        out.before.push(OldEntry {
                            path: String::from_utf8_lossy(path).into_owned(),
                            mode: old.filemode() as u32,
                            id: old.id(),
                        });
                    }
                }
                i += 1;
            }
        }
    }
    // What HEAD has here and the index does not: removed by the commit.
    if let Some(head) = &head {
        for entry in head.iter() {
            let name = entry.name_bytes();
            let is_tree = entry.kind() == Some(git2::ObjectType::Tree);
            let kept = if is_tree {
                dirs_here.contains(&name)
            } else {
                files_here.contains(&name)
            };
            if kept {
                continue;
            }
            let path = [prefix, name].concat();
            if is_tree {
                let tree = repo.find_tree(entry.id())?;
                let base = String::from_utf8_lossy(&path).into_owned();
                tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                    if e.kind() != Some(git2::ObjectType::Tree) {
                        out.before.push(OldEntry {
                            path: format!(
                                "{base}/{dir}{}",
                                String::from_utf8_lossy(e.name_bytes())
                            ),
                            mode: e.filemode() as u32,
                            id: e.id(),
                        });
                    }
                    git2::TreeWalkResult::Ok
                })?;
            } else {
                out.before.push(OldEntry {
                    path: String::from_utf8_lossy(&path).into_owned(),
                    mode: entry.filemode() as u32,
                    id: entry.id(),
                });
            }
        }
    }
    Ok(())
}

/// The staged text of a file, from a gix index.
pub fn staged_text_from(
    repo: &Repository,
    file: &gix_index::File,
    path: &str,
    max: u64,
) -> Result<String, String> {
    let entry = file
        .entry_by_path(path.as_bytes().into())
        .ok_or_else(|| "not in the index".to_string())?;
    if u64::from(entry.stat.size) > max {
        return Err(format!("larger than {max} bytes; not read"));
    }
    let oid = git2::Oid::from_bytes(entry.id.as_bytes()).map_err(|e| e.message().to_string())?;
    let blob = repo.find_blob(oid).map_err(|e| e.message().to_string())?;
    Ok(String::from_utf8_lossy(blob.content()).into_owned())
}

/// What an index entry of git mode `mode` is; `target` reads a symlink's text.
pub(super) fn kind_of(mode: u32, target: impl FnOnce() -> String) -> EntryKind {
    match mode & MODE_MASK {
        MODE_SYMLINK => EntryKind::Symlink { target: target() },
        MODE_GITLINK => EntryKind::Submodule,
        _ if mode & 0o111 != 0 => EntryKind::Executable,
        _ => EntryKind::File,
    }
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
        let kind = kind_of(entry.mode, || {
            repo.find_blob(entry.id)
                .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                .unwrap_or_default()
        });
        files.push(FileEntry { path, kind });
    }
    files
}

/// Paths the next commit adds, modifies or renames to (index vs HEAD).
#[cfg(test)]
pub fn staged_paths(repo: &Repository, index: &Index) -> Result<Vec<String>, git2::Error> {
    staged_change(repo, index).map(|change| change.changed)
}

/// [`staged_paths`] with HEAD's side of the change (libgit2's reader).
pub fn staged_change(repo: &Repository, index: &Index) -> Result<StagedChange, git2::Error> {
    let head = head_tree(repo)?;
    let diff = repo.diff_tree_to_index(head.as_ref(), Some(index), None)?;
    Ok(change_of(&diff))
}

/// The change a diff describes, with the old side of what it modifies or removes.
fn change_of(diff: &git2::Diff<'_>) -> StagedChange {
    let mut change = StagedChange::default();
    let text = |f: &git2::DiffFile<'_>| {
        f.path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    };
    for delta in diff.deltas() {
        if delta.status() != git2::Delta::Deleted {
            change.changed.extend(text(&delta.new_file()));
        }
        if delta.status() != git2::Delta::Added {
            let old = delta.old_file();
            if let Some(path) = text(&old) {
                change.before.push(OldEntry {
                    path,
                    mode: u32::from(old.mode()),
                    id: old.id(),
                });
            }
        }
    }
    change.changed.sort();
    change.changed.dedup();
    change.before.sort_by(|a, b| a.path.cmp(&b.path));
    change.before.dedup_by(|a, b| a.path == b.path);
    change
}

/// How the checkout's index differs from `base` (a commit): the tree a pull request
/// started from. Only differing entries are read (libgit2 skips equal subtrees by id).
pub fn change_since(repo: &Repository, base: git2::Oid) -> Result<StagedChange, git2::Error> {
    let tree = repo.find_commit(base)?.tree()?;
    let index = repo.index()?;
    let diff = repo.diff_tree_to_index(Some(&tree), Some(&index), None)?;
    Ok(change_of(&diff))
}

/// The text of a blob, if it is small enough.
pub fn blob_text(repo: &Repository, id: git2::Oid, max: u64) -> Result<String, String> {
    let blob = repo.find_blob(id).map_err(|e| e.message().to_string())?;
    if blob.size() as u64 > max {
        return Err(format!("larger than {max} bytes; not read"));
    }
    Ok(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The text of `path` in the tree of commit `rev`; `Ok(None)` when the commit has no
/// such file.
pub fn text_at(repo: &Repository, rev: git2::Oid, path: &str) -> Result<Option<String>, String> {
    let commit = repo.find_commit(rev).map_err(|e| e.message().to_string())?;
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    match tree.get_path(std::path::Path::new(path)) {
        Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
            blob_text(repo, entry.id(), 1024 * 1024).map(Some)
        }
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.message().to_string()),
    }
}

/// The staged (index) text of `path`; `Ok(None)` when the index has no such file.
/// `file` is the index as gix read it, if it could (else libgit2 reads it).
pub fn index_text(
    repo: &Repository,
    file: Option<&gix_index::File>,
    path: &str,
) -> Result<Option<String>, String> {
    if let Some(file) = file {
        let Some(entry) = file.entry_by_path(path.as_bytes().into()) else {
            return Ok(None);
        };
        let oid =
            git2::Oid::from_bytes(entry.id.as_bytes()).map_err(|e| e.message().to_string())?;
        return blob_text(repo, oid, 1024 * 1024).map(Some);
    }
    let index = repo.index().map_err(|e| e.message().to_string())?;
    match index.get_path(std::path::Path::new(path), 0) {
        Some(entry) => blob_text(repo, entry.id, 1024 * 1024).map(Some),
        None => Ok(None),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn write(repo: &Repository, path: &str, text: &str) {
        let full = repo.workdir().unwrap().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
    }

    fn commit(repo: &Repository) {
        let mut index = repo.index().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap();
    }

    #[test]
    fn staged_paths_from_the_cache_tree_match_libgit2s_diff() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        for path in [
            "a.md",
            "docs/b.md",
            "docs/deep/c.md",
            "src/lib.rs",
            "src/x/y/z.rs",
        ] {
            write(&repo, path, "one");
        }
        commit(&repo);
        // Unchanged, modified, added in a new and an old directory, and a mode change.
        write(&repo, "docs/deep/c.md", "two");
        write(&repo, "docs/new.md", "new");
        write(&repo, "zzz/new.rs", "new");
        let mut index = repo.index().unwrap();
        let mut entry = index.get_path(Path::new("src/lib.rs"), 0).unwrap();
        entry.mode = 0o100755;
        index.add(&entry).unwrap();
        index.write().unwrap();

        let expected = staged_paths(&repo, &repo.index().unwrap()).unwrap();
        let file = read_index(&repo).unwrap();
        assert_eq!(staged_from(&repo, &file).unwrap(), expected);
        assert_eq!(
            expected,
            ["docs/deep/c.md", "docs/new.md", "src/lib.rs", "zzz/new.rs"]
        );
    }

    #[test]
    fn heads_side_of_the_change_has_modified_and_removed_entries() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        for path in ["a.md", "docs/b.md", "gone/x/1.md", "gone/2.md", "keep/c.md"] {
            write(&repo, path, "one");
        }
        commit(&repo);
        write(&repo, "docs/b.md", "two");
        write(&repo, "new.md", "new");
        let mut index = repo.index().unwrap();
        for path in ["a.md", "gone/x/1.md", "gone/2.md"] {
            index.remove_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();

        let file = read_index(&repo).unwrap();
        let fast = staged_change_from(&repo, &file).unwrap();
        let slow = staged_change(&repo, &repo.index().unwrap()).unwrap();
        for change in [&fast, &slow] {
            assert_eq!(change.changed, ["docs/b.md", "new.md"]);
            let before: Vec<&str> = change.before.iter().map(|e| e.path.as_str()).collect();
            assert_eq!(before, ["a.md", "docs/b.md", "gone/2.md", "gone/x/1.md"]);
        }
        let old = &fast.before[1];
        assert_eq!(blob_text(&repo, old.id, 100).unwrap(), "one");
    }
}
