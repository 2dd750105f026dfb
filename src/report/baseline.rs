//! Comparing a report with the previous one (`--baseline previous.json`): which gaps are
//! new, which were fixed, and since when each open gap has been open.
//!
//! Gaps are matched by fingerprint (rule id + subject), so a gap keeps its identity while
//! its message changes (an age that grows, a count that moves).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Outcome;
use super::Report;

/// What changed since the baseline, added to the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct BaselineDiff {
    /// When the baseline report was made (its `now`).
    pub compared_with: String,
    /// Fingerprints of open gaps the baseline did not have.
    pub new: Vec<String>,
    /// Gaps the baseline had that are gone now, judged by a rule that decided.
    pub fixed: Vec<FixedGap>,
    /// Gaps the baseline had whose rule could not decide this time (`error`, or `skipped`
    /// where it ran before): not open, and not known to be fixed either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<FixedGap>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct FixedGap {
    pub rule: String,
    pub message: String,
    pub path: Option<String>,
    pub fingerprint: String,
    pub first_seen: Option<String>,
}

/// The parts of a saved JSON report a baseline needs (any version-1 report will do).
#[derive(Deserialize)]
struct SavedReport {
    version: u32,
    now: String,
    rules: Vec<SavedRule>,
}

#[derive(Deserialize)]
struct SavedRule {
    findings: Vec<SavedFinding>,
}

#[derive(Deserialize)]
struct SavedFinding {
    rule: String,
    message: String,
    path: Option<String>,
    fingerprint: String,
    #[serde(default)]
    waived: Option<serde_json::Value>,
    #[serde(default)]
    first_seen: Option<String>,
}

/// Read a previous JSON report.
pub fn load(text: &str) -> Result<Baseline, String> {
    let saved: SavedReport =
        serde_json::from_str(text).map_err(|e| format!("not a warden JSON report: {e}"))?;
    if saved.version != super::SCHEMA_VERSION {
        return Err(format!(
            "the baseline has schema version {}, this warden writes {}",
            saved.version,
            super::SCHEMA_VERSION
        ));
    }
    let mut open = HashMap::new();
    for finding in saved.rules.into_iter().flat_map(|r| r.findings) {
        if finding.waived.is_none() {
            open.entry(finding.fingerprint.clone()).or_insert(finding);
        }
    }
    Ok(Baseline {
        now: saved.now,
        open,
    })
}

pub struct Baseline {
    now: String,
    open: HashMap<String, SavedFinding>,
}

/// Mark each open gap with when it was first seen, and add the diff to the report.
/// `baseline` is `None` on a first sweep; without `--baseline` at all, call nothing: the
/// report then carries no dates, so what it says does not change from day to day.
pub fn apply(report: &mut Report, baseline: Option<&Baseline>) {
    let mut seen_now = std::collections::HashSet::new();
    let mut new = Vec::new();
    for finding in report.rules.iter_mut().flat_map(|r| r.findings.iter_mut()) {
        if finding.waived.is_some() {
            continue;
        }
        seen_now.insert(finding.fingerprint.clone());
        let earlier = baseline.and_then(|b| b.open.get(&finding.fingerprint));
        finding.first_seen = Some(match earlier {
            // A baseline written before first_seen existed: the gap was open at least then.
            Some(old) => old
                .first_seen
                .clone()
                .unwrap_or_else(|| baseline.map(|b| b.now.clone()).unwrap_or_default()),
            None => {
                if baseline.is_some() {
                    new.push(finding.fingerprint.clone());
                }
                report.now.clone()
            }
        });
    }
    if let Some(baseline) = baseline {
        // A gap is fixed only if its rule ran and passed it; a rule that could not decide
        // (or is gone from the policy) says nothing about it.
        let decided: std::collections::HashSet<&str> = report
            .rules
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Pass | Outcome::Fail | Outcome::Waived))
            .map(|r| r.id.as_str())
            .collect();
        let in_policy: std::collections::HashSet<&str> =
            report.rules.iter().map(|r| r.id.as_str()).collect();
        let (mut fixed, mut unknown) = (Vec::new(), Vec::new());
        for old in baseline
            .open
            .values()
            .filter(|old| !seen_now.contains(&old.fingerprint))
        {
            let gap = FixedGap {
                rule: old.rule.clone(),
                message: old.message.clone(),
                path: old.path.clone(),
                fingerprint: old.fingerprint.clone(),
                first_seen: old.first_seen.clone(),
            };
            // A rule removed from the policy takes its gaps with it: they leave as fixed.
            if decided.contains(old.rule.as_str()) || !in_policy.contains(old.rule.as_str()) {
                fixed.push(gap);
            } else {
                unknown.push(gap);
            }
        }
        let order =
            |a: &FixedGap, b: &FixedGap| (&a.rule, &a.fingerprint).cmp(&(&b.rule, &b.fingerprint));
        fixed.sort_by(order);
        unknown.sort_by(order);
        new.sort();
        new.dedup();
        report.baseline = Some(BaselineDiff {
            compared_with: baseline.now.clone(),
            new,
            fixed,
            unknown,
        });
    }
}

/// Whole days between two RFC 3339 times (0 when either does not parse).
pub fn days_between(from: &str, to: &str) -> i64 {
    match (
        from.parse::<jiff::Timestamp>(),
        to.parse::<jiff::Timestamp>(),
    ) {
        (Ok(a), Ok(b)) => (b.as_second() - a.as_second()).max(0) / 86_400,
        _ => 0,
    }
}
