//! Reading file text: only regular files inside the repository, capped, one at a time.
//!
//! A tracked path names a regular file in git, but the working tree may hold anything
//! there: a symlink to a file outside the repository (or to `/dev/zero`), a FIFO that
//! blocks its reader forever, a directory. Only regular files reached without following a
//! symlink (in the path's directories too) are read, and only up to a size cap; anything
//! else is a reason, which the rule reports as `error`.
//!
//! Rules that read many files (`contains` over a glob) stream them through
//! [`Facts::scan_texts`]: read, judge and drop one file at a time on rayon's threads, with
//! the bytes in flight bounded, so memory does not grow with the number of matched files.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use rayon::prelude::*;

use super::Facts;

/// Files larger than this are not read (rules that need them report it).
pub const MAX_CONTENT_BYTES: u64 = 8 * 1024 * 1024;

/// How many bytes of file text [`Facts::scan_texts`] holds at once, across threads. A file
/// larger than this (up to [`MAX_CONTENT_BYTES`]) waits until it can be read alone.
const IN_FLIGHT_BYTES: u64 = 8 * 1024 * 1024;

/// Where the text of files that were not read ahead comes from.
pub enum TextSource {
    /// Nothing beyond [`Facts::contents`] (facts built by hand, or from the API).
    None,
    /// The working tree at this root.
    Worktree(PathBuf),
    /// Staged blobs (`--staged`): the index's blob id and size of each streamed file.
    Staged {
        repo: Mutex<git2::Repository>,
        blobs: HashMap<String, Result<(git2::Oid, u64), String>>,
    },
}

impl std::fmt::Debug for TextSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextSource::None => f.write_str("None"),
            TextSource::Worktree(root) => f.debug_tuple("Worktree").field(root).finish(),
            TextSource::Staged { blobs, .. } => write!(f, "Staged({} blobs)", blobs.len()),
        }
    }
}

impl Facts {
    /// Judge the text of each of `paths`, one file at a time: `judge` gets a path and its
    /// text (lossy UTF-8) or why it cannot be read, and returns what the rule keeps; the
    /// text is dropped right after. Results come in the order of `paths`. Texts read ahead
    /// (in [`Facts::contents`]) are used as they are.
    pub fn scan_texts<R, J>(&self, paths: &[&str], judge: J) -> Vec<R>
    where
        R: Send,
        J: Fn(&str, Result<&str, &str>) -> R + Sync,
    {
        let budget = Budget::new(IN_FLIGHT_BYTES);
        let one = |path: &&str| -> R {
            let path = *path;
            if let Some(text) = self.contents.get(path) {
                return judge(path, text.as_deref().map_err(String::as_str));
            }
            match &self.text_source {
                TextSource::None => judge(path, Err("its text was not gathered")),
                TextSource::Worktree(root) => match open_regular(root, path) {
                    Ok((file, len)) => {
                        let _held = budget.take(len);
                        let text = read_capped(file, len, MAX_CONTENT_BYTES);
                        judge(path, text.as_deref().map_err(String::as_str))
                    }
                    Err(reason) => judge(path, Err(&reason)),
                },
                TextSource::Staged { repo, blobs } => match blobs.get(path) {
                    Some(Ok((oid, _))) => {
                        // One repository handle: staged scans are of a commit's few files.
                        let repo = repo.lock().unwrap_or_else(|e| e.into_inner());
                        let judged = match repo.find_blob(*oid) {
                            Ok(blob) => judge(path, Ok(&String::from_utf8_lossy(blob.content()))),
                            Err(e) => judge(path, Err(e.message())),
                        };
                        judged
                    }
                    Some(Err(reason)) => judge(path, Err(reason)),
                    None => judge(path, Err("not in the index")),
                },
            }
        };
        if paths.len() <= 1 {
            return paths.iter().map(one).collect();
        }
        paths.par_iter().map(one).collect()
    }
}

/// A count of bytes in flight that readers wait on.
struct Budget {
    capacity: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

struct Held<'b> {
    budget: &'b Budget,
    bytes: u64,
}

impl Budget {
    fn new(capacity: u64) -> Self {
        Budget {
            capacity,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Wait until `bytes` (at most the whole budget) fit, and hold them until dropped.
    fn take(&self, bytes: u64) -> Held<'_> {
        let bytes = bytes.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used + bytes > self.capacity {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Held {
            budget: self,
            bytes,
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// The text of the regular file at `rel` (a `/`-separated path below `root`), read whole.
pub fn read_worktree_text(root: &Path, rel: &str) -> Result<String, String> {
    let (file, len) = open_regular(root, rel)?;
    read_capped(file, len, MAX_CONTENT_BYTES)
}

fn read_capped(file: std::fs::File, len: u64, max: u64) -> Result<String, String> {
    if len > max {
        return Err(format!("larger than {max} bytes; not read"));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow after the size was read: never read past the cap.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("larger than {max} bytes; not read"));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Why a path cannot be read as a plain relative path, if it cannot.
fn check_relative(rel: &str) -> Result<(), String> {
    if rel
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err("not a plain path inside the repository; not read".to_string());
    }
    Ok(())
}

/// Open `rel` below `root` following no symlink on the way, and only if it is a regular
/// file (a FIFO is opened without blocking, then refused): the file and its size.
#[cfg(unix)]
fn open_regular(root: &Path, rel: &str) -> Result<(std::fs::File, u64), String> {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;

    check_relative(rel)?;
    let c_string = |bytes: &[u8]| {
        CString::new(bytes).map_err(|_| "a path with a NUL byte; not read".to_string())
    };
    let open_at = |dir: Option<&OwnedFd>, name: &CString, flags: libc::c_int| {
        // SAFETY: `name` is a valid C string and `dir` an open descriptor (or none, with
        // an absolute or cwd-relative root); the returned descriptor is owned below.
        let fd = unsafe {
            match dir {
                Some(dir) => libc::openat(dir.as_raw_fd(), name.as_ptr(), flags),
                None => libc::open(name.as_ptr(), flags),
            }
        };
        if fd < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            // SAFETY: `fd` was just opened and is owned by nobody else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    };
    let base = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY;
    let mut dir = open_at(
        None,
        &c_string(root.as_os_str().as_bytes())?,
        base | libc::O_DIRECTORY,
    )
    .map_err(|e| format!("cannot read: {e}"))?;
    let parts: Vec<&str> = rel.split('/').collect();
    let (name, dirs) = parts.split_last().expect("split yields one part at least");
    for (depth, part) in dirs.iter().enumerate() {
        dir = open_at(
            Some(&dir),
            &c_string(part.as_bytes())?,
            base | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        )
        .map_err(|e| {
            let shown = parts[..=depth].join("/");
            match e.raw_os_error() {
                Some(libc::ELOOP | libc::ENOTDIR) => format!(
                    "`{shown}` is not a directory in the working tree (a symlink or a \
                     file), so the file is not read: only regular files inside the \
                     repository are"
                ),
                Some(libc::ENOENT) => "missing from the working tree".to_string(),
                _ => format!("cannot read: {e}"),
            }
        })?;
    }
    let name = c_string(name.as_bytes())?;
    // Look before opening: a device or FIFO is refused without being opened at all.
    // SAFETY: an all-zero `stat` is a valid value for fstatat to fill in.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor, C string and out-pointer.
    let looked = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut stat,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if looked != 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENOENT) => "missing from the working tree".to_string(),
            _ => format!("cannot read: {e}"),
        });
    }
    not_regular(stat.st_mode as u32)?;
    // O_NONBLOCK: if a FIFO took the file's place since, opening it does not wait for a
    // writer; O_NOFOLLOW: nor is a symlink that took its place followed.
    let fd = open_at(
        Some(&dir),
        &name,
        base | libc::O_NOFOLLOW | libc::O_NONBLOCK,
    )
    .map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => symlink_reason(),
        _ => format!("cannot read: {e}"),
    })?;
    let file = std::fs::File::from(fd);
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    {
        use std::os::unix::fs::MetadataExt;
        not_regular(meta.mode())?;
    }
    Ok((file, meta.len()))
}

#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // `mode_t` is u32 on Linux, u16 on macOS.
fn not_regular(mode: u32) -> Result<(), String> {
    let kind = match mode & libc::S_IFMT as u32 {
        m if m == libc::S_IFREG as u32 => return Ok(()),
        m if m == libc::S_IFLNK as u32 => return Err(symlink_reason()),
        m if m == libc::S_IFIFO as u32 => "a FIFO",
        m if m == libc::S_IFDIR as u32 => "a directory",
        m if m == libc::S_IFSOCK as u32 => "a socket",
        m if m == libc::S_IFCHR as u32 || m == libc::S_IFBLK as u32 => "a device",
        _ => "not a regular file",
    };
    Err(format!(
        "{kind} in the working tree, not a regular file; not read"
    ))
}

fn symlink_reason() -> String {
    "a symlink in the working tree where git tracks a regular file; not followed (it may \
     point outside the repository)"
        .to_string()
}

/// Without `openat`, look at each component before opening (a narrower guarantee).
#[cfg(not(unix))]
fn open_regular(root: &Path, rel: &str) -> Result<(std::fs::File, u64), String> {
    check_relative(rel)?;
    let mut path = root.to_path_buf();
    for part in rel.split('/') {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read: {e}"))?;
        if meta.file_type().is_symlink() {
            return Err(symlink_reason());
        }
    }
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file in the working tree; not read".to_string());
    }
    Ok((file, meta.len()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_everything_else_is_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/a.md"), "hello").unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link.md")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked-dir")).unwrap();
        std::fs::create_dir(root.join("dir.md")).unwrap();

        assert_eq!(read_worktree_text(root, "docs/a.md").unwrap(), "hello");
        let link = read_worktree_text(root, "link.md").unwrap_err();
        assert!(link.starts_with("a symlink in the working tree"), "{link}");
        let through = read_worktree_text(root, "linked-dir/secret").unwrap_err();
        assert!(
            through.starts_with("`linked-dir` is not a directory"),
            "{through}"
        );
        let dir_err = read_worktree_text(root, "dir.md").unwrap_err();
        assert!(dir_err.starts_with("a directory"), "{dir_err}");
        assert_eq!(
            read_worktree_text(root, "gone.md").unwrap_err(),
            "missing from the working tree"
        );
        assert!(read_worktree_text(root, "../x").is_err());
        assert!(read_worktree_text(root, "docs//a.md").is_err());
    }

    #[test]
    fn the_cap_holds_even_if_the_size_lied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // Claimed 10 bytes, holds 100: the read stops at the cap.
        assert_eq!(
            read_capped(file, 10, 50).unwrap_err(),
            "larger than 50 bytes; not read"
        );
    }

    #[test]
    fn the_budget_bounds_bytes_in_flight() {
        let budget = Budget::new(10);
        let a = budget.take(6);
        let big = budget.take(0);
        drop(big);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let held = budget.take(100);
                assert_eq!(held.bytes, 10);
            });
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(!waiter.is_finished());
            drop(a);
            waiter.join().unwrap();
        });
        assert_eq!(*budget.used.lock().unwrap(), 0);
    }
}
