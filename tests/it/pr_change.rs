//! `warden pr` judges the change: by the base branch's policy (a PR cannot switch its own
//! rules off), and only the gaps the PR brings block; those already at the base are
//! listed as existing.

use crate::common::{fixture, rule, warden, TestRepo};
use base64::Engine;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";
const LOOSE: &str = "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"**\"]\n";

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn event(base: &str, head: &str) -> Value {
    let mut event = load("events/pull_request.opened.json");
    event["pull_request"]["base"]["sha"] = json!(base);
    event["pull_request"]["head"]["sha"] = json!(head);
    event
}

fn run(cmd: &mut assert_cmd::Command) -> (i32, Value, String) {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

fn pr_event(repo: &TestRepo, base: &str, head: &str, extra: &[&str]) -> (i32, Value, String) {
    std::fs::write(
        repo.path().join("event.json"),
        event(base, head).to_string(),
    )
    .unwrap();
    let mut args = vec!["pr", "--event", "event.json", "--format", "json"];
    args.extend_from_slice(extra);
    run(warden(repo.path()).args(&args))
}

#[test]
fn a_pr_that_loosens_the_policy_is_judged_by_the_base_branchs() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    let base = repo.commit_at("base", "2026-11-01").to_string();
    repo.write("warden.toml", LOOSE).write("notes/new.md", "x");
    let head = repo.commit_at("head", "2026-11-20").to_string();

    let (code, report, stderr) = pr_event(&repo, &base, &head, &[]);
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    assert_eq!(
        rule(&report, "docs-allowlist")["findings"][0]["path"],
        "notes/new.md"
    );
    let source = report["pull_request"]["policy_source"].as_str().unwrap();
    assert!(
        source.contains("`warden.toml` of the base branch"),
        "{source}"
    );
    let change = rule(&report, "policy-change");
    assert_eq!(change["level"], "info");
    assert_eq!(change["findings"][0]["path"], "warden.toml");
    assert!(change["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("judged by the base branch's policy"));

    // The human report says which policy judged.
    let output = warden(repo.path())
        .args(["pr", "--event", "event.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("policy: `warden.toml` of the base branch"));

    // An explicit --policy still wins.
    let (code, report, _) = pr_event(&repo, &base, &head, &["--policy", "warden.toml"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["pull_request"]["policy_source"],
        "the policy named with --policy"
    );
}

#[test]
fn gaps_already_at_the_base_do_not_block_a_pr() {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/old.md", "old gap")
        .write(
            "warden.toml",
            &format!("{ALLOWLIST}\n[[rule]]\nid = \"guide\"\nkind = \"required-files\"\npaths = [\"docs/guide.md\"]\n"),
        );
    let base = repo.commit_at("base", "2026-11-01").to_string();
    repo.write("notes/old.md", "edited")
        .write("docs/a.md", "fine");
    let head = repo.commit_at("head", "2026-11-20").to_string();

    let (code, report, stderr) = pr_event(&repo, &base, &head, &[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(
        rule(&report, "docs-allowlist")["findings"][0]["change"],
        "existing"
    );
    assert_eq!(rule(&report, "guide")["findings"][0]["change"], "existing");
    assert!(report["change"]["before"]
        .as_str()
        .unwrap()
        .starts_with("the base commit"));
    let (code, _, _) = pr_event(&repo, &base, &head, &["--fail-on-existing"]);
    assert_eq!(code, 1);

    // A gap the PR brings blocks.
    repo.write("notes/new.md", "x");
    let head = repo.commit_at("more", "2026-11-21").to_string();
    let (code, report, _) = pr_event(&repo, &base, &head, &[]);
    assert_eq!(code, 1);
    let findings = rule(&report, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let new: Vec<&str> = findings
        .iter()
        .filter(|f| f["change"] == "new")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["notes/new.md"]);
}

#[test]
fn without_the_base_commit_or_the_api_an_unreadable_base_policy_blocks() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", LOOSE);
    repo.commit("a checkout without the PR's commits");
    let (code, report, _) = pr_event(&repo, &"1".repeat(40), &"2".repeat(40), &[]);
    assert_eq!(code, 1, "{report:#}");
    let base = rule(&report, "base-policy");
    assert_eq!(base["outcome"], "error");
    assert!(base["reason"]
        .as_str()
        .unwrap()
        .contains("could not be read"));
    assert!(report["change"]["note"]
        .as_str()
        .unwrap()
        .contains("lacks the base commit"));
}

fn content_answer(text: &str) -> Value {
    let mut answer = load("github/content-file.json");
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    answer["content"] = Value::String(encoded);
    answer["path"] = Value::String("warden.toml".into());
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_base_commit_the_base_policy_comes_through_the_contents_api() {
    let server = MockServer::start().await;
    let mut pr = load("github/pull-request.json");
    pr["number"] = json!(7);
    let base_sha = pr["base"]["sha"].as_str().unwrap().to_string();
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr))
        .mount(&server)
        .await;
    let mut file = load("github/pull-request-files.json")[0].clone();
    file["filename"] = json!("notes/new.md");
    file["status"] = json!("added");
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/pulls/7/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([file])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/hello-world/contents/warden.toml"))
        .and(query_param("ref", base_sha.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_answer(ALLOWLIST)))
        .expect(1)
        .mount(&server)
        .await;

    // The checkout's own policy would allow everything.
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", LOOSE);
    repo.commit("checkout");
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    let (code, report, stderr) = tokio::task::spawn_blocking(move || {
        run(warden(&dir)
            .args([
                "pr",
                "octocat/hello-world#7",
                "--format",
                "json",
                "--no-cache",
                "--api-url",
                &uri,
            ])
            .env("GITHUB_TOKEN", "test-token"))
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    assert_eq!(
        rule(&report, "docs-allowlist")["findings"][0]["path"],
        "notes/new.md"
    );
    assert!(report["pull_request"]["policy_source"]
        .as_str()
        .unwrap()
        .contains("of the base branch"));
}
