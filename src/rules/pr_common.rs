//! What the `pr-*` rule kinds share: the exemption keys every one of them takes, reading a
//! PR body line by line with code and comments blanked out, and knowing when the changed
//! file list cannot be trusted.
//!
//! Exemptions are a PR-level decision ("bots need no issue"), so they live here once
//! instead of drifting apart across seven kinds.

use regex::Regex;

use crate::facts::Facts;
use crate::github::RepoId;
use crate::model::Evaluation;
use crate::policy::patterns::Pattern;
use crate::policy::reader::TableReader;
use crate::pr::{IssueRef, PullRequest};

/// Which pull requests a rule does not judge.
#[derive(Debug, Default)]
pub struct Exemptions {
    authors: Vec<AuthorPattern>,
    labels: Vec<String>,
    skip_drafts: bool,
    skip_forks: bool,
}

/// A login pattern: compared case-insensitively, `*` matches any run of characters and
/// every other character (including `[`, `]`, `?`) stands for itself. Logins of GitHub
/// apps end in `[bot]`, which a glob would read as a character class.
#[derive(Debug)]
struct AuthorPattern {
    source: String,
    regex: Regex,
}

impl AuthorPattern {
    fn new(source: &str) -> Option<AuthorPattern> {
        let source = source.trim();
        if source.is_empty() {
            return None;
        }
        let body: Vec<String> = source.split('*').map(regex::escape).collect();
        let regex = Regex::new(&format!("(?i)^{}$", body.join(".*"))).ok()?;
        Some(AuthorPattern {
            source: source.to_string(),
            regex,
        })
    }
}

impl Exemptions {
    /// Read `exempt_authors`, `exempt_labels`, `skip_drafts` and `skip_forks`.
    pub fn parse(t: &mut TableReader<'_, '_>) -> Exemptions {
        let mut authors = Vec::new();
        for item in t.str_list("exempt_authors").unwrap_or_default() {
            match AuthorPattern::new(&item.value) {
                Some(pattern) => authors.push(pattern),
                None => {
                    let what = t.what().to_string();
                    t.error(
                        "bad-value",
                        item.span.clone(),
                        format!("empty login in `exempt_authors` of {what}"),
                        "matches nobody",
                        "write logins such as \"dependabot[bot]\", or \"*[bot]\" for every app",
                    );
                }
            }
        }
        let labels = t
            .str_list("exempt_labels")
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.value.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        Exemptions {
            authors,
            labels,
            skip_drafts: t.opt_bool("skip_drafts").unwrap_or(false),
            skip_forks: t.opt_bool("skip_forks").unwrap_or(false),
        }
    }

    /// Why `pr` is not judged, if it is exempt.
    pub fn reason(&self, pr: &PullRequest) -> Option<String> {
        if let Some(pattern) = self.authors.iter().find(|p| p.regex.is_match(&pr.author)) {
            return Some(format!(
                "author `{}` is exempt (`exempt_authors`: `{}`)",
                pr.author, pattern.source
            ));
        }
        if let Some(label) = self.labels.iter().find(|l| has_label(pr, l)) {
            return Some(format!("the PR is labelled `{label}` (`exempt_labels`)"));
        }
        if self.skip_drafts && pr.draft {
            return Some("the PR is a draft (`skip_drafts`)".to_string());
        }
        if self.skip_forks && pr.is_fork() {
            return Some(format!(
                "the PR comes from the fork `{}` (`skip_forks`)",
                pr.head_repo.as_deref().unwrap_or("?")
            ));
        }
        None
    }
}

/// A regex that must be given.
pub fn req_regex(t: &mut TableReader<'_, '_>, key: &'static str, example: &str) -> Option<Pattern> {
    if t.has(key) {
        t.regex(key)
    } else {
        t.req_str(key, example);
        None
    }
}

/// The PR to judge, or the evaluation to return instead (no PR, or an exempt one).
pub fn judged<'f>(facts: &'f Facts, exempt: &Exemptions) -> Result<&'f PullRequest, Evaluation> {
    let Some(pr) = facts.pr.as_ref() else {
        return Err(Evaluation::Skipped(
            "applies to pull requests (`warden pr`)".to_string(),
        ));
    };
    match exempt.reason(pr) {
        Some(reason) => Err(Evaluation::Skipped(reason)),
        None => Ok(pr),
    }
}

/// GitHub treats label names case-insensitively, and so does warden.
pub fn has_label(pr: &PullRequest, label: &str) -> bool {
    pr.labels
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case(label.trim()))
}

/// Why the PR's changed files are unknown, if they are (no checkout with both commits and
/// no API): rules about files must report an error then, never pass.
pub fn files_unknown(pr: &PullRequest) -> Option<String> {
    (pr.files_source == "none").then(|| {
        pr.files_note
            .clone()
            .unwrap_or_else(|| "the pull request's changed files are unknown".to_string())
    })
}

/// The error to report when a rule found nothing wrong in a file list that may be cut
/// (GitHub lists at most 3,000 files of a pull request).
pub fn incomplete(pr: &PullRequest, what: &str) -> Option<Evaluation> {
    pr.files_note.as_ref().map(|note| {
        Evaluation::Error(format!(
            "{what} holds for the {} listed files, but the list is incomplete: {note}",
            pr.files.len()
        ))
    })
}

/// The repository `#12` refers to: the PR's base repository. When it is unknown, a
/// placeholder still lets bare references be recognised (they cannot be looked up).
pub fn base_repo(pr: &PullRequest) -> RepoId {
    pr.repo.clone().unwrap_or(RepoId {
        owner: String::new(),
        name: String::new(),
    })
}

/// `#12` for an issue of `base`, else `OWNER/REPO#12`.
pub fn issue_text(issue: &IssueRef, base: &RepoId) -> String {
    if issue.owner.eq_ignore_ascii_case(&base.owner) && issue.repo.eq_ignore_ascii_case(&base.name)
    {
        format!("#{}", issue.number)
    } else {
        issue.to_string()
    }
}

/// `` `a`, `b` ``, for messages.
pub fn code_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|i| format!("`{}`", i.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cut long user text for a one-line message.
pub fn short_text(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// One line of a PR body, 1-based, as a reader sees it: the text of fenced code blocks
/// and HTML comments (PR templates put their instructions in `<!-- -->`) is blanked out,
/// so neither ever counts as a declaration, a heading or a checklist item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyLine {
    pub number: u32,
    pub text: String,
}

pub fn body_lines(body: &str) -> Vec<BodyLine> {
    let mut out = Vec::new();
    // The fence that opened the current code block: its character and length.
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    for (index, line) in body.lines().enumerate() {
        let number = index as u32 + 1;
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |m| trimmed.chars().take_while(|c| *c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 && !in_comment => {
                fence = Some((m, run));
                out.push(BodyLine {
                    number,
                    text: String::new(),
                });
                continue;
            }
            (Some((m, len)), Some(c))
                if c == m && run >= len && trimmed[run..].trim().is_empty() =>
            {
                fence = None;
                out.push(BodyLine {
                    number,
                    text: String::new(),
                });
                continue;
            }
            (Some(_), _) => {
                out.push(BodyLine {
                    number,
                    text: String::new(),
                });
                continue;
            }
            _ => {}
        }
        let kept = crate::pr::strip_html_comments(line, &mut in_comment);
        out.push(BodyLine { number, text: kept });
    }
    out
}

/// Strip a list marker (`-`, `*`, `+`, `1.`, `1)`) and the space after it, if present.
pub fn strip_list_marker(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let rest = if let Some(rest) = text.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let digits = text.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        text[digits..].strip_prefix(['.', ')'])?
    };
    if rest.is_empty() {
        return Some(rest);
    }
    rest.starts_with([' ', '\t']).then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr() -> PullRequest {
        PullRequest {
            author: "dependabot[bot]".into(),
            labels: vec!["Dependencies".into()],
            ..PullRequest::default()
        }
    }

    fn exemptions(authors: &[&str], labels: &[&str]) -> Exemptions {
        Exemptions {
            authors: authors
                .iter()
                .filter_map(|a| AuthorPattern::new(a))
                .collect(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..Exemptions::default()
        }
    }

    #[test]
    fn author_patterns_take_brackets_literally() {
        assert!(exemptions(&["dependabot[bot]"], &[])
            .reason(&pr())
            .is_some());
        assert!(exemptions(&["*[bot]"], &[]).reason(&pr()).is_some());
        assert!(exemptions(&["DEPENDABOT*"], &[]).reason(&pr()).is_some());
        // As a glob, `dependabot[bot]` would match `dependabotb` and not the bot itself.
        let mut human = pr();
        human.author = "dependabotb".into();
        assert!(exemptions(&["dependabot[bot]"], &[])
            .reason(&human)
            .is_none());
        assert!(exemptions(&["*[bot]"], &[]).reason(&human).is_none());
    }

    #[test]
    fn labels_match_case_insensitively() {
        let reason = exemptions(&[], &["dependencies"]).reason(&pr()).unwrap();
        assert!(reason.contains("exempt_labels"), "{reason}");
    }

    #[test]
    fn body_lines_blank_code_blocks_and_comments() {
        let body =
            "a\n````md\n- [ ] x\n```\nstill code\n````\n<!-- hidden\nstill -->b\n~~~\nc\n~~~\nd";
        let lines: Vec<String> = body_lines(body).into_iter().map(|l| l.text).collect();
        assert_eq!(lines, ["a", "", "", "", "", "", "", "b", "", "", "", "d"]);
    }

    #[test]
    fn list_markers() {
        assert_eq!(strip_list_marker("  - [ ] a"), Some("[ ] a"));
        assert_eq!(strip_list_marker("12. x"), Some("x"));
        assert_eq!(strip_list_marker("3) x"), Some("x"));
        assert_eq!(strip_list_marker("**bold**"), None);
        assert_eq!(strip_list_marker("2026 was"), None);
    }
}
