//! Which commits of one branch another lacks, for `branch-contains`: from the local
//! repository when both branches are there (free), else `GET /repos/{o}/{r}/compare/{B}...{A}`.

use std::path::Path;

use serde::Deserialize;

use super::{encode, ApiError, Client, Fetched};

/// How many of the missing commits a comparison keeps (the newest).
pub const NEWEST: usize = 5;

/// The commits of `head` that `base` does not contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// How many commits are missing.
    pub missing: u64,
    /// The newest missing commits, newest first (at most [`NEWEST`]).
    pub newest: Vec<MissingCommit>,
    /// Where the answer came from: "local git" or "the compare API".
    pub source: &'static str,
    /// False when the API listed only the oldest of many missing commits, so `newest`
    /// are the newest of those listed.
    pub newest_are_latest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingCommit {
    pub sha: String,
    /// The first line of its message.
    pub summary: String,
}

/// The comparison, and the requests it cost (0 when local git answered).
pub async fn compare(
    client: &Client,
    local: Option<&Path>,
    repo_base: &str,
    base: &str,
    head: &str,
) -> (Fetched<Comparison>, u64) {
    if let Some(found) = local.and_then(|root| local_compare(root, base, head)) {
        return (Ok(found), 0);
    }
    (api_compare(client, repo_base, base, head).await, 1)
}

/// A branch's commit in the local repository: `refs/heads/B`, else `refs/remotes/origin/B`.
fn local_branch<'r>(repo: &'r git2::Repository, branch: &str) -> Option<git2::Commit<'r>> {
    [
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
    ]
    .iter()
    .find_map(|name| repo.find_reference(name).ok()?.peel_to_commit().ok())
}

/// `None` when the repository or either branch is not there locally.
pub fn local_compare(root: &Path, base: &str, head: &str) -> Option<Comparison> {
    let repo = git2::Repository::discover(root).ok()?;
    let base_commit = local_branch(&repo, base)?;
    let head_commit = local_branch(&repo, head)?;
    let mut walk = repo.revwalk().ok()?;
    walk.set_sorting(git2::Sort::TIME | git2::Sort::TOPOLOGICAL)
        .ok()?;
    walk.push(head_commit.id()).ok()?;
    walk.hide(base_commit.id()).ok()?;
    let mut missing = 0;
    let mut newest = Vec::new();
    for oid in walk {
        let oid = oid.ok()?;
        missing += 1;
        if newest.len() < NEWEST {
            let commit = repo.find_commit(oid).ok()?;
            newest.push(MissingCommit {
                sha: oid.to_string(),
                summary: commit.summary().unwrap_or_default().to_string(),
            });
        }
    }
    Some(Comparison {
        missing,
        newest,
        source: "local git",
        newest_are_latest: true,
    })
}

/// The fields of `GET .../compare/{basehead}` this reads.
#[derive(Deserialize)]
struct CompareBody {
    ahead_by: u64,
    commits: Vec<CompareCommit>,
}

#[derive(Deserialize)]
struct CompareCommit {
    sha: String,
    commit: CommitDetail,
}

#[derive(Deserialize)]
struct CommitDetail {
    message: String,
}

async fn api_compare(
    client: &Client,
    repo_base: &str,
    base: &str,
    head: &str,
) -> Fetched<Comparison> {
    let path = format!(
        "{repo_base}/compare/{}...{}?per_page=100",
        encode(base),
        encode(head)
    );
    match client.get_json::<CompareBody>(&path).await {
        // `commits` is oldest first; `ahead_by` counts them all, listed or not.
        Ok(body) => Ok(Comparison {
            missing: body.ahead_by,
            newest_are_latest: body.commits.len() as u64 >= body.ahead_by,
            newest: body
                .commits
                .iter()
                .rev()
                .take(NEWEST)
                .map(|c| MissingCommit {
                    sha: c.sha.clone(),
                    summary: c.message_summary(),
                })
                .collect(),
            source: "the compare API",
        }),
        Err(ApiError::NotFound { .. }) => Err(format!(
            "GitHub cannot compare `{base}` with `{head}` (404): a branch does not exist, or the token cannot see the repository"
        )),
        Err(e) => Err(e.to_string()),
    }
}

impl CompareCommit {
    fn message_summary(&self) -> String {
        self.commit
            .message
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}
