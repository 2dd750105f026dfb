//! Classic branch protection: the PUT body built from the current protection with only
//! the settings the policy names raised (GitHub's PUT replaces the whole protection, so
//! everything else is repeated as it is).

use serde_json::{json, Map, Value};

use super::{diff, failed, show_bool, Change, Request, SettingDiff};
use crate::fix::github::ProtectionSetting;
use crate::github::{ApiError, Client, RepoId};

/// The `{enabled}` settings of a protection answer that a PUT must repeat: without them
/// in the answer the PUT would reset them, so their absence makes the state unknown.
const ENABLED_REQUIRED: &[&str] = &[
    "enforce_admins",
    "required_linear_history",
    "allow_force_pushes",
    "allow_deletions",
    "required_conversation_resolution",
];

/// Optional `{enabled}` settings: repeated when GitHub sent them (older servers lack them).
const ENABLED_OPTIONAL: &[&str] = &["block_creations", "lock_branch", "allow_fork_syncing"];

pub(super) async fn protection_change(
    client: &Client,
    repo: &RepoId,
    base: &str,
    branch: &str,
    wanted: &[ProtectionSetting],
) -> Change {
    let path = format!(
        "{base}/branches/{}/protection",
        crate::github::encode(branch)
    );
    let target = format!("branch `{branch}` protection");
    let current = match client.get(&path).await {
        Ok(response) => match serde_json::from_str::<Value>(&response.body) {
            Ok(value) if value.get("url").is_some() => Some(value),
            Ok(_) => {
                return failed(
                    repo.to_string(),
                    target,
                    format!("GitHub's answer for GET {path} is not a branch protection (no `url`)"),
                )
            }
            Err(e) => {
                return failed(
                    repo.to_string(),
                    target,
                    format!("GitHub's answer for GET {path} is not JSON: {e}"),
                )
            }
        },
        Err(ApiError::NotFound { message, .. }) if message.contains("not protected") => None,
        Err(e) => {
            return failed(
                repo.to_string(),
                target,
                format!("cannot read the current protection: {e}"),
            )
        }
    };
    match protection_body(current.as_ref(), wanted, &format!("GET {path}")) {
        Ok((settings, body, signatures)) => {
            let mut requests = Vec::new();
            // Signed commits have their own endpoint; everything else is in the PUT.
            let put = settings
                .iter()
                .any(|d| d.changes() && d.setting != "require_signed_commits");
            if put {
                requests.push(Request {
                    method: "PUT",
                    path: path.clone(),
                    body: Some(body),
                });
            }
            if signatures {
                requests.push(Request {
                    method: "POST",
                    path: format!("{path}/required_signatures"),
                    body: None,
                });
            }
            Change {
                repo: repo.to_string(),
                target,
                settings,
                requests,
                error: None,
            }
        }
        Err(error) => failed(repo.to_string(), target, error),
    }
}

/// The PUT body: the current protection with the wanted settings raised. Returns the
/// per-setting diffs, the body, and whether signed commits must be turned on (their own
/// endpoint).
fn protection_body(
    current: Option<&Value>,
    wanted: &[ProtectionSetting],
    source: &str,
) -> Result<(Vec<SettingDiff>, Value, bool), String> {
    let enabled = |key: &str| -> Option<bool> {
        current
            .and_then(|c| c.get(key))
            .and_then(|v| v["enabled"].as_bool())
    };
    if let Some(c) = current {
        for key in ENABLED_REQUIRED {
            if c.get(*key).and_then(|v| v.get("enabled")).is_none() {
                return Err(format!(
                    "GitHub's answer for {source} lacked `{key}`; warden does not rewrite a protection it could not read whole"
                ));
            }
        }
    }
    let wants = |s: &ProtectionSetting| wanted.contains(s);
    let mut diffs = Vec::new();
    let mut body = Map::new();

    // Status checks.
    let checks_now = current.and_then(|c| c.get("required_status_checks"));
    let wanted_checks: Vec<&String> = wanted
        .iter()
        .filter_map(|s| match s {
            ProtectionSetting::RequiredCheck(name) => Some(name),
            _ => None,
        })
        .collect();
    let strict_wanted = wants(&ProtectionSetting::StrictStatusChecks);
    match checks_now {
        Some(now) => {
            let strict_now = now.get("strict").and_then(Value::as_bool);
            let strict = match (strict_now, strict_wanted) {
                (Some(s), w) => s || w,
                (None, true) => true,
                (None, false) => {
                    return Err(format!(
                        "GitHub's answer for {source} lacked `required_status_checks.strict`; warden does not rewrite a protection it could not read whole"
                    ))
                }
            };
            if strict_wanted {
                diffs.push(diff(
                    "strict_status_checks",
                    show_bool(strict_now),
                    "on".into(),
                    show_bool(Some(strict)),
                    source,
                ));
            }
            // `checks` (with the app that must report each) when GitHub sent them, else
            // the names in `contexts`.
            let mut checks: Vec<Value> = match (now.get("checks"), now.get("contexts")) {
                (Some(Value::Array(checks)), _) => checks
                    .iter()
                    .map(|c| {
                        let mut check = json!({ "context": c["context"] });
                        if let Some(app) = c.get("app_id").filter(|a| !a.is_null()) {
                            check["app_id"] = app.clone();
                        }
                        check
                    })
                    .collect(),
                (_, Some(Value::Array(contexts))) => {
                    contexts.iter().map(|c| json!({ "context": c })).collect()
                }
                _ => {
                    return Err(format!(
                        "GitHub's answer for {source} lacked `required_status_checks.contexts`; warden does not rewrite a protection it could not read whole"
                    ))
                }
            };
            for name in &wanted_checks {
                let there = checks.iter().any(|c| c["context"] == json!(name));
                diffs.push(diff(
                    &format!("required_status_checks:{name}"),
                    if there { "required" } else { "not required" }.into(),
                    "required".into(),
                    "required".into(),
                    source,
                ));
                if !there {
                    checks.push(json!({ "context": name }));
                }
            }
            let contexts: Vec<Value> = checks.iter().map(|c| c["context"].clone()).collect();
            body.insert(
                "required_status_checks".into(),
                json!({ "strict": strict, "contexts": contexts, "checks": checks }),
            );
        }
        None if !wanted_checks.is_empty() || strict_wanted => {
            if strict_wanted {
                diffs.push(diff(
                    "strict_status_checks",
                    "not configured".into(),
                    "on".into(),
                    "on".into(),
                    source,
                ));
            }
            let checks: Vec<Value> = wanted_checks
                .iter()
                .map(|name| {
                    diffs.push(diff(
                        &format!("required_status_checks:{name}"),
                        "not required".into(),
                        "required".into(),
                        "required".into(),
                        source,
                    ));
                    json!({ "context": name })
                })
                .collect();
            let contexts: Vec<Value> = checks.iter().map(|c| c["context"].clone()).collect();
            body.insert(
                "required_status_checks".into(),
                json!({ "strict": strict_wanted, "contexts": contexts, "checks": checks }),
            );
        }
        None => {
            body.insert("required_status_checks".into(), Value::Null);
        }
    }

    // enforce_admins.
    let admins_now = enabled("enforce_admins");
    let admins = admins_now.unwrap_or(false) || wants(&ProtectionSetting::EnforceAdmins);
    if wants(&ProtectionSetting::EnforceAdmins) {
        diffs.push(diff(
            "enforce_admins",
            show_bool(admins_now),
            "on".into(),
            show_bool(Some(admins)),
            source,
        ));
    }
    body.insert("enforce_admins".into(), json!(admins));

    // Reviews.
    let reviews_now = current.and_then(|c| c.get("required_pull_request_reviews"));
    let count_wanted = wanted.iter().find_map(|s| match s {
        ProtectionSetting::ApprovingReviews(n) => Some(*n),
        _ => None,
    });
    let review_flags = [
        (
            ProtectionSetting::DismissStaleReviews,
            "dismiss_stale_reviews",
        ),
        (
            ProtectionSetting::CodeOwnerReviews,
            "require_code_owner_reviews",
        ),
        (
            ProtectionSetting::LastPushApproval,
            "require_last_push_approval",
        ),
    ];
    let any_review = count_wanted.is_some() || review_flags.iter().any(|(s, _)| wants(s));
    match (reviews_now, any_review) {
        (None, false) => {
            body.insert("required_pull_request_reviews".into(), Value::Null);
        }
        (now, _) => {
            let mut reviews = Map::new();
            let field = |key: &str| now.and_then(|r| r.get(key));
            // Who may dismiss reviews and who may skip them are kept as they are: the
            // answer lists users, teams and apps; the request takes their logins/slugs.
            for key in ["dismissal_restrictions", "bypass_pull_request_allowances"] {
                if let Some(actors) = field(key) {
                    reviews.insert(key.into(), actor_names(actors));
                }
            }
            let count_now = field("required_approving_review_count").and_then(Value::as_u64);
            let count = match (count_now, count_wanted) {
                (Some(n), Some(w)) => Some(n.max(u64::from(w))),
                (n, None) => n,
                (None, Some(w)) => Some(u64::from(w)),
            };
            if let Some(w) = count_wanted {
                diffs.push(diff(
                    "required_approving_reviews",
                    count_now.map_or("not configured".into(), |n| n.to_string()),
                    format!("at least {w}"),
                    count.map_or("not configured".into(), |n| n.to_string()),
                    source,
                ));
                // "at least w" is met by the current value: say so, not "changes".
                if let Some(last) = diffs.last_mut() {
                    if count_now.is_some_and(|n| n >= u64::from(w)) {
                        last.kept = Some(if count_now == Some(u64::from(w)) {
                            "already as the policy asks".into()
                        } else {
                            "stricter than the policy asks, kept".into()
                        });
                    }
                }
            }
            if let Some(n) = count {
                reviews.insert("required_approving_review_count".into(), json!(n));
            }
            for (setting, key) in &review_flags {
                let now_value = field(key).and_then(Value::as_bool);
                let value = now_value.unwrap_or(false) || wants(setting);
                if wants(setting) {
                    diffs.push(diff(
                        key,
                        show_bool(now_value),
                        "on".into(),
                        show_bool(Some(value)),
                        source,
                    ));
                }
                // A field the answer lacks (older servers) is left out of the request.
                if now_value.is_some() || wants(setting) {
                    reviews.insert((*key).into(), json!(value));
                }
            }
            body.insert(
                "required_pull_request_reviews".into(),
                Value::Object(reviews),
            );
        }
    }

    // Push restrictions are kept as they are.
    let restrictions = current
        .and_then(|c| c.get("restrictions"))
        .map(actor_names)
        .unwrap_or(Value::Null);
    body.insert("restrictions".into(), restrictions);

    // The other `{enabled}` settings.
    let toggles = [
        (
            ProtectionSetting::LinearHistory,
            "required_linear_history",
            true,
        ),
        (
            ProtectionSetting::BlockForcePushes,
            "allow_force_pushes",
            false,
        ),
        (ProtectionSetting::BlockDeletions, "allow_deletions", false),
        (
            ProtectionSetting::ConversationResolution,
            "required_conversation_resolution",
            true,
        ),
    ];
    for (setting, key, strict_value) in toggles {
        let now_value = enabled(key);
        let value = if wants(&setting) {
            Some(strict_value)
        } else {
            now_value
        };
        if wants(&setting) {
            // Policy keys name the strict side ("block force pushes"): shown that way.
            let strict_now = now_value.map(|v| v == strict_value);
            diffs.push(diff(
                &setting.key(),
                show_bool(strict_now),
                "on".into(),
                "on".into(),
                source,
            ));
        }
        if let Some(v) = value {
            body.insert(key.into(), json!(v));
        }
    }
    for key in ENABLED_OPTIONAL {
        if let Some(v) = enabled(key) {
            body.insert((*key).into(), json!(v));
        }
    }

    let mut signatures = false;
    if wants(&ProtectionSetting::SignedCommits) {
        let now_value = enabled("required_signatures");
        signatures = now_value != Some(true);
        diffs.push(diff(
            "require_signed_commits",
            show_bool(now_value),
            "on".into(),
            "on".into(),
            source,
        ));
    }
    if current.is_none() {
        diffs.insert(
            0,
            diff("protected", "off".into(), "on".into(), "on".into(), source),
        );
    }
    Ok((diffs, Value::Object(body), signatures))
}

/// `{users: [{login}], teams: [{slug}], apps: [{slug}]}` → `{users: [login], ...}`.
fn actor_names(actors: &Value) -> Value {
    let names = |key: &str, field: &str| -> Value {
        Value::Array(
            actors
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| a.get(field).cloned())
                .collect(),
        )
    };
    json!({
        "users": names("users", "login"),
        "teams": names("teams", "slug"),
        "apps": names("apps", "slug"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(list: &[ProtectionSetting]) -> Vec<ProtectionSetting> {
        list.to_vec()
    }

    #[test]
    fn a_stricter_protection_is_kept_and_only_named_settings_move() {
        let mut current: Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/github/branch-protection.json"
            ))
            .unwrap(),
        )
        .unwrap();
        // A push restriction to keep (the recorded one lists nobody).
        current["restrictions"]["users"] = json!([{"login": "octocat", "id": 1}]);
        let (diffs, body, signatures) = protection_body(
            Some(&current),
            &settings(&[
                ProtectionSetting::ApprovingReviews(1),
                ProtectionSetting::BlockForcePushes,
                ProtectionSetting::RequiredCheck("lint".into()),
            ]),
            "GET x",
        )
        .unwrap();
        assert!(!signatures);
        // The recorded protection asks for 2 reviews: kept.
        assert_eq!(
            body["required_pull_request_reviews"]["required_approving_review_count"],
            2
        );
        let reviews = diffs
            .iter()
            .find(|d| d.setting == "required_approving_reviews")
            .unwrap();
        assert!(!reviews.changes(), "{reviews:?}");
        assert_eq!(body["allow_force_pushes"], false);
        // Not named: kept as GitHub says.
        assert_eq!(
            body["allow_deletions"],
            current["allow_deletions"]["enabled"]
        );
        assert_eq!(body["enforce_admins"], true);
        assert_eq!(body["restrictions"]["users"], json!(["octocat"]));
        let contexts = body["required_status_checks"]["contexts"]
            .as_array()
            .unwrap();
        assert!(
            contexts.contains(&json!("lint"))
                && contexts.contains(&json!("continuous-integration/travis-ci"))
        );
    }

    #[test]
    fn a_protection_missing_a_setting_it_must_repeat_is_not_rewritten() {
        let current = json!({"url": "u", "enforce_admins": {"enabled": true}});
        let error = protection_body(
            Some(&current),
            &[ProtectionSetting::BlockForcePushes],
            "GET x",
        )
        .unwrap_err();
        assert!(error.contains("required_linear_history"), "{error}");
    }

    #[test]
    fn an_unprotected_branch_gets_only_what_the_policy_names() {
        let (diffs, body, _) =
            protection_body(None, &[ProtectionSetting::ApprovingReviews(1)], "GET x").unwrap();
        assert_eq!(diffs[0].setting, "protected");
        assert_eq!(
            body,
            json!({
                "required_status_checks": null,
                "enforce_admins": false,
                "required_pull_request_reviews": {"required_approving_review_count": 1},
                "restrictions": null,
            })
        );
    }
}
