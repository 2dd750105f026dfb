//! Writing report files atomically: a reader never sees half a report.
//!
//! Only regular files are written. A target that is a symlink, a device, a FIFO or a
//! directory is refused: replacing one (as `--output` once did to a system file, run as
//! root) is never what was meant. The temporary file is created exclusively, under a
//! random name, in the target's directory (so nothing can be planted at a predictable
//! name, and the rename stays on one file system), and is removed when anything fails.

use std::io::{self, Write};
use std::path::Path;

/// Write a report to `path`, or to standard output when `path` is `-`.
pub fn write_report(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if path.as_os_str() == "-" {
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        return out.flush();
    }
    write(path, bytes, true)
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename.
/// The file is readable by its owner only (it may be a cache of private answers).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, bytes, false)
}

/// Create `path` holding `bytes`; fails with `AlreadyExists` rather than replace anything,
/// even a file that appears meanwhile (`warden init`'s policy).
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}

fn write(path: &Path, bytes: &[u8], shared: bool) -> io::Result<()> {
    refuse_special(path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    // Removed on drop unless persisted: every early return below cleans it up.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".warden-").suffix(".tmp");
    #[cfg(unix)]
    if shared {
        // A report is an ordinary file: readable as the umask allows.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = shared;
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Checked again just before the rename, narrowing the window for a swap.
    refuse_special(path)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An existing `path` must be a regular file (not followed if it is a symlink).
fn refuse_special(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let what = if meta.file_type().is_symlink() {
        "a symbolic link"
    } else if meta.is_dir() {
        "a directory"
    } else if meta.is_file() {
        return Ok(());
    } else {
        "not a regular file (a device, FIFO or socket)"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {what}; warden writes reports only to regular files (`-` is standard output)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports/status/gaps.md");
        super::write_atomic(&path, b"one").unwrap();
        super::write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(entries(path.parent().unwrap()), ["gaps.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_and_leaves_it_and_its_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("report.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = super::write_atomic(&link, b"report").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(entries(dir.path()), ["precious.txt", "report.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_and_a_directory_and_leaves_no_temporary_file() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let name = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path inside the temp dir.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let err = super::write_atomic(&fifo, b"report").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let err = super::write_atomic(&dir.path().join("sub"), b"report").unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        assert_eq!(entries(dir.path()), ["pipe", "sub"]);
    }
}
