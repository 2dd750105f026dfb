//! Whether to colour output, decided in one place for the report and the diagnostics.
//!
//! Precedence, first match wins: `--color always|never`; NO_COLOR (any non-empty value:
//! never, and it beats CLICOLOR_FORCE, as no-color.org asks); CLICOLOR_FORCE (non-empty,
//! not `0`: always); CLICOLOR=0 or TERM=dumb: never; else colour when the stream is a
//! terminal.

use std::io::IsTerminal;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The decision, from the choice, the environment (`env(name)`) and whether the stream
/// is a terminal. Pure, so that the precedence is tested without a terminal.
pub fn decide(choice: ColorChoice, env: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if set("CLICOLOR").as_deref() == Some("0")
                || set("TERM").as_deref() == Some("dumb")
            {
                false
            } else {
                terminal
            }
        }
    }
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Record `--color` once, at start, and make miette's diagnostics follow the decision.
pub fn init(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
    let color = stderr();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().color(color).build())
    }));
}

fn choice() -> ColorChoice {
    *CHOICE.get().unwrap_or(&ColorChoice::Auto)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Colour on standard output (the human report).
pub fn stdout() -> bool {
    decide(choice(), env, std::io::stdout().is_terminal())
}

/// Colour on standard error (diagnostics).
pub fn stderr() -> bool {
    decide(choice(), env, std::io::stderr().is_terminal())
}

/// The width to wrap the human report at: `COLUMNS` when set, else the terminal's own;
/// `None` when standard output is not a terminal (a file or a pipe gets whole lines).
pub fn stdout_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(columns) = env("COLUMNS").and_then(|c| c.trim().parse::<usize>().ok()) {
        return (columns >= 20).then_some(columns);
    }
    terminal_columns()
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ only fills the winsize struct we pass; fd 1 is ours to query.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col >= 20).then_some(size.ws_col as usize)
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn precedence() {
        use ColorChoice::*;
        assert!(decide(Auto, with(&[]), true));
        assert!(!decide(Auto, with(&[]), false));
        assert!(!decide(Auto, with(&[("NO_COLOR", "1")]), true));
        assert!(decide(Auto, with(&[("NO_COLOR", "")]), true));
        assert!(!decide(
            Auto,
            with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(decide(Auto, with(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!decide(Auto, with(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!decide(Auto, with(&[("CLICOLOR", "0")]), true));
        assert!(!decide(Auto, with(&[("TERM", "dumb")]), true));
        assert!(decide(
            Auto,
            with(&[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(decide(Always, with(&[("NO_COLOR", "1")]), false));
        assert!(!decide(Never, with(&[("CLICOLOR_FORCE", "1")]), true));
    }
}
