//! Repository settings, labels, environments and organisation settings: each request
//! built from the current state with only the named settings moved toward the policy.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{diff, failed, planned, show_bool, Change, Request};
use crate::fix::github::{EnvironmentSetting, Label, OrgSetting, RepoSetting};
use crate::github;
use crate::github::{encode_segment as segment, ApiError, Client, RepoId};

pub(super) async fn settings_change(
    client: &Client,
    repo: &RepoId,
    base: &str,
    wanted: &[RepoSetting],
) -> Change {
    let target = "repository settings".to_string();
    let source = format!("GET {base}");
    let current: Value = match client.get_json(base).await {
        Ok(value) => value,
        Err(e) => {
            return failed(
                repo.to_string(),
                target,
                format!("cannot read the repository settings: {e}"),
            )
        }
    };
    if current.get("full_name").is_none() {
        return failed(
            repo.to_string(),
            target,
            format!("GitHub's answer for {source} lacked `full_name`: it is not a repository"),
        );
    }
    let mut diffs = Vec::new();
    let mut patch = Map::new();
    let mut errors = Vec::new();
    let mut security = Map::new();
    let mut alerts = false;
    let mut flags: BTreeMap<&str, bool> = BTreeMap::new();
    for key in [
        "allow_merge_commit",
        "allow_squash_merge",
        "allow_rebase_merge",
    ] {
        if let Some(v) = current.get(key).and_then(Value::as_bool) {
            flags.insert(key, v);
        }
    }
    for setting in wanted {
        match setting {
            RepoSetting::MergeMethod { method, allowed } => {
                let key = match method.as_str() {
                    "merge" => "allow_merge_commit",
                    "squash" => "allow_squash_merge",
                    _ => "allow_rebase_merge",
                };
                match current.get(key).and_then(Value::as_bool) {
                    None => errors.push(format!("GitHub's answer for {source} lacked `{key}`")),
                    Some(now) => {
                        flags.insert(key, *allowed);
                        let d = diff(
                            &format!("merge_methods.{method}"),
                            show_bool(Some(now)),
                            show_bool(Some(*allowed)),
                            show_bool(Some(*allowed)),
                            &source,
                        );
                        if d.changes() {
                            patch.insert(key.into(), json!(allowed));
                        }
                        diffs.push(d);
                    }
                }
            }
            RepoSetting::DeleteBranchOnMerge(wanted) => {
                match current
                    .get("delete_branch_on_merge")
                    .and_then(Value::as_bool)
                {
                    None => errors.push(format!(
                        "GitHub's answer for {source} lacked `delete_branch_on_merge`"
                    )),
                    Some(now) => {
                        let d = diff(
                            "delete_branch_on_merge",
                            show_bool(Some(now)),
                            show_bool(Some(*wanted)),
                            show_bool(Some(*wanted)),
                            &source,
                        );
                        if d.changes() {
                            patch.insert("delete_branch_on_merge".into(), json!(wanted));
                        }
                        diffs.push(d);
                    }
                }
            }
            RepoSetting::SecretScanning
            | RepoSetting::SecretScanningPushProtection
            | RepoSetting::DependabotSecurityUpdates => {
                let key = match setting {
                    RepoSetting::SecretScanning => "secret_scanning",
                    RepoSetting::SecretScanningPushProtection => "secret_scanning_push_protection",
                    _ => "dependabot_security_updates",
                };
                let status = current
                    .get("security_and_analysis")
                    .and_then(|s| s.get(key))
                    .and_then(|s| s.get("status"))
                    .and_then(Value::as_str);
                match status {
                    None => errors.push(format!(
                        "GitHub's answer for {source} lacked `security_and_analysis.{key}` (GitHub shows it only to a token with admin access)"
                    )),
                    Some(now) => {
                        let on = now == "enabled";
                        let d = diff(key, show_bool(Some(on)), "on".into(), "on".into(), &source);
                        if d.changes() {
                            security.insert(key.into(), json!({ "status": "enabled" }));
                        }
                        diffs.push(d);
                    }
                }
            }
            RepoSetting::VulnerabilityAlerts => {
                let path = format!("{base}/vulnerability-alerts");
                match github::vulnerability_alerts(client, base).await {
                    Ok(on) => {
                        let d = diff(
                            "dependabot_alerts",
                            show_bool(Some(on)),
                            "on".into(),
                            "on".into(),
                            &format!("GET {path}"),
                        );
                        alerts = d.changes();
                        diffs.push(d);
                    }
                    Err(e) => errors.push(format!("cannot read Dependabot alerts: {e}")),
                }
            }
        }
    }
    if !security.is_empty() {
        patch.insert("security_and_analysis".into(), Value::Object(security));
    }
    if flags.len() == 3 && flags.values().all(|v| !v) {
        errors
            .push("the policy's merge methods would allow none, which GitHub refuses".to_string());
        patch.retain(|k, _| !k.starts_with("allow_"));
        diffs.retain(|d| !d.setting.starts_with("merge_methods."));
    }
    let mut requests = Vec::new();
    if !patch.is_empty() {
        requests.push(Request {
            method: "PATCH",
            path: base.to_string(),
            body: Some(Value::Object(patch)),
        });
    }
    if alerts {
        requests.push(Request {
            method: "PUT",
            path: format!("{base}/vulnerability-alerts"),
            body: None,
        });
    }
    Change {
        repo: repo.to_string(),
        target,
        settings: diffs,
        requests,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

// ---------------------------------------------------------------------------------------
// Labels

pub(super) async fn label_changes(
    client: &Client,
    repo: &RepoId,
    base: &str,
    wanted: &BTreeMap<String, Label>,
) -> Vec<Change> {
    let path = format!("{base}/labels?per_page=100");
    let source = format!("GET {base}/labels");
    let existing = match client.get_pages::<Value>(&path, 10).await {
        Ok((labels, false)) => labels,
        Ok((_, true)) => {
            return vec![failed(
                repo.to_string(),
                "labels".into(),
                "the repository has more than 1,000 labels; not all were read".into(),
            )]
        }
        Err(e) => {
            return vec![failed(
                repo.to_string(),
                "labels".into(),
                format!("cannot read the labels: {e}"),
            )]
        }
    };
    let mut out = Vec::new();
    for label in wanted.values() {
        let found = existing.iter().find(|l| {
            l.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&label.name))
        });
        let mut diffs = Vec::new();
        let mut body = Map::new();
        let target = format!("label `{}`", label.name);
        match found {
            None => {
                diffs.push(diff(
                    "exists",
                    "no".into(),
                    "yes".into(),
                    "yes".into(),
                    &source,
                ));
                body.insert("name".into(), json!(label.name));
                if let Some(c) = &label.color {
                    body.insert("color".into(), json!(c));
                }
                if let Some(d) = &label.description {
                    body.insert("description".into(), json!(d));
                }
                out.push(Change {
                    repo: repo.to_string(),
                    target,
                    settings: diffs,
                    requests: vec![Request {
                        method: "POST",
                        path: format!("{base}/labels"),
                        body: Some(Value::Object(body)),
                    }],
                    error: None,
                });
            }
            Some(now) => {
                let name = now["name"].as_str().unwrap_or(&label.name).to_string();
                if let Some(c) = &label.color {
                    let have = now.get("color").and_then(Value::as_str).unwrap_or("");
                    let same = have.eq_ignore_ascii_case(c);
                    diffs.push(diff(
                        "color",
                        have.to_string(),
                        c.clone(),
                        if same { have.to_string() } else { c.clone() },
                        &source,
                    ));
                    if !same {
                        body.insert("color".into(), json!(c));
                    }
                }
                if let Some(d) = &label.description {
                    let have = now.get("description").and_then(Value::as_str).unwrap_or("");
                    diffs.push(diff(
                        "description",
                        format!("{have:?}"),
                        format!("{d:?}"),
                        format!("{d:?}"),
                        &source,
                    ));
                    if have != d {
                        body.insert("description".into(), json!(d));
                    }
                }
                let requests = if body.is_empty() {
                    Vec::new()
                } else {
                    vec![Request {
                        method: "PATCH",
                        path: format!("{base}/labels/{}", segment(&name)),
                        body: Some(Value::Object(body)),
                    }]
                };
                out.push(Change {
                    repo: repo.to_string(),
                    target: format!("label `{name}`"),
                    settings: diffs,
                    requests,
                    error: None,
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Environments

pub(super) async fn environment_change(
    client: &Client,
    repo: &RepoId,
    base: &str,
    name: &str,
    wanted: &[EnvironmentSetting],
) -> Change {
    let path = format!("{base}/environments/{}", segment(name));
    let source = format!("GET {path}");
    let target = format!("environment `{name}`");
    let current: Option<Value> = match client.get_json::<Value>(&path).await {
        Ok(value) if value.get("name").is_some() => Some(value),
        Ok(_) => {
            return failed(
                repo.to_string(),
                target,
                format!("GitHub's answer for {source} is not an environment (no `name`)"),
            )
        }
        Err(ApiError::NotFound { .. }) => None,
        Err(e) => {
            return failed(
                repo.to_string(),
                target,
                format!("cannot read the environment: {e}"),
            )
        }
    };
    let rule = |kind: &str| -> Option<&Value> {
        current
            .as_ref()
            .and_then(|c| c.get("protection_rules"))
            .and_then(Value::as_array)
            .and_then(|rules| rules.iter().find(|r| r["type"] == json!(kind)))
    };
    let mut diffs = Vec::new();
    let mut body = Map::new();
    if current.is_none() {
        diffs.push(diff(
            "exists",
            "no".into(),
            "yes".into(),
            "yes".into(),
            &source,
        ));
    }
    // Reviewers are repeated as they are (by type and id), or the PUT would drop them.
    let reviewers = rule("required_reviewers");
    if let Some(list) = reviewers
        .and_then(|r| r.get("reviewers"))
        .and_then(Value::as_array)
    {
        let mut ids = Vec::new();
        for reviewer in list {
            match (reviewer.get("type"), reviewer.get("reviewer").and_then(|r| r.get("id"))) {
                (Some(kind), Some(id)) => ids.push(json!({ "type": kind, "id": id })),
                _ => {
                    return failed(
                        repo.to_string(),
                        target,
                        format!("GitHub's answer for {source} lists a reviewer without `type` or `id`, so warden cannot keep it"),
                    )
                }
            }
        }
        body.insert("reviewers".into(), Value::Array(ids));
    }
    let timer_now = rule("wait_timer")
        .and_then(|r| r.get("wait_timer"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut timer = timer_now;
    let self_review_now = reviewers
        .and_then(|r| r.get("prevent_self_review"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut self_review = self_review_now;
    let policy_now = current
        .as_ref()
        .and_then(|c| c.get("deployment_branch_policy"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut branch_policy = policy_now.clone();
    for setting in wanted {
        match setting {
            EnvironmentSetting::Exists => {}
            EnvironmentSetting::WaitTimer(min) => {
                timer = timer.max(*min);
                diffs.push(diff(
                    "wait_timer",
                    format!("{timer_now} minutes"),
                    format!("at least {min} minutes"),
                    format!("{timer} minutes"),
                    &source,
                ));
                if timer_now >= *min {
                    if let Some(last) = diffs.last_mut() {
                        last.kept = Some("already as the policy asks, or stricter".into());
                    }
                }
            }
            EnvironmentSetting::PreventSelfReview => {
                self_review = true;
                diffs.push(diff(
                    "prevent_self_review",
                    show_bool(Some(self_review_now)),
                    "on".into(),
                    "on".into(),
                    &source,
                ));
            }
            EnvironmentSetting::ProtectedBranchesOnly => {
                branch_policy =
                    json!({ "protected_branches": true, "custom_branch_policies": false });
                let now = match &policy_now {
                    Value::Null => "any branch".to_string(),
                    p if p["protected_branches"] == json!(true) => "protected branches".into(),
                    _ => "custom branch patterns".into(),
                };
                diffs.push(diff(
                    "deployment_branches",
                    now,
                    "protected branches".into(),
                    "protected branches".into(),
                    &source,
                ));
            }
        }
    }
    body.insert("wait_timer".into(), json!(timer));
    if self_review || reviewers.is_some() {
        body.insert("prevent_self_review".into(), json!(self_review));
    }
    body.insert("deployment_branch_policy".into(), branch_policy);
    let write = Request {
        method: "PUT",
        path,
        body: Some(Value::Object(body)),
    };
    planned(&repo.to_string(), target, diffs, write)
}

// ---------------------------------------------------------------------------------------
// Organisation settings

const PERMISSIONS: [&str; 4] = ["none", "read", "write", "admin"];

pub(super) async fn org_change(client: &Client, org: &str, wanted: &[OrgSetting]) -> Change {
    let path = format!("/orgs/{}", segment(org));
    let source = format!("GET {path}");
    let target = format!("organisation `{org}` settings");
    let current: Value = match client.get_json(&path).await {
        Ok(value) => value,
        Err(e) => {
            return failed(
                org.to_string(),
                target,
                format!("cannot read the organisation's settings: {e}"),
            )
        }
    };
    let mut diffs = Vec::new();
    let mut patch = Map::new();
    let mut hidden = Vec::new();
    for setting in wanted {
        let (field, strict): (&str, Value) = match setting {
            OrgSetting::SecretScanningForNewRepositories => {
                ("secret_scanning_enabled_for_new_repositories", json!(true))
            }
            OrgSetting::PushProtectionForNewRepositories => (
                "secret_scanning_push_protection_enabled_for_new_repositories",
                json!(true),
            ),
            OrgSetting::NoPublicRepositoriesByMembers => {
                ("members_can_create_public_repositories", json!(false))
            }
            OrgSetting::WebCommitSignoffRequired => ("web_commit_signoff_required", json!(true)),
            OrgSetting::DefaultRepositoryPermissionAtMost(max) => {
                let Some(now) = current
                    .get("default_repository_permission")
                    .and_then(Value::as_str)
                else {
                    hidden.push("default_repository_permission");
                    continue;
                };
                let rank = |p: &str| PERMISSIONS.iter().position(|x| *x == p);
                let after = match (rank(now), rank(max)) {
                    (Some(a), Some(m)) if a > m => max.clone(),
                    _ => now.to_string(),
                };
                let d = diff(
                    "default_repository_permission",
                    now.to_string(),
                    format!("at most {max}"),
                    after.clone(),
                    &source,
                );
                if d.changes() {
                    patch.insert("default_repository_permission".into(), json!(after));
                }
                diffs.push(d);
                continue;
            }
        };
        match current.get(field).filter(|v| v.is_boolean()) {
            None => hidden.push(field),
            Some(now) => {
                let d = diff(
                    field,
                    now.to_string(),
                    strict.to_string(),
                    strict.to_string(),
                    &source,
                );
                if d.changes() {
                    patch.insert(field.into(), strict);
                }
                diffs.push(d);
            }
        }
    }
    Change {
        repo: org.to_string(),
        target,
        settings: diffs,
        requests: if patch.is_empty() {
            Vec::new()
        } else {
            vec![Request {
                method: "PATCH",
                path,
                body: Some(Value::Object(patch)),
            }]
        },
        error: (!hidden.is_empty()).then(|| {
            format!(
                "GitHub's answer for {source} lacked {} (shown only to organisation owners); those settings are not written",
                hidden.join(", ")
            )
        }),
    }
}
