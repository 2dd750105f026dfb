//! A repository's labels (`GET /repos/{o}/{r}/labels`), for `repo-labels`.

use serde::Deserialize;

use super::{Client, Fetched};

/// One item of `GET /repos/{owner}/{repo}/labels`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    pub color: Option<String>,
    pub description: Option<String>,
}

/// Every label (up to 1,000), and the requests it cost.
pub async fn fetch(client: &Client, base: &str) -> (Fetched<Vec<Label>>, u64) {
    let path = format!("{base}/labels?per_page=100");
    match client.get_pages::<Label>(&path, 10).await {
        Ok((labels, false)) => {
            let pages = labels.len().div_ceil(100).max(1) as u64;
            (Ok(labels), pages)
        }
        Ok((_, true)) => (
            Err("the repository has more than 1,000 labels; not all were read".to_string()),
            10,
        ),
        Err(e) => (Err(e.to_string()), 1),
    }
}
