//! GitHub rules over real HTTP against a local server (wiremock on 127.0.0.1) answering
//! with bodies recorded from GitHub (fixtures/github, see its README for provenance) and
//! GitHub's headers. Nothing here touches the internet.

use std::time::Duration;

use crate::common::{fixture, rule, warden, TestRepo};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CANARY: &str = "ghp_CANARYt0kenNEVERprintedXYZ1234567890";
const REPO: &str = "/repos/octocat/hello-world";

const POLICY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
required_approving_reviews = 1
dismiss_stale_reviews = true
required_status_checks = ["lint", "test"]
block_force_pushes = true
block_deletions = true
checks_match_workflows = true
required_workflows = ["ci.yml"]

[[rule]]
kind = "repo-settings"
merge_methods = ["squash"]
delete_branch_on_merge = true
secret_scanning = true
secret_scanning_push_protection = true

[[rule]]
kind = "workflow-health"
workflows = ["ci.yml"]
max_age_days = 7
"#;

const CI_WORKFLOW: &str = "name: CI\non:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run lint\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";

fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// GitHub's usual headers on a JSON answer (values as recorded, see headers.md).
fn ok(value: Value, etag: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
        .insert_header("x-ratelimit-used", "15")
        .insert_header("x-ratelimit-resource", "core")
        .insert_header("x-github-request-id", "0684:716A:2015008:5E2FD3C:62D634F3")
        .insert_header("etag", format!("\"{etag}\"").as_str())
        .set_body_json(value)
}

fn error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4984")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(body(name))
}

/// The repository as the policy wants it: squash only, security on.
fn good_repo() -> Value {
    let mut repo = body("repo.json");
    repo["default_branch"] = json!("main");
    repo["allow_merge_commit"] = json!(false);
    repo["allow_rebase_merge"] = json!(false);
    repo["security_and_analysis"]["secret_scanning_push_protection"]["status"] = json!("enabled");
    repo
}

/// Classic protection that meets the policy (the recorded PUT body, tightened).
fn good_protection() -> Value {
    let mut protection = body("branch-protection.json");
    protection["allow_force_pushes"]["enabled"] = json!(false);
    protection["allow_deletions"]["enabled"] = json!(false);
    protection["required_status_checks"]["contexts"] = json!(["lint", "test"]);
    protection["required_status_checks"]["checks"] =
        json!([{"context": "lint", "app_id": 15368}, {"context": "test", "app_id": 15368}]);
    protection
}

/// Latest completed ci.yml run on main succeeded two days before the test clock.
fn good_runs() -> Value {
    let mut runs = body("workflow-runs-scenario.json");
    let list = runs["workflow_runs"].as_array_mut().unwrap();
    for run in list.iter_mut() {
        run["path"] = json!(".github/workflows/ci.yml");
        run["head_branch"] = json!("main");
    }
    list[0]["status"] = json!("completed");
    list[0]["conclusion"] = json!("success");
    list[0]["updated_at"] = json!("2026-11-20T09:04:31Z");
    runs
}

struct Scenario {
    repo: Value,
    protection: ResponseTemplate,
    rules: ResponseTemplate,
    runs: Value,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            repo: good_repo(),
            protection: ok(good_protection(), "p1"),
            rules: ok(json!([]), "r1"),
            runs: good_runs(),
        }
    }
}

async fn serve(scenario: Scenario) -> MockServer {
    let server = MockServer::start().await;
    mount(&server, scenario).await;
    server
}

async fn mount(server: &MockServer, scenario: Scenario) {
    Mock::given(method("GET"))
        .and(path(REPO))
        .respond_with(ok(scenario.repo, "repo1"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/branches/main/protection")))
        .respond_with(scenario.protection)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/rules/branches/main")))
        .respond_with(scenario.rules)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/actions/runs")))
        .respond_with(ok(scenario.runs, "runs1"))
        .mount(server)
        .await;
}

fn checkout(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write(".github/workflows/ci.yml", CI_WORKFLOW);
    repo.commit("init");
    repo
}

struct Run {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
}

/// Run `warden check` against the server, blocking work off the async runtime.
async fn check(repo: &TestRepo, server: &MockServer, extra: &[&str]) -> Run {
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = warden(&dir);
        cmd.args([
            "check",
            "--format",
            "json",
            "--repo",
            "octocat/hello-world",
            "--api-url",
            &uri,
        ])
        .args(&extra)
        .env("GITHUB_TOKEN", CANARY)
        .env("WARDEN_RETRY_BACKOFF_MS", "10");
        if !extra.iter().any(|a| a == "--cache-dir") {
            cmd.arg("--no-cache");
        }
        let output = cmd.output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        Run {
            code: output.status.code().unwrap(),
            report,
            stdout,
            stderr,
        }
    })
    .await
    .unwrap()
}

fn messages(report: &Value, id: &str) -> Vec<String> {
    rule(report, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fully_protected_repository_passes_with_few_requests() {
    let server = serve(Scenario::default()).await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &["-v"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for id in ["branch-protection", "repo-settings", "workflow-health"] {
        assert_eq!(
            rule(&run.report, id)["outcome"],
            "pass",
            "{id}: {:#}",
            rule(&run.report, id)
        );
    }
    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() <= 8, "{} requests", requests.len());
    assert_eq!(run.report["github_api"]["requests"], requests.len() as u64);
    assert!(
        run.stderr.contains("GitHub API: 4 requests"),
        "{}",
        run.stderr
    );
    // Every request carried the token as a header, and the API version.
    for request in &requests {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {CANARY}")
        );
        assert!(request.headers.get("x-github-api-version").is_some());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unprotected_branch_is_a_gap_not_an_error() {
    let server = serve(Scenario {
        protection: error(404, "branch-not-protected.json"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    assert_eq!(run.code, 1);
    let bp = rule(&run.report, "branch-protection");
    assert_eq!(bp["outcome"], "fail");
    let found = messages(&run.report, "branch-protection");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("branch `main` is not protected"),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ruleset_alone_protects_the_branch() {
    let mut rules = body("rules-for-branch-full.json");
    for rule in rules.as_array_mut().unwrap() {
        if rule["type"] == "required_status_checks" {
            rule["parameters"]["required_status_checks"] =
                json!([{"context": "lint", "integration_id": 15368}, {"context": "test"}]);
        }
    }
    let server = serve(Scenario {
        protection: error(404, "branch-not-protected.json"),
        rules: ok(rules, "rs"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let bp = rule(&run.report, "branch-protection");
    assert_eq!(
        bp["outcome"], "pass",
        "a ruleset-protected branch is protected: {bp:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classic_and_ruleset_merge_to_the_strictest_and_name_the_source() {
    let mut protection = good_protection();
    protection["required_pull_request_reviews"]["required_approving_review_count"] = json!(1);
    protection["required_pull_request_reviews"]["dismiss_stale_reviews"] = json!(false);
    let rules = json!([body("rules-for-branch-full.json")[0].clone(),]);
    let policy = POLICY.replace(
        "required_approving_reviews = 1",
        "required_approving_reviews = 3",
    );
    let server = serve(Scenario {
        protection: ok(protection, "p2"),
        rules: ok(rules, "r2"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(&policy);
    let run = check(&repo, &server, &[]).await;
    let found = messages(&run.report, "branch-protection");
    assert_eq!(
        found.len(),
        1,
        "dismiss_stale comes from the ruleset: {found:#?}"
    );
    assert!(
        found[0].contains("required approving reviews is 1"),
        "{found:#?}"
    );
    assert!(found[0].contains("at least 3"), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn required_check_that_no_workflow_produces_and_unenforced_job() {
    let mut protection = good_protection();
    protection["required_status_checks"]["contexts"] = json!(["lint", "build"]);
    protection["required_status_checks"]["checks"] =
        json!([{"context": "lint", "app_id": 15368}, {"context": "build", "app_id": null}]);
    let policy = POLICY.replace("required_status_checks = [\"lint\", \"test\"]", "");
    let server = serve(Scenario {
        protection: ok(protection, "p3"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(&policy);
    let run = check(&repo, &server, &[]).await;
    let found = messages(&run.report, "branch-protection");
    assert!(
        found
            .iter()
            .any(|m| m.contains("required check `build`") && m.contains("produced by no workflow")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("job `test`") && m.contains("not enforced")),
        "{found:#?}"
    );
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_gaps_name_setting_and_values() {
    let server = serve(Scenario {
        repo: body("repo.json"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let found = messages(&run.report, "repo-settings");
    assert!(
        found.contains(&"`merge_methods.merge` is on, the policy wants it off".to_string()),
        "{found:#?}"
    );
    assert!(found
        .contains(&"`secret_scanning_push_protection` is off, the policy wants it on".to_string()));
    // repo.json's default branch is master, where ci.yml has no run.
    assert!(messages(&run.report, "workflow-health")[0].contains("no completed run on `master`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_and_stale_ci_on_main() {
    let mut runs = good_runs();
    runs["workflow_runs"][0]["conclusion"] = json!("failure");
    runs["workflow_runs"][0]["updated_at"] = json!("2026-10-01T00:00:00Z");
    let server = serve(Scenario {
        runs,
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let found = messages(&run.report, "workflow-health");
    assert!(found[0].contains("concluded `failure`"), "{found:#?}");
    assert!(found[1].contains("52 days old"), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_token_is_an_error_for_every_github_rule_and_blocks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(401, "bad-credentials.json"))
        .mount(&server)
        .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    assert_eq!(run.code, 1, "an unknown deny rule is never a pass");
    for id in ["branch-protection", "repo-settings", "workflow-health"] {
        let r = rule(&run.report, id);
        assert_eq!(r["outcome"], "error");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("401 Bad credentials"),
            "{r:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_permission_names_the_permission() {
    let server = serve(Scenario {
        protection: error(403, "forbidden-permission.json")
            .insert_header("x-accepted-github-permissions", "administration=read"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let bp = rule(&run.report, "branch-protection");
    assert_eq!(bp["outcome"], "error");
    let reason = bp["reason"].as_str().unwrap();
    assert!(
        reason.contains("administration=read") && reason.contains("Resource not accessible"),
        "{reason}"
    );
    assert_eq!(
        rule(&run.report, "repo-settings")["outcome"],
        "pass",
        "other facts still count"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exhausted_rate_limit_with_a_far_reset_is_an_error_with_the_reset_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            error(403, "rate-limited.json")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "4102444800"),
        )
        .mount(&server)
        .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let reason = rule(&run.report, "repo-settings")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("rate limit is exhausted until 2100-01-01"),
        "{reason}"
    );
    assert!(run.report["github_api"]["rate_limited"].as_u64().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn secondary_rate_limit_with_retry_after_is_waited_out() {
    let server = serve(Scenario::default()).await;
    // Mounted later, so tried first: one 429 with retry-after, then the normal answer.
    Mock::given(method("GET"))
        .and(path(REPO))
        .respond_with(error(429, "rate-limited.json").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    assert_eq!(
        rule(&run.report, "repo-settings")["outcome"],
        "pass",
        "{:#}",
        run.report
    );
    assert_eq!(run.report["github_api"]["rate_limited"], 1);
    assert_eq!(run.report["github_api"]["retried"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_is_retried() {
    let server = serve(Scenario::default()).await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/branches/main/protection")))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    assert_eq!(
        rule(&run.report, "branch-protection")["outcome"],
        "pass",
        "{:#}",
        run.report
    );
    assert_eq!(run.report["github_api"]["retried"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_server_error_gives_up_after_three_retries() {
    let server = serve(Scenario {
        protection: ResponseTemplate::new(500),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let reason = rule(&run.report, "branch-protection")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("answered 500") && reason.contains("after 4 attempts"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_an_error() {
    let server = serve(Scenario {
        protection: ResponseTemplate::new(200)
            .set_body_string("{\"required_status_checks\": [truncated"),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let reason = rule(&run.report, "branch-protection")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("not the JSON warden expects"), "{reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_server_times_out_as_an_error() {
    let server = serve(Scenario {
        protection: ok(good_protection(), "slow").set_delay(Duration::from_secs(3)),
        ..Scenario::default()
    })
    .await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &["--http-timeout", "0.2"]).await;
    let reason = rule(&run.report, "branch-protection")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("no answer from GitHub") && reason.contains("after 4 attempts"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_and_tokenless_runs_skip_github_rules_and_say_why() {
    let server = serve(Scenario::default()).await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &["--offline"]).await;
    assert_eq!(run.code, 0);
    for id in ["branch-protection", "repo-settings", "workflow-health"] {
        assert_eq!(rule(&run.report, id)["outcome"], "skipped");
        assert_eq!(rule(&run.report, id)["reason"], "offline (--offline)");
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    let dir = repo.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        warden(&dir)
            .args(["check", "--format", "markdown"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(markdown.contains("no GitHub token"), "{markdown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn warm_cache_answers_with_304s() {
    let server = MockServer::start().await;
    // Conditional requests with the right ETag get 304 Not Modified, like GitHub.
    Mock::given(method("GET"))
        .and(header("if-none-match", "\"etag-same\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"etag-same\""))
        .with_priority(1)
        .mount(&server)
        .await;
    let scenario = Scenario::default();
    for (route, value) in [
        (REPO.to_string(), scenario.repo.clone()),
        (
            format!("{REPO}/branches/main/protection"),
            good_protection(),
        ),
        (format!("{REPO}/rules/branches/main"), json!([])),
        (format!("{REPO}/actions/runs"), scenario.runs.clone()),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ok(value, "etag-same"))
            .mount(&server)
            .await;
    }
    let repo = checkout(POLICY);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap().to_string();
    let cold = check(&repo, &server, &["--cache-dir", &cache_dir]).await;
    assert_eq!(cold.report["github_api"]["cached"], 0);
    let warm = check(&repo, &server, &["--cache-dir", &cache_dir]).await;
    assert_eq!(warm.code, 0, "{:#}", warm.report);
    assert_eq!(warm.report["github_api"]["requests"], 4);
    assert_eq!(
        warm.report["github_api"]["cached"], 4,
        "all 304: free against the rate limit"
    );
    for id in ["branch-protection", "repo-settings", "workflow-health"] {
        assert_eq!(rule(&warm.report, id)["outcome"], "pass");
    }
    // The cache holds no token.
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(CANARY));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_never_appears_in_any_output() {
    let server = MockServer::start().await;
    // Echo the request headers back in an error body: even then the token must not leak.
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let echoed: Vec<String> = request
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v:?}"))
                .collect();
            ResponseTemplate::new(403).set_body_json(json!({"message": echoed.join("; ")}))
        })
        .mount(&server)
        .await;
    let repo = checkout(POLICY);
    for format in ["human", "json", "markdown", "sarif", "github", "junit"] {
        let dir = repo.path().to_path_buf();
        let uri = server.uri();
        let name = format.to_string();
        let output = tokio::task::spawn_blocking(move || {
            warden(&dir)
                .args([
                    "check",
                    "-v",
                    "--no-cache",
                    "--repo",
                    "octocat/hello-world",
                    "--api-url",
                    &uri,
                    "--format",
                    &name,
                ])
                .env("GITHUB_TOKEN", CANARY)
                .env("WARDEN_RETRY_BACKOFF_MS", "1")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains(CANARY),
            "token leaked in {format} output:\n{all}"
        );
        assert!(!all.contains("CANARYt0ken"), "part of the token leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ruleset_rules_are_read_across_pages() {
    let all = body("rules-for-branch-full.json");
    let rules = all.as_array().unwrap();
    let second: Vec<Value> = rules
        .iter()
        .filter(|r| r["type"] == "non_fast_forward" || r["type"] == "deletion")
        .cloned()
        .collect();
    let server = MockServer::start().await;
    // Fill in the server's own address in the link header.
    let uri = server.uri();
    let link = format!(
        "<{uri}{REPO}/rules/branches/main?per_page=100&page=2>; rel=\"next\", <{uri}{REPO}/rules/branches/main?per_page=100&page=2>; rel=\"last\""
    );
    let first: Vec<Value> = rules
        .iter()
        .filter(|r| r["type"] != "non_fast_forward" && r["type"] != "deletion")
        .cloned()
        .collect();
    let scenario = Scenario {
        protection: error(404, "branch-not-protected.json"),
        rules: ok(Value::Array(first), "page1").insert_header("link", link.as_str()),
        ..Scenario::default()
    };
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/rules/branches/main")))
        .and(query_param("page", "2"))
        .respond_with(ok(Value::Array(second), "page2"))
        .with_priority(1)
        .mount(&server)
        .await;
    mount(&server, scenario).await;
    let repo = checkout(POLICY);
    let run = check(&repo, &server, &[]).await;
    let bp = rule(&run.report, "branch-protection");
    let found = messages(&run.report, "branch-protection");
    // Force pushes and deletions are blocked only by the rules on page 2.
    assert!(
        !found
            .iter()
            .any(|m| m.contains("block_force_pushes") || m.contains("block_deletions")),
        "{bp:#}"
    );
    let pages = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/rules/branches/main"))
        .count();
    assert_eq!(pages, 2);
}
