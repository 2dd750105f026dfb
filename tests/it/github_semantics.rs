//! What GitHub's answers mean to the rules: an answer that lacks what a rule judges, a
//! file that could not be read, a ruleset that only constrains metadata, a bypass list,
//! a vulnerability-alerts answer that is neither 204 nor 404. Each is `error` (or a real
//! gap), never a pass. Over real HTTP against a local server (wiremock on 127.0.0.1),
//! answering with bodies from fixtures/github (see its README for provenance).

use std::time::Duration;

use crate::common::{fixture, rule, warden, TestRepo};
use serde_json::{json, Value};
use warden::github::{ClientConfig, RepoId};
use warden::org::{self, OrgOptions, OrgTarget};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "ghp_CANARYsemanticsNEVERprinted1234567890";
const REPO: &str = "/repos/octocat/hello-world";

const CI_WORKFLOW: &str = "name: CI\non:\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";

fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ok(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
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

fn repo_body() -> Value {
    let mut repo = body("repo.json");
    repo["default_branch"] = json!("main");
    repo
}

/// Classic protection that blocks force pushes and deletions and requires `test`.
fn protection() -> Value {
    let mut protection = body("branch-protection.json");
    protection["allow_force_pushes"]["enabled"] = json!(false);
    protection["allow_deletions"]["enabled"] = json!(false);
    protection["required_status_checks"]["contexts"] = json!(["test"]);
    protection["required_status_checks"]["checks"] = json!([{"context": "test", "app_id": 15368}]);
    protection
}

async fn get(server: &MockServer, at: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A repository with `repo` settings, `protection` on main and ruleset `rules`.
async fn serve(repo: ResponseTemplate, protection: ResponseTemplate, rules: Value) -> MockServer {
    let server = MockServer::start().await;
    get(&server, REPO, repo).await;
    get(
        &server,
        &format!("{REPO}/branches/main/protection"),
        protection,
    )
    .await;
    get(&server, &format!("{REPO}/rules/branches/main"), ok(rules)).await;
    let mut runs = body("workflow-runs-scenario.json");
    for run in runs["workflow_runs"].as_array_mut().unwrap() {
        run["path"] = json!(".github/workflows/ci.yml");
    }
    get(&server, &format!("{REPO}/actions/runs"), ok(runs)).await;
    server
}

struct Run {
    code: i32,
    report: Value,
}

async fn check(policy: &str, server: &MockServer) -> Run {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write(".github/workflows/ci.yml", CI_WORKFLOW);
    repo.commit("init");
    let uri = server.uri();
    tokio::task::spawn_blocking(move || {
        let output = warden(repo.path())
            .args(["check", "--format", "json", "--no-cache"])
            .args(["--repo", "octocat/hello-world", "--api-url", &uri])
            .env("GITHUB_TOKEN", CANARY)
            .env("WARDEN_RETRY_BACKOFF_MS", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY));
        Run {
            code: output.status.code().unwrap(),
            report: serde_json::from_str(&stdout)
                .unwrap_or_else(|_| panic!("not JSON: {stdout}\n{stderr}")),
        }
    })
    .await
    .unwrap()
}

fn reason(report: &Value, id: &str) -> String {
    let r = rule(report, id);
    assert_eq!(r["outcome"], "error", "{r:#}");
    r["reason"].as_str().unwrap().to_string()
}

fn messages(report: &Value, id: &str) -> Vec<String> {
    rule(report, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

const BLOCKS: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
block_force_pushes = true
block_deletions = true
"#;

#[tokio::test(flavor = "multi_thread")]
async fn protection_answers_that_lack_judged_fields_are_errors_not_passes() {
    let mut lacking = protection();
    lacking
        .as_object_mut()
        .unwrap()
        .remove("allow_force_pushes");
    lacking.as_object_mut().unwrap().remove("allow_deletions");
    for (answer, expected) in [
        (json!({}), "lacked `url`"),
        (
            json!({"message": "Moved Permanently", "documentation_url": "https://docs.github.com/rest"}),
            "lacked `url`",
        ),
        (lacking, "lacked `allow_force_pushes`"),
    ] {
        let server = serve(ok(repo_body()), ok(answer.clone()), json!([])).await;
        let run = check(BLOCKS, &server).await;
        let why = reason(&run.report, "branch-protection");
        assert!(why.contains(expected), "{answer}: {why}");
        assert_eq!(run.code, 1, "an unknown deny rule blocks");
    }
    // The recorded minimal answer (nothing configured: sections absent) is judged.
    let server = serve(
        ok(repo_body()),
        ok(body("branch-protection-recorded-minimal.json")),
        json!([]),
    )
    .await;
    let run = check(BLOCKS, &server).await;
    assert_eq!(rule(&run.report, "branch-protection")["outcome"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_answer_without_its_fields_is_an_error_and_main_is_never_assumed() {
    let policy = r#"
[[rule]]
kind = "workflow-health"
workflows = ["ci.yml"]

[[rule]]
kind = "repo-settings"
delete_branch_on_merge = true
"#;
    let server = serve(ok(json!({})), ok(protection()), json!([])).await;
    let run = check(policy, &server).await;
    assert!(
        reason(&run.report, "repo-settings").contains("lacked `full_name`"),
        "{:#}",
        run.report
    );
    assert!(reason(&run.report, "workflow-health").contains("default branch is unknown"));
    let asked_for_main = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .any(|r| r.url.path().ends_with("/actions/runs"));
    assert!(!asked_for_main, "no runs are read for a guessed branch");

    // A repository object without `default_branch`.
    let mut repo = repo_body();
    repo.as_object_mut().unwrap().remove("default_branch");
    repo.as_object_mut()
        .unwrap()
        .remove("delete_branch_on_merge");
    let server = serve(ok(repo), ok(protection()), json!([])).await;
    let run = check(policy, &server).await;
    assert!(reason(&run.report, "workflow-health").contains("lacked `default_branch`"));
    let why = reason(&run.report, "repo-settings");
    assert!(
        why.contains("lacked `delete_branch_on_merge`") && !why.contains("admin"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ruleset_of_metadata_patterns_does_not_protect_a_branch() {
    // GitHub's own example: only commit_message_pattern and commit_author_email_pattern.
    let server = serve(
        ok(repo_body()),
        error(404, "branch-not-protected.json"),
        body("rules-for-branch.json"),
    )
    .await;
    let run = check(BLOCKS, &server).await;
    assert_eq!(rule(&run.report, "branch-protection")["outcome"], "fail");
    let found = messages(&run.report, "branch-protection");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("is not protected")
            && found[0].contains("commit_message_pattern")
            && found[0].contains("ruleset 42"),
        "{found:#?}"
    );
}

const ENFORCE_ADMINS: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
enforce_admins = true
"#;

/// The rules ruleset 42 applies (pull_request, non_fast_forward, deletion).
fn ruleset_42_rules() -> Value {
    let rules = body("rules-for-branch-full.json");
    Value::Array(
        rules
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleset_id"] == 42)
            .cloned()
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn enforce_admins_under_rulesets_judges_the_bypass_list() {
    let not_protected = || error(404, "branch-not-protected.json");
    // GitHub's example ruleset lets Team 234 bypass it, always.
    let server = serve(ok(repo_body()), not_protected(), ruleset_42_rules()).await;
    get(
        &server,
        &format!("{REPO}/rulesets/42"),
        ok(body("ruleset.json")),
    )
    .await;
    let run = check(ENFORCE_ADMINS, &server).await;
    let found = messages(&run.report, "branch-protection");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("ruleset 42 (monalisa/my-repo)")
            && found[0].contains("Team 234 (always)")
            && !found[0].contains("neither"),
        "the message names the ruleset that applies: {found:#?}"
    );

    // Nobody may bypass it: enforced.
    let mut ruleset = body("ruleset.json");
    ruleset["bypass_actors"] = json!([]);
    let server = serve(ok(repo_body()), not_protected(), ruleset_42_rules()).await;
    get(&server, &format!("{REPO}/rulesets/42"), ok(ruleset.clone())).await;
    let run = check(ENFORCE_ADMINS, &server).await;
    assert_eq!(rule(&run.report, "branch-protection")["outcome"], "pass");

    // A token without write access to the ruleset is not shown the list: unknown.
    ruleset.as_object_mut().unwrap().remove("bypass_actors");
    let server = serve(ok(repo_body()), not_protected(), ruleset_42_rules()).await;
    get(&server, &format!("{REPO}/rulesets/42"), ok(ruleset)).await;
    let run = check(ENFORCE_ADMINS, &server).await;
    let why = reason(&run.report, "branch-protection");
    assert!(why.contains("lacked `bypass_actors`"), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn vulnerability_alerts_are_204_on_404_off_and_anything_else_unknown() {
    let policy = r#"
[[rule]]
kind = "repo-settings"
dependabot_alerts = true
"#;
    let html = ResponseTemplate::new(200)
        .insert_header("content-type", "text/html; charset=utf-8")
        .set_body_string("<!DOCTYPE html><html><body>Sign in to GitHub</body></html>");
    for (answer, outcome) in [
        (ResponseTemplate::new(204), "pass"),
        (error(404, "not-found.json"), "fail"),
        (html, "error"),
        (ok(json!({})), "error"),
    ] {
        let server = serve(ok(repo_body()), ok(protection()), json!([])).await;
        get(&server, &format!("{REPO}/vulnerability-alerts"), answer).await;
        let run = check(policy, &server).await;
        let r = rule(&run.report, "repo-settings");
        assert_eq!(r["outcome"], outcome, "{r:#}");
        if outcome == "error" {
            assert!(
                r["reason"].as_str().unwrap().contains("neither 204"),
                "{r:#}"
            );
        }
    }
}

// --- Files read through the API in an organisation sweep -------------------------------

const ORG_POLICY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
block_force_pushes = true
checks_match_workflows = true
required_workflows = ["ci.yml"]
"#;

fn git_sha(content: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, content)
        .unwrap()
        .to_string()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// How the blob of `.github/workflows/ci.yml` is answered.
#[derive(Clone, Copy, Debug)]
enum Blob {
    Whole,
    /// Not in the tree at all.
    Missing,
    Status500,
    NotBase64,
    /// Valid base64 of the first bytes only.
    Truncated,
}

/// `octo-org/app`, read with `--repos`: the repository, its tree (README.md and ci.yml),
/// ci.yml's blob as `blob` says, classic protection requiring `test`, no rulesets, and a
/// GraphQL endpoint that is down (502), so every read is REST's.
async fn serve_org(blob: Blob) -> MockServer {
    let server = MockServer::start().await;
    let base = "/repos/octo-org/app";
    let mut repo = repo_body();
    repo["full_name"] = json!("octo-org/app");
    repo["name"] = json!("app");
    get(&server, base, ok(repo)).await;
    let mut tree = body("git-tree.json");
    let template = tree["tree"].as_array().unwrap()[0].clone();
    let mut entries = Vec::new();
    let files: &[(&str, &str)] = match blob {
        Blob::Missing => &[("README.md", "# app\n")],
        _ => &[
            (".github/workflows/ci.yml", CI_WORKFLOW),
            ("README.md", "# app\n"),
        ],
    };
    for (file, content) in files {
        let sha = git_sha(content.as_bytes());
        let mut entry = template.clone();
        entry["path"] = json!(file);
        entry["mode"] = json!("100644");
        entry["type"] = json!("blob");
        entry["sha"] = json!(sha);
        entry["size"] = json!(content.len());
        entries.push(entry);
        let mut answer = body("blob.json");
        answer["sha"] = json!(sha);
        answer["size"] = json!(content.len());
        answer["content"] = json!(base64(content.as_bytes()));
        let response = match (blob, *file == ".github/workflows/ci.yml") {
            (Blob::Status500, true) => ResponseTemplate::new(500),
            (Blob::NotBase64, true) => {
                answer["content"] = json!("this is *not* base64!");
                ok(answer)
            }
            (Blob::Truncated, true) => {
                answer["content"] = json!(base64(&content.as_bytes()[..12]));
                ok(answer)
            }
            _ => ok(answer),
        };
        get(&server, &format!("{base}/git/blobs/{sha}"), response).await;
    }
    tree["tree"] = Value::Array(entries);
    get(&server, &format!("{base}/git/trees/main"), ok(tree)).await;
    get(
        &server,
        &format!("{base}/branches/main/protection"),
        ok(protection()),
    )
    .await;
    get(
        &server,
        &format!("{base}/rules/branches/main"),
        ok(json!([])),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    server
}

async fn sweep(server: &MockServer) -> Value {
    let mut config = ClientConfig::new(server.uri(), Some(CANARY.to_string()));
    config.backoff = Duration::from_millis(1);
    config.timeout = Duration::from_secs(10);
    let policy = warden::policy::load_text("org-policy.toml", ORG_POLICY).unwrap();
    let options = OrgOptions::new(
        OrgTarget::Repos(vec![RepoId::parse("octo-org/app").unwrap()]),
        "2026-11-22T00:00:00Z".parse().unwrap(),
    );
    let report =
        tokio::task::spawn_blocking(move || org::sweep_org(&options, &policy, config).unwrap())
            .await
            .unwrap();
    let row = &report.repositories[0];
    row.report.clone().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_sweep_never_passes_required_workflows_it_could_not_read() {
    let report = sweep(&serve_org(Blob::Whole).await).await;
    assert_eq!(
        rule(&report, "branch-protection")["outcome"],
        "pass",
        "GraphQL down, REST answers: {report:#}"
    );

    for blob in [Blob::Status500, Blob::NotBase64, Blob::Truncated] {
        let report = sweep(&serve_org(blob).await).await;
        let why = reason(&report, "branch-protection");
        assert!(
            why.contains(".github/workflows/ci.yml") && why.contains("could not be read"),
            "{blob:?}: {why}"
        );
    }

    let report = sweep(&serve_org(Blob::Missing).await).await;
    let found = messages(&report, "branch-protection");
    assert!(
        found
            .iter()
            .any(|m| m.contains("required workflow `.github/workflows/ci.yml` does not exist")),
        "{found:#?}"
    );
    assert_eq!(rule(&report, "branch-protection")["outcome"], "fail");
}

/// A server without GraphQL is asked once, however many queries are in flight: the first
/// query is the probe and the others wait for its answer. Failed before (under load, two
/// or more workers sent their query before the first 404 came back).
#[test]
fn a_server_without_graphql_is_asked_once_by_concurrent_queries() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .respond_with(
                ResponseTemplate::new(404)
                    .set_body_json(json!({"message": "Not Found"}))
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&server)
            .await;
        server
    });
    let config = ClientConfig::new(server.uri(), Some("t0ken".to_string()));
    // Counted as the org sweep's batches count: only a query that goes out counts (they
    // once counted each of the six, and the sweep reported 2 queries where 1 was sent).
    let sent = std::sync::atomic::AtomicU64::new(0);
    let (answers, _) = warden::github::with_client(config, async |client| {
        let variables = json!({});
        let query =
            |_| client.graphql_counted("query { viewer { login } }", &variables, Some(&sent));
        futures_util::future::join_all((0..6).map(query)).await
    })
    .unwrap();
    assert!(answers.iter().all(Result::is_err));
    let received = runtime.block_on(server.received_requests()).unwrap();
    assert_eq!(received.len(), 1, "{} queries were sent", received.len());
    assert_eq!(sent.into_inner(), 1, "queries counted");
}
