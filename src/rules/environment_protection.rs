//! `environment-protection`: a deployment environment (production) exists and is gated:
//! required reviewers, no self-review, a wait timer, and which branches may deploy.

use toml::de::DeValue;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::github::EnvironmentSetting;
use crate::fix::{Fix, GitHubFix};
use crate::github::environments::EnvironmentNeed;
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "environment-protection",
    summary: "A deployment environment exists and is protected",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
The environment `environment` exists (`GET /repos/{owner}/{repo}/environments/{name}`;
GitHub answers 404 for one that does not) and, for the keys the policy gives:
- `required_reviewers`: at least this many reviewers (users or teams) are configured on
  its "Required reviewers" rule (on GitHub, one of them approving lets the job run);
- `prevent_self_review`: whoever triggered the deployment cannot approve it;
- `wait_timer`: at least this many minutes of wait timer;
- `deployment_branches`: `"protected"` (only protected branches may deploy) or a list of
  branch patterns: the environment allows only custom branch policies, all of them in
  the list (read from `deployment-branch-policies`, one more request).
A setting the token cannot read makes the rule `error`, never a pass.

## Why
"Production: Manual trigger with approval", "Manual approval for production", and a
Jenkins "Deploy to production?" gate all mean one thing on GitHub: an environment with
required reviewers that every production job references.

## Example policy
```toml
[[rule]]
kind = "environment-protection"
environment = "production"
required_reviewers = 1
prevent_self_review = true
deployment_branches = ["main"]
```

## How to fix
Settings → Environments → the environment: add required reviewers, tick "Prevent
self-review", set the wait timer and "Deployment branches and tags". Reference the
environment from the deploy job (`environment: production`).

`warden apply` creates a missing environment and raises the wait timer, turns "Prevent
self-review" on and restricts deployments to protected branches, keeping its reviewers
and everything else as they are (needs `administration: write`). It cannot add required
reviewers (the policy says how many, not who) nor custom branch patterns.
"#,
    parse,
};

#[derive(Debug)]
enum Branches {
    Protected,
    Patterns(Vec<String>),
}

#[derive(Debug)]
struct EnvironmentProtection {
    environment: String,
    required_reviewers: Option<u64>,
    prevent_self_review: Option<bool>,
    wait_timer: Option<u64>,
    branches: Option<Branches>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let environment = t.req_str("environment", "\"production\"");
    let required_reviewers = t.opt_u64("required_reviewers");
    let prevent_self_review = t.opt_bool("prevent_self_review");
    let wait_timer = t.opt_u64("wait_timer");
    let mut ok = true;
    let branches = match t
        .raw("deployment_branches")
        .map(|v| (v.get_ref(), v.span()))
    {
        None => None,
        Some((DeValue::String(s), _)) if s.as_ref() == "protected" => Some(Branches::Protected),
        Some((DeValue::Array(_), _)) => t
            .str_list("deployment_branches")
            .map(|items| Branches::Patterns(items.into_iter().map(|i| i.value).collect())),
        Some((_, span)) => {
            ok = false;
            t.error(
                "bad-value",
                span,
                "`deployment_branches` must be \"protected\" or a list of branch patterns",
                "neither",
                "write deployment_branches = \"protected\" or deployment_branches = [\"main\"]",
            );
            None
        }
    };
    let environment = environment?;
    ok.then(|| {
        Box::new(EnvironmentProtection {
            environment: environment.value,
            required_reviewers,
            prevent_self_review,
            wait_timer,
            branches,
        }) as Box<dyn Rule>
    })
}

impl Rule for EnvironmentProtection {
    fn needs(&self, needs: &mut Needs) {
        let need = match self.branches {
            None => EnvironmentNeed::Rules,
            Some(Branches::Protected) => EnvironmentNeed::BranchPolicy,
            Some(Branches::Patterns(_)) => EnvironmentNeed::BranchPatterns,
        };
        let entry = needs
            .github
            .extra
            .environments
            .entry(self.environment.clone())
            .or_default();
        *entry = (*entry).max(need);
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let name = &self.environment;
        let settings = format!("https://github.com/{}/settings/environments", github.repo);
        let env = match github.extra.environments.get(name) {
            Some(Ok(Some(env))) => env,
            Some(Ok(None)) => {
                return Evaluation::Checked(vec![Finding::new(format!(
                    "environment `{name}` does not exist"
                ))
                .help(format!(
                    "create it in {settings} with its protection rules, and reference it from the deploy job (`environment: {name}`)"
                ))
                .subject(format!("{name}:missing"))
                .fix(self.fix(self.wanted_all()))])
            }
            Some(Err(reason)) => {
                return Evaluation::Error(format!("cannot read environment `{name}`: {reason}"))
            }
            None => return Evaluation::Error(format!("environment `{name}` was not fetched")),
        };
        let mut findings = Vec::new();
        let mut gap = |key: &str, message: String, help: &str| {
            findings.push(
                Finding::new(message)
                    .help(format!("{help} in {settings}"))
                    .subject(format!("{name}:{key}")),
            )
        };
        let reviewers = env.rule("required_reviewers");
        if let Some(min) = self.required_reviewers {
            let names: Vec<String> = reviewers
                .and_then(|r| r.reviewers.as_ref())
                .map(|list| list.iter().map(|r| r.name()).collect())
                .unwrap_or_default();
            if (names.len() as u64) < min {
                let have = if names.is_empty() {
                    "no required reviewers".to_string()
                } else {
                    format!(
                        "{} required reviewer(s) ({})",
                        names.len(),
                        names.join(", ")
                    )
                };
                gap(
                    "required_reviewers",
                    format!("environment `{name}` has {have}; the policy wants at least {min}"),
                    "add required reviewers",
                );
            }
        }
        if let Some(wanted) = self.prevent_self_review {
            let actual = reviewers
                .and_then(|r| r.prevent_self_review)
                .unwrap_or(false);
            if actual != wanted {
                gap(
                    "prevent_self_review",
                    format!(
                        "environment `{name}` {} self-review; the policy wants it {}",
                        if actual { "prevents" } else { "allows" },
                        if wanted { "prevented" } else { "allowed" }
                    ),
                    "change \"Prevent self-review\"",
                );
            }
        }
        if let Some(min) = self.wait_timer {
            let actual = env
                .rule("wait_timer")
                .and_then(|r| r.wait_timer)
                .unwrap_or(0);
            if actual < min {
                gap(
                    "wait_timer",
                    format!("environment `{name}` waits {actual} minutes; the policy wants at least {min}"),
                    "set the wait timer",
                );
            }
        }
        match (&self.branches, &env.deployment_branch_policy) {
            (None, _) => {}
            (Some(_), None) => gap(
                "deployment_branches",
                format!("any branch may deploy to environment `{name}`"),
                "restrict \"Deployment branches and tags\"",
            ),
            (Some(Branches::Protected), Some(policy)) if !policy.protected_branches => gap(
                "deployment_branches",
                format!("environment `{name}` lets custom branch patterns deploy, not only protected branches"),
                "choose \"Protected branches only\"",
            ),
            (Some(Branches::Patterns(allowed)), Some(policy)) => {
                if !policy.custom_branch_policies {
                    gap(
                        "deployment_branches",
                        format!(
                            "environment `{name}` lets every protected branch deploy; the policy allows only `{}`",
                            allowed.join("`, `")
                        ),
                        "choose \"Selected branches and tags\"",
                    );
                } else {
                    match &env.branch_patterns {
                        Some(Ok(patterns)) => {
                            let extra: Vec<&String> =
                                patterns.iter().filter(|p| !allowed.contains(p)).collect();
                            if !extra.is_empty() {
                                gap(
                                    "deployment_branches",
                                    format!(
                                        "environment `{name}` also lets `{}` deploy; the policy allows only `{}`",
                                        extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("`, `"),
                                        allowed.join("`, `")
                                    ),
                                    "remove those branch patterns",
                                );
                            }
                        }
                        Some(Err(reason)) => {
                            return Evaluation::Error(format!(
                                "cannot read the deployment branch policies of `{name}`: {reason}"
                            ))
                        }
                        None => {
                            return Evaluation::Error(format!(
                                "the deployment branch policies of `{name}` were not fetched"
                            ))
                        }
                    }
                }
            }
            (Some(Branches::Protected), Some(_)) => {}
        }
        let findings = findings
            .into_iter()
            .map(|finding| {
                let key = finding
                    .subject
                    .as_deref()
                    .and_then(|s| s.strip_prefix(name.as_str()))
                    .and_then(|s| s.strip_prefix(':'))
                    .unwrap_or_default();
                let wanted = self.wanted_for(key);
                match wanted {
                    Some(wanted) => finding.fix(self.fix(vec![wanted])),
                    None => finding,
                }
            })
            .collect();
        Evaluation::Checked(findings)
    }
}

impl EnvironmentProtection {
    fn fix(&self, wanted: Vec<EnvironmentSetting>) -> Fix {
        Fix::GitHub(GitHubFix::Environment {
            name: self.environment.clone(),
            wanted,
        })
    }

    /// What `warden apply` can set for the gap of policy key `key`. Required reviewers
    /// are not: the policy says how many, not who; custom branch patterns are not either.
    fn wanted_for(&self, key: &str) -> Option<EnvironmentSetting> {
        match key {
            "prevent_self_review" if self.prevent_self_review == Some(true) => {
                Some(EnvironmentSetting::PreventSelfReview)
            }
            "wait_timer" => self.wait_timer.map(EnvironmentSetting::WaitTimer),
            "deployment_branches" if matches!(self.branches, Some(Branches::Protected)) => {
                Some(EnvironmentSetting::ProtectedBranchesOnly)
            }
            _ => None,
        }
    }

    /// A missing environment: create it with every setting apply can set.
    fn wanted_all(&self) -> Vec<EnvironmentSetting> {
        std::iter::once(EnvironmentSetting::Exists)
            .chain(
                ["prevent_self_review", "wait_timer", "deployment_branches"]
                    .into_iter()
                    .filter_map(|key| self.wanted_for(key)),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::github::environments::Environment;
    use crate::github::extended::{test_facts, ExtraFacts};
    use crate::model::Evaluation;

    fn env(json: &str) -> Environment {
        serde_json::from_str(json).unwrap()
    }

    fn judge(policy: &str, found: Result<Option<Environment>, String>) -> Evaluation {
        let text = format!(
            "[[rule]]\nkind = \"environment-protection\"\nenvironment = \"production\"\n{policy}"
        );
        let policy = crate::policy::load_text("p.toml", &text).unwrap();
        let mut extra = ExtraFacts::default();
        extra.environments.insert("production".into(), found);
        policy.rules[0]
            .rule
            .evaluate(&test_facts(extra, "2026-11-22T12:00:00Z"))
    }

    #[test]
    fn an_unprotected_environment_has_every_gap() {
        let bare = env(
            r#"{"name": "production", "protection_rules": [], "deployment_branch_policy": null}"#,
        );
        let eval = judge(
            "required_reviewers = 1\nprevent_self_review = true\nwait_timer = 5\ndeployment_branches = \"protected\"\n",
            Ok(Some(bare)),
        );
        let Evaluation::Checked(findings) = eval else {
            panic!("{eval:?}")
        };
        let messages: Vec<_> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "environment `production` has no required reviewers; the policy wants at least 1",
                "environment `production` allows self-review; the policy wants it prevented",
                "environment `production` waits 0 minutes; the policy wants at least 5",
                "any branch may deploy to environment `production`",
            ]
        );
    }

    #[test]
    fn protected_branches_only_passes() {
        let good = env(
            r#"{"name": "production", "protection_rules": [{"id": 1, "node_id": "x", "type": "required_reviewers", "prevent_self_review": true, "reviewers": [{"type": "Team", "reviewer": {"slug": "devops"}}]}], "deployment_branch_policy": {"protected_branches": true, "custom_branch_policies": false}}"#,
        );
        let eval = judge(
            "required_reviewers = 1\nprevent_self_review = true\ndeployment_branches = \"protected\"\n",
            Ok(Some(good)),
        );
        assert_eq!(eval, Evaluation::Checked(vec![]));
        assert!(matches!(judge("", Err("403".into())), Evaluation::Error(_)));
    }

    #[test]
    fn deployment_branches_must_be_protected_or_a_list() {
        let text = "[[rule]]\nkind = \"environment-protection\"\nenvironment = \"production\"\ndeployment_branches = \"all\"\n";
        let errors = format!(
            "{:?}",
            crate::policy::load_text("p.toml", text).unwrap_err()
        );
        assert!(errors.contains("\\\"protected\\\" or a list"), "{errors}");
    }
}
