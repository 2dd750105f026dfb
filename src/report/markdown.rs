//! Markdown: the gaps report (`reports/status/gaps.md`), also posted as a pull-request
//! comment.
//!
//! Because it ends up in a PR comment, everything that comes from the repository or the
//! policy (file names, messages, rule ids, reasons) is untrusted: a file called
//! `<img src=x>@org/team.md` must show as text, not as HTML or a ping. Two escapers do that:
//!
//! - `text` for prose: `&`, `<`, `>` become HTML entities; `\ * _ [ ] ~ | $` and any
//!   unpaired backtick are backslash-escaped; `@` becomes `@&#8203;` (a zero-width space
//!   after it, the entity keeps the file ASCII) so GitHub makes no @mention; control
//!   characters (including newlines) become spaces so text cannot start a new block.
//! - `code` for paths and locations: a code span whose backtick fence is longer than any
//!   backtick run inside, so nothing in it is Markdown, HTML or a mention.
//!
//! Messages keep the code spans rules put around values (`` `notes/a.md` is outside ...``):
//! `inline` finds them and re-emits them with `code`, the rest with `text`. User
//! text never starts a line, and table cells hold only escaped text (a `|` in a code span
//! would still split a GitHub table row). The output depends only on the report, so the
//! same gaps give the same bytes.

use std::io::{self, Write};

use super::{Change, Outcome, Report, ReportedFinding, RuleOutcome};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# warden: governance gaps\n")?;
    writeln!(out, "{}\n", verdict(report))?;
    let policy = if report.policy.is_empty() {
        String::new()
    } else {
        let files: Vec<String> = report.policy.iter().map(|p| code(p)).collect();
        format!(" against {}", files.join(", "))
    };
    writeln!(
        out,
        "Checked by warden {} at {} ({} mode){policy}.",
        text(report.tool.version),
        text(&report.now),
        code(report.mode),
    )?;

    if let Some(change) = &report.change {
        match &change.note {
            Some(note) => writeln!(
                out,
                "\nEvery gap counts as this change's: {}.",
                inline(note)
            )?,
            None => writeln!(
                out,
                "\nCompared with {}: gaps marked _already there_ were there before this change{}.",
                text(&change.before),
                if change.fail_on_existing {
                    " and block too (`--fail-on-existing`)"
                } else {
                    " and do not block"
                }
            )?,
        }
    }
    if let Some(source) = report
        .pull_request
        .as_ref()
        .and_then(|pr| pr.policy_source.as_deref())
    {
        writeln!(out, "\nJudged by {}.", inline(source))?;
    }

    if let Some(diff) = &report.baseline {
        let unknown = if diff.unknown.is_empty() {
            String::new()
        } else {
            format!(
                ", {} not known (their rules could not decide this time)",
                diff.unknown.len()
            )
        };
        writeln!(
            out,
            "\nSince the previous sweep ({}): {} new, {} fixed{unknown}.",
            text(&diff.compared_with),
            diff.new.len(),
            diff.fixed.len()
        )?;
    }

    if let Some(line) = fixable_line(report) {
        writeln!(out, "{line}")?;
    }

    writeln!(out, "\n## Rules\n")?;
    writeln!(out, "| Rule | Kind | Level | Outcome | Gaps |")?;
    writeln!(out, "| --- | --- | --- | --- | ---: |")?;
    for rule in &report.rules {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            text(&rule.id),
            text(&rule.kind),
            rule.level.as_str(),
            badge(rule.outcome),
            gap_count(rule)
        )?;
    }

    let open: Vec<&RuleOutcome> = report
        .rules
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
        .collect();
    if !open.is_empty() {
        writeln!(out, "\n## Gaps")?;
        for rule in open {
            gaps_section(rule, out)?;
        }
    }

    let waived: Vec<&ReportedFinding> = report
        .rules
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.waived.is_some())
        .collect();
    if !waived.is_empty() {
        writeln!(out, "\n## Waived gaps\n")?;
        writeln!(
            out,
            "Accepted by a waiver in the policy; they do not block.\n"
        )?;
        for finding in waived {
            let place = location(finding)
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            writeln!(
                out,
                "- {}{place}: {}",
                code(&finding.rule),
                inline(&finding.message)
            )?;
            if let Some(by) = &finding.waived {
                let until = by
                    .expires
                    .as_deref()
                    .map(|e| format!(" until {}", text(e)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  - Waived by {}{until}: {}",
                    code(&by.origin.to_string()),
                    inline(&by.reason)
                )?;
            }
        }
    }

    if let Some(diff) = report.baseline.as_ref().filter(|d| !d.fixed.is_empty()) {
        writeln!(out, "\n## Fixed since the previous sweep\n")?;
        for fixed in &diff.fixed {
            let place = fixed
                .path
                .as_deref()
                .map(|p| format!(" at {}", code(p)))
                .unwrap_or_default();
            writeln!(
                out,
                "- {}{place}: {}",
                code(&fixed.rule),
                inline(&fixed.message)
            )?;
        }
    }

    let skipped: Vec<&RuleOutcome> = report
        .rules
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .collect();
    if !skipped.is_empty() {
        writeln!(out, "\n## Skipped rules\n")?;
        for rule in skipped {
            let reason = rule.reason.as_deref().unwrap_or("no reason given");
            writeln!(out, "- {}: {}", code(&rule.id), inline(reason))?;
        }
    }
    Ok(())
}

fn verdict(report: &Report) -> String {
    let s = &report.summary;
    let label = if s.blocking {
        "Blocking gaps found."
    } else if s.gaps + s.existing > 0 {
        "No blocking gaps."
    } else {
        "No gaps."
    };
    let existing = if s.existing > 0 {
        format!(", {} already there", s.existing)
    } else {
        String::new()
    };
    format!(
        "**{label}** {} ({} deny, {} warn, {} info), {} waived{existing}; {}: {} pass, {} fail, {} error, {} skipped, {} waived.",
        plural(s.gaps, "gap"),
        s.deny,
        s.warn,
        s.info,
        s.waived_findings,
        plural(s.rules, "rule"),
        s.pass,
        s.fail,
        s.error,
        s.skipped,
        s.waived
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A text badge, no emoji: a screen reader and a plain-text diff read it the same way.
fn badge(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail => "**FAIL**",
        Outcome::Error => "**ERROR**",
        Outcome::Skipped => "SKIPPED",
        Outcome::Waived => "WAIVED",
    }
}

fn gap_count(rule: &RuleOutcome) -> String {
    if matches!(rule.outcome, Outcome::Error | Outcome::Skipped) {
        return "n/a".to_string();
    }
    let waived = rule.findings.iter().filter(|f| f.waived.is_some()).count();
    let open = rule.findings.len() - waived;
    if waived > 0 {
        format!("{open} (+{waived} waived)")
    } else {
        open.to_string()
    }
}

fn gaps_section(rule: &RuleOutcome, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n### {} ({}): {}\n",
        code(&rule.id),
        rule.level.as_str(),
        match rule.outcome {
            Outcome::Error => "ERROR",
            _ => "FAIL",
        }
    )?;
    writeln!(
        out,
        "_{}_ (kind {}, declared at {}).",
        text(&rule.summary),
        code(&rule.kind),
        code(&rule.origin.to_string())
    )?;
    if rule.outcome == Outcome::Error {
        let reason = rule.reason.as_deref().unwrap_or("no reason given");
        writeln!(
            out,
            "\n**Could not decide:** {}. An undecided rule is never a silent pass.",
            inline(reason.trim_end_matches('.'))
        )?;
    }
    let gaps: Vec<&ReportedFinding> = rule
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .collect();
    if !gaps.is_empty() {
        writeln!(out)?;
    }
    for finding in gaps {
        let place = location(finding)
            .map(|l| format!(" {l}:"))
            .unwrap_or_default();
        let since = open_since(finding);
        writeln!(
            out,
            "- **{}**{place} {}{since}",
            finding.level.as_str(),
            inline(&finding.message)
        )?;
        if let Some(help) = &finding.help {
            writeln!(out, "  - Fix: {}", inline(help))?;
        }
        if let Some(fix) = &finding.fix {
            writeln!(
                out,
                "  - Closed by {}: {}",
                code(fix.command),
                inline(&fix.description)
            )?;
        }
    }
    Ok(())
}

/// "warden can close 2 gaps with `warden fix` and 1 gap with `warden apply`." when any.
fn fixable_line(report: &Report) -> Option<String> {
    let count = |command: &str| {
        report
            .gaps()
            .filter(|g| !report.is_old(g))
            .filter(|g| g.fix.as_ref().is_some_and(|f| f.command == command))
            .count()
    };
    let parts: Vec<String> = ["warden fix", "warden apply"]
        .into_iter()
        .map(|command| (command, count(command)))
        .filter(|(_, n)| *n > 0)
        .map(|(command, n)| format!("{} with {}", plural(n, "gap"), code(command)))
        .collect();
    (!parts.is_empty()).then(|| format!("\nwarden can close {}.", parts.join(" and ")))
}

/// " (open since DATE)" for a gap a sweep has seen before, and whether a staged change or
/// PR brought it ("new") or it was there before ("already there"); "" otherwise.
fn open_since(finding: &ReportedFinding) -> String {
    let change = match finding.change {
        Some(Change::New) => " _(new)_",
        Some(Change::Existing) => " _(already there)_",
        None => "",
    };
    match finding.first_seen.as_deref() {
        Some(since) => format!(
            " _(open since {})_{change}",
            text(since.get(..10).unwrap_or(since))
        ),
        None => change.to_string(),
    }
}

/// `path:line` as a code span, when the finding has a path.
fn location(finding: &ReportedFinding) -> Option<String> {
    let path = finding.path.as_deref()?;
    Some(match finding.line {
        Some(line) => code(&format!("{path}:{line}")),
        None => code(path),
    })
}

/// Untrusted prose, made inert (see the module docs). Paired backticks are not expected:
/// use [`inline`] for text that may contain code spans.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@&#8203;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // Controls and bidi overrides become spaces: inert, and nothing reorders.
            c if super::escape::is_hidden(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text as a code span that nothing inside can close.
pub fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if super::escape::is_hidden(c) { ' ' } else { c })
        .collect();
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    // CommonMark strips one space from each end; pad so a leading or trailing backtick (or
    // space) survives.
    let pad = s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' ') && s.trim() != "");
    if pad {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A message that may hold code spans: quoted values become [`code`], the rest [`text`].
///
/// Rules quote values (often file names) in backticks without escaping them, so a name
/// may itself hold a backtick. A span therefore opens at a backtick that starts a word
/// and closes at the first later backtick that ends one (followed by the end, a space or
/// closing punctuation): `` `a`b.md` is outside `` quotes `a`b.md`. Whatever is not a
/// span, stray backticks included, goes through [`text`], so a wrong guess only changes
/// the look, never what is interpreted.
pub fn inline(s: &str) -> String {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let opens = |k: usize| {
        k == 0 || matches!(chars[k - 1].1, c if c.is_whitespace() || "([{\"'".contains(c))
    };
    let closes = |k: usize| {
        k + 1 == chars.len()
            || matches!(chars[k + 1].1, c if c.is_whitespace() || ".,;:!?)]}\"'".contains(c))
    };
    let mut out = String::with_capacity(s.len() + 8);
    let mut plain = 0; // byte offset where the pending plain text starts
    let mut k = 0;
    while k < chars.len() {
        if chars[k].1 == '`' && opens(k) {
            let close = (k + 2..chars.len()).find(|&j| chars[j].1 == '`' && closes(j));
            if let Some(j) = close {
                out.push_str(&text(&s[plain..chars[k].0]));
                out.push_str(&code(&s[chars[k].0 + 1..chars[j].0]));
                k = j + 1;
                plain = chars.get(k).map_or(s.len(), |c| c.0);
                continue;
            }
        }
        k += 1;
    }
    out.push_str(&text(&s[plain..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_inject_html_markdown_or_mentions() {
        assert_eq!(
            text("<img src=x> @team *b* [l](u) a|b ~s~ $x$ \\"),
            "&lt;img src=x&gt; @&#8203;team \\*b\\* \\[l\\](u) a\\|b \\~s\\~ \\$x\\$ \\\\"
        );
        assert_eq!(text("a\nb\r\n# h"), "a b  # h");
        assert_eq!(text("&#64;x"), "&amp;#64;x");
    }

    #[test]
    fn controls_and_bidi_overrides_are_inert() {
        assert_eq!(text("a\u{1b}]0;title\u{7}b"), "a \\]0;title b");
        assert_eq!(text("x\u{202e}dm.exe"), "x dm.exe");
        assert_eq!(code("a\u{2066}b"), "`a b`");
    }

    #[test]
    fn code_spans_use_a_fence_longer_than_any_backtick_run() {
        assert_eq!(code("notes/a.md"), "`notes/a.md`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("a``b`"), "``` a``b` ```");
        assert_eq!(code("<b>@x|y"), "`<b>@x|y`");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(code(""), "");
    }

    #[test]
    fn inline_keeps_paired_code_spans_and_escapes_the_rest() {
        assert_eq!(
            inline("`notes/<b>.md` is outside <the> list"),
            "`notes/<b>.md` is outside &lt;the&gt; list"
        );
        // A backtick inside a quoted file name stays inside the span.
        assert_eq!(
            inline("`a`b.md` is <x> (`**`)"),
            "``a`b.md`` is &lt;x&gt; (`**`)"
        );
        // Unpaired or empty quotes are literal backticks.
        assert_eq!(inline("x `` y"), "x \\`\\` y");
        assert_eq!(inline("`<b>"), "\\`&lt;b&gt;");
        assert_eq!(inline("a`b` c"), "a\\`b\\` c");
    }
}
