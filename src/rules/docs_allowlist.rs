//! `docs-allowlist`: Markdown lives only where the team agreed it may.

use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{literal_prefix, Globs, Pattern};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "docs-allowlist",
    summary: "Markdown files are only where the docs allow-list permits",
    scope: Scope::Paths,
    doc: r#"
## What it checks
Every tracked file matching `include` (default `**/*.md` and `**/*.mdx`) must match one
of the `allow` globs or `allow_regex` regexes. One finding per offending file, with the
closest allowed place as a tip. With `--staged` only the files the commit adds or
changes are judged.

## Why
Docs sprawl: planning notes, agent scratch files and copies of the same runbook end up
everywhere. A real allow-list script checked only staged files, so a clean CI checkout
always passed while 150 of 1,013 Markdown files were outside the list.

## Example policy
```toml
[[rule]]
kind = "docs-allowlist"
level = "deny"
allow = ["README.md", "CHANGELOG.md", "docs/**"]   # globs
allow_regex = ['^feedback/[a-z]+/\d{4}-\d{2}-\d{2}\.md$']  # regexes, for lists written that way
include = ["**/*.md", "**/*.mdx"]                   # optional
exclude = ["node_modules/**"]                       # optional: never judged
```

## How to fix
Move the file to an allowed place (the finding names the closest one), delete it, or
add its place to the allow-list if the team agrees it belongs there.
"#,
    parse,
};

#[derive(Debug)]
struct DocsAllowlist {
    include: Globs,
    exclude: Globs,
    allow: Globs,
    allow_regex: Vec<Pattern>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let include = t
        .globs("include")
        .unwrap_or_else(|| Globs::from_valid(&["**/*.md", "**/*.mdx"]));
    let exclude = t.globs("exclude").unwrap_or_else(Globs::empty);
    let allow = t.globs("allow").unwrap_or_else(Globs::empty);
    let allow_regex = t.regexes("allow_regex").unwrap_or_default();
    if allow.is_empty() && allow_regex.is_empty() && !t.has("allow") && !t.has("allow_regex") {
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `docs-allowlist` needs `allow` or `allow_regex`",
            "neither is given",
            "add `allow = [\"README.md\", \"docs/**\"]`",
        );
        return None;
    }
    Some(Box::new(DocsAllowlist {
        include,
        exclude,
        allow,
        allow_regex,
    }))
}

impl Rule for DocsAllowlist {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let findings = facts
            .candidates_matching(&self.include)
            .map(|f| f.path.as_str())
            .filter(|p| !self.exclude.is_match(p))
            .filter(|p| !self.allowed(p))
            .map(|p| {
                Finding::new(format!("`{p}` is outside the docs allow-list"))
                    .at(p)
                    .help(self.tip(p))
            })
            .collect();
        Evaluation::Checked(findings)
    }
}

impl DocsAllowlist {
    fn allowed(&self, path: &str) -> bool {
        self.allow.is_match(path) || self.allow_regex.iter().any(|r| r.regex.is_match(path))
    }

    /// Suggest the allowed directory that shares the longest leading part with `path`.
    fn tip(&self, path: &str) -> String {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let best = self
            .allow
            .patterns()
            .iter()
            .filter_map(|pattern| {
                let dir = literal_prefix(pattern).rsplit_once('/')?.0;
                let shared = common_prefix(path, dir);
                Some((shared, dir, pattern))
            })
            .max_by_key(|(shared, dir, _)| (*shared, std::cmp::Reverse(dir.len())));
        match best {
            Some((_, dir, pattern)) => {
                let candidate = format!("{dir}/{file_name}");
                if self.allowed(&candidate) {
                    format!("move it to `{candidate}` (allowed by `{pattern}`), or add its place to the allow-list")
                } else {
                    format!("move it under `{dir}/` (see `{pattern}`), or add its place to the allow-list")
                }
            }
            None => {
                let all: Vec<&str> = self
                    .allow
                    .patterns()
                    .iter()
                    .map(String::as_str)
                    .chain(self.allow_regex.iter().map(|r| r.source.as_str()))
                    .collect();
                format!(
                    "allowed places are: {}; move or delete the file, or extend the allow-list",
                    all.join(", ")
                )
            }
        }
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{EntryKind, FileEntry, FileSource};

    fn facts(paths: &[&str]) -> Facts {
        let files = paths
            .iter()
            .map(|p| FileEntry {
                path: p.to_string(),
                kind: EntryKind::File,
            })
            .collect();
        Facts::from_entries(
            ".".into(),
            FileSource::Walk,
            files,
            jiff::Timestamp::UNIX_EPOCH,
        )
    }

    fn rule(allow: &[&str], regex: &[&str]) -> DocsAllowlist {
        DocsAllowlist {
            include: Globs::from_valid(&["**/*.md", "**/*.mdx"]),
            exclude: Globs::empty(),
            allow: Globs::from_valid(allow),
            allow_regex: regex
                .iter()
                .map(|r| crate::policy::patterns::compile_regex(r).ok().unwrap())
                .collect(),
        }
    }

    #[test]
    fn flags_markdown_outside_the_list_with_a_tip() {
        let facts = facts(&[
            "README.md",
            "docs/a.md",
            "notes/legacy.md",
            "feedback/x.md",
            "src/main.rs",
            "app/x.mdx",
        ]);
        let Evaluation::Checked(findings) =
            rule(&["README.md", "docs/**"], &[r"^feedback/.+\.md$"]).evaluate(&facts)
        else {
            panic!("expected a checked evaluation")
        };
        let paths: Vec<_> = findings.iter().map(|f| f.path.clone().unwrap()).collect();
        assert_eq!(paths, ["app/x.mdx", "notes/legacy.md"]);
        assert!(findings[1]
            .help
            .as_ref()
            .unwrap()
            .contains("docs/legacy.md"));
    }

    #[test]
    fn staged_mode_judges_only_changed_files() {
        let mut facts = facts(&["notes/old.md", "notes/new.md"]);
        facts.set_changed(["notes/new.md"]);
        let Evaluation::Checked(findings) = rule(&["docs/**"], &[]).evaluate(&facts) else {
            panic!("expected a checked evaluation")
        };
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].path.as_deref(), Some("notes/new.md"));
    }
}
