//! The one sticky pull-request comment: warden's report, kept current in place.
//!
//! A PR gets at most one warden comment, found again on every run by a hidden marker at
//! the start of its body *and* by its author: only comments written by the identity the
//! token acts as are warden's (`GET /user` for a user token; an installation token, such
//! as the Actions `GITHUB_TOKEN`, gets 403 there, so GraphQL's `viewer` names it, e.g.
//! `github-actions[bot]`). Anyone can paste the marker: another user's comment is never
//! edited or deleted. The identity is asked for only when a marked comment exists.
//!
//! The comment is created when gaps appear, edited when they change, left alone when
//! nothing changed (an edit with the same text would still bump "edited" and wake
//! watchers; the "checked at" time alone is not a change), and deleted once the PR is
//! clean (in `on-gaps` mode). Duplicates, which two concurrent runs can create, are
//! removed: every run keeps the *oldest* of its own marked comments, so concurrent runs
//! agree on the survivor and links to it stay valid.
//!
//! Posting is a courtesy, never a reason to fail the job: a PR from a fork runs with a
//! read-only token, so a refused write becomes [`CommentOutcome::CannotWrite`] and the
//! caller points at the job summary and annotations instead.
//!
//! The body is the Markdown report (whose escaping makes file names, messages and
//! reasons inert: no HTML, no links, no @mentions), cut at a line boundary to fit
//! GitHub's 65,536-character limit. The Markdown renderer writes every code span and
//! entity on one line, so a line boundary is always a clean cut.

use std::fmt;

use serde::Deserialize;

use crate::github::{ApiError, ApiStats, Client, ClientConfig, RepoId};
use crate::report::{markdown, Report};

/// Starts the body of warden's comment; how a later run finds it.
pub const MARKER: &str = "<!-- warden:sticky-comment -->";

/// GitHub rejects comment bodies longer than this many characters.
pub const GITHUB_MAX_BODY_CHARS: usize = 65_536;

/// What warden allows itself, marker and truncation note included: a margin below
/// [`GITHUB_MAX_BODY_CHARS`] in case GitHub counts a character differently.
pub const MAX_BODY_CHARS: usize = 65_000;

/// Comment pages read when looking for the marker (100 comments a page).
const MAX_COMMENT_PAGES: usize = 30;

/// When `warden pr` keeps a comment on the pull request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CommentMode {
    /// Always keep a comment, a short "all clear" one when there is nothing to fix.
    Always,
    /// Comment while there are gaps; delete the comment once they are closed.
    #[default]
    OnGaps,
    /// Never comment (the job summary and annotations still report).
    Never,
}

/// What [`sync`] did. Ids are GitHub's comment ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentOutcome {
    Created(u64),
    Updated(u64),
    /// The comment already said exactly this: not edited, nobody notified.
    Unchanged(u64),
    /// The PR is clean, so the comment was removed (the id of the one kept until now).
    Deleted(u64),
    /// Nothing to post and nothing to remove (or `--comment never`).
    NotNeeded,
    /// GitHub refused (403/404), typically the read-only token of a pull request from a
    /// fork. Not a failure of the run: the report is in the job summary and annotations.
    CannotWrite(String),
    /// Any other problem (network, 5xx, rate limit, unexpected answer).
    Failed(String),
}

impl fmt::Display for CommentOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommentOutcome::Created(id) => write!(f, "posted the report as comment {id}"),
            CommentOutcome::Updated(id) => write!(f, "updated comment {id} with the report"),
            CommentOutcome::Unchanged(id) => {
                write!(f, "comment {id} is already up to date; not edited")
            }
            CommentOutcome::Deleted(id) => {
                write!(f, "no gaps left; deleted the earlier comment {id}")
            }
            CommentOutcome::NotNeeded => write!(f, "no comment needed"),
            CommentOutcome::CannotWrite(reason) => write!(
                f,
                "cannot comment on the pull request: {reason}; the report is in the job summary and the annotations instead"
            ),
            CommentOutcome::Failed(reason) => {
                write!(f, "could not update the pull-request comment: {reason}")
            }
        }
    }
}

/// Whether a report is worth a comment in `on-gaps` mode: an open gap, or a rule that
/// could not decide (an undecided rule is never a silent pass).
pub fn has_gaps(report: &Report) -> bool {
    let s = &report.summary;
    s.gaps > 0 || s.error > 0 || s.blocking
}

/// The comment for `report`: [`MARKER`], then the Markdown report, at most
/// [`MAX_BODY_CHARS`] characters. A clean report gets a short "all clear" body.
///
/// `summary_url` is the run's page (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`),
/// where the job summary holds the full report.
pub fn comment_body(report: &Report, summary_url: Option<&str>) -> String {
    let mut rendered = Vec::new();
    markdown::render(report, &mut rendered).expect("writing to a Vec cannot fail");
    let markdown = String::from_utf8(rendered).expect("the renderer writes UTF-8");
    let where_full = job_summary(summary_url);

    if !has_gaps(report) {
        // Heading, verdict and "checked by"; the per-rule table stays in the job summary.
        let head = markdown
            .find("\n## Rules\n")
            .map_or(markdown.as_str(), |at| &markdown[..at]);
        let body = format!(
            "{MARKER}\n{}\n\nAll clear: nothing to fix in this pull request. The rule-by-rule report is {where_full}.\n",
            head.trim_end()
        );
        if body.chars().count() <= MAX_BODY_CHARS {
            return body;
        }
    }

    let full = format!("{MARKER}\n{markdown}");
    if full.chars().count() <= MAX_BODY_CHARS {
        return full;
    }
    truncate(&markdown, &where_full)
}

/// "in the job summary: <url>", or without the link when there is no usable URL.
fn job_summary(summary_url: Option<&str>) -> String {
    match summary_url {
        Some(url) if is_plain_url(url) => format!("in the job summary: <{url}>"),
        Some(url) => format!("in the job summary: {}", markdown::code(url)),
        None => "in the job summary".to_string(),
    }
}

/// An http(s) URL that is safe inside an autolink `<...>`.
fn is_plain_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>`\"'\\".contains(c))
}

/// Keep whole lines of `markdown` while the body fits, then say how many gaps were left out.
fn truncate(markdown: &str, where_full: &str) -> String {
    let lines: Vec<&str> = markdown.split_inclusive('\n').collect();
    let total_gaps = gap_lines(&lines);
    // Room for the marker line, a blank line and the longest note this report can need.
    let reserve = MARKER.chars().count() + 2 + note(total_gaps, where_full).chars().count();
    let budget = MAX_BODY_CHARS.saturating_sub(reserve);

    let mut used = 0;
    let mut keep = 0;
    for (i, line) in lines.iter().enumerate() {
        used += line.chars().count();
        if used > budget {
            break;
        }
        // Cut only before a line that starts a block or an item: an indented line (a
        // finding's "Fix:") belongs to the line above it.
        if lines
            .get(i + 1)
            .is_none_or(|next| !next.starts_with([' ', '\t']))
        {
            keep = i + 1;
        }
    }
    // Nothing dangling: no trailing blank line, heading, or table header without rows.
    while keep > 0 {
        let last = lines[keep - 1].trim_end();
        if last.is_empty() || last.starts_with('#') {
            keep -= 1;
        } else if last.starts_with("| ---") {
            keep = keep.saturating_sub(2);
        } else {
            break;
        }
    }

    let shown = gap_lines(&lines[..keep]);
    let mut body = String::with_capacity(MAX_BODY_CHARS);
    body.push_str(MARKER);
    body.push('\n');
    for line in &lines[..keep] {
        body.push_str(line);
    }
    // A blank line ends any table or list the cut landed in.
    body.push('\n');
    body.push_str(&note(total_gaps - shown, where_full));
    body
}

fn note(hidden_gaps: usize, where_full: &str) -> String {
    match hidden_gaps {
        0 => format!("…the rest of the report is not shown; the full report is {where_full}\n"),
        1 => format!("…1 more gap not shown; the full report is {where_full}\n"),
        n => format!("…{n} more gaps not shown; the full report is {where_full}\n"),
    }
}

/// Gap items in the `## Gaps` section. User text never starts a line, so the renderer's
/// headings and `- **level**` items cannot be imitated.
fn gap_lines(lines: &[&str]) -> usize {
    let mut in_gaps = false;
    let mut count = 0;
    for line in lines {
        if line.starts_with("## ") {
            in_gaps = line.trim_end() == "## Gaps";
        } else if in_gaps && line.starts_with("- **") {
            count += 1;
        }
    }
    count
}

/// One item of `GET /repos/{owner}/{repo}/issues/{number}/comments`.
#[derive(Deserialize)]
struct IssueComment {
    id: u64,
    body: Option<String>,
    /// `null` for a deleted account ("ghost").
    user: Option<CommentUser>,
}

#[derive(Deserialize)]
struct CommentUser {
    login: String,
}

/// The login the token acts as, whose comments are warden's.
async fn identity(client: &Client) -> Result<String, String> {
    match client.get_json::<serde_json::Value>("/user").await {
        Ok(user) => user["login"]
            .as_str()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .ok_or_else(|| "GitHub's answer for /user lacked `login`".to_string()),
        // An installation token (the Actions GITHUB_TOKEN, a GitHub App's) may not call
        // /user ("Resource not accessible by integration"); GraphQL's viewer is its bot.
        Err(ApiError::Forbidden { .. }) => {
            let answer = client
                .graphql("query { viewer { login } }", &serde_json::json!({}))
                .await
                .map_err(|e| format!("the token cannot read /user (403), and {e}"))?;
            answer["data"]["viewer"]["login"]
                .as_str()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    "the token cannot read /user (403), and GraphQL's answer lacked `viewer.login`"
                        .to_string()
                })
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Bring the PR's warden comment in line with `mode` and the report (see the module docs).
pub async fn sync(
    client: &Client,
    repo: &RepoId,
    number: u64,
    report_has_gaps: bool,
    body: &str,
    mode: CommentMode,
) -> CommentOutcome {
    let want = match mode {
        CommentMode::Never => return CommentOutcome::NotNeeded,
        CommentMode::Always => true,
        CommentMode::OnGaps => report_has_gaps,
    };
    let base = format!("/repos/{}/{}/issues", repo.owner, repo.name);
    let list = format!("{base}/{number}/comments?per_page=100");
    // If more comments than that exist and ours is beyond them, a second one is posted:
    // better than failing, and a later run with fewer comments removes the duplicate.
    let mut unreadable = None;
    let marked: Vec<IssueComment> = match client.get_pages(&list, MAX_COMMENT_PAGES).await {
        Ok((comments, _truncated)) => comments
            .into_iter()
            .inspect(|c: &IssueComment| {
                if c.body.is_none() {
                    unreadable.get_or_insert(c.id);
                }
            })
            .filter(|c: &IssueComment| {
                c.body
                    .as_deref()
                    .is_some_and(|b| b.trim_start().starts_with(MARKER))
            })
            .collect(),
        Err(e) => return refused("read the comments of", number, e),
    };
    if let Some(id) = unreadable {
        return CommentOutcome::Failed(format!(
            "cannot tell which comments on pull request #{number} are warden's (GitHub's answer lacked `body` for comment {id}); none was edited, deleted or added"
        ));
    }
    // Only the token's own marked comments are warden's.
    let mut ours = if marked.is_empty() {
        marked
    } else {
        let me = match identity(client).await {
            Ok(me) => me,
            Err(e) => {
                return CommentOutcome::Failed(format!(
                    "cannot tell which marked comments on pull request #{number} are warden's (who the token is: {e}); none was edited, deleted or added"
                ))
            }
        };
        marked
            .into_iter()
            .filter(|c| {
                c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(&me))
            })
            .collect()
    };
    // Oldest first (ids grow with time): every run keeps the same one.
    ours.sort_by_key(|c| c.id);

    if !want {
        let Some(first) = ours.first().map(|c| c.id) else {
            return CommentOutcome::NotNeeded;
        };
        for comment in &ours {
            let path = format!("{base}/comments/{}", comment.id);
            match client.write(http::Method::DELETE, &path, None).await {
                // Already gone (deleted by a concurrent run) is what was wanted.
                Ok(_) | Err(ApiError::NotFound { .. }) => {}
                Err(e) => return refused("delete the comment on", number, e),
            }
        }
        return CommentOutcome::Deleted(first);
    }

    let payload = serde_json::json!({ "body": body });
    let outcome = match ours.first() {
        Some(existing) if same_text(existing.body.as_deref().unwrap_or(""), body) => {
            CommentOutcome::Unchanged(existing.id)
        }
        Some(existing) => {
            let path = format!("{base}/comments/{}", existing.id);
            match client
                .write(http::Method::PATCH, &path, Some(&payload))
                .await
            {
                Ok(_) => CommentOutcome::Updated(existing.id),
                Err(e) => return refused("update the comment on", number, e),
            }
        }
        None => {
            let path = format!("{base}/{number}/comments");
            match client.write(http::Method::POST, &path, Some(&payload)).await {
                Ok(response) => match serde_json::from_str::<IssueComment>(&response.body) {
                    Ok(created) => CommentOutcome::Created(created.id),
                    Err(e) => CommentOutcome::Failed(format!(
                        "the comment was posted, but GitHub's answer for {path} is not the JSON warden expects: {e}"
                    )),
                },
                Err(e) => return refused("comment on", number, e),
            }
        }
    };
    // Duplicates from concurrent runs. Best effort: the comment that matters is in place.
    for duplicate in ours.iter().skip(1) {
        let path = format!("{base}/comments/{}", duplicate.id);
        let _ = client.write(http::Method::DELETE, &path, None).await;
    }
    outcome
}

/// Whether the stored comment already says what `body` says. GitHub may normalise line
/// endings and trailing whitespace; the time in "Checked by warden ... at TIME" changes
/// on every run and is not news.
fn same_text(stored: &str, body: &str) -> bool {
    stable(stored) == stable(body)
}

fn stable(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let mut out = String::with_capacity(body.len());
    let mut seen = false;
    for line in body.trim_end().split('\n') {
        // The renderer writes this line; user text never starts a line.
        match line
            .strip_prefix(CHECKED_BY)
            .and_then(|r| r.split_once(" at "))
        {
            Some((version, rest)) if !seen => {
                seen = true;
                let after = rest.split_once(' ').map_or("", |(_, after)| after);
                out.push_str(&format!("{CHECKED_BY}{version} at … {after}"));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// How the report's "checked at" line starts (see `report::markdown`).
const CHECKED_BY: &str = "Checked by warden ";

/// 403 and 404 mean the token may not do this (a fork's read-only token, or no
/// `pull-requests: write`); anything else is a failure.
fn refused(action: &str, number: u64, error: ApiError) -> CommentOutcome {
    match error {
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => {
            CommentOutcome::CannotWrite(format!(
                "GitHub refused to {action} pull request #{number}: {error}; a pull request from a fork runs with a read-only token, otherwise the workflow needs `permissions: pull-requests: write`"
            ))
        }
        error => {
            CommentOutcome::Failed(format!("cannot {action} pull request #{number}: {error}"))
        }
    }
}

/// [`sync`] for the CLI, on a small runtime of its own (as [`crate::github::gather`] does), with
/// what it cost against the API (for the run's request counters).
pub fn sync_blocking(
    config: ClientConfig,
    repo: &RepoId,
    number: u64,
    has_gaps: bool,
    body: &str,
    mode: CommentMode,
) -> (CommentOutcome, ApiStats) {
    if mode == CommentMode::Never {
        return (CommentOutcome::NotNeeded, ApiStats::default());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return (
                CommentOutcome::Failed(format!("cannot start the HTTP runtime: {e}")),
                ApiStats::default(),
            )
        }
    };
    runtime.block_on(async {
        // The client spawns its connection workers, so it is built inside the runtime.
        match Client::new(config) {
            Ok(client) => {
                let outcome = sync(&client, repo, number, has_gaps, body, mode).await;
                (outcome, client.stats())
            }
            Err(e) => (CommentOutcome::Failed(e.to_string()), ApiStats::default()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_become_autolinks() {
        assert!(is_plain_url("https://github.com/o/r/actions/runs/1"));
        assert!(!is_plain_url("javascript:alert(1)"));
        assert!(!is_plain_url("https://x/a>b"));
        assert!(!is_plain_url("https://x/a b"));
        assert_eq!(
            job_summary(Some("https://x/<b>")),
            "in the job summary: `https://x/<b>`"
        );
        assert_eq!(job_summary(None), "in the job summary");
    }

    #[test]
    fn stored_bodies_compare_modulo_line_endings() {
        assert!(same_text("a\r\nb\r\n", "a\nb\n"));
        assert!(!same_text("a\nb", "a\nc"));
    }

    #[test]
    fn the_checked_at_time_is_not_a_change() {
        let at = |time: &str, gaps: &str| {
            format!("{MARKER}\n# warden\n\nChecked by warden 0.1.0 at {time} (`pr` mode) against `warden.toml`.\n\n{gaps}\n")
        };
        let earlier = at("2026-11-22T12:00:00Z", "- a.md");
        assert!(same_text(&earlier, &at("2026-11-23T08:30:00Z", "- a.md")));
        assert!(!same_text(&earlier, &at("2026-11-23T08:30:00Z", "- b.md")));
        // Only the renderer's own line is normalised, and only its time.
        assert!(!same_text(
            &earlier,
            &earlier.replace("(`pr` mode)", "(`check` mode)")
        ));
        assert!(!same_text(
            "x\nChecked by warden 1 at a (m)",
            "x\nChecked by warden 2 at a (m)"
        ));
    }

    #[test]
    fn gap_items_are_counted_only_in_the_gaps_section() {
        let lines = [
            "## Rules\n",
            "- **x** not a gap\n",
            "## Gaps\n",
            "- **deny** a\n",
            "  - Fix: b\n",
            "- **warn** c\n",
            "## Waived gaps\n",
            "- **x**\n",
        ];
        assert_eq!(gap_lines(&lines), 2);
    }
}
