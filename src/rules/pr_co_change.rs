//! `pr-co-change`: when some files change, others must change with them.

use super::pr_common::{code_list, files_unknown, judged, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-co-change",
    summary: "Files that must change together do (code and its tests)",
    scope: Scope::Pr,
    doc: r#"
## What it checks
When the pull request changes a file matching `when` (and not `when_exclude`), it must
also change at least one file matching `then`. Changed means added, modified, renamed
or copied: a deletion alone neither triggers the rule nor satisfies it. `message`
replaces the default finding text (e.g. "app code changed but no tests changed"); the
finding's help always names the files that triggered it.

When GitHub's file list is incomplete (more than 3,000 files), a `then` file may be
among the unlisted ones, so the rule reports an error instead of a finding or a pass
(unless a listed file already satisfies it).

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`).

## Why
Some changes are incomplete on their own: code without its tests, a database migration
without the schema dump, an API handler without the OpenAPI file, a dependency bump
without the lock file. Reviewers notice what is in a diff, not what is missing from it.

## Example policy
```toml
[[rule]]
id = "tests-with-app-changes"
kind = "pr-co-change"
level = "warn"
when = ["app/**"]
when_exclude = ["app/**/*.md"]                 # optional
then = ["**/*.test.ts", "**/*.spec.ts", "tests/**"]
message = "app code changed but no tests changed"   # optional
exempt_labels = ["no-tests-needed"]             # optional
```

## How to fix
Change the companion files too (add or update the tests), or, when the change truly
needs none, apply the label the policy exempts.
"#,
    parse,
};

#[derive(Debug)]
struct PrCoChange {
    when: Globs,
    when_exclude: Globs,
    then: Globs,
    message: Option<String>,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let when = t
        .req_str_list("when", "[\"app/**\"]")
        .map(|items| t.compile_globs("when", &items));
    let when_exclude = t.globs("when_exclude").unwrap_or_else(Globs::empty);
    let then = t
        .req_str_list("then", "[\"**/*.test.ts\", \"tests/**\"]")
        .map(|items| t.compile_globs("then", &items));
    let message = t.opt_str("message").map(|m| m.value);
    let exempt = Exemptions::parse(t);
    Some(Box::new(PrCoChange {
        when: when?,
        when_exclude,
        then: then?,
        message,
        exempt,
    }))
}

impl Rule for PrCoChange {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        if let Some(reason) = files_unknown(pr) {
            return Evaluation::Error(reason);
        }
        let changed: Vec<&str> = pr.changed_paths().collect();
        if changed.iter().any(|p| self.then.is_match(p)) {
            return Evaluation::Checked(Vec::new());
        }
        let triggers: Vec<&str> = changed
            .iter()
            .copied()
            .filter(|p| self.when.is_match(p) && !self.when_exclude.is_match(p))
            .collect();
        if let Some(note) = &pr.files_note {
            let found = if triggers.is_empty() {
                "no listed file matches `when`"
            } else {
                "no listed file matches `then`"
            };
            return Evaluation::Error(format!(
                "{found}, but the file list is incomplete, so the unlisted files may: {note}"
            ));
        }
        if triggers.is_empty() {
            return Evaluation::Checked(Vec::new());
        }
        let examples: Vec<&str> = triggers.iter().copied().take(3).collect();
        let more = match triggers.len() - examples.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let message = self.message.clone().unwrap_or_else(|| {
            format!(
                "{} file(s) matching {} changed, but no file matching {}",
                triggers.len(),
                code_list(self.when.patterns()),
                code_list(self.then.patterns())
            )
        });
        Evaluation::Checked(vec![Finding::new(message)
            .help(format!(
                "{}{more} changed; change a file matching {} too (e.g. add or update its tests)",
                code_list(&examples),
                code_list(self.then.patterns())
            ))
            .subject("co-change")])
    }
}
