//! `symlink`: a path must be a committed symlink with an agreed target.
//!
//! Shared files (organisation rules, agent instructions) are linked, not copied, so there
//! is one version of them. A copy drifts silently; only the git mode tells the two apart,
//! which is why this rule judges the index entry (mode 120000), not the working tree.

use super::{Rule, RuleKind, Scope};
use crate::facts::{EntryKind, Facts, Needs};
use crate::fix::{Fix, LocalFix};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{is_glob, Globs};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "symlink",
    summary: "A path is a committed symlink with the agreed target",
    scope: Scope::Tree,
    doc: r#"
## What it checks
`path` must be committed as a symlink (git mode 120000), not as a regular file, and its
target text must be `target` exactly, or match it when `target` is a glob. Unless
`must_resolve = false`, the link must also lead somewhere:

- The target is resolved as text against the link's directory (`.` and `..` are
  handled, links inside the repository are followed). Inside the repository it resolves
  when that path is a tracked file or a directory holding tracked files.
- A target that leaves the repository is never read. If it is exactly the `target` the
  policy declares (like a sibling `organisation-rules` checkout), warden only asks
  whether it exists on disk; any other target outside the repository is a gap.
- An absolute target (`/home/...`) is always a gap: it works on one machine only.

One finding at most, each with its own fix: the link is missing, it is a copy (or a
directory or submodule) instead of a symlink, its target is absolute, its target is
wrong (expected and actual are shown), it points outside the repository, or it dangles.

## Why
The Mojo Solo playbook links one organisation rule file into every repository:
`.claude/CLAUDE-ORG-RULES.mdc -> ../../organisation-rules/CLAUDE-ORG-RULES.mdc`. A
copy looks the same in an editor but stops following the organisation's rules the day
they change. Checkouts with `core.symlinks = false` (Windows without Developer Mode)
turn links into copies on the next commit, so this drifts without anyone deciding it.

## Example policy
```toml
[[rule]]
id = "claude-org-rules-link"
kind = "symlink"
path = ".claude/CLAUDE-ORG-RULES.mdc"
target = "../../organisation-rules/CLAUDE-ORG-RULES.mdc"   # exact text, or a glob
must_resolve = false   # default true
```

The `mojo-solo` pack sets `must_resolve = false`: the target lives in the sibling
`organisation-rules` checkout, which exists on developer machines but not in CI, where
only the repository itself is checked out. The link's kind and target text are still
checked there.

## Fix
When `target` is exact text (not a glob), the finding for a missing link, a copy, or a
link with another target carries a fix: `warden fix` creates the link with that target
(a copy or another link is replaced only with `--allow-delete`). A directory or
submodule in its place, and a dangling link whose target is right, are left to you.

## How to fix
Run `warden fix` (add `--stage` to stage the link), or create the link and commit it as
a link:
`ln -sfn ../../organisation-rules/CLAUDE-ORG-RULES.mdc .claude/CLAUDE-ORG-RULES.mdc`,
then `git add .claude/CLAUDE-ORG-RULES.mdc`. To replace a copy, `git rm` it first. On
Windows, enable symlinks (`git config core.symlinks true` with Developer Mode on) or git
writes copies. For a dangling link, commit its target, fix the link, or check out the
sibling repository it points to.
"#,
    parse,
};

/// How many links a resolution follows before calling it a loop (as Linux does).
const MAX_HOPS: usize = 40;

#[derive(Debug)]
struct SymlinkRule {
    path: String,
    target: Target,
    must_resolve: bool,
}

#[derive(Debug)]
enum Target {
    Exact(String),
    Glob(Globs),
}

impl Target {
    fn matches(&self, text: &str) -> bool {
        match self {
            Target::Exact(expected) => expected == text,
            Target::Glob(globs) => globs.is_match(text),
        }
    }

    /// The text to show (and to put in `ln -s` commands).
    fn shown(&self) -> &str {
        match self {
            Target::Exact(expected) => expected,
            Target::Glob(globs) => globs.patterns().first().map_or("", String::as_str),
        }
    }

    /// A target for a shell command: the exact text, or a placeholder for a glob.
    fn for_command(&self) -> String {
        match self {
            Target::Exact(expected) => expected.clone(),
            Target::Glob(globs) => format!("<target matching {}>", globs.patterns()[0]),
        }
    }
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let path = t.req_str("path", "\".claude/CLAUDE-ORG-RULES.mdc\"");
    let target = t.req_str(
        "target",
        "\"../../organisation-rules/CLAUDE-ORG-RULES.mdc\"",
    );
    let must_resolve = t.opt_bool("must_resolve").unwrap_or(true);

    let mut path_ok = true;
    if let Some(path) = &path {
        if let Some(problem) = path_problem(&path.value) {
            path_ok = false;
            t.error(
                "bad-value",
                path.span.clone(),
                "`path` of rule `symlink` must be a plain repository path",
                problem,
                "write the link's path relative to the repository root, with `/` between \
                 directories, e.g. `.claude/CLAUDE-ORG-RULES.mdc`",
            );
        }
    }
    let target = match target {
        Some(target) if target.value.starts_with('/') => {
            t.error(
                "bad-value",
                target.span,
                "`target` of rule `symlink` must be relative",
                "an absolute target",
                "an absolute link only works on one machine; write the target relative to \
                 the link's directory, e.g. `../../organisation-rules/CLAUDE-ORG-RULES.mdc`",
            );
            return None;
        }
        Some(target) if target.value.is_empty() => {
            t.error(
                "bad-value",
                target.span,
                "`target` of rule `symlink` cannot be empty",
                "empty",
                "write the link text git should record, relative to the link's directory",
            );
            return None;
        }
        Some(target) if is_glob(&target.value) => {
            let globs = t.compile_globs("target", std::slice::from_ref(&target));
            if globs.is_empty() {
                return None;
            }
            Target::Glob(globs)
        }
        Some(target) => Target::Exact(target.value),
        None => return None,
    };
    Some(Box::new(SymlinkRule {
        path: path.filter(|_| path_ok)?.value,
        target,
        must_resolve,
    }))
}

/// Why `path` is not a plain, relative, normalised repository path.
fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        Some("empty")
    } else if path.starts_with('/') {
        Some("an absolute path")
    } else if is_glob(path) {
        Some("a glob; a symlink rule names one path")
    } else if path.contains('\\') {
        Some("use `/` between directories")
    } else if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        Some("empty, `.` or `..` parts")
    } else {
        None
    }
}

impl Rule for SymlinkRule {
    fn needs(&self, needs: &mut Needs) {
        // An exact target that leaves the repository is declared by the policy: ask the
        // facts whether it exists (a stat, never a read).
        if let Target::Exact(target) = &self.target {
            if self.must_resolve && outside_path(&self.path, target).starts_with("../") {
                needs.outside.push(outside_path(&self.path, target));
            }
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        Evaluation::Checked(self.judge(facts).into_iter().collect())
    }
}

impl SymlinkRule {
    /// The fix for a missing, copied or re-pointed link: the link the policy declares.
    fn with_fix(&self, finding: Finding) -> Finding {
        match &self.target {
            Target::Exact(target) => finding.fix(Fix::Local(LocalFix::Symlink {
                path: self.path.clone(),
                target: target.clone(),
            })),
            Target::Glob(_) => finding,
        }
    }
}

impl SymlinkRule {
    fn judge(&self, facts: &Facts) -> Option<Finding> {
        let path = self.path.as_str();
        let expected = self.target.shown();
        let link_cmd = format!("ln -sfn {} {path}", self.target.for_command());
        let finding = |message: String| Finding::new(message).at(path);

        let actual = match facts.get(path).map(|e| &e.kind) {
            None if facts.is_dir(path) => {
                return Some(
                    finding(format!(
                        "`{path}` is committed as a copy (a directory), not a symlink to `{expected}`"
                    ))
                    .help(format!(
                        "replace the directory with the link: `git rm -r {path} && {link_cmd} && git add {path}`"
                    )),
                )
            }
            None => {
                return Some(
                    self.with_fix(finding(format!(
                        "`{path}` is missing: it must be a symlink to `{expected}`"
                    )))
                    .help(format!(
                        "create the link and commit it: `{}{link_cmd} && git add {path}`",
                        mkdir(path)
                    )),
                )
            }
            Some(EntryKind::File | EntryKind::Executable) => {
                return Some(
                    self.with_fix(finding(format!(
                        "`{path}` is committed as a copy, not a symlink to `{expected}`"
                    )))
                    .help(format!(
                        "replace the copy with the link: `git rm {path} && {link_cmd} && git add {path}`; \
                         on Windows enable symlinks (`git config core.symlinks true`, Developer Mode) \
                         or git writes copies"
                    )),
                )
            }
            Some(EntryKind::Submodule) => {
                return Some(
                    finding(format!(
                        "`{path}` is a submodule, not a symlink to `{expected}`"
                    ))
                    .help(format!(
                        "remove the submodule (`git rm {path}`), then `{link_cmd} && git add {path}`"
                    )),
                )
            }
            Some(EntryKind::Symlink { target }) => target.as_str(),
        };

        if actual.starts_with('/') {
            return Some(
                self.with_fix(finding(format!(
                    "`{path}` has an absolute target `{actual}`, which only works on one machine; expected `{expected}`"
                )))
                .help(format!("point it at the relative target: `{link_cmd} && git add {path}`")),
            );
        }
        if !self.target.matches(actual) {
            let wanted = match &self.target {
                Target::Exact(_) => format!("expected `{expected}`"),
                Target::Glob(_) => format!("expected a target matching `{expected}`"),
            };
            return Some(
                self.with_fix(finding(format!("`{path}` points to `{actual}`; {wanted}")))
                    .help(format!("re-point the link: `{link_cmd} && git add {path}`")),
            );
        }
        if !self.must_resolve {
            return None;
        }

        match resolve(facts, path, actual) {
            Resolution::Inside(resolved) if exists_inside(facts, &resolved) => None,
            Resolution::Inside(resolved) => Some(
                finding(format!(
                    "`{path}` -> `{actual}` is dangling: `{resolved}` is not in the repository"
                ))
                .help(format!(
                    "commit `{resolved}`, re-point the link, or set `must_resolve = false` if \
                     the target is provided outside git"
                )),
            ),
            Resolution::Outside { via }
                if via == path && matches!(self.target, Target::Exact(_)) =>
            {
                // The policy declared this outside target; the facts stat-ed it (see `needs`).
                let outside = outside_path(path, actual);
                if facts.outside_exists.get(&outside).copied().unwrap_or(false) {
                    None
                } else {
                    Some(
                        finding(format!(
                            "`{path}` -> `{actual}` is dangling: `{outside}` (from the repository \
                             root) does not exist outside the repository"
                        ))
                        .help(
                            "check out the repository it points into next to this one, or set \
                             `must_resolve = false` when the target lives outside the repository \
                             and this machine (e.g. CI) has no copy of it",
                        ),
                    )
                }
            }
            Resolution::Outside { via } => {
                let how = if via == path {
                    String::new()
                } else {
                    format!(" through the link `{via}`")
                };
                Some(
                    finding(format!(
                        "`{path}` -> `{actual}` points outside the repository{how} (not followed)"
                    ))
                    .help(
                        "point it at a file inside the repository, or declare the outside target \
                         by writing its exact text as the policy's `target` (add \
                         `must_resolve = false` if CI has no copy of it)",
                    ),
                )
            }
            Resolution::Absolute { via } => Some(
                finding(format!(
                    "`{path}` -> `{actual}` leads through `{via}`, which has an absolute target"
                ))
                .help(format!("make `{via}` a relative link")),
            ),
            Resolution::Loop => Some(
                finding(format!("`{path}` -> `{actual}` is a loop of symlinks"))
                    .help("re-point one of the links so the chain ends at a file"),
            ),
        }
    }
}

/// The target of the link at `link`, normalised as text relative to the repository root
/// (`../organisation-rules/X.mdc` for `.claude/X.mdc -> ../../organisation-rules/X.mdc`).
fn outside_path(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    let mut ups = 0;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups += 1;
                }
            }
            _ => parts.push(part),
        }
    }
    format!("{}{}", "../".repeat(ups), parts.join("/"))
}

/// `mkdir -p DIR && ` when the link lives in a directory.
fn mkdir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) => format!("mkdir -p {dir} && "),
        None => String::new(),
    }
}

fn exists_inside(facts: &Facts, path: &str) -> bool {
    path.is_empty() || facts.get(path).is_some() || facts.is_dir(path)
}

/// Where a link's target leads, worked out on the committed tree alone.
#[derive(Debug, PartialEq, Eq)]
enum Resolution {
    /// A repository path (`""` is the root); it may or may not exist.
    Inside(String),
    /// The target leaves the repository; `via` is the link whose target does that.
    Outside {
        via: String,
    },
    /// A link met on the way has an absolute target.
    Absolute {
        via: String,
    },
    Loop,
}

/// Resolve `target` against the directory of the link at `link`, following links that are
/// in the repository (as the operating system would), without touching the disk.
fn resolve(facts: &Facts, link: &str, target: &str) -> Resolution {
    let mut current: Vec<&str> = link.split('/').collect();
    current.pop();
    // Components still to walk, in reverse so the next one is at the end.
    let mut pending: Vec<&str> = target.split('/').rev().collect();
    let mut via = link.to_string();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part {
            "" | "." => continue,
            ".." => {
                if current.pop().is_none() {
                    return Resolution::Outside { via };
                }
                continue;
            }
            _ => current.push(part),
        }
        let here = current.join("/");
        if let Some(EntryKind::Symlink { target: next }) = facts.get(&here).map(|e| &e.kind) {
            hops += 1;
            if hops > MAX_HOPS {
                return Resolution::Loop;
            }
            if next.starts_with('/') {
                return Resolution::Absolute { via: here };
            }
            current.pop();
            pending.extend(next.split('/').rev());
            via = here;
        }
    }
    Resolution::Inside(current.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FileEntry, FileSource};

    const LINK: &str = ".claude/CLAUDE-ORG-RULES.mdc";
    const ORG: &str = "../../organisation-rules/CLAUDE-ORG-RULES.mdc";

    fn facts(entries: &[(&str, Option<&str>)]) -> Facts {
        let files = entries
            .iter()
            .map(|(path, target)| FileEntry {
                path: path.to_string(),
                kind: match target {
                    Some(t) => EntryKind::Symlink {
                        target: t.to_string(),
                    },
                    None => EntryKind::File,
                },
            })
            .collect();
        // A root that does not exist: nothing outside the repository can be found.
        Facts::from_entries(
            "/nonexistent/warden-test/repo".into(),
            FileSource::GitIndex,
            files,
            jiff::Timestamp::UNIX_EPOCH,
        )
    }

    fn rule(path: &str, target: &str, must_resolve: bool) -> SymlinkRule {
        let target = if is_glob(target) {
            Target::Glob(Globs::from_valid(&[target]))
        } else {
            Target::Exact(target.to_string())
        };
        SymlinkRule {
            path: path.to_string(),
            target,
            must_resolve,
        }
    }

    fn one(rule: &SymlinkRule, facts: &Facts) -> Option<Finding> {
        let Evaluation::Checked(mut findings) = rule.evaluate(facts) else {
            panic!("expected a checked evaluation")
        };
        assert!(findings.len() <= 1);
        findings.pop()
    }

    #[test]
    fn a_committed_link_with_the_declared_outside_target_passes_without_resolving() {
        let facts = facts(&[(LINK, Some(ORG))]);
        assert_eq!(one(&rule(LINK, ORG, false), &facts), None);
    }

    #[test]
    fn missing_copy_and_wrong_target_have_distinct_messages() {
        let missing = one(&rule(LINK, ORG, false), &facts(&[])).unwrap();
        assert!(missing.message.contains("is missing"), "{missing:?}");
        assert!(missing
            .help
            .unwrap()
            .contains("mkdir -p .claude && ln -sfn"));

        let copy = one(&rule(LINK, ORG, false), &facts(&[(LINK, None)])).unwrap();
        assert!(copy.message.contains("committed as a copy, not a symlink"));
        assert!(copy
            .help
            .unwrap()
            .contains("git rm .claude/CLAUDE-ORG-RULES.mdc"));

        let wrong = one(
            &rule(LINK, ORG, false),
            &facts(&[(LINK, Some("../org/CLAUDE-ORG-RULES.mdc"))]),
        )
        .unwrap();
        assert_eq!(
            wrong.message,
            format!("`{LINK}` points to `../org/CLAUDE-ORG-RULES.mdc`; expected `{ORG}`")
        );
        assert_eq!(wrong.path.as_deref(), Some(LINK));
    }

    #[test]
    fn exact_targets_carry_the_link_as_a_fix_and_globs_do_not() {
        let missing = one(&rule(LINK, ORG, false), &facts(&[])).unwrap();
        assert_eq!(
            missing.fix.as_deref(),
            Some(&Fix::Local(LocalFix::Symlink {
                path: LINK.into(),
                target: ORG.into()
            }))
        );
        let copy = one(&rule(LINK, ORG, false), &facts(&[(LINK, None)])).unwrap();
        assert!(copy.fix.is_some());
        let glob = one(
            &rule(LINK, "../../*/CLAUDE-ORG-RULES.mdc", false),
            &facts(&[]),
        )
        .unwrap();
        assert!(glob.fix.is_none(), "a glob names no one target to create");
        let directory = one(
            &rule("shared", "../x", false),
            &facts(&[("shared/a.md", None)]),
        )
        .unwrap();
        assert!(directory.fix.is_none());
    }

    #[test]
    fn a_directory_in_place_of_the_link_is_a_copy() {
        let f = one(
            &rule("shared", "../x", false),
            &facts(&[("shared/a.md", None)]),
        )
        .unwrap();
        assert!(f.message.contains("copy (a directory)"), "{f:?}");
    }

    #[test]
    fn absolute_targets_are_refused_even_when_they_would_match_a_glob() {
        let facts = facts(&[(LINK, Some("/home/me/org/CLAUDE-ORG-RULES.mdc"))]);
        let f = one(&rule(LINK, "**/CLAUDE-ORG-RULES.mdc", true), &facts).unwrap();
        assert!(f.message.contains("absolute target"), "{f:?}");
    }

    #[test]
    fn glob_targets_match_the_link_text() {
        let facts = facts(&[
            ("docs/rules.md", Some("../shared/rules-v2.md")),
            ("shared/rules-v2.md", None),
        ]);
        assert_eq!(
            one(&rule("docs/rules.md", "../shared/rules-*.md", true), &facts),
            None
        );
        let f = one(
            &rule("docs/rules.md", "../shared/policy-*.md", true),
            &facts,
        )
        .unwrap();
        assert!(f
            .message
            .contains("expected a target matching `../shared/policy-*.md`"));
    }

    #[test]
    fn inside_targets_resolve_against_the_committed_tree() {
        let facts = facts(&[
            ("a/b/link", Some("../../docs/./guide.md")),
            ("a/b/dir-link", Some("../../docs")),
            ("a/b/hop", Some("../../alias.md")),
            ("alias.md", Some("docs/guide.md")),
            ("a/b/dangling", Some("../gone.md")),
            ("docs/guide.md", None),
        ]);
        assert_eq!(
            one(&rule("a/b/link", "../../docs/./guide.md", true), &facts),
            None
        );
        assert_eq!(one(&rule("a/b/dir-link", "../../docs", true), &facts), None);
        assert_eq!(one(&rule("a/b/hop", "../../alias.md", true), &facts), None);
        let f = one(&rule("a/b/dangling", "../gone.md", true), &facts).unwrap();
        assert_eq!(
            f.message,
            "`a/b/dangling` -> `../gone.md` is dangling: `a/gone.md` is not in the repository"
        );
    }

    #[test]
    fn resolution_handles_escapes_loops_and_absolute_hops() {
        let facts = facts(&[
            ("x", Some("y")),
            ("y", Some("x")),
            ("abs", Some("/etc/passwd")),
            ("out", Some("../elsewhere")),
        ]);
        assert_eq!(resolve(&facts, "x", "y"), Resolution::Loop);
        assert_eq!(
            resolve(&facts, "d/l", "../../o"),
            Resolution::Outside { via: "d/l".into() }
        );
        assert_eq!(
            resolve(&facts, "d/l", "../abs"),
            Resolution::Absolute { via: "abs".into() }
        );
        assert_eq!(
            resolve(&facts, "d/l", "../out/f"),
            Resolution::Outside { via: "out".into() }
        );
        assert_eq!(
            resolve(&facts, "d/l", ".."),
            Resolution::Inside(String::new())
        );
    }

    #[test]
    fn an_undeclared_outside_target_is_not_followed() {
        let facts = facts(&[("l", Some("../../etc/passwd"))]);
        let f = one(&rule("l", "../../*/passwd", true), &facts).unwrap();
        assert!(
            f.message
                .contains("points outside the repository (not followed)"),
            "{f:?}"
        );
    }

    #[test]
    fn a_declared_outside_target_that_is_absent_dangles_when_it_must_resolve() {
        let facts = facts(&[(LINK, Some(ORG))]);
        let f = one(&rule(LINK, ORG, true), &facts).unwrap();
        assert!(f.message.contains("is dangling"), "{f:?}");
        assert!(f.message.contains("does not exist outside the repository"));
        assert!(f.help.unwrap().contains("must_resolve = false"));
    }

    #[test]
    fn outside_paths_are_shown_from_the_repository_root() {
        assert_eq!(
            outside_path(LINK, ORG),
            "../organisation-rules/CLAUDE-ORG-RULES.mdc"
        );
        assert_eq!(outside_path("l", "../a/../b/./c"), "../b/c");
    }

    #[test]
    fn paths_must_be_plain() {
        assert_eq!(path_problem(".claude/x.mdc"), None);
        assert!(path_problem("/abs").is_some());
        assert!(path_problem("a/*.md").is_some());
        assert!(path_problem("./a").is_some());
        assert!(path_problem("a//b").is_some());
    }
}
