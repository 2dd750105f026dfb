//! The organisation report: one row per repository swept, each holding that repository's
//! own report (JSON schema version 1), and its renderers (JSON, Markdown) and [`merge`].
//!
//! Rows are sorted by repository name, so a report does not depend on the order in which
//! repositories were answered, and merging the shards of a sharded sweep gives the same
//! report as one unsharded sweep. Only `github_api` differs: it is the cost of the run(s)
//! that made the report, and every shard lists the organisation once.
//!
//! Each row's `report` is kept as a generic JSON value, so `warden merge` carries every
//! field of a shard's reports through even if this warden does not know it; its object
//! keys are therefore written in alphabetical order.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::markdown::{code, inline, text};
use super::{Format, SCHEMA_VERSION};

/// The `mode` of an organisation report.
pub const MODE: &str = "org-sweep";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgReport {
    /// Schema version, shared with the per-repository reports: 1.
    pub version: u32,
    pub tool: OrgTool,
    /// Always `org-sweep`.
    pub mode: String,
    /// The organisation (`--org`); `null` for a `--repos` list.
    pub org: Option<String>,
    /// The evaluation clock (RFC 3339). A merge keeps the earliest of its shards.
    pub now: String,
    /// Policy files that made up the policy, outermost last.
    pub policy: Vec<String>,
    /// `deny`, `warn` or `never`: what makes a repository blocking.
    pub fail_on: String,
    pub selection: Selection,
    /// Which shard this report is (`--shard I/N`); absent when unsharded or merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    pub summary: OrgSummary,
    /// Sorted by name (case-insensitively, then exactly).
    pub repositories: Vec<RepoRow>,
    /// Repositories listed but left out on purpose (archived, forks, include/exclude).
    pub not_swept: Vec<NotSwept>,
    pub github_api: OrgApiCost,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTool {
    pub name: String,
    pub version: String,
}

impl Default for OrgTool {
    fn default() -> Self {
        OrgTool {
            name: "warden".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Which repositories the sweep chose to judge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub archived: bool,
    pub forks: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowOutcome {
    /// The repository was read; its report says what holds.
    Ok,
    /// The repository could not be read (its file tree, or the repository itself).
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepoRow {
    /// `OWNER/NAME`.
    pub repo: String,
    pub outcome: RowOutcome,
    /// Why the repository could not be read (with outcome `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// HTTP requests this repository takes on its own: each blob it needs counts, even
    /// when one fetch served several repositories (see `github_api.blobs_reused`), and
    /// retries do not. So the figure does not depend on timing or sharding.
    pub requests: u64,
    /// The repository's report (JSON schema version 1). Present whenever rules ran, also
    /// with outcome `error` (rules that needed what could not be read are `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
    /// What `--issue` did with the repository's tracking issue; absent without `--issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<RowTracking>,
}

/// The tracking issue of one repository after `warden sweep --org/--repos --issue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowTracking {
    pub outcome: TrackingOutcome,
    /// The issue's number, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u64>,
    /// What happened, in words (for `error`: why the issue could not be updated).
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackingOutcome {
    Opened,
    Updated,
    /// Nothing written: the issue already says what the sweep found, or there are no
    /// gaps and no open issue.
    Unchanged,
    Closed,
    Reopened,
    /// Left untouched on purpose: the repository could not be read, or no gaps were
    /// found but some rules could not decide (unknown is not all clear).
    Skipped,
    /// The issue could not be brought up to date; the run exits 1.
    Error,
}

impl TrackingOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingOutcome::Opened => "opened",
            TrackingOutcome::Updated => "updated",
            TrackingOutcome::Unchanged => "unchanged",
            TrackingOutcome::Closed => "closed",
            TrackingOutcome::Reopened => "reopened",
            TrackingOutcome::Skipped => "skipped",
            TrackingOutcome::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotSwept {
    pub repo: String,
    /// `archived`, `fork`, `excluded` (an `--exclude` glob) or `not-included` (no
    /// `--include` glob matched).
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    /// Rows in `repositories`.
    pub repositories: usize,
    /// Rows with outcome `ok` and `error`.
    pub ok: usize,
    pub error: usize,
    /// Repositories that block: an `error` row, or a report with `blocking` true.
    pub blocking: usize,
    /// `ok` repositories with no open gap and no rule in `error`.
    pub clean: usize,
    /// Open (not waived) gaps over all repositories, and by level.
    pub gaps: usize,
    pub deny: usize,
    pub warn: usize,
    pub info: usize,
    /// Rules in `error` over all repositories.
    pub rule_errors: usize,
    pub not_swept: usize,
    /// Rows whose tracking issue could not be updated (`--issue`).
    #[serde(default)]
    pub tracking_errors: usize,
    /// True when `warden sweep --org` exits 1: a repository blocks, or a tracking issue
    /// could not be updated.
    pub exit_blocking: bool,
}

/// What the run cost against the GitHub API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgApiCost {
    /// HTTP requests sent, retries and the listing included.
    pub requests: u64,
    /// Requests for the organisation listing (or the repositories of a `--repos` list
    /// that were left out after reading them), and for facts of the whole organisation
    /// (its settings, its open-alert lists), read once per organisation.
    pub listing: u64,
    pub cached: u64,
    pub retried: u64,
    pub rate_limited: u64,
    /// Blob requests not sent because another repository had the same blob (git names a
    /// blob by its content): the rows' `requests` add up to `requests` − `listing` −
    /// `graphql` − `retried` + `blobs_reused`, plus, with `--issue`, the tracking
    /// issues' requests (in `requests` and `retried` too).
    pub blobs_reused: u64,
    /// GraphQL queries (not counted in any row): classic branch protection for up to 25
    /// repositories each, and blob texts pooled across the repositories swept at the same
    /// time (such blobs count as reused: no REST request was sent for them), plus the one
    /// REST request per run that checks what GraphQL's `null` rule means.
    #[serde(default)]
    pub graphql: u64,
    /// `requests` divided by the rows (0 without rows).
    pub requests_per_repository: f64,
}

impl OrgApiCost {
    fn per_repository(&mut self, rows: usize) {
        self.requests_per_repository = if rows == 0 {
            0.0
        } else {
            // Two decimals, so the figure reads the same in every format.
            (self.requests as f64 / rows as f64 * 100.0).round() / 100.0
        };
    }
}

/// The parts of a repository report the organisation views read.
#[derive(Deserialize)]
struct ReportView {
    summary: SummaryView,
    rules: Vec<RuleView>,
}

#[derive(Deserialize)]
struct SummaryView {
    gaps: usize,
    deny: usize,
    warn: usize,
    info: usize,
    error: usize,
    blocking: bool,
}

#[derive(Deserialize)]
struct RuleView {
    id: String,
    level: String,
    outcome: String,
    #[serde(default)]
    reason: Option<String>,
    findings: Vec<FindingView>,
}

#[derive(Deserialize)]
struct FindingView {
    level: String,
    message: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    waived: Option<serde_json::Value>,
}

fn view(row: &RepoRow) -> Option<ReportView> {
    row.report
        .as_ref()
        .and_then(|r| ReportView::deserialize(r).ok())
}

impl RepoRow {
    /// Blocking: the repository could not be read, or its report blocks.
    pub fn blocking(&self, fail_on: &str) -> bool {
        let report_blocks = view(self).is_some_and(|v| v.summary.blocking);
        report_blocks || (self.outcome == RowOutcome::Error && fail_on != "never")
    }
}

/// The canonical row order: by name, case-insensitively, then exactly.
pub fn sort_rows(rows: &mut [RepoRow]) {
    rows.sort_by(|a, b| (a.repo.to_lowercase(), &a.repo).cmp(&(b.repo.to_lowercase(), &b.repo)));
}

fn sort_not_swept(list: &mut [NotSwept]) {
    list.sort_by(|a, b| (a.repo.to_lowercase(), &a.repo).cmp(&(b.repo.to_lowercase(), &b.repo)));
}

impl OrgReport {
    /// Sort rows and recompute the summary and the per-repository cost from them.
    pub fn finish(&mut self) {
        sort_rows(&mut self.repositories);
        sort_not_swept(&mut self.not_swept);
        let mut s = OrgSummary {
            repositories: self.repositories.len(),
            not_swept: self.not_swept.len(),
            ..OrgSummary::default()
        };
        for row in &self.repositories {
            match row.outcome {
                RowOutcome::Ok => s.ok += 1,
                RowOutcome::Error => s.error += 1,
            }
            if row.blocking(&self.fail_on) {
                s.blocking += 1;
            }
            if row
                .tracking
                .as_ref()
                .is_some_and(|t| t.outcome == TrackingOutcome::Error)
            {
                s.tracking_errors += 1;
            }
            if let Some(v) = view(row) {
                s.gaps += v.summary.gaps;
                s.deny += v.summary.deny;
                s.warn += v.summary.warn;
                s.info += v.summary.info;
                s.rule_errors += v.summary.error;
                if row.outcome == RowOutcome::Ok && v.summary.gaps == 0 && v.summary.error == 0 {
                    s.clean += 1;
                }
            }
        }
        s.exit_blocking = s.blocking > 0 || s.tracking_errors > 0;
        self.summary = s;
        self.github_api.per_repository(self.repositories.len());
    }

    /// 0 when no repository blocks and every tracking issue was updated, 1 otherwise (an
    /// `error` row blocks unless `--fail-on never`).
    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.exit_blocking)
    }
}

/// Read an organisation report written by [`render_json`].
pub fn load(text: &str) -> Result<OrgReport, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "schema version {v}; this warden reads version {SCHEMA_VERSION}"
            ))
        }
        None => return Err("not a warden report (no `version`)".to_string()),
    }
    if value.get("mode").and_then(|m| m.as_str()) != Some(MODE) {
        return Err(format!(
            "not an organisation report (its `mode` is not `{MODE}`); `warden merge` takes the JSON of `warden sweep --org`"
        ));
    }
    let report: OrgReport =
        serde_json::from_value(value).map_err(|e| format!("not an organisation report: {e}"))?;
    for row in &report.repositories {
        if row.report.is_some() && view(row).is_none() {
            return Err(format!(
                "the report of `{}` is not a warden report of schema version 1",
                row.repo
            ));
        }
    }
    Ok(report)
}

/// Why shard reports cannot be merged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("report {index} differs from the first in `{field}` ({first} vs {other}): the shards must come from one sweep")]
    Mismatch {
        index: usize,
        field: &'static str,
        first: String,
        other: String,
    },
    #[error("shard {index}/{count} appears twice")]
    DuplicateShard { index: u32, count: u32 },
    #[error("shard {missing}/{count} is missing: merge every shard of the sweep (a partial organisation report would hide repositories)")]
    MissingShard { missing: u32, count: u32 },
    #[error("`{0}` is in more than one report")]
    DuplicateRepository(String),
}

/// Combine the shard reports of one sweep (`--shard 1/N` … `N/N`) into the organisation
/// report an unsharded sweep gives: same org, schema and tool version, policy, selection
/// and `--fail-on`; every shard exactly once. `now` is the earliest shard's; `github_api`
/// is the sum of the shards' costs.
pub fn merge(reports: Vec<OrgReport>) -> Result<OrgReport, MergeError> {
    let mut reports = reports.into_iter();
    let mut merged = reports.next().ok_or(MergeError::Empty)?;
    let shard_of = |r: &OrgReport| r.shard.unwrap_or(ShardInfo { index: 1, count: 1 });
    let first_shard = shard_of(&merged);
    let mut seen = vec![first_shard.index];
    let mut now = merged.now.parse::<jiff::Timestamp>().ok();
    for (i, other) in reports.enumerate() {
        let index = i + 2;
        let mismatch = |field: &'static str, first: String, other: String| {
            Err(MergeError::Mismatch {
                index,
                field,
                first,
                other,
            })
        };
        if other.version != merged.version {
            return mismatch(
                "version",
                merged.version.to_string(),
                other.version.to_string(),
            );
        }
        if other.tool != merged.tool {
            return mismatch("tool", merged.tool.version.clone(), other.tool.version);
        }
        if other.org != merged.org {
            return mismatch(
                "org",
                format!("{:?}", merged.org),
                format!("{:?}", other.org),
            );
        }
        if other.policy != merged.policy {
            return mismatch("policy", merged.policy.join(", "), other.policy.join(", "));
        }
        if other.fail_on != merged.fail_on {
            return mismatch("fail_on", merged.fail_on.clone(), other.fail_on);
        }
        if other.selection != merged.selection {
            return mismatch(
                "selection",
                format!("{:?}", merged.selection),
                format!("{:?}", other.selection),
            );
        }
        let shard = shard_of(&other);
        if shard.count != first_shard.count {
            return mismatch(
                "shard count",
                first_shard.count.to_string(),
                shard.count.to_string(),
            );
        }
        if seen.contains(&shard.index) {
            return Err(MergeError::DuplicateShard {
                index: shard.index,
                count: shard.count,
            });
        }
        seen.push(shard.index);
        if let (Some(a), Ok(b)) = (now, other.now.parse::<jiff::Timestamp>()) {
            if b < a {
                now = Some(b);
                merged.now = other.now.clone();
            }
        }
        merged.repositories.extend(other.repositories);
        merged.not_swept.extend(other.not_swept);
        let cost = &mut merged.github_api;
        cost.requests += other.github_api.requests;
        cost.listing += other.github_api.listing;
        cost.cached += other.github_api.cached;
        cost.retried += other.github_api.retried;
        cost.rate_limited += other.github_api.rate_limited;
        cost.blobs_reused += other.github_api.blobs_reused;
        cost.graphql += other.github_api.graphql;
    }
    if let Some(missing) = (1..=first_shard.count).find(|i| !seen.contains(i)) {
        return Err(MergeError::MissingShard {
            missing,
            count: first_shard.count,
        });
    }
    let mut names: Vec<&str> = merged
        .repositories
        .iter()
        .map(|r| r.repo.as_str())
        .collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(MergeError::DuplicateRepository(pair[0].to_string()));
    }
    merged.shard = None;
    merged.finish();
    Ok(merged)
}

/// Whether an organisation report renders in `format` (human, JSON and Markdown do;
/// SARIF, GitHub annotations and JUnit describe one repository).
pub fn supports(format: Format) -> bool {
    matches!(format, Format::Human | Format::Json | Format::Markdown)
}

/// Render `report` in `format`; an unsupported format (see [`supports`]) is an
/// `InvalidInput` error.
pub fn render(report: &OrgReport, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => render_human(report, out),
        Format::Json => render_json(report, out),
        Format::Markdown => render_markdown(report, out),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("an organisation report renders as human, json or markdown, not {other:?}"),
        )),
    }
}

/// JSON, pretty-printed.
pub fn render_json(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

/// Plain text for a terminal: the verdict, then every blocking repository, worst first.
pub fn render_human(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let subject = match &report.org {
        Some(org) => format!("organisation {org}"),
        None => "listed repositories".to_string(),
    };
    writeln!(
        out,
        "warden: {subject}: {} of {} block ({} clean, {} unreadable); {} ({} deny, {} warn, {} info), {}.",
        s.blocking,
        repositories(s.repositories),
        s.clean,
        s.error,
        plural(s.gaps, "open gap"),
        s.deny,
        s.warn,
        s.info,
        plural(s.rule_errors, "rule error"),
    )?;
    let rows = ranked(report);
    let width = rows
        .iter()
        .map(|r| r.row.repo.chars().count())
        .max()
        .unwrap_or(0);
    for rank in rows.iter().filter(|r| r.row.blocking(&report.fail_on)) {
        let what = gaps_cell(rank).replace("**", "");
        writeln!(out, "  {:width$}  {what}", rank.row.repo)?;
    }
    if !report.not_swept.is_empty() {
        writeln!(
            out,
            "Not swept: {} (archived, forks, include/exclude).",
            repositories(report.not_swept.len())
        )?;
    }
    if let Some(line) = tracking_line(report, &|repo| repo.to_string()) {
        writeln!(out, "{line}")?;
    }
    let api = &report.github_api;
    writeln!(
        out,
        "GitHub API: {} requests ({} per repository).",
        api.requests, api.requests_per_repository
    )
}

/// `Tracking issues: 1 opened, 3 unchanged, 1 could not be updated (octo-org/app).`, when
/// the sweep kept tracking issues; `name` writes a repository's name for the format.
fn tracking_line(report: &OrgReport, name: &dyn Fn(&str) -> String) -> Option<String> {
    let tracked: Vec<(&RepoRow, &RowTracking)> = report
        .repositories
        .iter()
        .filter_map(|r| r.tracking.as_ref().map(|t| (r, t)))
        .collect();
    if tracked.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for outcome in [
        TrackingOutcome::Opened,
        TrackingOutcome::Updated,
        TrackingOutcome::Reopened,
        TrackingOutcome::Closed,
        TrackingOutcome::Unchanged,
        TrackingOutcome::Skipped,
    ] {
        let n = tracked.iter().filter(|(_, t)| t.outcome == outcome).count();
        if n > 0 {
            parts.push(format!("{n} {}", outcome.as_str()));
        }
    }
    let failed: Vec<String> = tracked
        .iter()
        .filter(|(_, t)| t.outcome == TrackingOutcome::Error)
        .map(|(r, _)| name(&r.repo))
        .collect();
    if !failed.is_empty() {
        parts.push(format!(
            "{} could not be updated ({})",
            failed.len(),
            failed.join(", ")
        ));
    }
    Some(format!("Tracking issues: {}.", parts.join(", ")))
}

/// A row with what the Markdown needs, worst first.
struct Ranked<'a> {
    row: &'a RepoRow,
    view: Option<ReportView>,
    deny: usize,
    errors: usize,
    warn: usize,
}

/// Worst first: most open deny gaps, then most errors (an unreadable repository counts
/// as one more), then most warnings, then by name.
fn ranked(report: &OrgReport) -> Vec<Ranked<'_>> {
    let mut rows: Vec<Ranked> = report
        .repositories
        .iter()
        .map(|row| {
            let view = view(row);
            let (deny, warn, rule_errors) = view.as_ref().map_or((0, 0, 0), |v| {
                (v.summary.deny, v.summary.warn, v.summary.error)
            });
            Ranked {
                row,
                view,
                deny,
                errors: rule_errors + usize::from(row.outcome == RowOutcome::Error),
                warn,
            }
        })
        .collect();
    // `repositories` is already in name order; a stable sort keeps it among equals.
    rows.sort_by_key(|r| std::cmp::Reverse((r.deny, r.errors, r.warn)));
    rows
}

/// The rule ids of all reports, in the order they first appear (policy order).
fn rule_columns(rows: &[Ranked]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    let mut by_name: Vec<&Ranked> = rows.iter().collect();
    by_name.sort_by(|a, b| {
        (a.row.repo.to_lowercase(), &a.row.repo).cmp(&(b.row.repo.to_lowercase(), &b.row.repo))
    });
    for rank in by_name {
        for rule in rank.view.iter().flat_map(|v| &v.rules) {
            if !columns.contains(&rule.id) {
                columns.push(rule.id.clone());
            }
        }
    }
    columns
}

fn open_gaps(rule: &RuleView) -> usize {
    rule.findings.iter().filter(|f| f.waived.is_none()).count()
}

/// ✓ pass · ✗ N open gaps · ! error · – skipped · w waived (all gaps waived).
fn cell(rule: Option<&RuleView>) -> String {
    let Some(rule) = rule else {
        return " ".to_string();
    };
    match rule.outcome.as_str() {
        "pass" => "✓".to_string(),
        "fail" => format!("✗ {}", open_gaps(rule)),
        "error" => "!".to_string(),
        "skipped" => "–".to_string(),
        "waived" => "w".to_string(),
        other => text(other),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn repositories(n: usize) -> String {
    if n == 1 {
        "1 repository".to_string()
    } else {
        format!("{n} repositories")
    }
}

fn gaps_cell(rank: &Ranked) -> String {
    let mut parts = Vec::new();
    if rank.row.outcome == RowOutcome::Error {
        parts.push("**unreadable**".to_string());
    }
    if let Some(v) = &rank.view {
        if v.summary.gaps > 0 {
            let mut levels = Vec::new();
            for (n, level) in [
                (v.summary.deny, "deny"),
                (v.summary.warn, "warn"),
                (v.summary.info, "info"),
            ] {
                if n > 0 {
                    levels.push(format!("{n} {level}"));
                }
            }
            parts.push(levels.join(", "));
        }
        if v.summary.error > 0 {
            parts.push(plural(v.summary.error, "error"));
        }
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// Markdown: the verdict, a repositories × rules matrix (worst repositories first), each
/// repository's gaps, the rules every repository skipped, and what was not swept.
/// Everything from GitHub or the policy is escaped as in [`super::markdown`].
pub fn render_markdown(report: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let subject = match &report.org {
        Some(org) => format!("organisation {}", code(org)),
        None => "the listed repositories".to_string(),
    };
    writeln!(out, "# warden: organisation drift\n")?;
    let label = if s.blocking > 0 {
        format!("{} of {} block.", s.blocking, repositories(s.repositories))
    } else if s.gaps > 0 {
        "No repository blocks.".to_string()
    } else {
        "No gaps.".to_string()
    };
    writeln!(
        out,
        "**{label}** {} swept: {} clean, {} unreadable; {} ({} deny, {} warn, {} info), {}.\n",
        repositories(s.repositories),
        s.clean,
        s.error,
        plural(s.gaps, "open gap"),
        s.deny,
        s.warn,
        s.info,
        plural(s.rule_errors, "rule error"),
    )?;
    let policy = if report.policy.is_empty() {
        String::new()
    } else {
        let files: Vec<String> = report.policy.iter().map(|p| code(p)).collect();
        format!(" against {}", files.join(", "))
    };
    let api = &report.github_api;
    writeln!(
        out,
        "Swept {subject} by warden {} at {}{policy}. GitHub API: {} requests ({} per repository, {} for the listing, {} batched GraphQL), {} from cache, {} retried, {} rate-limited.",
        text(&report.tool.version),
        text(&report.now),
        api.requests,
        api.requests_per_repository,
        api.listing,
        api.graphql,
        api.cached,
        api.retried,
        api.rate_limited,
    )?;
    if let Some(shard) = report.shard {
        writeln!(
            out,
            "\nThis is shard {}/{} of the sweep; `warden merge` combines the shards.",
            shard.index, shard.count
        )?;
    }
    if let Some(line) = tracking_line(report, &|repo| code(repo)) {
        writeln!(out, "\n{line}")?;
    }

    let rows = ranked(report);
    let columns = rule_columns(&rows);
    if !rows.is_empty() {
        writeln!(out, "\n## Repositories\n")?;
        writeln!(
            out,
            "Worst first. ✓ pass, ✗ N open gaps, ! could not decide, – skipped, w all gaps waived.\n"
        )?;
        let header: Vec<String> = columns.iter().map(|c| text(c)).collect();
        writeln!(out, "| Repository | Gaps | {} |", header.join(" | "))?;
        writeln!(out, "| --- | --- |{}", " :---: |".repeat(columns.len()))?;
        for rank in &rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|id| {
                    cell(
                        rank.view
                            .as_ref()
                            .and_then(|v| v.rules.iter().find(|r| &r.id == id)),
                    )
                })
                .collect();
            writeln!(
                out,
                "| {} | {} | {} |",
                text(&rank.row.repo),
                gaps_cell(rank),
                cells.join(" | ")
            )?;
        }
    }

    let with_gaps: Vec<&Ranked> = rows
        .iter()
        .filter(|r| {
            r.row.outcome == RowOutcome::Error
                || r.view.as_ref().is_some_and(|v| {
                    v.rules
                        .iter()
                        .any(|rule| rule.outcome == "error" || open_gaps(rule) > 0)
                })
        })
        .collect();
    if !with_gaps.is_empty() {
        writeln!(out, "\n## Gaps by repository")?;
        for rank in with_gaps {
            repository_section(rank, out)?;
        }
    }

    // Rules skipped everywhere (history rules in an org sweep) are said once.
    let mut skipped: BTreeMap<(String, String), usize> = BTreeMap::new();
    for rank in &rows {
        for rule in rank.view.iter().flat_map(|v| &v.rules) {
            if rule.outcome == "skipped" {
                let reason = rule
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                *skipped.entry((rule.id.clone(), reason)).or_default() += 1;
            }
        }
    }
    if !skipped.is_empty() {
        writeln!(out, "\n## Skipped rules\n")?;
        for ((id, reason), n) in skipped {
            writeln!(
                out,
                "- {} in {}: {}",
                code(&id),
                repositories(n),
                inline(&reason)
            )?;
        }
    }

    if !report.not_swept.is_empty() {
        writeln!(out, "\n## Not swept\n")?;
        let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for item in &report.not_swept {
            by_reason
                .entry(item.reason.as_str())
                .or_default()
                .push(code(&item.repo));
        }
        for (reason, repos) in by_reason {
            let why = match reason {
                "archived" => "Archived (`--include-archived` sweeps them)",
                "fork" => "Forks (`--include-forks` sweeps them)",
                "excluded" => "Matched an `--exclude` glob",
                "not-included" => "Matched no `--include` glob",
                other => other,
            };
            writeln!(
                out,
                "- {}, {}: {}",
                inline(why),
                repos.len(),
                repos.join(", ")
            )?;
        }
    }
    Ok(())
}

fn repository_section(rank: &Ranked, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\n### {}\n", code(&rank.row.repo))?;
    if let Some(error) = &rank.row.error {
        writeln!(
            out,
            "**Could not read the repository:** {}. Rules that needed it could not decide.\n",
            inline(error.trim_end_matches('.'))
        )?;
    }
    for rule in rank.view.iter().flat_map(|v| &v.rules) {
        for finding in rule.findings.iter().filter(|f| f.waived.is_none()) {
            let place = finding
                .path
                .as_deref()
                .map(|p| match finding.line {
                    Some(line) => format!(" {}", code(&format!("{p}:{line}"))),
                    None => format!(" {}", code(p)),
                })
                .unwrap_or_default();
            writeln!(
                out,
                "- {} **{}**{place}: {}",
                code(&rule.id),
                text(&finding.level),
                inline(&finding.message)
            )?;
            if let Some(help) = &finding.help {
                writeln!(out, "  - Fix: {}", inline(help))?;
            }
        }
    }
    // Rules that could not decide for the same reason (an unreadable tree) are listed once.
    let mut undecided: Vec<(&str, Vec<String>)> = Vec::new();
    for rule in rank.view.iter().flat_map(|v| &v.rules) {
        if rule.outcome == "error" {
            let mut reason = rule.reason.as_deref().unwrap_or("no reason given");
            if rank
                .row
                .error
                .as_deref()
                .is_some_and(|e| reason.ends_with(e))
            {
                reason = "the repository could not be read (above)";
            }
            let label = format!("{} ({})", code(&rule.id), text(&rule.level));
            match undecided.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, rules)) => rules.push(label),
                None => undecided.push((reason, vec![label])),
            }
        }
    }
    for (reason, rules) in undecided {
        writeln!(
            out,
            "- {}: **could not decide**: {}",
            rules.join(", "),
            inline(reason.trim_end_matches('.'))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(repo: &str, deny: usize, error: bool) -> RepoRow {
        let findings: Vec<serde_json::Value> = (0..deny)
            .map(|i| serde_json::json!({"level": "deny", "message": format!("gap {i} <b>"), "path": "a|b", "line": null, "help": null}))
            .collect();
        let outcome = if deny > 0 { "fail" } else { "pass" };
        RepoRow {
            repo: repo.to_string(),
            outcome: if error {
                RowOutcome::Error
            } else {
                RowOutcome::Ok
            },
            error: error.then(|| "GitHub answered 500".to_string()),
            requests: 5,
            report: Some(serde_json::json!({
                "version": 1,
                "summary": {"gaps": deny, "deny": deny, "warn": 0, "info": 0, "error": 0, "blocking": deny > 0},
                "rules": [{"id": "r", "level": "deny", "outcome": outcome, "findings": findings}],
            })),
            tracking: None,
        }
    }

    fn report(rows: Vec<RepoRow>, shard: Option<(u32, u32)>) -> OrgReport {
        let mut report = OrgReport {
            version: 1,
            tool: OrgTool::default(),
            mode: MODE.to_string(),
            org: Some("octo-org".to_string()),
            now: "2026-11-22T00:00:00Z".to_string(),
            policy: vec!["warden.toml".to_string()],
            fail_on: "deny".to_string(),
            selection: Selection::default(),
            shard: shard.map(|(index, count)| ShardInfo { index, count }),
            summary: OrgSummary::default(),
            repositories: rows,
            not_swept: Vec::new(),
            github_api: OrgApiCost {
                requests: 10,
                ..OrgApiCost::default()
            },
        };
        report.finish();
        report
    }

    #[test]
    fn merge_checks_the_shards_belong_together() {
        let a = report(vec![row("o/b", 1, false)], Some((1, 2)));
        let b = report(vec![row("o/a", 0, true)], Some((2, 2)));
        let merged = merge(vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(merged.repositories[0].repo, "o/a");
        assert_eq!(merged.summary.blocking, 2);
        assert_eq!(merged.github_api.requests, 20);
        assert_eq!(merged.shard, None);
        assert_eq!(merged.exit_code(), 1);

        assert_eq!(
            merge(vec![a.clone()]),
            Err(MergeError::MissingShard {
                missing: 2,
                count: 2
            })
        );
        assert!(matches!(
            merge(vec![a.clone(), a.clone()]),
            Err(MergeError::DuplicateShard { .. })
        ));
        let mut other_org = b.clone();
        other_org.org = Some("elsewhere".to_string());
        assert!(matches!(
            merge(vec![a.clone(), other_org]),
            Err(MergeError::Mismatch { field: "org", .. })
        ));
        let mut newer = b;
        newer.tool.version = "9.9.9".to_string();
        assert!(matches!(
            merge(vec![a, newer]),
            Err(MergeError::Mismatch { field: "tool", .. })
        ));
    }

    #[test]
    fn markdown_puts_the_worst_first_and_escapes_untrusted_text() {
        let report = report(
            vec![
                row("o/clean", 0, false),
                row("o/bad", 2, false),
                row("o/<x>", 0, true),
            ],
            None,
        );
        let mut out = Vec::new();
        render_markdown(&report, &mut out).unwrap();
        let md = String::from_utf8(out).unwrap();
        let bad = md.find("| o/bad |").unwrap();
        let broken = md.find("| o/&lt;x&gt; |").unwrap();
        let clean = md.find("| o/clean |").unwrap();
        assert!(bad < broken && broken < clean, "{md}");
        assert!(md.contains("| o/bad | 2 deny | ✗ 2 |"), "{md}");
        assert!(md.contains("gap 0 &lt;b&gt;") && md.contains("`a|b`"));
        assert!(!md.contains("<b>"));
        // Outside tables, names are code spans: inert, whatever they hold.
        assert!(md.contains("### `o/<x>`"), "{md}");
    }

    #[test]
    fn human_lists_the_blocking_repositories_worst_first() {
        let report = report(
            vec![
                row("o/clean", 0, false),
                row("o/bad", 2, false),
                row("o/broken", 0, true),
            ],
            None,
        );
        let mut out = Vec::new();
        render_human(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("warden: organisation octo-org: 2 of 3 repositories block"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  o/bad     2 deny");
        assert_eq!(lines[2], "  o/broken  unreadable");
        assert!(!text.contains("o/clean"));
    }

    #[test]
    fn load_refuses_other_versions_and_single_repository_reports() {
        let report = report(vec![row("o/a", 0, false)], None);
        let mut json = Vec::new();
        render_json(&report, &mut json).unwrap();
        let text = String::from_utf8(json).unwrap();
        assert_eq!(load(&text).unwrap(), report);
        assert!(load(&text.replacen("\"version\": 1", "\"version\": 2", 1))
            .unwrap_err()
            .contains("version 2"));
        assert!(load(r#"{"version": 1, "mode": "sweep"}"#)
            .unwrap_err()
            .contains("not an organisation report"));
    }
}
