//! `required-workflows` end to end: real git repositories, the CLI, the JSON report.

use crate::common::{check_repo, fixture, rule, warden, TestRepo};
use serde_json::Value;

fn workflow(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("workflows/{name}"))).unwrap()
}

/// (message, path, line) of each finding of a rule.
fn findings(rule: &Value) -> Vec<(String, String, Option<u64>)> {
    rule["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

const PIPELINE: &str = r#"
[[rule]]
id = "pipeline"
kind = "required-workflows"

[[rule.workflow]]
file = "required-ci.yml"
on = ["pull_request", "push"]
branches = ["main", "staging"]
jobs = ["lint", "test"]
run = ['npx jest']

[[rule.workflow]]
file = ".github/workflows/security-scan.yml"
on = ["pull_request"]
uses = [
  "gitleaks/gitleaks-action",
  "aquasecurity/trivy-action",
  "mojosolo-org/shared-workflows/.github/workflows/snyk.yml",
]

[[rule.workflow]]
file = "e2e-playwright.yml"
on = ["push"]
branches = ["main"]
run = ['npx playwright test']
"#;

fn pipeline_repo() -> TestRepo {
    let repo = TestRepo::new();
    for name in [
        "required-ci.yml",
        "security-scan.yml",
        "reusable-trivy.yml",
        "e2e-playwright.yml",
    ] {
        repo.write(&format!(".github/workflows/{name}"), &workflow(name));
    }
    repo.write("warden.toml", PIPELINE);
    repo
}

#[test]
fn a_complete_pipeline_passes() {
    let repo = pipeline_repo();
    repo.commit("pipeline");
    let run = check_repo(&repo);
    let pipeline = rule(&run.report, "pipeline");
    assert_eq!(pipeline["outcome"], "pass", "{pipeline:#}");
    assert_eq!(pipeline["kind"], "required-workflows");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn each_gap_is_a_finding_at_its_line() {
    let repo = pipeline_repo();
    let ci = workflow("required-ci.yml")
        .replace("branches: [main, staging]", "branches: [staging]")
        .replace(
            "  test:\n    name: Unit + Integration tests",
            "  unit:\n    name: Unit tests",
        );
    let scan = workflow("security-scan.yml").replace(
        "      - uses: gitleaks/gitleaks-action@v2\n",
        "      - run: ./scripts/scan-secrets.sh\n",
    );
    repo.write(".github/workflows/required-ci.yml", &ci)
        .write(".github/workflows/security-scan.yml", &scan)
        .remove(".github/workflows/e2e-playwright.yml");
    repo.commit("drift");

    let run = check_repo(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let pipeline = rule(&run.report, "pipeline");
    assert_eq!(pipeline["outcome"], "fail");
    let ci = ".github/workflows/required-ci.yml".to_string();
    let scan = ".github/workflows/security-scan.yml".to_string();
    let e2e = ".github/workflows/e2e-playwright.yml".to_string();
    assert_eq!(
        findings(pipeline),
        [
            (
                "`.github/workflows/required-ci.yml` does not run on `pull_request` for branch `main`: its `branches` filter is [`staging`]".to_string(),
                ci.clone(),
                Some(5),
            ),
            (
                "`.github/workflows/required-ci.yml` has no job `test` (its jobs: `lint`, `unit`)".to_string(),
                ci,
                Some(20),
            ),
            (
                "no step in `.github/workflows/security-scan.yml` uses `gitleaks/gitleaks-action` (nor in the reusable workflows it calls: `.github/workflows/reusable-trivy.yml`)".to_string(),
                scan,
                Some(11),
            ),
            (
                "required workflow `.github/workflows/e2e-playwright.yml` is missing".to_string(),
                e2e,
                None,
            ),
        ]
    );
    let missing = &pipeline["findings"][3]["help"];
    assert!(
        missing
            .as_str()
            .unwrap()
            .contains("`on: {push: {branches: [main]}}`"),
        "{missing}"
    );
    // Fingerprints are stable subjects, so they differ per gap.
    let prints: std::collections::HashSet<_> = pipeline["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(prints.len(), 4);
}

#[test]
fn a_push_trigger_in_string_form_counts_and_tags_only_does_not() {
    let repo = TestRepo::new();
    repo.write(
        ".github/workflows/e2e-playwright.yml",
        &workflow("e2e-playwright.yml"),
    )
    .write(
        ".github/workflows/release.yml",
        "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n",
    )
    .write(
        "warden.toml",
        "[[rule]]\nkind = \"required-workflows\"\n\n[[rule.workflow]]\nfile = \"e2e-playwright.yml\"\non = \"push\"\nbranches = \"main\"\n\n[[rule.workflow]]\nfile = \"release.yml\"\nbranches = [\"main\"]\n",
    );
    repo.commit("init");
    let run = check_repo(&repo);
    let found = findings(rule(&run.report, "required-workflows"));
    assert_eq!(
        found,
        [(
            "`.github/workflows/release.yml` does not run on `push` for branch `main`: `push` is filtered to tags only".to_string(),
            ".github/workflows/release.yml".to_string(),
            Some(3),
        )]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn broken_workflows_are_gaps_and_everything_else_still_runs() {
    let repo = TestRepo::new();
    repo.write(
        ".github/workflows/storybook-build.yml",
        &workflow("storybook-build-broken.yml"),
    )
    .write(
        ".github/workflows/build-artifact.yml",
        &workflow("build-artifact-invalid.yml"),
    )
    .write(
        ".github/workflows/required-ci.yml",
        &workflow("required-ci.yml"),
    )
    .write("notes/todo.md", "stray")
    .write(
        "warden.toml",
        r#"
[[rule]]
kind = "required-workflows"
level = "warn"

[[rule.workflow]]
file = "storybook-build.yml"

[[rule.workflow]]
file = "build-artifact.yml"
jobs = ["build"]

[[rule.workflow]]
file = "required-ci.yml"
jobs = ["e2e"]

[[rule]]
kind = "docs-allowlist"
allow = ["docs/**"]
"#,
    );
    repo.commit("init");
    let run = check_repo(&repo);
    let found = findings(rule(&run.report, "required-workflows"));
    assert_eq!(found.len(), 3, "{found:#?}");

    let (message, path, line) = &found[0];
    assert_eq!(path, ".github/workflows/storybook-build.yml");
    assert!(
        message.starts_with("`.github/workflows/storybook-build.yml` is not a valid workflow: "),
        "{message}"
    );
    assert!(message.contains("did not find expected"), "{message}");
    // The line is reported on its own; the parser's context ("while parsing …") stays.
    assert!(!message.contains("line 11"), "{message}");
    assert_eq!(*line, Some(11));

    assert_eq!(
        found[1],
        (
            "`.github/workflows/build-artifact.yml` is not a valid workflow: job `build`: missing field `runs-on`".to_string(),
            ".github/workflows/build-artifact.yml".to_string(),
            Some(11),
        )
    );
    assert_eq!(
        found[2].0,
        "`.github/workflows/required-ci.yml` has no job `e2e` (its jobs: `lint`, `test`)"
    );
    // The other rule ran too, and decides the exit code: the workflow gaps are warnings.
    let docs = rule(&run.report, "docs-allowlist");
    assert_eq!(docs["outcome"], "fail");
    assert_eq!(run.code, 1);
    assert_eq!(run.report["summary"]["warn"], 3);
    assert_eq!(run.report["summary"]["deny"], 1);
}

#[test]
fn staged_changes_to_a_workflow_are_what_is_judged() {
    let repo = pipeline_repo();
    repo.commit("pipeline");
    // The working tree drops the gitleaks step, but only the staged file counts.
    let scan =
        workflow("security-scan.yml").replace("gitleaks/gitleaks-action@v2", "actions/cache@v4");
    repo.write_untracked(".github/workflows/security-scan.yml", &scan);
    let out = warden(repo.path())
        .args(["check", "--staged", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    repo.stage(".github/workflows/security-scan.yml");
    let out = warden(repo.path())
        .args(["check", "--staged", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = findings(rule(&report, "pipeline"));
    assert_eq!(found.len(), 1);
    assert!(found[0].0.contains("uses `gitleaks/gitleaks-action`"));
}

#[test]
fn bad_workflow_requirements_are_policy_errors_at_their_line() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"[[rule]]
kind = "required-workflows"

[[rule.workflow]]
file = "*.yml"
on = ["pull-request"]

[[rule.workflow]]
file = "ci/deploy.yml"
job = ["lint"]

[[rule.workflow]]
file = "security-scan.yml"
on = ["workflow_dispatch"]
branches = ["main"]
run = ['npx (playwright']
"#,
    );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = &run.stderr;
    for expected in [
        "policy has 6 problems",
        "`file` must be an exact workflow file name, not a glob",
        "warden.toml:5:8",
        "`pull-request` is not a GitHub Actions event",
        "did you mean `pull_request`?",
        "warden.toml:6:7",
        "`ci/deploy.yml` is not a workflow file",
        "warden.toml:9:8",
        "unknown key `job`",
        "did you mean `jobs`?",
        "warden.toml:10:1",
        "`branches` needs `on` to include `push`",
        "warden.toml:15:13",
        "invalid regular expression",
        "warden.toml:16:",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn a_rule_without_workflows_is_a_policy_error() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"ci\"\nkind = \"required-workflows\"\n",
    );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("rule `required-workflows` needs at least one [[rule.workflow]]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warden.toml:1:1"), "{}", run.stderr);
}

#[test]
fn explain_prints_the_documentation() {
    let out = warden(std::path::Path::new("."))
        .args(["explain", "required-workflows"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("## Example policy"), "{text}");
    assert!(text.contains("[[rule.workflow]]"), "{text}");
}
