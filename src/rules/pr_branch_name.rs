//! `pr-branch-name`: the pull request comes from a branch named by the team's convention.

use super::pr_common::{judged, req_regex, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{Globs, Pattern};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-branch-name",
    summary: "The PR's head branch is named by the team's convention",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The pull request's head branch (the branch it merges *from*, without `refs/heads/`)
matches the `pattern` regex (searched anywhere, so anchor it with `^`). Branches matching
an `exempt` glob are not judged (`*` stays within one `/` segment, `**` spans them).
`reason` is optional and is added to the finding.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`). Contributors name branches of
their forks as they like (`patch-1`), so `skip_forks = true` is usual for this kind.

## Why
Branch names drive automation: preview environments, deploy pipelines that only pick up
`hotfix/*`, ticket links from `feat/ABC-123-...`. A branch outside the convention
silently skips all of it.

## Example policy
```toml
[[rule]]
id = "branch-name"
kind = "pr-branch-name"
pattern = '^(feat|fix|hotfix|chore)/[a-z0-9._-]+$'
exempt = ["dependabot/**", "renovate/**", "release/*"]   # optional
skip_forks = true                                          # optional
```

## How to fix
A branch cannot be renamed under an open pull request: push the commits to a branch
whose name matches (`git push origin HEAD:feat/short-name`), open a new PR from it, and
close this one.
"#,
    parse,
};

#[derive(Debug)]
struct PrBranchName {
    pattern: Pattern,
    exempt_branches: Globs,
    reason: Option<String>,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let pattern = req_regex(t, "pattern", "'^(feat|fix|hotfix)/'");
    let exempt_branches = t.globs("exempt").unwrap_or_else(Globs::empty);
    let reason = t.opt_str("reason").map(|r| r.value);
    let exempt = Exemptions::parse(t);
    Some(Box::new(PrBranchName {
        pattern: pattern?,
        exempt_branches,
        reason,
        exempt,
    }))
}

impl Rule for PrBranchName {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let branch = pr.head_ref.trim_start_matches("refs/heads/");
        if branch.is_empty() {
            return Evaluation::Error("the pull request's head branch is unknown".to_string());
        }
        if self.exempt_branches.is_match(branch) {
            return Evaluation::Skipped(format!("branch `{branch}` is exempt (`exempt`)"));
        }
        if self.pattern.regex.is_match(branch) {
            return Evaluation::Checked(Vec::new());
        }
        let mut message = format!(
            "the PR's branch `{branch}` does not match `{}`",
            self.pattern.source
        );
        if let Some(reason) = &self.reason {
            message = format!("{message}: {reason}");
        }
        Evaluation::Checked(vec![Finding::new(message)
            .help(format!(
                "push the commits to a branch whose name matches `{}` (`git push origin HEAD:<new-name>`) and open the PR from it",
                self.pattern.source
            ))
            .subject("branch")])
    }
}
