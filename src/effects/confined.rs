//! Writing one file change inside a directory tree, never outside it.
//!
//! Paths are plain and relative; on Unix every directory on the way is opened with
//! `O_NOFOLLOW` relative to the one before (as the facts read files), so a symlink planted
//! in a parent directory is refused rather than followed. Files and links are written
//! under a temporary name and renamed into place, so a reader never sees half a file.

use std::path::Path;

use crate::fix::{local, FileChange};

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

#[cfg(all(test, unix))]
mod tests {
    use super::write;
    use crate::fix::FileChange;

    #[test]
    fn writes_links_and_deletes_inside_and_keeps_an_executable_bit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let file = |path: &str, bytes: &[u8]| FileChange::Write {
            path: path.into(),
            bytes: bytes.to_vec(),
        };
        write(root, &file("a/b/c.txt", b"one")).unwrap();
        assert_eq!(std::fs::read(root.join("a/b/c.txt")).unwrap(), b"one");
        std::fs::set_permissions(
            root.join("a/b/c.txt"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        write(root, &file("a/b/c.txt", b"two")).unwrap();
        let meta = std::fs::metadata(root.join("a/b/c.txt")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o755);
        write(
            root,
            &FileChange::Symlink {
                path: "a/link".into(),
                target: "b/c.txt".into(),
            },
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a/link")).unwrap(), "two");
        write(
            root,
            &FileChange::Delete {
                path: "a/link".into(),
            },
        )
        .unwrap();
        assert!(std::fs::symlink_metadata(root.join("a/link")).is_err());
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(root.join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn refuses_parents_that_are_links_paths_that_climb_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let change = |path: &str| FileChange::Write {
            path: path.into(),
            bytes: b"x".to_vec(),
        };
        let err = write(dir.path(), &change("out/x")).unwrap_err();
        assert!(err.contains("symlink"), "{err}");
        assert!(write(dir.path(), &change("../x")).is_err());
        assert!(write(dir.path(), &change("/tmp/x")).is_err());
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let err = write(dir.path(), &change("d")).unwrap_err();
        assert!(err.contains("directory"), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
