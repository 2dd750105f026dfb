//! `warden apply`: close GitHub-side gaps through the API, like `terraform plan` / `apply`.
//!
//! Three phases, each with a client of its own:
//! 1. [`plan`]: gather the GitHub facts of every repository, judge them with the policy's
//!    GitHub rules, and collect the fixes their gaps carry (waived gaps are left alone).
//!    For each repository with fixes, read the current state of each thing to change
//!    (the raw API answer, which holds more than the facts: push restrictions, reviewer
//!    ids) and build the request from it: the current state with only the settings the
//!    policy names moved toward the policy. A setting already stricter than asked is kept
//!    and said so; a state that could not be read is an error and no request.
//! 2. [`execute`]: read the state again right before writing (someone may have changed it
//!    since the plan), rebuild the requests the same way, send them, and log each to the
//!    audit log. A 403/404 on a write names the permission the token lacks.
//! 3. [`recheck`]: gather and judge again, and say which gaps remain.
//!
//! Nothing here decides what the policy wants: the rules did, in their fixes.

use std::collections::BTreeMap;
use std::io::Write;

use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use crate::engine::{self, FailOn, Mode, RunContext};
use crate::facts::{Facts, FileSource, Needs};
use crate::fix::github::{EnvironmentSetting, Label, OrgSetting, ProtectionSetting, RepoSetting};
use crate::fix::{Fix, GitHubFix};
use crate::github::org::{self as remote, Counter};
use crate::github::{self, ApiError, Client, ClientConfig, GitHubState, RepoId};
use crate::model::Evaluation;
use crate::policy::Policy;
use crate::rules::Scope;

/// Which repositories to apply to.
#[derive(Clone, Debug)]
pub enum Target {
    Repo(RepoId),
    /// Every repository of the organisation that is neither archived nor a fork.
    Org(String),
    Repos(Vec<RepoId>),
}

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub target: Target,
    /// Repositories read (and written) at once.
    pub concurrency: usize,
    pub now: jiff::Timestamp,
}

/// Why there is no plan at all.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("cannot list the repositories of `{org}`: {source}")]
    Listing { org: String, source: ApiError },
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// One request to GitHub.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// One setting: what it is, what the policy wants, what will be written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SettingDiff {
    pub setting: String,
    pub current: String,
    pub wanted: String,
    /// The value after the change (`current` when it is kept).
    pub after: String,
    /// Which API answer `current` comes from.
    pub source: String,
    /// Why the current value is kept, when it is (already stricter, or already as asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
}

impl SettingDiff {
    pub fn changes(&self) -> bool {
        self.kept.is_none()
    }
}

/// One thing to change in one repository (or organisation): a branch's protection, the
/// repository settings, a label, an environment, the organisation settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    /// `OWNER/NAME`, or the organisation's login for organisation settings.
    pub repo: String,
    /// What is changed, e.g. "branch `main` protection".
    pub target: String,
    pub settings: Vec<SettingDiff>,
    /// The writes, in order; empty when nothing needs writing.
    pub requests: Vec<Request>,
    /// Why nothing will be written for this target (its state could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything `warden apply` would do.
#[derive(Debug, Default, serde::Serialize)]
pub struct Plan {
    pub repositories: usize,
    pub changes: Vec<Change>,
    /// Repositories whose facts could not be judged, with why (no fix is planned there).
    pub errors: Vec<(String, String)>,
    /// The fixes each repository's gaps carry, kept for [`execute`].
    #[serde(skip)]
    fixes: Vec<(RepoId, Vec<GitHubFix>)>,
    /// Requests the plan cost.
    pub requests: u64,
}

impl Plan {
    /// Writes the plan would make.
    pub fn writes(&self) -> usize {
        self.changes.iter().map(|c| c.requests.len()).sum()
    }

    pub fn repositories_with_writes(&self) -> Vec<RepoId> {
        self.fixes
            .iter()
            .filter(|(id, _)| {
                let name = id.to_string();
                self.changes
                    .iter()
                    .any(|c| (c.repo == name || c.repo == id.owner) && !c.requests.is_empty())
            })
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// The GitHub rules of the policy and what they need.
fn github_needs(policy: &Policy) -> Needs {
    let mut needs = Needs::default();
    for rule in policy
        .rules
        .iter()
        .filter(|r| r.kind.scope == Scope::GitHub)
    {
        rule.rule.needs(&mut needs);
    }
    needs
}

/// The repositories of the target (an organisation's, without archived ones and forks:
/// an archived repository cannot be written, a fork follows its parent).
async fn repositories(
    client: &Client,
    api_url: &str,
    target: &Target,
) -> Result<Vec<RepoId>, ApplyError> {
    Ok(match target {
        Target::Repo(id) => vec![id.clone()],
        Target::Repos(ids) => ids.clone(),
        Target::Org(org) => remote::list_org(client, api_url, org, &Counter::default())
            .await
            .map_err(|source| ApplyError::Listing {
                org: org.clone(),
                source,
            })?
            .into_iter()
            .filter(|r| !r.archived && !r.fork)
            .map(|r| r.id)
            .collect(),
    })
}

/// The outcome of judging one repository: its GitHub fixes (of gaps that are not waived),
/// the gaps without a fix, and the rules that could not decide.
#[derive(Debug, Default)]
pub struct Judged {
    pub fixes: Vec<GitHubFix>,
    /// `rule: message` of gaps no fix closes.
    pub unfixable: Vec<String>,
    /// `rule: reason` of GitHub rules that are `error`.
    pub errors: Vec<String>,
    /// `rule: message` of every gap with a fix.
    pub fixable: Vec<String>,
}

async fn judge(
    client: &Client,
    policy: &Policy,
    needs: &Needs,
    repo: &RepoId,
    now: jiff::Timestamp,
) -> Judged {
    let facts = github::gather_with(client, repo, &needs.github).await;
    let mut all = Facts::from_entries(repo.to_string().into(), FileSource::Tree, Vec::new(), now);
    all.github = GitHubState::Known(Box::new(facts));
    let evaluations = engine::evaluate(policy, &all, false);
    // The report says which gaps are waived; its findings are in the rules' order.
    let ctx = RunContext {
        root: repo.to_string(),
        mode: Mode::Check,
        now,
        fail_on: FailOn::Deny,
    };
    let report = engine::collect(policy, evaluations.clone(), &ctx);
    let mut judged = Judged::default();
    for ((rule, evaluation), outcome) in policy.rules.iter().zip(evaluations).zip(&report.rules) {
        if rule.kind.scope != Scope::GitHub {
            continue;
        }
        match evaluation {
            Evaluation::Checked(findings) => {
                for (finding, reported) in findings.into_iter().zip(&outcome.findings) {
                    if reported.waived.is_some() {
                        continue;
                    }
                    let line = format!("{}: {}", rule.id, finding.message);
                    match finding.fix.map(|f| *f) {
                        Some(Fix::GitHub(fix)) => {
                            judged.fixable.push(line);
                            judged.fixes.push(fix);
                        }
                        _ => judged.unfixable.push(line),
                    }
                }
            }
            Evaluation::Error(reason) => judged.errors.push(format!("{}: {reason}", rule.id)),
            Evaluation::Skipped(_) => {}
        }
    }
    judged
}

/// Gather, judge, read the current state and plan every change.
pub fn plan(
    policy: &Policy,
    config: ClientConfig,
    options: &ApplyOptions,
) -> Result<Plan, ApplyError> {
    let api_url = config.api_url.clone();
    let needs = github_needs(policy);
    let (result, stats) = github::with_client(config, async |client| {
        let repos = repositories(client, &api_url, &options.target).await?;
        let count = repos.len();
        let mut judged: Vec<(RepoId, Judged)> = futures_util::stream::iter(repos)
            .map(|repo| {
                let needs = &needs;
                async move {
                    let judged = judge(client, policy, needs, &repo, options.now).await;
                    (repo, judged)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        judged.sort_by(|a, b| a.0.to_string().cmp(&b.0.to_string()));
        let mut plan = Plan {
            repositories: count,
            ..Plan::default()
        };
        for (repo, judged) in &mut judged {
            for error in &judged.errors {
                plan.errors.push((repo.to_string(), error.clone()));
            }
            if !judged.fixes.is_empty() {
                plan.fixes
                    .push((repo.clone(), std::mem::take(&mut judged.fixes)));
            }
        }
        plan.changes = changes_of(client, &plan.fixes, options.concurrency).await;
        Ok::<_, ApplyError>(plan)
    })?;
    let mut plan = result?;
    plan.requests = stats.requests;
    Ok(plan)
}

/// Read the current state for every fix and build the changes, repositories at once.
async fn changes_of(
    client: &Client,
    fixes: &[(RepoId, Vec<GitHubFix>)],
    concurrency: usize,
) -> Vec<Change> {
    // Organisation settings: once per organisation, whichever repositories asked.
    let mut org_fixes: BTreeMap<String, Vec<OrgSetting>> = BTreeMap::new();
    for (repo, list) in fixes {
        for fix in list {
            if let GitHubFix::OrgSettings(settings) = fix {
                let entry = org_fixes.entry(repo.owner.clone()).or_default();
                for s in settings {
                    if !entry.contains(s) {
                        entry.push(s.clone());
                    }
                }
            }
        }
    }
    let mut changes: Vec<Vec<Change>> = futures_util::stream::iter(fixes)
        .map(|(repo, list)| repo_changes(client, repo, list))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    for (org, settings) in org_fixes {
        changes.push(vec![org_change(client, &org, &settings).await]);
    }
    changes.into_iter().flatten().collect()
}

async fn repo_changes(client: &Client, repo: &RepoId, fixes: &[GitHubFix]) -> Vec<Change> {
    let mut branches: BTreeMap<String, Vec<ProtectionSetting>> = BTreeMap::new();
    let mut settings: Vec<RepoSetting> = Vec::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    let mut environments: BTreeMap<String, Vec<EnvironmentSetting>> = BTreeMap::new();
    for fix in fixes {
        match fix {
            GitHubFix::BranchProtection { branch, wanted } => {
                add_all(branches.entry(branch.clone()).or_default(), wanted)
            }
            GitHubFix::RepoSettings(wanted) => add_all(&mut settings, wanted),
            GitHubFix::CreateLabels(list) => {
                for label in list {
                    merge_label(&mut labels, label);
                }
            }
            GitHubFix::UpdateLabel(label) => merge_label(&mut labels, label),
            GitHubFix::Environment { name, wanted } => {
                add_all(environments.entry(name.clone()).or_default(), wanted)
            }
            GitHubFix::OrgSettings(_) => {}
        }
    }
    let base = format!("/repos/{}/{}", repo.owner, repo.name);
    let mut out = Vec::new();
    for (branch, wanted) in &branches {
        out.push(protection_change(client, repo, &base, branch, wanted).await);
    }
    if !settings.is_empty() {
        out.push(settings_change(client, repo, &base, &settings).await);
    }
    if !labels.is_empty() {
        out.extend(label_changes(client, repo, &base, &labels).await);
    }
    for (name, wanted) in &environments {
        out.push(environment_change(client, repo, &base, name, wanted).await);
    }
    out
}

fn add_all<T: Clone + PartialEq>(into: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

/// Labels by lower-case name; a create and an update of one label become one wish.
fn merge_label(labels: &mut BTreeMap<String, Label>, label: &Label) {
    let entry = labels
        .entry(label.name.to_lowercase())
        .or_insert_with(|| Label {
            name: label.name.clone(),
            color: None,
            description: None,
        });
    if label.color.is_some() {
        entry.color = label.color.clone();
    }
    if label.description.is_some() {
        entry.description = label.description.clone();
    }
}

/// Percent-encode one path segment (also `/`: label and environment names are one segment).
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A branch name in a path: GitHub takes its `/` as they are.
fn branch_path(branch: &str) -> String {
    branch.split('/').map(segment).collect::<Vec<_>>().join("/")
}

fn failed(repo: String, target: String, error: String) -> Change {
    Change {
        repo,
        target,
        settings: Vec::new(),
        requests: Vec::new(),
        error: Some(error),
    }
}

fn show_bool(value: Option<bool>) -> String {
    match value {
        Some(true) => "on".to_string(),
        Some(false) => "off".to_string(),
        None => "not configured".to_string(),
    }
}

fn diff(
    setting: &str,
    current: String,
    wanted: String,
    after: String,
    source: &str,
) -> SettingDiff {
    let kept = (current == after).then(|| {
        if current == wanted {
            "already as the policy asks".to_string()
        } else {
            "stricter than the policy asks, kept".to_string()
        }
    });
    SettingDiff {
        setting: setting.to_string(),
        current,
        wanted,
        after,
        source: source.to_string(),
        kept,
    }
}

// ---------------------------------------------------------------------------------------
// Branch protection (classic)

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

async fn protection_change(
    client: &Client,
    repo: &RepoId,
    base: &str,
    branch: &str,
    wanted: &[ProtectionSetting],
) -> Change {
    let path = format!("{base}/branches/{}/protection", branch_path(branch));
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

// ---------------------------------------------------------------------------------------
// Repository settings

async fn settings_change(
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

async fn label_changes(
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

async fn environment_change(
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
    let requests = if diffs.iter().any(SettingDiff::changes) {
        vec![Request {
            method: "PUT",
            path,
            body: Some(Value::Object(body)),
        }]
    } else {
        Vec::new()
    };
    Change {
        repo: repo.to_string(),
        target,
        settings: diffs,
        requests,
        error: None,
    }
}

// ---------------------------------------------------------------------------------------
// Organisation settings

const PERMISSIONS: [&str; 4] = ["none", "read", "write", "admin"];

async fn org_change(client: &Client, org: &str, wanted: &[OrgSetting]) -> Change {
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

// ---------------------------------------------------------------------------------------
// Executing

/// What one write did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    pub repo: String,
    pub target: String,
    pub method: &'static str,
    pub path: String,
    /// HTTP status, when GitHub answered.
    pub status: Option<u16>,
    /// Why it failed (naming the permission the token lacks, for a 403/404).
    pub error: Option<String>,
}

/// One line of the audit log.
#[derive(serde::Serialize)]
struct AuditLine<'a> {
    time: String,
    repo: &'a str,
    target: &'a str,
    setting: Vec<&'a str>,
    before: BTreeMap<&'a str, &'a str>,
    after: BTreeMap<&'a str, &'a str>,
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// What the apply did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    /// The changes as rebuilt from the state read right before writing.
    pub changes: Vec<Change>,
    pub writes: Vec<Written>,
    pub requests: u64,
}

impl Applied {
    pub fn failed(&self) -> usize {
        self.writes.iter().filter(|w| w.error.is_some()).count()
    }
}

/// The permission a write needs, for when GitHub does not say.
fn permission_of(method: &str, path: &str) -> &'static str {
    use crate::github::client::Endpoint;
    match Endpoint::classify(method, path) {
        Some(Endpoint::CreateLabel | Endpoint::UpdateLabel) => "issues: write",
        Some(Endpoint::UpdateOrg) => {
            "organization_administration: write (an organisation owner's token)"
        }
        _ => "administration: write",
    }
}

/// Read the current state again, rebuild the changes, and make the writes, logging each
/// to `audit` (JSON lines). A write that fails stops the further writes of its target.
pub fn execute(
    plan: &Plan,
    config: ClientConfig,
    concurrency: usize,
    audit: &mut dyn Write,
) -> Result<Applied, ApplyError> {
    let (result, stats) = github::with_client(config, async |client| {
        let changes = changes_of(client, &plan.fixes, concurrency).await;
        let writes: Vec<Vec<Written>> = futures_util::stream::iter(&changes)
            .map(|change| async move {
                let mut done = Vec::new();
                for request in &change.requests {
                    let written = send(client, change, request).await;
                    let stop = written.error.is_some();
                    done.push(written);
                    if stop {
                        break;
                    }
                }
                done
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        (changes, writes)
    })?;
    let (changes, writes) = result;
    let mut applied = Applied {
        requests: stats.requests,
        ..Applied::default()
    };
    for (change, done) in changes.iter().zip(writes) {
        for written in done {
            let request = change
                .requests
                .iter()
                .find(|r| r.path == written.path && r.method == written.method);
            let moving: Vec<&SettingDiff> =
                change.settings.iter().filter(|d| d.changes()).collect();
            let line = AuditLine {
                time: jiff::Timestamp::now().to_string(),
                repo: &change.repo,
                target: &change.target,
                setting: moving.iter().map(|d| d.setting.as_str()).collect(),
                before: moving
                    .iter()
                    .map(|d| (d.setting.as_str(), d.current.as_str()))
                    .collect(),
                after: moving
                    .iter()
                    .map(|d| (d.setting.as_str(), d.after.as_str()))
                    .collect(),
                method: written.method,
                path: &written.path,
                body: request.and_then(|r| r.body.as_ref()),
                status: written.status,
                error: written.error.as_deref(),
            };
            let text = serde_json::to_string(&line).expect("an audit line is always JSON");
            writeln!(audit, "{text}").map_err(|e| ApiError::Transport {
                base: "the audit log".to_string(),
                message: e.to_string(),
            })?;
            applied.writes.push(written);
        }
    }
    let _ = audit.flush();
    applied.changes = changes;
    Ok(applied)
}

async fn send(client: &Client, change: &Change, request: &Request) -> Written {
    let method = match request.method {
        "PUT" => http::Method::PUT,
        "POST" => http::Method::POST,
        _ => http::Method::PATCH,
    };
    let outcome = client
        .write(method, &request.path, request.body.as_ref())
        .await;
    let (status, error) = match outcome {
        Ok(response) => (Some(response.status), None),
        Err(ApiError::Forbidden {
            message,
            permission,
            ..
        }) => (
            Some(403),
            Some(format!(
                "GitHub refused it (403: {message}); the token lacks the permission `{}`",
                permission.unwrap_or_else(|| permission_of(request.method, &request.path).to_string())
            )),
        ),
        // GitHub answers 404 to a write the token may not make on a repository it can read.
        Err(ApiError::NotFound { message, .. }) => (
            Some(404),
            Some(format!(
                "GitHub answered 404 ({message}): the token lacks the permission `{}`, or the target is gone",
                permission_of(request.method, &request.path)
            )),
        ),
        Err(ApiError::Unexpected {
            status, message, ..
        }) => (Some(status), Some(format!("GitHub answered {status}: {message}"))),
        Err(ApiError::Server { status, .. }) => (
            Some(status),
            Some(format!(
                "GitHub answered {status}; a write is not retried (it may have happened): run `warden apply` again to see"
            )),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    Written {
        repo: change.repo.clone(),
        target: change.target.clone(),
        method: request.method,
        path: request.path.clone(),
        status,
        error,
    }
}

// ---------------------------------------------------------------------------------------
// Re-checking

/// The gaps of one repository after the apply.
#[derive(Debug, serde::Serialize)]
pub struct Remaining {
    pub repo: String,
    /// Gaps a fix would close: the apply did not close them.
    pub fixable: Vec<String>,
    /// Gaps no fix closes (they need a person).
    pub unfixable: Vec<String>,
    /// GitHub rules that could not decide.
    pub errors: Vec<String>,
}

/// Gather and judge `repos` again.
pub fn recheck(
    policy: &Policy,
    config: ClientConfig,
    repos: &[RepoId],
    concurrency: usize,
    now: jiff::Timestamp,
) -> Result<Vec<Remaining>, ApplyError> {
    let needs = github_needs(policy);
    let (mut remaining, _) = github::with_client(config, async |client| {
        futures_util::stream::iter(repos)
            .map(|repo| {
                let needs = &needs;
                async move {
                    let judged = judge(client, policy, needs, repo, now).await;
                    Remaining {
                        repo: repo.to_string(),
                        fixable: judged.fixable,
                        unfixable: judged.unfixable,
                        errors: judged.errors,
                    }
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect::<Vec<_>>()
            .await
    })?;
    remaining.sort_by(|a, b| a.repo.cmp(&b.repo));
    Ok(remaining)
}

// ---------------------------------------------------------------------------------------
// Rendering

/// The plan as text, `terraform plan` style.
pub fn render_plan(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    let mut last = "";
    for change in &plan.changes {
        if change.repo != last {
            writeln!(out, "\n{}", change.repo)?;
            last = &change.repo;
        }
        let mark = if change.error.is_some() && change.requests.is_empty() {
            "!"
        } else if change.requests.is_empty() {
            "="
        } else if change
            .settings
            .first()
            .is_some_and(|d| (d.setting == "exists" || d.setting == "protected") && d.changes())
        {
            "+"
        } else {
            "~"
        };
        writeln!(out, "  {mark} {}", change.target)?;
        for d in &change.settings {
            match &d.kept {
                None => writeln!(
                    out,
                    "      {}: {} → {}   (now: {})",
                    d.setting, d.current, d.after, d.source
                )?,
                Some(why) => writeln!(
                    out,
                    "      {}: {} ({why}; the policy asks {})",
                    d.setting, d.current, d.wanted
                )?,
            }
        }
        for r in &change.requests {
            writeln!(out, "      will send {} {}", r.method, r.path)?;
        }
        if let Some(error) = &change.error {
            writeln!(out, "      error: {error}; nothing is written for it")?;
        }
    }
    for (repo, error) in &plan.errors {
        writeln!(out, "\n{repo}\n  ! {error}")?;
    }
    let targets = plan
        .changes
        .iter()
        .filter(|c| !c.requests.is_empty())
        .count();
    let errors = plan.changes.iter().filter(|c| c.error.is_some()).count() + plan.errors.len();
    writeln!(
        out,
        "\nPlan: {} write(s) to {} target(s) in {} repositories checked; {} error(s); {} requests to read.",
        plan.writes(),
        targets,
        plan.repositories,
        errors,
        plan.requests
    )
}

pub fn render_applied(applied: &Applied, out: &mut dyn Write) -> std::io::Result<()> {
    for w in &applied.writes {
        match &w.error {
            None => writeln!(
                out,
                "{}: {}: {} {} → {}",
                w.repo,
                w.target,
                w.method,
                w.path,
                w.status.unwrap_or_default()
            )?,
            Some(e) => writeln!(
                out,
                "{}: {}: {} {} failed: {e}",
                w.repo, w.target, w.method, w.path
            )?,
        }
    }
    Ok(())
}

pub fn render_remaining(remaining: &[Remaining], out: &mut dyn Write) -> std::io::Result<()> {
    let mut open = 0;
    for r in remaining {
        for gap in &r.fixable {
            open += 1;
            writeln!(out, "{}: still open: {gap}", r.repo)?;
        }
        for gap in &r.unfixable {
            writeln!(out, "{}: needs a person: {gap}", r.repo)?;
        }
        for e in &r.errors {
            writeln!(out, "{}: could not re-check: {e}", r.repo)?;
        }
    }
    if open == 0 {
        writeln!(
            out,
            "Re-check: every gap warden applied a fix for is closed."
        )?;
    } else {
        writeln!(out, "Re-check: {open} fixable gap(s) remain open.")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
