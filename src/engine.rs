//! Runs the rules over the facts and collects their findings into a report.
//!
//! Rules run in parallel (rayon). One collector then applies levels and waivers, turns
//! expired and unused waivers into findings of their own, and decides what blocks.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use crate::facts::{Facts, Needs};
use crate::github::GitHubState;
use crate::model::{Evaluation, Finding, Level};
use crate::policy::{Policy, Waiver, RESERVED_ID};
use crate::report::{
    fingerprint, Change, ChangeInfo, Outcome, Report, ReportedFinding, RuleOutcome, Summary,
    WaivedBy,
};
use crate::rules::Scope;

/// What the collector needs besides the policy and the evaluations.
#[derive(Clone, Debug)]
pub struct RunContext {
    pub root: String,
    pub mode: Mode,
    pub now: jiff::Timestamp,
    pub fail_on: FailOn,
}

/// What a run judges: the tree, a staged change, or a pull request; or, for the
/// pre-commit framework, the files it names or the commits between two refs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Check,
    Staged,
    Pr,
    /// Path rules judge the files named (`pre-commit run --all-files`); no differential.
    Files,
    /// The change between two commits (PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF).
    Range,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::Staged => "staged",
            Mode::Pr => "pr",
            Mode::Files => "files",
            Mode::Range => "range",
        }
    }

    /// Offline and quick, as a commit hook must be: history and GitHub rules are skipped.
    pub fn is_local(self) -> bool {
        matches!(self, Mode::Staged | Mode::Files | Mode::Range)
    }

    /// Judges a change: each gap is then the change's (new) or was there before it.
    pub fn is_differential(self) -> bool {
        matches!(self, Mode::Staged | Mode::Pr | Mode::Range)
    }
}

/// The lowest level that makes the run fail (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Deny,
    Warn,
    Never,
}

/// Everything the configured rules need from the repository.
pub fn needs(policy: &Policy) -> Needs {
    needs_in(policy, Mode::Check)
}

/// What the rules that run in `mode` need: under `--staged`, history and GitHub rules are
/// skipped, so nothing is gathered for them (a history walk is the costliest fact).
pub fn needs_in(policy: &Policy, mode: Mode) -> Needs {
    let mut needs = Needs::default();
    for rule in &policy.rules {
        let skipped = mode.is_local() && matches!(rule.kind.scope, Scope::History | Scope::GitHub);
        if !skipped {
            rule.rule.needs(&mut needs);
        }
    }
    needs
}

/// Below this many path candidates the rules run one after the other: starting rayon's
/// threads, and their spinning while they wait for work, cost more CPU time than the
/// rules themselves (a few milliseconds at 10,000 paths).
const PARALLEL_FROM_PATHS: usize = 50_000;

/// Evaluate every rule, in parallel on large trees; a rule that panics reports an error
/// instead.
pub fn evaluate(policy: &Policy, facts: &Facts, staged: bool) -> Vec<Evaluation> {
    let one = |configured| evaluate_one(configured, facts, staged);
    if candidates(facts) < PARALLEL_FROM_PATHS {
        return policy.rules.iter().map(one).collect();
    }
    policy.rules.par_iter().map(one).collect()
}

/// How many paths the path rules judge.
fn candidates(facts: &Facts) -> usize {
    facts.changed.as_ref().map_or(facts.files.len(), Vec::len)
}

fn evaluate_one(
    configured: &crate::policy::ConfiguredRule,
    facts: &Facts,
    staged: bool,
) -> Evaluation {
    if staged && configured.kind.scope == Scope::History {
        return Evaluation::Skipped(
            "needs git history; not run on a staged change (`--staged`)".to_string(),
        );
    }
    // `--staged` is offline and quick: the GitHub settings are not what a commit
    // changes, so these rules are not run rather than unable to decide.
    if staged && configured.kind.scope == Scope::GitHub {
        return Evaluation::Skipped(
            "needs the GitHub API; not run on a staged change (`--staged`), run `warden check`"
                .to_string(),
        );
    }
    if configured.kind.scope == Scope::Paths {
        if let Some(note) = facts.pr.as_ref().and_then(unknown_files) {
            return Evaluation::Error(note);
        }
    }
    if configured.kind.scope == Scope::Pr && facts.pr.is_none() {
        return Evaluation::Skipped("applies to pull requests (`warden pr`)".to_string());
    }
    if configured.kind.scope == Scope::GitHub {
        match &facts.github {
            GitHubState::Known(_) => {}
            GitHubState::Skipped(reason) => return Evaluation::Skipped(reason.clone()),
            GitHubState::Unavailable(reason) => return Evaluation::Error(reason.clone()),
            GitHubState::NotNeeded => {
                return Evaluation::Error("GitHub facts were not gathered".to_string())
            }
        }
    }
    catch_unwind(AssertUnwindSafe(|| configured.rule.evaluate(facts))).unwrap_or_else(|_| {
        Evaluation::Error(format!(
            "internal error while evaluating `{}`; please report it",
            configured.id
        ))
    })
}

/// Which rules must be judged again on the tree before the change to tell their gaps
/// apart: those that found any. A PR rule judges the PR itself, so its gaps are all the
/// change's.
pub fn to_rejudge(policy: &Policy, after: &[Evaluation]) -> Vec<bool> {
    policy
        .rules
        .iter()
        .zip(after)
        .map(|(rule, evaluation)| {
            rule.kind.scope != Scope::Pr
                && matches!(evaluation, Evaluation::Checked(findings) if !findings.is_empty())
        })
        .collect()
}

/// The fingerprints of the gaps each rule marked in `which` finds on the facts before the
/// change (`None` for the others). A rule that cannot decide before the change marks
/// nothing as existing: its gaps stay the change's.
pub fn evaluate_before(
    policy: &Policy,
    before: &Facts,
    which: &[bool],
    staged: bool,
) -> Vec<Option<HashSet<String>>> {
    let sequential = candidates(before) < PARALLEL_FROM_PATHS;
    let one = |(configured, wanted): (&crate::policy::ConfiguredRule, &bool)| {
        if !wanted {
            return None;
        }
        match evaluate_one(configured, before, staged) {
            Evaluation::Checked(findings) => Some(
                findings
                    .iter()
                    .map(|f| fingerprint(&configured.id, f.subject_key()))
                    .collect(),
            ),
            _ => Some(HashSet::new()),
        }
    };
    if sequential {
        return policy.rules.iter().zip(which).map(one).collect();
    }
    policy.rules.par_iter().zip(which).map(one).collect()
}

/// Per rule, in policy order: the fingerprints of the gaps it found before the change, or
/// `None` when it was not judged again (every gap of it is the change's).
pub type BeforeGaps = [Option<HashSet<String>>];

/// Differential judgement: mark each gap `new` (the change's) or `existing` (there before
/// it), and decide what blocks: only new gaps, unless `fail_on_existing`. `before` holds,
/// per rule in policy order, what [`evaluate_before`] found, or why the tree before the
/// change is unknown (then every gap is new). A waiver finding is the change's when the
/// change touches the policy file it sits in.
pub fn mark_change(
    report: &mut Report,
    before: Result<(&str, &BeforeGaps), String>,
    changed: &HashSet<&str>,
    fail_on: FailOn,
    fail_on_existing: bool,
) {
    let (name, note, sets) = match before {
        Ok((name, sets)) => (name.to_string(), None, Some(sets)),
        Err(why) => (
            String::new(),
            Some(format!("{why}; every gap counts as the change's")),
            None,
        ),
    };
    for (index, rule) in report.rules.iter_mut().enumerate() {
        let waivers = rule.id == RESERVED_ID && rule.kind == "waiver";
        let found = sets.and_then(|s| s.get(index)).and_then(Option::as_ref);
        for finding in &mut rule.findings {
            let existing = if waivers {
                sets.is_some() && !finding.path.as_deref().is_some_and(|p| changed.contains(p))
            } else {
                found.is_some_and(|f| f.contains(&finding.fingerprint))
            };
            finding.change = Some(if existing {
                Change::Existing
            } else {
                Change::New
            });
        }
    }
    report.summary = Summary::judged(&report.rules, fail_on, fail_on_existing);
    report.change = Some(ChangeInfo {
        before: name,
        fail_on_existing,
        note,
    });
}

/// Why a PR's changed files are unknown, if they are: path rules cannot judge it then.
fn unknown_files(pr: &crate::pr::PullRequest) -> Option<String> {
    (pr.files_source == "none").then(|| {
        pr.files_note
            .clone()
            .unwrap_or_else(|| "the pull request's changed files are unknown".to_string())
    })
}

/// Apply levels and waivers, and summarise.
pub fn collect(policy: &Policy, evaluations: Vec<Evaluation>, ctx: &RunContext) -> Report {
    let today = ctx.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut used = vec![false; policy.waivers.len()];
    let mut rules = Vec::with_capacity(policy.rules.len());

    for (configured, evaluation) in policy.rules.iter().zip(evaluations) {
        let mut outcome = RuleOutcome {
            id: configured.id.clone(),
            kind: configured.kind.id.to_string(),
            level: configured.level,
            summary: configured.kind.summary.to_string(),
            outcome: Outcome::Pass,
            reason: None,
            origin: configured.origin.clone(),
            findings: Vec::new(),
        };
        match evaluation {
            Evaluation::Error(reason) => {
                outcome.outcome = Outcome::Error;
                outcome.reason = Some(reason);
            }
            Evaluation::Skipped(reason) => {
                outcome.outcome = Outcome::Skipped;
                outcome.reason = Some(reason);
            }
            Evaluation::Checked(findings) => {
                for finding in findings {
                    let waiver = policy.waivers.iter().enumerate().find(|(_, w)| {
                        applies(w, &configured.id, configured.kind.id, &finding)
                            && w.expires.is_none_or(|e| e >= today)
                    });
                    let waived = waiver.map(|(i, w)| {
                        used[i] = true;
                        WaivedBy {
                            reason: w.reason.clone(),
                            origin: w.origin.clone(),
                            expires: w.expires.map(|d| d.to_string()),
                        }
                    });
                    outcome.findings.push(ReportedFinding::new(
                        &configured.id,
                        configured.kind.id,
                        configured.level,
                        finding,
                        waived,
                    ));
                }
                outcome.outcome = if outcome.findings.is_empty() {
                    Outcome::Pass
                } else if outcome.findings.iter().all(|f| f.waived.is_some()) {
                    Outcome::Waived
                } else {
                    Outcome::Fail
                };
            }
        }
        rules.push(outcome);
    }

    // Only a whole-tree run sees every gap a waiver could cover: a staged change or a
    // PR judges a part, so "matched no gap" would be wrong there.
    let whole_tree = ctx.mode == Mode::Check;
    if let Some(waivers) = waiver_findings(policy, &used, today, whole_tree) {
        rules.push(waivers);
    }
    let summary = Summary::of(&rules, ctx.fail_on);
    Report::new(ctx, policy.sources.clone(), summary, rules)
}

fn applies(waiver: &Waiver, rule_id: &str, kind: &str, finding: &Finding) -> bool {
    if waiver.rule != rule_id && waiver.rule != kind {
        return false;
    }
    match &waiver.path {
        None => true,
        Some(globs) => finding.path.as_deref().is_some_and(|p| globs.is_match(p)),
    }
}

/// Expired waivers are gaps (deny); waivers that matched nothing are warnings.
fn waiver_findings(
    policy: &Policy,
    used: &[bool],
    today: jiff::civil::Date,
    whole_tree: bool,
) -> Option<RuleOutcome> {
    if policy.waivers.is_empty() {
        return None;
    }
    let mut findings = Vec::new();
    for (waiver, used) in policy.waivers.iter().zip(used) {
        let subject = format!("{}#{}", waiver.rule, waiver.origin.line);
        let path_text = waiver
            .path
            .as_ref()
            .map(|g| format!(" for `{}`", g.patterns().join("`, `")))
            .unwrap_or_default();
        if let Some(expires) = waiver.expires.filter(|e| *e < today) {
            let finding = Finding::new(format!(
                "waiver of `{}`{path_text} expired on {expires} (reason given: {})",
                waiver.rule, waiver.reason
            ))
            .at(waiver.origin.file.clone())
            .line(Some(waiver.origin.line))
            .help("close the gap it covered, or renew the waiver with a new `expires` date and a reason")
            .subject(format!("expired:{subject}"));
            findings.push(ReportedFinding::new(
                RESERVED_ID,
                "waiver",
                Level::Deny,
                finding,
                None,
            ));
        } else if !used && whole_tree {
            let finding = Finding::new(format!(
                "waiver of `{}`{path_text} matched no gap",
                waiver.rule
            ))
            .at(waiver.origin.file.clone())
            .line(Some(waiver.origin.line))
            .help(
                "the gap it covered is closed (or the rule id or path is wrong): remove the waiver",
            )
            .subject(format!("unused:{subject}"));
            findings.push(ReportedFinding::new(
                RESERVED_ID,
                "waiver",
                Level::Warn,
                finding,
                None,
            ));
        }
    }
    Some(RuleOutcome {
        id: RESERVED_ID.to_string(),
        kind: "waiver".to_string(),
        level: Level::Deny,
        summary: "Waivers are current and still needed".to_string(),
        outcome: if findings.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        reason: None,
        origin: policy.waivers[0].origin.clone(),
        findings,
    })
}
