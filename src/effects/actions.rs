//! The GitHub Actions runner, seen from inside a step: where the job summary and the step
//! outputs go, and which run this is. No network: the runner hands all of it over as
//! environment variables and files.
//!
//! The job summary is where the full report always lands (the PR comment may be cut or
//! refused), and the step outputs (`gaps`, `blocking`, `report`) let later steps act on
//! the result without parsing it. Outputs use the runner's file-command format; a value
//! with a line break goes in the heredoc form with a random delimiter that is checked not
//! to occur in the value, as GitHub's toolkit does, so a value cannot forge other outputs.

use std::collections::hash_map::RandomState;
use std::fs::OpenOptions;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::github::RepoId;
use crate::report::Report;

/// GitHub drops a step's job summary that grows beyond 1 MiB.
pub const STEP_SUMMARY_MAX_BYTES: usize = 1024 * 1024;

/// What the runner tells a step. Every field is `None` outside Actions (or when unset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runner {
    /// `GITHUB_ACTIONS=true`.
    pub in_actions: bool,
    /// `GITHUB_STEP_SUMMARY`: Markdown appended here shows on the run's summary page.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: the step's outputs.
    pub output: Option<PathBuf>,
    /// `GITHUB_SERVER_URL`, e.g. `https://github.com`.
    pub server_url: Option<String>,
    /// `GITHUB_REPOSITORY`, `OWNER/NAME`.
    pub repository: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_EVENT_PATH`: the webhook payload that triggered the run.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_EVENT_NAME`, e.g. `pull_request`.
    pub event_name: Option<String>,
}

impl Runner {
    pub fn from_env() -> Runner {
        Runner::from_vars(|name| std::env::var(name).ok())
    }

    /// From any variable source (tests pass a map); empty values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Runner {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        Runner {
            in_actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: get("GITHUB_OUTPUT").map(PathBuf::from),
            server_url: get("GITHUB_SERVER_URL"),
            repository: get("GITHUB_REPOSITORY"),
            run_id: get("GITHUB_RUN_ID"),
            event_path: get("GITHUB_EVENT_PATH").map(PathBuf::from),
            event_name: get("GITHUB_EVENT_NAME"),
        }
    }

    /// The run's page, which shows the job summary:
    /// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`. `None` unless
    /// the repository and run id are there and well-formed (the URL goes into a comment).
    pub fn summary_url(&self) -> Option<String> {
        let repo = RepoId::parse(self.repository.as_deref()?)?;
        let run_id = self.run_id.as_deref()?.trim();
        if run_id.is_empty() || !run_id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let server = self
            .server_url
            .as_deref()
            .unwrap_or("https://github.com")
            .trim()
            .trim_end_matches('/');
        let plain = |c: char| c.is_ascii_graphic() && !"<>`\"'\\".contains(c);
        if !(server.starts_with("https://") || server.starts_with("http://"))
            || !server.chars().all(plain)
        {
            return None;
        }
        Some(format!(
            "{server}/{}/{}/actions/runs/{run_id}",
            repo.owner, repo.name
        ))
    }
}

/// Append `markdown` to the job summary file (earlier steps' and calls' text is kept).
///
/// The summary of one step is capped at [`STEP_SUMMARY_MAX_BYTES`] by GitHub, which
/// otherwise shows none of it: past that, whole lines are kept and a note says so.
pub fn append_step_summary(path: &Path, markdown: &str) -> io::Result<()> {
    let existing = std::fs::metadata(path).map_or(0, |m| m.len());
    let room =
        STEP_SUMMARY_MAX_BYTES.saturating_sub(usize::try_from(existing).unwrap_or(usize::MAX));
    let mut text = String::with_capacity(markdown.len() + 2);
    if existing > 0 {
        // Separate from what is already there, so blocks do not run together.
        text.push('\n');
    }
    text.push_str(markdown);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if text.len() > room {
        const NOTE: &str = "\n…cut here: GitHub shows at most 1 MiB of job summary per step, so the rest is left out.\n";
        let full =
            || io::Error::other("the job summary of this step is full (1 MiB); nothing appended");
        let budget = room.checked_sub(NOTE.len()).ok_or_else(full)?;
        let mut kept = 0;
        for line in text.split_inclusive('\n') {
            if kept + line.len() > budget {
                break;
            }
            kept += line.len();
        }
        if text[..kept].trim().is_empty() {
            return Err(full());
        }
        text.truncate(kept);
        text.push_str(NOTE);
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// Append step outputs to the `GITHUB_OUTPUT` file: `key=value`, or for a value with a
/// line break
///
/// ```text
/// key<<ghadelimiter_<random>
/// value
/// ghadelimiter_<random>
/// ```
///
/// A key must be non-empty and hold no `=`, `<<` or line break (the runner could not
/// tell where it ends).
pub fn write_outputs<K: AsRef<str>, V: AsRef<str>>(
    path: &Path,
    outputs: &[(K, V)],
) -> io::Result<()> {
    let mut text = String::new();
    for (key, value) in outputs {
        let (key, value) = (key.as_ref(), value.as_ref());
        if key.is_empty() || key.contains('=') || key.contains("<<") || key.contains(['\n', '\r']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{key:?} cannot be a step output name"),
            ));
        }
        if value.contains(['\n', '\r']) {
            let delimiter = loop {
                let candidate = format!("ghadelimiter_{}", random_hex());
                if !value.contains(&candidate) {
                    break candidate;
                }
            };
            text.push_str(&format!("{key}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{key}={value}\n"));
        }
    }
    // One write, so the outputs of this call are never interleaved with another writer's.
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// 128 random bits as hex, from std's randomly keyed hasher (no extra dependency).
fn random_hex() -> String {
    let half = || {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

/// The step outputs of a run: `gaps` (unwaived gaps), `blocking` (`true`/`false`: the run
/// exits 1) and, when the JSON report was written, `report` (its path).
pub fn outputs_for(report: &Report, report_path: Option<&Path>) -> Vec<(String, String)> {
    let mut outputs = vec![
        ("gaps".to_string(), report.summary.gaps.to_string()),
        ("blocking".to_string(), report.summary.blocking.to_string()),
    ];
    if let Some(path) = report_path {
        outputs.push(("report".to_string(), path.display().to_string()));
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_differ_between_calls() {
        assert_ne!(random_hex(), random_hex());
        assert_eq!(random_hex().len(), 32);
    }

    #[test]
    fn summary_url_needs_a_repository_and_a_numeric_run_id() {
        let runner = |repo: &str, run: &str, server: Option<&str>| Runner {
            repository: Some(repo.to_string()),
            run_id: Some(run.to_string()),
            server_url: server.map(str::to_string),
            ..Runner::default()
        };
        assert_eq!(
            runner("o/r", "42", Some("https://ghe.example.com/")).summary_url(),
            Some("https://ghe.example.com/o/r/actions/runs/42".to_string())
        );
        assert_eq!(
            runner("o/r", "42", None).summary_url(),
            Some("https://github.com/o/r/actions/runs/42".to_string())
        );
        assert_eq!(runner("o/r", "42)", None).summary_url(), None);
        assert_eq!(runner("o r", "42", None).summary_url(), None);
        assert_eq!(
            runner("o/r", "42", Some("javascript:x")).summary_url(),
            None
        );
        assert_eq!(Runner::default().summary_url(), None);
    }
}
