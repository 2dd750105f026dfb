//! Branch protection as GitHub reports it, and the *effective* protection of a branch.
//!
//! A branch can be protected by classic branch protection, by repository or organisation
//! rulesets, or both. Tools that read only the classic endpoint call a ruleset-protected
//! branch unprotected. Here both are read and merged, setting by setting, keeping the
//! strictest value and where it comes from.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `GET /repos/{owner}/{repo}/branches/{branch}/protection` (only the fields warden judges).
///
/// Which fields may be absent comes from GitHub's real answers (fixtures/github): a section
/// that is not configured (`required_status_checks`, `required_pull_request_reviews`) is
/// left out, which means "not configured"; the `{enabled}` settings (`enforce_admins`,
/// `allow_force_pushes`, `allow_deletions`, `required_linear_history`,
/// `required_conversation_resolution`, `required_signatures`) are in every recorded
/// answer, even the minimal one, so their absence means the answer is not what GitHub
/// sends, and a setting judged from it is unknown, never a default.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ClassicProtection {
    /// Required by the schema (`protected-branch`) and in every answer: an answer without
    /// it (`{}`, `{"message": ...}`) is not a branch protection.
    pub url: Option<String>,
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

/// `required_status_checks`: the schema requires `contexts` and `checks`, but GitHub's own
/// GET example has no `checks` and no `strict`, so each is optional and judged only when
/// present.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct StatusChecks {
    pub strict: Option<bool>,
    pub contexts: Option<Vec<String>>,
    pub checks: Option<Vec<Check>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Check {
    pub context: String,
    /// The app that must report it (GitHub Actions is 15368); `None`: any app.
    pub app_id: Option<i64>,
}

/// `required_pull_request_reviews`. `require_last_push_approval` is missing from answers
/// of before 2023 (see the recorded fixture): unknown then, not off.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Reviews {
    pub dismiss_stale_reviews: Option<bool>,
    pub require_code_owner_reviews: Option<bool>,
    pub required_approving_review_count: Option<u32>,
    pub require_last_push_approval: Option<bool>,
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

/// The ruleset rule types that protect a branch: each restricts how the branch itself may
/// change (who may update or delete it, whether history may be rewritten, what must
/// happen before a merge). Rules that only constrain metadata (`commit_message_pattern`,
/// `commit_author_email_pattern`, `committer_email_pattern`, `branch_name_pattern`,
/// `tag_name_pattern`), file contents (`file_path_restriction`, `max_file_path_length`,
/// `file_extension_restriction`, `max_file_size`), branch creation (`creation`) or ask for
/// reviews without requiring them (`copilot_code_review`) do not; nor do types GitHub adds
/// later, until warden knows them. Type names: `@octokit/openapi` schema `repository-rule`.
pub const PROTECTING_RULES: &[&str] = &[
    "update",
    "deletion",
    "non_fast_forward",
    "pull_request",
    "required_status_checks",
    "required_deployments",
    "merge_queue",
    "workflows",
    "code_scanning",
    "required_linear_history",
    "required_signatures",
];

impl BranchRule {
    fn source(&self) -> String {
        source_of(self.ruleset_id, self.ruleset_source.as_deref())
    }

    pub fn protects(&self) -> bool {
        PROTECTING_RULES.contains(&self.kind.as_str())
    }

    fn param(&self, key: &str) -> Option<&serde_json::Value> {
        self.parameters.as_ref().and_then(|p| p.get(key))
    }

    fn param_bool(&self, key: &str) -> Option<bool> {
        self.param(key).and_then(|v| v.as_bool())
    }
}

fn source_of(id: Option<i64>, from: Option<&str>) -> String {
    match (id, from) {
        (Some(id), Some(from)) => format!("ruleset {id} ({from})"),
        (Some(id), None) => format!("ruleset {id}"),
        _ => "a ruleset".to_string(),
    }
}

/// One item of `bypass_actors` in `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}`
/// (schema `repository-ruleset-bypass-actor`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct BypassActor {
    pub actor_id: Option<i64>,
    pub actor_type: String,
    pub bypass_mode: Option<String>,
}

impl BypassActor {
    fn describe(&self) -> String {
        let who = match self.actor_id {
            Some(id) => format!("{} {id}", self.actor_type),
            None => self.actor_type.clone(),
        };
        // `always` is the schema's default.
        format!(
            "{who} ({})",
            self.bypass_mode.as_deref().unwrap_or("always")
        )
    }
}

/// `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}`: only `bypass_actors` is judged.
/// GitHub leaves it out for a token without write access to the ruleset.
#[derive(Clone, Debug, Deserialize)]
pub struct RulesetDetail {
    pub bypass_actors: Option<Vec<BypassActor>>,
}

/// The protection facts of one branch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BranchProtection {
    /// `None` when the classic endpoint says "Branch not protected" (404).
    pub classic: Option<ClassicProtection>,
    pub rules: Vec<BranchRule>,
    /// Who may bypass each ruleset that protects the branch, by ruleset id; read only when
    /// a policy judges `enforce_admins` (empty otherwise).
    pub bypass: BTreeMap<i64, Result<Vec<BypassActor>, String>>,
}

/// A setting's effective value, what sets it, and whether some source did not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    /// A source GitHub's answer left this setting out of: when `value` does not satisfy
    /// the policy, the setting is unknown (that source might), never a gap or a pass.
    pub unknown: Option<String>,
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
            unknown: None,
        }
    }
}

fn lacked(field: &str, source: &str) -> String {
    format!("GitHub's answer lacked `{field}` ({source})")
}

/// The protection in force, merged from classic protection and rulesets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub protected: Sourced<bool>,
    /// Ruleset rules that apply to the branch but do not protect it ([`PROTECTING_RULES`]).
    pub non_protecting: Vec<String>,
    pub approving_reviews: Sourced<u32>,
    pub dismiss_stale_reviews: Sourced<bool>,
    pub code_owner_reviews: Sourced<bool>,
    pub last_push_approval: Sourced<bool>,
    /// Required status checks, each with what requires it.
    pub status_checks: Vec<RequiredCheck>,
    /// Why the list may be incomplete (a source whose checks could not be read).
    pub status_checks_unknown: Option<String>,
    pub strict_status_checks: Sourced<bool>,
    /// Administrators (and everyone else) are bound: classic `enforce_admins` is on and no
    /// protecting ruleset has a bypass actor. `false` with `unknown` when that could not
    /// be read and nothing known lets anyone bypass.
    pub enforce_admins: Sourced<bool>,
    pub force_pushes_blocked: Sourced<bool>,
    pub deletions_blocked: Sourced<bool>,
    pub linear_history: Sourced<bool>,
    pub conversation_resolution: Sourced<bool>,
    pub signed_commits: Sourced<bool>,
}

/// The strictest value wins; a source that did not say (`None`) makes a value that is not
/// yet the strictest unknown.
fn raise(current: &mut Sourced<bool>, value: Option<bool>, field: &str, source: &str) {
    match value {
        Some(true) if !current.value => *current = Sourced::new(true, source),
        Some(_) => {}
        None if !current.value && current.unknown.is_none() => {
            current.unknown = Some(lacked(field, source))
        }
        None => {}
    }
}

fn raise_count(current: &mut Sourced<u32>, value: Option<u32>, field: &str, source: &str) {
    match value {
        Some(n) if n > current.value => {
            let unknown = current.unknown.take();
            *current = Sourced::new(n, source);
            current.unknown = unknown;
        }
        Some(_) => {}
        None if current.unknown.is_none() => current.unknown = Some(lacked(field, source)),
        None => {}
    }
}

impl BranchProtection {
    pub fn effective(&self) -> Effective {
        let off = || Sourced::new(false, NOWHERE);
        let mut e = Effective {
            protected: off(),
            non_protecting: Vec::new(),
            approving_reviews: Sourced::new(0, NOWHERE),
            dismiss_stale_reviews: off(),
            code_owner_reviews: off(),
            last_push_approval: off(),
            status_checks: Vec::new(),
            status_checks_unknown: None,
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
                raise_count(
                    &mut e.approving_reviews,
                    reviews.required_approving_review_count,
                    "required_approving_review_count",
                    CLASSIC,
                );
                raise(
                    &mut e.dismiss_stale_reviews,
                    reviews.dismiss_stale_reviews,
                    "dismiss_stale_reviews",
                    CLASSIC,
                );
                raise(
                    &mut e.code_owner_reviews,
                    reviews.require_code_owner_reviews,
                    "require_code_owner_reviews",
                    CLASSIC,
                );
                raise(
                    &mut e.last_push_approval,
                    reviews.require_last_push_approval,
                    "require_last_push_approval",
                    CLASSIC,
                );
            }
            if let Some(checks) = &classic.required_status_checks {
                raise(
                    &mut e.strict_status_checks,
                    checks.strict,
                    "required_status_checks.strict",
                    CLASSIC,
                );
                for check in checks.checks.iter().flatten() {
                    add_check(&mut e.status_checks, &check.context, check.app_id, CLASSIC);
                }
                for name in checks.contexts.iter().flatten() {
                    add_check(&mut e.status_checks, name, None, CLASSIC);
                }
                if checks.checks.is_none() && checks.contexts.is_none() {
                    e.status_checks_unknown = Some(lacked(
                        "required_status_checks.contexts` and `.checks",
                        CLASSIC,
                    ));
                }
            }
            let enabled = |o: &Option<Enabled>| o.as_ref().map(|e| e.enabled);
            // Classic protection blocks force pushes and deletions unless they are allowed.
            raise(
                &mut e.force_pushes_blocked,
                enabled(&classic.allow_force_pushes).map(|allowed| !allowed),
                "allow_force_pushes",
                CLASSIC,
            );
            raise(
                &mut e.deletions_blocked,
                enabled(&classic.allow_deletions).map(|allowed| !allowed),
                "allow_deletions",
                CLASSIC,
            );
            raise(
                &mut e.linear_history,
                enabled(&classic.required_linear_history),
                "required_linear_history",
                CLASSIC,
            );
            raise(
                &mut e.conversation_resolution,
                enabled(&classic.required_conversation_resolution),
                "required_conversation_resolution",
                CLASSIC,
            );
            raise(
                &mut e.signed_commits,
                enabled(&classic.required_signatures),
                "required_signatures",
                CLASSIC,
            );
        }
        for rule in &self.rules {
            let source = rule.source();
            if !rule.protects() {
                let named = format!("`{}` ({source})", rule.kind);
                if !e.non_protecting.contains(&named) {
                    e.non_protecting.push(named);
                }
                continue;
            }
            if !e.protected.value {
                e.protected = Sourced::new(true, &source);
            }
            match rule.kind.as_str() {
                "pull_request" => {
                    raise_count(
                        &mut e.approving_reviews,
                        rule.param("required_approving_review_count")
                            .and_then(|v| v.as_u64())
                            .map(|n| n.min(u64::from(u32::MAX)) as u32),
                        "required_approving_review_count",
                        &source,
                    );
                    for (setting, key) in [
                        (
                            &mut e.dismiss_stale_reviews,
                            "dismiss_stale_reviews_on_push",
                        ),
                        (&mut e.code_owner_reviews, "require_code_owner_review"),
                        (&mut e.last_push_approval, "require_last_push_approval"),
                        (
                            &mut e.conversation_resolution,
                            "required_review_thread_resolution",
                        ),
                    ] {
                        raise(setting, rule.param_bool(key), key, &source);
                    }
                }
                "required_status_checks" => {
                    raise(
                        &mut e.strict_status_checks,
                        rule.param_bool("strict_required_status_checks_policy"),
                        "strict_required_status_checks_policy",
                        &source,
                    );
                    match rule
                        .param("required_status_checks")
                        .and_then(|v| v.as_array())
                    {
                        Some(checks) => {
                            for check in checks {
                                match check.get("context").and_then(|c| c.as_str()) {
                                    Some(name) => {
                                        let app =
                                            check.get("integration_id").and_then(|i| i.as_i64());
                                        add_check(&mut e.status_checks, name, app, &source);
                                    }
                                    None => {
                                        e.status_checks_unknown
                                            .get_or_insert(lacked("context", &source));
                                    }
                                }
                            }
                        }
                        None => {
                            e.status_checks_unknown
                                .get_or_insert(lacked("required_status_checks", &source));
                        }
                    }
                }
                "non_fast_forward" => raise(&mut e.force_pushes_blocked, Some(true), "", &source),
                "deletion" => raise(&mut e.deletions_blocked, Some(true), "", &source),
                "required_linear_history" => raise(&mut e.linear_history, Some(true), "", &source),
                "required_signatures" => raise(&mut e.signed_commits, Some(true), "", &source),
                _ => {}
            }
        }
        e.enforce_admins = self.admins_bound();
        e
    }

    /// Does the protection in force bind administrators? Classic protection does when
    /// `enforce_admins` is on; a ruleset does when its bypass list is empty (every actor
    /// listed there, admin role or not, may skip its rules, which is what
    /// `enforce_admins` forbids).
    fn admins_bound(&self) -> Sourced<bool> {
        let mut bypassed = Vec::new();
        let mut unknown = Vec::new();
        let mut binding = Vec::new();
        if let Some(classic) = &self.classic {
            match &classic.enforce_admins {
                Some(Enabled { enabled: true }) => binding.push(CLASSIC.to_string()),
                Some(Enabled { enabled: false }) => bypassed.push(format!(
                    "{CLASSIC}, whose `enforce_admins` is off, so administrators may bypass it"
                )),
                None => unknown.push(lacked("enforce_admins", CLASSIC)),
            }
        }
        let mut seen = Vec::new();
        for rule in self.rules.iter().filter(|r| r.protects()) {
            let source = rule.source();
            if seen.contains(&source) {
                continue;
            }
            seen.push(source.clone());
            let Some(id) = rule.ruleset_id else {
                unknown.push(lacked("ruleset_id", "a ruleset rule"));
                continue;
            };
            match self.bypass.get(&id) {
                Some(Ok(actors)) if actors.is_empty() => binding.push(source),
                Some(Ok(actors)) => bypassed.push(format!(
                    "{source}, whose bypass list lets {} skip it",
                    actors
                        .iter()
                        .map(BypassActor::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(Err(reason)) => unknown.push(format!("who may bypass {source}: {reason}")),
                None => unknown.push(format!("who may bypass {source} was not read")),
            }
        }
        if !bypassed.is_empty() {
            Sourced::new(false, bypassed.join("; "))
        } else if !unknown.is_empty() {
            Sourced {
                value: false,
                source: binding.join(" and "),
                unknown: Some(unknown.join("; ")),
            }
        } else if binding.is_empty() {
            Sourced::new(false, NOWHERE)
        } else {
            Sourced::new(true, binding.join(" and "))
        }
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
            ..BranchProtection::default()
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
                    required_approving_review_count: Some(1),
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
            ..BranchProtection::default()
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

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!("{}/fixtures/github/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn classic(value: serde_json::Value) -> BranchProtection {
        BranchProtection {
            classic: Some(serde_json::from_value(value).unwrap()),
            ..BranchProtection::default()
        }
    }

    #[test]
    fn every_recorded_classic_answer_has_the_always_present_settings() {
        // What the "lacked" checks rely on: GitHub's real answers, even the minimal one
        // (nothing configured), carry these.
        for name in [
            "branch-protection.json",
            "branch-protection-recorded.json",
            "branch-protection-recorded-minimal.json",
        ] {
            let e = classic(fixture(name)).effective();
            for (what, setting) in [
                ("force pushes", &e.force_pushes_blocked),
                ("deletions", &e.deletions_blocked),
                ("linear history", &e.linear_history),
                ("signatures", &e.signed_commits),
                ("conversations", &e.conversation_resolution),
                ("admins", &e.enforce_admins),
            ] {
                assert_eq!(setting.unknown, None, "{name}: {what}");
            }
            assert_eq!(e.status_checks_unknown, None, "{name}");
        }
        // The minimal answer: sections not configured are absent, which is "not
        // configured", not unknown.
        let e = classic(fixture("branch-protection-recorded-minimal.json")).effective();
        assert!(e.status_checks.is_empty());
        assert_eq!(e.approving_reviews.value, 0);
        assert_eq!(e.approving_reviews.unknown, None);
    }

    #[test]
    fn a_setting_the_answer_lacks_is_unknown_not_a_default() {
        let mut answer = fixture("branch-protection-recorded-minimal.json");
        let object = answer.as_object_mut().unwrap();
        object.remove("allow_force_pushes");
        object.remove("allow_deletions");
        object.remove("enforce_admins");
        let e = classic(answer).effective();
        assert!(!e.force_pushes_blocked.value);
        assert!(e
            .force_pushes_blocked
            .unknown
            .as_deref()
            .unwrap()
            .contains("allow_force_pushes"));
        assert!(e
            .deletions_blocked
            .unknown
            .as_deref()
            .unwrap()
            .contains("allow_deletions"));
        assert!(e
            .enforce_admins
            .unknown
            .as_deref()
            .unwrap()
            .contains("enforce_admins"));
        // A ruleset that does block them settles it.
        let mut protection = classic(serde_json::json!({"url": "u"}));
        protection.rules = vec![rule("non_fast_forward", serde_json::json!({}))];
        let e = protection.effective();
        assert!(e.force_pushes_blocked.value);
        assert_eq!(e.force_pushes_blocked.unknown, None);
        assert!(e.deletions_blocked.unknown.is_some());
    }

    #[test]
    fn the_get_example_without_strict_leaves_strict_unknown_but_reads_contexts() {
        let e = classic(fixture("branch-protection-get-example.json")).effective();
        assert_eq!(e.status_checks[0].name, "continuous-integration/travis-ci");
        assert_eq!(e.status_checks_unknown, None);
        assert!(!e.strict_status_checks.value);
        assert!(e.strict_status_checks.unknown.is_some());
    }

    #[test]
    fn metadata_rules_do_not_protect_a_branch() {
        let rules: Vec<BranchRule> =
            serde_json::from_value(fixture("rules-for-branch.json")).unwrap();
        assert_eq!(rules[0].kind, "commit_message_pattern");
        let protection = BranchProtection {
            rules,
            ..BranchProtection::default()
        };
        let e = protection.effective();
        assert!(!e.protected.value);
        assert_eq!(e.non_protecting.len(), 2);
        assert!(e.non_protecting[0].contains("commit_message_pattern"));
        for kind in [
            "committer_email_pattern",
            "branch_name_pattern",
            "tag_name_pattern",
            "max_file_size",
            "creation",
        ] {
            let p = BranchProtection {
                rules: vec![rule(kind, serde_json::json!({}))],
                ..BranchProtection::default()
            };
            assert!(!p.effective().protected.value, "{kind}");
        }
        let full: Vec<BranchRule> =
            serde_json::from_value(fixture("rules-for-branch-full.json")).unwrap();
        assert!(full.iter().all(BranchRule::protects));
    }

    fn actor(kind: &str, id: Option<i64>) -> BypassActor {
        BypassActor {
            actor_id: id,
            actor_type: kind.to_string(),
            bypass_mode: Some("always".to_string()),
        }
    }

    #[test]
    fn rulesets_bind_admins_only_without_bypass_actors() {
        let mut protection = BranchProtection {
            rules: vec![rule("pull_request", serde_json::json!({}))],
            ..BranchProtection::default()
        };
        // Not read: unknown, never "no ruleset applies".
        let e = protection.effective();
        assert!(!e.enforce_admins.value);
        assert!(e
            .enforce_admins
            .unknown
            .as_deref()
            .unwrap()
            .contains("ruleset 42"));

        protection.bypass.insert(42, Ok(vec![]));
        let e = protection.effective();
        assert!(e.enforce_admins.value);
        assert_eq!(e.enforce_admins.source, "ruleset 42 (octo-org/hello)");

        protection
            .bypass
            .insert(42, Ok(vec![actor("RepositoryRole", Some(5))]));
        let e = protection.effective();
        assert!(!e.enforce_admins.value);
        assert_eq!(e.enforce_admins.unknown, None);
        assert!(
            e.enforce_admins.source.contains("ruleset 42")
                && e.enforce_admins
                    .source
                    .contains("RepositoryRole 5 (always)"),
            "{}",
            e.enforce_admins.source
        );

        protection.bypass.insert(42, Err("403".to_string()));
        let e = protection.effective();
        assert!(e.enforce_admins.unknown.as_deref().unwrap().contains("403"));

        // Classic with enforce_admins off lets admins bypass, whatever the rulesets say.
        protection.bypass.insert(42, Ok(vec![]));
        protection.classic = Some(ClassicProtection {
            url: Some("u".into()),
            enforce_admins: Some(Enabled { enabled: false }),
            ..ClassicProtection::default()
        });
        let e = protection.effective();
        assert!(!e.enforce_admins.value);
        assert!(e
            .enforce_admins
            .source
            .contains("classic branch protection"));
    }
}
