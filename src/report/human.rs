//! Human-readable terminal output: gaps grouped by rule, each with where and how to fix.
//! Text from the policy and the repository has its control characters escaped, so a file
//! name cannot move the cursor, retitle the terminal or start a CI log command.

use std::io::{self, Write};

use super::escape::controls;
use super::{Outcome, Report};
use crate::model::Level;

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    render_with(report, color, None, out)
}

/// The summary view for large reports (`--summary N`): each rule with its count of gaps
/// and only the first N of them; the verdict line is the same.
pub fn render_summary(
    report: &Report,
    color: bool,
    first: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_with(report, color, Some(first), out)
}

fn render_with(
    report: &Report,
    color: bool,
    first: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Paint { color };
    // Gaps already there before a staged change or PR: listed after the rules, one line each.
    let mut old = Vec::new();
    for rule in &report.rules {
        let all_old = rule
            .findings
            .iter()
            .filter(|f| f.waived.is_none())
            .all(|f| report.is_old(f));
        let mark = match rule.outcome {
            Outcome::Pass => p.paint("32", "pass"),
            Outcome::Fail if all_old => p.paint("2", "old"),
            Outcome::Fail => match rule
                .findings
                .iter()
                .filter(|f| f.waived.is_none())
                .map(|f| f.level)
                .max()
            {
                Some(Level::Deny) => p.paint("1;31", "FAIL"),
                Some(Level::Warn) => p.paint("33", "warn"),
                _ => p.paint("36", "info"),
            },
            Outcome::Error => p.paint("1;35", "ERROR"),
            Outcome::Skipped => p.paint("2", "skip"),
            Outcome::Waived => p.paint("34", "waived"),
        };
        // In the summary view: how many of this rule's gaps are shown below, of how many.
        let shown: Vec<_> = rule
            .findings
            .iter()
            .filter(|f| f.waived.is_some() || !report.is_old(f))
            .collect();
        let count = match first {
            Some(_) if !shown.is_empty() => format!(" [{} gaps]", shown.len()),
            _ => String::new(),
        };
        writeln!(
            out,
            "{mark:>6}  {} ({}) — {}{count}",
            p.paint("1", &controls(&rule.id)),
            rule.level.as_str(),
            controls(&rule.summary)
        )?;
        if let Some(reason) = &rule.reason {
            writeln!(out, "        {}", controls(reason))?;
        }
        let mut listed = 0;
        for finding in &rule.findings {
            if finding.waived.is_none() && report.is_old(finding) {
                old.push(finding);
                continue;
            }
            if first.is_some_and(|n| listed >= n) {
                continue;
            }
            listed += 1;
            let place = match (&finding.path, finding.line) {
                (Some(path), Some(line)) => format!("{path}:{line}: "),
                (Some(path), None) => format!("{path}: "),
                _ => String::new(),
            };
            let tag = match (&finding.waived, finding.level) {
                (Some(_), _) => p.paint("34", "waived"),
                (None, Level::Deny) => p.paint("31", "deny"),
                (None, Level::Warn) => p.paint("33", "warn"),
                (None, Level::Info) => p.paint("36", "info"),
            };
            writeln!(
                out,
                "        {tag}: {}{}",
                controls(&place),
                controls(&finding.message)
            )?;
            if let Some(waived) = &finding.waived {
                writeln!(
                    out,
                    "              waived at {}: {}",
                    controls(&waived.origin.to_string()),
                    controls(&waived.reason)
                )?;
            } else if let Some(help) = &finding.help {
                writeln!(
                    out,
                    "              {} {}",
                    p.paint("2", "fix:"),
                    controls(help)
                )?;
            }
            if let (None, Some(fix)) = (&finding.waived, &finding.fix) {
                writeln!(
                    out,
                    "              {} `{}`",
                    p.paint("2", "closed by:"),
                    fix.command
                )?;
            }
        }
        if listed < shown.len() {
            writeln!(
                out,
                "        {}",
                p.paint("2", &format!("… and {} more", shown.len() - listed))
            )?;
        }
    }
    if !old.is_empty() {
        writeln!(
            out,
            "\n{} ({}; --fail-on-existing makes them block):",
            p.paint("2", "already there before this change, not blocking"),
            old.len()
        )?;
        for finding in old {
            let what = finding.path.as_deref().unwrap_or(&finding.message);
            writeln!(out, "        {}: {what}", finding.rule)?;
        }
    }
    if let Some(note) = report.change.as_ref().and_then(|c| c.note.as_ref()) {
        writeln!(out, "\nnote: {note}")?;
    }
    if let Some(source) = report
        .pull_request
        .as_ref()
        .and_then(|pr| pr.policy_source.as_ref())
    {
        writeln!(out, "\npolicy: {source}")?;
    }
    let s = &report.summary;
    let existing = if s.existing > 0 {
        format!("; {} already there", s.existing)
    } else {
        String::new()
    };
    let verdict = if s.blocking {
        p.paint("1;31", "blocking gaps found")
    } else if s.gaps + s.existing > 0 {
        p.paint("33", "no blocking gaps")
    } else {
        p.paint("32", "no gaps")
    };
    writeln!(
        out,
        "\n{verdict}: {} rules — {} pass, {} fail, {} error, {} skipped, {} waived; gaps: {} deny, {} warn, {} info ({} waived){existing}",
        s.rules, s.pass, s.fail, s.error, s.skipped, s.waived, s.deny, s.warn, s.info, s.waived_findings
    )
}

/// `text` with every line longer than `width` columns broken at spaces, each continuation
/// indented two columns past its line's own indent, so a long message stays readable in
/// a terminal. Colour escapes (`ESC[...m`) take no columns; a word longer than the line
/// is left whole rather than cut.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if visible_width(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start_matches(' ').len();
        let carry = " ".repeat((indent + 2).min(width / 2));
        let mut used = 0;
        let mut first = true;
        // Whether this output line holds a word yet: never break before its first one.
        let mut worded = false;
        for word in body.split(' ') {
            let w = visible_width(word);
            if !first && worded && used + 1 + w > width {
                out.push('\n');
                out.push_str(&carry);
                used = carry.len();
                worded = false;
            } else if !first {
                out.push(' ');
                used += 1;
            }
            out.push_str(word);
            used += w;
            worded |= w > 0;
            first = false;
        }
        out.push_str(newline);
    }
    out
}

/// Columns `s` takes on a terminal: characters, less colour escapes.
fn visible_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap;

    #[test]
    fn long_lines_break_at_spaces_under_their_indent() {
        let text =
            "    deny: docs/a.md: Markdown outside the docs allow-list is not allowed here\n";
        assert_eq!(
            wrap(text, 40),
            "    deny: docs/a.md: Markdown outside\n      the docs allow-list is not allowed\n      here\n"
        );
        assert!(wrap(text, 40).lines().all(|l| l.chars().count() <= 40));
    }

    #[test]
    fn short_lines_colour_escapes_and_long_words_are_kept() {
        assert_eq!(
            wrap("\u{1b}[1mid\u{1b}[0m ok\n", 5),
            "\u{1b}[1mid\u{1b}[0m ok\n"
        );
        let word = "x".repeat(50);
        assert_eq!(wrap(&format!("a {word}"), 10), format!("a\n  {word}"));
    }
}
