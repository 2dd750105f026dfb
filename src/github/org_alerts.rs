//! Open security alerts of a whole organisation, read once per sweep and split by
//! repository, for `security-alerts` in `sweep --org`.
//!
//! GitHub lists an organisation's open alerts of each kind in one paginated list
//! (`GET /orgs/{org}/secret-scanning/alerts`, `/dependabot/alerts`, `/code-scanning/alerts`,
//! `state=open`), each item naming its `repository.full_name`. Three lists for the whole
//! organisation replace three requests per repository.
//!
//! The lists cannot say one thing the repository endpoints say: that a feature is off
//! (a gap, not "no alerts"). A repository missing from a list has no open alert of that
//! kind only if the feature is known to be on for it, so its answer comes from the list
//! only then: secret scanning when the listing shows `security_and_analysis.secret_scanning`
//! enabled, Dependabot when GraphQL's `hasVulnerabilityAlertsEnabled` is true. Code
//! scanning has no such flag: a repository with open code-scanning alerts is answered from
//! the list, one without is asked itself. Everything else, and every repository when the
//! organisation's list cannot be had (403 without the organisation permission, 404 for a
//! user account, more than [`MAX_PAGES`] pages), falls back to the repository's own
//! endpoint, which tells "disabled" from "no permission".

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::alerts::{open_alerts, AlertKind, Alerts, RawAlert};
use super::{encode, Client, Fetched, RepoId};

/// Pages of 100 read per organisation and kind; more open alerts than that and every
/// repository is asked itself.
pub const MAX_PAGES: usize = 100;

/// One organisation's list of one kind: items by lower-cased `OWNER/NAME`, or why the
/// list cannot answer.
type OrgList = Result<HashMap<String, Vec<RawAlert>>, String>;

/// One list, read at most once however many repositories wait for it.
type ListCell = Arc<OnceCell<OrgList>>;

/// The organisations' lists read (or being read) in this sweep.
#[derive(Default)]
pub struct OrgAlerts {
    cells: Mutex<HashMap<(String, AlertKind), ListCell>>,
    requests: AtomicU64,
}

impl OrgAlerts {
    /// The open alerts of `kind` in `repo` from its organisation's list, or `None` when
    /// the list cannot vouch for them (the caller asks the repository). `enabled`: the
    /// feature is known to be on for the repository.
    pub async fn for_repo(
        &self,
        client: &Client,
        repo: &RepoId,
        kind: AlertKind,
        enabled: bool,
    ) -> Option<Fetched<Alerts>> {
        let org = repo.owner.to_ascii_lowercase();
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry((org.clone(), kind)).or_default().clone()
        };
        let list = cell.get_or_init(|| self.read(client, &org, kind)).await;
        let by_repo = list.as_ref().ok()?;
        match by_repo.get(&repo.to_string().to_ascii_lowercase()) {
            Some(items) => Some(open_alerts(kind, items.clone())),
            None if enabled => Some(Ok(Alerts::Open(Vec::new()))),
            None => None,
        }
    }

    async fn read(&self, client: &Client, org: &str, kind: AlertKind) -> OrgList {
        // `hide_secret`: the secret itself is never judged, so it is not asked for (nor
        // written to the ETag cache).
        let hide = if kind == AlertKind::SecretScanning {
            "&hide_secret=true"
        } else {
            ""
        };
        let path = format!(
            "/orgs/{}/{}?state=open&per_page=100{hide}",
            encode(org),
            kind.endpoint()
        );
        let answer = client.get_pages::<RawAlert>(&path, MAX_PAGES).await;
        let pages = match &answer {
            Ok((items, _)) => items.len().div_ceil(100).max(1),
            Err(_) => 1,
        };
        self.requests.fetch_add(pages as u64, Ordering::Relaxed);
        let (items, truncated) = answer.map_err(|e| e.to_string())?;
        if truncated {
            return Err(format!(
                "more than {} open {} alerts in `{org}`",
                MAX_PAGES * 100,
                kind.title()
            ));
        }
        let mut by_repo: HashMap<String, Vec<RawAlert>> = HashMap::new();
        for item in items {
            // An alert that does not say whose it is cannot be counted for anyone.
            let Some(name) = item.repository.as_ref().and_then(|r| r.full_name.clone()) else {
                return Err(format!(
                    "GitHub's answer for {path} lacked `repository.full_name` for an alert"
                ));
            };
            by_repo
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(item);
        }
        Ok(by_repo)
    }

    /// Requests sent for the organisations' lists.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
