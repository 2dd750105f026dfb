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

mod protection;
mod render;
mod ruleset;
mod settings;

use protection::protection_change;
pub use render::{render_applied, render_plan, render_remaining};
use ruleset::ruleset_change;
pub use ruleset::ruleset_name;
use settings::{environment_change, label_changes, org_change, settings_change};

use std::collections::BTreeMap;
use std::io::Write;

use futures_util::StreamExt;
use serde_json::Value;

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
        judged.sort_by_key(|(repo, _)| repo.to_string());
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
    let mut rulesets: BTreeMap<String, Vec<ProtectionSetting>> = BTreeMap::new();
    let mut settings: Vec<RepoSetting> = Vec::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    let mut environments: BTreeMap<String, Vec<EnvironmentSetting>> = BTreeMap::new();
    for fix in fixes {
        match fix {
            GitHubFix::BranchProtection { branch, wanted } => {
                add_all(branches.entry(branch.clone()).or_default(), wanted)
            }
            GitHubFix::BranchRuleset { branch, wanted } => {
                add_all(rulesets.entry(branch.clone()).or_default(), wanted)
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
    for (branch, wanted) in &rulesets {
        out.push(ruleset_change(client, repo, &base, branch, wanted).await);
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

/// A target's change: `write` is sent only when a setting really moves.
fn planned(repo: &str, target: String, settings: Vec<SettingDiff>, write: Request) -> Change {
    let requests = if settings.iter().any(SettingDiff::changes) {
        vec![write]
    } else {
        Vec::new()
    };
    Change {
        repo: repo.to_string(),
        target,
        settings,
        requests,
        error: None,
    }
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
