//! The sticky PR comment over real HTTP: a local server (wiremock on 127.0.0.1) that keeps
//! the PR's comments like GitHub does and answers with GitHub's bodies
//! (fixtures/github/issue-comment.json, issue-comments.json, user.json,
//! forbidden-permission.json, not-found.json, validation-failed.json; see
//! fixtures/github/README.md). Covers the lifecycle (create, update, no-op, delete), whose
//! comments are warden's (a user token, the Actions GITHUB_TOKEN, someone else pasting the
//! marker), a fork's read-only token, pagination, duplicates, truncation to GitHub's size
//! limit and injection through report text.

use crate::common;

use std::sync::Mutex;
use std::time::Duration;

use crate::common::fixture;
use serde_json::{json, Value};
use warden::effects::pr_comment::{
    self as comment, comment_body, sync, CommentMode, CommentOutcome, GITHUB_MAX_BODY_CHARS, MARKER,
};
use warden::github::{Client, ClientConfig, RepoId};
use warden::model::Level;
use warden::policy::Origin;
use warden::report::{self, fingerprint, Outcome, Report, ReportedFinding, RuleOutcome};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PR: u64 = 1347;
const LIST: &str = "/repos/octocat/Hello-World/issues/1347/comments";
/// GitHub's `link` headers name the repository by id (see fixtures/github/headers.md);
/// 1296269 is octocat/Hello-World's id in the fixtures.
const LIST_BY_ID: &str = "/repositories/1296269/issues/1347/comments";
const COMMENT: &str = "/repos/octocat/Hello-World/issues/comments/";
const RUN_URL: &str = "https://github.com/octocat/Hello-World/actions/runs/30433642";

fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn json_response(status: u16, value: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
        .insert_header("x-ratelimit-resource", "core")
        .set_body_json(value)
}

/// A stored comment: `issue-comment.json` with its id (and the URLs holding it) and body
/// replaced.
fn stored_comment(id: u64, text: &str) -> Value {
    let mut comment = body("issue-comment.json");
    comment["id"] = json!(id);
    comment["url"] = json!(format!(
        "https://api.github.com/repos/octocat/Hello-World/issues/comments/{id}"
    ));
    comment["html_url"] = json!(format!(
        "https://github.com/octocat/Hello-World/issues/1347#issuecomment-{id}"
    ));
    comment["body"] = json!(text);
    comment
}

/// Someone else's comment, as listed (`issue-comments.json`, "Me too", by `mona`).
fn human_comment(id: u64) -> Value {
    let mut comment = body("issue-comments.json")[0].clone();
    comment["id"] = json!(id);
    comment["user"]["login"] = json!("mona");
    comment
}

/// A comment by `login`.
fn comment_by(id: u64, login: &str, text: &str) -> Value {
    let mut comment = stored_comment(id, text);
    comment["user"]["login"] = json!(login);
    comment
}

/// Who the server says the token is.
#[derive(Clone)]
enum Identity {
    /// A user token: `GET /user` answers with this login.
    User(&'static str),
    /// An installation token (the Actions GITHUB_TOKEN): `GET /user` is 403, GraphQL's
    /// `viewer` answers with this login.
    App(&'static str),
    /// Neither endpoint answers.
    Unknown,
}

impl Identity {
    fn login(&self) -> &'static str {
        match self {
            Identity::User(login) | Identity::App(login) => login,
            Identity::Unknown => "octocat",
        }
    }
}

/// The PR's comments, kept across requests like GitHub keeps them.
struct Comments {
    state: Mutex<State>,
}

struct State {
    comments: Vec<Value>,
    next_id: u64,
    /// Answer for `POST` instead of creating a comment (a fork's 403, a 5xx).
    create: Option<ResponseTemplate>,
    /// The server's own address, for `link` headers.
    base: String,
    identity: Identity,
}

impl Comments {
    fn new(comments: Vec<Value>) -> Comments {
        let next_id = comments
            .iter()
            .filter_map(|c| c["id"].as_u64())
            .max()
            .unwrap_or(0)
            + 1000;
        Comments {
            state: Mutex::new(State {
                comments,
                next_id,
                create: None,
                base: String::new(),
                identity: Identity::User("octocat"),
            }),
        }
    }

    fn with_identity(self, identity: Identity) -> Comments {
        self.state.lock().unwrap().identity = identity;
        self
    }

    fn refusing_creation(self, answer: ResponseTemplate) -> Comments {
        self.state.lock().unwrap().create = Some(answer);
        self
    }
}

impl Respond for Comments {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path();
        let method = request.method.as_str();
        let query = |key: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        match (method, path, &state.identity) {
            ("GET", "/user", Identity::User(login)) => {
                let mut user = body("user.json");
                user["login"] = json!(login);
                return json_response(200, user);
            }
            ("GET", "/user", Identity::App(_)) => {
                return json_response(403, body("forbidden-permission.json"))
            }
            ("POST", "/graphql", Identity::App(login)) => {
                return json_response(200, json!({"data": {"viewer": {"login": login}}}))
            }
            ("GET", "/user", Identity::Unknown) | ("POST", "/graphql", _) => {
                return ResponseTemplate::new(502)
            }
            _ => {}
        }
        match method {
            "GET" if path == LIST || path == LIST_BY_ID => {
                let per_page = query("per_page").unwrap_or(30).clamp(1, 100);
                let page = query("page").unwrap_or(1).max(1);
                let pages = state.comments.len().div_ceil(per_page).max(1);
                let items: Vec<Value> = state
                    .comments
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .cloned()
                    .collect();
                let mut response = json_response(200, Value::Array(items));
                if pages > 1 {
                    let base = format!("{}{LIST_BY_ID}", state.base);
                    let link = |p: usize, rel: &str| {
                        format!("<{base}?per_page={per_page}&page={p}>; rel=\"{rel}\"")
                    };
                    let mut links = Vec::new();
                    if page > 1 {
                        links.push(link(page - 1, "prev"));
                    }
                    if page < pages {
                        links.push(link(page + 1, "next"));
                        links.push(link(pages, "last"));
                    }
                    if page > 1 {
                        links.push(link(1, "first"));
                    }
                    response = response.insert_header("link", links.join(", ").as_str());
                }
                response
            }
            "POST" if path == LIST => {
                if let Some(answer) = &state.create {
                    return answer.clone();
                }
                let text = request.body_json::<Value>().unwrap()["body"]
                    .as_str()
                    .unwrap()
                    .to_string();
                if text.chars().count() > GITHUB_MAX_BODY_CHARS {
                    return json_response(422, body("validation-failed.json"));
                }
                let id = state.next_id;
                state.next_id += 1;
                let comment = comment_by(id, state.identity.login(), &text);
                state.comments.push(comment.clone());
                json_response(201, comment)
            }
            "PATCH" | "DELETE" if path.starts_with(COMMENT) => {
                let id: u64 = path[COMMENT.len()..].parse().unwrap();
                let Some(at) = state.comments.iter().position(|c| c["id"] == json!(id)) else {
                    return json_response(404, body("not-found.json"));
                };
                if method == "DELETE" {
                    state.comments.remove(at);
                    return ResponseTemplate::new(204);
                }
                let text = request.body_json::<Value>().unwrap()["body"].clone();
                state.comments[at]["body"] = text;
                json_response(200, state.comments[at].clone())
            }
            _ => json_response(404, body("not-found.json")),
        }
    }
}

async fn github(comments: Comments) -> MockServer {
    let server = MockServer::start().await;
    comments.state.lock().unwrap().base = server.uri();
    Mock::given(any())
        .respond_with(comments)
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    let mut config = ClientConfig::new(server.uri(), Some("ghs_test_token_0123456789".into()));
    config.backoff = Duration::from_millis(1);
    config.timeout = Duration::from_secs(10);
    Client::new(config).unwrap()
}

fn repo() -> RepoId {
    RepoId::parse("octocat/Hello-World").unwrap()
}

/// `(method, path?query)` of every request the server got.
async fn requests(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let target = match r.url.query() {
                Some(q) => format!("{}?{q}", r.url.path()),
                None => r.url.path().to_string(),
            };
            (r.method.to_string(), target)
        })
        .collect()
}

fn sent_bodies(requests: &[Request], method: &str) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == method)
        .map(|r| {
            r.body_json::<Value>().unwrap()["body"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

// ---- reports, by hand ----

fn finding(path: &str, message: &str) -> ReportedFinding {
    ReportedFinding {
        rule: "docs".to_string(),
        kind: "docs-allowlist".to_string(),
        level: Level::Deny,
        message: message.to_string(),
        path: Some(path.to_string()),
        line: None,
        help: Some("move it under `docs/`".to_string()),
        fingerprint: fingerprint("docs", path),
        waived: None,
        first_seen: None,
        change: None,
        fixable: false,
        fix: None,
        fix_data: None,
    }
}

fn report(findings: Vec<ReportedFinding>) -> Report {
    let outcome = if findings.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let rules = vec![RuleOutcome {
        id: "docs".to_string(),
        kind: "docs-allowlist".to_string(),
        level: Level::Deny,
        summary: "Markdown only in the allowed places".to_string(),
        outcome,
        reason: None,
        origin: Origin {
            file: "warden.toml".to_string(),
            line: 1,
        },
        findings,
    }];
    common::report_of("/work/repo", rules)
}

fn gaps(paths: &[&str]) -> Report {
    report(
        paths
            .iter()
            .map(|p| finding(p, &format!("`{p}` is outside the docs allow-list")))
            .collect(),
    )
}

// ---- lifecycle ----

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_create_update_unchanged_delete() {
    let server = github(Comments::new(vec![human_comment(1)])).await;
    let client = client(&server);
    let one = gaps(&["notes/a.md"]);
    let two = gaps(&["notes/a.md", "notes/b.md"]);
    let clean = report(vec![]);
    let sync_report = |r: &Report| {
        let body = comment_body(r, Some(RUN_URL));
        let has_gaps = comment::has_gaps(r);
        let (client, repo) = (&client, repo());
        async move { sync(client, &repo, PR, has_gaps, &body, CommentMode::OnGaps).await }
    };

    let created = sync_report(&one).await;
    let CommentOutcome::Created(id) = created else {
        panic!("expected Created, got {created:?}");
    };
    assert_eq!(sync_report(&one).await, CommentOutcome::Unchanged(id));
    assert_eq!(sync_report(&two).await, CommentOutcome::Updated(id));
    assert_eq!(sync_report(&clean).await, CommentOutcome::Deleted(id));
    assert_eq!(sync_report(&clean).await, CommentOutcome::NotNeeded);

    let list = format!("{LIST}?per_page=100");
    let one_comment = format!("{COMMENT}{id}");
    // Who the token is is asked only once a marked comment exists.
    let expected: Vec<(String, String)> = [
        ("GET", list.as_str()),
        ("POST", LIST),
        ("GET", &list),
        ("GET", "/user"),
        ("GET", &list),
        ("GET", "/user"),
        ("PATCH", &one_comment),
        ("GET", &list),
        ("GET", "/user"),
        ("DELETE", &one_comment),
        ("GET", &list),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(requests(&server).await, expected);

    let received = server.received_requests().await.unwrap();
    let posted = sent_bodies(&received, "POST");
    let patched = sent_bodies(&received, "PATCH");
    assert!(posted[0].starts_with(MARKER));
    assert!(posted[0].contains("notes/a.md") && !posted[0].contains("notes/b.md"));
    assert!(patched[0].starts_with(MARKER));
    assert!(patched[0].contains("notes/b.md"));
    // The unchanged run sent no write at all: one POST, one PATCH in total.
    assert_eq!((posted.len(), patched.len()), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn always_mode_keeps_a_short_all_clear_comment() {
    let server = github(Comments::new(vec![human_comment(1)])).await;
    let client = client(&server);
    let clean = report(vec![]);
    let body = comment_body(&clean, Some(RUN_URL));
    assert!(body.starts_with(MARKER));
    assert!(body.contains("**No gaps.**"));
    assert!(body.contains(&format!(
        "All clear: nothing to fix in this pull request. The rule-by-rule report is in the job summary: <{RUN_URL}>."
    )));
    assert!(!body.contains("## Rules"), "{body}");

    let outcome = sync(&client, &repo(), PR, false, &body, CommentMode::Always).await;
    assert!(matches!(outcome, CommentOutcome::Created(_)), "{outcome:?}");
    let again = sync(&client, &repo(), PR, false, &body, CommentMode::Always).await;
    assert!(matches!(again, CommentOutcome::Unchanged(_)), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn never_mode_sends_nothing() {
    let server = github(Comments::new(vec![stored_comment(5, MARKER)])).await;
    let client = client(&server);
    let outcome = sync(&client, &repo(), PR, true, "x", CommentMode::Never).await;
    assert_eq!(outcome, CommentOutcome::NotNeeded);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_pr_without_a_comment_only_reads() {
    let server = github(Comments::new(vec![human_comment(1)])).await;
    let client = client(&server);
    let body = comment_body(&report(vec![]), None);
    let outcome = sync(&client, &repo(), PR, false, &body, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::NotNeeded);
    assert_eq!(
        requests(&server).await,
        vec![("GET".to_string(), format!("{LIST}?per_page=100"))]
    );
}

// ---- a fork's read-only token, and other failures ----

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pr_cannot_write_and_says_why() {
    let forbidden = json_response(403, body("forbidden-permission.json"));
    let server = github(Comments::new(vec![human_comment(1)]).refusing_creation(forbidden)).await;
    let client = client(&server);
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    let CommentOutcome::CannotWrite(reason) = &outcome else {
        panic!("expected CannotWrite, got {outcome:?}");
    };
    assert!(reason.contains("403"), "{reason}");
    assert!(
        reason.contains("Resource not accessible by integration"),
        "{reason}"
    );
    assert!(reason.contains("fork"), "{reason}");
    assert!(reason.contains("pull-requests: write"), "{reason}");
    assert!(!reason.contains("ghs_test_token"), "{reason}");
    let said = outcome.to_string();
    assert!(
        said.contains("job summary") && said.contains("annotations"),
        "{said}"
    );
    // One attempt: the refusal is final, nothing is retried.
    let posts = requests(&server)
        .await
        .into_iter()
        .filter(|(m, _)| m == "POST")
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_on_a_write_fails_without_a_retry() {
    let server = github(
        Comments::new(vec![]).refusing_creation(ResponseTemplate::new(502).set_body_string("")),
    )
    .await;
    let client = client(&server);
    let body = comment_body(&gaps(&["notes/a.md"]), None);
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    let CommentOutcome::Failed(reason) = &outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert!(reason.contains("502"), "{reason}");
    let posts = requests(&server)
        .await
        .into_iter()
        .filter(|(m, _)| m == "POST")
        .count();
    assert_eq!(
        posts, 1,
        "a POST after a 5xx may have happened: never retried"
    );
}

#[test]
fn sync_blocking_runs_on_its_own_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(github(Comments::new(vec![human_comment(1)])));
    let config = ClientConfig::new(server.uri(), Some("ghs_test_token_0123456789".into()));
    let report = gaps(&["notes/a.md"]);
    let body = comment_body(&report, Some(RUN_URL));
    let (outcome, cost) =
        comment::sync_blocking(config, &repo(), PR, true, &body, CommentMode::OnGaps);
    assert!(matches!(outcome, CommentOutcome::Created(_)), "{outcome:?}");
    // The run's request counters include the comment's requests.
    let sent = runtime.block_on(server.received_requests()).unwrap().len() as u64;
    assert_eq!((cost.requests, sent), (2, 2));
    // A client that cannot be built is a failure, not a panic.
    let bad = ClientConfig::new("not a url", None);
    let (outcome, _) = comment::sync_blocking(bad, &repo(), PR, true, &body, CommentMode::OnGaps);
    assert!(matches!(outcome, CommentOutcome::Failed(_)), "{outcome:?}");
}

// ---- finding the comment ----

#[tokio::test(flavor = "multi_thread")]
async fn the_marker_comment_is_found_on_page_two() {
    let mut comments: Vec<Value> = (1..=100).map(human_comment).collect();
    comments.push(stored_comment(101, &format!("{MARKER}\nold report")));
    let server = github(Comments::new(comments)).await;
    let client = client(&server);
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::Updated(101));
    assert_eq!(
        requests(&server).await,
        vec![
            ("GET".to_string(), format!("{LIST}?per_page=100")),
            (
                "GET".to_string(),
                format!("{LIST_BY_ID}?per_page=100&page=2")
            ),
            ("GET".to_string(), "/user".to_string()),
            ("PATCH".to_string(), format!("{COMMENT}101")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_are_deleted_and_the_oldest_kept() {
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let server = github(Comments::new(vec![
        human_comment(1),
        stored_comment(7, &body),
        // Quoting the marker later in a body does not make a comment warden's.
        stored_comment(8, &format!("see {MARKER}")),
        stored_comment(9, &format!("{MARKER}\nolder run's report")),
    ]))
    .await;
    let client = client(&server);
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::Unchanged(7));
    assert_eq!(
        requests(&server).await,
        vec![
            ("GET".to_string(), format!("{LIST}?per_page=100")),
            ("GET".to_string(), "/user".to_string()),
            ("DELETE".to_string(), format!("{COMMENT}9")),
        ]
    );
}

// ---- whose comment it is ----

#[tokio::test(flavor = "multi_thread")]
async fn another_users_marked_comment_is_never_edited_or_deleted() {
    let planted = format!("{MARKER}\nAll clear, merge away");
    let server = github(Comments::new(vec![comment_by(5, "mallory", &planted)])).await;
    let client = client(&server);
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    let CommentOutcome::Created(id) = outcome else {
        panic!("expected a comment of warden's own, got {outcome:?}");
    };
    assert_ne!(id, 5);
    // A clean PR removes warden's comment, not mallory's.
    let clean = comment_body(&report(vec![]), Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, false, &clean, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::Deleted(id));
    let writes: Vec<(String, String)> = requests(&server)
        .await
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .collect();
    assert_eq!(
        writes,
        vec![
            ("POST".to_string(), LIST.to_string()),
            ("DELETE".to_string(), format!("{COMMENT}{id}")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_actions_token_warden_is_github_actions_bot() {
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let server = github(
        Comments::new(vec![
            // A user who pasted the marker, then warden's own (older run) comment.
            comment_by(3, "octocat", &format!("{MARKER}\nnothing to see")),
            comment_by(4, "github-actions[bot]", &format!("{MARKER}\nold report")),
        ])
        .with_identity(Identity::App("github-actions[bot]")),
    )
    .await;
    let client = client(&server);
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::Updated(4));
    let asked: Vec<String> = requests(&server)
        .await
        .into_iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        asked,
        [
            format!("GET {LIST}?per_page=100"),
            // GitHub refuses /user to an installation token; GraphQL's viewer names it.
            "GET /user".to_string(),
            "POST /graphql".to_string(),
            format!("PATCH {COMMENT}4"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_identity_touches_no_marked_comment() {
    let server = github(
        Comments::new(vec![comment_by(4, "octocat", &format!("{MARKER}\nold"))])
            .with_identity(Identity::Unknown),
    )
    .await;
    let client = client(&server);
    let body = comment_body(&gaps(&["notes/a.md"]), Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    assert!(
        matches!(&outcome, CommentOutcome::Failed(r) if r.contains("which marked comments")),
        "{outcome:?}"
    );
    assert!(requests(&server).await.iter().all(|(m, _)| m == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_differs_only_in_its_time_is_not_reposted() {
    let mut earlier = gaps(&["notes/a.md"]);
    earlier.now = "2026-11-20T08:00:00Z".to_string();
    let mut now = earlier.clone();
    now.now = "2026-11-22T12:00:00Z".to_string();
    let stored = comment_body(&earlier, Some(RUN_URL));
    let current = comment_body(&now, Some(RUN_URL));
    assert_ne!(stored, current, "the time is in the body");
    let server = github(Comments::new(vec![stored_comment(9, &stored)])).await;
    let client = client(&server);
    let outcome = sync(&client, &repo(), PR, true, &current, CommentMode::OnGaps).await;
    assert_eq!(outcome, CommentOutcome::Unchanged(9));
    assert!(requests(&server).await.iter().all(|(m, _)| m == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_read_is_cannot_write() {
    // No such PR, or a token that cannot see it: GitHub's 404.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(json_response(404, body("not-found.json")))
        .mount(&server)
        .await;
    let client = client(&server);
    let outcome = sync(&client, &repo(), PR, true, "x", CommentMode::OnGaps).await;
    assert!(
        matches!(&outcome, CommentOutcome::CannotWrite(r) if r.contains("404")),
        "{outcome:?}"
    );
}

// ---- the body ----

/// The line with CommonMark code spans removed; `Err` when a backtick run is not closed by
/// a run of the same length (a half code span). Backslash escapes are honoured outside spans.
fn outside_code_spans(line: &str) -> Result<String, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i]);
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                let mut j = i + run;
                let mut closed = None;
                while j < chars.len() {
                    if chars[j] == '`' {
                        let other = chars[j..].iter().take_while(|&&c| c == '`').count();
                        if other == run {
                            closed = Some(j + other);
                            break;
                        }
                        j += other;
                    } else {
                        j += 1;
                    }
                }
                match closed {
                    Some(end) => {
                        out.push_str("<code/>");
                        i = end;
                    }
                    None => return Err(format!("unclosed code span in {line:?}")),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// A report whose Markdown is over 70,000 characters: many gaps with long, hostile names.
fn big_report() -> Report {
    let findings = (0..400)
        .map(|i| {
            let path = format!(
                "notes/{i:03}-`tick`-&amp;-<b>@team</b>-{}.md",
                "x".repeat(60)
            );
            finding(
                &path,
                &format!("`{path}` is outside the docs allow-list &#64; <i>{i}</i> @everyone"),
            )
        })
        .collect();
    report(findings)
}

#[test]
fn a_long_report_is_cut_cleanly_below_githubs_limit() {
    let report = big_report();
    let mut full = Vec::new();
    report::markdown::render(&report, &mut full).unwrap();
    let full = String::from_utf8(full).unwrap();
    assert!(full.chars().count() > 70_000, "{}", full.chars().count());

    let body = comment_body(&report, Some(RUN_URL));
    let chars = body.chars().count();
    assert!(chars < GITHUB_MAX_BODY_CHARS, "{chars}");
    assert!(chars > 60_000, "the cut wastes room: {chars}");
    assert!(body.starts_with(&format!("{MARKER}\n# warden: governance gaps\n")));

    // What is kept is whole lines of the full report, then a blank line and the note.
    let (kept, note) = body.rsplit_once("\n\n").unwrap();
    let kept = kept.strip_prefix(&format!("{MARKER}\n")).unwrap();
    assert!(full.starts_with(&format!("{kept}\n")));
    let shown = kept.lines().filter(|l| l.starts_with("- **deny**")).count();
    assert!(shown > 0 && shown < 400, "{shown}");
    assert_eq!(
        note,
        format!(
            "…{} more gaps not shown; the full report is in the job summary: <{RUN_URL}>\n",
            400 - shown
        )
    );
    // A finding's "Fix:" line stays with it.
    assert!(
        kept.ends_with("  - Fix: move it under `docs/`"),
        "{}",
        &kept[kept.len() - 200..]
    );

    for line in body.lines() {
        let plain = outside_code_spans(line).unwrap();
        // No half entity at a line end, and nothing interpreted as HTML.
        assert!(
            !regex_lite_entity_tail(&plain),
            "dangling entity at the end of {line:?}"
        );
        assert!(!plain.contains("<b>") && !plain.contains("<i>"), "{line}");
    }

    let without_url = comment_body(&report, None);
    assert!(without_url.chars().count() < GITHUB_MAX_BODY_CHARS);
    assert!(without_url.ends_with(" more gaps not shown; the full report is in the job summary\n"));
}

/// Ends with `&`, `&#`, `&#12` or `&amp` without the closing `;`.
fn regex_lite_entity_tail(line: &str) -> bool {
    let Some(at) = line.rfind('&') else {
        return false;
    };
    let tail = &line[at + 1..];
    !tail.contains(';') && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_report_is_accepted_by_the_server() {
    // The server answers 422 (validation-failed.json) to a body over GitHub's limit.
    let server = github(Comments::new(vec![])).await;
    let client = client(&server);
    let report = big_report();
    let body = comment_body(&report, Some(RUN_URL));
    let outcome = sync(&client, &repo(), PR, true, &body, CommentMode::OnGaps).await;
    assert!(matches!(outcome, CommentOutcome::Created(_)), "{outcome:?}");
}

#[test]
fn report_text_cannot_inject_mentions_html_links_or_the_marker() {
    let title = "fix](http://x) [click](http://evil.example) @octocat <script>alert(1)</script>";
    let report = report(vec![
        finding(
            "@octocat <script>alert(1)</script>.md",
            "`@octocat <script>alert(1)</script>.md` is outside the docs allow-list",
        ),
        finding(
            "docs/x.md",
            &format!("the title {title} names no issue <!-- warden:sticky-comment --> @org/team"),
        ),
    ]);
    let body = comment_body(&report, Some(RUN_URL));
    assert_eq!(body.matches(MARKER).count(), 1, "{body}");
    assert!(body.starts_with(MARKER));
    for line in body.lines().skip(1) {
        let plain = outside_code_spans(line).unwrap();
        let plain = plain.replace("<code/>", "");
        // No raw HTML: every `<` outside a code span is the autolink to the run.
        let html = plain.replace(&format!("<{RUN_URL}>"), "");
        assert!(!html.contains('<'), "HTML in {line:?}");
        // No mention: every `@` is followed by a zero-width space.
        for (at, _) in plain.match_indices('@') {
            assert!(plain[at..].starts_with("@&#8203;"), "mention in {line:?}");
        }
        // No link: every `]` is escaped.
        for (at, _) in plain.match_indices(']') {
            assert!(plain[..at].ends_with('\\'), "link syntax in {line:?}");
        }
    }
    assert!(body.contains("@&#8203;octocat"));
    assert!(body.contains("`@octocat <script>alert(1)</script>.md`"));
}
