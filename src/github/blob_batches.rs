//! Blob texts of many repositories in one GraphQL query, for the organisation sweep.
//!
//! After reading its tree, each repository needs a few blobs (workflow YAML, files with
//! `contains` checks, symlink targets): over REST that is one request per blob. Here the
//! requests of repositories swept at about the same time are pooled for a short window
//! ([`WINDOW`]) and asked in one query (`Repository.object(oid:)` → `Blob.text`).
//!
//! A text is used only when GraphQL vouches that it is the whole blob: `isBinary` false,
//! `isTruncated` false, and `byteSize` equal to the text's length in bytes (GitHub sends
//! `text` as UTF-8; a blob that is not valid UTF-8 would differ). Anything else, a missing
//! object, an error, or a failed query, leaves the blob to REST (`GET .../git/blobs/{sha}`),
//! so the answer is never worse than without batching. An endpoint that refuses the query
//! (404, 401, 403) is not asked again in the run.
//!
//! Field names are those of GitHub's published GraphQL schema (`@octokit/graphql-schema`,
//! `schema.graphql`): `Repository.object(oid: GitObjectID)`, `Blob.text`, `Blob.isBinary`,
//! `Blob.isTruncated`, `Blob.byteSize`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::{Client, RepoId};

/// How long the first request waits for others to join its query.
pub const WINDOW: Duration = Duration::from_millis(20);
/// Most blobs in one query; a full pool is sent at once.
pub const MAX_BLOBS: usize = 100;
/// Larger blobs are not asked for: GitHub truncates big texts, and REST is as cheap.
pub const MAX_BYTES: u64 = 512 * 1024;

struct Waiting {
    repo: RepoId,
    sha: String,
    answer: oneshot::Sender<Option<Vec<u8>>>,
}

#[derive(Default)]
struct Pool {
    waiting: Vec<Waiting>,
    /// A request is already waiting out the window to send the pool.
    sender_chosen: bool,
}

/// The pool of blob requests, shared by a sweep's repositories.
#[derive(Default)]
pub struct BlobBatches {
    pool: Mutex<Pool>,
    queries: AtomicU64,
}

impl BlobBatches {
    pub fn new() -> Self {
        Self::default()
    }

    /// The blob's bytes if a batched query brought them; `None`: read it over REST.
    pub async fn get(&self, client: &Client, repo: &RepoId, sha: &str) -> Option<Vec<u8>> {
        if client.graphql_refused() {
            return None;
        }
        let (sender, receiver) = oneshot::channel();
        let (send_now, wait_then_send) = {
            let mut pool = self.pool.lock().expect("blob pool lock");
            pool.waiting.push(Waiting {
                repo: repo.clone(),
                sha: sha.to_string(),
                answer: sender,
            });
            if pool.waiting.len() >= MAX_BLOBS {
                pool.sender_chosen = false;
                (Some(std::mem::take(&mut pool.waiting)), false)
            } else if !pool.sender_chosen {
                pool.sender_chosen = true;
                (None, true)
            } else {
                (None, false)
            }
        };
        if let Some(full) = send_now {
            self.send(client, full).await;
        } else if wait_then_send {
            tokio::time::sleep(WINDOW).await;
            let batch = {
                let mut pool = self.pool.lock().expect("blob pool lock");
                pool.sender_chosen = false;
                std::mem::take(&mut pool.waiting)
            };
            if !batch.is_empty() {
                self.send(client, batch).await;
            }
        }
        // Whoever sent the query answered every request in it (a dropped sender is a
        // REST fallback too).
        receiver.await.ok().flatten()
    }

    async fn send(&self, client: &Client, batch: Vec<Waiting>) {
        let repos = group(&batch);
        let (query, variables) = blob_query(&repos);
        let answer = if client.graphql_refused() {
            None
        } else {
            client
                .graphql_counted(&query, &variables, Some(&self.queries))
                .await
                .ok()
        };
        for waiting in batch {
            let bytes = answer.as_ref().and_then(|answer| {
                let (i, k) = position(&repos, &waiting.repo, &waiting.sha)?;
                read_blob(answer, i, k)
            });
            // The requester may have given up (its sweep ended): nothing to do then.
            let _ = waiting.answer.send(bytes);
        }
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
}

/// Requests grouped by repository, in arrival order, each SHA once.
fn group(batch: &[Waiting]) -> Vec<(RepoId, Vec<String>)> {
    let mut repos: Vec<(RepoId, Vec<String>)> = Vec::new();
    for waiting in batch {
        let index = match repos.iter().position(|(repo, _)| *repo == waiting.repo) {
            Some(index) => index,
            None => {
                repos.push((waiting.repo.clone(), Vec::new()));
                repos.len() - 1
            }
        };
        if !repos[index].1.contains(&waiting.sha) {
            repos[index].1.push(waiting.sha.clone());
        }
    }
    repos
}

fn position(repos: &[(RepoId, Vec<String>)], repo: &RepoId, sha: &str) -> Option<(usize, usize)> {
    let i = repos.iter().position(|(r, _)| r == repo)?;
    let k = repos[i].1.iter().position(|s| s == sha)?;
    Some((i, k))
}

/// The query: repository `i` is aliased `r{i}` (variables `o{i}`, `n{i}`), its blob `k`
/// is `x{k}` (variable `s{i}_{k}`, the SHA).
pub fn blob_query(repos: &[(RepoId, Vec<String>)]) -> (String, Value) {
    let mut variables = serde_json::Map::new();
    let mut parameters = Vec::new();
    let mut body = String::new();
    for (i, (repo, shas)) in repos.iter().enumerate() {
        parameters.push(format!("$o{i}: String!, $n{i}: String!"));
        variables.insert(format!("o{i}"), json!(repo.owner));
        variables.insert(format!("n{i}"), json!(repo.name));
        body.push_str(&format!(" r{i}: repository(owner: $o{i}, name: $n{i}) {{"));
        for (k, sha) in shas.iter().enumerate() {
            parameters.push(format!("$s{i}_{k}: GitObjectID!"));
            variables.insert(format!("s{i}_{k}"), json!(sha));
            body.push_str(&format!(
                " x{k}: object(oid: $s{i}_{k}) {{ ... on Blob {{ text isBinary isTruncated byteSize }} }}"
            ));
        }
        body.push_str(" }");
    }
    let query = format!("query({}) {{{body} }}", parameters.join(", "));
    (query, Value::Object(variables))
}

/// Blob `k` of repository `i`, when GraphQL vouches that its text is the whole blob.
pub fn read_blob(answer: &Value, i: usize, k: usize) -> Option<Vec<u8>> {
    let has_error = answer["errors"].as_array().into_iter().flatten().any(|e| {
        match e["path"].as_array().map(Vec::as_slice) {
            Some([repo, ..]) => repo.as_str() == Some(&format!("r{i}")),
            // An error that names no field may concern any of them.
            _ => true,
        }
    });
    if has_error {
        return None;
    }
    let blob = &answer["data"][format!("r{i}")][format!("x{k}")];
    let text = blob["text"].as_str()?;
    let whole = blob["isBinary"].as_bool() == Some(false)
        && blob["isTruncated"].as_bool() == Some(false)
        && blob["byteSize"].as_u64() == Some(text.len() as u64);
    whole.then(|| text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> RepoId {
        RepoId::parse(&format!("octo-org/{name}")).unwrap()
    }

    #[test]
    fn one_query_names_each_repository_once_and_each_blob_by_variable() {
        let (query, variables) = blob_query(&[
            (repo("app"), vec!["a".repeat(40), "b".repeat(40)]),
            (repo("api"), vec!["c".repeat(40)]),
        ]);
        assert!(query.starts_with(
            "query($o0: String!, $n0: String!, $s0_0: GitObjectID!, $s0_1: GitObjectID!, $o1"
        ));
        assert!(query.contains(
            "r1: repository(owner: $o1, name: $n1) { x0: object(oid: $s1_0) { ... on Blob { text isBinary isTruncated byteSize } } }"
        ));
        assert_eq!(variables["s0_1"], "b".repeat(40));
        assert_eq!(variables["n1"], "api");
    }

    #[test]
    fn only_whole_texts_are_used() {
        let answer = json!({"data": {
            "r0": {
                "x0": {"text": "name: CI\n", "isBinary": false, "isTruncated": false, "byteSize": 9},
                "x1": {"text": null, "isBinary": true, "isTruncated": false, "byteSize": 120},
                "x2": {"text": "partial", "isBinary": false, "isTruncated": true, "byteSize": 9000000},
                "x3": {"text": "caf\u{fffd}", "isBinary": false, "isTruncated": false, "byteSize": 4},
                "x4": null
            }
        }});
        assert_eq!(read_blob(&answer, 0, 0), Some(b"name: CI\n".to_vec()));
        assert_eq!(read_blob(&answer, 0, 1), None, "binary");
        assert_eq!(read_blob(&answer, 0, 2), None, "truncated");
        assert_eq!(read_blob(&answer, 0, 3), None, "not the blob's bytes");
        assert_eq!(read_blob(&answer, 0, 4), None, "no such object");
    }

    #[test]
    fn errors_leave_their_repository_to_rest() {
        let answer = json!({
            "data": {"r0": null, "r1": {"x0": {"text": "ok", "isBinary": false, "isTruncated": false, "byteSize": 2}}},
            "errors": [{"type": "NOT_FOUND", "path": ["r0"], "locations": [{"line": 1, "column": 1}],
                        "message": "Could not resolve to a Repository with the name 'octo-org/gone'."}]
        });
        assert_eq!(read_blob(&answer, 0, 0), None);
        assert_eq!(read_blob(&answer, 1, 0), Some(b"ok".to_vec()));
        let broken = json!({"data": null, "errors": [{"message": "timeout"}]});
        assert_eq!(read_blob(&broken, 1, 0), None);
    }

    #[test]
    fn requests_are_grouped_by_repository_without_repeats() {
        let (a, _) = oneshot::channel();
        let (b, _) = oneshot::channel();
        let (c, _) = oneshot::channel();
        let batch = vec![
            Waiting {
                repo: repo("app"),
                sha: "1".into(),
                answer: a,
            },
            Waiting {
                repo: repo("api"),
                sha: "2".into(),
                answer: b,
            },
            Waiting {
                repo: repo("app"),
                sha: "1".into(),
                answer: c,
            },
        ];
        let repos = group(&batch);
        assert_eq!(repos.len(), 2);
        assert_eq!(repos[0].1, ["1"]);
        assert_eq!(position(&repos, &repo("api"), "2"), Some((1, 0)));
    }
}
