//! `required-files`: files every repository of a kind must have.
//!
//! Presence is judged on the git index, so in `--staged` mode a required file that the
//! commit does not touch still counts, and a file that exists only untracked never does.

use super::{Rule, RuleKind, Scope};
use crate::facts::{EntryKind, Facts, Needs};
use crate::fix::{Content, Fix, LocalFix};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{compile_glob, is_glob, Globs, Pattern};
use crate::policy::reader::{Sp, TableReader};

pub const KIND: RuleKind = RuleKind {
    id: "required-files",
    summary: "Required files exist (and say what they must)",
    scope: Scope::Tree,
    doc: r#"
## What it checks
Every entry of `paths` must exist: a plain path must be a tracked file (or a directory
holding tracked files), a glob must match at least `min_count` tracked files (default
1). Of the entries in `one_of`, at least one must exist, for files that may live in
several places. With `contains`, every file found this way must match that regex
somewhere in its text (use `(?m)^...$` to match whole lines).

Files are judged as committed or staged (the git index), never untracked ones.

## Why
Playbooks name files that every repository carries: `docs/SDLC-OPS-PLAYBOOK.md`, a
`CODEOWNERS` that routes reviews, ADRs under `docs/adr/`, a README that says how to run
the thing. They get forgotten in new repositories and deleted in clean-ups, and nobody
notices until the review that needed them.

## Example policy
```toml
[[rule]]
id = "playbook"
kind = "required-files"
paths = ["docs/SDLC-OPS-PLAYBOOK.md", "README.md"]

[[rule]]
id = "codeowners"
kind = "required-files"
one_of = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
contains = '(?m)^\*\s+@'                 # a default owner for everything

[[rule]]
id = "adrs"
kind = "required-files"
paths = ["docs/adr/*.md"]
min_count = 3                             # for globs in `paths`
```

## Fix
When the rule requires one file (`paths` with one plain file path, or `one_of`, whose
first entry is created), it may say what the file holds, and `warden fix` creates it
(never over an existing file unless `--allow-delete`). One of:

- `fix = "TEXT"`: the text itself;
- `fix_template = "templates/CODEOWNERS"`: a text file beside the policy file (relative
  to its folder, without `..`; read without following symlinks, so it stays there);
- `fix_from = "github:ORG/REPO/PATH@REF"`: a file in another repository, read through
  the GitHub API at a pinned branch, tag or commit.

An inline `fix` must itself match `contains`.

```toml
[[rule]]
id = "codeowners"
kind = "required-files"
one_of = [".github/CODEOWNERS", "CODEOWNERS"]
contains = '(?m)^\*\s+@'
fix = "* @my-org/maintainers\n"
```

## How to fix
Create the missing file (the finding names it) and commit it, or run `warden fix` when
the rule carries a fix. For a glob, add files until enough match; for `contains`, edit
the file so the regex matches (the finding names the regex). If the requirement does not apply to this repository, switch the rule
off in its policy with `level = "off"`.
"#,
    parse,
};

#[derive(Debug)]
struct RequiredFiles {
    paths: Vec<Entry>,
    one_of: Vec<Entry>,
    min_count: u64,
    contains: Option<Pattern>,
    /// What `warden fix` writes to the one required file, when the policy says.
    fix: Option<Content>,
}

/// One entry of `paths` or `one_of`.
#[derive(Debug)]
enum Entry {
    /// A file or directory; `dir_only` when written with a trailing `/`.
    Plain {
        path: String,
        dir_only: bool,
    },
    Glob(Globs),
}

impl Entry {
    fn text(&self) -> String {
        match self {
            Entry::Plain { path, dir_only } => {
                format!("{path}{}", if *dir_only { "/" } else { "" })
            }
            Entry::Glob(globs) => globs.patterns()[0].clone(),
        }
    }
}

/// What an entry found in the tree.
struct Found<'f> {
    /// Tracked entries (files, links, submodules) it names or matches.
    files: Vec<&'f str>,
    /// A plain entry that names a directory with tracked files.
    directory: bool,
}

impl Found<'_> {
    fn exists(&self) -> bool {
        self.directory || !self.files.is_empty()
    }
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut ok = true;
    let paths = entries(t, "paths", &mut ok);
    let one_of = entries(t, "one_of", &mut ok);
    let min_count = t.opt_u64("min_count");
    let contains = match t.raw("contains") {
        Some(_) => {
            let regex = t.regex("contains");
            ok &= regex.is_some();
            regex
        }
        None => None,
    };

    if !t.has("paths") && !t.has("one_of") {
        let span = t.span();
        t.error(
            "missing-key",
            span.start..span.start + 8,
            "rule `required-files` needs `paths` or `one_of`",
            "neither is given",
            "add `paths = [\"README.md\"]`, or `one_of = [\".github/CODEOWNERS\", \"CODEOWNERS\"]` \
             when any one of several places will do",
        );
        return None;
    }
    if ok && paths.is_empty() && one_of.is_empty() {
        let key = if t.has("paths") { "paths" } else { "one_of" };
        let span = t.raw(key).map(|v| v.span()).unwrap_or_else(|| t.span());
        t.error(
            "bad-value",
            span,
            "rule `required-files` requires nothing",
            "an empty list",
            "list at least one path or glob in `paths` or `one_of`",
        );
        return None;
    }
    if let (Some(count), Some(raw)) = (min_count, t.raw("min_count")) {
        let span = raw.span();
        if count == 0 {
            t.error(
                "bad-value",
                span,
                "`min_count` of rule `required-files` must be at least 1",
                "0 requires nothing",
                "remove the glob from `paths` instead, or set `min_count = 1` or more",
            );
            ok = false;
        } else if !paths.iter().any(|e| matches!(e, Entry::Glob(_))) {
            t.error(
                "bad-value",
                span,
                "`min_count` of rule `required-files` applies only to globs in `paths`",
                "`paths` has no glob",
                "plain paths must simply exist and `one_of` needs just one: remove `min_count`, \
                 or write a glob in `paths` such as `docs/adr/*.md`",
            );
            ok = false;
        }
    }
    let fix = fix_content(t, &paths, &one_of, contains.as_ref(), &mut ok);
    let bad_min_count = t.has("min_count") && min_count.is_none();
    if !ok || bad_min_count {
        return None;
    }
    Some(Box::new(RequiredFiles {
        paths,
        one_of,
        min_count: min_count.unwrap_or(1),
        contains,
        fix,
    }))
}

/// The keys that say what `warden fix` writes; at most one may be given.
const FIX_KEYS: [&str; 3] = ["fix", "fix_template", "fix_from"];

/// Read `fix` / `fix_template` / `fix_from`, reporting each problem at its span.
fn fix_content(
    t: &mut TableReader<'_, '_>,
    paths: &[Entry],
    one_of: &[Entry],
    contains: Option<&Pattern>,
    ok: &mut bool,
) -> Option<Content> {
    let given: Vec<(&'static str, Sp<String>)> = FIX_KEYS
        .iter()
        .filter_map(|&key| t.opt_str(key).map(|v| (key, v)))
        .collect();
    let bad_type = FIX_KEYS.iter().any(|key| t.has(key)) && given.is_empty();
    let (key, value) = match given.as_slice() {
        [] => {
            *ok &= !bad_type;
            return None;
        }
        [one] => one.clone(),
        [_, (key, second), ..] => {
            t.error(
                "bad-value",
                second.span.clone(),
                format!("`{key}` of rule `required-files` is a second fix"),
                "one of `fix`, `fix_template`, `fix_from` only",
                "keep the one that says what the file should hold: inline text (`fix`), a \
                 file beside the policy (`fix_template`), or `fix_from = \"github:ORG/REPO/PATH@REF\"`",
            );
            *ok = false;
            return None;
        }
    };
    // The one file the fix creates.
    let single_file = |entries: &[Entry]| {
        matches!(
            entries.first(),
            Some(Entry::Plain {
                dir_only: false,
                ..
            })
        )
    };
    let target_ok = match (paths.len(), one_of.is_empty()) {
        (1, true) => single_file(paths),
        (0, false) => single_file(one_of),
        _ => false,
    };
    if !target_ok {
        t.error(
            "bad-value",
            value.span.clone(),
            format!("`{key}` of rule `required-files` needs the rule to require one file"),
            "which file would this create?",
            "give the fix in a rule whose `paths` is one plain file path (or whose `one_of` \
             starts with one: that one is created); split the other paths into their own rule",
        );
        *ok = false;
        return None;
    }
    let content = match key {
        "fix" => {
            if let Some(c) = contains.filter(|c| !c.regex.is_match(&value.value)) {
                t.error(
                    "bad-value",
                    value.span.clone(),
                    "the `fix` text of rule `required-files` does not match its `contains`",
                    format!("no match for `{}`", c.source),
                    "write fix text that the `contains` regex matches, or the fixed file \
                     would still be a gap",
                );
                *ok = false;
                return None;
            }
            Content::Inline(value.value)
        }
        "fix_template" => {
            let relative = !value.value.is_empty()
                && !value.value.starts_with('/')
                && !value.value.contains('\\')
                && !value
                    .value
                    .split('/')
                    .any(|p| p == ".." || p == "." || p.is_empty());
            match (&t.src.dir, relative) {
                (Some(dir), true) => Content::Template {
                    dir: dir.clone(),
                    path: value.value,
                },
                (None, _) => {
                    t.error(
                        "bad-value",
                        value.span.clone(),
                        "`fix_template` needs a policy file on disk",
                        "this policy has no folder (built-in or remote)",
                        "use `fix` with the text inline, or `fix_from = \"github:ORG/REPO/PATH@REF\"`",
                    );
                    *ok = false;
                    return None;
                }
                (Some(_), false) => {
                    t.error(
                        "bad-value",
                        value.span.clone(),
                        "`fix_template` must be a path inside the policy's folder",
                        "absolute, empty or with `..`",
                        "write the template's path relative to the policy file, e.g. \
                         `templates/CODEOWNERS`",
                    );
                    *ok = false;
                    return None;
                }
            }
        }
        _ => match crate::policy::RemotePolicy::parse(&value.value) {
            Some(remote) if remote.git_ref.is_some() => Content::GitHub {
                repo: format!("{}/{}", remote.owner, remote.repo),
                path: remote.path,
                reference: remote.git_ref.unwrap_or_default(),
            },
            _ => {
                t.error(
                    "bad-value",
                    value.span.clone(),
                    "`fix_from` of rule `required-files` must be `github:ORG/REPO/PATH@REF`",
                    "not github:ORG/REPO/PATH@REF",
                    "name the file and pin it to a branch, tag or commit, e.g. \
                     `github:my-org/templates/CODEOWNERS@main`",
                );
                *ok = false;
                return None;
            }
        },
    };
    Some(content)
}

/// Read the entries under `key`, reporting bad globs and unusable paths.
fn entries(t: &mut TableReader<'_, '_>, key: &'static str, ok: &mut bool) -> Vec<Entry> {
    let Some(items) = t.str_list(key) else {
        *ok &= !t.has(key);
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        if is_glob(&item.value) {
            let globs = t.compile_globs(key, std::slice::from_ref(&item));
            if globs.is_empty() {
                *ok = false;
            } else {
                out.push(Entry::Glob(globs));
            }
            continue;
        }
        match plain(&item) {
            Ok(entry) => out.push(entry),
            Err(problem) => {
                t.error(
                    "bad-value",
                    item.span.clone(),
                    format!("`{key}` of rule `required-files` needs repository paths"),
                    problem,
                    "write paths relative to the repository root with `/` between directories, \
                     e.g. `docs/SDLC-OPS-PLAYBOOK.md` or `docs/templates/`",
                );
                *ok = false;
            }
        }
    }
    out
}

fn plain(item: &Sp<String>) -> Result<Entry, &'static str> {
    let text = item.value.as_str();
    let (path, dir_only) = match text.strip_suffix('/') {
        Some(dir) => (dir, true),
        None => (text, false),
    };
    if path.is_empty() {
        Err("empty")
    } else if path.starts_with('/') {
        Err("an absolute path")
    } else if path.contains('\\') {
        Err("use `/` between directories")
    } else if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        Err("empty, `.` or `..` parts")
    } else {
        Ok(Entry::Plain {
            path: path.to_string(),
            dir_only,
        })
    }
}

impl Rule for RequiredFiles {
    fn needs(&self, needs: &mut Needs) {
        if self.contains.is_none() {
            return;
        }
        let mut globs = Vec::new();
        let mut patterns = Vec::new();
        for entry in self.paths.iter().chain(&self.one_of) {
            match entry {
                Entry::Plain { path, .. } => {
                    let escaped = globset::escape(path);
                    if let Ok(glob) = compile_glob(&escaped) {
                        globs.push(glob);
                        patterns.push(escaped);
                    }
                }
                Entry::Glob(g) => {
                    if let Ok(glob) = compile_glob(&g.patterns()[0]) {
                        globs.push(glob);
                        patterns.push(g.patterns()[0].clone());
                    }
                }
            }
        }
        // Streamed: a glob may match many large files, judged one at a time.
        needs.streamed.push(Globs::from_compiled(globs, patterns));
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let mut findings = Vec::new();
        let mut checked: Vec<&str> = Vec::new();

        for entry in &self.paths {
            let found = find(facts, entry);
            match entry {
                Entry::Plain { path, dir_only } if !found.exists() => {
                    findings.push(self.missing(path, *dir_only));
                }
                Entry::Glob(_) if (found.files.len() as u64) < self.min_count => {
                    findings.push(self.too_few(&entry.text(), found.files.len()));
                }
                _ => {}
            }
            self.content_targets(entry, &found, &mut checked, &mut findings);
        }

        if !self.one_of.is_empty() {
            let found: Vec<Found> = self.one_of.iter().map(|e| find(facts, e)).collect();
            if found.iter().any(Found::exists) {
                for (entry, found) in self.one_of.iter().zip(&found) {
                    self.content_targets(entry, found, &mut checked, &mut findings);
                }
            } else {
                findings.push(self.none_of());
            }
        }

        let Some(contains) = &self.contains else {
            return Evaluation::Checked(findings);
        };
        let mut unreadable = Vec::new();
        let mut regular = Vec::with_capacity(checked.len());
        for path in checked {
            match facts.get(path).map(|e| &e.kind) {
                Some(EntryKind::File | EntryKind::Executable) => regular.push(path),
                _ => {
                    findings.push(
                        Finding::new(format!(
                            "`{path}` is not a regular file (a symlink or submodule), so its text \
                             cannot be checked against `{}`",
                            contains.source
                        ))
                        .at(path)
                        .help("commit a regular file here, or narrow the rule's paths"),
                    );
                    continue;
                }
            }
        }
        // Each text is judged and dropped as it is read; only the verdicts are kept.
        let verdicts = facts.scan_texts(&regular, |_, text| match text {
            Ok(text) => Ok(contains.regex.is_match(text)),
            Err(reason) => Err(reason.to_string()),
        });
        for (path, verdict) in regular.into_iter().zip(verdicts) {
            match verdict {
                Ok(true) => {}
                Ok(false) => findings.push(
                    Finding::new(format!(
                        "`{path}` does not match the required pattern `{}`",
                        contains.source
                    ))
                    .at(path)
                    .line(Some(1))
                    .help(format!(
                        "edit `{path}` so its text matches the regex `{}`",
                        contains.source
                    )),
                ),
                Err(reason) => unreadable.push(format!("`{path}`: {reason}")),
            }
        }
        if !unreadable.is_empty() {
            return Evaluation::Error(format!(
                "cannot check `contains` for {}",
                unreadable.join("; ")
            ));
        }
        Evaluation::Checked(findings)
    }
}

impl RequiredFiles {
    fn missing(&self, path: &str, dir_only: bool) -> Finding {
        let (message, help) = if dir_only {
            (
                format!("required directory `{path}/` is missing (or holds no tracked file)"),
                format!("create `{path}/` with at least one file in it and commit it"),
            )
        } else {
            let help = match &self.contains {
                Some(c) => format!(
                    "create `{path}` with text that matches the regex `{}` and commit it",
                    c.source
                ),
                None => format!("create `{path}` and commit it"),
            };
            (format!("required file `{path}` is missing"), help)
        };
        self.with_fix(Finding::new(message).at(path).help(help), path)
    }

    /// Attach the policy's fix (it exists only when the rule requires one file).
    fn with_fix(&self, finding: Finding, path: &str) -> Finding {
        match &self.fix {
            Some(content) => finding.fix(Fix::Local(LocalFix::CreateFile {
                path: path.to_string(),
                content: content.clone(),
            })),
            None => finding,
        }
    }

    fn too_few(&self, pattern: &str, found: usize) -> Finding {
        let message = match (found, self.min_count) {
            (0, 1) => format!("no file matches the required glob `{pattern}`"),
            (n, min) => format!(
                "{n} file{} match{} the required glob `{pattern}`; at least {min} required",
                if n == 1 { "" } else { "s" },
                if n == 1 { "es" } else { "" }
            ),
        };
        let mut help = format!(
            "add and commit files matching `{pattern}` until there are at least {}",
            self.min_count
        );
        if let Some(c) = &self.contains {
            help.push_str(&format!("; each must match the regex `{}`", c.source));
        }
        Finding::new(message)
            .help(help)
            .subject(format!("glob:{pattern}"))
    }

    fn none_of(&self) -> Finding {
        let all: Vec<String> = self.one_of.iter().map(Entry::text).collect();
        let first = &all[0];
        let mut finding = Finding::new(format!(
            "none of `{}` exists; one of them is required",
            all.join("`, `")
        ))
        .subject(format!("one_of:{}", all.join("|")));
        if let Entry::Plain { path, .. } = &self.one_of[0] {
            finding = self.with_fix(finding.at(path.clone()), path);
        }
        let mut help = format!("create `{first}` (or one of the other places) and commit it");
        if let Some(c) = &self.contains {
            help.push_str(&format!("; it must match the regex `{}`", c.source));
        }
        finding.help(help)
    }

    /// Queue the files an entry found for the `contains` check, once each.
    fn content_targets<'f>(
        &self,
        entry: &Entry,
        found: &Found<'f>,
        checked: &mut Vec<&'f str>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(contains) = &self.contains else {
            return;
        };
        if found.directory {
            if let Entry::Plain { path, .. } = entry {
                findings.push(
                    Finding::new(format!(
                        "`{path}` is a directory, so its text cannot be checked against `{}`",
                        contains.source
                    ))
                    .at(path.clone())
                    .help("name the files that must match in `paths` (globs work), or drop `contains`"),
                );
            }
            return;
        }
        for path in &found.files {
            if !checked.contains(path) {
                checked.push(path);
            }
        }
    }
}

fn find<'f>(facts: &'f Facts, entry: &Entry) -> Found<'f> {
    match entry {
        Entry::Glob(globs) => Found {
            files: facts
                .files_matching(globs)
                .map(|f| f.path.as_str())
                .collect(),
            directory: false,
        },
        Entry::Plain { path, dir_only } => {
            let file = if *dir_only {
                None
            } else {
                facts.get(path).map(|f| f.path.as_str())
            };
            Found {
                directory: file.is_none() && facts.is_dir(path),
                files: file.into_iter().collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::patterns::compile_regex;

    fn facts(files: &[(&str, &str)]) -> Facts {
        Facts::from_texts(files, jiff::Timestamp::UNIX_EPOCH)
    }

    fn entry(text: &str) -> Entry {
        if is_glob(text) {
            Entry::Glob(Globs::from_valid(&[text]))
        } else {
            plain(&Sp {
                value: text.to_string(),
                span: 0..0,
            })
            .ok()
            .unwrap()
        }
    }

    fn rule(
        paths: &[&str],
        one_of: &[&str],
        min_count: u64,
        contains: Option<&str>,
    ) -> RequiredFiles {
        RequiredFiles {
            paths: paths.iter().map(|p| entry(p)).collect(),
            one_of: one_of.iter().map(|p| entry(p)).collect(),
            min_count,
            contains: contains.map(|c| compile_regex(c).ok().unwrap()),
            fix: None,
        }
    }

    fn findings(rule: &RequiredFiles, facts: &Facts) -> Vec<Finding> {
        match rule.evaluate(facts) {
            Evaluation::Checked(findings) => findings,
            other => panic!("expected a checked evaluation, got {other:?}"),
        }
    }

    #[test]
    fn plain_paths_must_exist_and_directories_count() {
        let facts = facts(&[("README.md", ""), ("docs/templates/incident.md", "")]);
        let r = rule(
            &[
                "README.md",
                "docs/templates",
                "docs/templates/",
                "docs/SDLC-OPS-PLAYBOOK.md",
                "README.md/",
            ],
            &[],
            1,
            None,
        );
        let found = findings(&r, &facts);
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "required file `docs/SDLC-OPS-PLAYBOOK.md` is missing",
                "required directory `README.md/` is missing (or holds no tracked file)",
            ]
        );
        assert_eq!(found[0].path.as_deref(), Some("docs/SDLC-OPS-PLAYBOOK.md"));
    }

    #[test]
    fn globs_need_min_count_matches() {
        let facts = facts(&[("docs/adr/001.md", ""), ("docs/adr/002.md", "")]);
        assert!(findings(&rule(&["docs/adr/*.md"], &[], 2, None), &facts).is_empty());
        let found = findings(
            &rule(&["docs/adr/*.md", "docs/rfc/*.md"], &[], 3, None),
            &facts,
        );
        assert_eq!(
            found[0].message,
            "2 files match the required glob `docs/adr/*.md`; at least 3 required"
        );
        assert_eq!(
            found[1].message,
            "0 files match the required glob `docs/rfc/*.md`; at least 3 required"
        );
        let found = findings(&rule(&["docs/rfc/*.md"], &[], 1, None), &facts);
        assert_eq!(
            found[0].message,
            "no file matches the required glob `docs/rfc/*.md`"
        );
        assert_eq!(found[0].path, None);
        assert_eq!(found[0].subject.as_deref(), Some("glob:docs/rfc/*.md"));
    }

    #[test]
    fn one_of_needs_any_single_place() {
        let places = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
        assert!(findings(
            &rule(&[], &places, 1, None),
            &facts(&[("docs/CODEOWNERS", "* @a")])
        )
        .is_empty());
        let found = findings(&rule(&[], &places, 1, None), &facts(&[("README.md", "")]));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "none of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` exists; one of them is required"
        );
        assert_eq!(found[0].path.as_deref(), Some(".github/CODEOWNERS"));
    }

    #[test]
    fn contains_checks_every_found_file_once() {
        let facts = facts(&[
            ("CODEOWNERS", "# nobody\n"),
            (".github/CODEOWNERS", "* @org/platform\n"),
            ("docs/adr/001.md", "Status: accepted"),
            ("docs/adr/002.md", "draft"),
        ]);
        let r = rule(
            &["docs/adr/*.md", "docs/adr/002.md"],
            &[".github/CODEOWNERS", "CODEOWNERS"],
            1,
            Some(r"(?m)^(\* @|Status:)"),
        );
        let found = findings(&r, &facts);
        let paths: Vec<_> = found.iter().map(|f| f.path.clone().unwrap()).collect();
        assert_eq!(paths, ["docs/adr/002.md", "CODEOWNERS"]);
        assert_eq!(found[0].line, Some(1));
        assert!(found[0].message.contains(r"`(?m)^(\* @|Status:)`"));
    }

    #[test]
    fn unreadable_content_is_an_error_not_a_pass() {
        let mut facts = facts(&[("README.md", "")]);
        facts.contents.insert(
            "README.md".into(),
            Err("larger than 8388608 bytes; not read".into()),
        );
        let Evaluation::Error(reason) = rule(&["README.md"], &[], 1, Some("x")).evaluate(&facts)
        else {
            panic!("expected an error")
        };
        assert!(
            reason.contains("README.md") && reason.contains("not read"),
            "{reason}"
        );
    }

    #[test]
    fn needs_asks_for_the_text_of_plain_paths_and_globs() {
        let mut needs = Needs::default();
        let mut r = rule(&["docs/*.md"], &["CODEOWNERS"], 1, Some("x"));
        // Plain paths are matched literally, whatever characters they hold.
        r.paths.push(Entry::Plain {
            path: "a[1].md".into(),
            dir_only: false,
        });
        r.needs(&mut needs);
        assert!(needs.content.is_empty());
        let globs = &needs.streamed[0];
        assert!(globs.is_match("a[1].md"));
        assert!(!globs.is_match("a1.md"));
        assert!(globs.is_match("docs/x.md"));
        assert!(globs.is_match("CODEOWNERS"));

        let mut needs = Needs::default();
        rule(&["README.md"], &[], 1, None).needs(&mut needs);
        assert!(needs.content.is_empty() && needs.streamed.is_empty());
    }
}
