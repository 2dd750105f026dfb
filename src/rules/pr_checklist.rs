//! `pr-checklist`: every task item under a named heading of the PR body is ticked.

use std::collections::HashMap;

use super::pr_common::{body_lines, judged, short_text, strip_list_marker, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-checklist",
    summary: "Every checklist item under a heading of the PR body is ticked",
    scope: Scope::Pr,
    doc: r#"
## What it checks
The section of the PR description under `heading` (e.g. `Definition of Done`) is found:
a Markdown heading of any level (`#` to `######`) or a line that is bold on its own
(`**Definition of Done**`, `**Definition of Done:**`), compared case-insensitively after
dropping emphasis and a trailing colon (`## Definition of Done (DoD)` needs
`heading = "Definition of Done (DoD)"`). The section ends at the next heading of the same
or a higher level; a bold-line section ends at the next heading or bold line.

Every task item in it (`- [ ]`, `* [x]`, `+ [X]`, `1. [ ]`, nested ones too) must be
ticked. Each unticked item is a finding quoting its text and its line in the
description. An item struck through as a whole (`- [ ] ~~Migration rehearsed~~`) counts
as not applicable. Items in code blocks and HTML comments never count.

A missing section is a finding unless `require_section = false`; a section without any
task items is a finding ("no checklist items"). If several sections match, all count.

Every `pr-*` kind also takes `exempt_authors` (logins, case-insensitive; `*` is the only
wildcard, so `dependabot[bot]` and `*[bot]` mean what they say), `exempt_labels`,
`skip_drafts` and `skip_forks` (both default `false`).

## Why
A Definition of Done in the PR template is a promise the author makes to the reviewer:
tests added, rollback documented, staging verified. Unticked boxes get merged when
nobody reads them; a rule reads them every time.

## Example policy
```toml
[[rule]]
id = "definition-of-done"
kind = "pr-checklist"
heading = "Definition of Done"
require_section = true     # optional (default): a PR without the section fails
skip_drafts = true         # optional: drafts are work in progress
```

## How to fix
Do the work and tick the item (`- [x]`) in the PR description. If an item does not
apply to this change, strike it through (`- [ ] ~~Deployment verified in staging~~`).
If the section is missing, paste it from the PR template.
"#,
    parse,
};

#[derive(Debug)]
struct PrChecklist {
    heading: String,
    require_section: bool,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let heading = t.req_str("heading", "\"Definition of Done\"");
    let heading = heading.and_then(|h| {
        let normalised = normalise(&h.value);
        if normalised.is_empty() {
            t.error(
                "bad-value",
                h.span.clone(),
                "`heading` of rule `pr-checklist` is empty",
                "no heading text",
                "write the heading's words, e.g. heading = \"Definition of Done\"",
            );
            return None;
        }
        Some(h.value.trim().trim_start_matches('#').trim().to_string())
    });
    let require_section = t.opt_bool("require_section").unwrap_or(true);
    let exempt = Exemptions::parse(t);
    Some(Box::new(PrChecklist {
        heading: heading?,
        require_section,
        exempt,
    }))
}

/// A task item of a checklist section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub checked: bool,
    pub text: String,
    pub line: u32,
}

/// What the body holds under `heading`: `None` when there is no such section, else the
/// task items of every matching section.
pub(crate) fn items(body: &str, heading: &str) -> Option<Vec<Item>> {
    let wanted = normalise(heading);
    let mut found = false;
    let mut items = Vec::new();
    // The level of the section being read, if inside one.
    let mut section: Option<u8> = None;
    for line in body_lines(body) {
        if let Some((level, title)) = heading_of(&line.text) {
            if section.is_some_and(|open| level <= open) {
                section = None;
            }
            if section.is_none() && normalise(title) == wanted {
                section = Some(level);
                found = true;
            }
            continue;
        }
        if section.is_none() {
            continue;
        }
        if let Some(item) = task_item(&line.text) {
            items.push(Item {
                line: line.number,
                ..item
            });
        }
    }
    found.then_some(items)
}

/// A heading line: its level (1-6 for `#`, 7 for a bold line) and its text.
fn heading_of(text: &str) -> Option<(u8, &str)> {
    let trimmed = text.trim();
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &trimmed[hashes..];
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            let title = rest.trim().trim_end_matches('#').trim_end();
            return Some((hashes as u8, title));
        }
        return None;
    }
    for mark in ["**", "__"] {
        let Some(inner) = trimmed.strip_prefix(mark) else {
            continue;
        };
        let inner = inner
            .strip_suffix(mark)
            .or_else(|| inner.strip_suffix(&format!("{mark}:")[..]))?;
        if !inner.trim().is_empty() && !inner.contains(mark) {
            return Some((7, inner));
        }
    }
    None
}

/// Heading text as compared: lower case, no emphasis, no trailing colon, single spaces.
fn normalise(text: &str) -> String {
    let text: String = text.chars().filter(|c| !matches!(c, '*' | '_')).collect();
    let text = text
        .trim()
        .trim_start_matches('#')
        .trim()
        .trim_end_matches(':');
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `- [ ] text`, `* [x] text`, `1. [X] text`, at any indentation.
fn task_item(text: &str) -> Option<Item> {
    let rest = strip_list_marker(text)?;
    let bytes = rest.as_bytes();
    if bytes.len() < 3 || bytes[0] != b'[' || bytes[2] != b']' {
        return None;
    }
    let checked = match bytes[1] {
        b' ' => false,
        b'x' | b'X' => true,
        _ => return None,
    };
    let after = &rest[3..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some(Item {
        checked,
        text: after.trim().to_string(),
        line: 0,
    })
}

/// `~~Migration rehearsed~~`: struck through as a whole, so not applicable.
fn struck_through(text: &str) -> bool {
    text.len() > 4
        && text.starts_with("~~")
        && text.ends_with("~~")
        && !text[2..text.len() - 2].contains("~~")
}

impl Rule for PrChecklist {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let heading = &self.heading;
        let Some(items) = items(&pr.body, heading) else {
            if !self.require_section {
                return Evaluation::Checked(Vec::new());
            }
            return Evaluation::Checked(vec![Finding::new(format!(
                "the PR description has no \"{heading}\" section"
            ))
            .help(format!(
                "add the section from the PR template: a `## {heading}` heading followed by task items (`- [ ] ...`), and tick each one that is done"
            ))
            .subject("no-section")]);
        };
        if items.is_empty() {
            return Evaluation::Checked(vec![Finding::new(format!(
                "the \"{heading}\" section of the PR description has no checklist items"
            ))
            .help(format!(
                "list the items as task items (`- [ ] ...`) under `## {heading}`, as in the PR template, and tick each one that is done"
            ))
            .subject("no-items")]);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let findings = items
            .iter()
            .filter(|item| !item.checked && !struck_through(&item.text))
            .map(|item| {
                let text = if item.text.is_empty() {
                    "(an empty item)".to_string()
                } else {
                    format!("\"{}\"", short_text(&item.text, 120))
                };
                let key = item.text.to_lowercase();
                let count = seen.entry(key.clone()).or_default();
                *count += 1;
                let subject = match *count {
                    1 => format!("unchecked:{key}"),
                    n => format!("unchecked:{key}#{n}"),
                };
                Finding::new(format!(
                    "\"{heading}\" item not ticked: {text} (line {} of the PR description)",
                    item.line
                ))
                .help("do the work and tick the box (`- [x]`) in the PR description, or strike the item through (`~~...~~`) if it does not apply")
                .subject(subject)
            })
            .collect();
        Evaluation::Checked(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(body: &str, heading: &str) -> Option<Vec<(bool, String, u32)>> {
        items(body, heading).map(|items| {
            items
                .into_iter()
                .map(|i| (i.checked, i.text, i.line))
                .collect()
        })
    }

    #[test]
    fn reads_items_until_the_next_heading_of_the_same_level() {
        let body = "\
## Summary
- [ ] not in the section
## Definition of Done
- [x] Tests added
  - [ ] nested item
### Details
* [X] still in the section
1. [ ] numbered
```
- [ ] in a code block
```
<!-- - [ ] in a comment -->
- not a task
## Next
- [ ] after the section";
        assert_eq!(
            summary(body, "definition of done:"),
            Some(vec![
                (true, "Tests added".into(), 4),
                (false, "nested item".into(), 5),
                (true, "still in the section".into(), 7),
                (false, "numbered".into(), 8),
            ])
        );
    }

    #[test]
    fn bold_lines_are_headings_too() {
        let body = "**Definition of Done:**\n- [ ] a\n\n**Notes**\n- [ ] b";
        assert_eq!(
            summary(body, "Definition of Done"),
            Some(vec![(false, "a".into(), 2)])
        );
        // A bold line inside a `##` section does not end it.
        let body = "## Definition of Done\n**Code**\n- [ ] a";
        assert_eq!(summary(body, "Definition of Done").unwrap().len(), 1);
    }

    #[test]
    fn missing_and_empty_sections_differ() {
        assert_eq!(summary("## Other\n- [ ] x", "Definition of Done"), None);
        assert_eq!(
            summary("# Definition of Done\nAll done!", "Definition of Done"),
            Some(vec![])
        );
        // A heading inside a code block is not a section.
        assert_eq!(
            summary(
                "```\n## Definition of Done\n- [ ] x\n```",
                "Definition of Done"
            ),
            None
        );
    }

    #[test]
    fn task_item_syntax() {
        assert!(task_item("- [ ]").is_some_and(|i| !i.checked && i.text.is_empty()));
        assert!(task_item("- [x]done").is_none());
        assert!(task_item("- [-] partial").is_none());
        assert!(task_item("-[ ] no space").is_none());
        assert!(struck_through("~~n/a~~"));
        assert!(!struck_through("~~a~~ and b"));
        assert!(!struck_through("~~a~~ and ~~b~~"));
    }
}
