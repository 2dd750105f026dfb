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
    /// The GitHub web host (`github.com`, or a GHES host): issue URLs count only there.
    /// Taken from `html_url`; `None` means `github.com`.
    pub web_host: Option<String>,
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

    /// The issue references in the body, URLs counted only on this PR's GitHub host.
    pub fn mentions(&self) -> Vec<Mention> {
        mentions_on(
            &self.body,
            self.repo.as_ref(),
            self.web_host.as_deref().unwrap_or(DEFAULT_WEB_HOST),
        )
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
    /// `open`, `closed`, `not_found` (GitHub answered 404: no such issue, or not visible
    /// to the token), `deleted` (GitHub answered 410 Gone) or `disabled` (410: the
    /// repository has issues switched off).
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
    // `body` is required (and null when there is no description): an answer without it
    // cannot say whether the description links an issue.
    if pr.get("body").is_none() {
        return Err(
            "the pull request lacks `body` (GitHub sends null for no description)".to_string(),
        );
    }
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
        web_host: pr["html_url"].as_str().and_then(url_host),
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

/// One item of `GET /repos/{owner}/{repo}/pulls/{number}/files`. An item without a
/// `filename` or `status` is an error, never skipped: a path rule that did not see a file
/// must not pass.
pub fn file_from_json(file: &serde_json::Value) -> Result<ChangedFile, String> {
    let Some(path) = file["filename"].as_str() else {
        return Err("a changed-file item has no `filename`".to_string());
    };
    if path.is_empty() {
        return Err("a changed-file item has an empty `filename`".to_string());
    }
    // Whether a file was removed decides whether path rules judge it.
    let Some(status) = file["status"].as_str() else {
        return Err(format!("the changed-file item `{path}` has no `status`"));
    };
    Ok(ChangedFile {
        path: path.to_string(),
        status: FileStatus::parse(status),
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

/// Where issue URLs count when the PR's host is unknown.
pub const DEFAULT_WEB_HOST: &str = "github.com";

/// The host of an `http(s)://HOST/...` URL, lowercased, without a port or credentials.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// [`mentions_on`] with URLs counted on github.com.
pub fn mentions(body: &str, default_repo: Option<&RepoId>) -> Vec<Mention> {
    mentions_on(body, default_repo, DEFAULT_WEB_HOST)
}

/// Every issue reference in `body`: `#12`, `OWNER/REPO#12` and
/// `https://HOST/OWNER/REPO/issues/12` (only on `host`, the GitHub the PR lives on), each
/// with the word before it (e.g. `Fixes`). As on GitHub, references inside code (fenced
/// with any number of backticks or tildes, indented, inline, `<code>`, `<pre>`) and inside
/// HTML comments do not count, and `/pull/N` is a pull request, not an issue.
pub fn mentions_on(body: &str, default_repo: Option<&RepoId>, host: &str) -> Vec<Mention> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"(?ix)
            (?:\b(?P<keyword>[a-z]+)\s*:?\s+)?
            (?:
                https?://(?P<host>[^/\s]+)/(?P<uowner>[\w.-]+)/(?P<urepo>[\w.-]+)/issues/(?P<unum>\d+)
              | (?:(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+))?\#(?P<num>\d+)
            )\b",
        )
        .expect("the mention pattern is valid")
    });
    let text = readable_text(body);
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for caps in pattern.captures_iter(line) {
            let (owner, repo, number) = if let Some(number) = caps.name("unum") {
                let url_host = caps["host"].rsplit('@').next().unwrap_or_default();
                let url_host = url_host.split(':').next().unwrap_or_default();
                if !url_host.eq_ignore_ascii_case(host) {
                    continue;
                }
                (
                    caps["uowner"].to_string(),
                    caps["urepo"].to_string(),
                    number.as_str(),
                )
            } else {
                let Some(number) = caps.name("num") else {
                    continue;
                };
                let start = caps
                    .name("owner")
                    .map_or(number.start().saturating_sub(1), |m| m.start());
                // `abc#12` inside a word, `&#35;` (an entity) or `x/a/b#1` (part of a path
                // or URL) is not a reference.
                let before = line[..start].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '&' || c == '/') {
                    continue;
                }
                match caps.name("owner") {
                    Some(owner) => (
                        owner.as_str().to_string(),
                        caps["repo"].to_string(),
                        number.as_str(),
                    ),
                    None => {
                        let Some(repo) = default_repo else { continue };
                        (repo.owner.clone(), repo.name.clone(), number.as_str())
                    }
                }
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

/// Columns of leading indentation (a tab counts to the next multiple of 4) and the byte
/// offset where the rest starts.
fn indentation(line: &str) -> (usize, usize) {
    let mut columns = 0;
    for (at, c) in line.char_indices() {
        match c {
            ' ' => columns += 1,
            '\t' => columns += 4 - columns % 4,
            _ => return (columns, at),
        }
    }
    (columns, line.len())
}

/// `text` after any blockquote markers (`>`, `> >`).
fn after_quotes(text: &str) -> &str {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        match trimmed.strip_prefix('>') {
            Some(more) => rest = more.strip_prefix(' ').unwrap_or(more),
            None => return rest,
        }
    }
}

/// The column where a list item's content starts, if `line` starts one.
fn list_item_content(line: &str) -> Option<usize> {
    let (indent, at) = indentation(line);
    let rest = &line[at..];
    let marker = if rest.starts_with(['-', '*', '+']) {
        1
    } else {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 9 || !rest[digits..].starts_with(['.', ')']) {
            return None;
        }
        digits + 1
    };
    let after = &rest[marker..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let spaces = after.chars().take_while(|c| *c == ' ').count().clamp(1, 4);
    Some(indent + marker + spaces)
}

/// A fence line: its character, run length, and whether anything may follow (a backtick
/// fence's info string cannot contain a backtick).
fn fence_of(content: &str) -> Option<(char, usize, &str)> {
    let c = content.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = content.chars().take_while(|x| *x == c).count();
    if run < 3 {
        return None;
    }
    let info = &content[run..];
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, run, info))
}

/// `body` as GitHub's reference finder sees it: same lines, with code (fenced, indented,
/// inline, `<code>`, `<pre>`) and HTML comments blanked out (block lines emptied, inline
/// text replaced by [`HIDDEN`]). When a construct is left
/// open (a fence or comment never closed), it runs to the end: a reference GitHub might
/// not see is never counted.
pub fn readable_text(body: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    // The open fence: character, length, and the indentation its container allows.
    let mut fence: Option<(char, usize, usize)> = None;
    // Content column of the list item the text is in, if any.
    let mut list: Option<usize> = None;
    let mut previous_blank = true;
    let mut previous_code = false;
    let mut inline = InlineState::default();
    // The current paragraph's lines, scanned together (a code span may cross lines).
    let mut paragraph: Vec<&str> = Vec::new();

    for raw in body.lines() {
        let content = after_quotes(raw);
        let blank = content.trim().is_empty();
        let (indent, at) = indentation(content);
        let base = list.unwrap_or(0);
        if let Some((c, len, allowed)) = fence {
            let rest = &content[at..];
            if indent <= allowed + 3
                && fence_of(rest)
                    .is_some_and(|(x, run, info)| x == c && run >= len && info.trim().is_empty())
            {
                fence = None;
            }
            out.push(String::new());
            continue;
        }
        if blank {
            flush(&mut paragraph, &mut inline, &mut out);
            out.push(String::new());
            previous_blank = true;
            continue;
        }
        // A list item starts or the list ends (a line left of its content after a gap).
        let item = list_item_content(content);
        if let Some(column) = item {
            list = Some(column);
        } else if previous_blank && indent < base {
            list = None;
        }
        let base = if item.is_some() { 0 } else { list.unwrap_or(0) };
        let relative = indent.saturating_sub(base);
        // An item's own content may open a fence (`- ```).
        let fence_text = match item {
            Some(_) => {
                let (_, at) = indentation(content);
                let rest = &content[at..];
                let marker_end = rest.find([' ', '\t']).unwrap_or(rest.len());
                rest[marker_end..].trim_start()
            }
            None => &content[at..],
        };
        // A fence may interrupt a paragraph, unless that paragraph left HTML (a comment,
        // `<pre>`) open: then the line is part of it.
        if (relative <= 3 || item.is_some()) && fence_of(fence_text).is_some() {
            flush(&mut paragraph, &mut inline, &mut out);
        }
        let code_allowed = !inline.in_html();
        if code_allowed && (relative <= 3 || item.is_some()) {
            if let Some((c, len, _)) = fence_of(fence_text) {
                fence = Some((c, len, item.or(list).unwrap_or(0)));
                out.push(String::new());
                previous_blank = false;
                previous_code = true;
                continue;
            }
        }
        // Indented code cannot interrupt a paragraph.
        if code_allowed && item.is_none() && relative >= 4 && (previous_blank || previous_code) {
            flush(&mut paragraph, &mut inline, &mut out);
            out.push(String::new());
            previous_blank = false;
            previous_code = true;
            continue;
        }
        paragraph.push(raw);
        previous_blank = false;
        previous_code = false;
    }
    flush(&mut paragraph, &mut inline, &mut out);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// What hidden text is replaced with in [`readable_text`].
pub const HIDDEN: char = '\u{1}';

/// HTML left open from an earlier paragraph: a comment, or a `<code>`/`<pre>` element.
#[derive(Default)]
struct InlineState {
    comment: bool,
    element: Option<&'static str>,
}

impl InlineState {
    fn in_html(&self) -> bool {
        self.comment || self.element.is_some()
    }
}

/// Blank the code spans, comments and code elements of one paragraph, line by line.
fn flush(paragraph: &mut Vec<&str>, state: &mut InlineState, out: &mut Vec<String>) {
    if paragraph.is_empty() {
        return;
    }
    let text = paragraph.join("\n");
    paragraph.clear();
    let kept = blank_inline(&text, state);
    out.extend(kept.split('\n').map(str::to_string));
}

fn blank_inline(text: &str, state: &mut InlineState) -> String {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    // Blank `text[from..to]`, keeping its line breaks. The filler is neither a space nor
    // a word character, so `Fixes `x` #1` does not put `Fixes` right before `#1`.
    let blank = |out: &mut String, from: usize, to: usize| {
        for c in text[from..to].chars() {
            out.push(if c == '\n' { '\n' } else { HIDDEN });
        }
    };
    let mut i = 0;
    while i < text.len() {
        if state.comment {
            let end = match lower[i..].find("-->") {
                Some(e) => {
                    state.comment = false;
                    i + e + 3
                }
                None => text.len(),
            };
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if let Some(name) = state.element {
            let close = format!("</{name}");
            let end = match lower[i..].find(&close) {
                Some(e) => {
                    state.element = None;
                    lower[i + e..]
                        .find('>')
                        .map_or(text.len(), |g| i + e + g + 1)
                }
                None => text.len(),
            };
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        match bytes[i] {
            b'\\' if i + 1 < text.len() && bytes[i + 1].is_ascii_punctuation() => {
                out.push_str(&text[i..i + 2]);
                i += 2;
            }
            b'`' => {
                let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
                match closing_run(bytes, i + run, run) {
                    Some(end) => {
                        blank(&mut out, i, end);
                        i = end;
                    }
                    None => {
                        out.push_str(&text[i..i + run]);
                        i += run;
                    }
                }
            }
            b'<' if lower[i..].starts_with("<!--") => {
                state.comment = true;
                blank(&mut out, i, i + 4);
                i += 4;
            }
            b'<' => {
                let element = ["code", "pre"].into_iter().find(|name| {
                    lower[i + 1..].starts_with(name)
                        && lower[i + 1 + name.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c == '>' || c.is_whitespace() || c == '/')
                });
                match element {
                    Some(name) => {
                        let end = lower[i..].find('>').map_or(text.len(), |g| i + g + 1);
                        blank(&mut out, i, end);
                        state.element = Some(name);
                        i = end;
                    }
                    None => {
                        out.push('<');
                        i += 1;
                    }
                }
            }
            _ => {
                let c = text[i..].chars().next().expect("i is on a char boundary");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The end of the backtick run of exactly `run` backticks closing a code span that
/// starts at `from`, if there is one.
fn closing_run(bytes: &[u8], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|b| **b == b'`').count();
            if len == run {
                return Some(i + len);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
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

    fn found(body: &str) -> Vec<String> {
        mentions(body, Some(&repo()))
            .into_iter()
            .map(|m| {
                format!(
                    "{}{}",
                    m.keyword.map(|k| k + " ").unwrap_or_default(),
                    m.issue
                )
            })
            .collect()
    }

    #[test]
    fn code_of_every_kind_hides_references() {
        let hidden = [
            "````\n```\nFixes #1\n```\nFixes #2\n````",
            "~~~\nFixes #1\n~~~",
            "~~~~ rust\nFixes #1\n~~~\nstill code #2\n~~~~",
            "text\n\n    Fixes #1",
            "\tFixes #1",
            "``Fixes ` #1``",
            "`Fixes\n#1`",
            "<code>Fixes #1</code>",
            "<CODE class=\"x\">Fixes\n#1</CODE>",
            "<pre>\nFixes #1\n\nFixes #2\n</pre>",
            "<!--\nFixes #1\n\nFixes #2\n-->",
            "> ```\n> Fixes #1\n> ```",
            "- item\n  ```\n  Fixes #1\n  ```",
            "- ```\n  Fixes #1\n  ```",
            "```\nnever closed\nFixes #1",
            "<!-- never closed\nFixes #1",
            "Fixes https://github.com/octo-org/app/pull/7",
            "Fixes https://evil.example/octo-org/app/issues/7",
            "Fixes https://github.com.evil.example/octo-org/app/issues/7",
            "see https://github.com/o/r/blob/main/a/b#12",
        ];
        for body in hidden {
            assert_eq!(found(body), Vec::<String>::new(), "{body:?}");
        }
    }

    #[test]
    fn text_around_code_still_counts() {
        let cases = [
            ("`code` Fixes #1", "Fixes octo-org/app#1"),
            ("```\ncode\n```\nFixes #1", "Fixes octo-org/app#1"),
            ("<!-- x --> Fixes #1", "Fixes octo-org/app#1"),
            ("<code>x</code> Fixes #1", "Fixes octo-org/app#1"),
            // Continuation of a list item, not indented code.
            ("- item\n\n    Fixes #1", "Fixes octo-org/app#1"),
            // A paragraph's indented continuation is not code either.
            ("text\n    Fixes #1", "Fixes octo-org/app#1"),
            // An escaped backtick opens no code span.
            ("\\`Fixes #1`", "Fixes octo-org/app#1"),
            // An unmatched run of backticks is text.
            ("``Fixes #1`", "Fixes octo-org/app#1"),
            // Code between the keyword and the reference: a bare mention, not a closing one.
            ("Fixes `x` #1", "octo-org/app#1"),
            ("Fixes <!-- x --> #1", "octo-org/app#1"),
            // A comment closed before a fence line: the text after it counts, and the
            // fence line inside the comment opened nothing.
            ("<!--\n```\n-->\nFixes #1\n```", "Fixes octo-org/app#1"),
            // A fence closes only with a run at least as long.
            ("~~~~\n~~~\n~~~~\nFixes #1", "Fixes octo-org/app#1"),
            (
                "Fixes HTTPS://GitHub.com/other/lib/issues/3",
                "Fixes other/lib#3",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(found(body), vec![want.to_string()], "{body:?}");
        }
    }

    #[test]
    fn issue_urls_count_on_the_prs_own_host() {
        let body = "Fixes https://ghe.example.com/octo-org/app/issues/4\nFixes https://github.com/octo-org/app/issues/5";
        let on_ghes: Vec<u64> = mentions_on(body, Some(&repo()), "ghe.example.com")
            .iter()
            .map(|m| m.issue.number)
            .collect();
        assert_eq!(on_ghes, vec![4]);
        let mut pr = from_json(
            &serde_json::json!({"number": 1, "html_url": "https://GHE.example.com/octo-org/app/pull/1", "body": body}),
            Some(repo()),
        )
        .unwrap();
        assert_eq!(pr.web_host.as_deref(), Some("ghe.example.com"));
        assert_eq!(pr.mentions().len(), 1);
        pr.web_host = None;
        assert_eq!(pr.mentions()[0].issue.number, 5);
    }

    #[test]
    fn a_file_item_without_a_filename_is_an_error() {
        let item = serde_json::json!({"status": "modified", "additions": 1});
        assert!(file_from_json(&item).is_err());
        assert!(file_from_json(&serde_json::json!(null)).is_err());
        assert!(file_from_json(&serde_json::json!({"filename": ""})).is_err());
        assert!(file_from_json(&serde_json::json!({"filename": "a.rs"})).is_err());
        let item = serde_json::json!({"filename": "a.rs", "status": "removed"});
        assert_eq!(file_from_json(&item).unwrap().status, FileStatus::Removed);
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            url_host("https://github.com/o/r/pull/1").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            url_host("http://user:pw@GHE.corp:8443/o").as_deref(),
            Some("ghe.corp")
        );
        assert_eq!(url_host("ftp://x/y"), None);
    }
}
