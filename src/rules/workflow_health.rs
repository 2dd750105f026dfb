//! `workflow-health`: "CI green on main" — each named workflow's latest completed run on
//! the default branch succeeded, recently.

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "workflow-health",
    summary: "Named workflows are green on the default branch",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
For each workflow in `workflows` (a file name under `.github/workflows/`), the latest
completed run on the default branch (from the 100 latest completed runs there) must have
concluded `success`, and, with `max_age_days`, have finished within that many days. A
workflow with no completed run on the default branch is a gap too. The default branch is
the one GitHub names (`default_branch`); when its answer lacks it, the rule is `error`, never
judged on a guessed `main`.

## Why
"CI checks green on main 100% of time" is a promise nobody checks once the badge is
forgotten; a scheduled workflow can fail for weeks unnoticed.

## Example policy
```toml
[[rule]]
kind = "workflow-health"
workflows = ["ci.yml", "gitleaks.yml"]
max_age_days = 7
```

## How to fix
Open the failing run (its link is in the finding), fix the cause, and re-run it; for a
stale workflow, check its triggers and schedule, or run it by hand (`gh workflow run`).
"#,
    parse,
};

#[derive(Debug)]
struct WorkflowHealth {
    workflows: Vec<String>,
    max_age_days: Option<u64>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let workflows = t.req_str_list("workflows", "[\"ci.yml\"]")?;
    Some(Box::new(WorkflowHealth {
        workflows: workflows.into_iter().map(|w| w.value).collect(),
        max_age_days: t.opt_u64("max_age_days"),
    }))
}

impl Rule for WorkflowHealth {
    fn needs(&self, needs: &mut Needs) {
        needs.github.runs = true;
        needs.github.settings = true;
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let runs = match &github.runs {
            Some(Ok(runs)) => runs,
            Some(Err(reason)) => {
                return Evaluation::Error(format!("cannot read workflow runs: {reason}"))
            }
            None => return Evaluation::Error("workflow runs were not fetched".to_string()),
        };
        // The runs were read for the default branch; never guess its name.
        let branch = match &github.settings {
            Ok(settings) => match &settings.default_branch {
                Some(branch) => branch.clone(),
                None => {
                    return Evaluation::Error(
                        "GitHub's answer for the repository lacked `default_branch`".to_string(),
                    )
                }
            },
            Err(reason) => {
                return Evaluation::Error(format!("the default branch is unknown: {reason}"))
            }
        };
        let mut findings = Vec::new();
        for workflow in &self.workflows {
            let path = if workflow.contains('/') {
                workflow.clone()
            } else {
                format!(".github/workflows/{workflow}")
            };
            // Runs come newest first; `path` may carry an `@ref` suffix.
            let latest = runs.iter().find(|r| {
                r.path.as_deref().map(|p| p.split('@').next().unwrap_or(p)) == Some(path.as_str())
                    && r.head_branch.as_deref().is_none_or(|b| b == branch)
            });
            let Some(run) = latest else {
                findings.push(
                    Finding::new(format!(
                        "`{path}` has no completed run on `{branch}` among the latest 100 completed runs"
                    ))
                    .at(&path)
                    .help("check the workflow's triggers include pushes to the default branch, or run it with `gh workflow run`")
                    .subject(format!("{path}:no-run")),
                );
                continue;
            };
            let url = run.html_url.clone().unwrap_or_default();
            let conclusion = run.conclusion.as_deref().unwrap_or("none");
            if conclusion != "success" {
                findings.push(
                    Finding::new(format!(
                        "the latest run of `{path}` on `{branch}` concluded `{conclusion}` ({})",
                        run.updated_at.as_deref().unwrap_or("unknown time")
                    ))
                    .at(&path)
                    .help(format!("fix the cause and re-run it: {url}"))
                    .subject(format!("{path}:conclusion")),
                );
            }
            if let Some(max) = self.max_age_days {
                let finished = run
                    .updated_at
                    .as_deref()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                match finished {
                    Some(at) => {
                        let days = (facts.now.as_second() - at.as_second()).max(0) / 86_400;
                        if days as u64 > max {
                            findings.push(
                                Finding::new(format!(
                                    "the latest completed run of `{path}` on `{branch}` is {days} days old; the policy wants one within {max} days"
                                ))
                                .at(&path)
                                .help(format!("run it again (`gh workflow run {workflow}`) or check its schedule: {url}"))
                                .subject(format!("{path}:stale")),
                            );
                        }
                    }
                    None => {
                        return Evaluation::Error(format!(
                            "the run of `{path}` has no readable `updated_at`"
                        ))
                    }
                }
            }
        }
        Evaluation::Checked(findings)
    }
}
