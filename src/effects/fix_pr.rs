//! `warden fix --org ORG --pr` (or `--repos FILE`, `--repo OWNER/NAME`): close the file
//! gaps of many repositories with one pull request each, without cloning any of them.
//!
//! Per repository: the default branch's head commit, its tree and the blobs rules read
//! (as `warden sweep --org` reads them), the policy judged on them, the local fixes of the
//! gaps planned against that tree by the same planner as `warden fix` in a checkout, and
//! the planned tree judged again so the pull request claims only the gaps it really
//! closes. Then the git data API writes one commit on `warden/fix` (never on the default
//! branch) and the pulls API opens warden's pull request, or updates the one it opened
//! before.
//!
//! Safety, in the order it matters:
//! - the only ref ever written is `refs/heads/warden/fix`, and a repository whose default
//!   branch has that name is refused;
//! - an existing `warden/fix` is moved (force) only when every commit on it that the
//!   default branch lacks is warden's own (its message carries [`TRAILER`]); otherwise
//!   the repository fails, naming the branch, and nothing is written;
//! - a pull request is updated only when its body carries [`MARKER`]; warden never opens
//!   a second one from the same branch;
//! - `--dry-run` only reads.
//!
//! When a repository has nothing left to fix and warden's pull request is still open (the
//! gaps were closed another way), it is closed with its branch kept: what it proposed is
//! no longer wanted. When a rule that reads files could not decide, it is left open.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::engine::{self, FailOn, Mode, RunContext};
use crate::fix::local::{self, Allow, ContentReader, Existing, RepoFiles};
use crate::fix::{Content, FileChange, Fix, LocalFix};
use crate::github::org::{self as remote, Blobs, Counter, ListedRepo, TreeEntry};
use crate::github::{encode, ApiError, ApiStats, Client, ClientConfig, RepoId};
use crate::model::Evaluation;
use crate::org::RemoteFilesAt;
use crate::policy::Policy;
use crate::progress::Progress;
use crate::report::fingerprint;

/// The one branch warden writes.
pub const BRANCH: &str = "warden/fix";
/// In the body of every pull request warden opens: how it finds its own.
pub const MARKER: &str = "<!-- warden:fix-pr -->";
/// The last line of every commit warden makes on [`BRANCH`]: how it knows the branch is
/// its own to move.
pub const TRAILER: &str = "Made-by: warden fix --pr";
/// Repositories worked on at once by default. Small: GitHub's secondary rate limits are
/// about concurrent writes.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The permissions a 403 names when GitHub's answer does not.
const CONTENTS_WRITE: &str = "contents: write";
const PULLS_WRITE: &str = "pull_requests: write";
const PULLS_READ: &str = "pull_requests: read";

/// Which repositories get a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every repository `GET /orgs/{org}/repos` lists (archived repositories and forks
    /// are left out: the first take no changes, the second are someone else's).
    Org(String),
    /// A fixed list (`--repos FILE`, or `--repo OWNER/NAME`).
    Repos(Vec<RepoId>),
}

#[derive(Clone, Debug)]
pub struct Options {
    pub target: Target,
    /// List the planned changes per repository; write nothing.
    pub dry_run: bool,
    /// What the planner may replace or delete (`--allow-delete`).
    pub allow: Allow,
    pub concurrency: usize,
    pub now: jiff::Timestamp,
}

/// What happened in one repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A new pull request.
    Opened,
    /// warden's open pull request now carries the new changes (or title and body).
    Updated,
    /// warden's open pull request already proposes exactly these changes.
    Unchanged,
    /// Nothing to fix any more, and warden's open pull request was closed.
    Closed,
    /// No gap with a fix that could be planned: no branch, no pull request.
    NothingToFix,
    /// `--dry-run`: the changes below would be proposed.
    Planned,
    /// Left out before reading (archived, fork).
    Skipped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Opened => "opened",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Closed => "closed",
            Outcome::NothingToFix => "nothing-to-fix",
            Outcome::Planned => "planned",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// One gap, as a pull request names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub rule: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub fingerprint: String,
}

/// A gap with a fix that is not in the pull request, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotFixed {
    #[serde(flatten)]
    pub gap: Gap,
    pub why: String,
}

/// One file change of a pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `write`, `symlink` or `delete`.
    pub action: &'static str,
    pub path: String,
    /// A symlink's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A written file's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
}

impl Change {
    fn of(change: &FileChange) -> Change {
        match change {
            FileChange::Write { path, bytes } => Change {
                action: "write",
                path: path.clone(),
                target: None,
                bytes: Some(bytes.len()),
            },
            FileChange::Symlink { path, target } => Change {
                action: "symlink",
                path: path.clone(),
                target: Some(target.clone()),
                bytes: None,
            },
            FileChange::Delete { path } => Change {
                action: "delete",
                path: path.clone(),
                target: None,
                bytes: None,
            },
        }
    }

    fn line(&self) -> String {
        match (self.action, &self.target, self.bytes) {
            ("symlink", Some(target), _) => format!("link `{}` -> `{target}`", self.path),
            ("write", _, Some(bytes)) => format!("write `{}` ({bytes} bytes)", self.path),
            _ => format!("delete `{}`", self.path),
        }
    }
}

/// What warden did in one repository.
#[derive(Clone, Debug, Serialize)]
pub struct RepoResult {
    pub repo: String,
    pub outcome: Outcome,
    /// One sentence: `opened #12`, `failed: the token lacks ...`.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The changes proposed (or planned, with `--dry-run`).
    pub changes: Vec<Change>,
    /// The gaps the changes close, verified by judging the changed tree.
    pub closes: Vec<Gap>,
    /// Gaps with a fix that is not proposed, and why.
    pub not_fixed: Vec<NotFixed>,
    /// Gaps no rule knows how to fix (their count).
    pub without_fix: usize,
    /// Rules that could not decide (`error`): their gaps, and fixes, are unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
    /// Requests sent for this repository.
    pub requests: u64,
}

impl RepoResult {
    fn new(repo: &RepoId, outcome: Outcome, message: impl Into<String>) -> RepoResult {
        RepoResult {
            repo: repo.to_string(),
            outcome,
            message: message.into(),
            pull_request: None,
            url: None,
            changes: Vec::new(),
            closes: Vec::new(),
            not_fixed: Vec::new(),
            without_fix: 0,
            undecided: Vec::new(),
            requests: 0,
        }
    }

    fn failed(repo: &RepoId, why: impl std::fmt::Display) -> RepoResult {
        RepoResult::new(repo, Outcome::Failed, format!("failed: {why}"))
    }
}

/// The whole run, as `--format json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct FixPrReport {
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub dry_run: bool,
    pub branch: &'static str,
    /// Repositories per outcome (`opened`, `failed`, ...).
    pub summary: BTreeMap<&'static str, usize>,
    pub repositories: Vec<RepoResult>,
    pub github_api: ApiStats,
}

impl FixPrReport {
    /// 0 when every repository ended as intended, 1 when any failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.summary.contains_key(Outcome::Failed.as_str()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixPrError {
    #[error("cannot list the repositories of `{org}`: {source}")]
    Listing { org: String, source: ApiError },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Propose the policy's file fixes to every repository of `options.target`, one pull
/// request each. Fails only when there is nothing to work on (the listing cannot be read);
/// what goes wrong in one repository is its result, and the others go on.
pub fn run(
    options: &Options,
    policy: &Policy,
    config: ClientConfig,
    progress: &dyn Progress,
) -> Result<FixPrReport, FixPrError> {
    let (results, stats) = crate::github::with_client(config.clone(), async |client| {
        let api_url = config.api_url.trim_end_matches('/').to_string();
        let listing = Counter::default();
        let candidates: Vec<Result<ListedRepo, RepoId>> = match &options.target {
            Target::Org(org) => remote::list_org(client, &api_url, org, &listing)
                .await
                .map_err(|source| FixPrError::Listing {
                    org: org.clone(),
                    source,
                })?
                .into_iter()
                .map(Ok)
                .collect(),
            Target::Repos(repos) => repos.iter().cloned().map(Err).collect(),
        };
        let shared = Shared {
            policy,
            options,
            blobs: Blobs::new(64 * 1024 * 1024),
            github_content: Mutex::default(),
        };
        let total = candidates.len();
        progress.begin("fix", total);
        let mut results = Vec::with_capacity(total);
        let mut done = futures_util::stream::iter(candidates)
            .map(|candidate| one_repository(client, &shared, candidate))
            .buffer_unordered(options.concurrency.max(1));
        while let Some(result) = done.next().await {
            let notable = !matches!(result.outcome, Outcome::NothingToFix | Outcome::Skipped);
            progress.step(
                results.len() + 1,
                total,
                &result.repo,
                &result.message,
                notable,
            );
            results.push(result);
        }
        progress.finish();
        results.sort_by_key(|r| r.repo.to_lowercase());
        Ok::<_, FixPrError>(results)
    })?;
    let results = results?;
    let mut summary = BTreeMap::new();
    for result in &results {
        *summary.entry(result.outcome.as_str()).or_insert(0) += 1;
    }
    Ok(FixPrReport {
        mode: "fix-pr",
        org: match &options.target {
            Target::Org(org) => Some(org.clone()),
            Target::Repos(_) => None,
        },
        dry_run: options.dry_run,
        branch: BRANCH,
        summary,
        repositories: results,
        github_api: stats,
    })
}

/// What every repository's work shares.
struct Shared<'a> {
    policy: &'a Policy,
    options: &'a Options,
    /// Blobs already read, by SHA (organisation-wide templates cost one request).
    blobs: Blobs,
    /// `github:` contents of `create-file` fixes, read once per run.
    github_content: Mutex<HashMap<String, Result<Vec<u8>, String>>>,
}

async fn one_repository(
    client: &Client,
    shared: &Shared<'_>,
    candidate: Result<ListedRepo, RepoId>,
) -> RepoResult {
    let counter = Counter::default();
    let listed = match candidate {
        Ok(listed) => listed,
        Err(id) => match remote::repository(client, &id, &counter).await {
            Ok(listed) => listed,
            Err(e) => {
                let mut result = RepoResult::failed(&id, e);
                result.requests = counter.get();
                return result;
            }
        },
    };
    let mut result = if listed.archived {
        RepoResult::new(&listed.id, Outcome::Skipped, "archived: takes no changes")
    } else if listed.fork {
        RepoResult::new(&listed.id, Outcome::Skipped, "a fork: left out")
    } else {
        let mut work = Work {
            client,
            shared,
            repo: &listed.id,
            counter: &counter,
            requests: 0,
        };
        let result = work.repository(&listed).await;
        counter.add(work.requests);
        result
    };
    result.requests = counter.get();
    result
}

/// One repository's work; `requests` counts the requests it sends itself (the shared
/// readers count theirs on the counter).
struct Work<'a> {
    client: &'a Client,
    shared: &'a Shared<'a>,
    repo: &'a RepoId,
    counter: &'a Counter,
    requests: u64,
}

/// warden's open pull request from [`BRANCH`], if there is one.
#[derive(Clone, Debug, Deserialize)]
struct Pull {
    number: u64,
    #[serde(default)]
    html_url: Option<String>,
    title: String,
    #[serde(default)]
    body: Option<String>,
}

/// The gaps of one repository that have a local fix.
struct Fixable {
    gap: Gap,
    fix: LocalFix,
}

impl Work<'_> {
    fn base(&self) -> String {
        format!("/repos/{}/{}", self.repo.owner, self.repo.name)
    }

    /// One counted write to this repository (`path` under [`Self::base`]); a refusal
    /// names the `permission` it needs.
    async fn send(
        &mut self,
        method: http::Method,
        path: &str,
        body: serde_json::Value,
        permission: &str,
    ) -> Result<crate::github::client::Response, ApiError> {
        self.requests += 1;
        let path = format!("{}{path}", self.base());
        self.client
            .write(method, &path, Some(&body))
            .await
            .map_err(|e| needs(e, permission))
    }

    async fn repository(&mut self, listed: &ListedRepo) -> RepoResult {
        let repo = self.repo;
        let policy = self.shared.policy;
        let options = self.shared.options;
        let Some(default) = listed.default_branch.clone() else {
            return RepoResult::failed(repo, "GitHub did not say the default branch");
        };
        if default == BRANCH {
            return RepoResult::failed(
                repo,
                format!("the default branch is `{BRANCH}`, the branch warden writes; nothing was written"),
            );
        }
        if !RemoteFilesAt::needed(policy) {
            return RepoResult::new(repo, Outcome::NothingToFix, "no rule reads files");
        }

        // The head commit first, then its tree: the commit warden makes has exactly the
        // tree it judged as its base, even if the branch moves meanwhile.
        let head = match self.ref_sha(&format!("heads/{default}")).await {
            Ok(Some(sha)) => sha,
            Ok(None) => {
                return RepoResult::failed(
                    repo,
                    format!("the default branch `{default}` was not found"),
                )
            }
            Err(ApiError::Unexpected { status: 409, .. }) => {
                return RepoResult::new(repo, Outcome::NothingToFix, "an empty repository")
            }
            Err(e) => return RepoResult::failed(repo, e),
        };
        let tree = match remote::tree(self.client, repo, &head, self.counter).await {
            Ok(tree) => tree,
            Err(e) => return RepoResult::failed(repo, e),
        };
        if tree.truncated {
            return RepoResult::failed(
                repo,
                "the repository's file tree is too large for one API request; run `warden fix` in a clone of it",
            );
        }
        let Some(base_tree) = tree.sha.clone() else {
            return RepoResult::failed(repo, "GitHub's tree answer lacked `sha`");
        };
        let entries: HashMap<String, TreeEntry> = tree
            .entries
            .iter()
            .map(|e| (e.path.clone(), e.clone()))
            .collect();
        let files = RemoteFilesAt::read(
            self.client,
            policy,
            &self.shared.blobs,
            repo,
            tree,
            self.counter,
        )
        .await;
        let evaluations = files.judge(policy, options.now);
        let (fixable, without_fix, undecided) = fixable(policy, &evaluations, options.now);

        let mut result = RepoResult::new(repo, Outcome::NothingToFix, "nothing to fix");
        result.without_fix = without_fix;
        result.undecided = undecided.clone();
        let planned = self.plan(&fixable, &entries).await;
        let (changes, mut not_fixed) = match planned {
            Ok(planned) => planned,
            Err(e) => return RepoResult::failed(repo, e),
        };
        // Judge the changed tree: the pull request names only the gaps it closes.
        let mut closes = Vec::new();
        if !changes.is_empty() {
            let after = files
                .changed(policy, &changes)
                .map(|f| f.judge(policy, options.now))
                .unwrap_or_default();
            let still: HashSet<String> = open_fingerprints(policy, &after);
            for item in &fixable {
                if not_fixed
                    .iter()
                    .any(|n| n.gap.fingerprint == item.gap.fingerprint)
                {
                    continue;
                }
                if after.is_empty() || still.contains(&item.gap.fingerprint) {
                    not_fixed.push(NotFixed {
                        gap: item.gap.clone(),
                        why: "the planned change does not close it (judged again on the changed tree)".to_string(),
                    });
                } else {
                    closes.push(item.gap.clone());
                }
            }
        }
        result.changes = changes.iter().map(Change::of).collect();
        result.closes = closes;
        result.not_fixed = not_fixed;

        let pull = match self.open_pull().await {
            Ok(pull) => pull,
            Err(e) => {
                result.outcome = Outcome::Failed;
                result.message = format!("failed: {e}");
                return result;
            }
        };
        if let Some(pull) = &pull {
            result.pull_request = Some(pull.number);
            result.url = pull.html_url.clone();
        }
        let nothing = result.closes.is_empty();
        if nothing {
            result.changes.clear();
        }

        if options.dry_run {
            result.outcome = if nothing {
                Outcome::NothingToFix
            } else {
                Outcome::Planned
            };
            result.message = match (&pull, nothing) {
                (Some(pull), true) if is_wardens(pull) && undecided.is_empty() => {
                    format!("{}; would close #{}", nothing_message(&result), pull.number)
                }
                (_, true) => nothing_message(&result),
                (Some(pull), false) => format!("would update #{}", pull.number),
                (None, false) => "would open a pull request".to_string(),
            };
            return result;
        }

        if nothing {
            result.message = nothing_message(&result);
            // The gaps warden's pull request proposed to close are closed (or no longer
            // wanted): close it, unless a rule that reads files could not decide.
            if let Some(pull) = pull.filter(is_wardens) {
                if !undecided.is_empty() {
                    result.message = format!(
                        "nothing to fix found, but {} could not decide; #{} left open",
                        undecided.join(", "),
                        pull.number
                    );
                    return result;
                }
                match self.close_pull(pull.number).await {
                    Ok(()) => {
                        result.outcome = Outcome::Closed;
                        result.message = format!(
                            "closed #{}: nothing is left to fix on `{default}`",
                            pull.number
                        );
                    }
                    Err(e) => {
                        result.outcome = Outcome::Failed;
                        result.message = format!("failed: could not close #{}: {e}", pull.number);
                    }
                }
            }
            return result;
        }

        let changes: Vec<FileChange> = changes
            .into_iter()
            .filter(|c| result.changes.iter().any(|r| r.path == c.path()))
            .collect();
        match self
            .propose(
                &default, &head, &base_tree, &entries, &changes, &result, pull,
            )
            .await
        {
            Ok((outcome, pull)) => {
                result.outcome = outcome;
                result.pull_request = Some(pull.number);
                result.url = pull.html_url.clone();
                result.message = match outcome {
                    Outcome::Opened => format!("opened #{}", pull.number),
                    Outcome::Updated => format!("updated #{}", pull.number),
                    _ => format!("#{} is up to date", pull.number),
                };
            }
            Err(e) => {
                result.outcome = Outcome::Failed;
                result.message = format!("failed: {e}");
            }
        }
        result
    }

    /// Plan every fix against the tree, each seeing the ones before it (two values set in
    /// one file make one write). Returns the changes, one per path, and the fixes that
    /// could not be planned.
    async fn plan(
        &mut self,
        fixable: &[Fixable],
        entries: &HashMap<String, TreeEntry>,
    ) -> Result<(Vec<FileChange>, Vec<NotFixed>), String> {
        // Read what the fixes touch: the blobs at their paths, and `github:` contents.
        let mut blobs: HashMap<String, Result<Vec<u8>, String>> = HashMap::new();
        for item in fixable {
            let path = item.fix.path();
            if let Some(entry) = entries
                .get(path)
                .filter(|e| e.mode != "040000" && e.mode != "160000")
            {
                let limit = crate::select::MAX_DOCUMENT_BYTES as u64;
                let bytes = if entry.size.is_some_and(|size| size > limit) {
                    Err(format!(
                        "`{path}` is larger than {} MiB; not read for fixing",
                        limit >> 20
                    ))
                } else {
                    self.shared
                        .blobs
                        .get(self.client, self.repo, &entry.sha, entry.size, self.counter)
                        .await
                        .map(|b| b.to_vec())
                        .map_err(|e| format!("cannot read `{path}`: {e}"))
                };
                blobs.insert(path.to_string(), bytes);
            }
            if let LocalFix::CreateFile {
                content: content @ Content::GitHub { .. },
                ..
            } = &item.fix
            {
                self.github_content(content).await;
            }
        }
        let tree = TreeFiles {
            entries,
            blobs,
            planned: Default::default(),
        };
        let contents = RunContent {
            github: &self.shared.github_content,
        };
        let mut changes: Vec<FileChange> = Vec::new();
        let mut not_fixed = Vec::new();
        for item in fixable {
            match local::plan(&item.fix, &tree, &contents, self.shared.options.allow) {
                Ok(Some(change)) => {
                    tree.planned
                        .lock()
                        .expect("not poisoned")
                        .insert(change.path().to_string(), change.clone());
                    changes.retain(|c| c.path() != change.path());
                    changes.push(change);
                }
                Ok(None) => not_fixed.push(NotFixed {
                    gap: item.gap.clone(),
                    why: format!(
                        "`{}` is already as the fix wants, yet the rule finds a gap",
                        item.fix.path()
                    ),
                }),
                Err(why) => not_fixed.push(NotFixed {
                    gap: item.gap.clone(),
                    why,
                }),
            }
        }
        Ok((changes, not_fixed))
    }

    /// Read a `github:ORG/REPO/PATH@REF` content once per run.
    async fn github_content(&mut self, content: &Content) {
        let Content::GitHub {
            repo,
            path,
            reference,
        } = content
        else {
            return;
        };
        let key = format!("{repo}/{path}@{reference}");
        if self
            .shared
            .github_content
            .lock()
            .expect("not poisoned")
            .contains_key(&key)
        {
            return;
        }
        self.requests += 1;
        let read = crate::github::contents::file(self.client, repo, path, reference)
            .await
            .map_err(|e| format!("cannot read `github:{key}`: {e}"));
        self.shared
            .github_content
            .lock()
            .expect("not poisoned")
            .insert(key, read);
    }

    /// `GET git/ref/{reference}`: the commit it points at, `None` when there is no such ref.
    async fn ref_sha(&mut self, reference: &str) -> Result<Option<String>, ApiError> {
        let path = format!("{}/git/ref/{}", self.base(), encode(reference));
        self.requests += 1;
        match self.client.get_json::<serde_json::Value>(&path).await {
            Ok(answer) => match answer["object"]["sha"].as_str() {
                Some(sha) => Ok(Some(sha.to_string())),
                None => Err(ApiError::Malformed {
                    path,
                    message: "the ref has no `object.sha`".to_string(),
                }),
            },
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The open pull request from [`BRANCH`], if any.
    async fn open_pull(&mut self) -> Result<Option<Pull>, ApiError> {
        let path = format!(
            "{}/pulls?head={}:{}&state=open&per_page=100",
            self.base(),
            encode(&self.repo.owner),
            encode(BRANCH)
        );
        self.requests += 1;
        let pulls: Vec<Pull> = self
            .client
            .get_json(&path)
            .await
            .map_err(|e| needs(e, PULLS_READ))?;
        Ok(pulls.into_iter().next())
    }

    async fn close_pull(&mut self, number: u64) -> Result<(), ApiError> {
        let path = format!("/pulls/{number}");
        let closed = json!({"state": "closed"});
        self.send(http::Method::PATCH, &path, closed, PULLS_WRITE)
            .await?;
        Ok(())
    }

    /// Write the changes as one commit on [`BRANCH`] and open or update warden's pull
    /// request. `head` and `base_tree` are the default branch's commit and its tree.
    #[allow(clippy::too_many_arguments)]
    async fn propose(
        &mut self,
        default: &str,
        head: &str,
        base_tree: &str,
        entries: &HashMap<String, TreeEntry>,
        changes: &[FileChange],
        result: &RepoResult,
        pull: Option<Pull>,
    ) -> Result<(Outcome, Pull), String> {
        if let Some(pull) = &pull {
            if !is_wardens(pull) {
                return Err(format!(
                    "#{} is open from `{BRANCH}` but was not opened by warden; left as it is",
                    pull.number
                ));
            }
        }
        // Is `warden/fix` there, and is it warden's to move?
        let existing = self
            .ref_sha(&format!("heads/{BRANCH}"))
            .await
            .map_err(|e| e.to_string())?;
        let mut branch_tree = None;
        if let Some(tip) = &existing {
            branch_tree = self.wardens_branch(head, tip).await?;
        }

        let tree = self.write_tree(base_tree, entries, changes).await?;
        let (title, body) = pull_text(result, default);
        let moved = if branch_tree.as_deref() == Some(tree.as_str()) {
            false
        } else {
            let commit = self.write_commit(&tree, head, result).await?;
            self.write_ref(&commit, existing.is_some()).await?;
            true
        };

        match pull {
            Some(pull) => {
                if !moved && pull.title == title && pull.body.as_deref() == Some(body.as_str()) {
                    return Ok((Outcome::Unchanged, pull));
                }
                let path = format!("/pulls/{}", pull.number);
                let text = json!({"title": title, "body": body});
                let answer = self
                    .send(http::Method::PATCH, &path, text, PULLS_WRITE)
                    .await
                    .map_err(|e| e.to_string())?;
                // The PATCH happened; its answer only refreshes the link.
                let updated = serde_json::from_str::<Pull>(&answer.body).unwrap_or(pull);
                Ok((Outcome::Updated, updated))
            }
            None => {
                let pull = json!({"title": title, "head": BRANCH, "base": default, "body": body});
                let answer = self
                    .send(http::Method::POST, "/pulls", pull, PULLS_WRITE)
                    .await
                    .map_err(|e| e.to_string())?;
                let opened: Pull = serde_json::from_str(&answer.body).map_err(|e| {
                    format!("the pull request was opened, but GitHub's answer is not one: {e}")
                })?;
                Ok((Outcome::Opened, opened))
            }
        }
    }

    /// Whether `warden/fix` (at `tip`) is warden's own: every commit on it that `head`
    /// lacks carries [`TRAILER`]. Returns the tree of its tip (`None` when it adds no
    /// commit), or why it must not be moved.
    async fn wardens_branch(&mut self, head: &str, tip: &str) -> Result<Option<String>, String> {
        let path = format!("{}/compare/{head}...{tip}?per_page=100", self.base());
        self.requests += 1;
        let compare: serde_json::Value = self
            .client
            .get_json(&path)
            .await
            .map_err(|e| format!("cannot tell whether `{BRANCH}` is warden's: {e}"))?;
        let commits = compare["commits"].as_array().ok_or_else(|| {
            format!(
                "cannot tell whether `{BRANCH}` is warden's: GitHub's comparison lacked `commits`"
            )
        })?;
        let total = compare["total_commits"].as_u64();
        if total != Some(commits.len() as u64) {
            return Err(format!(
                "`{BRANCH}` has more commits than one comparison lists; left as it is (delete the branch to let warden start again)"
            ));
        }
        for commit in commits {
            let message = commit["commit"]["message"].as_str().unwrap_or_default();
            if !message.lines().any(|l| l.trim() == TRAILER) {
                let sha = commit["sha"].as_str().unwrap_or("?");
                return Err(format!(
                    "`{BRANCH}` has commit {} that warden did not make; the branch was left as it is (merge or delete it, then run again)",
                    &sha[..sha.len().min(7)]
                ));
            }
        }
        Ok(commits
            .last()
            .and_then(|c| c["commit"]["tree"]["sha"].as_str())
            .map(str::to_string))
    }

    /// One blob per written file or link, then one tree on top of `base_tree`.
    async fn write_tree(
        &mut self,
        base_tree: &str,
        entries: &HashMap<String, TreeEntry>,
        changes: &[FileChange],
    ) -> Result<String, String> {
        let mut items = Vec::new();
        for change in changes {
            let path = change.path();
            let item = match change {
                FileChange::Write { bytes, .. } => {
                    let sha = self.write_blob(bytes).await?;
                    // An executable stays executable.
                    let mode = match entries.get(path) {
                        Some(e) if e.mode == "100755" => "100755",
                        _ => "100644",
                    };
                    json!({"path": path, "mode": mode, "type": "blob", "sha": sha})
                }
                // A symlink is a blob holding its target, with mode 120000.
                FileChange::Symlink { target, .. } => {
                    let sha = self.write_blob(target.as_bytes()).await?;
                    json!({"path": path, "mode": "120000", "type": "blob", "sha": sha})
                }
                FileChange::Delete { .. } => {
                    let mode = entries.get(path).map_or("100644", |e| e.mode.as_str());
                    json!({"path": path, "mode": mode, "type": "blob", "sha": null})
                }
            };
            items.push(item);
        }
        let tree = json!({"base_tree": base_tree, "tree": items});
        let answer = self
            .send(http::Method::POST, "/git/trees", tree, CONTENTS_WRITE)
            .await
            .map_err(|e| e.to_string())?;
        sha_of(&format!("{}/git/trees", self.base()), &answer.body)
    }

    async fn write_blob(&mut self, bytes: &[u8]) -> Result<String, String> {
        let blob = json!({
            "content": base64::engine::general_purpose::STANDARD.encode(bytes),
            "encoding": "base64",
        });
        let answer = self
            .send(http::Method::POST, "/git/blobs", blob, CONTENTS_WRITE)
            .await
            .map_err(|e| e.to_string())?;
        let sha = sha_of(&format!("{}/git/blobs", self.base()), &answer.body)?;
        // Git names a blob by its bytes: a different name means different bytes.
        let want = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
            .map(|o| o.to_string())
            .unwrap_or_default();
        if !sha.eq_ignore_ascii_case(&want) {
            return Err(format!(
                "GitHub stored a blob named {sha} for bytes whose git name is {want}; nothing more was written"
            ));
        }
        Ok(sha)
    }

    async fn write_commit(
        &mut self,
        tree: &str,
        parent: &str,
        result: &RepoResult,
    ) -> Result<String, String> {
        let commit = json!({
            "message": commit_message(result),
            "tree": tree,
            "parents": [parent],
        });
        let answer = self
            .send(http::Method::POST, "/git/commits", commit, CONTENTS_WRITE)
            .await
            .map_err(|e| e.to_string())?;
        sha_of(&format!("{}/git/commits", self.base()), &answer.body)
    }

    /// Point `refs/heads/warden/fix` at `commit`: created, or moved (forced: warden's own
    /// branch is rebuilt on the current default branch each run).
    async fn write_ref(&mut self, commit: &str, exists: bool) -> Result<(), String> {
        let written = if exists {
            let path = format!("/git/refs/heads/{}", encode(BRANCH));
            let moved = json!({"sha": commit, "force": true});
            self.send(http::Method::PATCH, &path, moved, CONTENTS_WRITE)
                .await
        } else {
            let created = json!({"ref": format!("refs/heads/{BRANCH}"), "sha": commit});
            self.send(http::Method::POST, "/git/refs", created, CONTENTS_WRITE)
                .await
        };
        written
            .map(|_| ())
            .map_err(|e| format!("cannot write `{BRANCH}`: {e}"))
    }
}

/// The local fixes of the gaps (not waived) rules found, the count of gaps without one,
/// and the ids of rules that read files but could not decide.
fn fixable(
    policy: &Policy,
    evaluations: &[Evaluation],
    now: jiff::Timestamp,
) -> (Vec<Fixable>, usize, Vec<String>) {
    let waived = waived_fingerprints(policy, evaluations, now);
    let mut fixable = Vec::new();
    let mut without = 0;
    let mut undecided = Vec::new();
    for (rule, evaluation) in policy.rules.iter().zip(evaluations) {
        match evaluation {
            Evaluation::Checked(findings) => {
                for finding in findings {
                    let print = fingerprint(&rule.id, finding.subject_key());
                    if waived.contains(&print) {
                        continue;
                    }
                    match finding.fix.as_deref() {
                        Some(Fix::Local(fix)) => fixable.push(Fixable {
                            gap: Gap {
                                rule: rule.id.clone(),
                                message: finding.message.clone(),
                                path: finding.path.clone(),
                                fingerprint: print,
                            },
                            fix: fix.clone(),
                        }),
                        _ => without += 1,
                    }
                }
            }
            Evaluation::Error(_) => undecided.push(rule.id.clone()),
            Evaluation::Skipped(_) => {}
        }
    }
    (fixable, without, undecided)
}

/// The fingerprints of gaps a waiver covers (the engine decides, as in every report).
fn waived_fingerprints(
    policy: &Policy,
    evaluations: &[Evaluation],
    now: jiff::Timestamp,
) -> HashSet<String> {
    let ctx = RunContext {
        root: String::new(),
        mode: Mode::Check,
        now,
        fail_on: FailOn::Never,
    };
    engine::collect(policy, evaluations.to_vec(), &ctx)
        .rules
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.waived.is_some())
        .map(|f| f.fingerprint.clone())
        .collect()
}

/// The fingerprints of every gap found.
fn open_fingerprints(policy: &Policy, evaluations: &[Evaluation]) -> HashSet<String> {
    policy
        .rules
        .iter()
        .zip(evaluations)
        .flat_map(|(rule, evaluation)| match evaluation {
            Evaluation::Checked(findings) => findings
                .iter()
                .map(|f| fingerprint(&rule.id, f.subject_key()))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn nothing_message(result: &RepoResult) -> String {
    let mut notes = Vec::new();
    if !result.not_fixed.is_empty() {
        notes.push(format!(
            "{} with a fix that cannot be made here",
            plural(result.not_fixed.len(), "gap")
        ));
    }
    if result.without_fix > 0 {
        notes.push(format!(
            "{} no rule knows how to fix",
            plural(result.without_fix, "gap")
        ));
    }
    if !result.undecided.is_empty() {
        notes.push(format!(
            "{} could not decide: {}",
            plural(result.undecided.len(), "rule"),
            result.undecided.join(", ")
        ));
    }
    if notes.is_empty() {
        "nothing to fix".to_string()
    } else {
        format!("nothing to fix ({})", notes.join("; "))
    }
}

fn is_wardens(pull: &Pull) -> bool {
    pull.body.as_deref().is_some_and(|b| b.contains(MARKER))
}

/// The title and body of warden's pull request: which gaps it closes, what it changes,
/// and that warden made it. Holds nothing volatile, so an unchanged run edits nothing.
fn pull_text(result: &RepoResult, default: &str) -> (String, String) {
    let title = format!(
        "warden: close {} the policy names",
        plural(result.closes.len(), "governance gap")
    );
    let mut body = format!(
        "{MARKER}\nThis pull request was made by **warden** (`warden fix --pr`) to close gaps \
         between this repository and its governance policy. It changes only files; review \
         and merge it like any other.\n\n### Gaps it closes\n\n"
    );
    for gap in &result.closes {
        body.push_str(&format!("- `{}`: {}\n", gap.rule, one_line(&gap.message)));
    }
    body.push_str("\n### Changes\n\n");
    for change in &result.changes {
        body.push_str(&format!("- {}\n", change.line()));
    }
    if !result.not_fixed.is_empty() {
        body.push_str("\n### Not fixed here\n\n");
        for item in &result.not_fixed {
            body.push_str(&format!(
                "- `{}`: {} ({})\n",
                item.gap.rule,
                one_line(&item.gap.message),
                one_line(&item.why)
            ));
        }
    }
    body.push_str(&format!(
        "\nwarden keeps this pull request up to date from `{BRANCH}`, rebuilt on `{default}` \
         each run; a commit pushed here by someone else stops it from moving the branch.\n"
    ));
    (title, body)
}

fn commit_message(result: &RepoResult) -> String {
    let mut message = format!(
        "warden: close {}\n\n",
        plural(result.closes.len(), "governance gap")
    );
    for gap in &result.closes {
        message.push_str(&format!("- {}: {}\n", gap.rule, one_line(&gap.message)));
    }
    message.push_str(&format!("\n{TRAILER}\n"));
    message
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The `sha` of a created git object.
fn sha_of(path: &str, body: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["sha"].as_str().map(str::to_string))
        .ok_or_else(|| format!("GitHub's answer for {path} lacked the new object's `sha`"))
}

/// A 403 that does not say which permission it wants names the one warden knows it needs.
fn needs(error: ApiError, permission: &str) -> ApiError {
    match error {
        ApiError::Forbidden {
            path,
            message,
            permission: None,
        } => ApiError::Forbidden {
            path,
            message,
            permission: Some(permission.to_string()),
        },
        other => other,
    }
}

/// A repository's tree on GitHub, as the planner reads it, with the changes planned so
/// far laid over it.
struct TreeFiles<'a> {
    entries: &'a HashMap<String, TreeEntry>,
    /// The bytes of the blobs at the fixes' paths (a symlink's blob is its target).
    blobs: HashMap<String, Result<Vec<u8>, String>>,
    planned: Mutex<HashMap<String, FileChange>>,
}

impl RepoFiles for TreeFiles<'_> {
    fn existing(&self, path: &str) -> Result<Existing, String> {
        if let Some(change) = self.planned.lock().expect("not poisoned").get(path) {
            return Ok(match change {
                FileChange::Write { bytes, .. } => Existing::File(bytes.clone()),
                FileChange::Symlink { target, .. } => Existing::Symlink(target.clone()),
                FileChange::Delete { .. } => Existing::Missing,
            });
        }
        // A parent that is a link or a file: the path cannot be made without replacing it.
        let mut parent = String::new();
        for part in path
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(part);
            match self.entries.get(&parent).map(|e| e.mode.as_str()) {
                Some("120000") => {
                    return Err(format!(
                        "`{parent}`, a parent of `{path}`, is a symlink; not changed"
                    ))
                }
                Some("040000") | None => {}
                Some(_) => {
                    return Err(format!(
                        "`{parent}`, a parent of `{path}`, is not a directory; not changed"
                    ))
                }
            }
        }
        let Some(entry) = self.entries.get(path) else {
            return Ok(Existing::Missing);
        };
        let bytes = || match self.blobs.get(path) {
            Some(Ok(bytes)) => Ok(bytes.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("`{path}` was not read")),
        };
        Ok(match entry.mode.as_str() {
            "040000" => Existing::Other("a directory".to_string()),
            "160000" => Existing::Other("a submodule".to_string()),
            "120000" => Existing::Symlink(String::from_utf8_lossy(&bytes()?).into_owned()),
            _ => Existing::File(bytes()?),
        })
    }
}

/// Contents of `create-file` fixes: inline, a template beside the policy, or `github:`
/// read once per run.
struct RunContent<'a> {
    github: &'a Mutex<HashMap<String, Result<Vec<u8>, String>>>,
}

impl ContentReader for RunContent<'_> {
    fn read(&self, content: &Content) -> Result<Vec<u8>, String> {
        if let Some(read) = local::read_local(content) {
            return read;
        }
        let Content::GitHub {
            repo,
            path,
            reference,
        } = content
        else {
            unreachable!("read_local reads every other content");
        };
        let key = format!("{repo}/{path}@{reference}");
        self.github
            .lock()
            .expect("not poisoned")
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Err(format!("`github:{key}` was not read")))
    }
}

/// The human report: one line per repository, its changes and the gaps they close.
pub fn render_human(report: &FixPrReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for result in &report.repositories {
        let link = result
            .url
            .as_deref()
            .filter(|_| {
                matches!(
                    result.outcome,
                    Outcome::Opened | Outcome::Updated | Outcome::Unchanged
                )
            })
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        writeln!(out, "{}: {}{link}", result.repo, result.message)?;
        for change in &result.changes {
            writeln!(out, "  {}", change.line())?;
        }
        for gap in &result.closes {
            writeln!(out, "  closes {}: {}", gap.rule, one_line(&gap.message))?;
        }
        if result.outcome != Outcome::NothingToFix && !result.undecided.is_empty() {
            writeln!(out, "  could not decide: {}", result.undecided.join(", "))?;
        }
        for item in &result.not_fixed {
            writeln!(
                out,
                "  not fixed {}: {} ({})",
                item.gap.rule,
                one_line(&item.gap.message),
                one_line(&item.why)
            )?;
        }
    }
    let counts: Vec<String> = report
        .summary
        .iter()
        .map(|(outcome, n)| format!("{n} {}", outcome.replace('-', " ")))
        .collect();
    writeln!(
        out,
        "{}{}: {}",
        plural(report.repositories.len(), "repository").replace("repositorys", "repositories"),
        if report.dry_run {
            " (dry run, nothing written)"
        } else {
            ""
        },
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    )
}

pub fn render_json(report: &FixPrReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, mode: &str) -> (String, TreeEntry) {
        (
            path.to_string(),
            TreeEntry {
                path: path.to_string(),
                mode: mode.to_string(),
                sha: "0".repeat(40),
                size: None,
            },
        )
    }

    #[test]
    fn the_tree_reader_refuses_paths_under_links_and_files() {
        let entries: HashMap<String, TreeEntry> = [
            entry(".claude", "120000"),
            entry("docs", "040000"),
            entry("README.md", "100644"),
        ]
        .into_iter()
        .collect();
        let tree = TreeFiles {
            entries: &entries,
            blobs: [("README.md".to_string(), Ok(b"hi\n".to_vec()))]
                .into_iter()
                .collect(),
            planned: Default::default(),
        };
        assert!(tree
            .existing(".claude/RULES.md")
            .unwrap_err()
            .contains("symlink"));
        assert!(tree
            .existing("README.md/x")
            .unwrap_err()
            .contains("not a directory"));
        assert_eq!(
            tree.existing("docs").unwrap(),
            Existing::Other("a directory".into())
        );
        assert_eq!(tree.existing("docs/new.md").unwrap(), Existing::Missing);
        assert_eq!(
            tree.existing("README.md").unwrap(),
            Existing::File(b"hi\n".to_vec())
        );
        tree.planned.lock().unwrap().insert(
            "docs/new.md".into(),
            FileChange::Symlink {
                path: "docs/new.md".into(),
                target: "../README.md".into(),
            },
        );
        assert_eq!(
            tree.existing("docs/new.md").unwrap(),
            Existing::Symlink("../README.md".into())
        );
    }

    #[test]
    fn a_forbidden_write_names_the_permission() {
        let error = needs(
            ApiError::Forbidden {
                path: "/repos/o/r/git/refs".into(),
                message: "Resource not accessible by integration".into(),
                permission: None,
            },
            CONTENTS_WRITE,
        );
        assert!(error.to_string().contains("`contents: write`"), "{error}");
        // GitHub's own `x-accepted-github-permissions` wins.
        let error = needs(
            ApiError::Forbidden {
                path: "/repos/o/r/pulls".into(),
                message: "no".into(),
                permission: Some("pull_requests=write".into()),
            },
            CONTENTS_WRITE,
        );
        assert!(error.to_string().contains("pull_requests=write"), "{error}");
    }

    #[test]
    fn the_text_says_what_it_closes_and_who_made_it_and_holds_nothing_volatile() {
        let mut result = RepoResult::new(
            &RepoId::parse("octo-org/app").unwrap(),
            Outcome::Planned,
            "",
        );
        result.closes.push(Gap {
            rule: "org-rules-link".into(),
            message: "`.claude/RULES.mdc` is missing".into(),
            path: Some(".claude/RULES.mdc".into()),
            fingerprint: "f".into(),
        });
        result.changes.push(Change::of(&FileChange::Symlink {
            path: ".claude/RULES.mdc".into(),
            target: "../rules/RULES.mdc".into(),
        }));
        let (title, body) = pull_text(&result, "main");
        assert_eq!(title, "warden: close 1 governance gap the policy names");
        assert!(body.starts_with(MARKER));
        assert!(body.contains("made by **warden**"));
        assert!(body.contains("- `org-rules-link`: `.claude/RULES.mdc` is missing"));
        assert!(body.contains("link `.claude/RULES.mdc` -> `../rules/RULES.mdc`"));
        assert_eq!(pull_text(&result, "main"), (title, body));
        assert!(commit_message(&result).ends_with(&format!("\n{TRAILER}\n")));
    }

    #[test]
    fn waived_gaps_are_not_fixed_and_rules_in_error_are_undecided() {
        let text = |waiver: &str| {
            format!(
                "[[rule]]\nid = \"link\"\nkind = \"symlink\"\npath = \"a/RULES.md\"\ntarget = \"../RULES.md\"\nmust_resolve = false\n\n[[rule]]\nid = \"other\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\n{waiver}"
            )
        };
        let now: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        let facts = crate::facts::Facts::from_texts(&[("README.md", "hi\n")], now);
        let policy = crate::policy::load_text("warden.toml", &text("")).unwrap();
        let mut evaluations = engine::evaluate(&policy, &facts, false);
        let (fixable_gaps, without, undecided) = fixable(&policy, &evaluations, now);
        assert_eq!(fixable_gaps.len(), 1);
        assert_eq!(fixable_gaps[0].gap.rule, "link");
        assert!(matches!(fixable_gaps[0].fix, LocalFix::Symlink { .. }));
        assert_eq!((without, undecided.len()), (0, 0));

        evaluations[1] = Evaluation::Error("cannot read".into());
        let (_, _, undecided) = fixable(&policy, &evaluations, now);
        assert_eq!(undecided, ["other"]);

        let waived = crate::policy::load_text(
            "warden.toml",
            &text("\n[[waiver]]\nrule = \"link\"\nreason = \"not this one, #7\"\n"),
        )
        .unwrap();
        let evaluations = engine::evaluate(&waived, &facts, false);
        let (fixable_gaps, _, _) = fixable(&waived, &evaluations, now);
        assert!(fixable_gaps.is_empty(), "a waived gap is not fixed");
    }
}
