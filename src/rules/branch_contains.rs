//! `branch-contains`: one branch holds every commit of others ("`staging` must always ⊇
//! `main`"), judged from local git when both branches are there, else GitHub's compare API.

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "branch-contains",
    summary: "A branch contains every commit of other branches",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
Branch `branch` contains every commit of each branch in `contains`. When the checkout
holds both branches (`refs/heads/X`, else `refs/remotes/origin/X`) the local history
answers at no API cost; otherwise `GET /repos/{owner}/{repo}/compare/{branch}...{other}`
does. A gap says how many commits are missing and names the newest ones. A branch that
does not exist, or a comparison GitHub refuses, makes the rule `error`, never a pass.
Like every GitHub rule it is `skipped` offline (the local answer may be stale then).

## Why
"`staging` Must always ⊇ `main`": a hotfix merged straight to `main` and never
cherry-picked to `staging` means the next staging deploy silently reverts it.

## Example policy
```toml
[[rule]]
kind = "branch-contains"
branch = "staging"
contains = ["main"]
```

## How to fix
Bring the missing commits over: `git switch staging && git merge origin/main` (or
cherry-pick the listed commits) and push, through a PR if `staging` is protected.
"#,
    parse,
};

#[derive(Debug)]
struct BranchContains {
    branch: String,
    contains: Vec<String>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let branch = t.req_str("branch", "\"staging\"");
    let contains = t.req_str_list("contains", "[\"main\"]");
    let (branch, contains) = (branch?, contains?);
    if let Some(same) = contains.iter().find(|c| c.value == branch.value) {
        let span = same.span.clone();
        t.error(
            "bad-value",
            span,
            "a branch always contains itself",
            "the same as `branch`",
            "list the other branches whose commits `branch` must hold",
        );
        return None;
    }
    Some(Box::new(BranchContains {
        branch: branch.value,
        contains: contains.into_iter().map(|c| c.value).collect(),
    }))
}

impl Rule for BranchContains {
    fn needs(&self, needs: &mut Needs) {
        for other in &self.contains {
            needs
                .github
                .extra
                .compare
                .insert((self.branch.clone(), other.clone()));
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let mut findings = Vec::new();
        for other in &self.contains {
            let key = (self.branch.clone(), other.clone());
            let comparison = match github.extra.compare.get(&key) {
                Some(Ok(comparison)) => comparison,
                Some(Err(reason)) => {
                    return Evaluation::Error(format!(
                        "cannot tell whether `{}` contains `{other}`: {reason}",
                        self.branch
                    ))
                }
                None => {
                    return Evaluation::Error(format!(
                        "`{}` was not compared with `{other}`",
                        self.branch
                    ))
                }
            };
            if comparison.missing == 0 {
                continue;
            }
            let newest: Vec<String> = comparison
                .newest
                .iter()
                .map(|c| format!("{} {}", &c.sha[..c.sha.len().min(7)], c.summary))
                .collect();
            let label = if comparison.newest_are_latest {
                "newest"
            } else {
                "newest listed"
            };
            let plural = if comparison.missing == 1 { "" } else { "s" };
            findings.push(
                Finding::new(format!(
                    "`{}` lacks {} commit{plural} of `{other}` ({label}: {}; from {})",
                    self.branch,
                    comparison.missing,
                    newest.join(", "),
                    comparison.source
                ))
                .help(format!(
                    "merge `{other}` into `{}` (`git switch {} && git merge origin/{other}`), or cherry-pick the missing commits, and push",
                    self.branch, self.branch
                ))
                .subject(format!("{}:{other}", self.branch)),
            );
        }
        Evaluation::Checked(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::github::compare::{Comparison, MissingCommit};
    use crate::github::extended::{test_facts, ExtraFacts};
    use crate::model::Evaluation;

    fn judge(found: Result<Comparison, String>) -> Evaluation {
        let policy = crate::policy::load_text(
            "p.toml",
            "[[rule]]\nkind = \"branch-contains\"\nbranch = \"staging\"\ncontains = [\"main\"]\n",
        )
        .unwrap();
        let mut needs = crate::facts::Needs::default();
        policy.rules[0].rule.needs(&mut needs);
        let key = ("staging".to_string(), "main".to_string());
        assert!(needs.github.extra.compare.contains(&key));
        let mut extra = ExtraFacts::default();
        extra.compare.insert(key, found);
        policy.rules[0]
            .rule
            .evaluate(&test_facts(extra, "2026-11-22T12:00:00Z"))
    }

    #[test]
    fn missing_commits_are_counted_and_named() {
        let eval = judge(Ok(Comparison {
            missing: 3,
            newest: vec![MissingCommit {
                sha: "0123456789abcdef".into(),
                summary: "hotfix: null check".into(),
            }],
            source: "local git",
            newest_are_latest: true,
        }));
        let Evaluation::Checked(findings) = eval else {
            panic!("{eval:?}")
        };
        assert_eq!(
            findings[0].message,
            "`staging` lacks 3 commits of `main` (newest: 0123456 hotfix: null check; from local git)"
        );
    }

    #[test]
    fn contained_passes_and_unknown_is_an_error() {
        let none = Comparison {
            missing: 0,
            newest: vec![],
            source: "the compare API",
            newest_are_latest: true,
        };
        assert_eq!(judge(Ok(none)), Evaluation::Checked(vec![]));
        assert!(matches!(judge(Err("404".into())), Evaluation::Error(e) if e.contains("404")));
    }

    #[test]
    fn a_branch_containing_itself_is_a_policy_error() {
        let text =
            "[[rule]]\nkind = \"branch-contains\"\nbranch = \"main\"\ncontains = [\"main\"]\n";
        let errors = format!(
            "{:?}",
            crate::policy::load_text("p.toml", text).unwrap_err()
        );
        assert!(errors.contains("contains itself"), "{errors}");
    }
}
