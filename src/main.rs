//! The `warden` command line. Library code returns typed errors; only this file turns them
//! into miette reports and exit codes (0 no blocking gaps, 1 blocking gaps, 2 usage or
//! policy error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::time::Duration;

use warden::effects::pr_comment::{self as comment, CommentMode};
use warden::engine::FailOn;
use warden::policy;
use warden::progress::{Bar, Lines, Progress, Silent};
use warden::report::org::TrackingOutcome;
use warden::report::{self, Format, Report};
use warden::rules;
use warden::run::{GitHubOptions, PrSource, RunError, RunOptions};

mod apply_cmd;
mod color;

// warden allocates one small string per tracked path (100,000 in a large repository);
// mimalloc allocates them faster than the system allocator. `check` leaves them to the
// process exit (`RunOptions::exit_after`) rather than freeing them one by one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "warden",
    version,
    about = "Policy-as-code governance checks for repositories"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress or informational lines on standard error; the report is still
    /// written, problems are still said, and exit codes are unchanged.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour in human output and diagnostics. auto: when the stream is a terminal,
    /// unless NO_COLOR is set (it wins), CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE forces it.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: color::ColorChoice,
}

/// Set once from `-q`: informational lines on standard error go through `say`.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An informational line on standard error, unless `-q`.
fn say(line: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("{line}");
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check a repository against its policy and report the gaps.
    Check(CheckArgs),
    /// Close the gaps whose rules carry a fix, in the checkout: print the plan, make the
    /// changes, then check again (exit 0 only when every fixed gap is closed).
    // The report options `fix` shares with `check` but refuses are not offered in its help.
    #[command(
        mut_arg("outputs", |a| a.hide(true)),
        mut_arg("summary", |a| a.hide(true)),
        mut_arg("format", |a| a.help("Format of the plan on standard output: human or json"))
    )]
    Fix(FixArgs),
    /// Judge a pull request: PR rules, and path rules on the files it changes.
    Pr(PrArgs),
    /// The drift sweep: check the repository, write the gaps report, compare with the
    /// previous one, and keep one tracking issue up to date; or, with --org/--repos, sweep
    /// many repositories through the API.
    Sweep(SweepArgs),
    /// Close GitHub-side gaps through the API: print the plan (current → wanted, per
    /// repository and setting), then apply what moves toward the policy, never loosening
    /// a setting; re-check afterwards. Non-interactive runs need --yes to write.
    Apply(apply_cmd::ApplyArgs),
    /// Combine the shard reports of `warden sweep --org ... --shard I/N` into one.
    Merge(MergeArgs),
    /// List the rule kinds.
    Rules,
    /// Print a rule kind's documentation, or a built-in pack (`builtin:NAME`).
    Explain {
        /// A rule kind (`docs-allowlist`) or a built-in pack (`builtin:mojo-solo`).
        name: String,
    },
    /// For the pre-commit framework: judge the files it names, or the commits between
    /// PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF, or else the staged change.
    PreCommit(PreCommitArgs),
    /// Manage the git pre-commit hook.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// Write a commented starter warden.toml for the repository (never overwrites one).
    Init {
        /// The repository root.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Print a JSON Schema: `policy` (policy files, for editors: schemas/policy.json) or
    /// `report` (the JSON report: schemas/report-v1.json).
    Schema {
        #[arg(value_enum)]
        what: SchemaKind,
    },
    /// Print a shell completion script, e.g. `warden completions bash > ~/.local/share/bash-completion/completions/warden`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `warden man > ~/.local/share/man/man1/warden.1`.
    Man,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaKind {
    /// The policy file (warden.toml).
    Policy,
    /// The JSON report (`--format json`), version 1.
    Report,
}

#[derive(Subcommand)]
enum HookAction {
    /// Write the pre-commit hook (where git reads hooks: worktrees, core.hooksPath) to run
    /// `warden check --staged`.
    Install {
        /// Replace a pre-commit hook that warden did not write (it is kept aside as
        /// pre-commit.warden-backup, and `uninstall` puts it back).
        #[arg(long)]
        force: bool,
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Remove warden's pre-commit hook (only warden's), putting back one kept aside.
    Uninstall {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The repository to check.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Pre-commit mode: path rules judge only what the commit changes (index vs HEAD).
    #[arg(long)]
    staged: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
struct FixArgs {
    /// The repository to fix.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Allow deleting files, and replacing a file or link the policy wants different
    /// (without it, such fixes are refused and said).
    #[arg(long)]
    allow_delete: bool,
    /// Stage the fixed paths in the git index (nothing is staged without it).
    #[arg(long)]
    stage: bool,
    #[command(flatten)]
    pr: FixPrArgs,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
struct PreCommitArgs {
    /// Files to judge, relative to the repository root (pre-commit passes them).
    files: Vec<String>,
    /// The repository.
    #[arg(long, default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
struct PrArgs {
    /// The pull request: OWNER/REPO#N or its URL (read through the API; nothing is posted
    /// unless --comment is given). Default: the event of the running GitHub workflow.
    target: Option<String>,
    /// A saved pull_request event payload: judge it fully offline.
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    event: Option<PathBuf>,
    /// The checkout (for the policy, content rules and a local diff).
    #[arg(long, default_value = ".")]
    path: PathBuf,
    /// The one sticky PR comment: `on-gaps` creates or updates it when there are gaps and
    /// deletes it when clean; `always` keeps an all-clear too. Default: `on-gaps` in a
    /// pull_request workflow, `never` elsewhere (a dry run posts nothing).
    #[arg(long, value_enum)]
    comment: Option<CommentMode>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// The repository to sweep.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Where the Markdown gaps report goes (relative to the current directory).
    #[arg(long, default_value = "reports/status/gaps.md", value_name = "FILE")]
    report: PathBuf,
    /// The previous sweep's JSON report: say what is new, what was fixed, and how long
    /// each gap has been open. A missing file means a first sweep.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Keep one tracking issue in the repository up to date (needs `issues: write`); with
    /// --org/--repos, one in each swept repository.
    #[arg(long)]
    issue: bool,
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    run: RunArgs,
}

/// Sweeping many repositories through the API, without cloning.
#[derive(clap::Args)]
#[group(skip)]
struct OrgArgs {
    /// Sweep every repository of this organisation through the API (nothing is cloned).
    #[arg(
        long,
        value_name = "ORG",
        group = "org_target",
        conflicts_with = "baseline"
    )]
    org: Option<String>,
    /// Sweep the repositories listed in FILE: one OWNER/NAME a line, `#` comments.
    #[arg(
        long,
        value_name = "FILE",
        group = "org_target",
        conflicts_with = "baseline"
    )]
    repos: Option<PathBuf>,
    /// Sweep only repositories matching GLOB (repeatable). A glob with `/` matches
    /// OWNER/NAME, else the name; case-insensitive.
    #[arg(long = "include", value_name = "GLOB", requires = "org_target")]
    include: Vec<String>,
    /// Leave out repositories matching GLOB (repeatable; matched like --include).
    #[arg(long = "exclude", value_name = "GLOB", requires = "org_target")]
    exclude: Vec<String>,
    /// Also sweep archived repositories.
    #[arg(long, requires = "org_target")]
    include_archived: bool,
    /// Also sweep forks.
    #[arg(long, requires = "org_target")]
    include_forks: bool,
    /// Sweep only shard I of N (1-based), by a stable hash of OWNER/NAME; combine the
    /// shards with `warden merge`.
    #[arg(long, value_name = "I/N", value_parser = warden::org::Shard::parse, requires = "org_target")]
    shard: Option<warden::org::Shard>,
    /// Repositories read at once (requests in flight are bounded separately).
    #[arg(long, value_name = "N", default_value_t = warden::org::DEFAULT_CONCURRENCY, requires = "org_target")]
    concurrency: usize,
}

/// `warden fix --pr`: the fixes as one pull request per repository, through the API.
#[derive(clap::Args)]
#[group(skip)]
struct FixPrArgs {
    /// Propose the fixes as one pull request in each repository named by --org, --repos
    /// or --repo (branch `warden/fix`; the default branch is never written), updating
    /// warden's own open pull request instead of opening another.
    #[arg(long, conflicts_with = "stage")]
    pr: bool,
    /// With --pr: every repository of this organisation (archived ones and forks left out).
    #[arg(long, value_name = "ORG", requires = "pr", conflicts_with = "repos")]
    org: Option<String>,
    /// With --pr: the repositories listed in FILE, one OWNER/NAME a line, `#` comments.
    #[arg(long, value_name = "FILE", requires = "pr")]
    repos: Option<PathBuf>,
    /// With --pr: repositories worked on at once.
    #[arg(long, value_name = "N", default_value_t = warden::effects::fix_pr::DEFAULT_CONCURRENCY, requires = "pr")]
    concurrency: usize,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shards' JSON reports (`--output json=FILE` of each `warden sweep --org --shard` job).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Format of the report on standard output: human, json or markdown.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write the report to a file, as FORMAT=FILE (repeatable).
    #[arg(long = "output", value_name = "FORMAT=FILE", value_parser = parse_output)]
    outputs: Vec<(Format, PathBuf)>,
}

/// Options shared by `check`, `pr` and `sweep`.
#[derive(clap::Args)]
struct RunArgs {
    /// Policy file or built-in pack (`builtin:NAME`); repeatable, layered in order.
    /// Default: warden.toml, .github/warden.toml, else `builtin:default`.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// A directory a local `extends` may read from besides the repository and the
    /// directory of a --policy file (repeatable).
    #[arg(long = "policy-root", value_name = "DIR")]
    policy_roots: Vec<PathBuf>,
    /// Format of the report on standard output.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write a report to a file, as FORMAT=FILE (repeatable), e.g.
    /// markdown=reports/status/gaps.md. Files are written atomically, only as regular
    /// files (never through a symlink or to a device); FILE `-` is standard output.
    #[arg(long = "output", value_name = "FORMAT=FILE", value_parser = parse_output)]
    outputs: Vec<(Format, PathBuf)>,
    /// The clock for age rules (RFC 3339 or YYYY-MM-DD). Default: now.
    #[arg(long, env = "WARDEN_NOW", hide_env_values = true, value_parser = parse_now)]
    now: Option<jiff::Timestamp>,
    /// Lowest level that fails the run with exit code 1.
    #[arg(long, value_enum, default_value = "deny")]
    fail_on: FailOn,
    /// With --staged and in `warden pr`: gaps that were already there before the change
    /// block too (by default only the change's own gaps block).
    #[arg(long)]
    fail_on_existing: bool,
    /// Summary view of the human report, for large reports: each rule with its count of
    /// gaps and only the first N gaps (default 5).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5")]
    summary: Option<usize>,
    #[command(flatten)]
    github: GitHubArgs,
    /// Say more on standard error (GitHub API requests made and served from cache).
    #[arg(short, long)]
    verbose: bool,
}

impl RunArgs {
    fn options(&self, path: &std::path::Path) -> RunOptions {
        let gh = &self.github;
        RunOptions {
            path: path.to_path_buf(),
            policies: self.policies.clone(),
            policy_roots: self.policy_roots.clone(),
            now: self.now.unwrap_or_else(jiff::Timestamp::now),
            fail_on: self.fail_on,
            fail_on_existing: self.fail_on_existing,
            exit_after: true,
            github: GitHubOptions {
                offline: gh.offline,
                repo: gh.repo.clone(),
                api_url: gh.api_url.clone(),
                token_env: gh.token_env.clone(),
                cache_dir: gh.cache_dir.clone(),
                no_cache: gh.no_cache,
                timeout: Duration::from_secs_f64(gh.http_timeout.clamp(0.05, 3600.0)),
                backoff: Duration::from_millis(gh.retry_backoff_ms),
                max_rate_wait: Duration::from_secs(gh.max_rate_wait),
            },
        }
    }
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
    // The URL may carry credentials (https://user:token@host): --help never shows it.
    #[arg(
        long,
        env = "GITHUB_API_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
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
        hide_env_values = true,
        default_value = "20",
        value_name = "SECONDS"
    )]
    http_timeout: f64,
    /// Pause before the first retry, in milliseconds (doubled for each further retry).
    #[arg(
        long,
        env = "WARDEN_RETRY_BACKOFF_MS",
        hide_env_values = true,
        default_value = "250",
        hide = true
    )]
    retry_backoff_ms: u64,
    /// The longest wait for a rate limit (primary or secondary) to lift, in seconds; a
    /// longer wait makes the request `error`, naming when the limit lifts.
    #[arg(
        long,
        env = "WARDEN_MAX_RATE_WAIT",
        hide_env_values = true,
        default_value = "60",
        value_name = "SECONDS"
    )]
    max_rate_wait: u64,
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
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    color::init(cli.color);
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
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut command, "warden", &mut buffer);
            out.write_all(&buffer).map_err(io_error)?;
            Ok(0)
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buffer)
                .map_err(io_error)?;
            out.write_all(&buffer).map_err(io_error)?;
            Ok(0)
        }
        Command::Check(args) => {
            let report = warden::run::check(&args.run.options(&args.path), args.staged)
                .map_err(run_error)?;
            emit(&report, &args.run, &mut out)
        }
        Command::Fix(args) if args.pr.pr => fix_pr(args, &mut out),
        Command::Fix(args) => fix(args, &mut out),
        Command::Pr(args) => pr(args, &mut out),
        Command::PreCommit(args) => {
            let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            let refs = env("PRE_COMMIT_FROM_REF").zip(env("PRE_COMMIT_TO_REF"));
            let report = warden::run::pre_commit(&args.run.options(&args.path), &args.files, refs)
                .map_err(run_error)?;
            emit(&report, &args.run, &mut out)
        }
        Command::Sweep(args) if args.org.org.is_some() || args.org.repos.is_some() => {
            org_sweep(args, &mut out)
        }
        Command::Merge(args) => merge(args, &mut out),
        Command::Apply(args) => apply_cmd::apply(args, &mut out),
        Command::Sweep(mut args) => {
            let (report, tracking) = warden::run::sweep(
                &args.run.options(&args.path),
                args.baseline.as_deref(),
                args.issue,
            )
            .map_err(run_error)?;
            args.run
                .outputs
                .insert(0, (Format::Markdown, args.report.clone()));
            let code = emit(&report, &args.run, &mut out)?;
            match tracking {
                Some(Ok(outcome)) => say(&format!("warden: {outcome}")),
                // The report is written; a tracking-issue failure is said, and fails the run.
                Some(Err(e)) => {
                    eprintln!("warden: could not update the tracking issue: {e}");
                    return Ok(code.max(1));
                }
                None => {}
            }
            Ok(code)
        }
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
            let written = warden::effects::hook::install(&path, force).map_err(|e| {
                miette::miette!(
                    help = "the hook runs `warden check --staged` before each commit",
                    "{e}"
                )
            })?;
            writeln!(out, "installed {}", written.display()).map_err(io_error)?;
            Ok(0)
        }
        Command::Hook {
            action: HookAction::Uninstall { path },
        } => {
            use warden::effects::hook::Uninstalled;
            let done =
                warden::effects::hook::uninstall(&path).map_err(|e| miette::miette!("{e}"))?;
            let said = match done {
                Uninstalled::Removed(p) => format!("removed {}", p.display()),
                Uninstalled::Restored(p) => {
                    format!(
                        "removed warden's hook; put back the earlier {}",
                        p.display()
                    )
                }
                Uninstalled::NotInstalled(p) => format!("no hook at {}", p.display()),
            };
            writeln!(out, "{said}").map_err(io_error)?;
            Ok(0)
        }
        Command::Init { path } => {
            let (written, survey) = warden::init::init(&path).map_err(|e| {
                miette::miette!(
                    help = "edit the existing policy; `warden explain KIND` shows each rule kind",
                    "{e}"
                )
            })?;
            writeln!(
                out,
                "wrote {} (extends builtin:{}); check with `warden check`",
                written.display(),
                survey.pack
            )
            .map_err(io_error)?;
            Ok(0)
        }
        Command::Schema { what } => {
            let schema = match what {
                SchemaKind::Policy => warden::schema::policy_schema(),
                SchemaKind::Report => warden::schema::report_schema(),
            };
            out.write_all(warden::schema::text(&schema).as_bytes())
                .map_err(io_error)?;
            Ok(0)
        }
    }
}

fn org_sweep(args: SweepArgs, out: &mut dyn Write) -> miette::Result<u8> {
    use warden::org::{OrgOptions, OrgTarget};
    let formats = std::iter::once(args.run.format).chain(args.run.outputs.iter().map(|(f, _)| *f));
    for format in formats {
        if !report::org::supports(format) {
            return Err(miette::miette!(
                help = "an organisation report is written as human, json or markdown",
                "the organisation report has no {format:?} format"
            ));
        }
    }
    let options = args.run.options(&args.path);
    let policy = warden::run::load_policy(&options).map_err(run_error)?;
    let config = options.github.client_config().map_err(|why| {
        miette::miette!(
            help = "set GITHUB_TOKEN, or --api-url for a local server",
            "an organisation sweep reads GitHub, but {why}"
        )
    })?;
    let target = match (&args.org.org, &args.org.repos) {
        (Some(org), _) => OrgTarget::Org(org.clone()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| miette::miette!("cannot read {}: {e}", file.display()))?;
            OrgTarget::Repos(
                warden::org::read_repos_file(&text)
                    .map_err(|e| miette::miette!("{}: {e}", file.display()))?,
            )
        }
        (None, None) => unreachable!("org_sweep is only called with --org or --repos"),
    };
    let mut org = OrgOptions::new(target, options.now);
    org.include = args.org.include.clone();
    org.exclude = args.org.exclude.clone();
    org.include_archived = args.org.include_archived;
    org.include_forks = args.org.include_forks;
    org.shard = args.org.shard;
    org.fail_on = options.fail_on;
    org.concurrency = args.org.concurrency.max(1);
    org.issue = args.issue;
    let progress = progress(QUIET.load(std::sync::atomic::Ordering::Relaxed));
    let report = warden::org::sweep_org_with(&org, &policy, config, progress.as_ref())
        .map_err(|e| miette::miette!("{e}"))?;
    // The bar and the lines may be gone or off: what went wrong with an issue is said here.
    for row in &report.repositories {
        let Some(tracking) = &row.tracking else {
            continue;
        };
        match tracking.outcome {
            TrackingOutcome::Error => eprintln!(
                "warden: {}: could not update the tracking issue: {}",
                row.repo, tracking.message
            ),
            TrackingOutcome::Skipped => say(&format!("warden: {}: {}", row.repo, tracking.message)),
            _ => {}
        }
    }
    write_org(
        &report,
        &args.run.outputs,
        Some(&args.report),
        args.run.format,
        out,
    )
}

/// `warden fix --pr`: one pull request per repository; the report on standard output.
fn fix_pr(args: FixArgs, out: &mut dyn Write) -> miette::Result<u8> {
    use warden::effects::fix_pr::{self, Target};
    let format = args.run.format;
    if !matches!(format, Format::Human | Format::Json) || !args.run.outputs.is_empty() {
        return Err(miette::miette!(
            help = "use --format human or --format json",
            "`warden fix --pr` writes its report as human or json on standard output"
        ));
    }
    let options = args.run.options(&args.path);
    let target = match (&args.pr.org, &args.pr.repos, &options.github.repo) {
        (Some(org), _, _) => Target::Org(org.clone()),
        (None, Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| miette::miette!("cannot read {}: {e}", file.display()))?;
            Target::Repos(
                warden::org::read_repos_file(&text)
                    .map_err(|e| miette::miette!("{}: {e}", file.display()))?,
            )
        }
        (None, None, Some(repo)) => Target::Repos(vec![warden::github::RepoId::parse(repo)
            .filter(|_| repo.matches('/').count() == 1)
            .ok_or_else(|| miette::miette!("`{repo}` is not OWNER/NAME"))?]),
        (None, None, None) => {
            return Err(miette::miette!(
                help = "`--org ORG`, `--repos FILE` or `--repo OWNER/NAME`",
                "`warden fix --pr` needs the repositories to open pull requests in"
            ))
        }
    };
    let policy = warden::run::load_policy(&options).map_err(run_error)?;
    let config = options.github.client_config().map_err(|why| {
        miette::miette!(
            help = "set GITHUB_TOKEN (contents: write and pull_requests: write), or --api-url for a local server",
            "`warden fix --pr` writes through the GitHub API, but {why}"
        )
    })?;
    let fix_options = fix_pr::Options {
        target,
        dry_run: args.dry_run,
        allow: warden::fix::local::Allow {
            delete: args.allow_delete,
        },
        concurrency: args.pr.concurrency.max(1),
        now: options.now,
    };
    let progress = progress(QUIET.load(std::sync::atomic::Ordering::Relaxed));
    let report = fix_pr::run(&fix_options, &policy, config, progress.as_ref())
        .map_err(|e| miette::miette!("{e}"))?;
    let mut buffer = Vec::new();
    match format {
        Format::Json => fix_pr::render_json(&report, &mut buffer),
        _ => fix_pr::render_human(&report, &mut buffer),
    }
    .map_err(io_error)?;
    out.write_all(&buffer).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(report.exit_code() as u8)
}

/// How an organisation sweep shows progress: a bar on a terminal, plain lines in logs and
/// CI (a bar there is noise), nothing with --quiet.
fn progress(quiet: bool) -> Box<dyn Progress> {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    if quiet {
        Box::new(Silent)
    } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() && !dumb {
        Box::new(Bar::stderr())
    } else {
        Box::new(Lines::stderr())
    }
}

fn merge(args: MergeArgs, out: &mut dyn Write) -> miette::Result<u8> {
    let mut shards = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| miette::miette!("cannot read {}: {e}", file.display()))?;
        shards.push(
            report::org::load(&text).map_err(|e| miette::miette!("{}: {e}", file.display()))?,
        );
    }
    let report = report::org::merge(shards).map_err(|e| miette::miette!("{e}"))?;
    write_org(&report, &args.outputs, None, args.format, out)
}

/// Write an organisation report: the Markdown report file, the other files, stdout.
fn write_org(
    report: &report::org::OrgReport,
    outputs: &[(Format, PathBuf)],
    markdown: Option<&std::path::Path>,
    format: Format,
    out: &mut dyn Write,
) -> miette::Result<u8> {
    let files = markdown
        .map(|m| (Format::Markdown, m.to_path_buf()))
        .into_iter()
        .chain(outputs.iter().cloned());
    for (file_format, file) in files {
        if !report::org::supports(file_format) {
            return Err(miette::miette!(
                "the organisation report has no {file_format:?} format"
            ));
        }
        let mut bytes = Vec::new();
        report::org::render(report, file_format, &mut bytes).map_err(io_error)?;
        warden::effects::output::write_report(&file, &bytes)
            .map_err(|e| miette::miette!("cannot write {}: {e}", file.display()))?;
    }
    let mut buffer = Vec::new();
    report::org::render(report, format, &mut buffer).map_err(io_error)?;
    out.write_all(&buffer).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(report.exit_code() as u8)
}

fn run_error(error: RunError) -> miette::Report {
    match error {
        RunError::Policy(errors) => miette::Report::new(errors),
        other => miette::miette!("{other}"),
    }
}

fn fix(args: FixArgs, out: &mut dyn Write) -> miette::Result<u8> {
    use warden::effects::fix::{self, FixOptions};
    if !matches!(args.run.format, Format::Human | Format::Json) {
        return Err(miette::miette!(
            help = "`warden check --format ...` renders the gaps in other formats",
            "`warden fix` prints its plan as human text or json"
        ));
    }
    if !args.run.outputs.is_empty() || args.run.summary.is_some() {
        return Err(miette::miette!(
            help = "run `warden check --output FORMAT=FILE` after `warden fix` for a report",
            "`warden fix` prints its plan and outcome; it writes no report (--output, --summary)"
        ));
    }
    let options = FixOptions {
        dry_run: args.dry_run,
        allow_delete: args.allow_delete,
        stage: args.stage,
    };
    let outcome = fix::run(&args.run.options(&args.path), options).map_err(run_error)?;
    let mut buffer = Vec::new();
    match args.run.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut buffer, &outcome)
                .map_err(|e| miette::miette!("{e}"))?;
            buffer.push(b'\n');
        }
        _ => fix::render(&outcome, &mut buffer).map_err(io_error)?,
    }
    out.write_all(&buffer).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(outcome.exit_code as u8)
}

fn pr(args: PrArgs, out: &mut dyn Write) -> miette::Result<u8> {
    let source = if let Some(event) = &args.event {
        PrSource::EventFile(event.clone())
    } else if let Some(target) = &args.target {
        let (repo, number) = warden::pr::parse_target(target).ok_or_else(|| {
            miette::miette!(
                help = "name it as OWNER/REPO#N or https://github.com/OWNER/REPO/pull/N",
                "`{target}` is not a pull request"
            )
        })?;
        PrSource::Target(repo, number)
    } else if let Some(event) = std::env::var_os("GITHUB_EVENT_PATH") {
        PrSource::ActionsEvent(PathBuf::from(event))
    } else {
        return Err(miette::miette!(
            help = "`warden pr OWNER/REPO#N`, `warden pr --event FILE`, or run it in a pull_request workflow",
            "which pull request? none was named and GITHUB_EVENT_PATH is not set"
        ));
    };
    let options = args.run.options(&args.path);
    let (mut report, pr) = warden::run::pr(&options, &source).map_err(run_error)?;

    let default_mode = match source {
        PrSource::ActionsEvent(_) => CommentMode::OnGaps,
        _ => CommentMode::Never,
    };
    let mode = args.comment.unwrap_or(default_mode);
    // The comment goes first so that the request counters of the report include it. One
    // that cannot be posted (a fork's read-only token) is said, never fatal: the job
    // summary and annotations carry the report.
    let mut said = None;
    if mode != CommentMode::Never {
        said = Some(match (options.github.client_config(), &pr.repo) {
            (Ok(config), Some(repo)) => {
                let url = warden::effects::actions::Runner::from_env().summary_url();
                let body = comment::comment_body(&report, url.as_deref());
                let (outcome, cost) = comment::sync_blocking(
                    config,
                    repo,
                    pr.number,
                    comment::has_gaps(&report),
                    &body,
                    mode,
                );
                if cost.requests > 0 {
                    let total = report.github_api.get_or_insert_with(Default::default);
                    total.requests += cost.requests;
                    total.cached += cost.cached;
                    total.retried += cost.retried;
                    total.rate_limited += cost.rate_limited;
                }
                format!("warden: {outcome}")
            }
            (Err(why), _) => format!("warden: no PR comment: {why}"),
            (_, None) => "warden: no PR comment: the repository is unknown".to_string(),
        });
    }
    let code = emit(&report, &args.run, out)?;
    if let Some(said) = said {
        say(&said);
    }
    Ok(code)
}

/// Write the report: the files asked for, then standard output. Returns the exit code.
fn emit(report: &Report, args: &RunArgs, out: &mut dyn Write) -> miette::Result<u8> {
    if let Some(stats) = &report.github_api {
        if args.verbose {
            eprintln!(
                "GitHub API: {} requests ({} answered from cache, {} retried, {} rate-limited)",
                stats.requests, stats.cached, stats.retried, stats.rate_limited
            );
        }
    }
    for (format, file) in &args.outputs {
        let mut bytes = Vec::new();
        report::render(report, *format, false, &mut bytes).map_err(io_error)?;
        warden::effects::output::write_report(file, &bytes)
            .map_err(|e| miette::miette!("cannot write {}: {e}", file.display()))?;
    }
    let color = color::stdout();
    let width = color::stdout_width().filter(|_| args.format == Format::Human);
    if args.summary.is_none() && width.is_none() {
        // Straight to the output: a report of 10,000 gaps is megabytes, and holding it
        // whole would cost that much memory for nothing.
        let mut writer = std::io::BufWriter::with_capacity(32 * 1024, &mut *out);
        report::render(report, args.format, color, &mut writer).map_err(io_error)?;
        writer.flush().map_err(io_error)?;
    } else {
        let mut buffer = Vec::new();
        match (args.format, args.summary) {
            (Format::Human, Some(first)) => {
                report::human::render_summary(report, color, first, &mut buffer)
                    .map_err(io_error)?
            }
            _ => report::render(report, args.format, color, &mut buffer).map_err(io_error)?,
        }
        if let Some(width) = width {
            buffer = report::human::wrap(&String::from_utf8_lossy(&buffer), width).into_bytes();
        }
        out.write_all(&buffer).map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;
    in_actions(report, args)?;
    Ok(report.exit_code() as u8)
}

/// In a GitHub Actions job: the Markdown report goes to the job summary, and `gaps`,
/// `blocking` and `report` (the JSON report's path, if written) to the step outputs.
fn in_actions(report: &Report, args: &RunArgs) -> miette::Result<()> {
    let runner = warden::effects::actions::Runner::from_env();
    if !runner.in_actions {
        return Ok(());
    }
    if let Some(path) = &runner.step_summary {
        let mut markdown = Vec::new();
        report::render(report, Format::Markdown, false, &mut markdown).map_err(io_error)?;
        warden::effects::actions::append_step_summary(path, &String::from_utf8_lossy(&markdown))
            .map_err(|e| miette::miette!("cannot write the job summary {}: {e}", path.display()))?;
    }
    if let Some(path) = &runner.output {
        let json = args
            .outputs
            .iter()
            .find(|(f, _)| *f == Format::Json)
            .map(|(_, p)| p.as_path());
        warden::effects::actions::write_outputs(
            path,
            &warden::effects::actions::outputs_for(report, json),
        )
        .map_err(|e| miette::miette!("cannot write the step outputs {}: {e}", path.display()))?;
    }
    Ok(())
}
