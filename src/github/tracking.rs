//! The one tracking issue a drift sweep keeps per repository.
//!
//! Found by a label and a hidden marker; opened when gaps appear, its body updated only
//! when the gaps change (the body holds no timestamps, so an unchanged sweep sends no
//! edit and no notification), closed with a comment when all is clear, reopened when gaps
//! return. If two sweeps overlap and both open one, the later sweep closes the newer
//! duplicates: there is never more than one open for long.

use serde_json::json;

use super::{ApiError, Client, RepoId};
use crate::report::markdown::{code, inline};
use crate::report::Report;

pub const MARKER: &str = "<!-- warden:tracking-issue -->";
/// The label that makes warden's issue cheap to find (`GET .../issues?labels=...`).
pub const LABEL: &str = "warden-drift";
pub const TITLE: &str = "warden: governance gaps";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tracking {
    Opened(u64),
    Updated(u64),
    Unchanged(u64),
    Reopened(u64),
    Closed(u64),
    /// Clean, and no open issue: nothing to do.
    Clear,
}

impl std::fmt::Display for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tracking::Opened(n) => write!(f, "opened tracking issue #{n}"),
            Tracking::Updated(n) => write!(f, "updated tracking issue #{n}"),
            Tracking::Unchanged(n) => write!(f, "tracking issue #{n} is up to date"),
            Tracking::Reopened(n) => write!(f, "reopened tracking issue #{n}"),
            Tracking::Closed(n) => write!(f, "closed tracking issue #{n}: all clear"),
            Tracking::Clear => write!(f, "no gaps and no open tracking issue"),
        }
    }
}

/// The issue body for the report's open gaps; `None` when there are none. Deterministic:
/// the same gaps give the same body.
pub fn body(report: &Report) -> Option<String> {
    let mut gaps: Vec<_> = report.gaps().collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_by(|a, b| (&a.rule, &a.fingerprint).cmp(&(&b.rule, &b.fingerprint)));
    let mut out = format!(
        "{MARKER}\nwarden's drift sweep found {} open governance gap{} in this repository. \
         This issue is updated when they change and closed when they are all fixed.\n\n\
         | rule | level | gap | where | open since |\n| --- | --- | --- | --- | --- |\n",
        gaps.len(),
        if gaps.len() == 1 { "" } else { "s" }
    );
    for gap in gaps {
        let place = match (&gap.path, gap.line) {
            (Some(path), Some(line)) => code(&format!("{path}:{line}")),
            (Some(path), None) => code(path),
            _ => String::new(),
        };
        let since = gap
            .first_seen
            .as_deref()
            .map(|t| t.get(..10).unwrap_or(t))
            .unwrap_or("");
        // Cells hold escaped prose only: a `|` in a code span would still split the row.
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            inline(&gap.rule).replace('|', "\\|"),
            gap.level.as_str(),
            inline(&gap.message).replace('|', "\\|"),
            place.replace('|', "\\|"),
            since
        ));
    }
    out.push_str("\nRun `warden check` locally to see how to close each gap.\n");
    Some(out)
}

#[derive(Clone, Debug)]
struct Issue {
    number: u64,
    open: bool,
    body: String,
}

async fn list(client: &Client, repo: &RepoId) -> Result<Vec<Issue>, ApiError> {
    let path = format!(
        "/repos/{}/{}/issues?labels={LABEL}&state=all&sort=created&direction=asc&per_page=100",
        repo.owner, repo.name
    );
    let (items, _) = client.get_pages::<serde_json::Value>(&path, 10).await?;
    Ok(items
        .iter()
        .filter(|i| i.get("pull_request").is_none_or(|p| p.is_null()))
        .filter_map(|i| {
            let body = i["body"].as_str().unwrap_or_default().to_string();
            body.contains(MARKER).then(|| Issue {
                number: i["number"].as_u64().unwrap_or(0),
                open: i["state"] == "open",
                body,
            })
        })
        .collect())
}

/// Bring the repository's tracking issue in line with `body` (`None`: all clear).
pub async fn sync(
    client: &Client,
    repo: &RepoId,
    body: Option<&str>,
    today: &str,
) -> Result<Tracking, ApiError> {
    let base = format!("/repos/{}/{}/issues", repo.owner, repo.name);
    let issues = list(client, repo).await?;
    let mut open: Vec<&Issue> = issues.iter().filter(|i| i.open).collect();
    open.sort_by_key(|i| i.number);
    // An overlapping sweep may have opened a second one: keep the oldest.
    for duplicate in open.iter().skip(1) {
        close(
            client,
            &base,
            duplicate.number,
            &format!("Closing: a duplicate of #{}.", open[0].number),
        )
        .await?;
    }
    let Some(body) = body else {
        return match open.first() {
            Some(issue) => {
                close(
                    client,
                    &base,
                    issue.number,
                    &format!("All clear: warden's sweep on {today} found no open gaps. Closing."),
                )
                .await?;
                Ok(Tracking::Closed(issue.number))
            }
            None => Ok(Tracking::Clear),
        };
    };
    if let Some(issue) = open.first() {
        if issue.body.trim_end() == body.trim_end() {
            return Ok(Tracking::Unchanged(issue.number));
        }
        client
            .write(
                http::Method::PATCH,
                &format!("{base}/{}", issue.number),
                Some(&json!({ "body": body })),
            )
            .await?;
        return Ok(Tracking::Updated(issue.number));
    }
    if let Some(last) = issues.iter().filter(|i| !i.open).max_by_key(|i| i.number) {
        client
            .write(
                http::Method::PATCH,
                &format!("{base}/{}", last.number),
                Some(&json!({ "state": "open", "body": body })),
            )
            .await?;
        return Ok(Tracking::Reopened(last.number));
    }
    let created = client
        .write(
            http::Method::POST,
            &base,
            Some(&json!({ "title": TITLE, "body": body, "labels": [LABEL] })),
        )
        .await?;
    let number = serde_json::from_str::<serde_json::Value>(&created.body)
        .ok()
        .and_then(|v| v["number"].as_u64())
        .unwrap_or(0);
    // Did an overlapping sweep open one too? Keep the oldest, close ours if it is newer.
    let now_open: Vec<u64> = {
        let mut numbers: Vec<u64> = list(client, repo)
            .await?
            .into_iter()
            .filter(|i| i.open)
            .map(|i| i.number)
            .collect();
        numbers.sort();
        numbers
    };
    if let Some(&oldest) = now_open.first() {
        if oldest != number && number != 0 {
            close(
                client,
                &base,
                number,
                &format!("Closing: a duplicate of #{oldest}."),
            )
            .await?;
            client
                .write(
                    http::Method::PATCH,
                    &format!("{base}/{oldest}"),
                    Some(&json!({ "body": body })),
                )
                .await?;
            return Ok(Tracking::Updated(oldest));
        }
    }
    Ok(Tracking::Opened(number))
}

async fn close(client: &Client, base: &str, number: u64, comment: &str) -> Result<(), ApiError> {
    client
        .write(
            http::Method::POST,
            &format!("{base}/{number}/comments"),
            Some(&json!({ "body": comment })),
        )
        .await?;
    client
        .write(
            http::Method::PATCH,
            &format!("{base}/{number}"),
            Some(&json!({ "state": "closed", "state_reason": "completed" })),
        )
        .await?;
    Ok(())
}
