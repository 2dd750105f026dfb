//! The collected result of a run, and its renderers (one file per format).
//!
//! [`Report`] is also the JSON schema (version 1, documented in `docs/json-schema.md`):
//! change it only by adding optional fields, or bump `version`.

use std::io::{self, Write};

use serde::Serialize;

use crate::engine::{FailOn, RunContext};
use crate::model::{Finding, Level};
use crate::policy::Origin;

pub mod baseline;
pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod org;
pub mod sarif;

pub const SCHEMA_VERSION: u32 = 1;

/// Where the report's JSON Schema is published: `schemas/report-v1.json` of the repository
/// Cargo.toml names (`warden schema report` prints it).
pub const SCHEMA_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/main/schemas/report-v1.json"
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Error,
    Skipped,
    Waived,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
            Outcome::Waived => "waived",
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// The JSON Schema of this report (schemas/report-v1.json), for editors and validators.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: u32,
    pub tool: Tool,
    /// `check`, `staged` or `pr`.
    pub mode: &'static str,
    pub root: String,
    /// The evaluation clock (RFC 3339), injectable with `--now` / `WARDEN_NOW`.
    pub now: String,
    /// Policy files that made up the policy, outermost last.
    pub policy: Vec<String>,
    pub summary: Summary,
    pub rules: Vec<RuleOutcome>,
    /// What the run cost against the GitHub API; absent when GitHub was not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_api: Option<crate::github::ApiStats>,
    /// The pull request judged, in `pr` mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequestSummary>,
    /// What changed since `--baseline` (sweeps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineDiff>,
    /// In `staged` and `pr` mode: what the change was judged against (each gap is then
    /// marked `new` or `existing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeInfo>,
}

/// How a change was judged: against which tree before it, and whether the gaps that were
/// already there block too.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ChangeInfo {
    /// The tree before the change: `HEAD`, or `the base commit abc1234`; empty when unknown.
    pub before: String,
    /// `--fail-on-existing`: gaps already there block too.
    pub fail_on_existing: bool,
    /// Why the tree before the change is unknown (every gap then counts as new).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a gap is the change's own or was there before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Existing,
}

/// Which pull request a `pr` report is about, and where its file list came from.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PullRequestSummary {
    pub repository: Option<String>,
    pub number: u64,
    pub url: Option<String>,
    pub head_sha: String,
    pub changed_files: usize,
    /// `git` (local diff), `api`, or `none` (unknown).
    pub files_source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_note: Option<String>,
    /// Which policy judged the PR (the base branch's by default, not the PR's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_source: Option<String>,
}

impl PullRequestSummary {
    pub fn of(pr: &crate::pr::PullRequest) -> Self {
        PullRequestSummary {
            repository: pr.repo.as_ref().map(|r| r.to_string()),
            number: pr.number,
            url: pr.html_url.clone(),
            head_sha: pr.head_sha.clone(),
            changed_files: pr.files.len(),
            files_source: pr.files_source,
            files_note: pr.files_note.clone(),
            policy_source: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub rules: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skipped: usize,
    pub waived: usize,
    /// Findings not waived, by level.
    pub gaps: usize,
    pub deny: usize,
    pub warn: usize,
    pub info: usize,
    pub waived_findings: usize,
    /// In `staged` and `pr` mode: gaps that were already there before the change. They
    /// are not counted above (and do not block) unless `--fail-on-existing`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub existing: usize,
    /// True when the run exits 1: a gap (or an undecidable rule) at or above `--fail-on`.
    pub blocking: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of(rules: &[RuleOutcome], fail_on: FailOn) -> Summary {
        Summary::judged(rules, fail_on, false)
    }

    /// The summary, where gaps marked `existing` count (and block) only when
    /// `fail_on_existing`.
    pub fn judged(rules: &[RuleOutcome], fail_on: FailOn, fail_on_existing: bool) -> Summary {
        let threshold = match fail_on {
            FailOn::Deny => Some(Level::Deny),
            FailOn::Warn => Some(Level::Warn),
            FailOn::Never => None,
        };
        let mut s = Summary {
            rules: rules.len(),
            ..Summary::default()
        };
        for rule in rules {
            match rule.outcome {
                Outcome::Pass => s.pass += 1,
                Outcome::Fail => s.fail += 1,
                Outcome::Error => s.error += 1,
                Outcome::Skipped => s.skipped += 1,
                Outcome::Waived => s.waived += 1,
            }
            // A rule that could not decide is never a silent pass.
            if rule.outcome == Outcome::Error && threshold.is_some_and(|t| rule.level >= t) {
                s.blocking = true;
            }
            for finding in &rule.findings {
                if finding.waived.is_some() {
                    s.waived_findings += 1;
                    continue;
                }
                if finding.change == Some(Change::Existing) {
                    s.existing += 1;
                    if !fail_on_existing {
                        continue;
                    }
                }
                s.gaps += 1;
                match finding.level {
                    Level::Deny => s.deny += 1,
                    Level::Warn => s.warn += 1,
                    Level::Info => s.info += 1,
                }
                if threshold.is_some_and(|t| finding.level >= t) {
                    s.blocking = true;
                }
            }
        }
        s
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RuleOutcome {
    pub id: String,
    pub kind: String,
    pub level: Level,
    /// What the policy says, in one line.
    pub summary: String,
    pub outcome: Outcome,
    /// Why the rule is `error` or `skipped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the rule is declared.
    pub origin: Origin,
    pub findings: Vec<ReportedFinding>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReportedFinding {
    pub rule: String,
    pub kind: String,
    pub level: Level,
    pub message: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub help: Option<String>,
    /// Stable across runs: a hash of the rule id and the gap's subject.
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<WaivedBy>,
    /// When this gap was first seen open (sweeps with `--baseline` carry it forward).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// In `staged` and `pr` mode: `new` (the change's) or `existing` (there before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// True when warden can close this gap itself (`fix` says how); absent otherwise.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fixable: bool,
    /// The change that closes the gap and the command that makes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<ReportedFix>,
    /// The fix itself, for the executors (`warden fix`, `warden apply`); not rendered.
    #[serde(skip)]
    #[schemars(skip)]
    pub fix_data: Option<Box<crate::fix::Fix>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a gap can be closed, as reports show it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReportedFix {
    /// The command that closes the gap: `warden fix` (files in the checkout) or
    /// `warden apply` (settings on GitHub).
    pub command: &'static str,
    /// What kind of change: `symlink`, `create-file`, `set-value`, `delete`, or a GitHub
    /// change such as `create-labels`.
    pub kind: &'static str,
    /// The repository path a file fix changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The change in one line.
    pub description: String,
}

impl ReportedFix {
    pub fn of(fix: &crate::fix::Fix) -> ReportedFix {
        ReportedFix {
            command: fix.command(),
            kind: fix.kind(),
            path: fix.path().map(str::to_string),
            description: fix.describe(),
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WaivedBy {
    pub reason: String,
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl ReportedFinding {
    pub fn new(
        rule: &str,
        kind: &str,
        level: Level,
        finding: Finding,
        waived: Option<WaivedBy>,
    ) -> Self {
        let fingerprint = fingerprint(rule, finding.subject_key());
        let fix = finding.fix.as_deref().map(ReportedFix::of);
        ReportedFinding {
            rule: rule.to_string(),
            kind: kind.to_string(),
            level,
            message: finding.message,
            path: finding.path,
            line: finding.line,
            help: finding.help,
            fingerprint,
            waived,
            first_seen: None,
            change: None,
            fixable: fix.is_some(),
            fix,
            fix_data: finding.fix,
        }
    }
}

/// FNV-1a over `rule \0 subject`: stable across versions and platforms, unlike std's hasher.
pub fn fingerprint(rule: &str, subject: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rule.bytes().chain([0]).chain(subject.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

impl Report {
    pub fn new(
        ctx: &RunContext,
        policy: Vec<String>,
        summary: Summary,
        rules: Vec<RuleOutcome>,
    ) -> Self {
        Report {
            schema: SCHEMA_URL,
            version: SCHEMA_VERSION,
            tool: Tool {
                name: "warden",
                version: env!("CARGO_PKG_VERSION"),
            },
            mode: ctx.mode.as_str(),
            root: ctx.root.clone(),
            now: ctx.now.to_string(),
            policy,
            summary,
            rules,
            github_api: None,
            pull_request: None,
            baseline: None,
            change: None,
        }
    }

    /// Findings that are not waived, in rule order.
    pub fn gaps(&self) -> impl Iterator<Item = &ReportedFinding> {
        self.rules
            .iter()
            .flat_map(|r| r.findings.iter())
            .filter(|f| f.waived.is_none())
    }

    /// Whether a gap is listed as "already there, not blocking" rather than in full.
    pub fn is_old(&self, finding: &ReportedFinding) -> bool {
        finding.change == Some(Change::Existing)
            && !self.change.as_ref().is_some_and(|c| c.fail_on_existing)
    }

    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.blocking)
    }
}

/// Output formats, one renderer file each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Sarif,
    Github,
    Junit,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::from_str(name, true).ok()
    }
}

/// Render `report` in `format` to `out`. `color` only affects the human format.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, color, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Junit => junit::render(report, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(
            fingerprint("docs-allowlist", "notes/a.md"),
            fingerprint("docs-allowlist", "notes/a.md")
        );
        assert_ne!(fingerprint("a", "bc"), fingerprint("ab", "c"));
        // Frozen value: changing the hash would break every saved baseline.
        assert_eq!(fingerprint("r", "s"), "8a66c519615e6014");
    }
}
