//! warden's own repository ruleset for a branch (`apply_with = "ruleset"`).
//!
//! GitHub rulesets carry no field to mark who made them, so the name is the mark:
//! `warden: BRANCH`, a repository ruleset (not one of the organisation's). warden creates
//! it, or raises the settings of the one it made before; any other ruleset, whatever it
//! says, is never written. Rules and parameters: `@octokit/openapi` schemas
//! `repository-rule-*`.

use serde_json::{json, Map, Value};

use super::{diff, failed, planned, Change, Request, SettingDiff};
use crate::fix::github::ProtectionSetting;
use crate::github::{Client, RepoId};

/// The name that marks a ruleset as warden's.
pub fn ruleset_name(branch: &str) -> String {
    format!("warden: {branch}")
}

pub(super) async fn ruleset_change(
    client: &Client,
    repo: &RepoId,
    base: &str,
    branch: &str,
    wanted: &[ProtectionSetting],
) -> Change {
    let name = ruleset_name(branch);
    let target = format!("ruleset `{name}`");
    let list = format!("{base}/rulesets?includes_parents=false&per_page=100");
    let listed = match client.get_pages::<Value>(&list, 10).await {
        Ok((items, false)) => items,
        Ok((_, true)) => {
            return failed(
                repo.to_string(),
                target,
                "the repository has more than 1,000 rulesets; not all were read".into(),
            )
        }
        Err(e) => {
            return failed(
                repo.to_string(),
                target,
                format!("cannot list the rulesets: {e}"),
            )
        }
    };
    if let Some(nameless) = listed.iter().find(|r| !r["name"].is_string()) {
        return failed(
            repo.to_string(),
            target,
            format!(
                "GitHub's answer for GET {list} lists a ruleset without `name` (id {}); warden cannot tell whether it is its own",
                nameless["id"]
            ),
        );
    }
    let ours = listed.iter().find(|r| {
        r["name"] == json!(name) && r["source_type"].as_str().is_none_or(|s| s == "Repository")
    });
    let (current, source) = match ours.and_then(|r| r["id"].as_i64()) {
        Some(id) => {
            let path = format!("{base}/rulesets/{id}");
            match client.get_json::<Value>(&path).await {
                Ok(detail) => (Some((id, detail)), format!("GET {path}")),
                Err(e) => {
                    return failed(
                        repo.to_string(),
                        target,
                        format!("cannot read warden's ruleset: {e}"),
                    )
                }
            }
        }
        None => (None, format!("GET {base}/rulesets (none named `{name}`)")),
    };
    let detail = current.as_ref().map(|(_, d)| d);
    if let Some(d) = detail {
        for key in ["rules", "bypass_actors", "conditions"] {
            if d.get(key).is_none() {
                return failed(
                    repo.to_string(),
                    target,
                    format!(
                        "GitHub's answer for {source} lacked `{key}` (shown only to a token with write access to the ruleset); warden does not rewrite a ruleset it could not read whole"
                    ),
                );
            }
        }
    }
    let mut rules: Vec<Value> = detail
        .and_then(|d| d["rules"].as_array().cloned())
        .unwrap_or_default();
    let mut diffs = Vec::new();
    for setting in wanted
        .iter()
        .filter(|s| **s != ProtectionSetting::EnforceAdmins)
    {
        diffs.push(raise(&mut rules, setting, &source));
    }
    let mut bypass = detail
        .map(|d| d["bypass_actors"].clone())
        .unwrap_or(json!([]));
    if wanted.contains(&ProtectionSetting::EnforceAdmins) {
        let now = bypass.as_array().map_or(0, Vec::len);
        diffs.push(diff(
            "enforce_admins",
            if now == 0 { "on" } else { "off" }.into(),
            "on".into(),
            "on".into(),
            &source,
        ));
        bypass = json!([]);
    }
    let enforcement = detail.and_then(|d| d["enforcement"].as_str());
    if detail.is_some() && enforcement != Some("active") {
        // A ruleset that is not enforced protects nothing: warden's own is made active.
        diffs.push(diff(
            "enforcement",
            enforcement.unwrap_or("unknown").into(),
            "active".into(),
            "active".into(),
            &source,
        ));
    }
    if detail.is_none() {
        diffs.insert(
            0,
            diff("exists", "no".into(), "yes".into(), "yes".into(), &source),
        );
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("target".into(), json!("branch"));
    body.insert("enforcement".into(), json!("active"));
    body.insert("bypass_actors".into(), bypass);
    body.insert(
        "conditions".into(),
        detail.map(|d| d["conditions"].clone()).unwrap_or_else(
            || json!({"ref_name": {"include": [format!("refs/heads/{branch}")], "exclude": []}}),
        ),
    );
    body.insert("rules".into(), Value::Array(rules));
    let write = match &current {
        Some((id, _)) => Request {
            method: "PUT",
            path: format!("{base}/rulesets/{id}"),
            body: Some(Value::Object(body)),
        },
        None => Request {
            method: "POST",
            path: format!("{base}/rulesets"),
            body: Some(Value::Object(body)),
        },
    };
    planned(&repo.to_string(), target, diffs, write)
}

/// The rule of `kind`, added (with `parameters`) when the ruleset lacks it.
fn rule<'r>(rules: &'r mut Vec<Value>, kind: &str, parameters: Option<Value>) -> &'r mut Value {
    let at = match rules.iter().position(|r| r["type"] == json!(kind)) {
        Some(at) => at,
        None => {
            let mut new = json!({ "type": kind });
            if let Some(p) = parameters {
                new["parameters"] = p;
            }
            rules.push(new);
            rules.len() - 1
        }
    };
    &mut rules[at]
}

fn pull_request(rules: &mut Vec<Value>) -> &mut Value {
    let r = rule(
        rules,
        "pull_request",
        Some(json!({
            "dismiss_stale_reviews_on_push": false,
            "require_code_owner_review": false,
            "require_last_push_approval": false,
            "required_approving_review_count": 0,
            "required_review_thread_resolution": false,
        })),
    );
    &mut r["parameters"]
}

fn status_checks(rules: &mut Vec<Value>) -> &mut Value {
    let r = rule(
        rules,
        "required_status_checks",
        Some(json!({
            "required_status_checks": [],
            "strict_required_status_checks_policy": false,
        })),
    );
    &mut r["parameters"]
}

/// Raise one setting in `rules` (never lowering it) and say what moved.
fn raise(rules: &mut Vec<Value>, setting: &ProtectionSetting, source: &str) -> SettingDiff {
    let key = setting.key();
    let flag = |params: &mut Value, field: &str| -> SettingDiff {
        let now = params[field].as_bool().unwrap_or(false);
        params[field] = json!(true);
        diff(
            &key,
            if now { "on" } else { "off" }.into(),
            "on".into(),
            "on".into(),
            source,
        )
    };
    let exists = |rules: &mut Vec<Value>, kind: &str| -> SettingDiff {
        let now = rules.iter().any(|r| r["type"] == json!(kind));
        rule(rules, kind, None);
        diff(
            &key,
            if now { "on" } else { "off" }.into(),
            "on".into(),
            "on".into(),
            source,
        )
    };
    match setting {
        ProtectionSetting::ApprovingReviews(n) => {
            let params = pull_request(rules);
            let now = params["required_approving_review_count"]
                .as_u64()
                .unwrap_or(0);
            let after = now.max(u64::from(*n));
            params["required_approving_review_count"] = json!(after);
            let mut d = diff(
                &key,
                now.to_string(),
                format!("at least {n}"),
                after.to_string(),
                source,
            );
            if now > u64::from(*n) {
                d.kept = Some("stricter than the policy asks, kept".into());
            }
            d
        }
        ProtectionSetting::DismissStaleReviews => {
            flag(pull_request(rules), "dismiss_stale_reviews_on_push")
        }
        ProtectionSetting::CodeOwnerReviews => {
            flag(pull_request(rules), "require_code_owner_review")
        }
        ProtectionSetting::LastPushApproval => {
            flag(pull_request(rules), "require_last_push_approval")
        }
        ProtectionSetting::ConversationResolution => {
            flag(pull_request(rules), "required_review_thread_resolution")
        }
        ProtectionSetting::StrictStatusChecks => {
            flag(status_checks(rules), "strict_required_status_checks_policy")
        }
        ProtectionSetting::RequiredCheck(name) => {
            let params = status_checks(rules);
            if !params["required_status_checks"].is_array() {
                params["required_status_checks"] = json!([]);
            }
            let Some(list) = params["required_status_checks"].as_array_mut() else {
                unreachable!("made an array above")
            };
            let now = list.iter().any(|c| c["context"] == json!(name));
            if !now {
                list.push(json!({ "context": name }));
            }
            diff(
                &key,
                if now { "required" } else { "not required" }.into(),
                "required".into(),
                "required".into(),
                source,
            )
        }
        ProtectionSetting::BlockForcePushes => exists(rules, "non_fast_forward"),
        ProtectionSetting::BlockDeletions => exists(rules, "deletion"),
        ProtectionSetting::LinearHistory => exists(rules, "required_linear_history"),
        ProtectionSetting::SignedCommits => exists(rules, "required_signatures"),
        // The bypass list, handled by the caller.
        ProtectionSetting::EnforceAdmins => {
            diff(&key, "on".into(), "on".into(), "on".into(), source)
        }
    }
}
