//! One file's bytes from a repository on GitHub (`GET /repos/{o}/{r}/contents/{path}`).
//!
//! Used for content a fix copies from another repository (`github:ORG/REPO/PATH@REF`):
//! a read like any fact, made before anything is written.

use serde::Deserialize;

use super::{encode, org::base64_decode, ApiError, Client};

#[derive(Deserialize)]
struct ContentsBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

/// The bytes of the file at `path` in `repo` (`owner/name`) at `reference`.
pub async fn file(
    client: &Client,
    repo: &str,
    path: &str,
    reference: &str,
) -> Result<Vec<u8>, ApiError> {
    let url = format!(
        "/repos/{repo}/contents/{}?ref={}",
        encode(path),
        encode(reference).replace('/', "%2F")
    );
    let body: ContentsBody = client.get_json(&url).await?;
    let malformed = |message: String| ApiError::Malformed {
        path: url.clone(),
        message,
    };
    if body.kind != "file" {
        return Err(malformed(format!(
            "`{path}` is a {} on GitHub, not a file",
            body.kind
        )));
    }
    // Over 1 MB GitHub leaves `content` empty with encoding `none`.
    match (body.encoding.as_deref(), body.content) {
        (Some("base64"), Some(content)) => base64_decode(&content)
            .ok_or_else(|| malformed("the file's `content` is not valid base64".to_string())),
        (encoding, _) => Err(malformed(format!(
            "GitHub did not return the file's content (encoding {}); files over 1 MB \
             cannot be copied",
            encoding.unwrap_or("missing")
        ))),
    }
}
