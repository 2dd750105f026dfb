//! GitHub facts for the rule kinds of issue 12 (labels, branch comparisons, environments,
//! alerts, CODEOWNERS errors, deployments), gathered next to the core facts of
//! [`super::gather_with`] and of org sweeps through one hook each, so the core gatherers
//! stay small. Each fact is known or carries why not; each fetch counts its requests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::alerts::{self, AlertKind};
use super::org_alerts::OrgAlerts;
use super::{
    codeowners, compare, deployments, environments, extra_graphql, labels, org_settings, Client,
    Fetched, RepoId,
};

/// What the newer rule kinds need fetched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraNeeds {
    /// The repository's labels (`repo-labels`).
    pub labels: bool,
    /// `(base, head)`: the commits of `head` that `base` lacks (`branch-contains`).
    pub compare: BTreeSet<(String, String)>,
    /// Environments by name, and how much of each (`environment-protection`).
    pub environments: BTreeMap<String, environments::EnvironmentNeed>,
    /// Open alerts of these kinds (`security-alerts`).
    pub alerts: BTreeSet<AlertKind>,
    /// GitHub's CODEOWNERS errors (`codeowners` with `github_errors`).
    pub codeowners_errors: bool,
    /// The owner organisation's settings (`org-settings`), read once per organisation.
    pub org: bool,
    pub org_cache: org_settings::OrgCache,
    /// Recent deployments to these environments (`deploy-window`).
    pub deployments: BTreeSet<String>,
    /// A local checkout to answer comparisons from when both branches are there (set by
    /// the runner for `warden check`; org sweeps have none).
    pub local: Option<PathBuf>,
}

impl ExtraNeeds {
    pub fn any(&self) -> bool {
        self.labels
            || !self.compare.is_empty()
            || !self.environments.is_empty()
            || !self.alerts.is_empty()
            || self.codeowners_errors
            || self.org
            || !self.deployments.is_empty()
    }
}

/// The facts [`ExtraNeeds`] asked for; `None` where nothing was asked.
#[derive(Clone, Debug, Default)]
pub struct ExtraFacts {
    pub labels: Option<Fetched<Vec<labels::Label>>>,
    pub compare: BTreeMap<(String, String), Fetched<compare::Comparison>>,
    /// `Ok(None)`: the environment does not exist.
    pub environments: BTreeMap<String, Fetched<Option<environments::Environment>>>,
    pub alerts: BTreeMap<AlertKind, Fetched<alerts::Alerts>>,
    /// `Ok(None)`: GitHub finds no CODEOWNERS file.
    pub codeowners_errors: Option<Fetched<Option<Vec<codeowners::CodeownersError>>>>,
    pub org: Option<Fetched<org_settings::OrgSettings>>,
    pub deployments: BTreeMap<String, Fetched<Vec<deployments::Deployment>>>,
    /// Requests these facts cost the repository (for org sweep cost accounting).
    pub requests: u64,
    /// Requests for facts of the whole organisation (its settings) this repository was
    /// the first to ask for: an org sweep charges them to the organisation, not the row.
    pub org_requests: u64,
}

/// Fetch what `needs` asks for about `repo`, concurrently.
pub async fn gather(client: &Client, repo: &RepoId, needs: &ExtraNeeds) -> ExtraFacts {
    if !needs.any() {
        return ExtraFacts::default();
    }
    let base = format!("/repos/{}/{}", repo.owner, repo.name);
    let labels = async {
        if needs.labels {
            Some(labels::fetch(client, &base).await)
        } else {
            None
        }
    };
    let compare = futures_util::future::join_all(needs.compare.iter().map(|(b, h)| {
        let base = base.clone();
        let local = needs.local.clone();
        async move {
            let found = compare::compare(client, local.as_deref(), &base, b, h).await;
            ((b.clone(), h.clone()), found)
        }
    }));
    let envs = futures_util::future::join_all(needs.environments.iter().map(|(name, need)| {
        let base = base.clone();
        async move {
            let found = environments::fetch(client, &base, name, *need).await;
            (name.clone(), found)
        }
    }));
    let open_alerts = futures_util::future::join_all(needs.alerts.iter().map(|kind| {
        let base = base.clone();
        async move { (*kind, alerts::fetch(client, &base, *kind).await) }
    }));
    let owners = async {
        if needs.codeowners_errors {
            Some(codeowners::fetch(client, &base).await)
        } else {
            None
        }
    };
    let org = async {
        if needs.org {
            Some(org_settings::fetch(client, &needs.org_cache, &repo.owner).await)
        } else {
            None
        }
    };
    let deploys = futures_util::future::join_all(needs.deployments.iter().map(|env| {
        let base = base.clone();
        async move { (env.clone(), deployments::fetch(client, &base, env).await) }
    }));
    let (labels, compare, envs, open_alerts, owners, org, deploys) =
        tokio::join!(labels, compare, envs, open_alerts, owners, org, deploys);
    let mut requests = 0;
    let codeowners_errors = owners.map(|(fetched, cost)| {
        requests += cost;
        fetched
    });
    let mut org_requests = 0;
    let org = org.map(|(fetched, cost)| {
        org_requests += cost;
        fetched
    });
    let labels = labels.map(|(fetched, cost)| {
        requests += cost;
        fetched
    });
    let compare = compare
        .into_iter()
        .map(|(key, (fetched, cost))| {
            requests += cost;
            (key, fetched)
        })
        .collect();
    let environments = envs
        .into_iter()
        .map(|(key, (fetched, cost))| {
            requests += cost;
            (key, fetched)
        })
        .collect();
    let alerts = open_alerts
        .into_iter()
        .map(|(key, (fetched, cost))| {
            requests += cost;
            (key, fetched)
        })
        .collect();
    let deployments = deploys
        .into_iter()
        .map(|(key, (fetched, cost))| {
            requests += cost;
            (key, fetched)
        })
        .collect();
    ExtraFacts {
        deployments,
        labels,
        compare,
        environments,
        alerts,
        codeowners_errors,
        org,
        requests,
        org_requests,
    }
}

/// [`gather`] for one repository of an organisation sweep: what GraphQL can answer in one
/// query ([`extra_graphql`]), open alerts from the organisation's lists ([`OrgAlerts`]),
/// and REST for the rest. `secret_scanning_on`: the listing shows secret scanning enabled
/// for the repository.
pub async fn gather_in_sweep(
    client: &Client,
    repo: &RepoId,
    needs: &ExtraNeeds,
    org_alerts: &OrgAlerts,
    secret_scanning_on: bool,
) -> ExtraFacts {
    if !needs.any() {
        return ExtraFacts::default();
    }
    let ask_dependabot = needs.alerts.contains(&AlertKind::Dependabot);
    let (settled, graphql_cost) = extra_graphql::fetch(client, repo, needs, ask_dependabot).await;
    let alert_lists = futures_util::future::join_all(needs.alerts.iter().map(|kind| async {
        let enabled = match kind {
            AlertKind::SecretScanning => secret_scanning_on,
            AlertKind::Dependabot => settled.vulnerability_alerts == Some(true),
            AlertKind::CodeScanning => false,
        };
        let found = org_alerts.for_repo(client, repo, *kind, enabled).await;
        (*kind, found)
    }))
    .await;
    let mut from_lists = BTreeMap::new();
    let mut rest = needs.clone();
    for (kind, found) in alert_lists {
        if let Some(found) = found {
            rest.alerts.remove(&kind);
            from_lists.insert(kind, found);
        }
    }
    rest.labels &= settled.labels.is_none();
    rest.environments
        .retain(|name, _| !settled.environments.contains_key(name));
    rest.deployments
        .retain(|name| !settled.deployments.contains_key(name));
    rest.compare
        .retain(|pair| !settled.compare.contains_key(pair));
    rest.codeowners_errors &= settled.codeowners_errors.is_none();
    let mut facts = gather(client, repo, &rest).await;
    facts.requests += graphql_cost;
    if let Some(labels) = settled.labels {
        facts.labels = Some(Ok(labels));
    }
    if let Some(errors) = settled.codeowners_errors {
        facts.codeowners_errors = Some(Ok(Some(errors)));
    }
    for (name, env) in settled.environments {
        facts.environments.insert(name, Ok(Some(env)));
    }
    for (name, list) in settled.deployments {
        facts.deployments.insert(name, Ok(list));
    }
    for (pair, found) in settled.compare {
        facts.compare.insert(pair, Ok(found));
    }
    facts.alerts.extend(from_lists);
    facts
}

/// Facts of `octocat/hello-world` holding only `extra`, for rule tests.
#[cfg(test)]
pub(crate) fn test_facts(extra: ExtraFacts, now: &str) -> crate::facts::Facts {
    let mut facts = crate::facts::Facts::from_texts(&[], now.parse().unwrap());
    facts.github = super::GitHubState::Known(Box::new(super::GitHubFacts {
        repo: RepoId::parse("octocat/hello-world").unwrap(),
        settings: Err("not fetched in this test".to_string()),
        vulnerability_alerts: None,
        protection: BTreeMap::new(),
        runs: None,
        extra,
        stats: Default::default(),
    }));
    facts
}
