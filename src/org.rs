//! The organisation-wide drift sweep (`warden sweep --org ORG`): judge every repository of
//! an organisation against one policy, without cloning any of them.
//!
//! For each repository the facts come from the API alone: the file list from one recursive
//! git-trees request, the text of only the files rules read (and symlink targets) from the
//! blobs API, and GitHub facts as in a single-repository check, with the settings reused
//! from the organisation listing when it has them. Facts are gathered for a bounded number
//! of repositories at a time, and judged on a thread of their own as they arrive, by the
//! same engine as `warden check`. A repository that cannot be read is an `error` row;
//! the sweep goes on.
//!
//! What an organisation sweep cannot know is never guessed:
//! - history rules (last-commit dates) are `skipped`: there is no clone;
//! - a truncated or unreadable tree makes every rule that reads files `error`;
//! - a rule whose result depends on something unknown (a symlink target that could not be
//!   read, a link target outside the repository, which no sibling checkout can answer)
//!   is `error`: it is judged twice with the unknown set two ways, and if the results
//!   differ it could not decide.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use futures_util::StreamExt;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::engine::{self, FailOn, Mode, RunContext};
use crate::facts::{EntryKind, Facts, FileEntry, FileSource, Needs};
use crate::github::org::{self as remote, Blobs, Counter, ListedRepo, RemoteTree};
use crate::github::org_alerts::OrgAlerts;
use crate::github::protection_batches::ProtectionBatches;
use crate::github::{self, ApiError, ApiStats, Client, ClientConfig, GitHubState, RepoId};
use crate::model::Evaluation;
use crate::policy::Policy;
use crate::progress::{Lines, Progress, Silent};
use crate::report::org::{
    NotSwept, OrgApiCost, OrgReport, OrgSummary, OrgTool, RepoRow, RowOutcome, Selection,
    ShardInfo, MODE,
};
use crate::report::SCHEMA_VERSION;
use crate::rules::Scope;

/// Which repositories to sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgTarget {
    /// Every repository `GET /orgs/{org}/repos?type=all` lists.
    Org(String),
    /// A fixed list (`--repos FILE`); each repository is read with `GET /repos/{o}/{r}`.
    Repos(Vec<RepoId>),
}

/// `--shard I/N`: this run sweeps the repositories whose [`shard_hash`] mod N is I-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not I/N (e.g. 1/4)"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{text}` is not I/N (e.g. 1/4)"))
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard `{text}`: I must be between 1 and N, and N at least 1"
            ));
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, repo: &str) -> bool {
        shard_hash(repo) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// FNV-1a (64-bit, as [`crate::report::fingerprint`]) of the lower-cased `OWNER/NAME`:
/// stable across runs, platforms and warden versions, so every shard job of a sweep
/// agrees on who sweeps which repository. GitHub names are case-insensitive.
pub fn shard_hash(repo: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in repo.to_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[derive(Clone, Debug)]
pub struct OrgOptions {
    pub target: OrgTarget,
    /// Sweep only repositories matching one of these globs (all when empty). A glob
    /// without `/` matches the repository name, one with `/` the `OWNER/NAME`;
    /// case-insensitive.
    pub include: Vec<String>,
    /// Leave out repositories matching one of these globs (same matching as `include`).
    pub exclude: Vec<String>,
    pub include_archived: bool,
    pub include_forks: bool,
    pub shard: Option<Shard>,
    pub now: jiff::Timestamp,
    pub fail_on: FailOn,
    /// Repositories read at once (the client separately bounds requests in flight).
    pub concurrency: usize,
    /// Log one line per repository on standard error: `[12/30] octo-org/app: 2 gaps`
    /// (with [`sweep_org`]; [`sweep_org_with`] takes how progress is shown instead).
    pub progress: bool,
    /// Keep one tracking issue in each swept repository (`--issue`), after the sweep.
    pub issue: bool,
}

impl OrgOptions {
    pub fn new(target: OrgTarget, now: jiff::Timestamp) -> Self {
        OrgOptions {
            target,
            include: Vec::new(),
            exclude: Vec::new(),
            include_archived: false,
            include_forks: false,
            shard: None,
            now,
            fail_on: FailOn::Deny,
            concurrency: DEFAULT_CONCURRENCY,
            progress: false,
            issue: false,
        }
    }
}

/// Repositories read at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("invalid {option} glob `{glob}`: {message}")]
    Glob {
        option: &'static str,
        glob: String,
        message: String,
    },
    #[error("cannot list the repositories of `{org}`: {source}")]
    Listing { org: String, source: ApiError },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A `--repos` file: one `OWNER/NAME` a line; blank lines and `#` comments are ignored,
/// duplicates kept once. Every bad line is reported, with its number.
pub fn read_repos_file(text: &str) -> Result<Vec<RepoId>, String> {
    let mut repos = Vec::new();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match RepoId::parse(line) {
            Some(id) if line.matches('/').count() == 1 => {
                if seen.insert(id.to_string().to_lowercase()) {
                    repos.push(id);
                }
            }
            _ => problems.push(format!("line {}: `{line}` is not OWNER/NAME", n + 1)),
        }
    }
    if problems.is_empty() {
        Ok(repos)
    } else {
        Err(problems.join("; "))
    }
}

/// Include/exclude globs, compiled.
struct Filter {
    include: Option<(GlobSet, GlobSet)>,
    exclude: (GlobSet, GlobSet),
}

impl Filter {
    fn new(options: &OrgOptions) -> Result<Filter, OrgError> {
        let compile = |option: &'static str, globs: &[String]| {
            let mut names = GlobSetBuilder::new();
            let mut full = GlobSetBuilder::new();
            for glob in globs {
                let compiled = GlobBuilder::new(glob)
                    .case_insensitive(true)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| OrgError::Glob {
                        option,
                        glob: glob.clone(),
                        message: e.kind().to_string(),
                    })?;
                if glob.contains('/') {
                    full.add(compiled);
                } else {
                    names.add(compiled);
                }
            }
            let build = |b: GlobSetBuilder| {
                b.build().map_err(|e| OrgError::Glob {
                    option,
                    glob: globs.join(", "),
                    message: e.to_string(),
                })
            };
            Ok::<_, OrgError>((build(names)?, build(full)?))
        };
        Ok(Filter {
            include: if options.include.is_empty() {
                None
            } else {
                Some(compile("--include", &options.include)?)
            },
            exclude: compile("--exclude", &options.exclude)?,
        })
    }

    /// Why `repo` is left out, if it is.
    fn reason(&self, repo: &RepoId) -> Option<&'static str> {
        let full = repo.to_string();
        let matches = |(names, fulls): &(GlobSet, GlobSet)| {
            names.is_match(&repo.name) || fulls.is_match(&full)
        };
        if matches(&self.exclude) {
            Some("excluded")
        } else if self.include.as_ref().is_some_and(|i| !matches(i)) {
            Some("not-included")
        } else {
            None
        }
    }
}

/// What the policy needs from each repository, worked out once.
struct Plan {
    /// Everything the rules that run in an org sweep need (history rules excluded).
    needs: Needs,
    /// Per rule (policy order): does it read the file tree or file contents?
    reads_tree: Vec<bool>,
    /// Does any rule? If not, the tree is not fetched at all.
    tree: bool,
}

impl Plan {
    fn of(policy: &Policy) -> Plan {
        let mut needs = Needs::default();
        let mut reads_tree = Vec::new();
        for rule in &policy.rules {
            let mut own = Needs::default();
            rule.rule.needs(&mut own);
            let runs = !matches!(rule.kind.scope, Scope::History | Scope::Pr);
            reads_tree.push(
                runs && (matches!(rule.kind.scope, Scope::Paths | Scope::Tree)
                    || !own.content.is_empty()
                    || !own.outside.is_empty()),
            );
            if runs {
                rule.rule.needs(&mut needs);
            }
        }
        // History needs are not gathered: those rules are skipped.
        needs.history.clear();
        Plan {
            tree: reads_tree.iter().any(|r| *r),
            needs,
            reads_tree,
        }
    }
}

/// The most symlink targets and file texts read per repository.
const MAX_SYMLINKS: usize = 100;
const MAX_CONTENTS: usize = 300;
/// Files larger than this are not read (as in a checkout).
const MAX_CONTENT_BYTES: u64 = 8 * 1024 * 1024;
/// Bytes of blobs kept for reuse across repositories.
const BLOB_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The file facts of one repository, as read through the API.
#[derive(Clone, Debug, Default)]
struct RemoteFiles {
    /// Entries; a symlink whose target could not be read has `None`.
    entries: Vec<(String, RemoteKind)>,
    contents: HashMap<String, Result<String, String>>,
    /// Why some symlink targets are unknown.
    unknown_targets: Option<String>,
}

#[derive(Clone, Debug)]
enum RemoteKind {
    File,
    Executable,
    Symlink(Option<String>),
    Submodule,
}

/// What was gathered for one repository, sent to the judging thread.
enum Gathered {
    Swept(Swept),
    /// Could not be read at all (`GET /repos/{o}/{r}` failed for a `--repos` entry).
    Unreadable {
        repo: RepoId,
        error: String,
        requests: u64,
    },
    NotSwept(NotSwept, u64),
}

struct Swept {
    repo: RepoId,
    /// The file facts, or why there are none (`None`: no rule reads files).
    files: Option<Result<RemoteFiles, TreeProblem>>,
    github: GitHubState,
    requests: u64,
}

enum TreeProblem {
    /// The tree was read but is incomplete: content rules are `error`, the row is `ok`.
    Truncated,
    /// The tree could not be read: the row is `error`.
    Failed(String),
}

impl TreeProblem {
    fn reason(&self) -> String {
        match self {
            TreeProblem::Truncated => "the repository's file tree is too large for one API request (GitHub truncated it at 100,000 entries or 7 MB), so rules that read files could not decide; run `warden check` in a clone of it".to_string(),
            TreeProblem::Failed(e) => format!("the repository's file tree could not be read: {e}"),
        }
    }
}

/// Sweep the organisation (or list) in `options` with `policy`.
///
/// Fails only when there is nothing to sweep: bad globs, or the organisation listing
/// cannot be read. Everything that goes wrong for one repository is in its row.
pub fn sweep_org(
    options: &OrgOptions,
    policy: &Policy,
    config: ClientConfig,
) -> Result<OrgReport, OrgError> {
    if options.progress {
        sweep_org_with(options, policy, config, &Lines::stderr())
    } else {
        sweep_org_with(options, policy, config, &Silent)
    }
}

/// [`sweep_org`], telling `progress` each repository judged (and each tracking issue
/// synced), however the caller wants that shown.
pub fn sweep_org_with(
    options: &OrgOptions,
    policy: &Policy,
    config: ClientConfig,
    progress: &dyn Progress,
) -> Result<OrgReport, OrgError> {
    // The issues are synced after the sweep, with a client of their own.
    let tracking_config = options.issue.then(|| config.clone());
    let filter = Filter::new(options)?;
    let plan = Plan::of(policy);
    let api_url = config.api_url.clone();
    let total = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<Gathered>();

    std::thread::scope(|scope| {
        let judge = scope.spawn(|| {
            let mut rows = Vec::new();
            let mut not_swept = Vec::new();
            let mut extra_requests = 0;
            for (done, gathered) in receiver.into_iter().enumerate() {
                let row = match gathered {
                    Gathered::NotSwept(item, requests) => {
                        extra_requests += requests;
                        progress.step(
                            done + 1,
                            total.load(Ordering::Relaxed),
                            &item.repo,
                            &format!("not swept ({})", item.reason),
                            false,
                        );
                        not_swept.push(item);
                        continue;
                    }
                    Gathered::Unreadable {
                        repo,
                        error,
                        requests,
                    } => RepoRow {
                        repo: repo.to_string(),
                        outcome: RowOutcome::Error,
                        error: Some(error),
                        requests,
                        report: None,
                        tracking: None,
                    },
                    Gathered::Swept(swept) => judge_repo(policy, &plan, options, swept),
                };
                let (note, notable) = progress_note(&row);
                progress.step(
                    done + 1,
                    total.load(Ordering::Relaxed),
                    &row.repo,
                    &note,
                    notable,
                );
                rows.push(row);
            }
            (rows, not_swept, extra_requests)
        });

        let swept = github::with_client(config, async |client| {
            let sender = sender;
            let listing = Counter::default();
            let mut not_swept = Vec::new();
            let candidates: Vec<Candidate> = match &options.target {
                OrgTarget::Org(org) => remote::list_org(client, &api_url, org, &listing)
                    .await
                    .map_err(|source| OrgError::Listing {
                        org: org.clone(),
                        source,
                    })?
                    .into_iter()
                    .map(Candidate::Listed)
                    .collect(),
                OrgTarget::Repos(repos) => repos.iter().cloned().map(Candidate::Named).collect(),
            };
            let mut chosen = Vec::new();
            for candidate in candidates {
                let id = candidate.id();
                if options.shard.is_some_and(|s| !s.contains(&id.to_string())) {
                    continue;
                }
                match candidate.left_out(&filter, options) {
                    Some(reason) => not_swept.push(NotSwept {
                        repo: id.to_string(),
                        reason: reason.to_string(),
                    }),
                    None => chosen.push(candidate),
                }
            }
            total.store(chosen.len(), Ordering::Relaxed);
            progress.begin("sweep", chosen.len());
            let blobs = Blobs::batched(BLOB_CACHE_BYTES);
            let ids: Vec<RepoId> = chosen.iter().map(Candidate::id).collect();
            let batches =
                ProtectionBatches::new(&ids, plan.needs.github.branches.iter().cloned().collect());
            let org_alerts = OrgAlerts::default();
            let org_settings = Counter::default();
            let shared = Shared {
                plan: &plan,
                filter: &filter,
                blobs: &blobs,
                batches: &batches,
                org_alerts: &org_alerts,
                org_settings: &org_settings,
            };
            let mut gathered = futures_util::stream::iter(chosen)
                .map(|candidate| gather_repo(client, &shared, options, candidate))
                .buffer_unordered(options.concurrency.max(1));
            while let Some(item) = gathered.next().await {
                // The judge only stops early if it panicked; the join below reports that.
                let _ = sender.send(item);
            }
            let graphql = batches.queries() + blobs.queries();
            // Facts of the whole organisation are counted with its listing.
            let listing = listing.get() + org_alerts.requests() + org_settings.get();
            Ok::<_, OrgError>((not_swept, listing, blobs.reused(), graphql))
        });
        let (mut rows, more_not_swept, extra_requests) =
            judge.join().expect("the judging thread panicked");
        let ((mut not_swept, listing, blobs_reused, graphql), stats) = match swept {
            Ok((Ok(result), stats)) => (result, stats),
            Ok((Err(e), _)) => {
                progress.finish();
                return Err(e);
            }
            Err(e) => {
                progress.finish();
                return Err(OrgError::Api(e));
            }
        };
        not_swept.extend(more_not_swept);
        let mut tracking_cost = ApiStats::default();
        if let Some(config) = tracking_config {
            let now = options.now.to_string();
            let today = now.get(..10).unwrap_or(&now);
            tracking_cost = crate::effects::org_tracking::track(&mut rows, config, today, progress);
        }
        progress.finish();
        let mut report = OrgReport {
            version: SCHEMA_VERSION,
            tool: OrgTool::default(),
            mode: MODE.to_string(),
            org: match &options.target {
                OrgTarget::Org(org) => Some(org.clone()),
                OrgTarget::Repos(_) => None,
            },
            now: options.now.to_string(),
            policy: policy.sources.clone(),
            fail_on: fail_on_name(options.fail_on).to_string(),
            selection: Selection {
                include: options.include.clone(),
                exclude: options.exclude.clone(),
                archived: options.include_archived,
                forks: options.include_forks,
            },
            shard: options.shard.map(|s| ShardInfo {
                index: s.index,
                count: s.count,
            }),
            summary: OrgSummary::default(),
            repositories: rows,
            not_swept,
            github_api: OrgApiCost {
                requests: stats.requests + tracking_cost.requests,
                listing: listing + extra_requests,
                cached: stats.cached + tracking_cost.cached,
                retried: stats.retried + tracking_cost.retried,
                rate_limited: stats.rate_limited + tracking_cost.rate_limited,
                blobs_reused,
                graphql,
                requests_per_repository: 0.0,
            },
        };
        report.finish();
        Ok(report)
    })
}

fn fail_on_name(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Deny => "deny",
        FailOn::Warn => "warn",
        FailOn::Never => "never",
    }
}

/// What a row's progress line says, and whether it is worth a line above a bar (gaps or
/// errors).
fn progress_note(row: &RepoRow) -> (String, bool) {
    let summary = row.report.as_ref().map(|r| &r["summary"]);
    let count = |key: &str| summary.and_then(|s| s[key].as_u64()).unwrap_or(0);
    let mut note = match (count("gaps"), count("error")) {
        (0, 0) => "no gaps".to_string(),
        (gaps, 0) => plural(gaps, "gap"),
        (0, errors) => plural(errors, "rule error"),
        (gaps, errors) => format!("{}, {}", plural(gaps, "gap"), plural(errors, "rule error")),
    };
    if let Some(error) = &row.error {
        note = format!("error: {error}; {note}");
    }
    let notable = row.error.is_some() || count("gaps") > 0 || count("error") > 0;
    (note, notable)
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

enum Candidate {
    Listed(ListedRepo),
    Named(RepoId),
}

impl Candidate {
    fn id(&self) -> RepoId {
        match self {
            Candidate::Listed(listed) => listed.id.clone(),
            Candidate::Named(id) => id.clone(),
        }
    }

    /// Why a candidate is left out, judged on what is known before reading it.
    fn left_out(&self, filter: &Filter, options: &OrgOptions) -> Option<&'static str> {
        match self {
            Candidate::Listed(listed) => kept_out(listed, filter, options),
            Candidate::Named(id) => filter.reason(id),
        }
    }
}

fn kept_out(listed: &ListedRepo, filter: &Filter, options: &OrgOptions) -> Option<&'static str> {
    if listed.archived && !options.include_archived {
        Some("archived")
    } else if listed.fork && !options.include_forks {
        Some("fork")
    } else {
        filter.reason(&listed.id)
    }
}

/// What every repository's gathering shares.
struct Shared<'a> {
    plan: &'a Plan,
    filter: &'a Filter,
    /// Blobs already read, by SHA.
    blobs: &'a Blobs,
    /// Classic branch protection, read for many repositories per GraphQL query.
    batches: &'a ProtectionBatches,
    /// Open security alerts, listed once per organisation.
    org_alerts: &'a OrgAlerts,
    /// Requests for organisation settings, charged to the organisation, not a row.
    org_settings: &'a Counter,
}

async fn gather_repo(
    client: &Client,
    shared: &Shared<'_>,
    options: &OrgOptions,
    candidate: Candidate,
) -> Gathered {
    let Shared {
        plan,
        filter,
        blobs,
        batches,
        org_alerts,
        org_settings,
    } = *shared;
    let counter = Counter::default();
    let listed = match candidate {
        Candidate::Listed(listed) => listed,
        Candidate::Named(id) => match remote::repository(client, &id, &counter).await {
            Ok(listed) => {
                if let Some(reason) = kept_out(&listed, filter, options) {
                    return Gathered::NotSwept(
                        NotSwept {
                            repo: listed.id.to_string(),
                            reason: reason.to_string(),
                        },
                        counter.get(),
                    );
                }
                listed
            }
            Err(e) => {
                let error = match e {
                    ApiError::NotFound { .. } => {
                        format!("{id} was not found, or the token cannot see it (404)")
                    }
                    e => e.to_string(),
                };
                return Gathered::Unreadable {
                    repo: id,
                    error,
                    requests: counter.get(),
                };
            }
        },
    };
    let files = async {
        if plan.tree {
            Some(read_files(client, plan, blobs, &listed, &counter).await)
        } else {
            None
        }
    };
    let github = async {
        if plan.needs.github.any() {
            let classic = batches.classic(client, &listed.id).await;
            let facts = remote::gather_listed(
                client,
                &listed,
                &plan.needs.github,
                &classic,
                org_alerts,
                &counter,
            )
            .await;
            org_settings.add(facts.extra.org_requests);
            GitHubState::Known(Box::new(facts))
        } else {
            GitHubState::NotNeeded
        }
    };
    let (files, github) = tokio::join!(files, github);
    Gathered::Swept(Swept {
        repo: listed.id,
        files,
        github,
        requests: counter.get(),
    })
}

/// The file list from one recursive tree request, then the blobs rules need.
async fn read_files(
    client: &Client,
    plan: &Plan,
    blobs: &Blobs,
    listed: &ListedRepo,
    counter: &Counter,
) -> Result<RemoteFiles, TreeProblem> {
    let repo = &listed.id;
    let reference = listed.default_branch.as_deref().unwrap_or("HEAD");
    let tree: RemoteTree = remote::tree(client, repo, reference, counter)
        .await
        .map_err(|e| TreeProblem::Failed(e.to_string()))?;
    read_tree_files(client, plan, blobs, repo, tree, counter).await
}

/// The blobs rules need from a tree already read.
async fn read_tree_files(
    client: &Client,
    plan: &Plan,
    blobs: &Blobs,
    repo: &RepoId,
    tree: RemoteTree,
    counter: &Counter,
) -> Result<RemoteFiles, TreeProblem> {
    if tree.truncated {
        return Err(TreeProblem::Truncated);
    }
    let mut files = RemoteFiles::default();
    let mut symlinks = Vec::new();
    let mut wanted = Vec::new();
    for entry in tree.entries {
        let kind = match entry.mode.as_str() {
            "100644" | "100664" => RemoteKind::File,
            "100755" => RemoteKind::Executable,
            "120000" => RemoteKind::Symlink(None),
            "160000" => RemoteKind::Submodule,
            // Trees (040000): directories are implied by the paths below them.
            _ => continue,
        };
        match kind {
            RemoteKind::Symlink(_) => {
                symlinks.push((entry.path.clone(), entry.sha.clone(), entry.size))
            }
            RemoteKind::File | RemoteKind::Executable if plan.needs.reads_text(&entry.path) => {
                wanted.push(entry.clone())
            }
            _ => {}
        }
        files.entries.push((entry.path, kind));
    }

    let text_of = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let targets = futures_util::future::join_all(symlinks.iter().take(MAX_SYMLINKS).map(
        |(path, sha, size)| async move {
            let target = blobs.get(client, repo, sha, *size, counter).await;
            (path.clone(), target.map(|b| text_of(&b)))
        },
    ));
    let contents = futures_util::future::join_all(wanted.iter().enumerate().map(
        |(i, entry)| async move {
            let text = if i >= MAX_CONTENTS {
                Err(format!(
                    "not read: an organisation sweep reads at most {MAX_CONTENTS} files per repository"
                ))
            } else if entry.size.is_some_and(|s| s > MAX_CONTENT_BYTES) {
                Err(format!("larger than {MAX_CONTENT_BYTES} bytes; not read"))
            } else {
                blobs
                    .get(client, repo, &entry.sha, entry.size, counter)
                    .await
                    .map(|b| text_of(&b))
                    .map_err(|e| format!("cannot read: {e}"))
            };
            (entry.path.clone(), text)
        },
    ));
    let (targets, contents) = tokio::join!(targets, contents);
    files.contents = contents.into_iter().collect();

    let mut known: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    for (path, target) in targets {
        match target {
            Ok(target) => {
                known.insert(path, target);
            }
            Err(e) => problems.push(format!("`{path}`: {e}")),
        }
    }
    if symlinks.len() > MAX_SYMLINKS {
        problems.push(format!(
            "{} more symlinks than the {MAX_SYMLINKS} an organisation sweep reads per repository",
            symlinks.len() - MAX_SYMLINKS
        ));
    }
    for (path, kind) in &mut files.entries {
        if let RemoteKind::Symlink(target) = kind {
            *target = known.remove(path.as_str());
        }
    }
    if !problems.is_empty() {
        files.unknown_targets = Some(format!(
            "it depends on symlink targets that could not be read ({})",
            problems.join("; ")
        ));
    }
    Ok(files)
}

/// Two texts no symlink target can be (git paths hold no NUL), to judge with an unknown
/// target set two ways.
const UNKNOWN_TARGETS: [&str; 2] = ["\0warden: unknown target A", "\0warden: unknown target B"];

fn facts_of(
    repo: &RepoId,
    files: Option<&RemoteFiles>,
    github: &GitHubState,
    now: jiff::Timestamp,
    unknown_target: &str,
    outside_exists: Option<bool>,
    outside: &[String],
) -> Facts {
    let entries = files
        .map(|f| {
            f.entries
                .iter()
                .map(|(path, kind)| FileEntry {
                    path: path.clone(),
                    kind: match kind {
                        RemoteKind::File => EntryKind::File,
                        RemoteKind::Executable => EntryKind::Executable,
                        RemoteKind::Submodule => EntryKind::Submodule,
                        RemoteKind::Symlink(target) => EntryKind::Symlink {
                            target: target.clone().unwrap_or_else(|| unknown_target.to_string()),
                        },
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let mut facts = Facts::from_entries(
        PathBuf::from(repo.to_string()),
        FileSource::Tree,
        entries,
        now,
    );
    if let Some(files) = files {
        facts.contents = files.contents.clone();
    }
    facts.github = github.clone();
    if let Some(exists) = outside_exists {
        facts.outside_exists = outside.iter().map(|p| (p.clone(), exists)).collect();
    }
    facts.last_commit = Err(HISTORY_SKIPPED.to_string());
    facts
}

pub(crate) const HISTORY_SKIPPED: &str = "needs git history (last-commit dates), and an organisation sweep reads repositories through the API without cloning them; run `warden check` or `warden sweep` in a clone for it";

/// The engine on one repository's facts, then what an org sweep cannot know.
fn evaluate_remote(
    policy: &Policy,
    plan: &Plan,
    repo: &RepoId,
    files: Option<&Result<RemoteFiles, TreeProblem>>,
    github: &GitHubState,
    now: jiff::Timestamp,
) -> Vec<Evaluation> {
    let (readable, problem) = match files {
        Some(Ok(files)) => (Some(files), None),
        Some(Err(problem)) => (None, Some(problem)),
        None => (None, None),
    };
    let outside = &plan.needs.outside;
    let judge = |target: &str, exists: Option<bool>| {
        let facts = facts_of(repo, readable, github, now, target, exists, outside);
        engine::evaluate(policy, &facts, false)
    };
    let first_exists = (!outside.is_empty()).then_some(false);
    let mut evaluations = judge(UNKNOWN_TARGETS[0], first_exists);

    // Rules whose result changes with an unknown fact could not decide.
    let mut unknowns: Vec<(Vec<Evaluation>, String)> = Vec::new();
    if let Some(reason) = readable.and_then(|f| f.unknown_targets.clone()) {
        unknowns.push((judge(UNKNOWN_TARGETS[1], first_exists), reason));
    }
    if !outside.is_empty() {
        unknowns.push((
            judge(UNKNOWN_TARGETS[0], Some(true)),
            format!(
                "it depends on whether {} exists outside the repository, which an organisation sweep (one repository at a time, no checkout beside it) cannot tell; judge it with `warden check` in a checkout, or set `must_resolve = false`",
                outside.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    for (other, reason) in unknowns {
        for (mine, theirs) in evaluations.iter_mut().zip(other) {
            if *mine != theirs && !matches!(mine, Evaluation::Error(_)) {
                *mine = Evaluation::Error(reason.clone());
            }
        }
    }

    for ((evaluation, rule), reads_tree) in evaluations
        .iter_mut()
        .zip(&policy.rules)
        .zip(&plan.reads_tree)
    {
        if rule.kind.scope == Scope::History {
            *evaluation = Evaluation::Skipped(HISTORY_SKIPPED.to_string());
        } else if let (true, Some(problem)) = (*reads_tree, problem) {
            *evaluation = Evaluation::Error(problem.reason());
        }
    }
    evaluations
}

/// Judge one repository's facts: the engine, then what an org sweep cannot know.
fn judge_repo(policy: &Policy, plan: &Plan, options: &OrgOptions, swept: Swept) -> RepoRow {
    let Swept {
        repo,
        files,
        github,
        requests,
    } = swept;
    let evaluations = evaluate_remote(policy, plan, &repo, files.as_ref(), &github, options.now);
    let problem = files.as_ref().and_then(|f| f.as_ref().err());

    let ctx = RunContext {
        root: repo.to_string(),
        mode: Mode::Check,
        now: options.now,
        fail_on: options.fail_on,
    };
    let mut report = engine::collect(policy, evaluations, &ctx);
    report.mode = "sweep";
    let (outcome, error) = match problem {
        Some(TreeProblem::Failed(e)) => (RowOutcome::Error, Some(e.clone())),
        _ => (RowOutcome::Ok, None),
    };
    RepoRow {
        repo: repo.to_string(),
        outcome,
        error,
        requests,
        report: Some(serde_json::to_value(&report).expect("a report is always JSON")),
        tracking: None,
    }
}

/// One repository's files at one commit, read and judged as a sweep reads and judges them,
/// for `warden fix --org --pr`: the fixes come from these judgements, and the changes are
/// judged again on the same facts before a pull request says they close a gap.
pub(crate) struct RemoteFilesAt {
    plan: Plan,
    repo: RepoId,
    files: Result<RemoteFiles, TreeProblem>,
}

impl RemoteFilesAt {
    /// Whether any rule of `policy` reads files (else there is nothing a file fix closes).
    pub(crate) fn needed(policy: &Policy) -> bool {
        Plan::of(policy).tree
    }

    /// The blobs rules need from `tree` (read at the commit the fixes build on).
    pub(crate) async fn read(
        client: &Client,
        policy: &Policy,
        blobs: &Blobs,
        repo: &RepoId,
        tree: RemoteTree,
        counter: &Counter,
    ) -> RemoteFilesAt {
        let plan = Plan::of(policy);
        let files = read_tree_files(client, &plan, blobs, repo, tree, counter).await;
        RemoteFilesAt {
            plan,
            repo: repo.clone(),
            files,
        }
    }

    /// Every rule's evaluation; GitHub rules are skipped (a fix PR changes files only).
    pub(crate) fn judge(&self, policy: &Policy, now: jiff::Timestamp) -> Vec<Evaluation> {
        let github = GitHubState::Skipped(
            "a pull request of fixes changes files; GitHub settings are for `warden apply`"
                .to_string(),
        );
        evaluate_remote(
            policy,
            &self.plan,
            &self.repo,
            Some(&self.files),
            &github,
            now,
        )
    }

    /// The same files with `changes` made (`None` when the files could not be read).
    pub(crate) fn changed(
        &self,
        policy: &Policy,
        changes: &[crate::fix::FileChange],
    ) -> Option<RemoteFilesAt> {
        use crate::fix::FileChange;
        let mut files = self.files.as_ref().ok()?.clone();
        let mut set = |path: &str, kind: Option<RemoteKind>| {
            let at = files.entries.iter().position(|(p, _)| p == path);
            match (at, kind) {
                (Some(i), Some(kind)) => files.entries[i].1 = kind,
                (None, Some(kind)) => files.entries.push((path.to_string(), kind)),
                (Some(i), None) => {
                    files.entries.remove(i);
                }
                (None, None) => {}
            }
        };
        let mut texts = Vec::new();
        for change in changes {
            match change {
                FileChange::Write { path, bytes } => {
                    let executable = matches!(
                        self.files
                            .as_ref()
                            .ok()?
                            .entries
                            .iter()
                            .find(|(p, _)| p == path),
                        Some((_, RemoteKind::Executable))
                    );
                    set(
                        path,
                        Some(if executable {
                            RemoteKind::Executable
                        } else {
                            RemoteKind::File
                        }),
                    );
                    texts.push((
                        path.clone(),
                        Some(String::from_utf8_lossy(bytes).into_owned()),
                    ));
                }
                FileChange::Symlink { path, target } => {
                    set(path, Some(RemoteKind::Symlink(Some(target.clone()))));
                    texts.push((path.clone(), None));
                }
                FileChange::Delete { path } => {
                    set(path, None);
                    texts.push((path.clone(), None));
                }
            }
        }
        for (path, text) in texts {
            match text {
                Some(text) => files.contents.insert(path, Ok(text)),
                None => files.contents.remove(&path),
            };
        }
        Some(RemoteFilesAt {
            plan: Plan::of(policy),
            repo: self.repo.clone(),
            files: Ok(files),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_cover_every_repository_once() {
        // Frozen: changing the hash would move repositories between shard jobs.
        assert_eq!(shard_hash("octo-org/app"), shard_hash("Octo-Org/App"));
        let repos: Vec<String> = (0..300).map(|i| format!("octo-org/repo-{i}")).collect();
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        for repo in &repos {
            assert_eq!(shards.iter().filter(|s| s.contains(repo)).count(), 1);
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| repos.iter().filter(|r| s.contains(r)).count())
            .collect();
        assert!(sizes.iter().all(|n| *n > 70), "{sizes:?}");
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err());
        assert!(Shard::parse("1").is_err() && Shard::parse("a/b").is_err());
    }

    #[test]
    fn repos_files_take_comments_and_report_every_bad_line() {
        let repos =
            read_repos_file("# ours\nocto-org/app\n\nocto-org/lib # the library\nOcto-Org/App\n")
                .unwrap();
        assert_eq!(
            repos.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            ["octo-org/app", "octo-org/lib"]
        );
        let error = read_repos_file("app\nocto-org/a/b\nok/fine\n").unwrap_err();
        assert!(
            error.contains("line 1") && error.contains("line 2"),
            "{error}"
        );
    }

    fn gathered(entries: Vec<(&str, RemoteKind)>, unknown: Option<&str>) -> Swept {
        Swept {
            repo: RepoId::parse("octo-org/app").unwrap(),
            files: Some(Ok(RemoteFiles {
                entries: entries
                    .into_iter()
                    .map(|(p, k)| (p.to_string(), k))
                    .collect(),
                contents: HashMap::new(),
                unknown_targets: unknown.map(str::to_string),
            })),
            github: GitHubState::NotNeeded,
            requests: 1,
        }
    }

    fn outcomes(row: &RepoRow) -> Vec<(String, String)> {
        row.report.as_ref().unwrap()["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["outcome"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn what_an_org_sweep_cannot_know_is_an_error_or_skipped_never_a_guess() {
        let policy = crate::policy::load_text(
            "org.toml",
            r#"
[[rule]]
id = "outside-link"
kind = "symlink"
path = ".claude/RULES.md"
target = "../../organisation-rules/RULES.md"

[[rule]]
id = "inside-link"
kind = "symlink"
path = "docs-link"
target = "README.md"

[[rule]]
kind = "forbidden-files"
paths = ["**/.env"]

[[rule]]
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
"#,
        )
        .unwrap();
        let plan = Plan::of(&policy);
        assert!(plan.tree && plan.needs.history.is_empty());
        let options = OrgOptions::new(
            OrgTarget::Org("octo-org".into()),
            "2026-11-22T00:00:00Z".parse().unwrap(),
        );
        let row = judge_repo(
            &policy,
            &plan,
            &options,
            gathered(
                vec![
                    ("README.md", RemoteKind::File),
                    (
                        ".claude/RULES.md",
                        RemoteKind::Symlink(Some("../../organisation-rules/RULES.md".into())),
                    ),
                    ("docs-link", RemoteKind::Symlink(None)),
                ],
                Some("it depends on symlink targets that could not be read (`docs-link`: 500)"),
            ),
        );
        let got = outcomes(&row);
        assert_eq!(got[0].0, "error");
        assert!(got[0].1.contains("outside the repository"), "{got:?}");
        assert_eq!(got[1].0, "error");
        assert!(got[1].1.contains("`docs-link`: 500"), "{got:?}");
        assert_eq!(got[2].0, "pass", "the unknown target does not matter here");
        assert_eq!(got[3].0, "skipped");
        assert!(got[3].1.contains("without cloning"));

        // A truncated tree: every rule that reads files is an error; the row is ok.
        let row = judge_repo(
            &policy,
            &plan,
            &options,
            Swept {
                repo: RepoId::parse("octo-org/huge").unwrap(),
                files: Some(Err(TreeProblem::Truncated)),
                github: GitHubState::NotNeeded,
                requests: 1,
            },
        );
        assert_eq!(row.outcome, RowOutcome::Ok);
        let got = outcomes(&row);
        assert!(got[..3]
            .iter()
            .all(|(o, r)| o == "error" && r.contains("too large")));
        assert_eq!(got[3].0, "skipped");
    }
}
