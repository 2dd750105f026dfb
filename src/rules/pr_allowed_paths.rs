//! `pr-allowed-paths`: a pull request changes only the paths its description declares.
//!
//! The declaration is user input, not policy: a bad glob or a `../` in it is a finding
//! about the PR, never a policy error.

use std::collections::BTreeSet;

use super::pr_common::{
    body_lines, code_list, files_unknown, incomplete, judged, strip_list_marker, Exemptions,
};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{compile_glob, Globs};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-allowed-paths",
    summary: "The PR changes only the paths its description declares (`Allowed paths:`)",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The PR description declares which paths the change may touch, on a line starting with the
`declaration` label (default `Allowed paths`, case-insensitive) and a colon:

```markdown
Allowed paths: app/** packages/ui/**
- **Allowed paths:** `app/routes/**`, `tests/routes/**`
```

Globs are separated by spaces or commas and may be wrapped in backticks; the line may be
a list item, a quote or bold. A label with nothing after it (`**Allowed paths:**` or a
heading `## Allowed paths`) takes the list items right below it, one or more globs each.
Several declarations add up. Lines in code blocks and HTML comments never count.

Every changed file, whatever its status (removed files too, and both sides of a rename),
must match one declared glob, unless it matches `exempt`. An entry that leaves the
repository (`../x`, `/etc/x`, `~/x`, `C:\x`) or is not a valid glob is a finding naming
the entry. When GitHub's file list is incomplete (more than 3,000 files) and nothing
listed is outside, the rule reports an error rather than a pass.

Two switches decide what the rule reports, so the two gaps can have different levels:
`require_declaration` (default `true`): a PR without a declaration is a finding;
`check_paths` (default `true`): files outside the declaration are findings. With
`require_declaration = false` a PR without a declaration passes. A declaration with
no globs (an unfilled template line) counts as missing. To *fail* on files
outside the declaration but only *warn* when it is missing, declare two rules (see below).

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`).

## Why
Agent-driven and multi-team repositories scope each task to a few directories. A change
that wanders outside its scope (an agent "fixing" a shared config on the way) is the one
that breaks another team, and a reviewer reading the diff rarely notices the stray file.

## Example policy
```toml
[[rule]]
id = "allowed-paths"
kind = "pr-allowed-paths"
require_declaration = false         # files outside a declaration fail ...
exempt = ["**/*.md"]                # optional: never judged

[[rule]]
id = "allowed-paths-declared"
kind = "pr-allowed-paths"
level = "warn"                      # ... a missing declaration only warns
check_paths = false
declaration = "Allowed paths"       # optional: the label to look for
```

## How to fix
Revert the changes to files outside the declared paths (move them to their own PR), or,
if they belong to this change, add a glob covering them to the `Allowed paths:` line of
the PR description. Write entries relative to the repository root, without `..`.
"#,
    parse,
};

#[derive(Debug)]
struct PrAllowedPaths {
    declaration: String,
    exempt: Globs,
    require_declaration: bool,
    check_paths: bool,
    exemptions: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let declaration = match t.opt_str("declaration") {
        None => "Allowed paths".to_string(),
        Some(text) => {
            let label = text.value.trim().trim_end_matches(':').trim().to_string();
            if label.is_empty() || label.contains('\n') {
                ok = false;
                t.error(
                    "bad-value",
                    text.span.clone(),
                    "`declaration` must be a label such as \"Allowed paths\"",
                    "empty label",
                    "write the words that start the line in the PR description, without the colon",
                );
            }
            label
        }
    };
    let exempt = t.globs("exempt").unwrap_or_else(Globs::empty);
    let require_declaration = t.opt_bool("require_declaration").unwrap_or(true);
    let check_paths = t.opt_bool("check_paths").unwrap_or(true);
    if !require_declaration && !check_paths {
        ok = false;
        let span = t
            .raw("check_paths")
            .map(|v| v.span())
            .unwrap_or_else(|| t.header_span());
        t.error(
            "bad-value",
            span,
            "this `pr-allowed-paths` rule checks nothing",
            "`check_paths = false` with `require_declaration = false`",
            "keep `check_paths = true` to judge changed files, or `require_declaration = true` to require the declaration",
        );
    }
    let exemptions = Exemptions::parse(t);
    ok.then(|| {
        Box::new(PrAllowedPaths {
            declaration,
            exempt,
            require_declaration,
            check_paths,
            exemptions,
        }) as Box<dyn Rule>
    })
}

/// One glob of a declaration, as written, with the body line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub text: String,
    pub line: u32,
}

/// The declared entries, or `None` when the body declares nothing.
pub(crate) fn declared(body: &str, label: &str) -> Option<Vec<Entry>> {
    let lines = body_lines(body);
    let mut found = false;
    let mut entries = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        let Some(value) = declaration_value(&line.text, label) else {
            continue;
        };
        found = true;
        if !value.trim().is_empty() {
            entries.extend(split_entries(value, line.number));
            continue;
        }
        // A label alone: the list right below it (blank lines before it are fine).
        let mut started = false;
        while i < lines.len() {
            let text = lines[i].text.trim();
            if text.is_empty() {
                if started {
                    break;
                }
                i += 1;
                continue;
            }
            match strip_list_marker(text) {
                Some(item) if !is_task(item) => {
                    entries.extend(split_entries(item, lines[i].number));
                    started = true;
                    i += 1;
                }
                _ => break,
            }
        }
    }
    found.then_some(entries)
}

fn is_task(item: &str) -> bool {
    let lower = item.to_ascii_lowercase();
    lower.starts_with("[ ]") || lower.starts_with("[x]")
}

/// What follows `label` and its colon on `text`, if the line is a declaration.
fn declaration_value<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let mut rest = text.trim_start();
    loop {
        let before = rest;
        rest = rest.trim_start_matches('>').trim_start();
        if let Some(item) = strip_list_marker(rest) {
            rest = item;
        }
        let hashes = rest.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && rest[hashes..].starts_with([' ', '\t']) {
            rest = rest[hashes..].trim_start();
        }
        if rest == before {
            break;
        }
    }
    rest = rest.trim_start_matches(['*', '_']);
    let head = rest.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    let after = rest[label.len()..].trim_start_matches(['*', '_']);
    let value = match after.strip_prefix(':') {
        Some(value) => value,
        // A label alone on its line (a heading or a bold line) introduces a list.
        None if after.trim().trim_end_matches('#').trim().is_empty() => "",
        None => return None,
    };
    // `**Allowed paths:** app/**`: the bold closes after the colon.
    let emphasis = value.chars().take_while(|c| *c == '*' || *c == '_').count();
    if emphasis > 0
        && value[emphasis..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
    {
        return Some(&value[emphasis..]);
    }
    Some(value)
}

fn split_entries(value: &str, line: u32) -> Vec<Entry> {
    value
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|raw| raw.trim_matches(|c| matches!(c, '`' | '"' | '\'' | ';')))
        .map(|raw| raw.strip_prefix("./").unwrap_or(raw))
        .filter(|raw| !raw.is_empty())
        .map(|raw| Entry {
            text: raw.to_string(),
            line,
        })
        .collect()
}

/// Why an entry cannot be honoured as a repository glob, if it cannot.
pub(crate) fn escapes(entry: &str) -> Option<&'static str> {
    let bytes = entry.as_bytes();
    if entry.starts_with(['/', '\\']) {
        Some("it is an absolute path")
    } else if entry.starts_with('~') {
        Some("it points into a home directory (`~`)")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some("it is an absolute path")
    } else if entry.split(['/', '\\']).any(|part| part == "..") {
        Some("it climbs out with `..` (path traversal)")
    } else {
        None
    }
}

impl Rule for PrAllowedPaths {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exemptions) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let label = &self.declaration;
        let Some(entries) = declared(&pr.body, label) else {
            if !self.require_declaration {
                return Evaluation::Checked(Vec::new());
            }
            return Evaluation::Checked(vec![Finding::new(format!(
                "the PR description declares no `{label}:` line, so the paths this change may touch are unknown"
            ))
            .help(format!(
                "add a line such as `{label}: app/** packages/**` to the PR description, with globs covering every file the PR changes"
            ))
            .subject("no-declaration")]);
        };
        // An unfilled template line (`Allowed paths:` and nothing) declares nothing.
        if entries.is_empty() {
            if !self.require_declaration {
                return Evaluation::Checked(Vec::new());
            }
            return Evaluation::Checked(vec![Finding::new(format!(
                "the PR description's `{label}:` line lists no paths"
            ))
            .help(format!(
                "list globs after the colon, e.g. `{label}: app/** packages/**`"
            ))
            .subject("no-declaration")]);
        }
        if !self.check_paths {
            return Evaluation::Checked(Vec::new());
        }

        let mut findings = Vec::new();
        let mut globs = Vec::new();
        let mut patterns = Vec::new();
        let mut reported = BTreeSet::new();
        for entry in &entries {
            if !reported.insert(entry.text.clone()) {
                continue;
            }
            if let Some(why) = escapes(&entry.text) {
                findings.push(
                    Finding::new(format!(
                        "`{label}` entry `{}` (line {} of the PR description) is rejected: {why}",
                        entry.text, entry.line
                    ))
                    .help("write globs relative to the repository root, such as `app/**`")
                    .subject(format!("entry:{}", entry.text)),
                );
                continue;
            }
            match compile_glob(&entry.text) {
                Ok(glob) => {
                    globs.push(glob);
                    patterns.push(entry.text.clone());
                }
                Err(err) => findings.push(
                    Finding::new(format!(
                        "`{label}` entry `{}` (line {} of the PR description) is not a valid glob: {}",
                        entry.text,
                        entry.line,
                        err
                    ))
                    .help("`*` stays within a directory, `**` spans directories, `{a,b}` lists alternatives; escape a literal `[` as `\\[`")
                    .subject(format!("entry:{}", entry.text)),
                ),
            }
        }
        if let Some(reason) = files_unknown(pr) {
            if findings.is_empty() {
                return Evaluation::Error(reason);
            }
            return Evaluation::Checked(findings);
        }

        let allowed = Globs::from_compiled(globs, patterns);
        let shown = if allowed.is_empty() {
            "none".to_string()
        } else {
            code_list(allowed.patterns())
        };
        let mut judged_paths = BTreeSet::new();
        for file in &pr.files {
            let sides = std::iter::once((file.path.as_str(), None)).chain(
                file.previous_path
                    .as_deref()
                    .map(|p| (p, Some(file.path.as_str()))),
            );
            for (path, renamed_to) in sides {
                if self.exempt.is_match(path) || allowed.is_match(path) {
                    continue;
                }
                if !judged_paths.insert(path.to_string()) {
                    continue;
                }
                let what = match renamed_to {
                    Some(to) => format!("`{path}` (renamed to `{to}`)"),
                    None => format!("`{path}`"),
                };
                findings.push(
                    Finding::new(format!(
                        "{what} is outside the paths the PR declares ({label}: {shown})"
                    ))
                    .at(path)
                    .help(format!(
                        "revert this change and move it to its own PR, or add a glob covering `{path}` to the `{label}:` line if it belongs here"
                    ))
                    .subject(path.to_string()),
                );
            }
        }
        if findings.is_empty() {
            if let Some(error) = incomplete(pr, "every changed file is within the declared paths") {
                return error;
            }
        }
        Evaluation::Checked(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Option<Vec<String>> {
        declared(body, "Allowed paths").map(|e| e.into_iter().map(|e| e.text).collect())
    }

    #[test]
    fn reads_the_declaration_in_its_usual_forms() {
        assert_eq!(
            texts("Intro\nAllowed paths: app/** packages/**\n"),
            Some(vec!["app/**".into(), "packages/**".into()])
        );
        assert_eq!(
            texts("- **Allowed paths:** `app/**`, `tests/**`"),
            Some(vec!["app/**".into(), "tests/**".into()])
        );
        assert_eq!(
            texts("**Allowed paths**: ./docs/**"),
            Some(vec!["docs/**".into()])
        );
        assert_eq!(
            texts("> allowed PATHS:  **/*.ts"),
            Some(vec!["**/*.ts".into()])
        );
        assert_eq!(
            texts("## Allowed paths\n\n- app/**\n- packages/a/**, packages/b/**\n\n- [ ] done"),
            Some(vec![
                "app/**".into(),
                "packages/a/**".into(),
                "packages/b/**".into()
            ])
        );
    }

    #[test]
    fn comments_code_and_prose_are_not_declarations() {
        assert_eq!(texts("<!-- Allowed paths: app/** -->"), None);
        assert_eq!(texts("```\nAllowed paths: app/**\n```"), None);
        assert_eq!(texts("Allowed paths are listed in the issue"), None);
        assert_eq!(texts("Allowed paths:"), Some(vec![]));
    }

    #[test]
    fn traversal_and_absolute_entries_escape() {
        for entry in [
            "../x/**",
            "app/../../etc",
            "/etc/passwd",
            "~/x",
            "C:\\x",
            "a\\..\\b",
        ] {
            assert!(escapes(entry).is_some(), "{entry}");
        }
        for entry in ["app/**", "a..b/c", "**/*.md"] {
            assert!(escapes(entry).is_none(), "{entry}");
        }
    }
}
