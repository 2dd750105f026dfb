//! The one tracking issue a drift sweep keeps per repository.
//!
//! Found by a label and a hidden marker; opened when gaps appear, its body updated only
//! when the gaps change (the body holds no timestamps, so an unchanged sweep sends no
//! edit and no notification), closed with a comment when all is clear, reopened when gaps
//! return. If two sweeps overlap and both open one, the later sweep closes the newer
//! duplicates: there is never more than one open for long.

use serde::Deserialize;
use serde_json::json;

use crate::github::{ApiError, Client, RepoId};
use crate::report::markdown::{code, inline};
use crate::report::{Outcome, Report};

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
    /// No gaps, but some rules could not decide: not all clear, so an open issue is left
    /// as it is (its number, if there is one) and none is opened.
    Undecided {
        issue: Option<u64>,
        /// The ids of the rules that could not decide.
        rules: Vec<String>,
    },
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
            Tracking::Undecided { issue, rules } => {
                let rules = format!(
                    "{} ({})",
                    if rules.len() == 1 {
                        "1 rule".to_string()
                    } else {
                        format!("{} rules", rules.len())
                    },
                    rules.join(", ")
                );
                match issue {
                    Some(n) => write!(
                        f,
                        "tracking issue #{n} left open: no gaps found, but {rules} could not decide"
                    ),
                    None => write!(
                        f,
                        "no gaps found, but {rules} could not decide; no tracking issue opened"
                    ),
                }
            }
        }
    }
}

/// What a sweep found, as far as the tracking issue goes: the open gaps, and the rules
/// that could not decide (`error`). Read from a [`Report`], or from a report's JSON (an
/// organisation sweep keeps each repository's report as JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub gaps: Vec<Gap>,
    /// Ids of rules whose outcome is `error`: their gaps are unknown, never "fixed".
    pub undecided: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Gap {
    pub rule: String,
    pub level: String,
    pub message: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    pub fingerprint: String,
    #[serde(default)]
    pub first_seen: Option<String>,
}

/// The parts of a JSON report (schema version 1) [`Found`] reads.
#[derive(Deserialize)]
struct SavedRule {
    id: String,
    outcome: String,
    findings: Vec<SavedFinding>,
}

#[derive(Deserialize)]
struct SavedFinding {
    #[serde(flatten)]
    gap: Gap,
    #[serde(default)]
    waived: Option<serde_json::Value>,
}

impl Found {
    pub fn of(report: &Report) -> Found {
        Found {
            gaps: report
                .gaps()
                .map(|g| Gap {
                    rule: g.rule.clone(),
                    level: g.level.as_str().to_string(),
                    message: g.message.clone(),
                    path: g.path.clone(),
                    line: g.line,
                    fingerprint: g.fingerprint.clone(),
                    first_seen: g.first_seen.clone(),
                })
                .collect(),
            undecided: report
                .rules
                .iter()
                .filter(|r| r.outcome == Outcome::Error)
                .map(|r| r.id.clone())
                .collect(),
        }
    }

    /// From a JSON report; `Err` when it is not one.
    pub fn from_json(report: &serde_json::Value) -> Result<Found, String> {
        let rules = report
            .get("rules")
            .ok_or_else(|| "the report has no `rules`".to_string())?;
        let rules = Vec::<SavedRule>::deserialize(rules)
            .map_err(|e| format!("the report's `rules` cannot be read: {e}"))?;
        let mut found = Found::default();
        for rule in rules {
            if rule.outcome == Outcome::Error.as_str() {
                found.undecided.push(rule.id);
            }
            found.gaps.extend(
                rule.findings
                    .into_iter()
                    .filter(|f| f.waived.is_none())
                    .map(|f| f.gap),
            );
        }
        Ok(found)
    }
}

/// The issue body for the report's open gaps; `None` when there are none. Deterministic:
/// the same gaps give the same body.
pub fn body(report: &Report) -> Option<String> {
    body_of(&Found::of(report))
}

/// The issue body for what a sweep found; `None` when there are no open gaps.
pub fn body_of(found: &Found) -> Option<String> {
    let mut gaps: Vec<&Gap> = found.gaps.iter().collect();
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
            gap.level,
            inline(&gap.message).replace('|', "\\|"),
            place.replace('|', "\\|"),
            since
        ));
    }
    if !found.undecided.is_empty() {
        // Their gaps, if any, are unknown: say so rather than let them read as fixed.
        let mut rules: Vec<String> = found.undecided.iter().map(|r| code(r)).collect();
        rules.sort();
        rules.dedup();
        out.push_str(&format!(
            "\nNot known in this sweep (the rule could not decide, so its gaps are neither listed nor counted as fixed): {}.\n",
            rules.join(", ")
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
    // `body` is null for an issue without one; an item without the key cannot say whether
    // it is warden's (a second tracking issue would be opened beside it).
    if let Some(item) = items.iter().find(|i| i.get("body").is_none()) {
        return Err(ApiError::Malformed {
            path,
            message: format!(
                "GitHub's answer lacked `body` for issue #{}",
                item["number"].as_u64().unwrap_or(0)
            ),
        });
    }
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

/// Bring the repository's tracking issue in line with what the sweep found. No gaps is
/// all clear only when every rule decided: a rule in `error` may be hiding its gaps, so
/// then an open issue is left open.
pub async fn sync(
    client: &Client,
    repo: &RepoId,
    found: &Found,
    today: &str,
) -> Result<Tracking, ApiError> {
    let body = body_of(found);
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
    let Some(body) = body.as_deref() else {
        if !found.undecided.is_empty() {
            return Ok(Tracking::Undecided {
                issue: open.first().map(|i| i.number),
                rules: found.undecided.clone(),
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(rule: &str, path: &str) -> Gap {
        Gap {
            rule: rule.to_string(),
            level: "deny".to_string(),
            message: format!("`{path}` is wrong"),
            path: Some(path.to_string()),
            line: None,
            fingerprint: crate::report::fingerprint(rule, path),
            first_seen: None,
        }
    }

    #[test]
    fn rules_that_could_not_decide_are_named_not_counted_as_fixed() {
        let clear = Found::default();
        assert_eq!(body_of(&clear), None);
        let undecided = Found {
            gaps: Vec::new(),
            undecided: vec!["branch-protection".to_string()],
        };
        // No body: `sync` then leaves an open issue open instead of closing it.
        assert_eq!(body_of(&undecided), None);

        let found = Found {
            gaps: vec![gap("docs", "b.md"), gap("docs", "a.md")],
            undecided: vec!["branch-protection".to_string()],
        };
        let body = body_of(&found).unwrap();
        assert!(body.starts_with(MARKER));
        assert!(body.contains("2 open governance gaps"));
        assert!(
            body.contains("neither listed nor counted as fixed): `branch-protection`."),
            "{body}"
        );
        // Deterministic: the order gaps arrive in does not matter.
        let mut swapped = found.clone();
        swapped.gaps.reverse();
        assert_eq!(body_of(&swapped).unwrap(), body);
    }

    #[test]
    fn a_json_report_gives_what_the_report_gives() {
        let report = serde_json::json!({"version": 1, "rules": [
            {"id": "docs", "outcome": "fail", "findings": [
                {"rule": "docs", "kind": "docs-allowlist", "level": "warn", "message": "m",
                 "path": "a.md", "line": 3, "help": null, "fingerprint": "f1",
                 "first_seen": "2026-11-01T00:00:00Z"}
            ]},
            {"id": "ci", "outcome": "error", "reason": "timeout", "findings": []}
        ]});
        let found = Found::from_json(&report).unwrap();
        assert_eq!(found.undecided, ["ci"]);
        assert_eq!(found.gaps[0].line, Some(3));
        assert_eq!(found.gaps[0].level, "warn");
        assert!(Found::from_json(&serde_json::json!({"rules": 3})).is_err());
        assert!(Found::from_json(&serde_json::json!({})).is_err());
    }
}
