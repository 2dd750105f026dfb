//! The `warden` command line. Library code returns typed errors; only this file turns them
//! into miette reports and exit codes (0 no blocking gaps, 1 blocking gaps, 2 usage or
//! policy error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use warden::engine::{self, FailOn, RunContext};
use warden::facts::{self, GatherOptions};
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

fn check(args: CheckArgs, out: &mut dyn Write) -> miette::Result<u8> {
    let refs = policy::discover(&args.path, &args.policies);
    let policy = policy::load(&refs)?;
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let needs = engine::needs(&policy);
    let options = GatherOptions {
        root: args.path.clone(),
        staged: args.staged,
        now,
    };
    let facts = facts::gather(&options, &needs).map_err(|e| miette::miette!("{e}"))?;
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
    let report = engine::collect(&policy, evaluations, &ctx);

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
