//! `forbidden-files`: paths that must not exist in the repository (optionally only when
//! their text matches a regex, e.g. an `.npmrc` holding a credential).

use super::{Rule, RuleKind, Scope};
use crate::facts::{EntryKind, Facts, FileEntry, Needs};
use crate::fix::{Fix, LocalFix};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{Globs, Pattern};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "forbidden-files",
    summary: "No tracked file matches a forbidden pattern",
    scope: Scope::Paths,
    doc: r#"
## What it checks
No tracked (or staged) file matches any of the `paths` globs, unless it also matches
`exclude`. Each offending file is a finding that repeats the policy's `reason`.

With `contains` (a regex), a matching file is forbidden only when its text matches the
regex: an `.npmrc` holding `engine-strict=true` passes, one holding an `_authToken` does
not. The finding names the line but never repeats the matched text. A file whose text
cannot be read (too large, a symlink, a PR file absent from the checkout) makes the rule
`error`, never a pass.

## Why
Some files are a decision, not an accident: a `Dockerfile` in a no-Docker organisation,
`.cursor/` rules where Claude rule files are the standard, or a committed `.env` or
private key, which is an incident.

## Example policy
```toml
[[rule]]
id = "no-secrets-files"
kind = "forbidden-files"
paths = ["**/.env", "**/.env.*", "**/*.pem", "**/id_rsa"]
exclude = ["**/.env.example"]
reason = "secrets live in the secret manager, never in git"

[[rule]]
id = "npmrc-credentials"
kind = "forbidden-files"
paths = ["**/.npmrc"]
# A literal token, not a `${NPM_TOKEN}` reference.
contains = '(?mi)^\s*(//\S*:)?(_authToken|_auth|_password)\s*=\s*[^\s$]'
reason = "registry credentials live in the CI secret store"
```

## Fix
Without `contains`, each finding carries a fix that deletes the file. `warden fix`
performs it only with `--allow-delete` (and stages the removal only with `--stage`). A
file forbidden for its text gets no fix: the right change is removing the text.

## How to fix
Remove the file from git (`git rm --cached FILE`, and rotate it if it held a secret), or
narrow the pattern with `exclude` if this file is a legitimate exception.
`warden fix --allow-delete` deletes it from the checkout.
"#,
    parse,
};

#[derive(Debug)]
struct ForbiddenFiles {
    paths: Globs,
    exclude: Globs,
    reason: Option<String>,
    contains: Option<Pattern>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let paths = t.req_str_list("paths", "[\"**/.env\", \"**/*.pem\"]");
    let paths = paths.map(|items| t.compile_globs("paths", &items));
    let exclude = t.globs("exclude").unwrap_or_else(Globs::empty);
    let reason = t.opt_str("reason").map(|r| r.value);
    let contains = if t.has("contains") {
        Some(t.regex("contains")?)
    } else {
        t.mark_known(&["contains"]);
        None
    };
    Some(Box::new(ForbiddenFiles {
        paths: paths?,
        exclude,
        reason,
        contains,
    }))
}

/// The text of a candidate file. The one place this rule reads content, so a change in
/// how facts hold text touches only this function.
fn text_of<'f>(facts: &'f Facts, file: &FileEntry) -> Result<&'f str, String> {
    if !matches!(file.kind, EntryKind::File | EntryKind::Executable) {
        return Err("not a regular file (a symlink or submodule)".to_string());
    }
    match facts.content(&file.path) {
        Some(Ok(text)) => Ok(text),
        Some(Err(reason)) => Err(reason.clone()),
        None => Err("its text was not gathered (not in the checkout)".to_string()),
    }
}

impl Rule for ForbiddenFiles {
    fn needs(&self, needs: &mut Needs) {
        if self.contains.is_some() {
            needs.content.push(self.paths.clone());
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let mut unreadable = Vec::new();
        let findings: Vec<Finding> = facts
            .candidates_matching(&self.paths)
            .filter(|f| !self.exclude.is_match(&f.path))
            .filter_map(|f| {
                let Some(contains) = &self.contains else {
                    return Some((f, None));
                };
                match text_of(facts, f) {
                    Ok(text) => contains.regex.find(text).map(|m| {
                        let line = text[..m.start()].matches('\n').count() as u32 + 1;
                        (f, Some((line, contains.source.as_str())))
                    }),
                    Err(reason) => {
                        unreadable.push(format!("`{}`: {reason}", f.path));
                        None
                    }
                }
            })
            .map(|(f, matched)| {
                let pattern = self
                    .paths
                    .matches(&f.path)
                    .first()
                    .map(|i| self.paths.patterns()[*i].clone())
                    .unwrap_or_default();
                // The matched text may be a secret: name the line, never quote it.
                let what = match matched {
                    Some((line, regex)) => format!(
                        "`{}` is forbidden (`{pattern}`) when its text matches `{regex}`, and line {line} does",
                        f.path
                    ),
                    None if self.reason.is_some() => format!("`{}` is forbidden (`{pattern}`)", f.path),
                    None => format!("`{}` is forbidden by `{pattern}`", f.path),
                };
                let message = match &self.reason {
                    Some(reason) => format!("{what}: {reason}"),
                    None => what,
                };
                let help = match matched {
                    Some(_) => format!("remove the matching text from `{}` (rotate it if it is a credential; reference an environment variable such as `${{NPM_TOKEN}}` instead), or remove the file from git (`git rm --cached {}`)", f.path, f.path),
                    None => format!("remove it from git (`git rm --cached {}`), or add an `exclude` if it is a legitimate exception", f.path),
                };
                let finding = Finding::new(message)
                    .at(&f.path)
                    .line(matched.map(|(line, _)| line))
                    .help(help);
                // A file forbidden for a line of its text is mended, not deleted.
                match matched {
                    None => finding.fix(Fix::Local(LocalFix::Delete { path: f.path.clone() })),
                    Some(_) => finding,
                }
            })
            .collect();
        if !unreadable.is_empty() {
            return Evaluation::Error(format!(
                "cannot check `contains` for {}",
                unreadable.join("; ")
            ));
        }
        Evaluation::Checked(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::{Facts, Needs};
    use crate::model::Evaluation;

    /// The `npmrc-credentials` rule of `builtin:default`, as shipped.
    fn default_pack() -> crate::policy::Policy {
        let text = crate::policy::builtin::text("default").unwrap();
        crate::policy::load_text("builtin:default", text).unwrap()
    }

    fn judge(id: &str, files: &[(&str, &str)]) -> Evaluation {
        let policy = default_pack();
        let rule = policy.rules.iter().find(|r| r.id == id).unwrap();
        let facts = Facts::from_texts(files, jiff::Timestamp::UNIX_EPOCH);
        rule.rule.evaluate(&facts)
    }

    #[test]
    fn plain_forbidden_files_carry_a_delete_and_text_matches_do_not() {
        use crate::fix::{Fix, LocalFix};
        let Evaluation::Checked(found) = judge("no-secrets-files", &[("deploy/key.pem", "x")])
        else {
            panic!("checked")
        };
        assert_eq!(
            found[0].fix.as_deref(),
            Some(&Fix::Local(LocalFix::Delete {
                path: "deploy/key.pem".into()
            }))
        );
        let Evaluation::Checked(found) = judge(
            "npmrc-credentials",
            &[(".npmrc", "//registry.npmjs.org/:_authToken=abc123\n")],
        ) else {
            panic!("checked")
        };
        assert_eq!(found.len(), 1);
        assert!(
            found[0].fix.is_none(),
            "the text is mended, not the file deleted"
        );
    }

    #[test]
    fn config_only_npmrc_passes_builtin_default() {
        let files = [
            (".npmrc", "engine-strict=true\nsave-exact=true\n"),
            (
                "web/.npmrc",
                "@acme:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n",
            ),
        ];
        assert_eq!(
            judge("npmrc-credentials", &files),
            Evaluation::Checked(vec![])
        );
        assert_eq!(
            judge("no-secrets-files", &files),
            Evaluation::Checked(vec![])
        );
    }

    #[test]
    fn npmrc_with_a_literal_token_is_forbidden_at_its_line_without_echoing_it() {
        let token = "npm_0123456789abcdefghijABCDEFGHIJ012345";
        let text = format!("engine-strict=true\n//registry.npmjs.org/:_authToken={token}\n");
        let Evaluation::Checked(findings) = judge("npmrc-credentials", &[(".npmrc", &text)]) else {
            panic!("not checked")
        };
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some(".npmrc"));
        assert_eq!(findings[0].line, Some(2));
        assert!(
            findings[0].message.contains("line 2"),
            "{}",
            findings[0].message
        );
        let all = format!("{findings:?}");
        assert!(!all.contains(token), "the credential leaked: {all}");
    }

    #[test]
    fn unreadable_text_is_an_error_not_a_pass() {
        let policy = default_pack();
        let rule = policy
            .rules
            .iter()
            .find(|r| r.id == "npmrc-credentials")
            .unwrap();
        let mut facts = Facts::from_texts(&[(".npmrc", "")], jiff::Timestamp::UNIX_EPOCH);
        facts.contents.clear();
        assert!(matches!(rule.rule.evaluate(&facts), Evaluation::Error(e) if e.contains(".npmrc")));
        facts
            .contents
            .insert(".npmrc".into(), Err("larger than 8 bytes; not read".into()));
        assert!(matches!(rule.rule.evaluate(&facts), Evaluation::Error(e) if e.contains("larger")));
    }

    #[test]
    fn contains_asks_for_text_and_plain_rules_do_not() {
        let policy = default_pack();
        let mut needs = Needs::default();
        for id in ["no-secrets-files", "npmrc-credentials"] {
            let rule = policy.rules.iter().find(|r| r.id == id).unwrap();
            rule.rule.needs(&mut needs);
        }
        assert_eq!(needs.content.len(), 1);
        assert!(needs.content[0].is_match("pkg/.npmrc"));
    }

    #[test]
    fn bad_contains_regex_is_a_policy_error() {
        let text = "[[rule]]\nkind = \"forbidden-files\"\npaths = [\"**/.npmrc\"]\ncontains = \"(unclosed\"\n";
        let errors = crate::policy::load_text("p.toml", text).unwrap_err();
        assert!(format!("{errors:?}").contains("bad-regex"), "{errors:?}");
    }
}
