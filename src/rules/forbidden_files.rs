//! `forbidden-files`: paths that must not exist in the repository.

use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "forbidden-files",
    summary: "No tracked file matches a forbidden pattern",
    scope: Scope::Paths,
    doc: r#"
## What it checks
No tracked (or staged) file matches any of the `paths` globs, unless it also matches
`exclude`. Each offending file is a finding that repeats the policy's `reason`.

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
```

## How to fix
Remove the file from git (`git rm --cached FILE`, and rotate it if it held a secret), or
narrow the pattern with `exclude` if this file is a legitimate exception.
"#,
    parse,
};

#[derive(Debug)]
struct ForbiddenFiles {
    paths: Globs,
    exclude: Globs,
    reason: Option<String>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let paths = t.req_str_list("paths", "[\"**/.env\", \"**/*.pem\"]");
    let paths = paths.map(|items| t.compile_globs("paths", &items));
    let exclude = t.globs("exclude").unwrap_or_else(Globs::empty);
    let reason = t.opt_str("reason").map(|r| r.value);
    Some(Box::new(ForbiddenFiles {
        paths: paths?,
        exclude,
        reason,
    }))
}

impl Rule for ForbiddenFiles {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let findings = facts
            .candidates_matching(&self.paths)
            .filter(|f| !self.exclude.is_match(&f.path))
            .map(|f| {
                let pattern = self
                    .paths
                    .matches(&f.path)
                    .first()
                    .map(|i| self.paths.patterns()[*i].clone())
                    .unwrap_or_default();
                let message = match &self.reason {
                    Some(reason) => format!("`{}` is forbidden (`{pattern}`): {reason}", f.path),
                    None => format!("`{}` is forbidden by `{pattern}`", f.path),
                };
                Finding::new(message)
                    .at(&f.path)
                    .help(format!("remove it from git (`git rm --cached {}`), or add an `exclude` if it is a legitimate exception", f.path))
            })
            .collect();
        Evaluation::Checked(findings)
    }
}
