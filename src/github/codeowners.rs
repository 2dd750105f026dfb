//! GitHub's own verdict on the CODEOWNERS file (`GET /repos/{o}/{r}/codeowners/errors`),
//! for `codeowners`: it knows which owners exist and can be requested, which local
//! parsing cannot.

use serde::Deserialize;

use super::{ApiError, Client, Fetched};

/// One item of `errors`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CodeownersError {
    pub line: u32,
    pub kind: String,
    pub path: String,
    pub message: String,
    pub suggestion: Option<String>,
}

#[derive(Deserialize)]
struct Errors {
    errors: Vec<CodeownersError>,
}

/// The errors (`None`: GitHub finds no CODEOWNERS file on the default branch), and the
/// requests it cost.
pub async fn fetch(client: &Client, base: &str) -> (Fetched<Option<Vec<CodeownersError>>>, u64) {
    match client
        .get_json::<Errors>(&format!("{base}/codeowners/errors"))
        .await
    {
        Ok(found) => (Ok(Some(found.errors)), 1),
        Err(ApiError::NotFound { .. }) => (Ok(None), 1),
        Err(e) => (Err(e.to_string()), 1),
    }
}
