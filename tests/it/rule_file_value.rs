//! `file-value` end to end: real git repositories, the CLI, the JSON report.

use crate::common::{check_repo, fixture, rule, warden, TestRepo};
use serde_json::Value;

fn file(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("files/{name}"))).unwrap()
}

/// (message, line) of each finding of a rule.
fn findings(rule: &Value) -> Vec<(String, Option<u64>)> {
    rule["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

const AGENTS_POLICY: &str = r#"
[[rule]]
id = "hitl-customer-agent"
kind = "file-value"
file = "app/agents/config/agents.json"

[[rule.expect]]
select = 'agents[id="ai-customer"].human_review'
equals = true

[[rule.expect]]
select = 'agents[id="ai-customer"].reviewers'
non_empty = true

[[rule.expect]]
select = 'agents[*].model'
one_of = ["gpt-4o", "gpt-4o-mini", "claude-sonnet"]

[[rule.expect]]
select = 'agents[id="ai-customer"].limits["daily.budget.usd"]'
equals = 40.0

[[rule.expect]]
select = 'agents[id="ai-customer"].api_key'
exists = false
"#;

fn agents_repo(agents: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("app/agents/config/agents.json", agents)
        .write("warden.toml", AGENTS_POLICY);
    repo.commit("agents");
    repo
}

#[test]
fn the_customer_agent_with_human_review_passes() {
    let repo = agents_repo(&file("agents.json"));
    let run = check_repo(&repo);
    let hitl = rule(&run.report, "hitl-customer-agent");
    assert_eq!(hitl["outcome"], "pass", "{hitl:#}");
    assert_eq!(hitl["kind"], "file-value");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_switched_off_review_and_empty_reviewers_are_gaps_at_their_lines() {
    let agents = file("agents.json")
        .replace(
            "\"model\": \"claude-sonnet\",\n      \"human_review\": true,",
            "\"model\": \"claude-sonnet\",\n      \"human_review\": false,",
        )
        .replace(
            "\"reviewers\": [\"cx-team@example.com\", \"ops@example.com\"]",
            "\"reviewers\": []",
        )
        .replace("\"model\": \"gpt-4o-mini\"", "\"model\": \"llama-local\"");
    let repo = agents_repo(&agents);
    let run = check_repo(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let hitl = rule(&run.report, "hitl-customer-agent");
    assert_eq!(hitl["outcome"], "fail");
    assert_eq!(
        findings(hitl),
        [
            (
                "`agents[id=\"ai-customer\"].human_review` in `app/agents/config/agents.json` is `false`, expected `true` (at `agents[1].human_review`)".to_string(),
                Some(20),
            ),
            (
                "`agents[id=\"ai-customer\"].reviewers` in `app/agents/config/agents.json` is empty (`[]`) (at `agents[1].reviewers`)".to_string(),
                Some(21),
            ),
            (
                "`agents[*].model` in `app/agents/config/agents.json` is `\"llama-local\"`, expected one of `\"gpt-4o\"`, `\"gpt-4o-mini\"`, `\"claude-sonnet\"` (at `agents[2].model`)".to_string(),
                Some(28),
            ),
        ]
    );
    let first = &hitl["findings"][0];
    assert_eq!(first["path"], "app/agents/config/agents.json");
    assert_eq!(first["help"], "set it to `true`");
}

#[test]
fn a_filter_that_matches_nothing_names_the_part_that_failed() {
    let agents = file("agents.json").replace("\"id\": \"ai-customer\"", "\"id\": \"ai-customers\"");
    let repo = agents_repo(&agents);
    let run = check_repo(&repo);
    assert_eq!(run.code, 1);
    let found = findings(rule(&run.report, "hitl-customer-agent"));
    // One per expectation that needs the agent; `exists = false` is satisfied.
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(
        found[0],
        (
            "`agents[id=\"ai-customer\"]` matched nothing in `app/agents/config/agents.json` (none of the 3 elements of `agents` has `id` = \"ai-customer\")".to_string(),
            Some(7),
        )
    );
}

#[test]
fn every_value_a_wildcard_selects_must_hold() {
    let repo = TestRepo::new();
    repo.write("app/agents/config/agents.json", &file("agents.json"))
        .write(
            "warden.toml",
            r#"
[[rule]]
id = "all-reviewed"
kind = "file-value"
file = "app/agents/config/agents.json"
reason = "every agent needs a human in the loop"

[[rule.expect]]
select = 'agents[*].human_review'
equals = true

[[rule.expect]]
select = 'agents[human_review=true].reviewers'
non_empty = true

[[rule.expect]]
select = 'agents[*].id'
matches = '^ai-[a-z]+$'
"#,
        );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(run.code, 1);
    let hitl = rule(&run.report, "all-reviewed");
    assert_eq!(
        findings(hitl),
        [(
            "`agents[*].human_review` in `app/agents/config/agents.json` is `false`, expected `true` (at `agents[2].human_review`): every agent needs a human in the loop".to_string(),
            Some(29),
        )]
    );
}

#[test]
fn yaml_toml_and_format_override_are_read() {
    let repo = TestRepo::new();
    repo.write("config/hitl.yml", &file("hitl.yml"))
        .write("fly.toml", &file("fly.toml"))
        .write(".agentsrc", "{\"sandbox\": false}\n")
        .write(
            "warden.toml",
            r#"
[[rule]]
id = "hitl"
kind = "file-value"
file = "config/hitl.yml"
[[rule.expect]]
select = "approvals.required"
equals = true
[[rule.expect]]
select = "approvals.min_approvers"
one_of = [2, 3]
[[rule.expect]]
select = "approvals.channels"
non_empty = true

[[rule]]
id = "fly"
kind = "file-value"
file = "fly.toml"
[[rule.expect]]
select = "http_service.force_https"
equals = true
[[rule.expect]]
select = 'http_service.checks[path="/health"].interval'
matches = '^\d+s$'
[[rule.expect]]
select = "vm[0].memory"
equals = "4gb"

[[rule]]
id = "agentsrc"
kind = "file-value"
file = ".agentsrc"
format = "json"
[[rule.expect]]
select = "sandbox"
equals = true
"#,
        );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(rule(&run.report, "hitl")["outcome"], "pass");
    assert_eq!(
        findings(rule(&run.report, "fly")),
        [(
            "`vm[0].memory` in `fly.toml` is `\"2gb\"`, expected `\"4gb\"`".to_string(),
            Some(17),
        )]
    );
    assert_eq!(
        findings(rule(&run.report, "agentsrc")),
        [(
            "`sandbox` in `.agentsrc` is `false`, expected `true`".to_string(),
            Some(1),
        )]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn missing_and_unparsable_files_are_gaps() {
    let repo = TestRepo::new();
    repo.write(
        "config/hitl.yml",
        "approvals:\n  required: true\n  channels: [slack\nescalation: {}\n",
    )
    .write(
        "warden.toml",
        r#"
[[rule]]
id = "hitl"
kind = "file-value"
file = "config/hitl.yml"
[[rule.expect]]
select = "approvals.required"
equals = true

[[rule]]
id = "agents"
kind = "file-value"
file = "app/agents/config/agents.json"
[[rule.expect]]
select = "agents"
non_empty = true

[[rule]]
id = "no-legacy-config"
kind = "file-value"
file = "legacy/settings.json"
[[rule.expect]]
select = "debug"
exists = false
"#,
    );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(run.code, 1);
    let broken = findings(rule(&run.report, "hitl"));
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0]
            .0
            .starts_with("`config/hitl.yml` is not valid YAML: "),
        "{}",
        broken[0].0
    );
    assert_eq!(broken[0].1, Some(4));
    assert_eq!(
        findings(rule(&run.report, "agents")),
        [(
            "`app/agents/config/agents.json` is missing".to_string(),
            None
        )]
    );
    assert_eq!(rule(&run.report, "no-legacy-config")["outcome"], "pass");
}

#[test]
fn bad_expectations_are_policy_errors_at_their_line() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"[[rule]]
kind = "file-value"
file = "app/agents/config/agents.json"

[[rule.expect]]
select = 'agents[id=ai-customer].human_review'
equals = true

[[rule.expect]]
select = 'agents[0].human_review'
equals = true
matches = 'true'

[[rule.expect]]
select = 'agents'

[[rule.expect]]
select = 'agents[0].tools'
one_of = "draft_reply"
"#,
    )
    .write(
        "policies/more.toml",
        r#"[[rule]]
kind = "file-value"
file = "config/*.json"
[[rule.expect]]
select = "a"
exists = true

[[rule]]
id = "ini"
kind = "file-value"
file = "setup.cfg"
format = "ini"
[[rule.expect]]
select = "a"
exists = true
"#,
    );
    repo.commit("init");
    let run = check_repo(&repo);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = &run.stderr;
    for expected in [
        "policy has 4 problems",
        "invalid selector `agents[id=ai-customer].human_review`",
        "`ai-customer` is not a value",
        "warden.toml:6:21",
        "two assertions in one [[rule.expect]]: `equals` and `matches`",
        "warden.toml:12:11",
        "a [[rule.expect]] needs one assertion",
        "warden.toml:14:1",
        "`one_of` in a [[rule.expect]] must be a non-empty list",
        "warden.toml:19:10",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    let out = warden(repo.path())
        .args([
            "check",
            "--format",
            "json",
            "--policy",
            "policies/more.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "`file` must be an exact path, not a glob",
        "more.toml:3:8",
        "unknown format `ini`",
        "more.toml:12:10",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}
