//! Recent deployments to an environment (`GET /repos/{o}/{r}/deployments?environment=`),
//! for `deploy-window`'s audit.

use serde::Deserialize;

use super::{encode, Client, Fetched};

/// One item of `GET /repos/{owner}/{repo}/deployments`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    pub id: u64,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub sha: Option<String>,
    pub environment: Option<String>,
    pub created_at: Option<String>,
    pub url: Option<String>,
}

/// The latest 100 deployments to `environment`, newest first, and the requests it cost.
pub async fn fetch(
    client: &Client,
    base: &str,
    environment: &str,
) -> (Fetched<Vec<Deployment>>, u64) {
    let path = format!(
        "{base}/deployments?environment={}&per_page=100",
        encode(environment)
    );
    (client.get_json(&path).await.map_err(|e| e.to_string()), 1)
}
