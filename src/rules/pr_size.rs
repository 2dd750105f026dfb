//! `pr-size`: a pull request stays small enough to review.

use super::pr_common::{code_list, files_unknown, judged, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-size",
    summary: "The PR changes at most so many files and lines",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The pull request changes at most `max_files` files and at most `max_lines` lines
(additions plus deletions, as GitHub counts them); give one or both. Files matching
`exclude` (lock files, snapshots, generated code) are not counted at all.

GitHub lists at most 3,000 files of a pull request. When the list is cut and the part
that was counted is under the limits, the size is unknown and the rule reports an error,
never a pass; a counted part already over a limit is a finding.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`).

## Why
Review quality drops with size: past a few hundred lines reviewers skim and approve.
Big PRs also conflict more, deploy more at once and are harder to roll back.

## Example policy
```toml
[[rule]]
id = "pr-size"
kind = "pr-size"
level = "warn"
max_files = 40
max_lines = 800
exclude = ["**/package-lock.json", "**/pnpm-lock.yaml", "**/Cargo.lock", "**/__snapshots__/**"]
exempt_labels = ["large-change-approved"]     # optional
```

## How to fix
Split the change into pull requests that each do one thing (refactor first, then the
feature), or, for a change that cannot be split, label it as the policy allows.
"#,
    parse,
};

#[derive(Debug)]
struct PrSize {
    max_files: Option<u64>,
    max_lines: Option<u64>,
    exclude: Globs,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let mut limit = |t: &mut TableReader<'_, '_>, key: &'static str| {
        let value = t.opt_u64(key);
        if value == Some(0) {
            ok = false;
            let span = t.raw(key).map(|v| v.span()).unwrap_or_else(|| t.span());
            t.error(
                "bad-value",
                span,
                format!("`{key}` of rule `pr-size` must be at least 1"),
                "no pull request could pass",
                format!("set a limit such as {key} = 500, or drop the key"),
            );
        }
        value
    };
    let max_files = limit(t, "max_files");
    let max_lines = limit(t, "max_lines");
    let exclude = t.globs("exclude").unwrap_or_else(Globs::empty);
    let exempt = Exemptions::parse(t);
    if !t.has("max_files") && !t.has("max_lines") {
        ok = false;
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `pr-size` needs `max_files` or `max_lines`",
            "neither is given",
            "add a limit, for example: max_lines = 800",
        );
    }
    ok.then(|| {
        Box::new(PrSize {
            max_files,
            max_lines,
            exclude,
            exempt,
        }) as Box<dyn Rule>
    })
}

impl Rule for PrSize {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        if let Some(reason) = files_unknown(pr) {
            return Evaluation::Error(reason);
        }
        let counted: Vec<_> = pr
            .files
            .iter()
            .filter(|f| !self.exclude.is_match(&f.path))
            .collect();
        let files = counted.len() as u64;
        let lines: u64 = counted.iter().map(|f| f.additions + f.deletions).sum();
        let skipped = pr.files.len() as u64 - files;
        let not_counting = if skipped > 0 {
            format!(
                ", not counting {skipped} file(s) matching {}",
                code_list(self.exclude.patterns())
            )
        } else {
            String::new()
        };
        let help = "split the change into smaller pull requests that each do one thing";

        let mut findings = Vec::new();
        if let Some(max) = self.max_files.filter(|max| files > *max) {
            findings.push(
                Finding::new(format!(
                    "the PR changes {files} files, more than the {max} allowed{not_counting}"
                ))
                .help(help)
                .subject("files"),
            );
        }
        if let Some(max) = self.max_lines.filter(|max| lines > *max) {
            findings.push(
                Finding::new(format!(
                    "the PR changes {lines} lines, more than the {max} allowed{not_counting}"
                ))
                .help(help)
                .subject("lines"),
            );
        }
        if findings.is_empty() {
            if let Some(note) = &pr.files_note {
                return Evaluation::Error(format!(
                    "the listed part of the PR ({files} files, {lines} lines counted) is within the limits, but the file list is incomplete, so its size is unknown: {note}"
                ));
            }
        }
        Evaluation::Checked(findings)
    }
}
