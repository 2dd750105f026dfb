//! The `warden` command line. Library code returns typed errors; only this file turns them
//! into miette reports and exit codes (0 no blocking gaps, 1 blocking gaps, 2 usage or
//! policy error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use warden::engine::{self, FailOn, RunContext};
use warden::facts::{self, GatherOptions};
use warden::github::{self, GitHubState};
use warden::policy;
use warden::report::{self, Format};
use warden::rules;

#[derive(Parser)]
#[command(
    name = "warden",
    version,
    about = "Policy-as-code governance checks for repositories"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a repository against its policy and report the gaps.
    Check(CheckArgs),
    /// List the rule kinds.
    Rules,
    /// Print a rule kind's documentation, or a built-in pack (`builtin:NAME`).
    Explain {
        /// A rule kind (`docs-allowlist`) or a built-in pack (`builtin:mojo-solo`).
        name: String,
    },
    /// Manage the git pre-commit hook.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
}

#[derive(Subcommand)]
enum HookAction {
    /// Write .git/hooks/pre-commit to run `warden check --staged`.
    Install {
        /// Replace a pre-commit hook that warden did not write.
        #[arg(long)]
        force: bool,
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The repository to check.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Policy file or built-in pack (`builtin:NAME`); repeatable, layered in order.
    /// Default: warden.toml, .github/warden.toml, else `builtin:default`.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Format of the report on standard output.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write a report to a file, as FORMAT=FILE (repeatable), e.g.
    /// markdown=reports/status/gaps.md. Files are written atomically.
    #[arg(long = "output", value_name = "FORMAT=FILE", value_parser = parse_output)]
    outputs: Vec<(Format, PathBuf)>,
    /// Pre-commit mode: path rules judge only what the commit changes (index vs HEAD).
    #[arg(long)]
    staged: bool,
    /// The clock for age rules (RFC 3339 or YYYY-MM-DD). Default: now.
    #[arg(long, env = "WARDEN_NOW", value_parser = parse_now)]
    now: Option<jiff::Timestamp>,
    /// Lowest level that fails the run with exit code 1.
    #[arg(long, value_enum, default_value = "deny")]
    fail_on: FailOn,
    /// Colour in human output: auto follows the terminal and NO_COLOR.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    github: GitHubArgs,
    /// Say more on standard error (GitHub API requests made and served from cache).
    #[arg(short, long)]
    verbose: bool,
}

#[derive(clap::Args)]
struct GitHubArgs {
    /// Do not contact GitHub: GitHub rules are reported `skipped (offline)`.
    #[arg(long)]
    offline: bool,
    /// The GitHub repository, OWNER/NAME. Default: GITHUB_REPOSITORY, else the `origin` remote.
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, env = "GITHUB_API_URL", value_name = "URL")]
    api_url: Option<String>,
    /// Read the token from this environment variable instead of GITHUB_TOKEN / GH_TOKEN.
    #[arg(long, value_name = "NAME")]
    token_env: Option<String>,
    /// Where ETag-validated GitHub responses are cached. Default: the user cache dir.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not use the response cache.
    #[arg(long)]
    no_cache: bool,
    /// Seconds one GitHub request may take before it is retried.
    #[arg(
        long,
        env = "WARDEN_HTTP_TIMEOUT",
        default_value = "20",
        value_name = "SECONDS"
    )]
    http_timeout: f64,
    /// Pause before the first retry, in milliseconds (doubled for each further retry).
    #[arg(
        long,
        env = "WARDEN_RETRY_BACKOFF_MS",
        default_value = "250",
        hide = true
    )]
    retry_backoff_ms: u64,
    /// The longest wait for a rate limit to reset, in seconds; longer means `error`.
    #[arg(
        long,
        env = "WARDEN_MAX_RATE_WAIT",
        default_value = "60",
        value_name = "SECONDS"
    )]
    max_rate_wait: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_output(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = text.split_once('=').ok_or_else(|| {
        "write it as FORMAT=FILE, e.g. markdown=reports/status/gaps.md".to_string()
    })?;
    let format = Format::parse(format).ok_or_else(|| {
        format!("unknown format `{format}`; use human, json, markdown, sarif, github or junit")
    })?;
    if file.is_empty() {
        return Err("the file name is empty".to_string());
    }
    Ok((format, PathBuf::from(file)))
}

fn parse_now(text: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| format!("`{text}` is neither an RFC 3339 time (2026-11-22T10:00:00Z) nor a date (2026-11-22)"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`warden check | head`) is not an error.
            if err.downcast_ref::<BrokenPipe>().is_some() {
                return ExitCode::SUCCESS;
            }
            eprintln!("{err:?}");
            ExitCode::from(2)
        }
    }
}

/// Standard output was closed by the reader.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("broken pipe")]
struct BrokenPipe;

/// Turn an output error into a report, keeping a broken pipe recognisable.
fn io_error(err: std::io::Error) -> miette::Report {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        miette::Report::new(BrokenPipe)
    } else {
        miette::miette!("cannot write the output: {err}")
    }
}

fn run(cli: Cli) -> miette::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Check(args) => check(args, &mut out),
        Command::Rules => {
            for kind in rules::REGISTRY {
                writeln!(out, "{:<20} {}", kind.id, kind.summary).map_err(io_error)?;
            }
            Ok(0)
        }
        Command::Explain { name } => {
            if let Some(pack) = name.strip_prefix("builtin:") {
                let text = policy::builtin::text(pack).ok_or_else(|| {
                    miette::miette!(
                        help = format!("built-in packs: {}", policy::builtin::names().join(", ")),
                        "there is no built-in pack `{pack}`"
                    )
                })?;
                out.write_all(text.as_bytes()).map_err(io_error)?;
                return Ok(0);
            }
            let kind = rules::find(&name).ok_or_else(|| {
                miette::miette!(
                    help = "`warden rules` lists every kind",
                    "there is no rule kind `{name}`"
                )
            })?;
            writeln!(
                out,
                "# {} — {}\n\n{}",
                kind.id,
                kind.summary,
                kind.doc.trim()
            )
            .map_err(io_error)?;
            Ok(0)
        }
        Command::Hook {
            action: HookAction::Install { force, path },
        } => {
            let written = warden::hook::install(&path, force).map_err(|e| {
                miette::miette!(
                    help = "the hook runs `warden check --staged` before each commit",
                    "{e}"
                )
            })?;
            writeln!(out, "installed {}", written.display()).map_err(io_error)?;
            Ok(0)
        }
    }
}

/// Gather GitHub facts, or say why there are none. Returns the request counts when asked.
fn github_facts(
    args: &CheckArgs,
    needs: &github::GitHubNeeds,
    root: &std::path::Path,
) -> (GitHubState, Option<github::ApiStats>) {
    let gh = &args.github;
    if args.staged {
        let why = "`--staged` runs offline; GitHub rules run in `warden check`";
        return (GitHubState::Skipped(why.to_string()), None);
    }
    if gh.offline {
        return (
            GitHubState::Skipped("offline (--offline)".to_string()),
            None,
        );
    }
    let token = gh
        .token_env
        .iter()
        .map(String::as_str)
        .chain(["GITHUB_TOKEN", "GH_TOKEN"])
        .find_map(|name| std::env::var(name).ok().filter(|t| !t.trim().is_empty()))
        .map(|t| t.trim().to_string());
    if token.is_none() && gh.api_url.is_none() {
        let why = "no GitHub token: set GITHUB_TOKEN or GH_TOKEN (or pass --offline to say so)";
        return (GitHubState::Skipped(why.to_string()), None);
    }
    let repo = gh
        .repo
        .clone()
        .or_else(|| std::env::var("GITHUB_REPOSITORY").ok())
        .and_then(|r| github::RepoId::parse(&r))
        .or_else(|| github::RepoId::from_checkout(root));
    let Some(repo) = repo else {
        let why = "cannot tell which GitHub repository this is: pass --repo OWNER/NAME";
        return (GitHubState::Unavailable(why.to_string()), None);
    };
    let api_url = gh
        .api_url
        .clone()
        .unwrap_or_else(|| "https://api.github.com".to_string());
    let mut config = github::ClientConfig::new(api_url, token);
    config.timeout = std::time::Duration::from_secs_f64(gh.http_timeout.max(0.05));
    config.backoff = std::time::Duration::from_millis(gh.retry_backoff_ms);
    config.max_rate_wait = std::time::Duration::from_secs(gh.max_rate_wait);
    config.cache_dir = if gh.no_cache {
        None
    } else {
        gh.cache_dir.clone().or_else(github::cache::default_dir)
    };
    match github::gather(config, &repo, needs) {
        Ok(facts) => {
            let stats = facts.stats.clone();
            (GitHubState::Known(Box::new(facts)), Some(stats))
        }
        Err(e) => (GitHubState::Unavailable(e.to_string()), None),
    }
}

fn check(args: CheckArgs, out: &mut dyn Write) -> miette::Result<u8> {
    let refs = policy::discover(&args.path, &args.policies);
    let root = git2::Repository::discover(&args.path)
        .ok()
        .and_then(|r| r.workdir().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| args.path.clone());
    let policy = policy::load_for(&refs, Some(&root))?;
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let needs = engine::needs(&policy);
    let options = GatherOptions {
        root: args.path.clone(),
        staged: args.staged,
        now,
    };
    let mut facts = facts::gather(&options, &needs).map_err(|e| miette::miette!("{e}"))?;
    let mut api_stats = None;
    if needs.github.any() {
        let (state, stats) = github_facts(&args, &needs.github, &facts.root);
        facts.github = state;
        api_stats = stats;
    }
    let evaluations = engine::evaluate(&policy, &facts, args.staged);
    let ctx = RunContext {
        root: facts
            .root
            .display()
            .to_string()
            .trim_end_matches('/')
            .to_string(),
        staged: args.staged,
        now,
        fail_on: args.fail_on,
    };
    let mut report = engine::collect(&policy, evaluations, &ctx);
    if let Some(stats) = api_stats {
        if args.verbose {
            eprintln!(
                "GitHub API: {} requests ({} answered from cache, {} retried, {} rate-limited)",
                stats.requests, stats.cached, stats.retried, stats.rate_limited
            );
        }
        report.github_api = Some(stats);
    }

    for (format, file) in &args.outputs {
        let mut bytes = Vec::new();
        report::render(&report, *format, false, &mut bytes).map_err(io_error)?;
        warden::output::write_atomic(file, &bytes)
            .map_err(|e| miette::miette!("cannot write {}: {e}", file.display()))?;
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let mut buffer = Vec::new();
    report::render(&report, args.format, color, &mut buffer).map_err(io_error)?;
    out.write_all(&buffer).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(report.exit_code() as u8)
}
