//! `codeowners`: a CODEOWNERS file GitHub reads, that parses, and that gives the paths the
//! policy names an owner (and the owners it names).

use std::collections::BTreeMap;

use globset::GlobMatcher;
use toml::de::DeValue;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{compile_glob, Globs};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "codeowners",
    summary: "CODEOWNERS exists, parses, and owns the named paths",
    scope: Scope::Tree,
    doc: r#"
## What it checks
A CODEOWNERS file in one of the places GitHub reads, in GitHub's order:
`.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` (the first found is the one used).
Each line must be `PATTERN OWNER...` with owners `@user`, `@org/team` or an e-mail
address; `!` negation and `[ ]` ranges are refused, as GitHub refuses them. Every path in
`paths` must have an owner (the last matching line wins, as on GitHub); `owners` (a table
from path to owners) requires those owners on that path. With `github_errors = true`,
GitHub's own check (`GET /repos/{owner}/{repo}/codeowners/errors`, which also knows
unknown users and teams without write access) is added; without GitHub facts (offline,
no token) the rule is then `error` unless the file already has gaps.

Pair it with `branch-protection`'s `require_code_owner_reviews = true`: owners are only
asked to review when the branch requires it.

## Why
"Any alterations require a PR approved by the DevOps lead and one stack owner" holds only
while CODEOWNERS names them for the file; a typo in an owner silently drops the review.

## Example policy
```toml
[[rule]]
kind = "codeowners"
paths = ["docs/PLAYBOOK.md", ".github/workflows/ci.yml"]
owners = { "docs/PLAYBOOK.md" = ["@acme/devops-lead"] }
github_errors = true
```

## How to fix
Edit the CODEOWNERS file: add a line such as `/docs/PLAYBOOK.md @acme/devops-lead
@acme/stack-owners` (later lines win), fix the line the finding names, and check it under
the repository's Code → CODEOWNERS view on GitHub.
"#,
    parse,
};

/// Where GitHub looks, in its order.
pub const PLACES: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

#[derive(Debug)]
struct Codeowners {
    paths: Vec<String>,
    owners: BTreeMap<String, Vec<String>>,
    github_errors: bool,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let paths = t
        .str_list("paths")
        .map(|items| items.into_iter().map(|i| i.value).collect())
        .unwrap_or_default();
    let mut ok = true;
    let mut owners = BTreeMap::new();
    if let Some(value) = t.raw("owners") {
        match value.get_ref() {
            DeValue::Table(table) => {
                for (path, list) in table.iter() {
                    let names = match list.get_ref() {
                        DeValue::Array(items) => items
                            .iter()
                            .map(|i| match i.get_ref() {
                                DeValue::String(s) => Some(s.to_string()),
                                _ => None,
                            })
                            .collect::<Option<Vec<_>>>(),
                        DeValue::String(s) => Some(vec![s.to_string()]),
                        _ => None,
                    };
                    match names {
                        Some(names) if names.iter().all(|n| valid_owner(n)) => {
                            owners.insert(path.get_ref().to_string(), names);
                        }
                        _ => {
                            ok = false;
                            t.error(
                                "bad-value",
                                list.span(),
                                format!("owners of `{}` must be a list of `@user`, `@org/team` or e-mail addresses", path.get_ref()),
                                "not a list of owners",
                                "write, for example: \"docs/PLAYBOOK.md\" = [\"@acme/devops\"]",
                            );
                        }
                    }
                }
            }
            _ => {
                ok = false;
                let span = value.span();
                t.error(
                    "wrong-type",
                    span,
                    "`owners` must be a table from path to owners",
                    "not a table",
                    "write owners = { \"docs/PLAYBOOK.md\" = [\"@acme/devops\"] }",
                );
            }
        }
    }
    let github_errors = t.opt_bool("github_errors").unwrap_or(false);
    ok.then(|| {
        Box::new(Codeowners {
            paths,
            owners,
            github_errors,
        }) as Box<dyn Rule>
    })
}

fn valid_owner(owner: &str) -> bool {
    if let Some(name) = owner.strip_prefix('@') {
        let mut parts = name.split('/');
        let ok = |p: Option<&str>| {
            p.is_some_and(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            })
        };
        let first = parts.next();
        let second = parts.next();
        ok(first) && (second.is_none() || ok(second)) && parts.next().is_none()
    } else {
        let mut at = owner.split('@');
        matches!((at.next(), at.next(), at.next()), (Some(u), Some(d), None) if !u.is_empty() && d.contains('.'))
    }
}

/// One line of a CODEOWNERS file.
struct Line {
    number: u32,
    matchers: Vec<GlobMatcher>,
    owners: Vec<String>,
}

/// The lines of a CODEOWNERS text, and the problems found (line, message).
fn parse_file(text: &str) -> (Vec<Line>, Vec<(u32, String)>) {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i as u32 + 1;
        let content = strip_comment(raw);
        let mut words = content.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        let owners: Vec<String> = words.map(String::from).collect();
        if pattern.starts_with('!') {
            problems.push((
                number,
                format!("`{pattern}`: negation (`!`) is not supported in CODEOWNERS"),
            ));
            continue;
        }
        if pattern.contains('[') || pattern.contains(']') {
            problems.push((
                number,
                format!("`{pattern}`: character ranges (`[ ]`) are not supported in CODEOWNERS"),
            ));
            continue;
        }
        if let Some(bad) = owners.iter().find(|o| !valid_owner(o)) {
            problems.push((
                number,
                format!("`{bad}` is not an owner (`@user`, `@org/team` or an e-mail address)"),
            ));
            continue;
        }
        match matchers(pattern) {
            Some(matchers) => lines.push(Line {
                number,
                matchers,
                owners,
            }),
            None => problems.push((number, format!("`{pattern}` is not a valid pattern"))),
        }
    }
    (lines, problems)
}

/// Text before an unescaped `#`.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1] != b'\\') {
            return &line[..i];
        }
    }
    line
}

/// gitignore-style pattern → globs: anchored when it starts with or holds a `/`; a match
/// on a directory covers everything below it.
fn matchers(pattern: &str) -> Option<Vec<GlobMatcher>> {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let body = trimmed
        .trim_start_matches('/')
        .replace('{', "\\{")
        .replace('}', "\\}");
    if body.is_empty() {
        return None;
    }
    let base = if anchored || body.starts_with("**") {
        body
    } else {
        format!("**/{body}")
    };
    let mut globs = vec![format!("{base}/**")];
    if !dir_only {
        globs.push(base);
    }
    globs
        .iter()
        .map(|g| compile_glob(g).ok().map(|g| g.compile_matcher()))
        .collect()
}

/// The owners of `path`: the last matching line's (empty: explicitly unowned), or `None`.
fn owners_of<'l>(lines: &'l [Line], path: &str) -> Option<&'l Line> {
    lines
        .iter()
        .rev()
        .find(|l| l.matchers.iter().any(|m| m.is_match(path)))
}

impl Rule for Codeowners {
    fn needs(&self, needs: &mut Needs) {
        needs.content.push(Globs::from_valid(&PLACES));
        needs.github.extra.codeowners_errors |= self.github_errors;
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(place) = PLACES.iter().find(|p| facts.get(p).is_some()) else {
            return Evaluation::Checked(vec![Finding::new(
                "no CODEOWNERS file in `.github/`, the root or `docs/`",
            )
            .help("create `.github/CODEOWNERS` with a line per path, e.g. `* @acme/devops`")
            .subject("missing")]);
        };
        let text = match facts.content(place) {
            Some(Ok(text)) => text,
            Some(Err(reason)) => {
                return Evaluation::Error(format!("cannot read `{place}`: {reason}"))
            }
            None => return Evaluation::Error(format!("the text of `{place}` was not gathered")),
        };
        let (lines, problems) = parse_file(text);
        let mut findings: Vec<Finding> = problems
            .into_iter()
            .map(|(line, message)| {
                Finding::new(format!("`{place}` line {line}: {message}"))
                    .at(*place)
                    .line(Some(line))
                    .help("fix the line; GitHub ignores a CODEOWNERS line it cannot parse")
                    .subject(format!("syntax:{line}"))
            })
            .collect();
        let mut wanted: Vec<&String> = self.paths.iter().collect();
        wanted.extend(self.owners.keys().filter(|k| !self.paths.contains(k)));
        for path in wanted {
            let line = owners_of(&lines, path);
            let have = line.map(|l| l.owners.as_slice()).unwrap_or_default();
            if have.is_empty() {
                findings.push(
                    Finding::new(format!("`{path}` has no code owner in `{place}`"))
                        .at(*place)
                        .line(line.map(|l| l.number))
                        .help(format!(
                            "add a line at the end of `{place}`: `/{path} @org/team`"
                        ))
                        .subject(format!("unowned:{path}")),
                );
                continue;
            }
            let missing: Vec<&String> = self
                .owners
                .get(path)
                .into_iter()
                .flatten()
                .filter(|o| !have.iter().any(|h| h.eq_ignore_ascii_case(o)))
                .collect();
            if !missing.is_empty() {
                let missing: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                findings.push(
                    Finding::new(format!(
                        "`{path}` is owned by {} in `{place}`, without {}",
                        have.join(" "),
                        missing.join(", ")
                    ))
                    .at(*place)
                    .line(line.map(|l| l.number))
                    .help(format!(
                        "add {} to that line (the last matching line wins)",
                        missing.join(" ")
                    ))
                    .subject(format!("owners:{path}")),
                );
            }
        }
        if self.github_errors {
            match facts.github().map(|g| &g.extra.codeowners_errors) {
                Some(Some(Ok(Some(errors)))) => {
                    for e in errors {
                        let first = e.message.lines().next().unwrap_or(&e.kind).to_string();
                        findings.push(
                            Finding::new(format!("GitHub: `{}` {first}", e.path))
                                .at(e.path.clone())
                                .line(Some(e.line))
                                .help(e.suggestion.clone().unwrap_or_else(|| "fix the owner or pattern GitHub names".to_string()))
                                .subject(format!("github:{}:{}", e.line, e.kind)),
                        );
                    }
                }
                Some(Some(Ok(None))) => findings.push(
                    Finding::new("GitHub finds no CODEOWNERS file on the default branch")
                        .help(format!("commit `{place}` to the default branch"))
                        .subject("github:missing"),
                ),
                Some(Some(Err(reason))) if findings.is_empty() => {
                    return Evaluation::Error(format!("cannot read GitHub's CODEOWNERS errors: {reason}"))
                }
                _ if findings.is_empty() => {
                    return Evaluation::Error(
                        "GitHub's CODEOWNERS check (`github_errors`) needs GitHub facts, which this run does not have".to_string(),
                    )
                }
                _ => {}
            }
        }
        Evaluation::Checked(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::Facts;
    use crate::model::Evaluation;

    fn judge(policy: &str, files: &[(&str, &str)]) -> Evaluation {
        let text = format!("[[rule]]\nkind = \"codeowners\"\n{policy}");
        let policy = crate::policy::load_text("p.toml", &text).unwrap();
        let facts = Facts::from_texts(files, "2026-11-22T12:00:00Z".parse().unwrap());
        policy.rules[0].rule.evaluate(&facts)
    }

    fn messages(eval: Evaluation) -> Vec<String> {
        eval.messages()
    }

    #[test]
    fn last_matching_line_wins_and_named_owners_are_required() {
        let file = "# owners\n*       @acme/devs\n/docs/ @acme/writers\ndocs/PLAYBOOK.md @acme/devops-lead @acme/stack-owners\n*.lock\n";
        let policy = "paths = [\"src/main.rs\", \"docs/PLAYBOOK.md\", \"Cargo.lock\"]\nowners = { \"docs/PLAYBOOK.md\" = [\"@acme/devops-lead\"], \"docs/guide.md\" = [\"@acme/devops-lead\"] }\n";
        assert_eq!(
            messages(judge(policy, &[(".github/CODEOWNERS", file)])),
            [
                "`Cargo.lock` has no code owner in `.github/CODEOWNERS`",
                "`docs/guide.md` is owned by @acme/writers in `.github/CODEOWNERS`, without @acme/devops-lead",
            ]
        );
    }

    #[test]
    fn github_order_and_syntax_errors() {
        // `.github/CODEOWNERS` wins over the root one.
        let files = [
            (
                ".github/CODEOWNERS",
                "* @acme/devs\n!vendor/ @x\nsrc/[ab].rs @y\n*.md docs@\n",
            ),
            ("CODEOWNERS", "* nonsense\n"),
        ];
        let found = messages(judge("", &files));
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].contains("line 2") && found[0].contains("negation"));
        assert!(found[1].contains("line 3") && found[1].contains("character ranges"));
        assert!(found[2].contains("line 4") && found[2].contains("`docs@`"));
    }

    #[test]
    fn missing_file_is_a_gap_and_unanchored_patterns_match_at_any_depth() {
        assert_eq!(
            messages(judge("", &[("README.md", "x")])),
            ["no CODEOWNERS file in `.github/`, the root or `docs/`"]
        );
        // GitHub: `build/` owns a `build` directory anywhere; `/dist/` only the top one.
        let files = [(
            "docs/CODEOWNERS",
            "build/ @ops\n/dist/ @ops\nREADME.md @docs\n",
        )];
        let policy = "paths = [\"a/build/x.o\", \"a/dist/x\", \"dist/x\", \"pkg/README.md\"]";
        assert_eq!(
            messages(judge(policy, &files)),
            ["`a/dist/x` has no code owner in `docs/CODEOWNERS`"]
        );
    }

    #[test]
    fn github_errors_without_github_facts_is_an_error() {
        let eval = judge("github_errors = true", &[("CODEOWNERS", "* @acme/devs\n")]);
        assert!(matches!(eval, Evaluation::Error(e) if e.contains("GitHub facts")));
    }
}
