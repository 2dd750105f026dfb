//! GitHub facts: repository settings, effective branch protection, workflow runs.
//!
//! Gathered once per run, concurrently, through [`client::Client`] (the only network code).
//! Every fact is either known or carries the reason it could not be had: a rule that needs
//! it reports `error` with that reason, never a pass.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

pub mod alerts;
pub mod blob_batches;
pub mod cache;
pub mod client;
pub mod codeowners;
pub mod compare;
pub mod contents;
pub mod deployments;
pub mod environments;
pub mod extended;
pub mod extra_graphql;
pub mod labels;
pub mod org;
pub mod org_alerts;
pub mod org_settings;
pub mod pr;
pub mod protection;
pub mod protection_batches;
pub mod repo_id;

pub use client::{ApiError, ApiStats, Client, ClientConfig};
pub use protection::BranchProtection;
pub use repo_id::RepoId;

/// A fact from GitHub, or why it could not be fetched.
pub type Fetched<T> = Result<T, String>;

/// What GitHub rules need fetched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitHubNeeds {
    pub settings: bool,
    pub vulnerability_alerts: bool,
    pub branches: BTreeSet<String>,
    /// Read who may bypass the rulesets that protect `branches` (for `enforce_admins`).
    pub ruleset_bypass: bool,
    pub runs: bool,
    /// Facts of the newer rule kinds (labels, comparisons, ...).
    pub extra: extended::ExtraNeeds,
}

impl GitHubNeeds {
    pub fn any(&self) -> bool {
        self.settings
            || self.vulnerability_alerts
            || !self.branches.is_empty()
            || self.runs
            || self.extra.any()
    }
}

/// Whether GitHub facts are there for the rules.
#[derive(Clone, Debug)]
pub enum GitHubState {
    /// No rule needs GitHub.
    NotNeeded,
    /// Deliberately not fetched (`--offline`, or no token): rules are `skipped`.
    Skipped(String),
    /// Could not be fetched at all (no repository identity, bad API URL): rules are `error`.
    Unavailable(String),
    Known(Box<GitHubFacts>),
}

#[derive(Clone, Debug)]
pub struct GitHubFacts {
    pub repo: RepoId,
    pub settings: Fetched<RepoSettings>,
    /// Dependabot alerts on? (`GET /repos/{o}/{r}/vulnerability-alerts`: 204 on, 404 off.)
    pub vulnerability_alerts: Option<Fetched<bool>>,
    pub protection: BTreeMap<String, Fetched<BranchProtection>>,
    /// Latest completed runs on the default branch, newest first.
    pub runs: Option<Fetched<Vec<WorkflowRun>>>,
    pub extra: extended::ExtraFacts,
    pub stats: ApiStats,
}

/// `GET /repos/{owner}/{repo}` (the fields warden judges; absent ones need more permission).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct RepoSettings {
    pub full_name: Option<String>,
    pub html_url: Option<String>,
    pub default_branch: Option<String>,
    pub allow_squash_merge: Option<bool>,
    pub allow_merge_commit: Option<bool>,
    pub allow_rebase_merge: Option<bool>,
    pub delete_branch_on_merge: Option<bool>,
    pub security_and_analysis: Option<SecurityAndAnalysis>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct SecurityAndAnalysis {
    pub secret_scanning: Option<Status>,
    pub secret_scanning_push_protection: Option<Status>,
    pub dependabot_security_updates: Option<Status>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub status: String,
}

/// One item of `GET /repos/{owner}/{repo}/actions/runs`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct WorkflowRun {
    pub name: Option<String>,
    pub path: Option<String>,
    pub head_branch: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub event: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub run_started_at: Option<String>,
    pub html_url: Option<String>,
}

#[derive(Deserialize)]
struct RunsPage {
    workflow_runs: Vec<WorkflowRun>,
}

/// The runs of a page. `conclusion` is null until a run completes, but always present: a
/// run without the key is unknown, not a failure (nor a success).
fn runs_of(page: serde_json::Value, path: &str) -> Result<Vec<WorkflowRun>, String> {
    let lacking = page["workflow_runs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|run| run.get("conclusion").is_none() || run.get("status").is_none());
    if let Some(run) = lacking {
        return Err(format!(
            "GitHub's answer for {path} lacked `status` or `conclusion` for run {}",
            run["id"]
        ));
    }
    serde_json::from_value::<RunsPage>(page)
        .map(|page| page.workflow_runs)
        .map_err(|e| format!("GitHub's answer for {path} is not a list of workflow runs: {e}"))
}

/// Fetch what `needs` asks for, concurrently, on a small runtime of its own.
pub fn gather(
    config: ClientConfig,
    repo: &RepoId,
    needs: &GitHubNeeds,
) -> Result<GitHubFacts, ApiError> {
    with_client(config, async |client| {
        gather_with(client, repo, needs).await
    })
    .map(|(facts, _)| facts)
}

/// Run async API work with a client on a small runtime of its own, from synchronous code.
/// Returns the work's result and what it cost.
pub fn with_client<T>(
    config: ClientConfig,
    work: impl AsyncFnOnce(&Client) -> T,
) -> Result<(T, ApiStats), ApiError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ApiError::Transport {
            base: config.api_url.clone(),
            message: format!("cannot start the HTTP runtime: {e}"),
        })?;
    runtime.block_on(async {
        // The client spawns its connection workers, so it is built inside the runtime.
        let client = Client::new(config)?;
        let result = work(&client).await;
        Ok((result, client.stats()))
    })
}

/// Fetch what `needs` asks for about `repo` with an existing client (org sweeps share one).
/// `stats` are the client's totals so far.
pub async fn gather_with(client: &Client, repo: &RepoId, needs: &GitHubNeeds) -> GitHubFacts {
    let base = format!("/repos/{}/{}", repo.owner, repo.name);
    let settings_and_runs = async {
        let settings: Fetched<RepoSettings> = client
            .get_json(&base)
            .await
            .map_err(|e| e.to_string())
            .and_then(|s: RepoSettings| s.checked(&base));
        let runs = if needs.runs {
            Some(match &settings {
                // Never a guessed branch: the runs of `main` say nothing about `master`.
                Ok(RepoSettings {
                    default_branch: None,
                    ..
                }) => Err(format!(
                    "GitHub's answer for {base} lacked `default_branch`"
                )),
                Ok(s) => {
                    let branch = s.default_branch.clone().unwrap_or_default();
                    let path = format!(
                        "{base}/actions/runs?branch={}&status=completed&exclude_pull_requests=true&per_page=100",
                        encode(&branch)
                    );
                    match client.get_json::<serde_json::Value>(&path).await {
                        Ok(page) => runs_of(page, &path),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(format!("the default branch is unknown: {e}")),
            })
        } else {
            None
        };
        (settings, runs)
    };
    let alerts = async {
        if !needs.vulnerability_alerts {
            return None;
        }
        Some(vulnerability_alerts(client, &base).await)
    };
    let branches = futures_util::future::join_all(needs.branches.iter().map(|branch| {
        let base = base.clone();
        async move {
            (
                branch.clone(),
                branch_protection(client, &base, branch, needs.ruleset_bypass).await,
            )
        }
    }));
    let extra = extended::gather(client, repo, &needs.extra);
    let ((settings, runs), vulnerability_alerts, protection, extra) =
        tokio::join!(settings_and_runs, alerts, branches, extra);
    GitHubFacts {
        repo: repo.clone(),
        settings,
        vulnerability_alerts,
        protection: protection.into_iter().collect(),
        runs,
        extra,
        stats: client.stats(),
    }
}

impl RepoSettings {
    /// `full_name` is in every repository object GitHub sends (schemas `full-repository`
    /// and `minimal-repository` require it): an answer without it (`{}`, a bare
    /// `{"message": ...}`) is not a repository, and none of its fields can be believed.
    fn checked(self, path: &str) -> Fetched<RepoSettings> {
        match self.full_name {
            Some(_) => Ok(self),
            None => Err(format!(
                "GitHub's answer for {path} lacked `full_name`: it is not a repository"
            )),
        }
    }
}

/// `GET .../vulnerability-alerts`: GitHub documents exactly two answers, 204 (on) and 404
/// (off). Anything else (a 200 with a body, a login page) says neither.
pub(crate) async fn vulnerability_alerts(client: &Client, base: &str) -> Fetched<bool> {
    let path = format!("{base}/vulnerability-alerts");
    match client.get(&path).await {
        Ok(response) if response.status == 204 => Ok(true),
        Ok(response) => Err(format!(
            "GitHub answered {} for {path}, which is neither 204 (on) nor 404 (off)",
            response.status
        )),
        Err(ApiError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

async fn branch_protection(
    client: &Client,
    base: &str,
    branch: &str,
    bypass: bool,
) -> Fetched<BranchProtection> {
    let (classic, rules) = tokio::join!(
        classic_protection(client, base, branch),
        branch_rules(client, base, branch)
    );
    let rules = rules?;
    let bypass = if bypass {
        ruleset_bypass(client, base, &rules).await
    } else {
        BTreeMap::new()
    };
    Ok(BranchProtection {
        classic: classic?,
        rules,
        bypass,
    })
}

/// The ids of the rulesets whose rules protect a branch, each once.
pub(crate) fn protecting_rulesets(rules: &[protection::BranchRule]) -> BTreeSet<i64> {
    rules
        .iter()
        .filter(|r| r.protects())
        .filter_map(|r| r.ruleset_id)
        .collect()
}

/// `GET .../rulesets/{id}` for each ruleset protecting the branch: who may bypass it.
/// The repository endpoint also answers for organisation rulesets (`includes_parents`
/// defaults to true).
pub(crate) async fn ruleset_bypass(
    client: &Client,
    base: &str,
    rules: &[protection::BranchRule],
) -> BTreeMap<i64, Fetched<Vec<protection::BypassActor>>> {
    let ids = protecting_rulesets(rules);
    let answers = futures_util::future::join_all(ids.into_iter().map(|id| async move {
        let path = format!("{base}/rulesets/{id}");
        let actors = match client.get_json::<protection::RulesetDetail>(&path).await {
            Ok(detail) => detail.bypass_actors.ok_or_else(|| {
                format!(
                    "GitHub's answer for {path} lacked `bypass_actors` (GitHub shows it only to a token with write access to the ruleset)"
                )
            }),
            Err(e) => Err(e.to_string()),
        };
        (id, actors)
    }))
    .await;
    answers.into_iter().collect()
}

/// `GET .../branches/{branch}/protection`; `None` when GitHub says "Branch not protected".
async fn classic_protection(
    client: &Client,
    base: &str,
    branch: &str,
) -> Fetched<Option<protection::ClassicProtection>> {
    let path = format!("{base}/branches/{}/protection", encode(branch));
    match client
        .get_json::<protection::ClassicProtection>(&path)
        .await
    {
        Ok(classic) if classic.url.is_none() => Err(format!(
            "GitHub's answer for {path} lacked `url`: it is not a branch protection"
        )),
        Ok(classic) => Ok(Some(classic)),
        // GitHub's way of saying "no classic protection": a gap, not an error.
        Err(ApiError::NotFound { message, .. }) if message.contains("not protected") => Ok(None),
        Err(ApiError::NotFound { .. }) => Err(format!(
            "branch `{branch}` was not found, or the token cannot see the repository (404)"
        )),
        Err(ApiError::Forbidden {
            path,
            message,
            permission,
        }) => Err(ApiError::Forbidden {
            path,
            message,
            permission: permission.or_else(|| Some("administration: read".to_string())),
        }
        .to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// `GET .../rules/branches/{branch}`: every rule an active ruleset (of the repository or
/// its organisation) applies to the branch.
async fn branch_rules(
    client: &Client,
    base: &str,
    branch: &str,
) -> Fetched<Vec<protection::BranchRule>> {
    let path = format!("{base}/rules/branches/{}?per_page=100", encode(branch));
    let (rules, truncated) = client
        .get_pages::<protection::BranchRule>(&path, 10)
        .await
        .map_err(|e| e.to_string())?;
    if truncated {
        return Err(format!(
            "more than 1,000 ruleset rules apply to `{branch}`; not all were read"
        ));
    }
    Ok(rules)
}

/// Percent-encode a path or query value, keeping `/` (branch names and refs may hold it,
/// and GitHub accepts it as is).
pub(crate) fn encode(text: &str) -> String {
    percent_encode(text, true)
}

/// Percent-encode one path segment, `/` included (label and environment names).
pub(crate) fn encode_segment(text: &str) -> String {
    percent_encode(text, false)
}

fn percent_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
