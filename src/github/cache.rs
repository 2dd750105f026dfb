//! On-disk cache of ETag-validated GitHub responses.
//!
//! A re-run sends `If-None-Match`; GitHub answers `304 Not Modified`, which does not count
//! against the rate limit, and the stored body is used. Entries are keyed by the URL and a
//! hash of the token (never the token itself), since what a token may see differs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedResponse {
    pub etag: String,
    pub body: String,
    pub link: Option<String>,
}

pub struct Cache {
    dir: PathBuf,
    identity: String,
}

impl Cache {
    pub fn new(dir: PathBuf, base: &str, token: Option<&str>) -> Cache {
        let identity = crate::report::fingerprint(base, token.unwrap_or(""));
        Cache { dir, identity }
    }

    fn file(&self, url: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            crate::report::fingerprint(&self.identity, url)
        ))
    }

    pub fn load(&self, url: &str) -> Option<CachedResponse> {
        let text = std::fs::read_to_string(self.file(url)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Best effort: a cache that cannot be written only costs a full request next time.
    pub fn store(&self, url: &str, response: &CachedResponse) {
        if let Ok(bytes) = serde_json::to_vec(response) {
            let _ = crate::output::write_atomic(&self.file(url), &bytes);
        }
    }
}

/// The default cache directory: the user's cache dir, `warden/github` inside it.
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("warden").join("github"))
}
