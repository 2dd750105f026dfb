//! `pr-issue-link`: the pull request says which issue it closes.
//!
//! Reference parsing is [`crate::pr::mentions`]'s job; this rule only decides which of the
//! words before a reference close an issue, and judges what GitHub says about the issues.

use std::collections::BTreeSet;

use super::pr_common::{base_repo, issue_text, judged, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;
use crate::pr::{mentions_on, IssueRef, DEFAULT_WEB_HOST};

pub const KIND: RuleKind = RuleKind {
    id: "pr-issue-link",
    summary: "The PR body links the issue it closes (`Fixes #123`)",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The pull request description references an issue right after a closing keyword:
`Fixes #123`, `closes octo-org/app#123`, `Resolves: https://github.com/octo-org/app/issues/123`.
Keywords compare case-insensitively; the default list is GitHub's: `fixes`, `fix`, `fixed`,
`closes`, `close`, `closed`, `resolves`, `resolve`, `resolved`. A list given in `keywords`
is taken as written (`keywords = ["fixes"]` accepts `Fixes` and `FIXES`, not `Fixed`);
with `case_sensitive = true` the case must match too (`keywords = ["Fixes"]` then refuses
`fixes #1`, as a Dangerfile's `/Fixes\s+#\d+/` did).
References follow GitHub's own rules: inside code (fenced with backticks or tildes of any
length, indented, inline, `<code>`, `<pre>`) or HTML comments (PR template instructions)
they do not count; issue URLs count only on the GitHub the PR lives on (github.com, or
your GHES host); `/pull/N` is a pull request, not an issue; `#123` means an issue of the
PR's base repository, also for PRs from forks.

With `must_exist = true`, warden asks GitHub about every linked issue: one that does not
exist (or is not visible to the token), was deleted (GitHub answers 410), or that is a
pull request rather than an issue, is a finding. `must_be_open = true` (implies `must_exist`) also refuses closed issues.
Every linked issue must pass. When GitHub cannot be asked (offline, no token, an API
error), the rule reports an error: an issue nobody looked at is never a pass.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, `[` and `]` are literal, so `dependabot[bot]` and `*[bot]` mean what they say),
`exempt_labels`, `skip_drafts` and `skip_forks` (both default `false`). An exempt PR shows
the rule as skipped, with the reason.

## Why
Work that is not tied to an issue has no recorded reason, no acceptance criteria and no
owner, and the issue stays open after the fix ships. Danger setups check this with a
regex over the body, which also matches `Fixes #1` inside the template's HTML comment.

## Example policy
```toml
[[rule]]
id = "issue-link"
kind = "pr-issue-link"
keywords = ["fixes", "closes"]        # optional; default: GitHub's nine closing keywords
case_sensitive = false                # optional: true compares keywords' case too
must_be_open = true                   # optional: ask GitHub (needs a token)
exempt_authors = ["*[bot]"]           # optional: Dependabot, Renovate, ...
exempt_labels = ["chore"]             # optional
```

## How to fix
Add a line such as `Fixes #123` to the pull request description, naming the issue the
change closes (open one first if there is none). For an issue of another repository
write `Fixes OWNER/REPO#123` or paste the issue's URL after the keyword.
"#,
    parse,
};

/// GitHub's closing keywords.
const DEFAULT_KEYWORDS: [&str; 9] = [
    "fixes", "fix", "fixed", "closes", "close", "closed", "resolves", "resolve", "resolved",
];

#[derive(Debug)]
struct PrIssueLink {
    keywords: Vec<String>,
    case_sensitive: bool,
    must_exist: bool,
    must_be_open: bool,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let case_sensitive = t.opt_bool("case_sensitive").unwrap_or(false);
    let keywords = match t.str_list("keywords") {
        None => DEFAULT_KEYWORDS.iter().map(|k| k.to_string()).collect(),
        Some(items) => {
            let mut keywords = Vec::new();
            for item in &items {
                let word = item.value.trim().trim_end_matches(':').to_string();
                let word = if case_sensitive {
                    word
                } else {
                    word.to_ascii_lowercase()
                };
                if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
                    ok = false;
                    let what = t.what().to_string();
                    t.error(
                        "bad-value",
                        item.span.clone(),
                        format!("`keywords` of {what} must be single words"),
                        "not a single word of letters",
                        "a closing keyword is the one word right before the reference, as in \
                         `Fixes #123`: write keywords = [\"fixes\", \"closes\"]",
                    );
                } else {
                    keywords.push(word);
                }
            }
            if items.is_empty() {
                ok = false;
                let span = t
                    .raw("keywords")
                    .map(|v| v.span())
                    .unwrap_or_else(|| t.span());
                let what = t.what().to_string();
                t.error(
                    "bad-value",
                    span,
                    format!("`keywords` of {what} is empty, so no PR could ever pass"),
                    "no keywords",
                    "list at least one, e.g. keywords = [\"fixes\"], or drop the key for GitHub's closing keywords",
                );
            }
            keywords
        }
    };
    let must_be_open = t.opt_bool("must_be_open").unwrap_or(false);
    let must_exist = t.opt_bool("must_exist").unwrap_or(false) || must_be_open;
    let exempt = Exemptions::parse(t);
    ok.then(|| {
        Box::new(PrIssueLink {
            keywords,
            case_sensitive,
            must_exist,
            must_be_open,
            exempt,
        }) as Box<dyn Rule>
    })
}

impl Rule for PrIssueLink {
    fn needs(&self, needs: &mut Needs) {
        if self.must_exist {
            needs.pr_issues = true;
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let base = base_repo(pr);
        let host = pr.web_host.as_deref().unwrap_or(DEFAULT_WEB_HOST);
        let found = mentions_on(&pr.body, Some(&base), host);
        let mut linked: Vec<&IssueRef> = Vec::new();
        let mut seen = BTreeSet::new();
        for mention in &found {
            let closes = mention.keyword.as_deref().is_some_and(|k| {
                self.keywords.iter().any(|w| {
                    if self.case_sensitive {
                        w == k
                    } else {
                        w.eq_ignore_ascii_case(k)
                    }
                })
            });
            if closes && seen.insert(&mention.issue) {
                linked.push(&mention.issue);
            }
        }

        if linked.is_empty() {
            let keyword = capitalised(&self.keywords[0]);
            let mut help = format!(
                "add a line such as `{keyword} #123` to the PR description, naming the issue this change closes"
            );
            if let Some(bare) = found.first() {
                help = format!(
                    "line {} mentions `{}` without a closing keyword: write `{keyword} {}`; or {help}",
                    bare.line,
                    issue_text(&bare.issue, &base),
                    issue_text(&bare.issue, &base),
                );
            }
            return Evaluation::Checked(vec![Finding::new(format!(
                "the PR description links no issue: it needs a line like `{keyword} #<issue>` (closing keywords: {})",
                self.keywords.join(", ")
            ))
            .help(help)
            .subject("no-issue-link")]);
        }
        if !self.must_exist {
            return Evaluation::Checked(Vec::new());
        }

        let mut findings = Vec::new();
        let mut unknown = Vec::new();
        for issue in linked {
            let name = issue_text(issue, &base);
            let info = match pr.issues.get(issue) {
                Some(Ok(info)) => info,
                Some(Err(reason)) => {
                    unknown.push(format!("{name}: {reason}"));
                    continue;
                }
                None => {
                    unknown.push(format!("{name}: not looked up on GitHub"));
                    continue;
                }
            };
            let finding = if info.is_pull_request {
                Some((
                    format!("`{name}` is a pull request, not an issue"),
                    "link the issue the change closes; a pull request cannot be closed by another",
                ))
            } else {
                match info.state.as_str() {
                    "not_found" => Some((
                        format!("issue `{name}` does not exist (or is not visible to warden's token)"),
                        "check the number; for an issue of another repository write `OWNER/REPO#123`",
                    )),
                    "deleted" => Some((
                        format!("issue `{name}` was deleted (GitHub answers 410 Gone)"),
                        "link the issue this change closes; a deleted issue cannot be closed",
                    )),
                    "disabled" => Some((
                        format!("`{name}` cannot be an issue: its repository has issues switched off (GitHub answers 410 Gone)"),
                        "link an issue of a repository that uses issues (`OWNER/REPO#123`)",
                    )),
                    "closed" if self.must_be_open => Some((
                        format!("issue `{name}` (\"{}\") is already closed", info.title),
                        "link the open issue this change closes, or reopen the issue if the work is not done",
                    )),
                    "open" | "closed" => None,
                    other => {
                        unknown.push(format!("{name}: GitHub reports the state `{other}`"));
                        None
                    }
                }
            };
            if let Some((message, help)) = finding {
                findings.push(
                    Finding::new(message)
                        .help(help)
                        .subject(format!("issue:{issue}")),
                );
            }
        }
        if findings.is_empty() && !unknown.is_empty() {
            return Evaluation::Error(format!(
                "cannot tell whether the linked issues exist{}: {}",
                if self.must_be_open {
                    " and are open"
                } else {
                    ""
                },
                unknown.join("; ")
            ));
        }
        Evaluation::Checked(findings)
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
