//! `warden apply`: the command line around [`warden::effects::apply`]: which repositories,
//! asking before writing, the audit log, and the exit code (0: everything applied closed
//! its gap, or a plan with nothing to do; 1: a write failed, a state could not be read,
//! or a fixable gap is still open after the re-check; 2: usage, or no --yes where warden
//! cannot ask).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use warden::effects::apply::{self, ApplyOptions, Target};
use warden::report::Format;

use super::{io_error, run_error, say, RunArgs};

#[derive(clap::Args)]
pub struct ApplyArgs {
    /// The checkout whose policy is used (and whose `origin` names the repository when
    /// neither --repo, --org nor --repos does).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Print the plan and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply without asking (needed when standard input is not a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Append one JSON line per write (time, repo, setting, before, after, method, path,
    /// status) to FILE.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Apply to every repository of this organisation (archived ones and forks left out).
    #[arg(long, value_name = "ORG", conflicts_with = "repos")]
    org: Option<String>,
    /// Apply to the repositories listed in FILE: one OWNER/NAME a line, `#` comments.
    #[arg(long, value_name = "FILE")]
    repos: Option<PathBuf>,
    /// Repositories read and written at once.
    #[arg(long, value_name = "N", default_value_t = warden::org::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(serde::Serialize)]
struct JsonOutcome<'a> {
    plan: &'a apply::Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<&'a apply::Applied>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining: Option<&'a [apply::Remaining]>,
}

pub fn apply(args: ApplyArgs, out: &mut dyn Write) -> miette::Result<u8> {
    if !matches!(args.run.format, Format::Human | Format::Json) {
        return Err(miette::miette!(
            help = "use --format human or --format json",
            "`warden apply` prints its plan as human text or JSON"
        ));
    }
    let json = matches!(args.run.format, Format::Json);
    let options = args.run.options(&args.path);
    let policy = warden::run::load_policy(&options).map_err(run_error)?;
    let config = options.github.client_config().map_err(|why| {
        miette::miette!(
            help = "set GITHUB_TOKEN, or --api-url for a local server",
            "`warden apply` changes settings on GitHub, but {why}"
        )
    })?;
    let target = match (&args.org, &args.repos) {
        (Some(org), _) => Target::Org(org.clone()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| miette::miette!("cannot read {}: {e}", file.display()))?;
            Target::Repos(
                warden::org::read_repos_file(&text)
                    .map_err(|e| miette::miette!("{}: {e}", file.display()))?,
            )
        }
        (None, None) => Target::Repo(options.github.repo_id(&args.path).ok_or_else(|| {
            miette::miette!(
                help = "name it with --repo OWNER/NAME (or --org ORG, --repos FILE)",
                "which repository to apply to is unknown: no --repo, no GITHUB_REPOSITORY, and no GitHub `origin` remote"
            )
        })?),
    };
    let concurrency = args.concurrency.max(1);
    let apply_options = ApplyOptions {
        target,
        concurrency,
        now: options.now,
    };
    let plan =
        apply::plan(&policy, config.clone(), &apply_options).map_err(|e| miette::miette!("{e}"))?;
    let plan_errors = plan.errors.len() + plan.changes.iter().filter(|c| c.error.is_some()).count();
    let emit_json = |out: &mut dyn Write,
                     applied: Option<&apply::Applied>,
                     remaining: Option<&[apply::Remaining]>|
     -> miette::Result<()> {
        let text = serde_json::to_string_pretty(&JsonOutcome {
            plan: &plan,
            applied,
            remaining,
        })
        .expect("the outcome is always JSON");
        writeln!(out, "{text}").map_err(io_error)
    };
    if !json {
        apply::render_plan(&plan, out).map_err(io_error)?;
    }
    let unclean = u8::from(plan_errors > 0);
    if plan.writes() == 0 {
        if json {
            emit_json(out, None, None)?;
        }
        say("warden: nothing to apply: every fixable setting already is as the policy asks");
        return Ok(unclean);
    }
    if args.dry_run {
        if json {
            emit_json(out, None, None)?;
        }
        say("warden: --dry-run: nothing was written");
        return Ok(unclean);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            if json {
                emit_json(out, None, None)?;
            }
            eprintln!(
                "warden: not applied: standard input is not a terminal, so warden cannot ask; run again with --yes to apply this plan (or --dry-run to only print it)"
            );
            return Ok(2);
        }
        eprint!("Apply these {} write(s)? [y/N] ", plan.writes());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("warden: not applied");
            return Ok(0);
        }
    }
    let mut audit: Box<dyn Write> = match &args.audit_log {
        Some(file) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .map_err(|e| {
                    miette::miette!("cannot open the audit log {}: {e}", file.display())
                })?,
        ),
        None => Box::new(std::io::sink()),
    };
    let applied = apply::execute(&plan, config.clone(), concurrency, audit.as_mut())
        .map_err(|e| miette::miette!("{e}"))?;
    drop(audit);
    let touched = plan.repositories_with_writes();
    let remaining = apply::recheck(&policy, config, &touched, concurrency, options.now)
        .map_err(|e| miette::miette!("{e}"))?;
    if json {
        emit_json(out, Some(&applied), Some(&remaining))?;
    } else {
        writeln!(out).map_err(io_error)?;
        apply::render_applied(&applied, out).map_err(io_error)?;
        apply::render_remaining(&remaining, out).map_err(io_error)?;
    }
    for write in applied.writes.iter().filter(|w| w.error.is_some()) {
        eprintln!(
            "warden: {}: {} not changed: {}",
            write.repo,
            write.target,
            write.error.as_deref().unwrap_or_default()
        );
    }
    let open = remaining.iter().any(|r| !r.fixable.is_empty());
    let unread = applied.changes.iter().any(|c| c.error.is_some());
    Ok(u8::from(
        open || unread || applied.failed() > 0 || plan_errors > 0,
    ))
}
