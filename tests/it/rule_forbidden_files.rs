//! `forbidden-files` with `contains`, through the CLI on real git repositories, with the
//! embedded `builtin:default` pack (no policy of its own).

use crate::common::{rule, warden, TestRepo};
use serde_json::Value;

fn check(repo: &TestRepo) -> (i32, Value) {
    let output = warden(repo.path())
        .args(["check", "--format", "json", "--policy", "builtin:default"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap(), report)
}

fn base() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# demo\n")
        .write(".github/CODEOWNERS", "* @acme/devops\n");
    repo
}

#[test]
fn config_only_npmrc_passes_the_default_pack() {
    let repo = base();
    repo.write(".npmrc", "engine-strict=true\n").write(
        "app/.npmrc",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
    );
    repo.commit("init");
    let (code, report) = check(&repo);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "npmrc-credentials")["outcome"], "pass");
    assert_eq!(rule(&report, "no-secrets-files")["outcome"], "pass");
}

#[test]
fn npmrc_holding_a_token_fails_at_its_line() {
    let repo = base();
    repo.write(
        "app/.npmrc",
        "engine-strict=true\n//registry.npmjs.org/:_authToken=npm_AbCdEf0123456789\n",
    );
    repo.commit("init");
    let (code, report) = check(&repo);
    assert_eq!(code, 1, "{report:#}");
    let outcome = rule(&report, "npmrc-credentials");
    assert_eq!(outcome["outcome"], "fail");
    let findings = outcome["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["path"], "app/.npmrc");
    assert_eq!(findings[0]["line"], 2);
    assert!(!report.to_string().contains("npm_AbCdEf0123456789"));
}
