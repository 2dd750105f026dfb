//! `pr-title`: the pull request's title follows the team's convention.

use super::pr_common::{judged, req_regex, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Pattern;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-title",
    summary: "The PR title matches the team's convention",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The pull request's title matches the `pattern` regex (searched anywhere in the title, so
anchor it with `^` and `$`; add `(?i)` to ignore case). `reason` is optional and is added
to the finding. Look-around is not supported: write the positive pattern.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`).

## Why
Squash merges make the PR title the commit message on the main branch. Changelogs,
release notes and semantic versioning read those messages, so a title like "fix stuff"
breaks the release tooling, not just the style.

## Example policy
```toml
[[rule]]
id = "conventional-title"
kind = "pr-title"
pattern = '^(feat|fix|docs|chore|refactor|test|ci|perf)(\([a-z0-9-]+\))?!?: \S'
reason = "squash merges turn the title into the release-note line"   # optional
exempt_authors = ["*[bot]"]                                          # optional
```

## How to fix
Edit the pull request's title so it matches the pattern the finding quotes, e.g.
`fix(api): retry uploads after a timeout`.
"#,
    parse,
};

#[derive(Debug)]
struct PrTitle {
    pattern: Pattern,
    reason: Option<String>,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let pattern = req_regex(t, "pattern", "'^(feat|fix|docs|chore)(\\(.+\\))?: '");
    let reason = t.opt_str("reason").map(|r| r.value);
    let exempt = Exemptions::parse(t);
    Some(Box::new(PrTitle {
        pattern: pattern?,
        reason,
        exempt,
    }))
}

impl Rule for PrTitle {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        if self.pattern.regex.is_match(&pr.title) {
            return Evaluation::Checked(Vec::new());
        }
        let mut message = format!(
            "the PR title \"{}\" does not match `{}`",
            pr.title.trim(),
            self.pattern.source
        );
        if let Some(reason) = &self.reason {
            message = format!("{message}: {reason}");
        }
        Evaluation::Checked(vec![Finding::new(message)
            .help(format!(
                "edit the PR title so it matches `{}`",
                self.pattern.source
            ))
            .subject("title")])
    }
}
