//! GitHub Actions workflow commands: each open gap becomes an annotation on the run and,
//! when it has a path, on the file in the pull request.
//!
//! Levels map deny → `error`, warn → `warning`, info → `notice`. Waived gaps are not
//! annotated; a rule that could not decide is an `error` annotation with the reason. The
//! last line is a plain summary. Values are escaped as the runner expects: in the message
//! `%`, CR and LF; in properties (`file`, `title`) also `:` and `,`, so a file name cannot
//! end the property list or start a second command.
//!
//! GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and 50 per
//! job, and drops the rest silently (actions/toolkit `docs/problem-matchers.md`,
//! "Limitations"). So warden writes at most [`PER_STEP`] of each and then one plain line
//! saying how many more gaps are only in the job summary / report.

/// Annotations of one level GitHub shows per step.
pub const PER_STEP: usize = 10;

use std::io::{self, Write};

use super::escape::controls;
use super::{Outcome, Report};
use crate::model::Level;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Annotations written per level (error, warning, notice), and gaps left unannotated.
    let mut written = [0usize; 3];
    let mut more = 0usize;
    for rule in &report.rules {
        // Skipped rules are not annotations, but the log says which and why.
        if rule.outcome == Outcome::Skipped {
            let reason = rule.reason.as_deref().unwrap_or("no reason given");
            // One line: a newline could start a workflow command of its own.
            writeln!(
                out,
                "warden: `{}` skipped: {}",
                controls(&rule.id),
                controls(reason)
            )?;
        }
        if rule.outcome == Outcome::Error && take(&mut written[0], &mut more) {
            let reason = rule.reason.as_deref().unwrap_or("no reason given");
            writeln!(
                out,
                "::error title={}::{}",
                property(&rule.id),
                data(&format!("could not decide: {reason}"))
            )?;
        }
        for finding in rule.findings.iter().filter(|f| f.waived.is_none()) {
            let (command, slot) = match finding.level {
                Level::Deny => ("error", 0),
                Level::Warn => ("warning", 1),
                Level::Info => ("notice", 2),
            };
            if !take(&mut written[slot], &mut more) {
                continue;
            }
            let mut properties = Vec::new();
            if let Some(path) = finding.path.as_deref().filter(|p| !p.contains("://")) {
                properties.push(format!("file={}", property(path)));
                if let Some(line) = finding.line {
                    properties.push(format!("line={line}"));
                }
            }
            properties.push(format!("title={}", property(&finding.rule)));
            let message = match &finding.help {
                Some(help) => format!("{}\nFix: {help}", finding.message),
                None => finding.message.clone(),
            };
            writeln!(
                out,
                "::{command} {}::{}",
                properties.join(","),
                data(&message)
            )?;
        }
    }
    if more > 0 {
        writeln!(
            out,
            "warden: {more} more {} not annotated (GitHub shows {PER_STEP} errors, {PER_STEP} \
             warnings and {PER_STEP} notices per step); all are in the job summary and the report",
            if more == 1 { "finding" } else { "findings" }
        )?;
    }
    let s = &report.summary;
    let verdict = if s.blocking {
        "blocking gaps found"
    } else if s.gaps > 0 {
        "no blocking gaps"
    } else {
        "no gaps"
    };
    writeln!(
        out,
        "warden: {verdict}: {} rules — {} pass, {} fail, {} error, {} skipped, {} waived; gaps: {} deny, {} warn, {} info ({} waived)",
        s.rules, s.pass, s.fail, s.error, s.skipped, s.waived, s.deny, s.warn, s.info, s.waived_findings
    )
}

/// Whether one more annotation of a level fits in the step; counts it either way.
fn take(written: &mut usize, more: &mut usize) -> bool {
    if *written < PER_STEP {
        *written += 1;
        true
    } else {
        *more += 1;
        false
    }
}

/// Escape a command's message (everything after `::`); other control characters are
/// made visible, as they would reach the log.
fn data(s: &str) -> String {
    let visible: String = s
        .split_inclusive(['\r', '\n'])
        .map(|part| {
            let end = part.trim_end_matches(['\r', '\n']);
            format!("{}{}", controls(end), &part[end.len()..])
        })
        .collect();
    visible
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(data("50% done\r\n::x::"), "50%25 done%0D%0A::x::");
        assert_eq!(property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(data("x\u{1b}]0;t\u{7}"), "x\\u{1b}]0;t\\u{7}");
    }
}
