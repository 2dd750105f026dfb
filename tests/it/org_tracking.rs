//! `warden sweep --org ORG --issue`: one tracking issue in each swept repository, with the
//! single-repository lifecycle, against the fake organisation of `org_sweep` and the
//! stateful issues fake of `common::issues`, over real HTTP on 127.0.0.1. Everything is
//! asserted from the requests the server received.

use serde_json::Value;
use warden::engine::FailOn;
use warden::org::OrgTarget;
use warden::report::org::TrackingOutcome;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::issues::Tracker;
use crate::org_sweep::{
    error, options, row, serve, sweep, sweep_with_policy, Protection, RepoSpec, ORG,
    POLICY_WITHOUT_HISTORY,
};

const MARKER: &str = "<!-- warden:tracking-issue -->";

/// Six repositories, one per case.
fn specs() -> Vec<RepoSpec> {
    let mut gappy = RepoSpec::new("gappy");
    gappy.protection = Protection::Unprotected;
    let clean = RepoSpec::new("clean");
    let fixed = RepoSpec::new("fixed");
    let mut unreadable = RepoSpec::new("flaky-api");
    unreadable.tree_status = Some(500);
    // Its ruleset rules answer 500 (mounted below): the rule cannot decide.
    let shaky = RepoSpec::new("shaky");
    let mut readonly = RepoSpec::new("readonly");
    readonly.protection = Protection::Unprotected;
    vec![gappy, clean, fixed, unreadable, shaky, readonly]
}

async fn organisation(tracker: &Tracker) -> MockServer {
    let server = serve(&specs()).await;
    Mock::given(path(format!("/repos/{ORG}/shaky/rules/branches/main")))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    // A token that may read but not write issues in this one repository.
    let mut denied: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::fixture("github/forbidden-permission.json"))
            .unwrap(),
    )
    .unwrap();
    denied["documentation_url"] =
        Value::from("https://docs.github.com/rest/issues/issues#create-an-issue");
    let forbidden = error(403, "forbidden-permission.json").set_body_json(denied);
    Mock::given(method("POST"))
        .and(path(format!("/repos/{ORG}/readonly/issues")))
        .respond_with(forbidden)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path_regex(format!("^/repos/{ORG}/[^/]+/issues")))
        .respond_with(tracker.clone())
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// The issue requests `repo` received since request number `from`, as "METHOD path".
async fn issue_requests(server: &MockServer, repo: &str, from: usize) -> Vec<String> {
    let prefix = format!("/repos/{ORG}/{repo}/issues");
    server.received_requests().await.unwrap()[from..]
        .iter()
        .filter(|r| r.url.path().starts_with(&prefix))
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_repository_keeps_one_tracking_issue_and_unknown_is_never_all_clear() {
    let tracker = Tracker::default();
    // Earlier sweeps opened issues in repositories that are now clear, unreadable, and
    // undecided.
    for name in ["fixed", "flaky-api", "shaky"] {
        tracker.add(
            &format!("{ORG}/{name}"),
            1,
            "open",
            &format!("{MARKER}\nold gaps"),
        );
    }
    let server = organisation(&tracker).await;
    let mut opts = options(OrgTarget::Org(ORG.into()), None);
    opts.issue = true;
    // Only a tracking failure can make this run exit 1.
    opts.fail_on = FailOn::Never;
    let report = sweep_with_policy(&server, opts.clone(), POLICY_WITHOUT_HISTORY).await;
    let outcome = |name: &str| {
        let tracking = row(&report, name).tracking.clone().unwrap();
        (tracking.outcome, tracking.issue)
    };
    let list = |name: &str| format!("GET /repos/{ORG}/{name}/issues");

    // Gaps: an issue is opened, listing them.
    assert_eq!(outcome("gappy"), (TrackingOutcome::Opened, Some(1)));
    assert_eq!(
        issue_requests(&server, "gappy", 0).await,
        [
            list("gappy"),
            format!("POST /repos/{ORG}/gappy/issues"),
            list("gappy")
        ]
    );
    let opened = &tracker.issues(&format!("{ORG}/gappy"))[0];
    assert!(opened["body"]
        .as_str()
        .unwrap()
        .contains("branch-protection"));

    // Clean and no issue: looked for, nothing written.
    assert_eq!(outcome("clean"), (TrackingOutcome::Unchanged, None));
    assert_eq!(issue_requests(&server, "clean", 0).await, [list("clean")]);

    // All clear: a comment, then closed.
    assert_eq!(outcome("fixed"), (TrackingOutcome::Closed, Some(1)));
    assert_eq!(
        issue_requests(&server, "fixed", 0).await,
        [
            list("fixed"),
            format!("POST /repos/{ORG}/fixed/issues/1/comments"),
            format!("PATCH /repos/{ORG}/fixed/issues/1"),
        ]
    );
    assert_eq!(
        tracker.issues(&format!("{ORG}/fixed"))[0]["state"],
        "closed"
    );

    // Could not be read (500 on its tree): its issue is not even looked at.
    assert_eq!(outcome("flaky-api").0, TrackingOutcome::Skipped);
    assert!(issue_requests(&server, "flaky-api", 0).await.is_empty());
    assert_eq!(
        tracker.issues(&format!("{ORG}/flaky-api"))[0]["state"],
        "open"
    );

    // Readable, no gaps, but a rule could not decide: the open issue stays open.
    let (rule_outcome, _) =
        crate::org_sweep::outcome_of(row(&report, "shaky"), "branch-protection");
    assert_eq!(rule_outcome, "error");
    assert_eq!(outcome("shaky"), (TrackingOutcome::Skipped, Some(1)));
    assert_eq!(issue_requests(&server, "shaky", 0).await, [list("shaky")]);
    assert_eq!(tracker.issues(&format!("{ORG}/shaky"))[0]["state"], "open");

    // A write GitHub refused: that row says so, the others went on, the run exits 1.
    let refused = row(&report, "readonly").tracking.clone().unwrap();
    assert_eq!(refused.outcome, TrackingOutcome::Error);
    assert!(
        refused
            .message
            .contains("Resource not accessible by integration"),
        "{}",
        refused.message
    );
    assert_eq!(report.summary.tracking_errors, 1);
    assert_eq!(report.summary.blocking, 0);
    assert_eq!(report.exit_code(), 1);

    // The next day, through the command line: the same gaps send no edit; what went
    // wrong is said on standard error and in the JSON report.
    let seen = server.received_requests().await.unwrap().len();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("warden.toml"), POLICY_WITHOUT_HISTORY).unwrap();
    let dir = work.path().to_path_buf();
    let uri = server.uri();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        let output = crate::common::warden(&dir)
            .env("WARDEN_RETRY_BACKOFF_MS", "1")
            .env("GITHUB_TOKEN", "test-token")
            .args(["sweep", "--org", ORG, "--issue", "--api-url", &uri])
            .args(["--no-cache", "--format", "json", "--fail-on", "never"])
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        issue_requests(&server, "gappy", seen).await,
        [list("gappy")]
    );
    assert!(
        stderr.contains("warden: octo-org/readonly: could not update the tracking issue"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warden: octo-org/flaky-api: the repository could not be read"),
        "{stderr}"
    );
    assert!(stderr.contains("] octo-org/gappy: 1 gap"), "{stderr}");
    assert!(!stderr.contains("test-token"));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let tracking = |name: &str| {
        json["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["repo"] == format!("{ORG}/{name}"))
            .unwrap()["tracking"]
            .clone()
    };
    assert_eq!(tracking("gappy")["outcome"], "unchanged");
    assert_eq!(tracking("gappy")["issue"], 1);
    assert_eq!(tracking("readonly")["outcome"], "error");
    assert_eq!(tracking("flaky-api")["outcome"], "skipped");
    assert_eq!(json["summary"]["tracking_errors"], 1);
}

/// A history rule cannot run in an org sweep: its gaps are unknown, not fixed. A clean
/// repository's open issue (perhaps opened by a sweep in a clone, for stale planning
/// docs) stays open, and the row says why.
#[tokio::test(flavor = "multi_thread")]
async fn rules_an_org_sweep_cannot_run_never_make_a_repository_all_clear() {
    let tracker = Tracker::default();
    tracker.add(
        &format!("{ORG}/fixed"),
        1,
        "open",
        &format!("{MARKER}\nstale planning docs"),
    );
    let server = organisation(&tracker).await;
    let mut opts = options(OrgTarget::Org(ORG.into()), None);
    opts.issue = true;
    opts.fail_on = FailOn::Never;
    assert!(crate::org_sweep::policy_text().contains("planning-doc-ttl"));
    let report = sweep(&server, opts).await;
    let tracking = row(&report, "fixed").tracking.clone().unwrap();
    assert_eq!(tracking.outcome, TrackingOutcome::Skipped);
    assert!(
        tracking.message.contains("planning-doc-ttl"),
        "{}",
        tracking.message
    );
    assert_eq!(tracker.issues(&format!("{ORG}/fixed"))[0]["state"], "open");
    let writes = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            r.url
                .path()
                .starts_with(&format!("/repos/{ORG}/fixed/issues"))
        })
        .filter(|r| r.method.as_str() != "GET")
        .count();
    assert_eq!(writes, 0);
}
