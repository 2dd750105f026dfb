//! On-disk cache of ETag-validated GitHub responses.
//!
//! A re-run sends `If-None-Match`; GitHub answers `304 Not Modified`, which does not count
//! against the rate limit, and the stored body is used. Entries are keyed by the URL and a
//! hash of the token (never the token itself), since what a token may see differs.
//!
//! What a private repository's API answers say is private: the directory is made `0700`
//! and every entry `0600` (older, looser ones are tightened when seen). The cache is
//! bounded: past [`MAX_ENTRIES`] entries or [`MAX_BYTES`] bytes, the least recently used
//! entries are deleted (checked when the cache is opened and every [`PRUNE_EVERY`] stores).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// At most this many responses are kept.
pub const MAX_ENTRIES: usize = 20_000;
/// At most this many bytes of responses are kept (256 MiB).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Stores between two checks of the bounds within one run.
pub const PRUNE_EVERY: usize = 500;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedResponse {
    pub etag: String,
    pub body: String,
    pub link: Option<String>,
}

pub struct Cache {
    dir: PathBuf,
    identity: String,
    max_entries: usize,
    max_bytes: u64,
    stores: AtomicUsize,
}

impl Cache {
    pub fn new(dir: PathBuf, base: &str, token: Option<&str>) -> Cache {
        Cache::with_bounds(dir, base, token, MAX_ENTRIES, MAX_BYTES)
    }

    /// A cache with other bounds (tests use small ones).
    pub fn with_bounds(
        dir: PathBuf,
        base: &str,
        token: Option<&str>,
        max_entries: usize,
        max_bytes: u64,
    ) -> Cache {
        let identity = crate::report::fingerprint(base, token.unwrap_or(""));
        let cache = Cache {
            dir,
            identity,
            max_entries,
            max_bytes,
            stores: AtomicUsize::new(0),
        };
        cache.prune();
        cache
    }

    fn file(&self, url: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            crate::report::fingerprint(&self.identity, url)
        ))
    }

    pub fn load(&self, url: &str) -> Option<CachedResponse> {
        let path = self.file(url);
        let text = std::fs::read_to_string(&path).ok()?;
        let response = serde_json::from_str(&text).ok()?;
        // Used now: the last to be evicted.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Some(response)
    }

    /// Best effort: a cache that cannot be written only costs a full request next time.
    pub fn store(&self, url: &str, response: &CachedResponse) {
        if let Ok(bytes) = serde_json::to_vec(response) {
            let _ = self.write_private(&self.file(url), &bytes);
        }
        if self.stores.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
    }

    /// Write `bytes` to `path` readable by the owner only, atomically (a new file created
    /// exclusively beside it, then renamed over it).
    fn write_private(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = self.dir.join(format!(
            ".{name}.{}-{}-{nanos}.tmp",
            std::process::id(),
            self.stores.load(Ordering::Relaxed)
        ));
        let mut options = std::fs::File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let result = (|| {
            let mut file = options.open(&tmp)?;
            file.write_all(bytes)?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Delete the least recently used entries until the cache is within its bounds, and
    /// tighten the mode of entries an older warden left readable by others.
    fn prune(&self) {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return;
        };
        tighten(&self.dir, 0o700);
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = read
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                meta.is_file().then_some(())?;
                tighten(&e.path(), 0o600);
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut count = entries.len();
        let mut bytes: u64 = entries.iter().map(|(_, size, _)| size).sum();
        if count <= self.max_entries && bytes <= self.max_bytes {
            return;
        }
        entries.sort();
        for (_, size, path) in entries {
            if count <= self.max_entries && bytes <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                count -= 1;
                bytes = bytes.saturating_sub(size);
            }
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    tighten(dir, 0o700);
    Ok(())
}

/// Set `mode` when the path allows more than it (unix; elsewhere nothing to do).
fn tighten(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if meta.permissions().mode() & 0o777 & !mode != 0 {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// The default cache directory: the user's cache dir, `warden/github` inside it.
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("warden").join("github"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> CachedResponse {
        CachedResponse {
            etag: "\"e\"".into(),
            body: body.into(),
            link: None,
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("warden/github");
        let cache = Cache::new(dir.clone(), "https://api.github.com", Some("t0ken"));
        cache.store("https://api.github.com/repos/o/r", &response("{}"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(mode(&files[0]), 0o600);
        // An entry an older warden left world-readable is tightened when the cache opens.
        std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o644)).unwrap();
        Cache::new(dir.clone(), "https://api.github.com", Some("t0ken"));
        assert_eq!(mode(&files[0]), 0o600);
        assert!(cache.load("https://api.github.com/repos/o/r").is_some());
    }

    #[test]
    fn the_least_recently_used_entries_are_evicted_past_the_bound() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_path_buf();
        let cache = Cache::new(dir.clone(), "b", None);
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..5 {
            let url = format!("u{i}");
            cache.store(&url, &response("x"));
            let file = std::fs::File::options()
                .append(true)
                .open(cache.file(&url))
                .unwrap();
            file.set_modified(old + std::time::Duration::from_secs(i))
                .unwrap();
        }
        // u0 was used most recently, so it stays; u1 and u2 are the oldest.
        assert!(cache.load("u0").is_some());
        let bounded = Cache::with_bounds(dir.clone(), "b", None, 3, MAX_BYTES);
        let kept: Vec<bool> = (0..5)
            .map(|i| bounded.load(&format!("u{i}")).is_some())
            .collect();
        assert_eq!(kept, [true, false, false, true, true]);
        // A byte bound evicts too.
        let tiny = Cache::with_bounds(dir, "b", None, 100, 1);
        assert_eq!(
            (0..5)
                .filter(|i| tiny.load(&format!("u{i}")).is_some())
                .count(),
            0
        );
    }
}
