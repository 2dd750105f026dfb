//! The flows behind `warden check` and `warden pr`: load the policy, gather facts once
//! (repository, GitHub, the pull request), evaluate, collect. Rendering and the GitHub
//! Actions side effects stay with the caller.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{self, FailOn, Mode, RunContext};
use crate::facts::{self, Facts, GatherOptions, Needs};
use crate::github::{self, ApiStats, ClientConfig, GitHubState, RepoId};
use crate::model::{Finding, Level};
use crate::policy::{self, diagnostic::PolicyErrors};
use crate::pr::{self, PullRequest};
use crate::report::{Outcome, PullRequestSummary, Report, ReportedFinding, RuleOutcome};

/// How to reach GitHub, as the user configured it.
#[derive(Clone, Debug, Default)]
pub struct GitHubOptions {
    pub offline: bool,
    pub repo: Option<String>,
    pub api_url: Option<String>,
    /// The environment variable holding the token, tried before GITHUB_TOKEN and GH_TOKEN.
    pub token_env: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub timeout: Duration,
    pub backoff: Duration,
    pub max_rate_wait: Duration,
}

impl GitHubOptions {
    fn token(&self) -> Option<String> {
        self.token_env
            .iter()
            .map(String::as_str)
            .chain(["GITHUB_TOKEN", "GH_TOKEN"])
            .find_map(|name| std::env::var(name).ok().filter(|t| !t.trim().is_empty()))
            .map(|t| t.trim().to_string())
    }

    /// A client configuration, or why GitHub is not to be asked (`--offline`, no token).
    pub fn client_config(&self) -> Result<ClientConfig, String> {
        if self.offline {
            return Err("offline (--offline)".to_string());
        }
        let token = self.token();
        if token.is_none() && self.api_url.is_none() {
            return Err(
                "no GitHub token: set GITHUB_TOKEN or GH_TOKEN (or pass --offline to say so)"
                    .to_string(),
            );
        }
        let api_url = self
            .api_url
            .clone()
            .unwrap_or_else(|| "https://api.github.com".to_string());
        let mut config = ClientConfig::new(api_url, token);
        config.timeout = self.timeout.max(Duration::from_millis(50));
        config.backoff = self.backoff;
        config.max_rate_wait = self.max_rate_wait;
        config.cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(github::cache::default_dir)
        };
        Ok(config)
    }

    /// The repository: `--repo`, else `GITHUB_REPOSITORY`, else the checkout's `origin`.
    pub fn repo_id(&self, root: &Path) -> Option<RepoId> {
        self.repo
            .clone()
            .or_else(|| std::env::var("GITHUB_REPOSITORY").ok())
            .and_then(|r| RepoId::parse(&r))
            .or_else(|| RepoId::from_checkout(root))
    }
}

/// What every run takes.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub path: PathBuf,
    pub policies: Vec<PathBuf>,
    /// Directories a local `extends` may read besides the repository (`--policy-root`).
    pub policy_roots: Vec<PathBuf>,
    pub now: jiff::Timestamp,
    pub fail_on: FailOn,
    /// In `--staged` and `pr` mode, gaps already there before the change block too.
    pub fail_on_existing: bool,
    pub github: GitHubOptions,
    /// The process ends after this run (the command line): the facts are left for the
    /// exit to reclaim instead of being freed path by path.
    pub exit_after: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Policy(#[from] PolicyErrors),
    #[error(transparent)]
    Facts(#[from] facts::FactsError),
    #[error("{0}")]
    Usage(String),
}

/// `warden check` (and `--staged`).
pub fn check(options: &RunOptions, staged: bool) -> Result<Report, RunError> {
    check_in(options, staged, None)
}

/// `warden check` judging `index` in place of the repository's own git index: `warden
/// fix` re-checks its fixes as they will be once staged, without staging them.
pub fn check_index(options: &RunOptions, index: gix_index::File) -> Result<Report, RunError> {
    check_in(options, false, Some(index))
}

fn check_in(
    options: &RunOptions,
    staged: bool,
    index: Option<gix_index::File>,
) -> Result<Report, RunError> {
    let mode = if staged { Mode::Staged } else { Mode::Check };
    let (policy, needs, mut facts) = prepare_with(options, mode, index)?;
    let mut stats = None;
    if needs.github.any() {
        facts.github = if staged {
            GitHubState::Skipped(
                "`--staged` runs offline; GitHub rules run in `warden check`".to_string(),
            )
        } else {
            let (state, cost) = github_state(&options.github, &needs.github, &facts.root);
            stats = cost;
            state
        };
    }
    Ok(finish(&policy, facts, options, mode, stats, Vec::new()))
}

/// `warden pre-commit`, for the pre-commit framework: with PRE_COMMIT_FROM_REF and
/// PRE_COMMIT_TO_REF, the change between them (judged like a PR: only its own gaps
/// block); with file names that are exactly (or within) the staged change, the staged
/// change; with other file names (`pre-commit run --all-files`, `--files`), those files,
/// every gap blocking. No file names and no refs: the staged change.
pub fn pre_commit(
    options: &RunOptions,
    files: &[String],
    refs: Option<(String, String)>,
) -> Result<Report, RunError> {
    if let Some((from, to)) = refs {
        let root = repository_root(&options.path);
        let repo = git2::Repository::discover(&root)
            .map_err(|_| RunError::Usage(format!("{} is not a git checkout", root.display())))?;
        let resolve = |name: &str, what: &str| {
            repo.revparse_single(name)
                .and_then(|o| o.peel_to_commit())
                .map(|c| c.id())
                .map_err(|e| {
                    RunError::Usage(format!("cannot resolve {what} `{name}`: {}", e.message()))
                })
        };
        let from = resolve(&from, "PRE_COMMIT_FROM_REF")?;
        let to = resolve(&to, "PRE_COMMIT_TO_REF")?;
        let head = repo.head().ok().and_then(|h| h.target());
        if head != Some(to) {
            return Err(RunError::Usage(format!(
                "warden judges the checkout, which is not PRE_COMMIT_TO_REF ({}): check it out first",
                short(&to.to_string())
            )));
        }
        let (policy, needs, mut facts) = prepare(options, Mode::Range)?;
        let before = facts::before_commit(&facts.root, &from.to_string(), &needs);
        let changed: Vec<String> = if files.is_empty() {
            facts::git::change_since(&repo, repo.merge_base(from, to).unwrap_or(from))
                .map(|c| c.changed)
                .unwrap_or_default()
        } else {
            files.to_vec()
        };
        facts.set_changed(changed.iter().map(String::as_str));
        facts.before = Some(before.map(|mut b| {
            b.name = format!("PRE_COMMIT_FROM_REF ({})", short(&from.to_string()));
            b
        }));
        return Ok(finish(
            &policy,
            facts,
            options,
            Mode::Range,
            None,
            Vec::new(),
        ));
    }
    if files.is_empty() {
        return check(options, true);
    }
    let (policy, _, mut facts) = prepare(options, Mode::Staged)?;
    let staged: HashSet<&str> = facts
        .changed
        .iter()
        .flatten()
        .map(|f| f.path.as_str())
        .collect();
    if files.iter().all(|f| staged.contains(f.as_str())) {
        return Ok(finish(
            &policy,
            facts,
            options,
            Mode::Staged,
            None,
            Vec::new(),
        ));
    }
    // Files beyond the staged change: the caller asks about them as they are.
    facts.before = None;
    facts.set_changed(files.iter().map(String::as_str));
    Ok(finish(
        &policy,
        facts,
        options,
        Mode::Files,
        None,
        Vec::new(),
    ))
}

/// Where `warden pr` finds its pull request.
#[derive(Clone, Debug)]
pub enum PrSource {
    /// A saved event payload: fully offline.
    EventFile(PathBuf),
    /// The event of the running workflow (`GITHUB_EVENT_PATH`).
    ActionsEvent(PathBuf),
    /// `OWNER/REPO#N` or a PR URL, read through the API.
    Target(RepoId, u64),
}

/// `warden pr`: judge a pull request. Path rules see only its changed files.
pub fn pr(options: &RunOptions, source: &PrSource) -> Result<(Report, PullRequest), RunError> {
    let root = repository_root(&options.path);
    // The checkout's policy says which issues to ask for with the PR (the base branch's
    // is known only once the PR is); the base branch's policy judges.
    let checkout_policy = load_policy(options);
    let want_issues = checkout_policy
        .as_ref()
        .map_or(true, |p| engine::needs_in(p, Mode::Pr).pr_issues);
    let config = options.github.client_config();
    let offline_source = matches!(source, PrSource::EventFile(_));
    let mut stats = ApiStats::default();

    // For a named PR, its files and issues come with it (see below).
    type Prefetched = (
        Result<(Vec<pr::ChangedFile>, Option<String>), String>,
        Option<BTreeMap<pr::IssueRef, github::Fetched<pr::IssueInfo>>>,
    );
    let mut prefetched: Option<Prefetched> = None;
    let mut pr = match source {
        PrSource::EventFile(path) | PrSource::ActionsEvent(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                RunError::Usage(format!("cannot read the event {}: {e}", path.display()))
            })?;
            let event: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                RunError::Usage(format!("the event {} is not JSON: {e}", path.display()))
            })?;
            pr::from_event(&event).map_err(RunError::Usage)?
        }
        PrSource::Target(repo, number) => {
            let config = config.clone().map_err(|why| {
                RunError::Usage(format!(
                    "reading {repo}#{number} needs the GitHub API, but {why}"
                ))
            })?;
            let (fetched, cost) = github::with_client(config, async |client| {
                let pr_and_issues = async {
                    let pr = github::pr::fetch(client, repo, *number).await?;
                    let issues = if want_issues {
                        Some(github::pr::issues(client, &issue_refs(&pr), 20).await)
                    } else {
                        None
                    };
                    Ok::<_, String>((pr, issues))
                };
                // The file list does not depend on the PR's answer: ask at the same time
                // (it goes unused when the checkout can diff the PR itself).
                tokio::join!(pr_and_issues, github::pr::files(client, repo, *number))
            })
            .map_err(|e| RunError::Usage(e.to_string()))?;
            add(&mut stats, &cost);
            let (pr_and_issues, files) = fetched;
            let (pr, issues) = pr_and_issues
                .map_err(|e| RunError::Usage(format!("cannot read {repo}#{number}: {e}")))?;
            prefetched = Some((files, issues));
            pr
        }
    };
    if pr.repo.is_none() {
        pr.repo = options.github.repo_id(&root);
    }
    let api_for_policy = match (&config, offline_source, &pr.repo) {
        (Ok(config), false, Some(repo)) => Some((config.clone(), repo.clone())),
        _ => None,
    };
    let (policy, policy_source) = pr_policy(
        options,
        &pr,
        &root,
        checkout_policy,
        api_for_policy,
        &mut stats,
    )?;
    let needs = engine::needs_in(&policy, Mode::Check);
    let gather = GatherOptions {
        root: options.path.clone(),
        staged: false,
        now: options.now,
        index: std::sync::Mutex::new(None),
    };
    let mut facts = facts::gather(&gather, &needs)?;

    // The changed files: local git when the checkout has both commits, else the API.
    let local = facts::git::pr_files(&facts.root, &pr.base_sha, &pr.head_sha);
    let local_problem = match &local {
        Some(Err(e)) => format!("{e}; "),
        _ => String::new(),
    };
    if let Some(Ok(files)) = local {
        pr.files = files;
        pr.files_source = "git";
    }
    let api = match (&config, offline_source, &pr.repo) {
        (Ok(config), false, Some(repo)) => Ok((config.clone(), repo.clone())),
        (_, true, _) => Err("`--event` runs offline".to_string()),
        (Err(why), _, _) => Err(why.clone()),
        (_, _, None) => Err("the repository is unknown".to_string()),
    };
    // The issues the body references, when a rule asks about them.
    let mut refs: Vec<pr::IssueRef> = if needs.pr_issues {
        issue_refs(&pr)
    } else {
        Vec::new()
    };
    let mut want_files = pr.files_source != "git";
    if let Some((files, issues)) = prefetched {
        if let Some(issues) = issues {
            pr.issues = issues;
            refs.clear();
        }
        if want_files {
            match files {
                Ok((files, note)) => {
                    pr.files = files;
                    pr.files_note = note;
                    pr.files_source = "api";
                }
                Err(e) => pr.files_note = Some(format!("the changed files could not be read: {e}")),
            }
            want_files = false;
        }
    }
    match api {
        Ok((config, repo)) if want_files || !refs.is_empty() => {
            let number = pr.number;
            // Files and issues are independent: ask for them at once.
            let fetched = github::with_client(config, async |client| {
                let files = async {
                    if want_files {
                        Some(github::pr::files(client, &repo, number).await)
                    } else {
                        None
                    }
                };
                tokio::join!(files, github::pr::issues(client, &refs, 20))
            });
            match fetched {
                Ok(((files, issues), cost)) => {
                    add(&mut stats, &cost);
                    pr.issues = issues;
                    match files {
                        Some(Ok((files, note))) => {
                            pr.files = files;
                            pr.files_note = note;
                            pr.files_source = "api";
                        }
                        Some(Err(e)) => {
                            pr.files_note =
                                Some(format!("the changed files could not be read: {e}"))
                        }
                        None => {}
                    }
                }
                Err(e) => {
                    pr.issues = refs
                        .iter()
                        .map(|r| (r.clone(), Err(e.to_string())))
                        .collect();
                    if want_files {
                        pr.files_note = Some(format!("the changed files could not be read: {e}"));
                    }
                }
            }
        }
        Ok(_) => {}
        Err(why) => {
            pr.issues = refs.iter().map(|r| (r.clone(), Err(why.clone()))).collect();
            if want_files {
                pr.files_note = Some(format!(
                    "{local_problem}the changed files are unknown: the checkout lacks the pull request's commits ({}..{}) and {why}",
                    short(&pr.base_sha),
                    short(&pr.head_sha)
                ));
            }
        }
    }

    facts.set_changed(pr.changed_paths());
    facts.before = Some(facts::before_commit(&facts.root, &pr.base_sha, &needs));
    facts.pr = Some(pr.clone());
    if needs.github.any() {
        facts.github = if offline_source {
            GitHubState::Skipped("`--event` runs offline".to_string())
        } else {
            let (state, cost) = github_state(&options.github, &needs.github, &facts.root);
            if let Some(cost) = cost {
                add(&mut stats, &cost);
            }
            state
        };
    }
    let asked = stats != ApiStats::default();
    let extra = policy_outcomes(&policy_source, &policy, &pr);
    let mut report = finish(
        &policy,
        facts,
        options,
        Mode::Pr,
        asked.then_some(stats),
        extra,
    );
    let mut summary = PullRequestSummary::of(&pr);
    summary.policy_source = Some(policy_source.describe());
    report.pull_request = Some(summary);
    Ok((report, pr))
}

/// Which policy judges a pull request. A PR must not switch its own rules off, so by
/// default it is the base branch's: the policy file at the base commit.
#[derive(Debug)]
enum PrPolicy {
    /// `--policy` was given: it wins.
    Explicit,
    /// The base commit's policy file (`None`: it has none, so the default pack).
    Base { file: Option<String>, sha: String },
    /// The base commit's policy could not be read; the checkout's judges, and whether
    /// that is the base's too depends on the PR not changing it.
    Checkout { why: String },
}

impl PrPolicy {
    fn describe(&self) -> String {
        match self {
            PrPolicy::Explicit => "the policy named with --policy".to_string(),
            PrPolicy::Base {
                file: Some(file),
                sha,
            } => format!("`{file}` of the base branch (commit {})", short(sha)),
            PrPolicy::Base { file: None, sha } => format!(
                "the default pack: the base branch (commit {}) has no policy file",
                short(sha)
            ),
            PrPolicy::Checkout { why } => {
                format!("the checkout's policy (the base branch's could not be read: {why})")
            }
        }
    }
}

/// Where a repository's own policy file may be, in discovery order.
const POLICY_FILES: [&str; 2] = ["warden.toml", ".github/warden.toml"];

fn pr_policy(
    options: &RunOptions,
    pr: &PullRequest,
    root: &Path,
    checkout: Result<policy::Policy, RunError>,
    api: Option<(ClientConfig, RepoId)>,
    stats: &mut ApiStats,
) -> Result<(policy::Policy, PrPolicy), RunError> {
    if !options.policies.is_empty() {
        return Ok((checkout?, PrPolicy::Explicit));
    }
    let found = match base_policy_text(root, &pr.base_sha, api, stats) {
        Ok(found) => found,
        Err(why) => return Ok((checkout?, PrPolicy::Checkout { why })),
    };
    let refs = match &found {
        Some((file, text)) => vec![policy::PolicyRef::Text {
            path: root.join(file),
            name: file.clone(),
            text: text.clone(),
        }],
        None => vec![policy::PolicyRef::Builtin(
            policy::builtin::DEFAULT.to_string(),
        )],
    };
    let fetch = |remote: &policy::RemotePolicy| fetch_remote_policy(&options.github, remote);
    let policy = policy::load_with(&refs, Some(root), Some(&fetch))?;
    Ok((
        policy,
        PrPolicy::Base {
            file: found.map(|(file, _)| file),
            sha: pr.base_sha.clone(),
        },
    ))
}

/// The base commit's policy file and its text (`None`: the commit has none): from local
/// git when the checkout has the commit, else through the contents API at that commit.
fn base_policy_text(
    root: &Path,
    base: &str,
    api: Option<(ClientConfig, RepoId)>,
    stats: &mut ApiStats,
) -> Result<Option<(String, String)>, String> {
    let local = git2::Repository::discover(root).ok().and_then(|repo| {
        let oid = git2::Oid::from_str(base).ok()?;
        repo.find_commit(oid).ok()?;
        Some((repo, oid))
    });
    if let Some((repo, oid)) = local {
        for file in POLICY_FILES {
            if let Some(text) = facts::git::text_at(&repo, oid, file)? {
                return Ok(Some((file.to_string(), text)));
            }
        }
        return Ok(None);
    }
    let Some((config, repo)) = api else {
        return Err(format!(
            "the checkout lacks the base commit {} and GitHub is not asked",
            short(base)
        ));
    };
    let (answers, cost) = github::with_client(config, async |client| {
        // In discovery order; the first file the commit has is its policy.
        let mut answers = Vec::new();
        for file in POLICY_FILES {
            let path = format!("/repos/{repo}/contents/{file}?ref={base}");
            let answer = client.get_json::<serde_json::Value>(&path).await;
            let found = !matches!(answer, Err(github::ApiError::NotFound { .. }));
            answers.push(answer);
            if found {
                break;
            }
        }
        answers
    })
    .map_err(|e| e.to_string())?;
    add(stats, &cost);
    for (file, answer) in POLICY_FILES.iter().zip(answers) {
        match answer {
            Ok(answer) => {
                return decode_content(&answer, file).map(|t| Some((file.to_string(), t)))
            }
            Err(github::client::ApiError::NotFound { .. }) => continue,
            Err(e) => return Err(format!("cannot read {file} at the base commit: {e}")),
        }
    }
    Ok(None)
}

/// The text of a contents-API answer for a file.
fn decode_content(answer: &serde_json::Value, name: &str) -> Result<String, String> {
    use base64::Engine;
    if answer["type"] != "file" || answer["encoding"] != "base64" {
        return Err(format!("{name} is not a file GitHub returns as base64"));
    }
    let encoded: String = answer["content"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the content of {name} is not valid base64: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))
}

/// What a report says about the policy of a PR besides the rules: a change to the policy
/// is named (and not obeyed), and a base policy that could not be read is an `error`
/// unless the PR is known not to touch the checkout's.
fn policy_outcomes(
    source: &PrPolicy,
    policy: &policy::Policy,
    pr: &PullRequest,
) -> Vec<RuleOutcome> {
    let touched = |file: &str| {
        pr.files
            .iter()
            .any(|f| f.path == file || f.previous_path.as_deref() == Some(file))
    };
    let origin = policy::Origin {
        file: policy.sources.last().cloned().unwrap_or_default(),
        line: 1,
    };
    let outcome = |id: &str, level: Level, outcome: Outcome, summary: &str| RuleOutcome {
        id: id.to_string(),
        kind: "policy".to_string(),
        level,
        summary: summary.to_string(),
        outcome,
        reason: None,
        origin: origin.clone(),
        findings: Vec::new(),
    };
    let mut out = Vec::new();
    match source {
        PrPolicy::Explicit => {}
        PrPolicy::Base { .. } => {
            let changed: Vec<&str> = POLICY_FILES
                .iter()
                .copied()
                .chain(policy.sources.iter().map(String::as_str))
                .filter(|f| touched(f))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if !changed.is_empty() {
                let mut rule = outcome(
                    "policy-change",
                    Level::Info,
                    Outcome::Fail,
                    "The pull request is judged by the base branch's policy",
                );
                for file in changed {
                    let finding = Finding::new(format!(
                        "this pull request changes the policy file `{file}`: it is judged by the base branch's policy, and the change applies once merged"
                    ))
                    .at(file)
                    .help("review the policy change itself; a pull request cannot loosen the rules it is judged by");
                    rule.findings.push(ReportedFinding::new(
                        "policy-change",
                        "policy",
                        Level::Info,
                        finding,
                        None,
                    ));
                }
                out.push(rule);
            }
        }
        PrPolicy::Checkout { why } => {
            let unknown = pr.files_source == "none";
            let local: Vec<&str> = policy
                .sources
                .iter()
                .map(String::as_str)
                .filter(|s| !s.starts_with("builtin:") && !s.starts_with("github:"))
                .collect();
            if unknown || local.iter().any(|f| touched(f)) {
                let mut rule = outcome(
                    "base-policy",
                    Level::Deny,
                    Outcome::Error,
                    "The pull request is judged by the base branch's policy",
                );
                rule.reason = Some(format!(
                    "the base branch's policy could not be read ({why}), and the pull request {} the checkout's: fetch the base commit, give a token, or name the policy with --policy",
                    if unknown { "may change" } else { "changes" }
                ));
                out.push(rule);
            }
        }
    }
    out
}

/// Read `github:OWNER/REPO/PATH@REF` through the contents API, keeping a copy so that
/// offline runs (`--offline`, `--staged`, no token) use the last one fetched.
fn fetch_remote_policy(
    options: &GitHubOptions,
    remote: &policy::RemotePolicy,
) -> Result<String, String> {
    use base64::Engine;
    let name = format!(
        "{}/{}/{}@{}",
        remote.owner,
        remote.repo,
        remote.path,
        remote.git_ref.as_deref().unwrap_or("default")
    );
    let copy = if options.no_cache {
        None
    } else {
        options
            .cache_dir
            .clone()
            .or_else(github::cache::default_dir)
            .map(|dir| {
                dir.join("policies").join(format!(
                    "{}.toml",
                    crate::report::fingerprint("policy", &name)
                ))
            })
    };
    let config = match options.client_config() {
        Ok(config) => config,
        Err(why) => {
            return copy
                .and_then(|c| std::fs::read_to_string(c).ok())
                .ok_or_else(|| format!("{why}, and no copy was fetched before"))
        }
    };
    let mut path = format!(
        "/repos/{}/{}/contents/{}",
        remote.owner, remote.repo, remote.path
    );
    if let Some(git_ref) = &remote.git_ref {
        path.push_str(&format!("?ref={git_ref}"));
    }
    let (answer, _) = github::with_client(config, async |client| {
        client.get_json::<serde_json::Value>(&path).await
    })
    .map_err(|e| e.to_string())?;
    let answer = answer.map_err(|e| e.to_string())?;
    if answer["type"] != "file" || answer["encoding"] != "base64" {
        return Err(format!("{name} is not a file GitHub returns as base64"));
    }
    // A missing `content` is an answer that could not be read, not an empty policy.
    let encoded: String = answer["content"]
        .as_str()
        .ok_or_else(|| format!("GitHub's answer for {name} lacked `content`"))?
        .split_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the content of {name} is not valid base64: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))?;
    if let Some(copy) = copy {
        let _ = crate::effects::output::write_atomic(&copy, text.as_bytes());
    }
    Ok(text)
}

/// The distinct issues a PR body references.
fn issue_refs(pr: &PullRequest) -> Vec<pr::IssueRef> {
    let mut refs: Vec<_> = pr.mentions().into_iter().map(|m| m.issue).collect();
    refs.sort();
    refs.dedup();
    refs
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

fn add(total: &mut ApiStats, more: &ApiStats) {
    total.requests += more.requests;
    total.cached += more.cached;
    total.retried += more.retried;
    total.rate_limited += more.rate_limited;
}

/// The repository root: the git work tree containing `path`, else `path`.
pub fn repository_root(path: &Path) -> PathBuf {
    git2::Repository::discover(path)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

/// Load the policy as every run does (discovery, layering, `github:` base policies).
pub fn load_policy(options: &RunOptions) -> Result<policy::Policy, RunError> {
    let refs = policy::discover(&options.path, &options.policies);
    let root = repository_root(&options.path);
    let fetch = |remote: &policy::RemotePolicy| fetch_remote_policy(&options.github, remote);
    Ok(policy::load_confined(
        &refs,
        Some(&root),
        &options.policy_roots,
        Some(&fetch),
    )?)
}

/// The policy a commit would carry: discovered or named files inside the repository are
/// read from the git index (what is staged), so an unstaged edit cannot loosen the check
/// of a commit. Files git does not track are read from the working tree.
fn load_staged_policy(
    options: &RunOptions,
) -> Result<(policy::Policy, Option<gix_index::File>), RunError> {
    let mut refs = policy::discover(&options.path, &options.policies);
    let mut index = None;
    if let Ok(repo) = git2::Repository::discover(&options.path) {
        index = facts::git::read_index(&repo);
        if let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) {
            for policy_ref in &mut refs {
                let (policy::PolicyRef::File(path) | policy::PolicyRef::Found(path)) = policy_ref
                else {
                    continue;
                };
                let Some(name) = path
                    .canonicalize()
                    .ok()
                    .and_then(|full| full.strip_prefix(&workdir).ok().map(Path::to_path_buf))
                    .map(|rel| rel.to_string_lossy().replace('\\', "/"))
                else {
                    continue;
                };
                match facts::git::index_text(&repo, index.as_ref(), &name) {
                    Ok(Some(text)) => {
                        *policy_ref = policy::PolicyRef::Text {
                            path: path.clone(),
                            name,
                            text,
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        return Err(RunError::Usage(format!(
                            "cannot read the staged {name}: {e}"
                        )))
                    }
                }
            }
        }
    }
    let root = repository_root(&options.path);
    let fetch = |remote: &policy::RemotePolicy| fetch_remote_policy(&options.github, remote);
    Ok((policy::load_with(&refs, Some(&root), Some(&fetch))?, index))
}

fn prepare(options: &RunOptions, mode: Mode) -> Result<(policy::Policy, Needs, Facts), RunError> {
    prepare_with(options, mode, None)
}

fn prepare_with(
    options: &RunOptions,
    mode: Mode,
    given_index: Option<gix_index::File>,
) -> Result<(policy::Policy, Needs, Facts), RunError> {
    let staged = mode == Mode::Staged;
    let (policy, index) = if staged {
        load_staged_policy(options)?
    } else {
        (load_policy(options)?, given_index)
    };
    let needs = engine::needs_in(&policy, mode);
    let gather = GatherOptions {
        root: options.path.clone(),
        staged,
        now: options.now,
        index: std::sync::Mutex::new(index),
    };
    let facts = facts::gather(&gather, &needs)?;
    Ok((policy, needs, facts))
}

/// Judge the facts and collect the report. In `--staged` and `pr` mode, the rules that
/// found gaps judge the tree before the change too, to tell the change's gaps from those
/// already there. `extra` outcomes (about the policy itself) go after the rules.
fn finish(
    policy: &policy::Policy,
    mut facts: Facts,
    options: &RunOptions,
    mode: Mode,
    stats: Option<ApiStats>,
    extra: Vec<RuleOutcome>,
) -> Report {
    let staged = mode.is_local();
    let evaluations = engine::evaluate(policy, &facts, staged);
    let rejudge = mode
        .is_differential()
        .then(|| engine::to_rejudge(policy, &evaluations));
    let ctx = RunContext {
        root: facts
            .root
            .display()
            .to_string()
            .trim_end_matches('/')
            .to_string(),
        mode,
        now: options.now,
        fail_on: options.fail_on,
    };
    let mut report = engine::collect(policy, evaluations, &ctx);
    report.github_api = stats;
    report.rules.extend(extra);
    if let Some(rejudge) = rejudge {
        // A staged change to the policy file makes an expired waiver in it the change's.
        let changed: HashSet<String> = match (&facts.changed, mode == Mode::Pr) {
            (Some(changed), false) => changed.iter().map(|f| f.path.clone()).collect(),
            _ => HashSet::new(),
        };
        let changed: HashSet<&str> = changed.iter().map(String::as_str).collect();
        let before = match facts.before.take() {
            Some(Ok(before)) => {
                let name = before.name.clone();
                let sets = if rejudge.iter().any(|r| *r) {
                    let before_facts = facts.into_before(before);
                    let sets = engine::evaluate_before(policy, &before_facts, &rejudge, staged);
                    facts = before_facts;
                    sets
                } else {
                    vec![None; rejudge.len()]
                };
                Ok((name, sets))
            }
            Some(Err(why)) => Err(why),
            None => Err("the tree before the change is unknown".to_string()),
        };
        engine::mark_change(
            &mut report,
            before
                .as_ref()
                .map(|(name, sets)| (name.as_str(), sets.as_slice()))
                .map_err(Clone::clone),
            &changed,
            options.fail_on,
            options.fail_on_existing,
        );
    } else {
        report.summary = crate::report::Summary::of(&report.rules, options.fail_on);
    }
    // Freeing 100,000 paths one by one costs more than most rules, and when the process
    // ends next, its exit frees them all at once.
    if options.exit_after {
        std::mem::forget(facts);
    }
    report
}

/// Gather GitHub facts, or say why there are none; with the request counts when asked.
fn github_state(
    options: &GitHubOptions,
    needs: &github::GitHubNeeds,
    root: &Path,
) -> (GitHubState, Option<ApiStats>) {
    let config = match options.client_config() {
        Ok(config) => config,
        Err(why) => return (GitHubState::Skipped(why), None),
    };
    let Some(repo) = options.repo_id(root) else {
        let why = "cannot tell which GitHub repository this is: pass --repo OWNER/NAME";
        return (GitHubState::Unavailable(why.to_string()), None);
    };
    // Branch comparisons are answered from this checkout when both branches are in it.
    let needs = &github::GitHubNeeds {
        extra: github::extended::ExtraNeeds {
            local: Some(root.to_path_buf()),
            ..needs.extra.clone()
        },
        ..needs.clone()
    };
    match github::gather(config, &repo, needs) {
        Ok(facts) => {
            let stats = facts.stats.clone();
            (GitHubState::Known(Box::new(facts)), Some(stats))
        }
        Err(e) => (GitHubState::Unavailable(e.to_string()), None),
    }
}

/// `warden sweep` on one repository: a check, compared with the previous report, and
/// optionally the tracking issue brought up to date.
pub fn sweep(
    options: &RunOptions,
    baseline: Option<&Path>,
    issue: bool,
) -> Result<
    (
        Report,
        Option<Result<crate::effects::tracking::Tracking, String>>,
    ),
    RunError,
> {
    let previous = match baseline {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                RunError::Usage(format!("cannot read the baseline {}: {e}", path.display()))
            })?;
            Some(
                crate::report::baseline::load(&text)
                    .map_err(|e| RunError::Usage(format!("baseline {}: {e}", path.display())))?,
            )
        }
        // The first sweep has no baseline yet: every gap is new.
        _ => None,
    };
    let mut report = check(options, false)?;
    report.mode = "sweep";
    if baseline.is_some() {
        crate::report::baseline::apply(&mut report, previous.as_ref());
    }
    let tracking = issue.then(|| {
        let config = options.github.client_config()?;
        let root = repository_root(&options.path);
        let repo = options.github.repo_id(&root).ok_or_else(|| {
            "cannot tell which GitHub repository this is: pass --repo OWNER/NAME".to_string()
        })?;
        let found = crate::effects::tracking::Found::of(&report);
        let today = report.now.get(..10).unwrap_or(&report.now).to_string();
        let (result, cost) = github::with_client(config, async |client| {
            crate::effects::tracking::sync(client, &repo, &found, &today).await
        })
        .map_err(|e| e.to_string())?;
        if let Some(stats) = report.github_api.as_mut() {
            add(stats, &cost);
        } else {
            report.github_api = Some(cost);
        }
        result.map_err(|e| e.to_string())
    });
    Ok((report, tracking))
}
