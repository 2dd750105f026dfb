//! Facts about one pull request: what it says (title, body, labels, branches) and what it
//! changes (files with status and line counts), plus the issues its body references.
//!
//! Built from a GitHub event payload, from the API, or from local git; judged by the
//! `pr-*` rule kinds, and by path rules, which in PR mode see only the changed files.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::github::{Fetched, RepoId};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullRequest {
    pub repo: Option<RepoId>,
    pub number: u64,
    pub title: String,
    pub body: String,
    /// The author's login (`dependabot[bot]` for bots).
    pub author: String,
    pub draft: bool,
    pub labels: Vec<String>,
    pub base_ref: String,
    pub head_ref: String,
    pub base_sha: String,
    pub head_sha: String,
    /// `OWNER/NAME` of the head repository; differs from `repo` for a fork.
    pub head_repo: Option<String>,
    pub html_url: Option<String>,
    pub files: Vec<ChangedFile>,
    /// Why the file list may be incomplete (GitHub lists at most 3,000 files of a PR).
    pub files_note: Option<String>,
    /// Where the file list came from: `git` or `api` (or `event` for none).
    pub files_source: &'static str,
    /// Issues referenced by the body, and what GitHub says about them (when asked for).
    pub issues: BTreeMap<IssueRef, Fetched<IssueInfo>>,
}

impl PullRequest {
    pub fn is_fork(&self) -> bool {
        match (&self.repo, &self.head_repo) {
            (Some(repo), Some(head)) => !head.eq_ignore_ascii_case(&repo.to_string()),
            _ => false,
        }
    }

    /// Paths the PR adds, modifies or renames to (not the ones it removes).
    pub fn changed_paths(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|f| f.status != FileStatus::Removed)
            .map(|f| f.path.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
    /// For renames: the old path.
    pub previous_path: Option<String>,
    pub additions: u64,
    pub deletions: u64,
}

/// A changed file's status, as GitHub names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Removed,
    Renamed,
    Copied,
    Changed,
    Unchanged,
}

impl FileStatus {
    pub fn parse(text: &str) -> FileStatus {
        match text {
            "added" => FileStatus::Added,
            "removed" => FileStatus::Removed,
            "renamed" => FileStatus::Renamed,
            "copied" => FileStatus::Copied,
            "changed" => FileStatus::Changed,
            "unchanged" => FileStatus::Unchanged,
            _ => FileStatus::Modified,
        }
    }
}

/// An issue reference, always with its repository (`#12` resolves to the PR's own).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssueRef {
    pub owner: String,
    pub repo: String,
    pub number: u64,
}

impl std::fmt::Display for IssueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}#{}", self.owner, self.repo, self.number)
    }
}

/// What GitHub says about a referenced issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueInfo {
    /// `open`, `closed`, or `not_found` (GitHub answered 404: no such issue, or not visible
    /// to the token).
    pub state: String,
    pub title: String,
    /// GitHub serves pull requests through the issues API too.
    pub is_pull_request: bool,
}

/// Read a pull request object: the `pull_request` of a webhook event, or the answer of
/// `GET /repos/{owner}/{repo}/pulls/{number}` (the same shape).
pub fn from_json(pr: &serde_json::Value, repo: Option<RepoId>) -> Result<PullRequest, String> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let number = pr["number"]
        .as_u64()
        .ok_or_else(|| "the pull request has no `number`".to_string())?;
    let repo = repo.or_else(|| {
        pr["base"]["repo"]["full_name"]
            .as_str()
            .and_then(RepoId::parse)
    });
    Ok(PullRequest {
        repo,
        number,
        title: text(&pr["title"]),
        // A PR without a description has `"body": null`.
        body: text(&pr["body"]),
        author: text(&pr["user"]["login"]),
        draft: pr["draft"].as_bool().unwrap_or(false),
        labels: pr["labels"]
            .as_array()
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        base_ref: text(&pr["base"]["ref"]),
        head_ref: text(&pr["head"]["ref"]),
        base_sha: text(&pr["base"]["sha"]),
        head_sha: text(&pr["head"]["sha"]),
        // `head.repo` is null when the fork was deleted.
        head_repo: pr["head"]["repo"]["full_name"].as_str().map(str::to_string),
        html_url: pr["html_url"].as_str().map(str::to_string),
        files: Vec::new(),
        files_note: None,
        files_source: "none",
        issues: BTreeMap::new(),
    })
}

/// Read a webhook event payload (`GITHUB_EVENT_PATH`) of a `pull_request` or
/// `pull_request_target` event.
pub fn from_event(event: &serde_json::Value) -> Result<PullRequest, String> {
    if event.get("pull_request").is_none_or(|p| p.is_null()) {
        return Err("the event has no `pull_request`: run `warden pr` on pull_request or pull_request_target events, or name a PR (OWNER/REPO#N)".to_string());
    }
    let repo = event["repository"]["full_name"]
        .as_str()
        .and_then(RepoId::parse);
    from_json(&event["pull_request"], repo)
}

/// `OWNER/REPO#N` or `https://github.com/OWNER/REPO/pull/N` (any host, for GHES).
pub fn parse_target(text: &str) -> Option<(RepoId, u64)> {
    let text = text.trim().trim_end_matches('/');
    if let Some((repo, number)) = text.split_once('#') {
        return Some((RepoId::parse(repo)?, number.parse().ok()?));
    }
    let path = text.split_once("://")?.1.split_once('/')?.1;
    let mut parts = path.split('/');
    let (owner, name, kind, number) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if kind != "pull" {
        return None;
    }
    Some((
        RepoId::parse(&format!("{owner}/{name}"))?,
        number.parse().ok()?,
    ))
}

/// One item of `GET /repos/{owner}/{repo}/pulls/{number}/files`.
pub fn file_from_json(file: &serde_json::Value) -> Option<ChangedFile> {
    Some(ChangedFile {
        path: file["filename"].as_str()?.to_string(),
        status: FileStatus::parse(file["status"].as_str().unwrap_or("modified")),
        previous_path: file["previous_filename"].as_str().map(str::to_string),
        additions: file["additions"].as_u64().unwrap_or(0),
        deletions: file["deletions"].as_u64().unwrap_or(0),
    })
}

/// GitHub lists at most this many files of a pull request.
pub const API_FILE_LIMIT: usize = 3000;

/// One reference found in a PR body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// The closing keyword right before it (`Fixes`), as written; `None` for a bare mention.
    pub keyword: Option<String>,
    pub issue: IssueRef,
    /// 1-based line in the body.
    pub line: u32,
}

/// Every issue reference in `body`: `#12`, `OWNER/REPO#12` and
/// `https://github.com/OWNER/REPO/issues/12`, each with the word before it (e.g. `Fixes`).
/// References inside code spans, code blocks and HTML comments do not count.
pub fn mentions(body: &str, default_repo: Option<&RepoId>) -> Vec<Mention> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"(?ix)
            (?:\b(?P<keyword>[a-z]+)\s*:?\s+)?
            (?:
                https?://[^/\s]+/(?P<uowner>[\w.-]+)/(?P<urepo>[\w.-]+)/(?:issues|pull)/(?P<unum>\d+)
              | (?:(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+))?\#(?P<num>\d+)
            )\b",
        )
        .expect("the mention pattern is valid")
    });
    let text = strip_code_and_comments(body);
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for caps in pattern.captures_iter(line) {
            // `abc#12` inside a word, or an HTML entity `&#35;`, is not a reference.
            let hash_at = caps.name("num").map(|m| m.start().saturating_sub(1));
            if let (Some(hash_at), None) = (hash_at, caps.name("owner")) {
                let before = line[..hash_at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '&') {
                    continue;
                }
            }
            let (owner, repo, number) = if let Some(number) = caps.name("unum") {
                (
                    caps["uowner"].to_string(),
                    caps["urepo"].to_string(),
                    number.as_str(),
                )
            } else if let Some(owner) = caps.name("owner") {
                (
                    owner.as_str().to_string(),
                    caps["repo"].to_string(),
                    &caps["num"],
                )
            } else {
                let Some(repo) = default_repo else { continue };
                (repo.owner.clone(), repo.name.clone(), &caps["num"])
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            out.push(Mention {
                keyword: caps.name("keyword").map(|k| k.as_str().to_string()),
                issue: IssueRef {
                    owner,
                    repo,
                    number,
                },
                line: index as u32 + 1,
            });
        }
    }
    out
}

/// `line` without the parts inside HTML comments; `in_comment` carries an open `<!--`
/// from one line to the next.
pub(crate) fn strip_html_comments(line: &str, in_comment: &mut bool) -> String {
    let mut kept = String::new();
    let mut rest = line;
    loop {
        if *in_comment {
            match rest.find("-->") {
                Some(end) => {
                    *in_comment = false;
                    rest = &rest[end + 3..];
                }
                None => break,
            }
        } else if let Some(start) = rest.find("<!--") {
            kept.push_str(&rest[..start]);
            *in_comment = true;
            rest = &rest[start + 4..];
        } else {
            kept.push_str(rest);
            break;
        }
    }
    kept
}

/// Blank out fenced code blocks, inline code and HTML comments, keeping line structure.
fn strip_code_and_comments(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_fence = false;
    let mut in_comment = false;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.push('\n');
            continue;
        }
        if in_fence {
            out.push('\n');
            continue;
        }
        let kept = strip_html_comments(line, &mut in_comment);
        // Inline code: drop text between paired backticks.
        let mut inline = String::new();
        for (i, part) in kept.split('`').enumerate() {
            if i % 2 == 0 {
                inline.push_str(part);
            } else {
                inline.push(' ');
            }
        }
        out.push_str(&inline);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoId {
        RepoId {
            owner: "octo-org".into(),
            name: "app".into(),
        }
    }

    #[test]
    fn reads_a_recorded_webhook_event() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/events/pull_request.opened.json"
        ))
        .unwrap();
        let pr = from_event(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(pr.number, 2);
        assert_eq!(pr.author, "Codertocat");
        assert_eq!(
            pr.repo.as_ref().unwrap().to_string(),
            "Codertocat/Hello-World"
        );
        assert!(!pr.is_fork());
        assert_eq!(pr.head_ref, "changes");
    }

    #[test]
    fn targets() {
        let (repo, n) = parse_target("octo-org/app#12").unwrap();
        assert_eq!((repo.to_string(), n), ("octo-org/app".to_string(), 12));
        let (repo, n) = parse_target("https://github.com/octo-org/app/pull/7/files").unwrap();
        assert_eq!((repo.to_string(), n), ("octo-org/app".to_string(), 7));
        assert!(parse_target("https://github.com/octo-org/app/issues/7").is_none());
    }

    #[test]
    fn finds_the_three_reference_forms_with_their_keywords() {
        let body = "Fixes #12\ncloses other/lib#7 and see https://github.com/octo-org/app/issues/99\nResolves: #5";
        let found = mentions(body, Some(&repo()));
        let summary: Vec<(Option<&str>, String, u32)> = found
            .iter()
            .map(|m| (m.keyword.as_deref(), m.issue.to_string(), m.line))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some("Fixes"), "octo-org/app#12".to_string(), 1),
                (Some("closes"), "other/lib#7".to_string(), 2),
                (Some("see"), "octo-org/app#99".to_string(), 2),
                (Some("Resolves"), "octo-org/app#5".to_string(), 3),
            ]
        );
    }

    #[test]
    fn code_comments_and_words_do_not_count() {
        let body = "<!-- Fixes #1 -->\n`Fixes #2`\n```\nFixes #3\n```\nissue#4 color: &#35;5";
        assert!(
            mentions(body, Some(&repo())).is_empty(),
            "{:?}",
            mentions(body, Some(&repo()))
        );
    }
}
