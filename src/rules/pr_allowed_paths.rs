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
use crate::pr::FileStatus;

pub const KIND: RuleKind = RuleKind {
    id: "pr-allowed-paths",
    summary: "The PR changes only the paths its description declares (`Allowed paths:`)",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The PR description declares which paths the change may touch, on a line starting with the
`declaration` label (default `Allowed paths`; case-insensitive, singular `Allowed path`
too) and a colon:

```markdown
Allowed paths: app/** packages/ui/**
- **Allowed path:** `app/routes/**`, `tests/routes/**`
```

Globs are separated by spaces or commas, never inside braces or brackets
(`{app,packages}/**` and `{a, b}` are one glob each); they may be wrapped in backticks
(then only the backticked text counts, so prose around it is not read as globs) and may
start with `./`. The line may be a list item, a quote or bold. A label with nothing after
it (`Allowed paths:`, `**Allowed paths:**`, a heading `## Allowed paths`) takes what is
right below it: a Markdown list (one or more globs an item), plain lines of globs, or a
code block. Several declarations add up. Lines in HTML comments (template instructions)
are never declarations.

A declaration warden cannot read (a label followed by prose, a list item or value with no
glob in it, a declaration only inside a code block) is its own finding, whatever the
switches below say: an author who meant to fence the change never gets "no fence" by
mistake.

Every changed file must match one declared glob, unless it matches `exempt`. Removed
files and the old path of a renamed file are judged too; `fence_removed = false` judges
only what the PR leaves in the tree (added, modified, copied files and the new side of a
rename), as a Dangerfile reading `modified_files` and `created_files` did. An entry that
leaves the repository (`../x`, `/etc/x`, `~/x`, `C:\x`) or is not a valid glob is a
finding naming the entry. When GitHub's file list is incomplete (more than 3,000 files)
and nothing listed is outside, the rule reports an error rather than a pass.

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
fence_removed = true                # optional: removed files and rename sources too

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
    fence_removed: bool,
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
    let fence_removed = t.opt_bool("fence_removed").unwrap_or(true);
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
            fence_removed,
            exemptions,
        }) as Box<dyn Rule>
    })
}

/// One glob of a declaration, as written, with the body line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub text: String,
    pub line: u32,
}

/// What a PR body declares: the globs, and the declarations warden could not read
/// (each its own finding: an unreadable fence is never "no fence").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    pub entries: Vec<Entry>,
    /// (line, why) for each declaration that could not be read.
    pub unreadable: Vec<(u32, String)>,
}

/// The declarations in `body`, or `None` when it has none. Accepted forms: the label
/// (`label`, or its singular `Allowed path`) at the start of a line, case-insensitive,
/// followed by a colon and globs; or a label alone (`Allowed paths:`, a heading, a bold
/// line) with the globs below it: a Markdown list, plain lines of globs, or a code block.
pub fn declared(body: &str, label: &str) -> Option<Declared> {
    let lines = body_lines(body);
    let raw: Vec<&str> = body.lines().collect();
    let mut found = false;
    let mut out = Declared::default();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        let Some(value) = declaration_value(&line.text, label) else {
            continue;
        };
        found = true;
        if !value.trim().is_empty() {
            let entries = split_entries(value, line.number);
            if entries.is_empty() {
                out.unreadable.push((
                    line.number,
                    format!("`{}` holds no glob warden can read", value.trim()),
                ));
            }
            out.entries.extend(entries);
            continue;
        }
        // A label alone: what comes right below it (blank lines before it are fine).
        // Prose right under it is an unreadable declaration; prose after a blank line
        // starts the next paragraph of an unfilled template, unless the label is a
        // heading, whose section is the declaration.
        let heading = line.text.trim_start().starts_with('#');
        let mut gap = false;
        let mut taken = false;
        while i < lines.len() {
            let text = lines[i].text.trim();
            let number = lines[i].number;
            if text.is_empty() {
                // A code block under the label holds its globs, one or more a line.
                if !taken {
                    if let Some(end) = fenced_block(&raw, i) {
                        for (at, inside) in raw.iter().enumerate().take(end).skip(i + 1) {
                            out.entries.extend(split_entries(inside, at as u32 + 1));
                        }
                        i = (end + 1).min(lines.len());
                        break;
                    }
                }
                if taken {
                    break;
                }
                gap = true;
                i += 1;
                continue;
            }
            match strip_list_marker(text) {
                Some(item) if is_task(item) => break,
                Some(item) => {
                    let entries = split_entries(item, number);
                    if entries.is_empty() {
                        out.unreadable.push((
                            number,
                            format!(
                                "the list item `{}` holds no glob warden can read",
                                item.trim()
                            ),
                        ));
                    }
                    out.entries.extend(entries);
                }
                None if looks_like_globs(text) => {
                    out.entries.extend(split_entries(text, number));
                }
                None => {
                    if !taken && (heading || !gap) {
                        out.unreadable.push((
                            line.number,
                            format!(
                                "the label is followed by `{}`, which is not a list of globs",
                                short(text)
                            ),
                        ));
                    }
                    break;
                }
            }
            taken = true;
            i += 1;
        }
    }
    if !found {
        // Only in a code block: the author declared a fence GitHub shows as code. That is
        // unreadable, never "no fence".
        return in_code_block(&raw, label).map(|line| Declared {
            entries: Vec::new(),
            unreadable: vec![(
                line,
                "it is inside a code block; write it as plain text".to_string(),
            )],
        });
    }
    Some(out)
}

/// The line of the first declaration inside a fenced code block, if any.
fn in_code_block(raw: &[&str], label: &str) -> Option<u32> {
    let mut at = 0;
    while at < raw.len() {
        match fenced_block(raw, at) {
            Some(end) => {
                let inside = (at + 1..end).find(|&i| declaration_value(raw[i], label).is_some());
                if let Some(i) = inside {
                    return Some(i as u32 + 1);
                }
                at = end + 1;
            }
            None => at += 1,
        }
    }
    None
}

/// The index of the line closing the fenced block that opens at `raw[at]`, if one does.
fn fenced_block(raw: &[&str], at: usize) -> Option<usize> {
    let open = raw.get(at)?.trim_start();
    let c = open.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = open.chars().take_while(|x| *x == c).count();
    if run < 3 {
        return None;
    }
    (at + 1..raw.len()).find(|&j| {
        let t = raw[j].trim();
        t.chars().take_while(|x| *x == c).count() >= run && t.chars().all(|x| x == c)
    })
}

fn short(text: &str) -> String {
    let text: String = text.chars().take(60).collect();
    text.replace('`', "'")
}

fn is_task(item: &str) -> bool {
    let lower = item.to_ascii_lowercase();
    lower.starts_with("[ ]") || lower.starts_with("[x]")
}

/// A plain line under a label counts when every word of it looks like a path or glob.
fn looks_like_globs(text: &str) -> bool {
    let words = tokens(text);
    !words.is_empty()
        && words
            .iter()
            .all(|w| w.contains(['/', '*', '?', '[', '{', '.']) && !w.ends_with(':'))
}

/// What follows the label and its colon on `text`, if the line is a declaration. The
/// label matches case-insensitively, plural or singular (`Allowed path:`).
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
    let singular = label
        .strip_suffix('s')
        .or_else(|| label.strip_suffix('S'))
        .filter(|s| !s.is_empty());
    let mut after = None;
    for form in [Some(label), singular].into_iter().flatten() {
        if let Some(head) = rest.get(..form.len()) {
            if head.eq_ignore_ascii_case(form) {
                after = Some(&rest[form.len()..]);
                break;
            }
        }
    }
    let after = after?.trim_start_matches(['*', '_']);
    let value = match after.trim_start().strip_prefix(':') {
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

/// The words of `value`: split at whitespace and commas, never inside `{...}` or
/// `[...]` (a glob's alternatives and classes), with spaces around a brace's commas
/// dropped. When `value` has code spans, their contents count, and outside them only
/// words that look like paths, so prose around them (`` `app/**` for the routes``) is
/// not read as globs.
fn tokens(value: &str) -> Vec<String> {
    let spans: Vec<&str> = value.split('`').collect();
    if spans.len() >= 3 {
        // Odd pieces are inside backticks; an unpaired last backtick opens nothing.
        let closed = if spans.len() % 2 == 1 {
            spans.len()
        } else {
            spans.len() - 1
        };
        let mut words = Vec::new();
        for (index, part) in spans[..closed].iter().enumerate() {
            let inside = index % 2 == 1;
            words.extend(
                words_of(part)
                    .into_iter()
                    .filter(|w| inside || w.contains(['/', '*', '?', '[', '{', '.'])),
            );
        }
        return words;
    }
    words_of(value)
}

fn words_of(part: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut braces, mut brackets) = (0usize, 0usize);
    for c in part.chars() {
        match c {
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '[' => brackets += 1,
            ']' => brackets = brackets.saturating_sub(1),
            _ => {}
        }
        let inside = braces > 0 || brackets > 0;
        if !inside && (c.is_whitespace() || c == ',') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else if !(inside && c.is_whitespace()) {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn split_entries(value: &str, line: u32) -> Vec<Entry> {
    tokens(value)
        .iter()
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
        let Some(declared) = declared(&pr.body, label) else {
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
        // A declaration that cannot be read is a finding whatever the switches say: the
        // author meant to fence the change, so it must not pass as "no fence".
        let mut findings: Vec<Finding> = declared
            .unreadable
            .iter()
            .map(|(line, why)| {
                Finding::new(format!(
                    "the `{label}` declaration on line {line} of the PR description cannot be read: {why}"
                ))
                .help(format!(
                    "write globs after the colon (`{label}: app/** tests/**`) or as a list right below the label"
                ))
                .subject(format!("unreadable-declaration:{line}"))
            })
            .collect();
        let entries = declared.entries;
        // An unfilled template line (`Allowed paths:` and nothing) declares nothing.
        if entries.is_empty() {
            if !findings.is_empty() || !self.require_declaration {
                return Evaluation::Checked(findings);
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
            return Evaluation::Checked(findings);
        }

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
            // With `fence_removed = false`, only what the PR leaves in the tree is judged.
            let removed = file.status == FileStatus::Removed;
            let new_side = (self.fence_removed || !removed).then_some((file.path.as_str(), None));
            let old_side = file
                .previous_path
                .as_deref()
                .filter(|_| self.fence_removed)
                .map(|p| (p, Some(file.path.as_str())));
            let sides = new_side.into_iter().chain(old_side);
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
        declared(body, "Allowed paths").map(|d| {
            assert!(d.unreadable.is_empty(), "{body:?}: {:?}", d.unreadable);
            d.entries.into_iter().map(|e| e.text).collect()
        })
    }

    fn unreadable(body: &str) -> Vec<u32> {
        declared(body, "Allowed paths")
            .map(|d| d.unreadable.into_iter().map(|(line, _)| line).collect())
            .unwrap_or_default()
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
    fn reads_the_forms_teams_write() {
        // Singular label, any case.
        assert_eq!(texts("Allowed path: app/**"), Some(vec!["app/**".into()]));
        assert_eq!(texts("ALLOWED PATH : app/**"), Some(vec!["app/**".into()]));
        // Globs on the lines after the label.
        assert_eq!(
            texts("Allowed paths:\napp/**\n./packages/ui/**, docs/*.md\n\nMore text"),
            Some(vec![
                "app/**".into(),
                "packages/ui/**".into(),
                "docs/*.md".into()
            ])
        );
        // A list under a bold label, numbered items, backticks with prose after them.
        assert_eq!(
            texts("**Allowed paths**\n1. `app/routes/**` (the new route)\n2. `./tests/**`"),
            Some(vec!["app/routes/**".into(), "tests/**".into()])
        );
        // A code block under the label.
        assert_eq!(
            texts("Allowed paths:\n```\napp/**\ntests/**\n```\nDone"),
            Some(vec!["app/**".into(), "tests/**".into()])
        );
        // Braces and classes are never split.
        assert_eq!(
            texts("Allowed paths: {app,packages}/** src/{a, b}.rs, x/[a,b]*"),
            Some(vec![
                "{app,packages}/**".into(),
                "src/{a,b}.rs".into(),
                "x/[a,b]*".into()
            ])
        );
    }

    #[test]
    fn an_unreadable_declaration_is_reported_not_ignored() {
        assert_eq!(
            unreadable("Allowed paths:\nthe app folder and its tests"),
            [1]
        );
        assert_eq!(unreadable("## Allowed paths\n\nSee the issue."), [1]);
        assert_eq!(unreadable("Allowed paths: ``"), [1]);
        assert_eq!(unreadable("Allowed paths:\n- ``"), [2]);
        // An unfilled template line is empty, not unreadable.
        assert_eq!(texts("Allowed paths:"), Some(vec![]));
        assert_eq!(texts("Allowed paths:\n\n"), Some(vec![]));
    }

    #[test]
    fn comments_code_and_prose_are_not_declarations() {
        assert_eq!(texts("<!-- Allowed paths: app/** -->"), None);
        assert_eq!(unreadable("```\nAllowed paths: app/**\n```"), [2]);
        assert_eq!(texts("Allowed paths are listed in the issue"), None);
        assert_eq!(texts("Allowed pathways: app/**"), None);
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
