//! `repo-settings`: repository settings on GitHub (merge methods, branch clean-up,
//! secret scanning, push protection, Dependabot).

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::github::RepoSetting;
use crate::fix::{Fix, GitHubFix};
use crate::github::RepoSettings;
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "repo-settings",
    summary: "Repository settings on GitHub match the policy",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
The repository's settings as `GET /repos/{owner}/{repo}` reports them:
`merge_methods` (exactly these are allowed: any of "merge", "squash", "rebase"),
`delete_branch_on_merge`, `default_branch`, and from `security_and_analysis`:
`secret_scanning`, `secret_scanning_push_protection`, `dependabot_security_updates`;
`dependabot_alerts` reads `GET /repos/{owner}/{repo}/vulnerability-alerts` (204 is on, 404
is off, any other answer is `error`). Only the keys the policy gives are judged. A setting
missing from GitHub's answer (security settings are shown only to tokens with admin
access) makes the rule `error`, naming the field, never a pass; so does an answer that is
not a repository object at all (no `full_name`).

## Why
"Protected · squash-merge only" and "Never disable push protection or secret scanning"
are settings one click in the UI can change, and no webhook tells anyone.

## Example policy
```toml
[[rule]]
kind = "repo-settings"
merge_methods = ["squash"]
delete_branch_on_merge = true
secret_scanning = true
secret_scanning_push_protection = true
dependabot_alerts = true
```

## How to fix
Settings → General (merge button, "Automatically delete head branches") and Settings →
Code security (secret scanning, push protection, Dependabot), or
`gh api -X PATCH repos/OWNER/REPO -f allow_merge_commit=false ...`.

`warden apply` sets merge methods and `delete_branch_on_merge` as the policy says, and
turns secret scanning, push protection, Dependabot security updates and Dependabot alerts
on; it never turns a security feature off (a policy asking for `false` is reported, not
applied), nor changes the default branch. Writing needs `administration: write`.
"#,
    parse,
};

#[derive(Debug, Default)]
struct RepoSettingsRule {
    merge_methods: Option<Vec<String>>,
    delete_branch_on_merge: Option<bool>,
    default_branch: Option<String>,
    secret_scanning: Option<bool>,
    push_protection: Option<bool>,
    dependabot_security_updates: Option<bool>,
    dependabot_alerts: Option<bool>,
}

const MERGE_METHODS: &[&str] = &["merge", "squash", "rebase"];

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let merge_methods = t.str_list("merge_methods").map(|items| {
        for item in &items {
            if !MERGE_METHODS.contains(&item.value.as_str()) {
                ok = false;
                t.error(
                    "bad-value",
                    item.span.clone(),
                    format!("unknown merge method `{}`", item.value),
                    "not a merge method",
                    "merge methods are \"merge\", \"squash\" and \"rebase\"",
                );
            }
        }
        items.into_iter().map(|i| i.value).collect()
    });
    let rule = RepoSettingsRule {
        merge_methods,
        delete_branch_on_merge: t.opt_bool("delete_branch_on_merge"),
        default_branch: t.opt_str("default_branch").map(|s| s.value),
        secret_scanning: t.opt_bool("secret_scanning"),
        push_protection: t.opt_bool("secret_scanning_push_protection"),
        dependabot_security_updates: t.opt_bool("dependabot_security_updates"),
        dependabot_alerts: t.opt_bool("dependabot_alerts"),
    };
    ok.then(|| Box::new(rule) as Box<dyn Rule>)
}

impl Rule for RepoSettingsRule {
    fn needs(&self, needs: &mut Needs) {
        needs.github.settings = true;
        needs.github.vulnerability_alerts |= self.dependabot_alerts.is_some();
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let settings = match &github.settings {
            Ok(settings) => settings,
            Err(reason) => {
                return Evaluation::Error(format!("cannot read the repository settings: {reason}"))
            }
        };
        let url = format!("https://github.com/{}/settings", github.repo);
        let mut findings = Vec::new();
        let mut unknown = Vec::new();
        let mut judge = |key: &str, wanted: bool, actual: Option<bool>| match actual {
            None => unknown.push(key.to_string()),
            Some(actual) if actual != wanted => {
                let finding = Finding::new(format!(
                    "`{key}` is {}, the policy wants it {}",
                    on_off(actual),
                    on_off(wanted)
                ))
                .help(format!("change it in {url}"))
                .subject(key.to_string());
                findings.push(match fix_for(key, wanted) {
                    Some(fix) => finding.fix(Fix::GitHub(GitHubFix::RepoSettings(vec![fix]))),
                    None => finding,
                })
            }
            Some(_) => {}
        };

        if let Some(wanted) = &self.merge_methods {
            for (method, allowed) in merge_flags(settings) {
                judge(
                    &format!("merge_methods.{method}"),
                    wanted.iter().any(|w| w == method),
                    allowed,
                );
            }
        }
        if let Some(wanted) = self.delete_branch_on_merge {
            judge(
                "delete_branch_on_merge",
                wanted,
                settings.delete_branch_on_merge,
            );
        }
        let security = settings.security_and_analysis.as_ref();
        let status =
            |pick: fn(&crate::github::SecurityAndAnalysis) -> Option<&crate::github::Status>| {
                security.and_then(pick).map(|s| s.status == "enabled")
            };
        if let Some(wanted) = self.secret_scanning {
            judge(
                "secret_scanning",
                wanted,
                status(|s| s.secret_scanning.as_ref()),
            );
        }
        if let Some(wanted) = self.push_protection {
            judge(
                "secret_scanning_push_protection",
                wanted,
                status(|s| s.secret_scanning_push_protection.as_ref()),
            );
        }
        if let Some(wanted) = self.dependabot_security_updates {
            judge(
                "dependabot_security_updates",
                wanted,
                status(|s| s.dependabot_security_updates.as_ref()),
            );
        }
        if let Some(wanted) = self.dependabot_alerts {
            match &github.vulnerability_alerts {
                Some(Ok(actual)) => judge("dependabot_alerts", wanted, Some(*actual)),
                Some(Err(reason)) => {
                    return Evaluation::Error(format!("cannot read Dependabot alerts: {reason}"))
                }
                None => unknown.push("dependabot_alerts".to_string()),
            }
        }
        if let Some(wanted) = &self.default_branch {
            match &settings.default_branch {
                Some(actual) if actual != wanted => findings.push(
                    Finding::new(format!(
                        "the default branch is `{actual}`, the policy wants `{wanted}`"
                    ))
                    .help(format!("rename or switch the default branch in {url}"))
                    .subject("default_branch"),
                ),
                Some(_) => {}
                None => unknown.push("default_branch".to_string()),
            }
        }
        if !unknown.is_empty() {
            // Security settings are hidden from tokens without admin access; the others
            // are in every repository object GitHub sends, so their absence is odd.
            let hint = if unknown.iter().any(|k| SECURITY_KEYS.contains(&k.as_str())) {
                "; GitHub shows security settings only to a token with admin access to the repository"
            } else {
                ""
            };
            return Evaluation::Error(format!(
                "GitHub's answer lacked {}{hint}",
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Evaluation::Checked(findings)
    }
}

/// What `warden apply` may set for a gap: never a security feature turned off (that
/// loosens it), and not the default branch (renaming moves everyone's work).
fn fix_for(key: &str, wanted: bool) -> Option<RepoSetting> {
    match (key, wanted) {
        ("delete_branch_on_merge", _) => Some(RepoSetting::DeleteBranchOnMerge(wanted)),
        ("secret_scanning", true) => Some(RepoSetting::SecretScanning),
        ("secret_scanning_push_protection", true) => {
            Some(RepoSetting::SecretScanningPushProtection)
        }
        ("dependabot_security_updates", true) => Some(RepoSetting::DependabotSecurityUpdates),
        ("dependabot_alerts", true) => Some(RepoSetting::VulnerabilityAlerts),
        _ => key
            .strip_prefix("merge_methods.")
            .map(|method| RepoSetting::MergeMethod {
                method: method.to_string(),
                allowed: wanted,
            }),
    }
}

const SECURITY_KEYS: &[&str] = &[
    "secret_scanning",
    "secret_scanning_push_protection",
    "dependabot_security_updates",
];

fn merge_flags(settings: &RepoSettings) -> [(&'static str, Option<bool>); 3] {
    [
        ("merge", settings.allow_merge_commit),
        ("squash", settings.allow_squash_merge),
        ("rebase", settings.allow_rebase_merge),
    ]
}

fn on_off(value: bool) -> &'static str {
    if value {
        "on"
    } else {
        "off"
    }
}
