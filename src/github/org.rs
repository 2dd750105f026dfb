//! Reading an organisation's repositories without cloning them: the listing, one recursive
//! git tree per repository, and only the blobs the rules need.
//!
//! An organisation sweep judges hundreds of repositories, so every request is counted
//! against the repository it was sent for ([`Counter`]), the listing item is reused for
//! the repository's settings when it has every field warden reads, and blobs are shared
//! across repositories by their SHA ([`Blobs`]): git names a blob by its content, so
//! organisation-wide templates (the same `ci.yml` in fifty repositories) cost one request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::blob_batches::{self, BlobBatches};
use super::client::next_link;
use super::org_alerts::OrgAlerts;
use super::protection_batches::ClassicByBranch;
use super::{
    encode, ApiError, ApiStats, BranchProtection, Client, Fetched, GitHubFacts, GitHubNeeds,
    RepoId, RepoSettings, RunsPage,
};

/// Requests sent on behalf of one repository (retries are only in the client's totals).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The fields of the repository object [`RepoSettings`] reads. A listing item
/// (`minimal-repository`) lacks the `allow_*_merge` ones; the full object has them all.
const SETTINGS_FIELDS: [&str; 5] = [
    "allow_squash_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "delete_branch_on_merge",
    "security_and_analysis",
];

/// A repository as `GET /orgs/{org}/repos` (or `GET /repos/{owner}/{repo}`) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedRepo {
    pub id: RepoId,
    pub archived: bool,
    pub fork: bool,
    pub default_branch: Option<String>,
    pub settings: RepoSettings,
    /// The item has every field [`RepoSettings`] reads, so `GET /repos/{o}/{r}` is not needed.
    pub complete: bool,
}

impl ListedRepo {
    pub fn from_json(item: &serde_json::Value) -> Result<ListedRepo, String> {
        let full_name = item
            .get("full_name")
            .and_then(|v| v.as_str())
            .ok_or("a repository without `full_name`")?;
        let id = RepoId::parse(full_name)
            .ok_or_else(|| format!("`{full_name}` is not an OWNER/NAME repository name"))?;
        let flag = |key: &str| item.get(key).and_then(|v| v.as_bool()).unwrap_or(false);
        let settings: RepoSettings = serde_json::from_value(item.clone())
            .map_err(|e| format!("{full_name}: unexpected repository fields: {e}"))?;
        let complete = SETTINGS_FIELDS
            .iter()
            .all(|key| item.get(*key).is_some_and(|v| !v.is_null()));
        Ok(ListedRepo {
            id,
            archived: flag("archived"),
            fork: flag("fork"),
            default_branch: settings.default_branch.clone(),
            settings,
            complete,
        })
    }
}

/// Pages read for a listing before giving up (100 repositories a page).
const MAX_LISTING_PAGES: usize = 1_000;

/// `GET /orgs/{org}/repos?per_page=100&type=all`, every page. `api_url` is the client's
/// base: `next` links elsewhere are not followed (the token must not leave it).
pub async fn list_org(
    client: &Client,
    api_url: &str,
    org: &str,
    counter: &Counter,
) -> Result<Vec<ListedRepo>, ApiError> {
    let base = api_url.trim_end_matches('/');
    let mut next = Some(format!("/orgs/{}/repos?per_page=100&type=all", encode(org)));
    let mut repos = Vec::new();
    let mut pages = 0;
    while let Some(page) = next {
        if pages == MAX_LISTING_PAGES {
            return Err(ApiError::Malformed {
                path: page,
                message: format!(
                    "more than {} repositories; not all were listed",
                    MAX_LISTING_PAGES * 100
                ),
            });
        }
        counter.add(1);
        let response = client.get(&page).await?;
        pages += 1;
        let items: Vec<serde_json::Value> =
            serde_json::from_str(&response.body).map_err(|e| ApiError::Malformed {
                path: page.clone(),
                message: e.to_string(),
            })?;
        for item in &items {
            repos.push(
                ListedRepo::from_json(item).map_err(|message| ApiError::Malformed {
                    path: page.clone(),
                    message,
                })?,
            );
        }
        next = match response.link.as_deref().and_then(next_link) {
            Some(url) => match url.strip_prefix(base) {
                Some(rest) if rest.starts_with('/') => Some(rest.to_string()),
                _ => {
                    return Err(ApiError::Malformed {
                        path: page,
                        message: format!("the next page is on another host ({url}); not followed"),
                    })
                }
            },
            None => None,
        };
    }
    Ok(repos)
}

/// `GET /repos/{owner}/{repo}`: the full repository object (for `--repos` lists).
pub async fn repository(
    client: &Client,
    repo: &RepoId,
    counter: &Counter,
) -> Result<ListedRepo, ApiError> {
    let path = format!("/repos/{}/{}", repo.owner, repo.name);
    counter.add(1);
    let item: serde_json::Value = client.get_json(&path).await?;
    ListedRepo::from_json(&item).map_err(|message| ApiError::Malformed { path, message })
}

/// One entry of a recursive git tree.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TreeEntry {
    pub path: String,
    /// `100644` file, `100755` executable, `120000` symlink, `160000` submodule, `040000` tree.
    pub mode: String,
    pub sha: String,
    /// Blob size in bytes (absent for trees and submodules).
    #[serde(default)]
    pub size: Option<u64>,
}

/// `GET /repos/{o}/{r}/git/trees/{ref}?recursive=1`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteTree {
    /// The root tree's SHA (the base of a tree warden writes on top of it).
    pub sha: Option<String>,
    pub entries: Vec<TreeEntry>,
    /// GitHub cut the listing short (over 100,000 entries or 7 MB).
    pub truncated: bool,
    /// GitHub says the repository has no commits (409 "Git Repository is empty.").
    pub empty: bool,
}

#[derive(Deserialize)]
struct TreeBody {
    #[serde(default)]
    sha: Option<String>,
    tree: Vec<TreeEntry>,
    truncated: bool,
}

/// The permission reading git data needs, named in 403 errors that do not say it.
const CONTENTS_READ: &str = "contents: read";

fn forbidden_needs_contents(error: ApiError) -> ApiError {
    match error {
        ApiError::Forbidden {
            path,
            message,
            permission,
        } => ApiError::Forbidden {
            path,
            message,
            permission: permission.or_else(|| Some(CONTENTS_READ.to_string())),
        },
        other => other,
    }
}

/// The whole file list of `reference` (a branch name) in one request.
pub async fn tree(
    client: &Client,
    repo: &RepoId,
    reference: &str,
    counter: &Counter,
) -> Result<RemoteTree, ApiError> {
    let path = format!(
        "/repos/{}/{}/git/trees/{}?recursive=1",
        repo.owner,
        repo.name,
        encode(reference)
    );
    counter.add(1);
    match client.get_json::<TreeBody>(&path).await {
        Ok(body) => Ok(RemoteTree {
            sha: body.sha,
            entries: body.tree,
            truncated: body.truncated,
            empty: false,
        }),
        Err(ApiError::Unexpected {
            status: 409,
            message,
            ..
        }) if message.to_ascii_lowercase().contains("empty") => Ok(RemoteTree {
            empty: true,
            ..RemoteTree::default()
        }),
        Err(e) => Err(forbidden_needs_contents(e)),
    }
}

#[derive(Deserialize)]
struct BlobBody {
    content: String,
    encoding: String,
}

/// `GET /repos/{o}/{r}/git/blobs/{sha}`, decoded. Not counted: [`Blobs::get`] counts.
pub async fn blob(client: &Client, repo: &RepoId, sha: &str) -> Result<Vec<u8>, ApiError> {
    let path = format!("/repos/{}/{}/git/blobs/{}", repo.owner, repo.name, sha);
    let body: BlobBody = client
        .get_json(&path)
        .await
        .map_err(forbidden_needs_contents)?;
    let bytes = match body.encoding.as_str() {
        "base64" => base64_decode(&body.content).ok_or_else(|| ApiError::Malformed {
            path: path.clone(),
            message: "the blob's `content` is not valid base64".to_string(),
        })?,
        "utf-8" => body.content.into_bytes(),
        other => {
            return Err(ApiError::Malformed {
                path,
                message: format!("unknown blob encoding `{other}`"),
            })
        }
    };
    verify_blob(&path, sha, &bytes)?;
    Ok(bytes)
}

/// Git names a blob by the hash of its bytes, so the bytes an answer carries can be
/// checked against the SHA asked for: a cut, padded or altered text (valid base64 or not)
/// is an error, never a shorter file judged as if it were whole.
pub fn verify_blob(path: &str, sha: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let actual = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|oid| oid.to_string())
        .unwrap_or_default();
    if actual.eq_ignore_ascii_case(sha) {
        Ok(())
    } else {
        Err(ApiError::Malformed {
            path: path.to_string(),
            message: format!(
                "the blob's content ({} bytes) does not hash to {sha}: it is cut short or altered",
                bytes.len()
            ),
        })
    }
}

/// One blob, fetched at most once however many repositories wait for it.
type BlobCell = OnceCell<Arc<[u8]>>;

/// Blobs shared across the repositories of one sweep, by SHA. Concurrent requests for the
/// same SHA wait for one fetch; failures are not kept (the next repository tries again).
///
/// Each repository's [`Counter`] is charged one request per blob it needs, whoever
/// fetched it, so per-repository figures do not depend on timing or on how a sweep was
/// sharded; [`Blobs::reused`] says how many of those requests were never sent.
pub struct Blobs {
    cells: Mutex<HashMap<String, Arc<BlobCell>>>,
    kept: AtomicU64,
    budget: u64,
    fetched: AtomicU64,
    needed: AtomicU64,
    /// Pools small blobs of many repositories into GraphQL queries; REST otherwise.
    batches: Option<BlobBatches>,
}

impl Blobs {
    /// Keep at most `budget` bytes; beyond it blobs are fetched for each repository.
    pub fn new(budget: u64) -> Blobs {
        Blobs {
            cells: Mutex::new(HashMap::new()),
            kept: AtomicU64::new(0),
            budget,
            fetched: AtomicU64::new(0),
            needed: AtomicU64::new(0),
            batches: None,
        }
    }

    /// Also ask for blobs in pooled GraphQL queries ([`BlobBatches`]).
    pub fn batched(budget: u64) -> Blobs {
        Blobs {
            batches: Some(BlobBatches::new()),
            ..Blobs::new(budget)
        }
    }

    /// Blob requests charged to repositories but not sent over REST (another
    /// repository's fetch of the same SHA, or a batched GraphQL query, answered them).
    pub fn reused(&self) -> u64 {
        self.needed
            .load(Ordering::Relaxed)
            .saturating_sub(self.fetched.load(Ordering::Relaxed))
    }

    /// GraphQL queries sent for blobs.
    pub fn queries(&self) -> u64 {
        self.batches.as_ref().map_or(0, BlobBatches::queries)
    }

    /// The blob `sha` of `repo`; `size` (from the tree) decides whether it may be pooled.
    pub async fn get(
        &self,
        client: &Client,
        repo: &RepoId,
        sha: &str,
        size: Option<u64>,
        counter: &Counter,
    ) -> Result<Arc<[u8]>, ApiError> {
        counter.add(1);
        self.needed.fetch_add(1, Ordering::Relaxed);
        let cell = {
            let mut cells = self.cells.lock().expect("blob cache lock");
            match cells.get(sha) {
                Some(cell) => Some(cell.clone()),
                None if self.kept.load(Ordering::Relaxed) < self.budget => {
                    let cell = Arc::new(OnceCell::new());
                    cells.insert(sha.to_string(), cell.clone());
                    Some(cell)
                }
                None => None,
            }
        };
        let fetch = || async {
            let pooled = match &self.batches {
                Some(batches) if size.is_some_and(|s| s <= blob_batches::MAX_BYTES) => {
                    batches.get(client, repo, sha).await
                }
                _ => None,
            };
            // A pooled text must be the blob too, or REST is asked.
            let pooled = pooled.filter(|bytes| verify_blob("", sha, bytes).is_ok());
            let bytes = match pooled {
                Some(bytes) => bytes,
                None => {
                    self.fetched.fetch_add(1, Ordering::Relaxed);
                    blob(client, repo, sha).await?
                }
            };
            self.kept.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            Ok::<_, ApiError>(Arc::<[u8]>::from(bytes))
        };
        match cell {
            Some(cell) => cell.get_or_try_init(fetch).await.cloned(),
            None => fetch().await,
        }
    }
}

/// GitHub facts of a listed repository, like [`super::gather_with`] but reusing the
/// listing: `GET /repos/{o}/{r}` only when settings are needed and the listing item lacks
/// some, and the default branch (for runs) from the listing. Costs: settings 0 or 1,
/// Dependabot alerts 1, runs 1, and 2 per branch (classic protection and ruleset rules;
/// a second page of ruleset rules, over 100 for one branch, is only in the totals), or 1
/// per branch whose classic protection `classic` already holds (from the batched GraphQL
/// query, [`super::protection_batches::ProtectionBatches`]). The issue-12 facts cost one
/// GraphQL query, plus REST where it cannot vouch ([`super::extended::gather_in_sweep`]);
/// open alerts come from the organisation's lists (`org_alerts`), and the organisation's
/// settings are charged to the organisation ([`super::extended::ExtraFacts::org_requests`]).
pub async fn gather_listed(
    client: &Client,
    listed: &ListedRepo,
    needs: &GitHubNeeds,
    classic: &ClassicByBranch,
    org_alerts: &OrgAlerts,
    counter: &Counter,
) -> GitHubFacts {
    let repo = &listed.id;
    let base = format!("/repos/{}/{}", repo.owner, repo.name);
    let settings = async {
        if needs.settings && !listed.complete {
            counter.add(1);
            client
                .get_json::<RepoSettings>(&base)
                .await
                .map_err(|e| e.to_string())
                .and_then(|s| s.checked(&base))
        } else {
            Ok(listed.settings.clone())
        }
    };
    let runs = async {
        if !needs.runs {
            return None;
        }
        let Some(branch) = &listed.default_branch else {
            return Some(Err("the repository has no default branch".to_string()));
        };
        let path = format!(
            "{base}/actions/runs?branch={}&status=completed&exclude_pull_requests=true&per_page=100",
            encode(branch)
        );
        counter.add(1);
        Some(
            client
                .get_json::<RunsPage>(&path)
                .await
                .map(|page| page.workflow_runs)
                .map_err(|e| e.to_string()),
        )
    };
    let alerts = async {
        if !needs.vulnerability_alerts {
            return None;
        }
        counter.add(1);
        Some(super::vulnerability_alerts(client, &base).await)
    };
    let branches = futures_util::future::join_all(needs.branches.iter().map(|branch| {
        let base = base.clone();
        async move {
            let protection = match classic.get(branch) {
                // Settled by the batched GraphQL query: only the rulesets are left to read.
                Some(settled) => {
                    counter.add(1);
                    match super::branch_rules(client, &base, branch).await {
                        Ok(rules) => {
                            let bypass = if needs.ruleset_bypass {
                                super::ruleset_bypass(client, &base, &rules).await
                            } else {
                                Default::default()
                            };
                            Ok(BranchProtection {
                                classic: settled.clone(),
                                rules,
                                bypass,
                            })
                        }
                        Err(e) => Err(e),
                    }
                }
                None => {
                    counter.add(2);
                    super::branch_protection(client, &base, branch, needs.ruleset_bypass).await
                }
            };
            if let Ok(protection) = &protection {
                counter.add(protection.bypass.len() as u64);
            }
            (branch.clone(), protection)
        }
    }));
    let secret_scanning_on = listed
        .settings
        .security_and_analysis
        .as_ref()
        .and_then(|s| s.secret_scanning.as_ref())
        .is_some_and(|s| s.status == "enabled");
    let extra = super::extended::gather_in_sweep(
        client,
        repo,
        &needs.extra,
        org_alerts,
        secret_scanning_on,
    );
    let (settings, runs, vulnerability_alerts, protection, extra): (
        Fetched<RepoSettings>,
        _,
        _,
        _,
        _,
    ) = tokio::join!(settings, runs, alerts, branches, extra);
    counter.add(extra.requests);
    GitHubFacts {
        repo: repo.clone(),
        settings,
        vulnerability_alerts,
        protection: protection.into_iter().collect(),
        runs,
        extra,
        stats: ApiStats {
            requests: counter.get(),
            ..ApiStats::default()
        },
    }
}

/// Standard base64 as GitHub sends it (wrapped at 60 columns); `None` when invalid.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_githubs_wrapped_base64() {
        // The OA `blob` example: "Content of the blob".
        assert_eq!(
            base64_decode("Q29udGVudCBvZiB0aGUgYmxvYg==").unwrap(),
            b"Content of the blob"
        );
        assert_eq!(base64_decode("YW\nJj\n").unwrap(), b"abc");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b=").is_none());
        assert!(base64_decode("YQ==YQ").is_none());
    }

    #[test]
    fn a_blob_must_hash_to_its_sha() {
        // `git hash-object` of "Content of the blob" (the OA `blob` example's text).
        let whole = b"Content of the blob";
        let sha = git2::Oid::hash_object(git2::ObjectType::Blob, whole)
            .unwrap()
            .to_string();
        assert!(verify_blob("p", &sha, whole).is_ok());
        assert!(verify_blob("p", &sha.to_uppercase(), whole).is_ok());
        // Cut at a base64 quantum boundary: still valid base64, but not the blob.
        let cut = base64_decode("Q29udGVudCBvZiB0aGUg").unwrap();
        assert_eq!(cut, b"Content of the ");
        let error = verify_blob("p", &sha, &cut).unwrap_err().to_string();
        assert!(error.contains("cut short or altered"), "{error}");
    }

    #[test]
    fn listing_items_lack_merge_settings_full_repositories_have_them() {
        let root = env!("CARGO_MANIFEST_DIR");
        let read = |name: &str| -> serde_json::Value {
            let text = std::fs::read_to_string(format!("{root}/fixtures/github/{name}")).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let listed = ListedRepo::from_json(&read("org-repos.json")[0]).unwrap();
        assert_eq!(listed.id.to_string(), "octocat/Hello-World");
        assert_eq!(listed.default_branch.as_deref(), Some("master"));
        assert!(!listed.complete && !listed.archived && !listed.fork);
        let full = ListedRepo::from_json(&read("repo.json")).unwrap();
        assert!(full.complete);
        let scenario = read("org-repos-scenario.json");
        assert!(ListedRepo::from_json(&scenario[1]).unwrap().archived);
        assert!(ListedRepo::from_json(&scenario[2]).unwrap().fork);
    }
}
