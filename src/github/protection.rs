//! Branch protection as GitHub reports it, and the *effective* protection of a branch.
//!
//! A branch can be protected by classic branch protection, by repository or organisation
//! rulesets, or both. Tools that read only the classic endpoint call a ruleset-protected
//! branch unprotected. Here both are read and merged, setting by setting, keeping the
//! strictest value and where it comes from.

use serde::Deserialize;

/// `GET /repos/{owner}/{repo}/branches/{branch}/protection` (only the fields warden judges).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ClassicProtection {
    pub required_status_checks: Option<StatusChecks>,
    pub enforce_admins: Option<Enabled>,
    pub required_pull_request_reviews: Option<Reviews>,
    pub required_linear_history: Option<Enabled>,
    pub allow_force_pushes: Option<Enabled>,
    pub allow_deletions: Option<Enabled>,
    pub required_conversation_resolution: Option<Enabled>,
    pub required_signatures: Option<Enabled>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct StatusChecks {
    #[serde(default)]
    pub strict: bool,
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default)]
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Check {
    pub context: String,
    /// The app that must report it (GitHub Actions is 15368); `None`: any app.
    pub app_id: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Reviews {
    #[serde(default)]
    pub dismiss_stale_reviews: bool,
    #[serde(default)]
    pub require_code_owner_reviews: bool,
    #[serde(default)]
    pub required_approving_review_count: u32,
    #[serde(default)]
    pub require_last_push_approval: bool,
}

/// One item of `GET /repos/{owner}/{repo}/rules/branches/{branch}`: a rule some active
/// ruleset applies to the branch.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct BranchRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
    pub ruleset_id: Option<i64>,
    pub ruleset_source: Option<String>,
    pub ruleset_source_type: Option<String>,
}

impl BranchRule {
    fn source(&self) -> String {
        match (self.ruleset_id, &self.ruleset_source) {
            (Some(id), Some(from)) => format!("ruleset {id} ({from})"),
            (Some(id), None) => format!("ruleset {id}"),
            _ => "a ruleset".to_string(),
        }
    }

    fn param_bool(&self, key: &str) -> bool {
        self.parameters
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

/// The protection facts of one branch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BranchProtection {
    /// `None` when the classic endpoint says "Branch not protected" (404).
    pub classic: Option<ClassicProtection>,
    pub rules: Vec<BranchRule>,
}

/// A setting's effective value and what sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
}

const CLASSIC: &str = "classic branch protection";
const NOWHERE: &str = "neither classic branch protection nor any ruleset";

/// A required status check: its name (context), the app that must report it, and the
/// protection that requires it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredCheck {
    pub name: String,
    pub app_id: Option<i64>,
    pub source: String,
}

/// The app id of GitHub Actions: checks reported by workflow jobs.
pub const GITHUB_ACTIONS_APP_ID: i64 = 15368;

fn add_check(checks: &mut Vec<RequiredCheck>, name: &str, app_id: Option<i64>, source: &str) {
    if !checks.iter().any(|c| c.name == name) {
        checks.push(RequiredCheck {
            name: name.to_string(),
            app_id,
            source: source.to_string(),
        });
    }
}

impl<T> Sourced<T> {
    fn new(value: T, source: impl Into<String>) -> Self {
        Sourced {
            value,
            source: source.into(),
        }
    }
}

/// The protection in force, merged from classic protection and rulesets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub protected: Sourced<bool>,
    pub approving_reviews: Sourced<u32>,
    pub dismiss_stale_reviews: Sourced<bool>,
    pub code_owner_reviews: Sourced<bool>,
    pub last_push_approval: Sourced<bool>,
    /// Required status checks, each with what requires it.
    pub status_checks: Vec<RequiredCheck>,
    pub strict_status_checks: Sourced<bool>,
    pub enforce_admins: Sourced<bool>,
    pub force_pushes_blocked: Sourced<bool>,
    pub deletions_blocked: Sourced<bool>,
    pub linear_history: Sourced<bool>,
    pub conversation_resolution: Sourced<bool>,
    pub signed_commits: Sourced<bool>,
}

fn strictest_bool(current: &mut Sourced<bool>, value: bool, source: &str) {
    if value && !current.value {
        *current = Sourced::new(true, source);
    }
}

impl BranchProtection {
    pub fn effective(&self) -> Effective {
        let off = || Sourced::new(false, NOWHERE);
        let mut e = Effective {
            protected: off(),
            approving_reviews: Sourced::new(0, NOWHERE),
            dismiss_stale_reviews: off(),
            code_owner_reviews: off(),
            last_push_approval: off(),
            status_checks: Vec::new(),
            strict_status_checks: off(),
            enforce_admins: off(),
            force_pushes_blocked: off(),
            deletions_blocked: off(),
            linear_history: off(),
            conversation_resolution: off(),
            signed_commits: off(),
        };
        if let Some(classic) = &self.classic {
            e.protected = Sourced::new(true, CLASSIC);
            if let Some(reviews) = &classic.required_pull_request_reviews {
                e.approving_reviews =
                    Sourced::new(reviews.required_approving_review_count, CLASSIC);
                strictest_bool(
                    &mut e.dismiss_stale_reviews,
                    reviews.dismiss_stale_reviews,
                    CLASSIC,
                );
                strictest_bool(
                    &mut e.code_owner_reviews,
                    reviews.require_code_owner_reviews,
                    CLASSIC,
                );
                strictest_bool(
                    &mut e.last_push_approval,
                    reviews.require_last_push_approval,
                    CLASSIC,
                );
            }
            if let Some(checks) = &classic.required_status_checks {
                strictest_bool(&mut e.strict_status_checks, checks.strict, CLASSIC);
                for check in &checks.checks {
                    add_check(&mut e.status_checks, &check.context, check.app_id, CLASSIC);
                }
                for name in &checks.contexts {
                    add_check(&mut e.status_checks, name, None, CLASSIC);
                }
            }
            let enabled = |o: &Option<Enabled>| o.as_ref().is_some_and(|e| e.enabled);
            strictest_bool(
                &mut e.enforce_admins,
                enabled(&classic.enforce_admins),
                CLASSIC,
            );
            // Classic protection blocks force pushes and deletions unless they are allowed.
            strictest_bool(
                &mut e.force_pushes_blocked,
                !enabled(&classic.allow_force_pushes),
                CLASSIC,
            );
            strictest_bool(
                &mut e.deletions_blocked,
                !enabled(&classic.allow_deletions),
                CLASSIC,
            );
            strictest_bool(
                &mut e.linear_history,
                enabled(&classic.required_linear_history),
                CLASSIC,
            );
            strictest_bool(
                &mut e.conversation_resolution,
                enabled(&classic.required_conversation_resolution),
                CLASSIC,
            );
            strictest_bool(
                &mut e.signed_commits,
                enabled(&classic.required_signatures),
                CLASSIC,
            );
        }
        for rule in &self.rules {
            let source = rule.source();
            strictest_bool(&mut e.protected, true, &source);
            match rule.kind.as_str() {
                "pull_request" => {
                    let count = rule
                        .parameters
                        .as_ref()
                        .and_then(|p| p.get("required_approving_review_count"))
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0) as u32;
                    if count > e.approving_reviews.value {
                        e.approving_reviews = Sourced::new(count, &source);
                    }
                    strictest_bool(
                        &mut e.dismiss_stale_reviews,
                        rule.param_bool("dismiss_stale_reviews_on_push"),
                        &source,
                    );
                    strictest_bool(
                        &mut e.code_owner_reviews,
                        rule.param_bool("require_code_owner_review"),
                        &source,
                    );
                    strictest_bool(
                        &mut e.last_push_approval,
                        rule.param_bool("require_last_push_approval"),
                        &source,
                    );
                    strictest_bool(
                        &mut e.conversation_resolution,
                        rule.param_bool("required_review_thread_resolution"),
                        &source,
                    );
                }
                "required_status_checks" => {
                    strictest_bool(
                        &mut e.strict_status_checks,
                        rule.param_bool("strict_required_status_checks_policy"),
                        &source,
                    );
                    let checks = rule
                        .parameters
                        .as_ref()
                        .and_then(|p| p.get("required_status_checks"))
                        .and_then(|v| v.as_array())
                        .cloned()
                        .unwrap_or_default();
                    for check in checks {
                        if let Some(name) = check.get("context").and_then(|c| c.as_str()) {
                            let app = check.get("integration_id").and_then(|i| i.as_i64());
                            add_check(&mut e.status_checks, name, app, &source);
                        }
                    }
                }
                "non_fast_forward" => strictest_bool(&mut e.force_pushes_blocked, true, &source),
                "deletion" => strictest_bool(&mut e.deletions_blocked, true, &source),
                "required_linear_history" => strictest_bool(&mut e.linear_history, true, &source),
                "required_signatures" => strictest_bool(&mut e.signed_commits, true, &source),
                _ => {}
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: &str, parameters: serde_json::Value) -> BranchRule {
        BranchRule {
            kind: kind.to_string(),
            parameters: Some(parameters),
            ruleset_id: Some(42),
            ruleset_source: Some("octo-org/hello".to_string()),
            ruleset_source_type: Some("Repository".to_string()),
        }
    }

    #[test]
    fn unprotected_branch_has_nothing() {
        let e = BranchProtection::default().effective();
        assert!(!e.protected.value);
        assert!(!e.force_pushes_blocked.value);
        assert_eq!(e.approving_reviews.value, 0);
    }

    #[test]
    fn ruleset_alone_protects_and_names_its_source() {
        let protection = BranchProtection {
            classic: None,
            rules: vec![
                rule(
                    "pull_request",
                    serde_json::json!({"required_approving_review_count": 2}),
                ),
                rule("non_fast_forward", serde_json::json!({})),
            ],
        };
        let e = protection.effective();
        assert!(e.protected.value);
        assert_eq!(
            e.approving_reviews,
            Sourced::new(2, "ruleset 42 (octo-org/hello)")
        );
        assert!(e.force_pushes_blocked.value);
        assert!(!e.deletions_blocked.value);
    }

    #[test]
    fn strictest_value_wins_across_classic_and_rulesets() {
        let protection = BranchProtection {
            classic: Some(ClassicProtection {
                required_pull_request_reviews: Some(Reviews {
                    required_approving_review_count: 1,
                    ..Reviews::default()
                }),
                allow_force_pushes: Some(Enabled { enabled: true }),
                ..ClassicProtection::default()
            }),
            rules: vec![
                rule(
                    "pull_request",
                    serde_json::json!({"required_approving_review_count": 3}),
                ),
                rule(
                    "required_status_checks",
                    serde_json::json!({"required_status_checks": [{"context": "ci / test"}], "strict_required_status_checks_policy": true}),
                ),
            ],
        };
        let e = protection.effective();
        assert_eq!(e.approving_reviews.value, 3);
        assert_eq!(e.protected.source, CLASSIC);
        assert!(
            !e.force_pushes_blocked.value,
            "classic allows force pushes and no ruleset forbids them"
        );
        assert_eq!(e.status_checks[0].name, "ci / test");
        assert!(e.strict_status_checks.value);
    }
}
