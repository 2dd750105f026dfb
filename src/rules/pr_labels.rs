//! `pr-labels`: a pull request carries the labels the process needs, and none that block.

use super::pr_common::{code_list, has_label, judged, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-labels",
    summary: "The PR has one of the required labels and none of the forbidden ones",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The pull request carries at least one of the `one_of` labels, and none of the
`forbidden` labels (each forbidden label present is its own finding). Give one or both.
Labels compare case-insensitively, as GitHub treats them.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`). With `skip_drafts = true` a
forbidden `wip` label on a draft does not matter until the PR is marked ready.

## Why
Labels drive release notes (`feature`, `bug`), routing and risk reviews; a "do not
merge" label is a request from a human that branch protection does not enforce.

## Example policy
```toml
[[rule]]
id = "release-notes-label"
kind = "pr-labels"
one_of = ["feature", "bug", "chore", "docs"]

[[rule]]
id = "do-not-merge"
kind = "pr-labels"
forbidden = ["do not merge", "wip", "blocked"]
```

## How to fix
Add one of the required labels to the pull request. Remove a forbidden label once the
reason for it is gone (ask whoever added it).
"#,
    parse,
};

#[derive(Debug)]
struct PrLabels {
    one_of: Vec<String>,
    forbidden: Vec<String>,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let mut labels = |t: &mut TableReader<'_, '_>, key: &'static str| -> Vec<String> {
        let mut out = Vec::new();
        for item in t.str_list(key).unwrap_or_default() {
            let label = item.value.trim();
            if label.is_empty() {
                ok = false;
                t.error(
                    "bad-value",
                    item.span.clone(),
                    format!("empty label in `{key}` of rule `pr-labels`"),
                    "no label name",
                    "write label names as GitHub shows them, e.g. \"do not merge\"",
                );
            } else {
                out.push(label.to_string());
            }
        }
        out
    };
    let one_of = labels(t, "one_of");
    let forbidden = labels(t, "forbidden");
    let exempt = Exemptions::parse(t);
    if !t.has("one_of") && !t.has("forbidden") {
        ok = false;
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `pr-labels` needs `one_of` or `forbidden`",
            "neither is given",
            "add, for example: one_of = [\"feature\", \"bug\"] or forbidden = [\"do not merge\"]",
        );
    } else if t.has("one_of") && one_of.is_empty() && ok {
        ok = false;
        let span = t
            .raw("one_of")
            .map(|v| v.span())
            .unwrap_or_else(|| t.span());
        t.error(
            "bad-value",
            span,
            "`one_of` of rule `pr-labels` is empty, so no pull request could pass",
            "no labels",
            "list the labels of which a PR needs one, e.g. one_of = [\"feature\", \"bug\"]",
        );
    }
    ok.then(|| {
        Box::new(PrLabels {
            one_of,
            forbidden,
            exempt,
        }) as Box<dyn Rule>
    })
}

impl Rule for PrLabels {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let mut findings = Vec::new();
        if !self.one_of.is_empty() && !self.one_of.iter().any(|l| has_label(pr, l)) {
            let has = if pr.labels.is_empty() {
                "it has no labels".to_string()
            } else {
                format!("it has {}", code_list(&pr.labels))
            };
            findings.push(
                Finding::new(format!(
                    "the PR has none of the labels {} ({has})",
                    code_list(&self.one_of)
                ))
                .help("add the label that describes the change")
                .subject("one_of"),
            );
        }
        for label in self.forbidden.iter().filter(|l| has_label(pr, l)) {
            findings.push(
                Finding::new(format!(
                    "the PR is labelled `{label}`, which must be gone before it merges"
                ))
                .help(format!(
                    "remove the `{label}` label once its reason is resolved (ask whoever added it)"
                ))
                .subject(format!("forbidden:{}", label.to_lowercase())),
            );
        }
        Evaluation::Checked(findings)
    }
}
