//! `branch-protection`: the *effective* protection of named branches (classic protection
//! and rulesets merged), and required checks cross-checked against the workflows.

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::github::ProtectionSetting;
use crate::fix::{Fix, GitHubFix};
use crate::github::protection::{Effective, Sourced, GITHUB_ACTIONS_APP_ID};
use crate::github::GitHubFacts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;
use crate::workflow_checks::{produced_on_pull_requests, wildcard_match, ProducedCheck};

pub const KIND: RuleKind = RuleKind {
    id: "branch-protection",
    summary: "Branches are protected as the policy says (classic protection and rulesets)",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
For each branch in `branches`, the protection in force: classic branch protection and
the rules that repository or organisation rulesets apply to the branch, merged setting by
setting (the strictest wins). Each setting the policy asks for and the branch lacks is
its own finding, naming the setting, the wanted value, the actual value and where the
actual value comes from (classic protection, or which ruleset). Settings: protected at
all; `required_approving_reviews` (at least N); `dismiss_stale_reviews`;
`require_code_owner_reviews`; `require_last_push_approval`; `required_status_checks`
(names) and `strict_status_checks`; `enforce_admins`; `block_force_pushes`;
`block_deletions`; `require_linear_history`; `require_conversation_resolution`;
`require_signed_commits`. Boolean settings are checked when `true`.

What counts as protection: classic branch protection, or a ruleset rule that restricts how
the branch itself may change: `update`, `deletion`, `non_fast_forward`, `pull_request`,
`required_status_checks`, `required_deployments`, `merge_queue`, `workflows`,
`code_scanning`, `required_linear_history`, `required_signatures`. A ruleset whose rules
only constrain metadata (commit message, author or committer email, branch or tag name
patterns), file paths, extensions or sizes, branch creation, or that only asks Copilot for
a review, does not make a branch protected.

`enforce_admins` holds when nobody may bypass the protection in force: classic protection
(if any) has "Do not allow bypassing the above settings" on, and every ruleset that
protects the branch has an empty bypass list (`bypass_actors`; any actor listed there,
admin role, team, app, user or deploy key, may skip it). GitHub shows a ruleset's bypass
list only to a token with write access to the ruleset; without it the setting is unknown.

A setting GitHub's answer leaves out (an answer without `allow_force_pushes`, say) is
unknown: the rule is `error`, naming the field, never a pass and never a guessed default.
A section classic protection leaves out because it is not configured
(`required_status_checks`, `required_pull_request_reviews`) is "not configured".

With `checks_match_workflows = true`, each required status check is compared with the
checks the repository's workflows produce on pull requests (job `name:` or id, matrix
suffixes, reusable `caller / callee`): a required check that no workflow produces blocks
every merge forever. With `required_workflows`, every job of those workflows must be a
required check, or it is not enforced; a required workflow that does not exist, or does
not run on pull requests, is a gap. A workflow whose text could not be read makes the rule
`error` when its jobs matter (a required workflow, or a required check only it might
produce). Checks reported by other apps can be listed in `external_checks` (wildcards `*`
allowed).

## Why
"main is protected, squash-merge only, one review from someone who isn't the author,
required checks green." Checkers that read only classic protection report ruleset-
protected branches as unprotected; and a renamed CI job leaves a required check that
nothing reports, which nobody notices until a merge is blocked.

## Example policy
```toml
[[rule]]
kind = "branch-protection"
branches = ["main"]
required_approving_reviews = 1
dismiss_stale_reviews = true
required_status_checks = ["lint", "test"]
block_force_pushes = true
block_deletions = true
checks_match_workflows = true
required_workflows = ["required-ci.yml"]
external_checks = ["codecov/*"]
apply_with = "classic"    # or "ruleset": how `warden apply` closes the gaps
```

## How to fix
Change the branch's protection in Settings → Branches (classic) or Settings → Rules →
Rulesets, or with `gh api -X PUT repos/OWNER/REPO/branches/BRANCH/protection`. For a
required check no workflow produces, rename the check in the protection to the job's
current name, or restore the job. Reading protection needs a token with
`administration: read`.

`warden apply` closes the settings gaps (not orphan checks or workflow gaps) through
classic branch protection: it reads the branch's current protection and PUTs it back
with only the settings the policy names raised (more reviews, a setting turned on, a
check added), keeping everything else as it is (push restrictions, other checks, a
higher review count, `enforce_admins`). Signed commits are turned on with their own
endpoint. Writing needs `administration: write`.

With `apply_with = "ruleset"`, `warden apply` writes a repository ruleset of its own
instead, named `warden: BRANCH` (the name is how warden knows it is its own): it creates
it, or raises the settings of the one it made before, and never edits any other ruleset.
Its bypass list is kept as it is (emptied when `enforce_admins` is asked).
"#,
    parse,
};

#[derive(Debug, Default)]
struct BranchProtectionRule {
    branches: Vec<String>,
    required_approving_reviews: Option<u64>,
    booleans: Vec<(&'static str, Setting)>,
    required_status_checks: Vec<String>,
    checks_match_workflows: bool,
    required_workflows: Vec<String>,
    external_checks: Vec<String>,
    /// `apply_with = "ruleset"`: `warden apply` writes warden's own ruleset, not classic
    /// protection.
    via_ruleset: bool,
}

/// The boolean settings, in report order: policy key and how to read it from the facts.
#[derive(Clone, Copy, Debug)]
enum Setting {
    DismissStale,
    CodeOwners,
    LastPush,
    StrictChecks,
    EnforceAdmins,
    BlockForcePushes,
    BlockDeletions,
    LinearHistory,
    ConversationResolution,
    SignedCommits,
}

const BOOLEAN_KEYS: &[(&str, Setting)] = &[
    ("dismiss_stale_reviews", Setting::DismissStale),
    ("require_code_owner_reviews", Setting::CodeOwners),
    ("require_last_push_approval", Setting::LastPush),
    ("strict_status_checks", Setting::StrictChecks),
    ("enforce_admins", Setting::EnforceAdmins),
    ("block_force_pushes", Setting::BlockForcePushes),
    ("block_deletions", Setting::BlockDeletions),
    ("require_linear_history", Setting::LinearHistory),
    (
        "require_conversation_resolution",
        Setting::ConversationResolution,
    ),
    ("require_signed_commits", Setting::SignedCommits),
];

impl Setting {
    /// What `warden apply` sets for this key.
    fn wanted(self) -> ProtectionSetting {
        match self {
            Setting::DismissStale => ProtectionSetting::DismissStaleReviews,
            Setting::CodeOwners => ProtectionSetting::CodeOwnerReviews,
            Setting::LastPush => ProtectionSetting::LastPushApproval,
            Setting::StrictChecks => ProtectionSetting::StrictStatusChecks,
            Setting::EnforceAdmins => ProtectionSetting::EnforceAdmins,
            Setting::BlockForcePushes => ProtectionSetting::BlockForcePushes,
            Setting::BlockDeletions => ProtectionSetting::BlockDeletions,
            Setting::LinearHistory => ProtectionSetting::LinearHistory,
            Setting::ConversationResolution => ProtectionSetting::ConversationResolution,
            Setting::SignedCommits => ProtectionSetting::SignedCommits,
        }
    }

    fn read(self, e: &Effective) -> &Sourced<bool> {
        match self {
            Setting::DismissStale => &e.dismiss_stale_reviews,
            Setting::CodeOwners => &e.code_owner_reviews,
            Setting::LastPush => &e.last_push_approval,
            Setting::StrictChecks => &e.strict_status_checks,
            Setting::EnforceAdmins => &e.enforce_admins,
            Setting::BlockForcePushes => &e.force_pushes_blocked,
            Setting::BlockDeletions => &e.deletions_blocked,
            Setting::LinearHistory => &e.linear_history,
            Setting::ConversationResolution => &e.conversation_resolution,
            Setting::SignedCommits => &e.signed_commits,
        }
    }
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let branches = t.req_str_list("branches", "[\"main\"]")?;
    let mut rule = BranchProtectionRule {
        branches: branches.into_iter().map(|b| b.value).collect(),
        required_approving_reviews: t.opt_u64("required_approving_reviews"),
        ..BranchProtectionRule::default()
    };
    for (key, setting) in BOOLEAN_KEYS {
        if t.opt_bool(key) == Some(true) {
            rule.booleans.push((key, *setting));
        }
    }
    rule.required_status_checks = strings(t.str_list("required_status_checks"));
    rule.checks_match_workflows = t.opt_bool("checks_match_workflows").unwrap_or(false);
    rule.required_workflows = strings(t.str_list("required_workflows"));
    rule.external_checks = strings(t.str_list("external_checks"));
    if let Some(with) = t.opt_str("apply_with") {
        match with.value.as_str() {
            "classic" => {}
            "ruleset" => rule.via_ruleset = true,
            other => {
                t.error(
                    "bad-value",
                    with.span.clone(),
                    format!("`apply_with` is \"classic\" or \"ruleset\", not `{other}`"),
                    "unknown way to apply",
                    "write apply_with = \"classic\" (branch protection) or \"ruleset\" (warden's own ruleset)",
                );
                return None;
            }
        }
    }
    Some(Box::new(rule))
}

fn strings(items: Option<Vec<crate::policy::reader::Sp<String>>>) -> Vec<String> {
    items
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.value)
        .collect()
}

const WORKFLOW_GLOBS: &[&str] = &[".github/workflows/*.yml", ".github/workflows/*.yaml"];

/// `.github/workflows/NAME` for a policy's `NAME` (a full path stays as it is).
fn workflow_path(workflow: &str) -> String {
    if workflow.contains('/') {
        workflow.to_string()
    } else {
        format!(".github/workflows/{workflow}")
    }
}

/// What the workflows produce on pull requests, and what could not be read.
#[derive(Debug, Default)]
struct Produced {
    checks: Vec<ProducedCheck>,
    /// Workflows whose text could not be read (path and reason).
    unreadable: Vec<String>,
    /// Why the jobs of a required workflow are unknown.
    required_unreadable: Option<String>,
}

impl Rule for BranchProtectionRule {
    fn needs(&self, needs: &mut Needs) {
        needs.github.branches.extend(self.branches.iter().cloned());
        if self
            .booleans
            .iter()
            .any(|(_, s)| matches!(s, Setting::EnforceAdmins))
        {
            needs.github.ruleset_bypass = true;
        }
        if self.checks_match_workflows || !self.required_workflows.is_empty() {
            needs.content.push(Globs::from_valid(WORKFLOW_GLOBS));
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let mut findings = Vec::new();
        let mut unknown = Vec::new();
        let produced = self.produced_checks(facts, &mut findings);
        for branch in &self.branches {
            match github.protection.get(branch) {
                Some(Ok(protection)) => {
                    let effective = protection.effective();
                    self.judge(
                        github,
                        branch,
                        &effective,
                        produced.as_ref(),
                        &mut findings,
                        &mut unknown,
                    );
                }
                Some(Err(reason)) => unknown.push(format!(
                    "cannot read the protection of `{branch}`: {reason}"
                )),
                None => unknown.push(format!("the protection of `{branch}` was not fetched")),
            }
        }
        if let Some(produced) = &produced {
            if let Some(reason) = &produced.required_unreadable {
                unknown.push(reason.clone());
            }
        }
        if !unknown.is_empty() {
            // Never a pass on what could not be read.
            let also = match findings.len() {
                0 => String::new(),
                n => format!(" ({n} gaps were found besides)"),
            };
            return Evaluation::Error(format!("{}{also}", unknown.join("; ")));
        }
        Evaluation::Checked(findings)
    }
}

impl BranchProtectionRule {
    /// Every protection setting the policy names (the fix of an unprotected branch).
    fn wanted_all(&self) -> Vec<ProtectionSetting> {
        let mut wanted = Vec::new();
        if let Some(n) = self.required_approving_reviews {
            wanted.push(ProtectionSetting::ApprovingReviews(
                u32::try_from(n).unwrap_or(u32::MAX),
            ));
        }
        wanted.extend(self.booleans.iter().map(|(_, s)| s.wanted()));
        wanted.extend(
            self.required_status_checks
                .iter()
                .map(|c| ProtectionSetting::RequiredCheck(c.clone())),
        );
        wanted
    }

    /// The checks workflows produce on pull requests, when the cross-check is asked for.
    /// A workflow whose text could not be read is remembered, never skipped: "no workflow
    /// produces X" is only true when every workflow was read.
    fn produced_checks(&self, facts: &Facts, findings: &mut Vec<Finding>) -> Option<Produced> {
        if !self.checks_match_workflows && self.required_workflows.is_empty() {
            return None;
        }
        let mut produced = Produced::default();
        let is_workflow = |path: &str| {
            path.strip_prefix(".github/workflows/").is_some_and(|rest| {
                !rest.contains('/') && (rest.ends_with(".yml") || rest.ends_with(".yaml"))
            })
        };
        for file in facts.files.iter().filter(|f| is_workflow(&f.path)) {
            match facts.content(&file.path) {
                Some(Ok(text)) => match produced_on_pull_requests(&file.path, text) {
                    Ok(checks) => produced.checks.extend(checks),
                    // required-workflows reports unparsable workflows; here they only
                    // make the cross-check less certain. GitHub does not run a workflow
                    // it cannot parse either, so it produces no checks.
                    Err(_) => findings.push(
                        Finding::new(format!(
                            "`{}` does not parse, so the checks it produces are unknown",
                            file.path
                        ))
                        .at(&file.path)
                        .help(
                            "fix the workflow YAML (see the required-workflows rule or actionlint)",
                        )
                        .subject(format!("unparsable:{}", file.path)),
                    ),
                },
                Some(Err(reason)) => produced
                    .unreadable
                    .push(format!("`{}` ({reason})", file.path)),
                // Not a regular file (a symlink or submodule): GitHub does not run it.
                None => {}
            }
        }
        let mut missing = Vec::new();
        let mut unreadable = Vec::new();
        for workflow in &self.required_workflows {
            let path = workflow_path(workflow);
            match (facts.get(&path), facts.content(&path)) {
                (None, _) => missing.push(path),
                (Some(_), Some(Err(reason))) => unreadable.push(format!("`{path}` ({reason})")),
                (Some(_), None) => findings.push(
                    Finding::new(format!(
                        "required workflow `{path}` is not a regular file (a symlink or submodule), so GitHub does not run it"
                    ))
                    .at(&path)
                    .help("commit the workflow itself in .github/workflows/")
                    .subject(format!("required-workflow-not-a-file:{path}")),
                ),
                (Some(_), Some(Ok(text))) => {
                    let runs = produced_on_pull_requests(&path, text)
                        .map(|checks| !checks.is_empty())
                        // Unparsable: reported above.
                        .unwrap_or(true);
                    if !runs {
                        findings.push(
                            Finding::new(format!(
                                "required workflow `{path}` does not run on pull requests, so none of its jobs can be a required check"
                            ))
                            .at(&path)
                            .help("trigger it on `pull_request` (or `merge_group`)")
                            .subject(format!("required-workflow-not-on-pr:{path}")),
                        );
                    }
                }
            }
        }
        for path in missing {
            findings.push(
                Finding::new(format!(
                    "required workflow `{path}` does not exist, so none of its jobs can be a required check"
                ))
                .at(&path)
                .help(format!("add `{path}`, or fix `required_workflows` in the policy"))
                .subject(format!("required-workflow-missing:{path}")),
            );
        }
        if !unreadable.is_empty() {
            produced.required_unreadable = Some(format!(
                "the jobs of required workflow {} are unknown: its text could not be read",
                unreadable.join(", ")
            ));
        }
        Some(produced)
    }

    fn judge(
        &self,
        github: &GitHubFacts,
        branch: &str,
        e: &Effective,
        produced: Option<&Produced>,
        findings: &mut Vec<Finding>,
        unknown: &mut Vec<String>,
    ) {
        let settings_url = format!("https://github.com/{}/settings/branches", github.repo);
        let fix = |wanted: Vec<ProtectionSetting>| {
            let branch = branch.to_string();
            Fix::GitHub(if self.via_ruleset {
                GitHubFix::BranchRuleset { branch, wanted }
            } else {
                GitHubFix::BranchProtection { branch, wanted }
            })
        };
        let gap = |setting: &str, message: String, wanted: Vec<ProtectionSetting>| {
            Finding::new(message)
                .help(format!(
                    "change the protection of `{branch}` in {settings_url} (or the ruleset that applies to it)"
                ))
                .subject(format!("{branch}:{setting}"))
                .fix(fix(wanted))
        };
        if !e.protected.value {
            let why = if e.non_protecting.is_empty() {
                format!("{} applies to it", e.protected.source)
            } else {
                format!(
                    "no classic protection applies to it, and the ruleset rules that do only constrain metadata or content, which does not protect a branch: {}",
                    e.non_protecting.join(", ")
                )
            };
            findings.push(
                gap("protected", format!("branch `{branch}` is not protected: {why}"), self.wanted_all())
                .help(format!(
                    "protect `{branch}` with a ruleset (Settings → Rules → Rulesets) or classic branch protection ({settings_url})"
                )),
            );
            return;
        }
        let mut lacking = |key: &str, reason: &Option<String>| {
            unknown.push(format!(
                "branch `{branch}`: `{key}` is unknown: {}",
                reason.as_deref().unwrap_or("not read")
            ))
        };
        if let Some(wanted) = self.required_approving_reviews {
            let actual = u64::from(e.approving_reviews.value);
            if actual < wanted && e.approving_reviews.unknown.is_some() {
                lacking("required_approving_reviews", &e.approving_reviews.unknown);
            } else if actual < wanted {
                findings.push(gap(
                    "required_approving_reviews",
                    format!(
                        "branch `{branch}`: required approving reviews is {actual}, the policy wants at least {wanted} (from {})",
                        e.approving_reviews.source
                    ),
                    vec![ProtectionSetting::ApprovingReviews(
                        u32::try_from(wanted).unwrap_or(u32::MAX),
                    )],
                ));
            }
        }
        for (key, setting) in &self.booleans {
            let actual = setting.read(e);
            if !actual.value && actual.unknown.is_some() {
                lacking(key, &actual.unknown);
            } else if matches!(setting, Setting::EnforceAdmins) && !actual.value {
                findings.push(gap(
                    key,
                    format!(
                        "branch `{branch}`: `{key}` is off, the policy wants nobody to bypass the protection: {}",
                        actual.source
                    ),
                    vec![setting.wanted()],
                ));
            } else if !actual.value {
                findings.push(gap(
                    key,
                    format!(
                        "branch `{branch}`: `{key}` is off, the policy wants it on (set by {})",
                        actual.source
                    ),
                    vec![setting.wanted()],
                ));
            }
        }
        for wanted in &self.required_status_checks {
            let required = e.status_checks.iter().any(|c| &c.name == wanted);
            if !required && e.status_checks_unknown.is_some() {
                lacking(
                    &format!("required_status_checks: {wanted}"),
                    &e.status_checks_unknown,
                );
            } else if !required {
                let have: Vec<&str> = e.status_checks.iter().map(|c| c.name.as_str()).collect();
                findings.push(gap(
                    &format!("required_status_checks:{wanted}"),
                    format!(
                        "branch `{branch}`: status check `{wanted}` is not required (required now: {})",
                        if have.is_empty() { "none".to_string() } else { have.join(", ") }
                    ),
                    vec![ProtectionSetting::RequiredCheck(wanted.clone())],
                ));
            }
        }
        let Some(produced) = produced else { return };
        if self.checks_match_workflows {
            for check in &e.status_checks {
                let from_other_app = check.app_id.is_some_and(|id| id != GITHUB_ACTIONS_APP_ID);
                let external = self
                    .external_checks
                    .iter()
                    .any(|p| wildcard_match(p, &check.name));
                if from_other_app
                    || external
                    || produced.checks.iter().any(|p| p.matches(&check.name))
                {
                    continue;
                }
                if !produced.unreadable.is_empty() {
                    // An unread workflow might produce it: unknown, not an orphan.
                    unknown.push(format!(
                        "branch `{branch}`: whether a workflow produces required check `{}` is unknown: {} could not be read",
                        check.name,
                        produced.unreadable.join(", ")
                    ));
                    continue;
                }
                findings.push(
                    Finding::new(format!(
                        "branch `{branch}`: required check `{}` (from {}) is produced by no workflow run on pull requests, so every merge waits for it forever",
                        check.name, check.source
                    ))
                    .help(format!(
                        "rename the required check to a job's current name, restore the job, or list it in `external_checks` if another app reports it ({settings_url})"
                    ))
                    .subject(format!("{branch}:orphan-check:{}", check.name)),
                );
            }
        }
        for workflow in &self.required_workflows {
            let path = workflow_path(workflow);
            for job in produced.checks.iter().filter(|p| p.workflow == path) {
                // Matrix jobs produce "name" and "name (*)": either being required enforces them.
                let siblings: Vec<&ProducedCheck> = produced
                    .checks
                    .iter()
                    .filter(|p| p.workflow == path && p.job_id == job.job_id)
                    .collect();
                if siblings[0] != job {
                    continue;
                }
                let enforced = e
                    .status_checks
                    .iter()
                    .any(|c| siblings.iter().any(|s| s.matches(&c.name)));
                if !enforced {
                    findings.push(
                        Finding::new(format!(
                            "branch `{branch}`: job `{}` of required workflow `{path}` (check `{}`) is not a required status check, so it is not enforced",
                            job.job_id, job.pattern
                        ))
                        .at(&path)
                        .help(format!("add `{}` to the required status checks of `{branch}` ({settings_url})", job.pattern))
                        .subject(format!("{branch}:unenforced:{path}:{}", job.job_id)),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::protection::{BranchProtection, BranchRule, ClassicProtection, Enabled};
    use crate::github::{ApiStats, GitHubState, RepoId};
    use std::collections::BTreeMap;

    const CI: &str =
        "on: pull_request\njobs:\n  lint:\n    runs-on: x\n    steps:\n      - run: make lint\n";

    fn facts(files: &[(&str, &str)], protection: BranchProtection) -> Facts {
        let mut facts = Facts::from_texts(files, jiff::Timestamp::UNIX_EPOCH);
        facts.github = GitHubState::Known(Box::new(GitHubFacts {
            repo: RepoId::parse("octo-org/app").unwrap(),
            settings: Err("not read".to_string()),
            vulnerability_alerts: None,
            protection: BTreeMap::from([("main".to_string(), Ok(protection))]),
            runs: None,
            extra: Default::default(),
            stats: ApiStats::default(),
        }));
        facts
    }

    fn requiring(checks: &[&str]) -> BranchProtection {
        let mut classic: ClassicProtection = serde_json::from_str(
            r#"{"url": "u", "enforce_admins": {"enabled": true},
                "allow_force_pushes": {"enabled": false}, "allow_deletions": {"enabled": false}}"#,
        )
        .unwrap();
        classic.required_status_checks = Some(crate::github::protection::StatusChecks {
            strict: Some(true),
            contexts: Some(checks.iter().map(|c| c.to_string()).collect()),
            checks: None,
        });
        BranchProtection {
            classic: Some(classic),
            ..BranchProtection::default()
        }
    }

    fn rule() -> BranchProtectionRule {
        BranchProtectionRule {
            branches: vec!["main".to_string()],
            ..BranchProtectionRule::default()
        }
    }

    fn unreadable(facts: &mut Facts, path: &str) {
        facts.contents.insert(
            path.to_string(),
            Err("cannot read: GitHub answered 500 after 4 attempts".to_string()),
        );
    }

    fn error_of(evaluation: Evaluation) -> String {
        match evaluation {
            Evaluation::Error(reason) => reason,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn an_unprotected_branch_carries_every_named_setting_as_its_fix() {
        use crate::fix::{Fix, GitHubFix};
        let policy = crate::policy::load_text(
            "p.toml",
            "[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\nrequired_approving_reviews = 2\nblock_force_pushes = true\nrequired_status_checks = [\"lint\"]\napply_with = \"ruleset\"\n",
        )
        .unwrap();
        let facts = facts(&[], BranchProtection::default());
        let Evaluation::Checked(findings) = policy.rules[0].rule.evaluate(&facts) else {
            panic!()
        };
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].fix.as_deref(),
            Some(&Fix::GitHub(GitHubFix::BranchRuleset {
                branch: "main".into(),
                wanted: vec![
                    ProtectionSetting::ApprovingReviews(2),
                    ProtectionSetting::BlockForcePushes,
                    ProtectionSetting::RequiredCheck("lint".into()),
                ],
            }))
        );
    }

    #[test]
    fn apply_with_is_classic_or_ruleset() {
        let errors = crate::policy::load_text(
            "p.toml",
            "[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\napply_with = \"terraform\"\n",
        )
        .unwrap_err();
        assert!(format!("{errors:?}").contains("apply_with"), "{errors:?}");
    }

    #[test]
    fn a_missing_required_workflow_is_a_gap() {
        let mut rule = rule();
        rule.required_workflows = vec!["required-ci.yml".to_string()];
        let facts = facts(&[(".github/workflows/ci.yml", CI)], requiring(&["lint"]));
        let Evaluation::Checked(findings) = rule.evaluate(&facts) else {
            panic!()
        };
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("does not exist"));
    }

    #[test]
    fn a_required_workflow_not_run_on_pull_requests_is_a_gap() {
        let mut rule = rule();
        rule.required_workflows = vec!["ci.yml".to_string()];
        let push_only = "on: push\njobs:\n  lint:\n    runs-on: x\n    steps:\n      - run: make\n";
        let facts = facts(&[(".github/workflows/ci.yml", push_only)], requiring(&[]));
        let Evaluation::Checked(findings) = rule.evaluate(&facts) else {
            panic!()
        };
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("does not run on pull requests"));
    }

    #[test]
    fn an_unreadable_required_workflow_is_an_error() {
        let mut rule = rule();
        rule.required_workflows = vec!["ci.yml".to_string()];
        let mut facts = facts(&[(".github/workflows/ci.yml", CI)], requiring(&[]));
        unreadable(&mut facts, ".github/workflows/ci.yml");
        let reason = error_of(rule.evaluate(&facts));
        assert!(
            reason.contains("ci.yml") && reason.contains("500"),
            "{reason}"
        );
    }

    #[test]
    fn a_check_only_an_unreadable_workflow_might_produce_is_unknown_not_an_orphan() {
        let mut rule = rule();
        rule.checks_match_workflows = true;
        let mut facts = facts(
            &[
                (".github/workflows/ci.yml", CI),
                (".github/workflows/test.yml", CI),
            ],
            requiring(&["lint", "test"]),
        );
        unreadable(&mut facts, ".github/workflows/test.yml");
        let reason = error_of(rule.evaluate(&facts));
        assert!(
            reason.contains("`test`") && reason.contains("test.yml"),
            "{reason}"
        );
        assert!(
            !reason.contains("`lint`"),
            "lint is produced by ci.yml: {reason}"
        );
    }

    #[test]
    fn a_setting_missing_from_the_answer_is_an_error_naming_it() {
        let mut rule = rule();
        rule.booleans = vec![("block_force_pushes", Setting::BlockForcePushes)];
        let classic: ClassicProtection = serde_json::from_str(r#"{"url": "u"}"#).unwrap();
        let facts = facts(
            &[],
            BranchProtection {
                classic: Some(classic),
                ..BranchProtection::default()
            },
        );
        let reason = error_of(rule.evaluate(&facts));
        assert!(
            reason.contains("GitHub's answer lacked `allow_force_pushes`"),
            "{reason}"
        );
    }

    #[test]
    fn a_metadata_ruleset_leaves_the_branch_unprotected_and_says_why() {
        let rules: Vec<BranchRule> = serde_json::from_str(
            r#"[{"type": "commit_message_pattern", "ruleset_source_type": "Repository",
                 "ruleset_source": "monalisa/my-repo", "ruleset_id": 42,
                 "parameters": {"operator": "starts_with", "pattern": "issue"}}]"#,
        )
        .unwrap();
        let facts = facts(
            &[],
            BranchProtection {
                rules,
                ..BranchProtection::default()
            },
        );
        let Evaluation::Checked(findings) = rule().evaluate(&facts) else {
            panic!()
        };
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("is not protected")
                && findings[0].message.contains("commit_message_pattern"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn enforce_admins_names_the_ruleset_that_can_be_bypassed() {
        let mut rule = rule();
        rule.booleans = vec![("enforce_admins", Setting::EnforceAdmins)];
        let rules: Vec<BranchRule> = serde_json::from_str(
            r#"[{"type": "pull_request", "ruleset_source_type": "Repository",
                 "ruleset_source": "monalisa/my-repo", "ruleset_id": 42,
                 "parameters": {"required_approving_review_count": 1}}]"#,
        )
        .unwrap();
        let mut protection = BranchProtection {
            rules,
            ..BranchProtection::default()
        };
        protection.bypass.insert(
            42,
            Ok(vec![crate::github::protection::BypassActor {
                actor_id: Some(234),
                actor_type: "Team".to_string(),
                bypass_mode: Some("always".to_string()),
            }]),
        );
        let Evaluation::Checked(findings) = rule.evaluate(&facts(&[], protection.clone())) else {
            panic!()
        };
        assert_eq!(findings.len(), 1);
        let message = &findings[0].message;
        assert!(
            message.contains("ruleset 42 (monalisa/my-repo)") && message.contains("Team 234"),
            "{message}"
        );
        assert!(!message.contains("neither"), "{message}");
        protection.bypass.clear();
        protection.classic = Some(ClassicProtection {
            url: Some("u".to_string()),
            enforce_admins: Some(Enabled { enabled: true }),
            ..ClassicProtection::default()
        });
        let reason = error_of(rule.evaluate(&facts(&[], protection)));
        assert!(reason.contains("ruleset 42"), "{reason}");
    }
}
