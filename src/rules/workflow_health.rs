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

[[rule]]
id = "ci-fast-and-green"
kind = "workflow-health"
all = true
max_duration_minutes = 5
min_success_rate = 100
last_runs = 20
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
    history: RunHistory,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let history = parse_history(t)?;
    let workflows = if history.all && !t.has("workflows") {
        t.mark_known(&["workflows"]);
        Vec::new()
    } else {
        t.req_str_list("workflows", "[\"ci.yml\"]")?
    };
    Some(Box::new(WorkflowHealth {
        workflows: workflows.into_iter().map(|w| w.value).collect(),
        max_age_days: t.opt_u64("max_age_days"),
        history,
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
        for workflow in &judged_workflows(&self.workflows, &self.history, runs, &branch) {
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
            match history_findings(&self.history, runs, &path, &branch) {
                Ok(found) => findings.extend(found),
                Err(reason) => return Evaluation::Error(reason),
            }
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

/// Judgement over several recent runs (`max_duration_minutes`, `min_success_rate`) and
/// `all = true`; kept apart from the latest-run checks above.
#[derive(Debug, Default)]
struct RunHistory {
    all: bool,
    last_runs: usize,
    max_duration_minutes: Option<u64>,
    min_success_rate: Option<u64>,
}

fn parse_history(t: &mut TableReader<'_, '_>) -> Option<RunHistory> {
    let all = t.opt_bool("all").unwrap_or(false);
    let last_runs = t.opt_u64("last_runs").unwrap_or(20).clamp(1, 100) as usize;
    let max_duration_minutes = t.opt_u64("max_duration_minutes");
    let min_success_rate = t.opt_u64("min_success_rate");
    if let Some(rate) = min_success_rate.filter(|r| *r > 100) {
        let span = t
            .raw("min_success_rate")
            .map(|v| v.span())
            .unwrap_or_default();
        t.error(
            "bad-value",
            span,
            format!("`min_success_rate` is a percentage; {rate} is over 100"),
            "not a percentage",
            "write a number from 0 to 100",
        );
        return None;
    }
    Some(RunHistory {
        all,
        last_runs,
        max_duration_minutes,
        min_success_rate,
    })
}

/// The workflow path of a run, without an `@ref` suffix.
fn run_path(run: &crate::github::WorkflowRun) -> Option<&str> {
    run.path
        .as_deref()
        .map(|p| p.split('@').next().unwrap_or(p))
}

fn on_branch(run: &crate::github::WorkflowRun, branch: &str) -> bool {
    run.head_branch.as_deref().is_none_or(|b| b == branch)
}

/// The workflows to judge: the named ones, plus with `all` every one with a run on `branch`.
fn judged_workflows(
    named: &[String],
    history: &RunHistory,
    runs: &[crate::github::WorkflowRun],
    branch: &str,
) -> Vec<String> {
    let mut out: Vec<String> = named.to_vec();
    if history.all {
        for run in runs.iter().filter(|r| on_branch(r, branch)) {
            if let Some(path) = run_path(run) {
                if !out
                    .iter()
                    .any(|w| w == path || format!(".github/workflows/{w}") == path)
                {
                    out.push(path.to_string());
                }
            }
        }
    }
    out
}

fn history_findings(
    history: &RunHistory,
    runs: &[crate::github::WorkflowRun],
    path: &str,
    branch: &str,
) -> Result<Vec<Finding>, String> {
    if history.max_duration_minutes.is_none() && history.min_success_rate.is_none() {
        return Ok(Vec::new());
    }
    let recent: Vec<&crate::github::WorkflowRun> = runs
        .iter()
        .filter(|r| run_path(r) == Some(path) && on_branch(r, branch))
        .filter(|r| r.status.as_deref().is_none_or(|s| s == "completed"))
        .take(history.last_runs)
        .collect();
    let n = recent.len();
    let mut findings = Vec::new();
    if let Some(max) = history.max_duration_minutes {
        let mut seconds = Vec::with_capacity(n);
        for run in &recent {
            let at = |t: Option<&String>| t.and_then(|t| t.parse::<jiff::Timestamp>().ok());
            let start = at(run.run_started_at.as_ref()).or_else(|| at(run.created_at.as_ref()));
            match (start, at(run.updated_at.as_ref())) {
                (Some(s), Some(e)) => seconds.push((e.as_second() - s.as_second()).max(0)),
                _ => {
                    return Err(format!(
                        "a run of `{path}` has no readable start or end time"
                    ))
                }
            }
        }
        seconds.sort_unstable();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(seconds[n / 2]),
            _ => Some((seconds[n / 2 - 1] + seconds[n / 2]) / 2),
        };
        if let Some(median) = median.filter(|m| *m > (max as i64) * 60) {
            findings.push(
                Finding::new(format!(
                    "`{path}` takes {}m{:02}s (median of its last {n} completed runs on `{branch}`); the policy allows {max} minutes",
                    median / 60,
                    median % 60
                ))
                .at(path)
                .help("cache dependencies, split or parallelise slow jobs, or move slow suites to a scheduled workflow")
                .subject(format!("{path}:duration")),
            );
        }
    }
    if let Some(min) = history.min_success_rate {
        let ok = recent
            .iter()
            .filter(|r| r.conclusion.as_deref() == Some("success"))
            .count();
        if n > 0 && (ok as u64) * 100 < min * n as u64 {
            findings.push(
                Finding::new(format!(
                    "{ok} of the last {n} completed runs of `{path}` on `{branch}` succeeded ({}%); the policy wants at least {min}%",
                    ok * 100 / n
                ))
                .at(path)
                .help("open the failed runs, fix flaky or broken jobs, and keep the default branch green")
                .subject(format!("{path}:success-rate")),
            );
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod history_tests {
    use crate::github::extended::{test_facts, ExtraFacts};
    use crate::github::{GitHubState, WorkflowRun};
    use crate::model::Evaluation;

    fn run(path: &str, conclusion: &str, minutes: i64) -> WorkflowRun {
        let end = 1_700_000_000 + minutes * 60;
        let at = |s: i64| jiff::Timestamp::from_second(s).unwrap().to_string();
        WorkflowRun {
            name: None,
            path: Some(format!(".github/workflows/{path}@main")),
            head_branch: Some("main".into()),
            status: Some("completed".into()),
            conclusion: Some(conclusion.into()),
            event: Some("push".into()),
            created_at: Some(at(1_600_000_000)),
            updated_at: Some(at(end)),
            run_started_at: Some(at(1_700_000_000)),
            html_url: None,
        }
    }

    fn judge(policy: &str, runs: Vec<WorkflowRun>) -> Evaluation {
        let text = format!("[[rule]]\nkind = \"workflow-health\"\n{policy}");
        let policy = crate::policy::load_text("p.toml", &text).unwrap();
        let mut facts = test_facts(ExtraFacts::default(), "2023-11-15T00:00:00Z");
        if let GitHubState::Known(github) = &mut facts.github {
            github.runs = Some(Ok(runs));
            // The rule judges the default branch's runs, so it needs to know which it is.
            github.settings = Ok(crate::github::RepoSettings {
                default_branch: Some("main".to_string()),
                ..Default::default()
            });
        }
        policy.rules[0].rule.evaluate(&facts)
    }

    fn messages(eval: Evaluation) -> Vec<String> {
        eval.messages()
    }

    #[test]
    fn all_workflows_median_duration_and_success_rate() {
        let runs = vec![
            run("ci.yml", "success", 4),
            run("e2e.yml", "success", 12),
            run("ci.yml", "success", 6),
            run("e2e.yml", "failure", 9),
            run("ci.yml", "success", 5),
            run("e2e.yml", "success", 11),
        ];
        let found = messages(judge(
            "all = true\nmax_duration_minutes = 5\nmin_success_rate = 100\n",
            runs,
        ));
        assert_eq!(
            found,
            [
                "`.github/workflows/e2e.yml` takes 11m00s (median of its last 3 completed runs on `main`); the policy allows 5 minutes",
                "2 of the last 3 completed runs of `.github/workflows/e2e.yml` on `main` succeeded (66%); the policy wants at least 100%",
            ]
        );
    }

    #[test]
    fn last_runs_bounds_the_window_and_rates_are_percentages() {
        let runs = vec![
            run("ci.yml", "success", 3),
            run("ci.yml", "failure", 3),
            run("ci.yml", "failure", 3),
        ];
        let policy = "workflows = [\"ci.yml\"]\nmin_success_rate = 100\nlast_runs = 1\n";
        assert!(messages(judge(policy, runs.clone())).is_empty());
        let policy = "workflows = [\"ci.yml\"]\nmin_success_rate = 50\n";
        assert_eq!(messages(judge(policy, runs)).len(), 1);
        let text = "[[rule]]\nkind = \"workflow-health\"\nall = true\nmin_success_rate = 150\n";
        assert!(crate::policy::load_text("p.toml", text).is_err());
        let text = "[[rule]]\nkind = \"workflow-health\"\nmax_duration_minutes = 5\n";
        assert!(crate::policy::load_text("p.toml", text).is_err());
    }
}
