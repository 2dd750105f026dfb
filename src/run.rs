//! The flows behind `warden check` and `warden pr`: load the policy, gather facts once
//! (repository, GitHub, the pull request), evaluate, collect. Rendering and the GitHub
//! Actions side effects stay with the caller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{self, FailOn, Mode, RunContext};
use crate::facts::{self, Facts, GatherOptions, Needs};
use crate::github::{self, ApiStats, ClientConfig, GitHubState, RepoId};
use crate::policy::{self, diagnostic::PolicyErrors};
use crate::pr::{self, PullRequest};
use crate::report::{PullRequestSummary, Report};

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
    pub github: GitHubOptions,
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
    let mode = if staged { Mode::Staged } else { Mode::Check };
    let (policy, needs, mut facts) = prepare(options, staged)?;
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
    let report = finish(&policy, &facts, options, mode, stats);
    // Freeing 100,000 paths one by one costs more than most rules, and nothing waits for
    // it: let another thread do it (or the end of the process).
    let _ = std::thread::Builder::new().spawn(move || drop(facts));
    Ok(report)
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
    let (policy, needs, mut facts) = prepare(options, false)?;
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
            let want_issues = needs.pr_issues;
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
        pr.repo = options.github.repo_id(&facts.root);
    }

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
    let mut report = finish(&policy, &facts, options, Mode::Pr, asked.then_some(stats));
    report.pull_request = Some(PullRequestSummary::of(&pr));
    Ok((report, pr))
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
    let encoded: String = answer["content"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the content of {name} is not valid base64: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))?;
    if let Some(copy) = copy {
        let _ = crate::output::write_atomic(&copy, text.as_bytes());
    }
    Ok(text)
}

/// The distinct issues a PR body references.
fn issue_refs(pr: &PullRequest) -> Vec<pr::IssueRef> {
    let mut refs: Vec<_> = pr::mentions(&pr.body, pr.repo.as_ref())
        .into_iter()
        .map(|m| m.issue)
        .collect();
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

fn prepare(options: &RunOptions, staged: bool) -> Result<(policy::Policy, Needs, Facts), RunError> {
    let policy = load_policy(options)?;
    let needs = engine::needs_in(&policy, if staged { Mode::Staged } else { Mode::Check });
    let gather = GatherOptions {
        root: options.path.clone(),
        staged,
        now: options.now,
    };
    let facts = facts::gather(&gather, &needs)?;
    Ok((policy, needs, facts))
}

fn finish(
    policy: &policy::Policy,
    facts: &Facts,
    options: &RunOptions,
    mode: Mode,
    stats: Option<ApiStats>,
) -> Report {
    let evaluations = engine::evaluate(policy, facts, mode == Mode::Staged);
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
) -> Result<(Report, Option<Result<github::tracking::Tracking, String>>), RunError> {
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
        let found = github::tracking::Found::of(&report);
        let today = report.now.get(..10).unwrap_or(&report.now).to_string();
        let (result, cost) = github::with_client(config, async |client| {
            github::tracking::sync(client, &repo, &found, &today).await
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
