//! `warden sweep` on one repository: the gaps report, the baseline comparison, and the
//! tracking-issue lifecycle against a stateful fake of GitHub's issues API on 127.0.0.1
//! (issue and comment bodies are the recorded ones from fixtures/github).

use crate::common::issues::Tracker;
use crate::common::{rule, warden, TestRepo};
use serde_json::Value;
use wiremock::{Mock, MockServer};

const POLICY: &str = "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn sweep(repo: &TestRepo, now: &str, extra: &[&str]) -> (i32, Value, String) {
    let output = warden(repo.path())
        .args([
            "sweep",
            "--format",
            "json",
            "--output",
            "json=reports/status/gaps.json",
            "--now",
            now,
        ])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn sweep_writes_the_gaps_report_and_tracks_what_changed() {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/a.md", "x")
        .write("notes/b.md", "x")
        .write("warden.toml", POLICY);
    repo.commit("init");

    let (code, first, stderr) = sweep(
        &repo,
        "2026-11-01",
        &["--baseline", "reports/status/gaps.json"],
    );
    assert_eq!(code, 1, "{stderr}");
    let markdown = std::fs::read_to_string(repo.path().join("reports/status/gaps.md")).unwrap();
    assert!(markdown.contains("notes/a.md") && markdown.contains("# warden: governance gaps"));
    assert!(
        first.get("baseline").is_none(),
        "no baseline on the first sweep"
    );
    let findings = rule(&first, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert!(findings
        .iter()
        .all(|f| f["first_seen"] == "2026-11-01T00:00:00Z"));

    // A week later: a.md is fixed, c.md is new, b.md is still open.
    repo.remove("notes/a.md");
    repo.write("notes/c.md", "x");
    repo.commit("change");
    let (_, second, _) = sweep(
        &repo,
        "2026-11-08",
        &["--baseline", "reports/status/gaps.json"],
    );
    let diff = &second["baseline"];
    assert_eq!(diff["compared_with"], "2026-11-01T00:00:00Z");
    assert_eq!(diff["fixed"].as_array().unwrap().len(), 1);
    assert_eq!(diff["fixed"][0]["path"], "notes/a.md");
    assert_eq!(diff["new"].as_array().unwrap().len(), 1);
    let findings = rule(&second, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let since =
        |path: &str| findings.iter().find(|f| f["path"] == path).unwrap()["first_seen"].clone();
    assert_eq!(
        since("notes/b.md"),
        "2026-11-01T00:00:00Z",
        "open since the first sweep"
    );
    assert_eq!(since("notes/c.md"), "2026-11-08T00:00:00Z");
    let markdown = std::fs::read_to_string(repo.path().join("reports/status/gaps.md")).unwrap();
    assert!(markdown.contains("1 new, 1 fixed"), "{markdown}");
    assert!(markdown.contains("open since 2026-11-01"), "{markdown}");
    assert!(
        markdown.contains("## Fixed since the previous sweep"),
        "{markdown}"
    );
}

/// A gap whose rule could not decide this time is not "fixed": it is unknown. A gap
/// whose rule left the policy leaves with it.
#[test]
fn gaps_of_rules_that_could_not_decide_are_unknown_not_fixed() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("notes/a.md", "x");
    let with_github = format!(
        "{POLICY}\n[[rule]]\nid = \"protect-main\"\nkind = \"branch-protection\"\nbranches = [\"main\"]\n"
    );
    repo.write("warden.toml", &with_github);
    repo.commit("init");
    let (_, mut first, stderr) = sweep(&repo, "2026-11-01", &["--offline"]);
    assert_eq!(
        rule(&first, "protect-main")["outcome"],
        "skipped",
        "{stderr}"
    );
    // As if an earlier, online sweep had found main unprotected.
    let gap = serde_json::json!({
        "rule": "protect-main", "level": "deny", "message": "`main` is not protected",
        "path": null, "line": null, "subject": "branch:main", "fingerprint": "0123456789abcdef",
        "first_seen": "2026-10-01T00:00:00Z"
    });
    let rules = first["rules"].as_array_mut().unwrap();
    let protect = rules
        .iter_mut()
        .find(|r| r["id"] == "protect-main")
        .unwrap();
    protect["findings"] = serde_json::json!([gap]);
    std::fs::write(repo.path().join("old.json"), first.to_string()).unwrap();

    let (_, second, _) = sweep(
        &repo,
        "2026-11-08",
        &["--offline", "--baseline", "old.json"],
    );
    let diff = &second["baseline"];
    assert_eq!(diff["fixed"].as_array().unwrap().len(), 0, "{diff}");
    assert_eq!(diff["unknown"][0]["rule"], "protect-main", "{diff}");
    let markdown = std::fs::read_to_string(repo.path().join("reports/status/gaps.md")).unwrap();
    assert!(markdown.contains("0 fixed, 1 not known"), "{markdown}");

    // The rule leaves the policy: its gap leaves as fixed.
    repo.write("warden.toml", POLICY);
    repo.commit("drop the GitHub rule");
    let (_, third, _) = sweep(
        &repo,
        "2026-11-09",
        &["--offline", "--baseline", "old.json"],
    );
    assert_eq!(third["baseline"]["fixed"][0]["rule"], "protect-main");
    assert!(third["baseline"].get("unknown").is_none());
}

#[test]
fn a_baseline_that_is_not_a_report_is_a_usage_error() {
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY)
        .write("old.json", "{\"hello\": 1}");
    let (code, _, stderr) = sweep(&repo, "2026-11-01", &["--baseline", "old.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a warden JSON report"), "{stderr}");
}

async fn tracked_sweep(repo: &TestRepo, server: &MockServer, now: &str) -> (i32, String) {
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    let now = now.to_string();
    tokio::task::spawn_blocking(move || {
        let output = warden(&dir)
            .args([
                "sweep",
                "--issue",
                "--no-cache",
                "--repo",
                "octocat/hello-world",
                "--api-url",
                &uri,
                "--now",
                &now,
            ])
            .env("GITHUB_TOKEN", "test-token")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    })
    .await
    .unwrap()
}

/// The requests since `from`, as "METHOD path" lines.
async fn requests_since(server: &MockServer, from: usize) -> Vec<String> {
    server.received_requests().await.unwrap()[from..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tracking_issue_lifecycle_open_update_noop_close_reopen() {
    let server = MockServer::start().await;
    let tracker = Tracker::default();
    Mock::given(wiremock::matchers::path_regex(
        "^/repos/octocat/hello-world/issues",
    ))
    .respond_with(tracker.clone())
    .mount(&server)
    .await;
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/a.md", "x")
        .write("warden.toml", POLICY);
    repo.commit("init");
    let list = "GET /repos/octocat/hello-world/issues";

    let (_, stderr) = tracked_sweep(&repo, &server, "2026-11-01").await;
    assert!(stderr.contains("opened tracking issue #1"), "{stderr}");
    assert_eq!(
        requests_since(&server, 0).await,
        [list, "POST /repos/octocat/hello-world/issues", list]
    );

    // Gaps change: the body is edited.
    repo.write("notes/b.md", "x");
    repo.commit("more");
    let seen = server.received_requests().await.unwrap().len();
    let (_, stderr) = tracked_sweep(&repo, &server, "2026-11-02").await;
    assert!(stderr.contains("updated tracking issue #1"), "{stderr}");
    assert_eq!(
        requests_since(&server, seen).await,
        [list, "PATCH /repos/octocat/hello-world/issues/1"]
    );

    // Same gaps a day later: nothing is written, so nobody is notified.
    let seen = server.received_requests().await.unwrap().len();
    let (_, stderr) = tracked_sweep(&repo, &server, "2026-11-03").await;
    assert!(stderr.contains("is up to date"), "{stderr}");
    assert_eq!(requests_since(&server, seen).await, [list]);

    // All clear: a comment, then the issue is closed.
    repo.remove("notes/a.md");
    repo.remove("notes/b.md");
    repo.commit("fixed");
    let seen = server.received_requests().await.unwrap().len();
    let (code, stderr) = tracked_sweep(&repo, &server, "2026-11-04").await;
    assert_eq!(code, 0);
    assert!(stderr.contains("closed tracking issue #1"), "{stderr}");
    assert_eq!(
        requests_since(&server, seen).await,
        [
            list,
            "POST /repos/octocat/hello-world/issues/1/comments",
            "PATCH /repos/octocat/hello-world/issues/1"
        ]
    );
    assert_eq!(tracker.issues("octocat/hello-world")[0]["state"], "closed");

    // Gaps return: the same issue is reopened, not a new one.
    repo.write("notes/c.md", "x");
    repo.commit("regressed");
    let (_, stderr) = tracked_sweep(&repo, &server, "2026-11-05").await;
    assert!(stderr.contains("reopened tracking issue #1"), "{stderr}");
    let issues = tracker.issues("octocat/hello-world");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["state"], "open");
    assert!(issues[0]["body"].as_str().unwrap().contains("notes/c.md"));
}

#[tokio::test(flavor = "multi_thread")]
async fn overlapping_sweeps_leave_one_open_issue() {
    let server = MockServer::start().await;
    let tracker = Tracker::default();
    Mock::given(wiremock::matchers::path_regex(
        "^/repos/octocat/hello-world/issues",
    ))
    .respond_with(tracker.clone())
    .mount(&server)
    .await;
    // Another sweep already opened one and a racing one opened a second.
    for number in [1, 2] {
        tracker.add(
            "octocat/hello-world",
            number,
            "open",
            &format!("<!-- warden:tracking-issue -->\nold body {number}"),
        );
    }
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/a.md", "x")
        .write("warden.toml", POLICY);
    repo.commit("init");
    let (_, stderr) = tracked_sweep(&repo, &server, "2026-11-01").await;
    assert!(stderr.contains("updated tracking issue #1"), "{stderr}");
    let issues = tracker.issues("octocat/hello-world");
    let open: Vec<u64> = issues
        .iter()
        .filter(|i| i["state"] == "open")
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(open, [1], "the newer duplicate is closed");
}
