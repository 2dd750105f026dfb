//! `warden pr` end to end: from a saved event (offline, files from local git), and from
//! the API (wiremock on 127.0.0.1, bodies from @octokit/openapi examples).

use crate::common::{fixture, rule, warden, TestRepo};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// A repository with a base commit (an old gap) and a head commit adding files.
fn repo_with_pr() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/old.md", "old gap, not part of the PR")
        .write("warden.toml", ALLOWLIST);
    let base = repo.commit_at("base", "2026-11-01").to_string();
    repo.write("notes/new.md", "added by the PR")
        .write("docs/guide.md", "fine")
        .write("src/lib.rs", "fn x() {}\n");
    let head = repo.commit_at("head", "2026-11-20").to_string();
    (repo, base, head)
}

fn event(base: &str, head: &str) -> Value {
    let mut event = load("events/pull_request.opened.json");
    event["pull_request"]["base"]["sha"] = json!(base);
    event["pull_request"]["head"]["sha"] = json!(head);
    event["pull_request"]["body"] = json!("Fixes #1");
    event
}

fn run_json(cmd: &mut assert_cmd::Command) -> (i32, Value, String) {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap(), report, stderr)
}

#[test]
fn saved_event_is_judged_offline_on_the_files_the_pr_changes() {
    let (repo, base, head) = repo_with_pr();
    let event_file = repo.path().join("event.json");
    std::fs::write(&event_file, event(&base, &head).to_string()).unwrap();
    let (code, report, stderr) =
        run_json(warden(repo.path()).args(["pr", "--event", "event.json", "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["mode"], "pr");
    assert_eq!(report["pull_request"]["number"], 2);
    assert_eq!(report["pull_request"]["files_source"], "git");
    assert_eq!(report["pull_request"]["changed_files"], 3);
    let findings = rule(&report, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["notes/new.md"], "the old gap is not the PR's");
    assert!(
        report.get("github_api").is_none(),
        "an event file is judged without the network"
    );
}

#[test]
fn unknown_changed_files_make_path_rules_an_error_not_a_pass() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("only the base");
    let event_file = repo.path().join("event.json");
    std::fs::write(
        &event_file,
        event(&"1".repeat(40), &"2".repeat(40)).to_string(),
    )
    .unwrap();
    let (code, report, _) =
        run_json(warden(repo.path()).args(["pr", "--event", "event.json", "--format", "json"]));
    assert_eq!(code, 1, "a deny rule that cannot decide blocks");
    let docs = rule(&report, "docs-allowlist");
    assert_eq!(docs["outcome"], "error");
    assert!(
        docs["reason"]
            .as_str()
            .unwrap()
            .contains("changed files are unknown"),
        "{docs:#}"
    );
    assert_eq!(report["pull_request"]["files_source"], "none");
}

#[test]
fn bad_targets_and_missing_events_are_usage_errors() {
    let repo = TestRepo::new();
    repo.write("warden.toml", ALLOWLIST);
    let output = warden(repo.path())
        .args(["pr", "not-a-pr"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a pull request"));
    let output = warden(repo.path()).args(["pr"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("GITHUB_EVENT_PATH"));
    std::fs::write(
        repo.path().join("push.json"),
        load("github/repo.json").to_string(),
    )
    .unwrap();
    let output = warden(repo.path())
        .args(["pr", "--event", "push.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no `pull_request`"));
}

fn files_page(range: std::ops::Range<usize>) -> Value {
    let template = load("github/pull-request-files.json")[0].clone();
    Value::Array(
        range
            .map(|i| {
                let mut file = template.clone();
                file["filename"] = json!(format!("notes/file-{i:04}.md"));
                file["status"] = json!("added");
                file
            })
            .collect(),
    )
}

async fn serve_pr(server: &MockServer, pages: usize) {
    let mut pr = load("github/pull-request.json");
    pr["number"] = json!(7);
    pr["body"] = json!("Fixes #1");
    // The PR is judged by its base branch's policy, read at the base commit.
    let mut policy = load("github/content-file.json");
    policy["content"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        ALLOWLIST
    ));
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/contents/warden.toml"))
        .and(query_param("ref", pr["base"]["sha"].as_str().unwrap()))
        .respond_with(ResponseTemplate::new(200).set_body_json(policy))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr))
        .mount(server)
        .await;
    let uri = server.uri();
    for page in 1..=pages {
        let mut response =
            ResponseTemplate::new(200).set_body_json(files_page((page - 1) * 100..page * 100));
        if page < pages {
            // GitHub's link header shape (fixtures/github/headers.md).
            response = response.insert_header(
                "link",
                format!(
                    "<{uri}/repos/octocat/hello-world/pulls/7/files?per_page=100&page={}>; rel=\"next\", <{uri}/repos/octocat/hello-world/pulls/7/files?per_page=100&page={pages}>; rel=\"last\"",
                    page + 1
                )
                .as_str(),
            );
        }
        let mock = Mock::given(method("GET")).and(path("/repos/octocat/hello-world/pulls/7/files"));
        let mock = if page == 1 {
            mock.and(wiremock::matchers::query_param_is_missing("page"))
        } else {
            mock.and(query_param("page", page.to_string()))
        };
        mock.respond_with(response).mount(server).await;
    }
}

async fn pr_via_api(repo: &TestRepo, server: &MockServer) -> (i32, Value, String) {
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    tokio::task::spawn_blocking(move || {
        run_json(
            warden(&dir)
                .args([
                    "pr",
                    "octocat/hello-world#7",
                    "--format",
                    "json",
                    "--no-cache",
                    "--api-url",
                    &uri,
                ])
                .env("GITHUB_TOKEN", "test-token"),
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn named_pr_is_read_through_the_api_with_paginated_files() {
    let server = MockServer::start().await;
    serve_pr(&server, 2).await;
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("base");
    let (code, report, stderr) = pr_via_api(&repo, &server).await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["pull_request"]["files_source"], "api");
    assert_eq!(report["pull_request"]["changed_files"], 200);
    // The PR's files need not exist in this checkout to be judged.
    assert_eq!(
        rule(&report, "docs-allowlist")["findings"]
            .as_array()
            .unwrap()
            .len(),
        200
    );
    // The PR, two pages of files, and the base branch's policy.
    assert_eq!(
        report["github_api"]["requests"], 4,
        "{:#}",
        report["pull_request"]
    );
    assert!(report["pull_request"].get("files_note").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pr_with_more_than_3000_files_says_the_list_is_capped() {
    let server = MockServer::start().await;
    serve_pr(&server, 30).await;
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("base");
    let (_, report, stderr) = pr_via_api(&repo, &server).await;
    assert_eq!(report["pull_request"]["changed_files"], 3000, "{stderr}");
    let note = report["pull_request"]["files_note"].as_str().unwrap();
    assert!(note.contains("at most 3000 files"), "{note}");
}

/// `warden pr` as a workflow step: event from GITHUB_EVENT_PATH, sticky comment, job
/// summary and step outputs; `comment_status` is what POSTing the comment answers.
async fn in_actions(comment_status: u16) -> (i32, String, String, String, Vec<String>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/Codertocat/Hello-World/issues/2/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let created = if comment_status == 201 {
        ResponseTemplate::new(201).set_body_json(load("github/issue-comment.json"))
    } else {
        ResponseTemplate::new(comment_status)
            .set_body_json(load("github/forbidden-permission.json"))
    };
    Mock::given(method("POST"))
        .and(path("/repos/Codertocat/Hello-World/issues/2/comments"))
        .respond_with(created)
        .mount(&server)
        .await;
    let (repo, base, head) = repo_with_pr();
    let runner = tempfile::tempdir().unwrap();
    let event = runner.path().join("event.json");
    std::fs::write(&event, event_json(&base, &head).to_string()).unwrap();
    let output_file = runner.path().join("output");
    let summary_file = runner.path().join("summary.md");
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    let (event_c, output_c, summary_c) = (event.clone(), output_file.clone(), summary_file.clone());
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let output = warden(&dir)
            .args([
                "pr",
                "--format",
                "github",
                "--no-cache",
                "--output",
                "json=warden.json",
            ])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_PATH", &event_c)
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_OUTPUT", &output_c)
            .env("GITHUB_STEP_SUMMARY", &summary_c)
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
            .env("GITHUB_RUN_ID", "42")
            .env("GITHUB_API_URL", &uri)
            .env("GITHUB_TOKEN", "test-token")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    })
    .await
    .unwrap();
    let outputs = std::fs::read_to_string(&output_file).unwrap_or_default();
    let summary = std::fs::read_to_string(&summary_file).unwrap_or_default();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("warden.json")).unwrap())
            .unwrap();
    // The report's request counters include the comment's requests (it has no others).
    assert_eq!(report["github_api"]["requests"], 2, "{report:#}");
    let requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    (code, stderr, outputs, summary, requests)
}

fn event_json(base: &str, head: &str) -> Value {
    event(base, head)
}

#[tokio::test(flavor = "multi_thread")]
async fn in_a_workflow_it_comments_summarises_and_sets_outputs() {
    let (code, stderr, outputs, summary, requests) = in_actions(201).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("warden: posted the report as comment"),
        "{stderr}"
    );
    assert!(
        requests.contains(&"POST /repos/Codertocat/Hello-World/issues/2/comments".to_string()),
        "{requests:?}"
    );
    assert!(
        outputs.contains("gaps=1") && outputs.contains("blocking=true"),
        "{outputs}"
    );
    assert!(outputs.contains("report=warden.json"), "{outputs}");
    assert!(
        summary.contains("# warden: governance gaps") && summary.contains("notes/new.md"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_token_that_cannot_comment_falls_back_without_failing_the_job_for_it() {
    let (code, stderr, outputs, summary, _) = in_actions(403).await;
    assert_eq!(code, 1, "the exit code reflects the gaps only: {stderr}");
    assert!(stderr.contains("job summary"), "{stderr}");
    assert!(outputs.contains("gaps=1"));
    assert!(summary.contains("notes/new.md"));
}

/// The PR (body `body`) and one page of files, through the API.
/// `policy` is the base branch's `warden.toml`, read at the base commit.
async fn serve_pr_with(server: &MockServer, body: &str, files: Value, policy: &str) {
    let mut pr = load("github/pull-request.json");
    pr["number"] = json!(7);
    pr["body"] = json!(body);
    let mut content = load("github/content-file.json");
    content["content"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        policy
    ));
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/contents/warden.toml"))
        .and(query_param("ref", pr["base"]["sha"].as_str().unwrap()))
        .respond_with(ResponseTemplate::new(200).set_body_json(content))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/pulls/7/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(files))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_item_without_a_filename_makes_path_rules_an_error_not_a_pass() {
    let server = MockServer::start().await;
    let mut files = files_page(0..3);
    // The other two files are allowed: dropping the broken item would make this a pass.
    files[0]["filename"] = json!("docs/a.md");
    files[1]["filename"] = json!("README.md");
    files[2].as_object_mut().unwrap().remove("filename");
    serve_pr_with(&server, "Fixes #1", files, ALLOWLIST).await;
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("base");
    let (code, report, stderr) = pr_via_api(&repo, &server).await;
    let allowlist = rule(&report, "docs-allowlist");
    assert_eq!(allowlist["outcome"], "error", "{stderr}\n{report:#}");
    let reason = allowlist["reason"].as_str().unwrap();
    assert!(
        reason.contains("item 2") && reason.contains("filename"),
        "{reason}"
    );
    assert_eq!(code, 1, "an undecided deny rule blocks: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_issue_is_a_gap_not_a_pass_or_an_error() {
    let server = MockServer::start().await;
    let mut files = files_page(0..1);
    files[0]["filename"] = json!("README.md");
    let policy = "[[rule]]\nid = \"issue\"\nkind = \"pr-issue-link\"\nmust_exist = true\n";
    serve_pr_with(&server, "Fixes #1\n\n```\nFixes #2\n```", files, policy).await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/issues/1"))
        .respond_with(ResponseTemplate::new(410).set_body_json(load("github/issue-deleted.json")))
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", policy);
    repo.commit("base");
    let (code, report, stderr) = pr_via_api(&repo, &server).await;
    let issue = rule(&report, "issue");
    assert_eq!(issue["outcome"], "fail", "{stderr}\n{report:#}");
    let message = issue["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("was deleted"), "{message}");
    assert_eq!(code, 1);
    // `#2` is inside a code block: never looked up.
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| p.contains("/issues/"))
        .collect();
    assert_eq!(asked, ["/repos/octocat/hello-world/issues/1"]);
}
