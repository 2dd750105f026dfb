//! An organisation's settings (`GET /orgs/{org}`), for `org-settings`. Read once per
//! organisation per run: the cache travels inside the needs, which an org sweep builds
//! once and shares with every repository.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::{ApiError, Client, Fetched};

/// The fields of `GET /orgs/{org}` warden judges. Several are shown only to organisation
/// owners (or tokens with the organisation's administration permission): absent there.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct OrgSettings {
    pub login: String,
    pub html_url: Option<String>,
    pub two_factor_requirement_enabled: Option<bool>,
    pub secret_scanning_enabled_for_new_repositories: Option<bool>,
    pub secret_scanning_push_protection_enabled_for_new_repositories: Option<bool>,
    pub members_can_create_public_repositories: Option<bool>,
    pub default_repository_permission: Option<String>,
    pub web_commit_signoff_required: Option<bool>,
}

type Cell = Arc<OnceCell<Fetched<OrgSettings>>>;

/// Organisation settings already read (or being read) in this run, by login.
#[derive(Clone, Debug, Default)]
pub struct OrgCache(Arc<Mutex<HashMap<String, Cell>>>);

/// Two needs are the same whatever their caches hold.
impl PartialEq for OrgCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for OrgCache {}

impl OrgCache {
    fn cell(&self, org: &str) -> Cell {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(org.to_ascii_lowercase()).or_default().clone()
    }
}

/// The organisation's settings, and the requests this call cost (0 when cached).
pub async fn fetch(client: &Client, cache: &OrgCache, org: &str) -> (Fetched<OrgSettings>, u64) {
    let cell = cache.cell(org);
    let mut cost = 0;
    let settings = cell
        .get_or_init(|| async {
            cost = 1;
            match client.get_json::<OrgSettings>(&format!("/orgs/{org}")).await {
                Ok(settings) => Ok(settings),
                Err(ApiError::NotFound { .. }) => Err(format!(
                    "`{org}` is not an organisation GitHub shows to this token (404); organisation settings exist only for organisations"
                )),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
        .clone();
    (settings, cost)
}
