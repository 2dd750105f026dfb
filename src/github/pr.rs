//! Pull request facts from the API: the PR, its changed files, the issues it references.

use std::collections::BTreeMap;

use super::{ApiError, Client, Fetched, RepoId};
use crate::pr::{self, IssueInfo, IssueRef, PullRequest, API_FILE_LIMIT};

/// `GET /repos/{owner}/{repo}/pulls/{number}`.
pub async fn fetch(client: &Client, repo: &RepoId, number: u64) -> Result<PullRequest, String> {
    let path = format!("/repos/{}/{}/pulls/{number}", repo.owner, repo.name);
    let value: serde_json::Value = client.get_json(&path).await.map_err(|e| e.to_string())?;
    pr::from_json(&value, Some(repo.clone()))
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/files`, every page. GitHub stops at 3,000
/// files; the note says so when the list may be cut.
pub async fn files(
    client: &Client,
    repo: &RepoId,
    number: u64,
) -> Result<(Vec<pr::ChangedFile>, Option<String>), String> {
    let path = format!(
        "/repos/{}/{}/pulls/{number}/files?per_page=100",
        repo.owner, repo.name
    );
    let (items, _) = client
        .get_pages::<serde_json::Value>(&path, API_FILE_LIMIT / 100)
        .await
        .map_err(|e| e.to_string())?;
    // A malformed item is an error for the whole list: dropping it would let path rules
    // pass a PR whose file they never saw.
    let files = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            pr::file_from_json(item)
                .map_err(|e| format!("GitHub's answer for {path} is not usable: item {index}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let note = (files.len() >= API_FILE_LIMIT).then(|| {
        format!(
            "GitHub lists at most {API_FILE_LIMIT} files of a pull request; this one may change more, which were not judged"
        )
    });
    Ok((files, note))
}

/// What GitHub says about each referenced issue (`GET /repos/{o}/{r}/issues/{n}`), at most
/// `limit` of them. A 404 is a definite answer: the issue does not exist (or is not
/// visible); so is a 410: it was deleted.
pub async fn issues(
    client: &Client,
    refs: &[IssueRef],
    limit: usize,
) -> BTreeMap<IssueRef, Fetched<IssueInfo>> {
    let lookups = refs.iter().take(limit).map(|issue| async move {
        let path = format!(
            "/repos/{}/{}/issues/{}",
            issue.owner, issue.repo, issue.number
        );
        let info = match client.get_json::<serde_json::Value>(&path).await {
            Ok(value) => Ok(IssueInfo {
                state: value["state"].as_str().unwrap_or("unknown").to_string(),
                title: value["title"].as_str().unwrap_or_default().to_string(),
                is_pull_request: value.get("pull_request").is_some_and(|p| !p.is_null()),
            }),
            Err(ApiError::NotFound { .. }) => Ok(IssueInfo {
                state: "not_found".to_string(),
                title: String::new(),
                is_pull_request: false,
            }),
            // 410 Gone: the issue was deleted, or the repository has issues switched off.
            Err(ApiError::Unexpected {
                status: 410,
                message,
                ..
            }) => Ok(IssueInfo {
                state: if message.to_ascii_lowercase().contains("disabled") {
                    "disabled"
                } else {
                    "deleted"
                }
                .to_string(),
                title: String::new(),
                is_pull_request: false,
            }),
            Err(e) => Err(e.to_string()),
        };
        (issue.clone(), info)
    });
    futures_util::future::join_all(lookups)
        .await
        .into_iter()
        .collect()
}
