//! The status check names a repository's workflows produce on pull requests.
//!
//! GitHub names the check of a workflow job after the job's `name:` (or its id); a matrix
//! job adds ` (value, ...)`; a job that calls a reusable workflow yields `caller / callee`.
//! Names with expressions (`${{ matrix.os }}`) become wildcards. This is what lets
//! `branch-protection` tell a required check that no workflow produces (merges blocked
//! forever) from one that is produced.

use github_actions_models::workflow::{Job, Workflow};

/// A check name pattern one workflow job produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducedCheck {
    /// The workflow file (`.github/workflows/ci.yml`).
    pub workflow: String,
    pub job_id: String,
    /// The check name, or a pattern where `*` stands for any text.
    pub pattern: String,
}

impl ProducedCheck {
    pub fn matches(&self, name: &str) -> bool {
        wildcard_match(&self.pattern, name)
    }
}

/// Checks produced on pull requests by the workflow at `path` with `text`.
/// A workflow that is not triggered by pull requests produces none.
pub fn produced_on_pull_requests(path: &str, text: &str) -> Result<Vec<ProducedCheck>, String> {
    crate::select::within_bounds(text)?;
    let workflow: Workflow = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
    let events = &workflow.on.events;
    if !(events.pull_request.is_present()
        || events.pull_request_target.is_present()
        || events.merge_group.is_present())
    {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (id, job) in &workflow.jobs {
        let (name, matrix, reusable) = match job {
            Job::NormalJob(job) => (job.name.clone(), job.strategy.is_some(), false),
            Job::ReusableWorkflowCallJob(job) => (job.name.clone(), false, true),
        };
        let base = expressions_to_wildcards(name.as_deref().unwrap_or(id));
        let mut patterns = vec![base.clone()];
        if matrix && !base.contains('*') {
            patterns.push(format!("{base} (*)"));
        }
        if reusable {
            patterns = vec![format!("{base} / *")];
        }
        for pattern in patterns {
            out.push(ProducedCheck {
                workflow: path.to_string(),
                job_id: id.clone(),
                pattern,
            });
        }
    }
    Ok(out)
}

fn expressions_to_wildcards(name: &str) -> String {
    let mut out = String::new();
    let mut rest = name;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        out.push('*');
        rest = match rest[start..].find("}}") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// `*` matches any run of characters; everything else is literal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = r#"
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: npm run lint
  test:
    name: Unit tests
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest]
    steps:
      - run: npm test
  e2e:
    name: e2e (${{ matrix.browser }})
    runs-on: ubuntu-latest
    steps:
      - run: npx playwright test
  security:
    uses: ./.github/workflows/gitleaks.yml
"#;

    #[test]
    fn a_deeply_nested_workflow_is_refused_before_parsing() {
        let deep = format!(
            "on: pull_request\njobs: {}{}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let err = produced_on_pull_requests(".github/workflows/x.yml", &deep).unwrap_err();
        assert!(err.contains("nested too deeply"), "{err}");
    }

    #[test]
    fn job_names_matrix_suffixes_expressions_and_reusable_calls() {
        let checks = produced_on_pull_requests(".github/workflows/ci.yml", CI).unwrap();
        let produced = |name: &str| checks.iter().any(|c| c.matches(name));
        assert!(produced("lint"));
        assert!(produced("Unit tests"));
        assert!(produced("Unit tests (ubuntu-latest)"));
        assert!(produced("e2e (chromium)"));
        assert!(produced("security / gitleaks"));
        assert!(
            !produced("test"),
            "a job with a name is not reported under its id"
        );
        assert!(!produced("deploy"));
    }

    #[test]
    fn workflows_not_run_on_pull_requests_produce_no_checks() {
        let text = "on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - run: make\n";
        assert!(produced_on_pull_requests("w.yml", text).unwrap().is_empty());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("a * b", "a x y b"));
        assert!(!wildcard_match("a*b", "ab c"));
        assert!(wildcard_match("*", ""));
    }
}
