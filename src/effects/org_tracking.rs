//! `warden sweep --org/--repos --issue`: one tracking issue in each swept repository, with
//! the lifecycle of a single-repository sweep ([`super::tracking`]).
//!
//! Runs after the sweep, from the rows alone (each holds its repository's report as JSON).
//! What cannot be known is never taken for "all clear": a repository that could not be
//! read keeps its issue as it is, and so does one whose only news is rules that could not
//! decide. One repository's failure is its row's `tracking` error; the others go on.

use futures_util::StreamExt;

use super::tracking::{self, Found, Tracking};
use crate::github::{self, ApiStats, ClientConfig, RepoId};
use crate::progress::Progress;
use crate::report::org::{RepoRow, RowOutcome, RowTracking, TrackingOutcome};

/// Repositories whose issue is synced at once. Small on purpose: GitHub's secondary rate
/// limits are about concurrent writes, and the client waits out a limit when it is hit.
pub const CONCURRENCY: usize = 2;

/// What to do for a row, decided before any request: the repository and what its sweep
/// found, or the row's tracking outcome already (left untouched).
fn plan(row: &RepoRow) -> Result<(RepoId, Found), RowTracking> {
    let untouched = |message: String| RowTracking {
        outcome: TrackingOutcome::Skipped,
        issue: None,
        message,
    };
    let report = match (&row.outcome, &row.report) {
        (RowOutcome::Ok, Some(report)) => report,
        // Unknown is not all clear: closing its issue would say the gaps were fixed.
        _ => {
            return Err(untouched(
                "the repository could not be read, so its tracking issue is left as it is"
                    .to_string(),
            ))
        }
    };
    let problem = |message: String| RowTracking {
        outcome: TrackingOutcome::Error,
        issue: None,
        message,
    };
    let repo = RepoId::parse(&row.repo)
        .ok_or_else(|| problem(format!("`{}` is not OWNER/NAME", row.repo)))?;
    let mut found = Found::from_json(report).map_err(problem)?;
    // History rules cannot run without a clone: their gaps are unknown here, not gone, so
    // they are as undecided as a rule in error (a sweep in a clone may have listed them).
    for rule in report["rules"].as_array().into_iter().flatten() {
        if rule["outcome"] == "skipped" && rule["reason"] == crate::org::HISTORY_SKIPPED {
            if let Some(id) = rule["id"].as_str() {
                found.undecided.push(id.to_string());
            }
        }
    }
    Ok((repo, found))
}

/// The row's record of what [`tracking::sync`] did.
fn outcome(result: Result<Tracking, String>) -> RowTracking {
    let message = match &result {
        Ok(done) => done.to_string(),
        Err(e) => e.clone(),
    };
    let (outcome, issue) = match result {
        Ok(Tracking::Opened(n)) => (TrackingOutcome::Opened, Some(n)),
        Ok(Tracking::Updated(n)) => (TrackingOutcome::Updated, Some(n)),
        Ok(Tracking::Unchanged(n)) => (TrackingOutcome::Unchanged, Some(n)),
        Ok(Tracking::Reopened(n)) => (TrackingOutcome::Reopened, Some(n)),
        Ok(Tracking::Closed(n)) => (TrackingOutcome::Closed, Some(n)),
        Ok(Tracking::Clear) => (TrackingOutcome::Unchanged, None),
        Ok(Tracking::Undecided { issue, .. }) => (TrackingOutcome::Skipped, issue),
        Err(_) => (TrackingOutcome::Error, None),
    };
    RowTracking {
        outcome,
        issue,
        message,
    }
}

/// Bring the tracking issue of every row in line, setting each row's `tracking`; `today`
/// (YYYY-MM-DD) goes into closing comments. Returns what it cost.
pub fn track(
    rows: &mut [RepoRow],
    config: ClientConfig,
    today: &str,
    progress: &dyn Progress,
) -> ApiStats {
    let mut jobs = Vec::new();
    for (i, row) in rows.iter_mut().enumerate() {
        match plan(row) {
            Ok((repo, found)) => jobs.push((i, repo, found)),
            Err(untouched) => row.tracking = Some(untouched),
        }
    }
    let total = jobs.len();
    progress.begin("issues", total);
    let names: Vec<String> = rows.iter().map(|r| r.repo.clone()).collect();
    let synced = github::with_client(config, async |client| {
        let mut done = 0;
        let mut results = Vec::new();
        let mut stream = futures_util::stream::iter(jobs)
            .map(|(i, repo, found)| async move {
                let result = tracking::sync(client, &repo, &found, today)
                    .await
                    .map_err(|e| e.to_string());
                (i, outcome(result))
            })
            .buffer_unordered(CONCURRENCY);
        while let Some((i, tracked)) = stream.next().await {
            done += 1;
            let written = matches!(
                tracked.outcome,
                TrackingOutcome::Opened
                    | TrackingOutcome::Updated
                    | TrackingOutcome::Closed
                    | TrackingOutcome::Reopened
                    | TrackingOutcome::Error
            );
            progress.step(done, total, &names[i], &tracked.message, written);
            results.push((i, tracked));
        }
        results
    });
    match synced {
        Ok((results, cost)) => {
            for (i, tracked) in results {
                rows[i].tracking = Some(tracked);
            }
            cost
        }
        // No client at all: every issue that was to be synced is an error.
        Err(e) => {
            for row in rows.iter_mut().filter(|r| r.tracking.is_none()) {
                row.tracking = Some(outcome(Err(e.to_string())));
            }
            ApiStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: RowOutcome, report: Option<serde_json::Value>) -> RepoRow {
        RepoRow {
            repo: "octo-org/app".to_string(),
            outcome,
            error: None,
            requests: 1,
            report,
            tracking: None,
        }
    }

    #[test]
    fn an_unreadable_repository_keeps_its_issue_and_rule_errors_are_not_all_clear() {
        let untouched = plan(&row(
            RowOutcome::Error,
            Some(serde_json::json!({"rules": []})),
        ))
        .unwrap_err();
        assert_eq!(untouched.outcome, TrackingOutcome::Skipped);
        assert!(untouched.message.contains("could not be read"));

        let report = serde_json::json!({"rules": [
            {"id": "branch-protection", "outcome": "error", "reason": "500", "findings": []},
            {"id": "docs", "outcome": "fail", "findings": [
                {"rule": "docs", "kind": "docs-allowlist", "level": "warn", "message": "m",
                 "path": "a.md", "line": null, "help": null, "fingerprint": "f1"},
                {"rule": "docs", "kind": "docs-allowlist", "level": "warn", "message": "w",
                 "path": "b.md", "line": null, "help": null, "fingerprint": "f2",
                 "waived": {"reason": "r", "origin": {}}}
            ]}
        ]});
        let (repo, found) = plan(&row(RowOutcome::Ok, Some(report))).unwrap();
        assert_eq!(repo.to_string(), "octo-org/app");
        assert_eq!(found.undecided, ["branch-protection"]);
        assert_eq!(found.gaps.len(), 1, "a waived finding is not a gap");
        assert_eq!(found.gaps[0].path.as_deref(), Some("a.md"));

        let skipped = outcome(Ok(Tracking::Undecided {
            issue: Some(4),
            rules: vec!["branch-protection".to_string()],
        }));
        assert_eq!(
            (skipped.outcome, skipped.issue),
            (TrackingOutcome::Skipped, Some(4))
        );
        assert_eq!(
            outcome(Ok(Tracking::Clear)).outcome,
            TrackingOutcome::Unchanged
        );
    }
}
