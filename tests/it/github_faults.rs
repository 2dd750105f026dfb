//! Every GitHub endpoint warden calls × every way an answer can go wrong: the rule that
//! depends on the answer is `error` (or `skipped`), never `pass`, a `deny` rule then makes
//! exit code 1, and the token appears in no output and no file.
//!
//! The endpoints are `warden::github::client::Endpoint::ALL`, the list the client refuses
//! to step outside of; [`scenario`] matches on it without a wildcard, so a new endpoint
//! cannot be called before it has a row here.
//!
//! The server is a small HTTP/1.1 server on 127.0.0.1 written here rather than wiremock:
//! wiremock cannot reset a connection. Good answers are GitHub's recorded bodies from
//! fixtures/github (see its README); the faults change one endpoint's answer at a time.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use warden::github::client::Endpoint;

use crate::common::{fixture, TestRepo};

/// The token every run is given; it must never come out.
const CANARY: &str = "ghp_CANARYfaultTABLEneverPRINTED0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Unauthorized,
    ForbiddenPermission,
    PrimaryLimit403,
    PrimaryLimit429,
    SecondaryLimit403,
    SecondaryLimit429,
    /// One 500, then the good answer: a read must recover.
    ServerErrorOnce,
    BadGatewayForever,
    Timeout,
    ConnectionReset,
    TruncatedJson,
    HtmlBody,
    /// A non-JSON error page that echoes the Authorization header across the 200-character
    /// cut of error messages.
    HtmlErrorEchoingToken,
    EmptyObject,
    Null,
    MissingJudgedField,
    RedirectToAnotherHost,
    // Not faults, and not in [`FAULTS`]: answers warden must get through.
    /// One 429 secondary limit with `retry-after: 1`, then the good answer.
    SecondaryLimitBriefly,
    /// One redirect to the same path on the same host, then the good answer.
    RedirectSameHostOnce,
}

const FAULTS: &[Fault] = &[
    Fault::Unauthorized,
    Fault::ForbiddenPermission,
    Fault::PrimaryLimit403,
    Fault::PrimaryLimit429,
    Fault::SecondaryLimit403,
    Fault::SecondaryLimit429,
    Fault::ServerErrorOnce,
    Fault::BadGatewayForever,
    Fault::Timeout,
    Fault::ConnectionReset,
    Fault::TruncatedJson,
    Fault::HtmlBody,
    Fault::HtmlErrorEchoingToken,
    Fault::EmptyObject,
    Fault::Null,
    Fault::MissingJudgedField,
    Fault::RedirectToAnotherHost,
];

// ---------------------------------------------------------------------------------------
// The HTTP server

#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: value.to_string(),
        }
        .limits("4985")
    }

    fn with(mut self, name: &str, value: &str) -> Reply {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// GitHub's rate-limit headers (fixtures/github/headers.md), with `remaining`.
    fn limits(self, remaining: &str) -> Reply {
        let reset = (jiff::Timestamp::now().as_second() + 3600).to_string();
        self.with("x-ratelimit-limit", "5000")
            .with("x-ratelimit-remaining", remaining)
            .with("x-ratelimit-reset", &reset)
            .with("x-ratelimit-resource", "core")
    }
}

/// What the server does with one request.
enum Action {
    Answer(Reply),
    /// Close without reading the request: the kernel answers with a TCP reset.
    Reset,
    /// Read the request, then say nothing for longer than the client waits.
    Hang,
}

/// The good answer of `endpoint` for `path` (with its query).
type Good = Arc<dyn Fn(Endpoint, &str) -> Reply + Send + Sync>;

struct Server {
    port: u16,
    hits: Arc<Mutex<BTreeMap<Endpoint, usize>>>,
    requests: Arc<Mutex<usize>>,
}

impl Server {
    /// Serve good answers, except `fault` on `target`; `elsewhere` is the port a redirect
    /// to another host points at.
    fn start(good: Good, target: Option<(Endpoint, Fault)>, elsewhere: u16) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits: Arc<Mutex<BTreeMap<Endpoint, usize>>> = Arc::default();
        let requests: Arc<Mutex<usize>> = Arc::default();
        let (hits_c, requests_c) = (hits.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (good, hits, requests) = (good.clone(), hits_c.clone(), requests_c.clone());
                std::thread::spawn(move || {
                    handle(stream, &good, target, elsewhere, &hits, &requests);
                });
            }
        });
        Server {
            port,
            hits,
            requests,
        }
    }

    fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self, endpoint: Endpoint) -> usize {
        self.hits
            .lock()
            .unwrap()
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }
}

fn handle(
    mut stream: TcpStream,
    good: &Good,
    target: Option<(Endpoint, Fault)>,
    elsewhere: u16,
    hits: &Mutex<BTreeMap<Endpoint, usize>>,
    requests: &Mutex<usize>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    // Peek first: a reset must leave the request unread.
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    let Ok(n) = stream.peek(&mut buf) else { return };
    head.extend_from_slice(&buf[..n]);
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut words = text.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or_default().to_string(),
        words.next().unwrap_or_default().to_string(),
    );
    *requests.lock().unwrap() += 1;
    let endpoint = Endpoint::classify(&method, &path);
    let count = endpoint.map(|e| {
        let mut hits = hits.lock().unwrap();
        let count = hits.entry(e).or_default();
        *count += 1;
        *count
    });
    let fault = match (target, endpoint) {
        (Some((t, fault)), Some(e)) if t == e => Some(fault),
        _ => None,
    };
    if fault == Some(Fault::ConnectionReset) {
        drop(stream);
        return;
    }
    let request = read_request(&mut stream);
    let authorization = request
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("authorization:")
                .then(|| l[14..].trim().to_string())
        })
        .unwrap_or_default();
    let good_reply = || match endpoint {
        Some(e) => good(e, &path),
        None => Reply::json(404, &load("not-found.json")),
    };
    let action = match fault {
        None => Action::Answer(good_reply()),
        Some(fault) => faulty(
            fault,
            endpoint.unwrap(),
            good_reply(),
            count.unwrap_or(1),
            &path,
            &authorization,
            elsewhere,
        ),
    };
    match action {
        Action::Answer(reply) => {
            let mut out = format!(
                "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                reply.status,
                reply.body.len()
            );
            for (k, v) in &reply.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&reply.body);
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.flush();
        }
        Action::Reset => drop(stream),
        Action::Hang => std::thread::sleep(Duration::from_millis(2500)),
    }
}

/// Read one request (head and `content-length` body) and return its head.
fn read_request(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
            }
            return head;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&data).into_owned(),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

fn faulty(
    fault: Fault,
    endpoint: Endpoint,
    good: Reply,
    count: usize,
    path: &str,
    authorization: &str,
    elsewhere: u16,
) -> Action {
    let reply = match fault {
        Fault::Unauthorized => Reply::json(401, &load("bad-credentials.json")),
        Fault::ForbiddenPermission => Reply::json(403, &load("forbidden-permission.json"))
            .with("x-accepted-github-permissions", "administration=read"),
        Fault::PrimaryLimit403 => Reply::json(403, &load("rate-limited.json")).limits("0"),
        Fault::PrimaryLimit429 => Reply::json(429, &load("rate-limited.json")).limits("0"),
        Fault::SecondaryLimit403 => Reply::json(403, &load("secondary-rate-limited.json")),
        Fault::SecondaryLimit429 => {
            Reply::json(429, &load("secondary-rate-limited.json")).with("retry-after", "30")
        }
        Fault::ServerErrorOnce if count == 1 => Reply::json(500, &json!({})),
        Fault::ServerErrorOnce => good,
        Fault::BadGatewayForever => Reply {
            status: 502,
            headers: vec![("content-type".into(), "text/html".into())],
            body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
        },
        Fault::Timeout => return Action::Hang,
        Fault::ConnectionReset => return Action::Reset,
        Fault::TruncatedJson => {
            let body = if good.body.is_empty() {
                "{\"mess".to_string()
            } else {
                let mut cut = good.body.len() / 2;
                while !good.body.is_char_boundary(cut) {
                    cut -= 1;
                }
                good.body[..cut].to_string()
            };
            Reply {
                status: 200,
                body,
                ..good
            }
        }
        Fault::HtmlBody => Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><form action=\"/login\"></form></body></html>".into(),
        },
        Fault::HtmlErrorEchoingToken => Reply {
            status: 400,
            headers: vec![("content-type".into(), "text/html".into())],
            body: format!(
                "<html><body>{}rejected header: {authorization}</body></html>",
                "x".repeat(170)
            ),
        },
        Fault::EmptyObject => Reply::json(200, &json!({})),
        Fault::Null => Reply::json(200, &Value::Null),
        Fault::MissingJudgedField => {
            let mut value: Value = serde_json::from_str(&good.body).unwrap_or(json!({}));
            strip_judged(endpoint, &mut value);
            Reply::json(200, &value)
        }
        Fault::SecondaryLimitBriefly if count == 1 => {
            Reply::json(429, &load("secondary-rate-limited.json")).with("retry-after", "1")
        }
        Fault::RedirectSameHostOnce if count == 1 => Reply {
            status: 301,
            headers: vec![("location".into(), path.to_string())],
            body: String::new(),
        },
        Fault::SecondaryLimitBriefly | Fault::RedirectSameHostOnce => good,
        Fault::RedirectToAnotherHost => Reply {
            status: 302,
            headers: vec![(
                "location".into(),
                format!("http://localhost:{elsewhere}{path}"),
            )],
            body: String::new(),
        },
    };
    Action::Answer(reply)
}

/// Take out of a good answer the field the dependent rule judges.
fn strip_judged(endpoint: Endpoint, value: &mut Value) {
    let remove = |value: &mut Value, key: &str| {
        if let Some(map) = value.as_object_mut() {
            map.remove(key);
        }
    };
    let each = |value: &mut Value, key: &str| {
        for item in value.as_array_mut().into_iter().flatten() {
            if let Some(map) = item.as_object_mut() {
                map.remove(key);
            }
        }
    };
    match endpoint {
        Endpoint::Repo => remove(value, "delete_branch_on_merge"),
        Endpoint::WorkflowRuns => {
            for run in value["workflow_runs"].as_array_mut().into_iter().flatten() {
                run.as_object_mut().unwrap().remove("conclusion");
            }
        }
        // Answered with a 204 and no body: a 200 `{}` lacks the only thing judged.
        Endpoint::VulnerabilityAlerts => *value = json!({}),
        Endpoint::BranchProtection => remove(value, "allow_force_pushes"),
        Endpoint::BranchRules => each(value, "type"),
        Endpoint::Contents => remove(value, "content"),
        Endpoint::Pull => remove(value, "body"),
        Endpoint::PullFiles => each(value, "filename"),
        Endpoint::Issue => remove(value, "state"),
        Endpoint::OrgRepos => {
            each(value, "name");
            each(value, "full_name");
        }
        Endpoint::Ruleset => remove(value, "bypass_actors"),
        Endpoint::SecretScanningAlerts => each(value, "state"),
        Endpoint::DependabotAlerts => {
            for alert in value.as_array_mut().into_iter().flatten() {
                remove(&mut alert["security_advisory"], "severity");
                remove(&mut alert["security_vulnerability"], "severity");
            }
        }
        Endpoint::CodeScanningAlerts => {
            for alert in value.as_array_mut().into_iter().flatten() {
                remove(&mut alert["rule"], "severity");
                remove(&mut alert["rule"], "security_severity_level");
            }
        }
        Endpoint::CodeownersErrors => remove(value, "errors"),
        Endpoint::DeploymentBranchPolicies => {
            each(&mut value["branch_policies"], "name");
        }
        // `protection_rules` is optional (absent: none configured); `type` of each is not.
        Endpoint::Environment => each(&mut value["protection_rules"], "type"),
        Endpoint::Labels => each(value, "name"),
        Endpoint::Org => remove(value, "two_factor_requirement_enabled"),
        Endpoint::Deployments => each(value, "created_at"),
        Endpoint::Compare => remove(value, "ahead_by"),
        // Whose alert it is: without it the list cannot be split by repository.
        Endpoint::OrgSecretScanningAlerts
        | Endpoint::OrgDependabotAlerts
        | Endpoint::OrgCodeScanningAlerts => each(value, "repository"),
        Endpoint::GitTree => remove(value, "tree"),
        Endpoint::GitBlob => remove(value, "content"),
        Endpoint::GraphQl => remove(value, "data"),
        Endpoint::IssueComments | Endpoint::Issues => each(value, "body"),
        Endpoint::CreateIssueComment
        | Endpoint::UpdateIssueComment
        | Endpoint::DeleteIssueComment
        | Endpoint::CreateIssue
        | Endpoint::UpdateIssue => remove(value, "id"),
        Endpoint::User => remove(value, "login"),
        Endpoint::GitRef | Endpoint::CreateGitRef | Endpoint::UpdateGitRef => {
            remove(value, "object")
        }
        Endpoint::CreateGitBlob | Endpoint::CreateGitTree | Endpoint::CreateGitCommit => {
            remove(value, "sha")
        }
        Endpoint::Pulls => each(value, "number"),
        Endpoint::CreatePull | Endpoint::UpdatePull => remove(value, "number"),
        // Writes of `warden apply`: a 2xx did happen, whatever its body lacks.
        Endpoint::UpdateBranchProtection
        | Endpoint::CreateSignatureProtection
        | Endpoint::UpdateRepo
        | Endpoint::CreateLabel
        | Endpoint::UpdateLabel
        | Endpoint::UpdateEnvironment
        | Endpoint::UpdateOrg => remove(value, "url"),
        Endpoint::EnableVulnerabilityAlerts => *value = json!({}),
        Endpoint::Rulesets => each(value, "name"),
        Endpoint::CreateRuleset | Endpoint::UpdateRuleset => remove(value, "id"),
    }
}

/// Replace `from` by `to` in every string of `value` (full names and URLs).
fn rename(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| rename(v, from, to)),
        _ => {}
    }
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The good answers: GitHub's recorded bodies, values set so every rule passes.

const CI_WORKFLOW: &str = "name: CI\non:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";

const BASE_POLICY: &str =
    "[[rule]]\nid = \"no-keys\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\n";

/// The good answers of a command: warden's earlier comment is there when the command is
/// about updating or deleting it.
fn good_for(command: Command) -> Good {
    Arc::new(move |endpoint, path| match (endpoint, command) {
        (Endpoint::IssueComments, Command::PrCommentExisting | Command::PrCommentDelete) => {
            let mut comment = load("issue-comment.json");
            comment["id"] = json!(1);
            comment["body"] = json!(format!(
                "{}\nan earlier report",
                warden::effects::pr_comment::MARKER
            ));
            Reply::json(200, &json!([comment]))
        }
        // Rulesets protect the branch too, so `enforce_admins` asks who may bypass them.
        (Endpoint::BranchRules, Command::Extra) => {
            Reply::json(200, &load("rules-for-branch-full.json"))
        }
        (Endpoint::BranchProtection, Command::OrgSweepUnprotected) => {
            Reply::json(200, &load("branch-protection.json"))
        }
        // One open alert of each kind in `octo-org/hello-world`, in the organisation's
        // lists and in the repository's own (which a fault on a list falls back to).
        (Endpoint::SecretScanningAlerts, Command::OrgSweepAlerts) => {
            let mut alerts = load("secret-scanning-alerts.json");
            alerts[0]["state"] = json!("open");
            Reply::json(200, &alerts)
        }
        (Endpoint::OrgSecretScanningAlerts, Command::OrgSweepAlerts) => {
            let mut alerts = load("org-secret-scanning-alerts.json");
            alerts[0]["state"] = json!("open");
            rename(&mut alerts, "octocat/Hello-World", "octo-org/hello-world");
            Reply::json(200, &alerts)
        }
        (Endpoint::OrgCodeScanningAlerts, Command::OrgSweepAlerts) => {
            let mut alerts = load("org-code-scanning-alerts.json");
            rename(&mut alerts, "octocat/Hello-World", "octo-org/hello-world");
            Reply::json(200, &alerts)
        }
        // Dependabot alerts are off, so `warden apply` turns them on.
        (Endpoint::VulnerabilityAlerts, Command::Apply) => {
            Reply::json(404, &load("not-found.json"))
        }
        // warden's own ruleset for `main` (id 7) is there besides the recorded two; the one
        // for `release` is not.
        (Endpoint::Rulesets, Command::Apply) => {
            let mut list = load("rulesets.json");
            let mut ours = list[0].clone();
            ours["id"] = json!(7);
            ours["name"] = json!("warden: main");
            list.as_array_mut().unwrap().push(ours);
            Reply::json(200, &list)
        }
        (Endpoint::Issues, Command::TrackExisting) => {
            let mut issue = load("issues-page-1.json")[0].clone();
            issue["state"] = json!("open");
            issue["body"] = json!(format!(
                "{}\nan earlier sweep",
                warden::effects::tracking::MARKER
            ));
            Reply::json(200, &json!([issue]))
        }
        // `warden fix --pr`: no branch yet, or warden's own with its open pull request.
        (Endpoint::GitRef, Command::FixPr) if path.contains("warden/fix") => {
            Reply::json(404, &load("not-found.json"))
        }
        (Endpoint::Pulls, Command::FixPr) => Reply::json(200, &json!([])),
        (Endpoint::Pulls, Command::FixPrExisting) => {
            let mut pull = load("pulls.json")[0].clone();
            pull["body"] = json!(format!(
                "{}\nan earlier run",
                warden::effects::fix_pr::MARKER
            ));
            pull["head"]["ref"] = json!("warden/fix");
            Reply::json(200, &json!([pull]))
        }
        (Endpoint::Compare, Command::FixPrExisting) => {
            let mut compare = load("compare.json");
            compare["total_commits"] = json!(1);
            compare["commits"][0]["commit"]["message"] = json!(format!(
                "warden: close 1 governance gap\n\n{}\n",
                warden::effects::fix_pr::TRAILER
            ));
            Reply::json(200, &compare)
        }
        _ => good(endpoint, path),
    })
}

fn good(endpoint: Endpoint, _path: &str) -> Reply {
    let value = match endpoint {
        Endpoint::Repo => {
            let mut repo = load("repo.json");
            repo["default_branch"] = json!("main");
            repo["delete_branch_on_merge"] = json!(true);
            repo
        }
        Endpoint::WorkflowRuns => {
            let mut runs = load("workflow-runs-scenario.json");
            let list = runs["workflow_runs"].as_array_mut().unwrap();
            for run in list.iter_mut() {
                run["path"] = json!(".github/workflows/ci.yml");
                run["head_branch"] = json!("main");
                run["status"] = json!("completed");
                run["conclusion"] = json!("success");
                run["updated_at"] = json!("2026-11-20T09:04:31Z");
            }
            runs
        }
        Endpoint::VulnerabilityAlerts => {
            return Reply {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            }
            .limits("4985")
        }
        Endpoint::BranchProtection => {
            let mut protection = load("branch-protection.json");
            protection["allow_force_pushes"]["enabled"] = json!(false);
            protection
        }
        Endpoint::BranchRules => load("rules-for-branch.json"),
        Endpoint::Contents => {
            let mut content = load("content-file.json");
            content["content"] = json!(base64(BASE_POLICY.as_bytes()));
            content
        }
        Endpoint::Pull => {
            let mut pr = load("pull-request.json");
            pr["number"] = json!(7);
            pr["body"] = json!("Fixes #13");
            // `warden pr` judges by the base commit's policy: the checkout's own commit.
            pr["base"]["sha"] = json!(pr_base_sha());
            pr
        }
        Endpoint::PullFiles => load("pull-request-files.json"),
        Endpoint::Issue => load("issues-page-1.json")[0].clone(),
        Endpoint::IssueComments => json!([]),
        Endpoint::CreateIssueComment => {
            return Reply::json(201, &load("issue-comment.json"));
        }
        Endpoint::UpdateIssueComment => load("issue-comment.json"),
        Endpoint::DeleteIssueComment => {
            return Reply {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            }
        }
        Endpoint::Issues => json!([]),
        Endpoint::CreateIssue => return Reply::json(201, &load("issue.json")),
        Endpoint::UpdateIssue => load("issue.json"),
        // Who the token is; the earlier comment's author (`octocat`).
        Endpoint::User => load("user.json"),
        Endpoint::OrgRepos => {
            let mut repo = load("org-repos.json")[0].clone();
            rename(&mut repo, "octocat/Hello-World", "octo-org/hello-world");
            repo["name"] = json!("hello-world");
            repo["owner"]["login"] = json!("octo-org");
            repo["default_branch"] = json!("main");
            json!([repo])
        }
        // The recorded tree holds `.github/workflows/ci.yml`; every blob is that workflow,
        // so its entry names that text's git blob id.
        Endpoint::GitTree => {
            let mut tree = load("git-tree.json");
            let sha = git2::Oid::hash_object(git2::ObjectType::Blob, CI_WORKFLOW.as_bytes())
                .unwrap()
                .to_string();
            for entry in tree["tree"].as_array_mut().unwrap() {
                if entry["path"] == ".github/workflows/ci.yml" {
                    entry["sha"] = json!(sha);
                }
            }
            tree
        }
        Endpoint::GitBlob => {
            let mut blob = load("blob.json");
            blob["content"] = json!(base64(CI_WORKFLOW.as_bytes()));
            blob
        }
        Endpoint::GraphQl => return Reply::json(404, &load("not-found.json")),
        // Nobody may bypass the rulesets (fixtures README: tests empty `bypass_actors`).
        Endpoint::Ruleset => {
            let mut ruleset = load("ruleset.json");
            ruleset["bypass_actors"] = json!([]);
            ruleset
        }
        // Their open alerts are within EXTRA_POLICY's limits as recorded.
        Endpoint::SecretScanningAlerts => load("secret-scanning-alerts.json"),
        Endpoint::DependabotAlerts => load("dependabot-alerts.json"),
        Endpoint::CodeScanningAlerts => load("code-scanning-alerts.json"),
        // GitHub finds no error in the CODEOWNERS file.
        Endpoint::CodeownersErrors => {
            let mut errors = load("codeowners-errors.json");
            errors["errors"] = json!([]);
            errors
        }
        Endpoint::DeploymentBranchPolicies => load("deployment-branch-policies.json"),
        Endpoint::Environment => load("environment.json"),
        Endpoint::Labels => load("labels.json"),
        Endpoint::Org => load("org.json"),
        // The recorded deployment (2012) is older than the audit looks back.
        Endpoint::Deployments => load("deployments.json"),
        // No open alert of `octo-org/hello-world` (the organisation's lists as recorded
        // name other repositories, or alerts that are not open).
        Endpoint::OrgSecretScanningAlerts => load("org-secret-scanning-alerts.json"),
        Endpoint::OrgDependabotAlerts => load("org-dependabot-alerts.json"),
        Endpoint::OrgCodeScanningAlerts => load("org-code-scanning-alerts.json"),
        // `staging` lacks no commit of `main`.
        Endpoint::Compare => {
            let mut compare = load("compare.json");
            compare["ahead_by"] = json!(0);
            compare["total_commits"] = json!(0);
            compare["commits"] = json!([]);
            compare
        }
        Endpoint::GitRef => load("git-ref.json"),
        // The only blob `warden fix --pr` writes here is FIX_TARGET, the link's text.
        Endpoint::CreateGitBlob => {
            let mut blob = load("git-blob-created.json");
            blob["sha"] = json!(git2::Oid::hash_object(
                git2::ObjectType::Blob,
                FIX_TARGET.as_bytes()
            )
            .unwrap()
            .to_string());
            return Reply::json(201, &blob);
        }
        Endpoint::CreateGitTree => return Reply::json(201, &load("git-tree-created.json")),
        Endpoint::CreateGitCommit => return Reply::json(201, &load("git-commit-created.json")),
        Endpoint::CreateGitRef => return Reply::json(201, &load("git-ref.json")),
        Endpoint::UpdateGitRef => load("git-ref.json"),
        Endpoint::Pulls => json!([]),
        Endpoint::CreatePull => return Reply::json(201, &load("pull-request.json")),
        Endpoint::UpdatePull => load("pull-request.json"),
        Endpoint::UpdateBranchProtection => load("branch-protection.json"),
        Endpoint::CreateSignatureProtection => load("required-signatures.json"),
        Endpoint::UpdateRepo => load("repo.json"),
        Endpoint::EnableVulnerabilityAlerts => {
            return Reply {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            }
        }
        Endpoint::CreateLabel => return Reply::json(201, &load("label.json")),
        Endpoint::UpdateLabel => load("label-updated.json"),
        Endpoint::UpdateEnvironment => load("environment.json"),
        Endpoint::UpdateOrg => load("org.json"),
        Endpoint::Rulesets => load("rulesets.json"),
        Endpoint::CreateRuleset => return Reply::json(201, &load("ruleset.json")),
        Endpoint::UpdateRuleset => load("ruleset.json"),
    };
    Reply::json(200, &value)
}

// ---------------------------------------------------------------------------------------
// The table

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    /// `warden check` with GitHub rules.
    Check,
    /// `warden check` with a policy that extends one read through the contents API.
    RemotePolicy,
    /// `warden check` with the rule kinds that read alerts, CODEOWNERS errors,
    /// environments, labels, the organisation, deployments, comparisons and rulesets.
    Extra,
    /// `warden pr OWNER/REPO#7`.
    Pr,
    /// `warden pr OWNER/REPO#7 --comment always`, no comment yet: one is posted.
    PrCommentNew,
    /// The same with warden's earlier comment there: it is updated.
    PrCommentExisting,
    /// `--comment on-gaps` on a clean report with warden's earlier comment: it is deleted.
    PrCommentDelete,
    /// `warden sweep --issue` on a checkout with a gap, no tracking issue yet: one is opened.
    TrackNew,
    /// The same with warden's open tracking issue there: it is updated.
    TrackExisting,
    /// `warden sweep --org octo-org`: one repository, read through the API. GitHub's good
    /// answer to GraphQL is a 404 (a server without it), so warden uses REST.
    OrgSweep,
    /// The same, where REST says the branch allows force pushes: a fault on GraphQL must
    /// not turn that gap into a pass.
    OrgSweepUnprotected,
    /// `warden fix --pr --org octo-org`: the repository lacks FIX_POLICY's link; no branch
    /// `warden/fix` yet, so one is created and a pull request opened.
    FixPr,
    /// The same with warden's branch and open pull request there: both are updated.
    FixPrExisting,
    /// `warden sweep --org octo-org` with `security-alerts`, one rule per alert kind, where
    /// the repository has an open alert of each kind: a fault on an organisation's list
    /// must not turn that gap into a pass (warden asks the repository instead).
    OrgSweepAlerts,
    /// `warden apply --yes` with a policy whose gaps need every write endpoint. The good
    /// answers do not change, so the re-check finds the gaps open (exit 1).
    Apply,
}

const COMMANDS: &[Command] = &[
    Command::Check,
    Command::Extra,
    Command::RemotePolicy,
    Command::Pr,
    Command::PrCommentNew,
    Command::PrCommentExisting,
    Command::PrCommentDelete,
    Command::TrackNew,
    Command::TrackExisting,
    Command::OrgSweep,
    Command::OrgSweepUnprotected,
    Command::FixPr,
    Command::FixPrExisting,
    Command::OrgSweepAlerts,
    Command::Apply,
];

/// How an endpoint is reached and what depends on its answer.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    command: Command,
    judged: Judged,
}

#[derive(Clone, Copy, Debug)]
enum Judged {
    /// This rule's outcome: `error`/`skipped` under a fault, and exit code 1 (it is `deny`).
    Rule(&'static str),
    /// The whole run (the policy, the pull request): a fault stops it with exit code 2.
    WholeRun,
    /// The sticky comment, which never fails the run: under a fault warden must not say
    /// this (its success message) and must say the comment failed. A 2xx to a write whose
    /// body is odd did happen, so body faults on writes may still say it.
    Effect(&'static str),
    /// The tracking issue of `warden sweep --issue`: like [`Judged::Effect`], but a failure
    /// fails the run (exit 1; the checkout has a gap, so 1 either way).
    Tracking(&'static str),
    /// A rule warden may still decide through another endpoint (GraphQL falls back to
    /// REST): `fail` (what REST says) or `error`, never `pass`, and exit code 1.
    NeverPass(&'static str),
    /// The pull request of `warden fix --pr`: under a fault its repository says `failed`
    /// (exit 1), never this success message.
    FixPr(&'static str),
    /// A read only `warden apply` makes, before writing this target: under a fault the
    /// plan says the target's state is unknown and nothing is written for it (exit 1).
    ApplyRead(&'static str),
    /// A write of `warden apply`: under a fault its entry in the JSON outcome
    /// (`applied.writes`) carries an error, never a success, and the exit code is 1. A
    /// 2xx whose body is odd did happen.
    Write,
}

/// Every endpoint's row. No wildcard: a new [`Endpoint`] does not compile until it is here.
fn scenario(endpoint: Endpoint) -> Option<Scenario> {
    let row = |command, judged| Some(Scenario { command, judged });
    match endpoint {
        Endpoint::Repo => row(Command::Check, Judged::Rule("repo-settings")),
        Endpoint::WorkflowRuns => row(Command::Check, Judged::Rule("workflow-health")),
        Endpoint::VulnerabilityAlerts => row(Command::Check, Judged::Rule("repo-settings")),
        Endpoint::BranchProtection => row(Command::Check, Judged::Rule("branch-protection")),
        Endpoint::BranchRules => row(Command::Check, Judged::Rule("branch-protection")),
        Endpoint::Contents => row(Command::RemotePolicy, Judged::WholeRun),
        // Without the pull request there is nothing to judge: the run stops.
        Endpoint::Pull => row(Command::Pr, Judged::WholeRun),
        Endpoint::PullFiles => row(Command::Pr, Judged::Rule("no-keys")),
        Endpoint::Issue => row(Command::Pr, Judged::Rule("pr-issue-link")),
        Endpoint::IssueComments => row(
            Command::PrCommentExisting,
            Judged::Effect("updated comment"),
        ),
        Endpoint::CreateIssueComment => {
            row(Command::PrCommentNew, Judged::Effect("posted the report"))
        }
        Endpoint::UpdateIssueComment => row(
            Command::PrCommentExisting,
            Judged::Effect("updated comment"),
        ),
        Endpoint::DeleteIssueComment => row(
            Command::PrCommentDelete,
            Judged::Effect("deleted the earlier comment"),
        ),
        Endpoint::Issues => row(
            Command::TrackExisting,
            Judged::Tracking("updated tracking issue"),
        ),
        Endpoint::CreateIssue => row(Command::TrackNew, Judged::Tracking("opened tracking issue")),
        Endpoint::UpdateIssue => row(
            Command::TrackExisting,
            Judged::Tracking("updated tracking issue"),
        ),
        // Asked only when a marked comment exists: unknown, no comment is touched.
        Endpoint::User => row(
            Command::PrCommentExisting,
            Judged::Effect("updated comment"),
        ),
        // Without the listing there is nothing to sweep.
        Endpoint::OrgRepos => row(Command::OrgSweep, Judged::WholeRun),
        Endpoint::GitTree => row(Command::OrgSweep, Judged::Rule("required-workflows")),
        Endpoint::GitBlob => row(Command::OrgSweep, Judged::Rule("required-workflows")),
        Endpoint::GraphQl => row(
            Command::OrgSweepUnprotected,
            Judged::NeverPass("branch-protection"),
        ),
        Endpoint::Ruleset => row(Command::Extra, Judged::Rule("branch-protection")),
        Endpoint::SecretScanningAlerts
        | Endpoint::DependabotAlerts
        | Endpoint::CodeScanningAlerts => row(Command::Extra, Judged::Rule("security-alerts")),
        Endpoint::CodeownersErrors => row(Command::Extra, Judged::Rule("codeowners")),
        Endpoint::DeploymentBranchPolicies | Endpoint::Environment => {
            row(Command::Extra, Judged::Rule("environment-protection"))
        }
        Endpoint::Labels => row(Command::Extra, Judged::Rule("repo-labels")),
        Endpoint::Org => row(Command::Extra, Judged::Rule("org-settings")),
        Endpoint::Deployments => row(Command::Extra, Judged::Rule("deploy-window")),
        Endpoint::Compare => row(Command::Extra, Judged::Rule("branch-contains")),
        Endpoint::GitRef
        | Endpoint::CreateGitBlob
        | Endpoint::CreateGitTree
        | Endpoint::CreateGitCommit
        | Endpoint::CreateGitRef
        | Endpoint::CreatePull => row(Command::FixPr, Judged::FixPr("opened #")),
        Endpoint::UpdateGitRef | Endpoint::Pulls | Endpoint::UpdatePull => {
            row(Command::FixPrExisting, Judged::FixPr("updated #"))
        }
        Endpoint::OrgSecretScanningAlerts => {
            row(Command::OrgSweepAlerts, Judged::NeverPass("secret-alerts"))
        }
        Endpoint::OrgDependabotAlerts => row(
            Command::OrgSweepAlerts,
            Judged::NeverPass("dependabot-alerts"),
        ),
        Endpoint::OrgCodeScanningAlerts => {
            row(Command::OrgSweepAlerts, Judged::NeverPass("code-alerts"))
        }
        Endpoint::UpdateBranchProtection
        | Endpoint::CreateSignatureProtection
        | Endpoint::UpdateRepo
        | Endpoint::EnableVulnerabilityAlerts
        | Endpoint::CreateLabel
        | Endpoint::UpdateLabel
        | Endpoint::UpdateEnvironment
        | Endpoint::UpdateOrg => row(Command::Apply, Judged::Write),
        Endpoint::Rulesets => row(Command::Apply, Judged::ApplyRead("ruleset `warden: main`")),
        Endpoint::CreateRuleset | Endpoint::UpdateRuleset => row(Command::Apply, Judged::Write),
    }
}

const CHECK_POLICY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
block_force_pushes = true

[[rule]]
kind = "repo-settings"
delete_branch_on_merge = true
dependabot_alerts = true

[[rule]]
kind = "workflow-health"
workflows = ["ci.yml"]
max_age_days = 7
"#;

/// Every rule passes on the good answers (see [`good`]).
const EXTRA_POLICY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
enforce_admins = true

[[rule]]
kind = "security-alerts"
secret_scanning = { max_open = 0 }
dependabot = { max_open = { critical = 0, high = 0 } }
code_scanning = { max_open = { warning = 0 } }

[[rule]]
kind = "codeowners"
paths = ["docs/PLAYBOOK.md"]
owners = { "docs/PLAYBOOK.md" = ["@acme/devops-lead"] }
github_errors = true

[[rule]]
kind = "environment-protection"
environment = "staging"
required_reviewers = 2
wait_timer = 30
deployment_branches = ["main", "release/*"]

[[rule]]
kind = "repo-labels"
labels = ["bug", "enhancement"]

[[rule]]
kind = "org-settings"
two_factor_required = true

[[rule]]
kind = "deploy-window"
time_zone = "America/New_York"
environment = "production"
[[rule.window]]
days = ["tue", "thu"]
hours = "10:00-16:00"

[[rule]]
kind = "branch-contains"
branch = "staging"
contains = ["main"]
"#;

const PR_POLICY: &str = r#"
[[rule]]
kind = "pr-issue-link"
must_exist = true

[[rule]]
id = "no-keys"
kind = "forbidden-files"
paths = ["**/*.pem"]
"#;

const TRACK_POLICY: &str = BASE_POLICY;

const ORG_POLICY: &str = r#"
[[rule]]
kind = "required-workflows"

[[rule.workflow]]
file = "ci.yml"
on = ["pull_request"]

[[rule]]
kind = "branch-protection"
branches = ["main"]
block_force_pushes = true
"#;

/// The playbook's link, which the fake organisation's repository lacks.
const FIX_POLICY: &str = r#"
[[rule]]
kind = "symlink"
path = ".claude/RULES.mdc"
target = "../../organisation-rules/RULES.mdc"
must_resolve = false
"#;

const FIX_TARGET: &str = "../../organisation-rules/RULES.mdc";

/// Each fails on an open alert of its kind (see [`good_for`]).
const ORG_ALERTS_POLICY: &str = r#"
[[rule]]
id = "secret-alerts"
kind = "security-alerts"
secret_scanning = { max_open = 0 }

[[rule]]
id = "dependabot-alerts"
kind = "security-alerts"
dependabot = { max_open = 0 }

[[rule]]
id = "code-alerts"
kind = "security-alerts"
code_scanning = { max_open = 0 }
"#;

/// Gaps that need every write of `warden apply` on the good answers.
const APPLY_POLICY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
block_deletions = true
require_signed_commits = true

[[rule]]
id = "via-ruleset"
kind = "branch-protection"
branches = ["main", "release"]
block_deletions = true
apply_with = "ruleset"

[[rule]]
kind = "repo-settings"
secret_scanning_push_protection = true
dependabot_alerts = true

[[rule]]
kind = "repo-labels"
labels = ["bug", "hotfix"]
colors = { bug = "d73a4a" }

[[rule]]
kind = "environment-protection"
environment = "staging"
wait_timer = 60

[[rule]]
kind = "org-settings"
web_commit_signoff_required = true
"#;

const REMOTE_POLICY: &str = "extends = [\"github:octocat/org-rules/base.toml@main\"]\n";

/// The commit of `checkout(PR_POLICY)` (commits are made at a fixed time, so every such
/// checkout has it): the pull request's base, which `warden pr` reads its policy from.
fn pr_base_sha() -> &'static str {
    static SHA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SHA.get_or_init(|| head_sha(&checkout(PR_POLICY)))
}

fn head_sha(repo: &TestRepo) -> String {
    repo.repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string()
}

fn checkout(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write(".github/workflows/ci.yml", CI_WORKFLOW)
        .write("README.md", "hello\n");
    repo.commit("init");
    repo
}

struct Outcome {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
    /// Text of every file the run wrote in its cache directory.
    files: Vec<(PathBuf, String)>,
}

fn run(command: Command, dir: &Path, uri: &str) -> Outcome {
    run_with(command, dir, uri, "0")
}

fn run_with(command: Command, dir: &Path, uri: &str, max_rate_wait: &str) -> Outcome {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let mut cmd = crate::common::warden(dir);
    match command {
        Command::Check | Command::Extra | Command::RemotePolicy => {
            cmd.args(["check", "--repo", "octocat/hello-world"]);
        }
        Command::Pr => {
            cmd.args(["pr", "octocat/hello-world#7"]);
        }
        Command::PrCommentNew | Command::PrCommentExisting => {
            cmd.args(["pr", "octocat/hello-world#7", "--comment", "always"]);
        }
        Command::PrCommentDelete => {
            cmd.args(["pr", "octocat/hello-world#7", "--comment", "on-gaps"]);
        }
        Command::OrgSweep | Command::OrgSweepUnprotected | Command::OrgSweepAlerts => {
            cmd.args(["sweep", "--org", "octo-org", "--report"])
                .arg(cache.path().join("org.md"));
        }
        Command::FixPr | Command::FixPrExisting => {
            cmd.args(["fix", "--pr", "--org", "octo-org"]);
        }
        Command::Apply => {
            cmd.args([
                "apply",
                "--repo",
                "octocat/hello-world",
                "--yes",
                "--audit-log",
            ])
            .arg(cache.path().join("audit.jsonl"));
        }
        Command::TrackNew | Command::TrackExisting => {
            // The Markdown report goes beside the cache, where the token is looked for too.
            cmd.args([
                "sweep",
                "--issue",
                "--repo",
                "octocat/hello-world",
                "--report",
            ])
            .arg(cache.path().join("gaps.md"));
        }
    }
    let output = cmd
        .args([
            "--format",
            "json",
            "--api-url",
            uri,
            "--cache-dir",
            cache_dir,
        ])
        // Short enough for a fast table, long enough for a loaded machine: a write is
        // not retried, so a slow answer to it would be a failure this test did not mean.
        .args(["--http-timeout", "1", "--max-rate-wait", max_rate_wait])
        .env("GITHUB_TOKEN", CANARY)
        .env("WARDEN_RETRY_BACKOFF_MS", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let files = walkdir::WalkDir::new(cache.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
            (e.path().to_path_buf(), text)
        })
        .collect();
    Outcome {
        code: output.status.code().unwrap_or(-1),
        report: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        files,
    }
}

fn outcome_of(report: &Value, id: &str) -> Option<String> {
    // An organisation sweep has one repository here, with a report of its own.
    let report = match report["mode"].as_str() {
        Some("org-sweep") => &report["repositories"][0]["report"],
        _ => report,
    };
    report["rules"]
        .as_array()?
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["outcome"].as_str())
        .map(str::to_string)
}

/// What is wrong with one cell's run, if anything.
fn judge(
    endpoint: Endpoint,
    fault: Fault,
    scenario: Scenario,
    server: &Server,
    elsewhere: &Server,
    out: &Outcome,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut leaked: Vec<&str> = Vec::new();
    if out.stdout.contains(CANARY) {
        leaked.push("stdout");
    }
    if out.stderr.contains(CANARY) {
        leaked.push("stderr");
    }
    for (path, text) in &out.files {
        if text.contains(CANARY) {
            wrong.push(format!("the token is in {}", path.display()));
        }
    }
    if !leaked.is_empty() {
        wrong.push(format!("the token is in {}", leaked.join(", ")));
    }
    if server.hits(endpoint) == 0 {
        wrong.push("the endpoint was never asked".to_string());
    }
    if *elsewhere.requests.lock().unwrap() > 0 {
        wrong.push("a request went to the other host".to_string());
    }
    let recovers = fault == Fault::ServerErrorOnce && endpoint.reads();
    match scenario.judged {
        Judged::Rule(id) => {
            let outcome = outcome_of(&out.report, id);
            if recovers {
                if outcome.as_deref() != Some("pass") || out.code != 0 {
                    wrong.push(format!(
                        "did not recover from one 500: {id} is {outcome:?}, exit {}",
                        out.code
                    ));
                }
            } else {
                if !matches!(outcome.as_deref(), Some("error" | "skipped")) {
                    wrong.push(format!("{id} is {outcome:?}, not error/skipped"));
                }
                if out.code != 1 {
                    wrong.push(format!("exit code {}, not 1", out.code));
                }
            }
        }
        Judged::NeverPass(id) => {
            let outcome = outcome_of(&out.report, id);
            if !matches!(outcome.as_deref(), Some("fail" | "error")) {
                wrong.push(format!("{id} is {outcome:?}, not fail/error"));
            }
            if out.code != 1 {
                wrong.push(format!("exit code {}, not 1", out.code));
            }
        }
        Judged::ApplyRead(target) => {
            let change = out.report["plan"]["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["target"] == target);
            let ruleset_writes = out.report["applied"]["writes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|w| w["path"].as_str().is_some_and(|p| p.contains("/rulesets")))
                .count();
            match change {
                None => wrong.push(format!("{target} is not in the plan")),
                Some(_) if recovers && ruleset_writes == 0 => {
                    wrong.push("did not recover from one 500: no ruleset was written".into())
                }
                Some(c) if !recovers && (c["error"].is_null() || ruleset_writes > 0) => wrong.push(
                    format!("a ruleset was planned or written on an unknown state: {c}"),
                ),
                Some(_) => {}
            }
            if out.code != 1 {
                wrong.push(format!("exit code {}, not 1", out.code));
            }
        }
        Judged::Write => {
            let (method, _) = endpoint.route();
            let write = out.report["applied"]["writes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|w| {
                    w["method"] == method
                        && w["path"]
                            .as_str()
                            .and_then(|p| Endpoint::classify(method, p))
                            == Some(endpoint)
                });
            let odd_body = matches!(
                fault,
                Fault::TruncatedJson
                    | Fault::HtmlBody
                    | Fault::EmptyObject
                    | Fault::Null
                    | Fault::MissingJudgedField
            );
            match write {
                None => wrong.push("the write is not in the outcome".to_string()),
                Some(w) if odd_body && !w["error"].is_null() => {
                    wrong.push(format!("a 2xx was reported as failed: {}", w["error"]))
                }
                Some(w) if !odd_body && w["error"].is_null() => {
                    wrong.push("a failed write was reported as done".to_string())
                }
                Some(_) => {}
            }
            if out.code != 1 {
                wrong.push(format!("exit code {}, not 1", out.code));
            }
        }
        Judged::WholeRun => {
            let want = if recovers { 0 } else { 2 };
            if out.code != want {
                wrong.push(format!("exit code {}, not {want}", out.code));
            }
        }
        Judged::FixPr(success) => {
            let text = format!("{}{}", out.stdout, out.stderr);
            let said = text.contains(success);
            // A 2xx to a write did happen, whatever its body says.
            let happened = !endpoint.reads()
                && matches!(
                    fault,
                    Fault::TruncatedJson
                        | Fault::HtmlBody
                        | Fault::EmptyObject
                        | Fault::Null
                        | Fault::MissingJudgedField
                );
            if recovers {
                if !said || out.code != 0 {
                    wrong.push(format!(
                        "did not recover from one 500: exit {}, no \"{success}\"",
                        out.code
                    ));
                }
            } else if !happened {
                if said {
                    wrong.push(format!(
                        "said \"{success}\" although GitHub's answer was a fault"
                    ));
                }
                if !text.contains("failed") {
                    wrong.push("did not say that it failed".to_string());
                }
                if out.code != 1 {
                    wrong.push(format!("exit code {}, not 1", out.code));
                }
            }
        }
        Judged::Effect(success) | Judged::Tracking(success) => {
            // A comment never fails the run; a tracking issue does (and there is a gap).
            let (code, failed) = match scenario.judged {
                Judged::Tracking(_) => (1, "could not update the tracking issue"),
                _ => (0, "the pull-request comment"),
            };
            if out.code != code {
                wrong.push(format!("exit code {}, not {code}", out.code));
            }
            let said = out.stderr.contains(success);
            let odd_body = matches!(
                fault,
                Fault::TruncatedJson
                    | Fault::HtmlBody
                    | Fault::EmptyObject
                    | Fault::Null
                    | Fault::MissingJudgedField
            );
            if recovers && !said {
                wrong.push(format!("did not recover from one 500: no \"{success}\""));
            }
            // A 2xx to a write did happen, whatever its body says.
            let happened = odd_body && !endpoint.reads();
            if !recovers && !happened {
                if said {
                    wrong.push(format!(
                        "said \"{success}\" although GitHub's answer was a fault"
                    ));
                }
                if !out.stderr.contains("cannot comment") && !out.stderr.contains(failed) {
                    wrong.push("did not say that it failed".to_string());
                }
            }
        }
    }
    if !wrong.is_empty() {
        let stderr: String = out.stderr.chars().take(600).collect();
        wrong.push(format!("stderr: {stderr}"));
    }
    wrong
        .into_iter()
        .map(|w| format!("{endpoint:?} × {fault:?}: {w}"))
        .collect()
}

#[test]
fn every_endpoint_is_in_the_table() {
    let missing: Vec<Endpoint> = Endpoint::ALL
        .iter()
        .copied()
        .filter(|e| scenario(*e).is_none())
        .collect();
    assert_eq!(missing, [], "endpoints without a row");
}

#[test]
fn every_fault_on_every_endpoint_is_error_never_pass() {
    let repos: BTreeMap<&str, TestRepo> = [
        ("check", checkout(CHECK_POLICY)),
        ("extra", {
            let repo = checkout(EXTRA_POLICY);
            repo.write(
                ".github/CODEOWNERS",
                "* @acme/devs\n/docs/PLAYBOOK.md @acme/devops-lead\n",
            )
            .write("docs/PLAYBOOK.md", "# playbook\n");
            repo.commit("owners");
            repo
        }),
        ("remote", checkout(REMOTE_POLICY)),
        ("apply", checkout(APPLY_POLICY)),
        ("pr", checkout(PR_POLICY)),
        ("org", checkout(ORG_POLICY)),
        ("fix", checkout(FIX_POLICY)),
        ("org-alerts", checkout(ORG_ALERTS_POLICY)),
        ("track", {
            let repo = checkout(TRACK_POLICY);
            repo.write("deploy/key.pem", "not really a key\n");
            repo.commit("a gap");
            repo
        }),
    ]
    .into_iter()
    .collect();
    let dirs: BTreeMap<&str, PathBuf> = repos
        .iter()
        .map(|(k, r)| (*k, r.path().to_path_buf()))
        .collect();
    let dir = |command: Command| -> PathBuf {
        let key = match command {
            Command::Check => "check",
            Command::Extra => "extra",
            Command::RemotePolicy => "remote",
            Command::TrackNew | Command::TrackExisting => "track",
            Command::OrgSweep | Command::OrgSweepUnprotected => "org",
            Command::FixPr | Command::FixPrExisting => "fix",
            Command::OrgSweepAlerts => "org-alerts",
            Command::Apply => "apply",
            _ => "pr",
        };
        dirs[key].clone()
    };
    // Without a fault every dependent rule passes: the cells below test something.
    for command in COMMANDS {
        let command = *command;
        let elsewhere = Server::start(good_for(command), None, 0);
        let server = Server::start(good_for(command), None, elsewhere.port);
        let out = run(command, &dir(command), &server.uri());
        let want = match command {
            Command::TrackNew
            | Command::TrackExisting
            | Command::OrgSweepUnprotected
            | Command::OrgSweepAlerts
            | Command::Apply => 1,
            _ => 0,
        };
        assert_eq!(
            out.code, want,
            "{command:?}: {}\n{}",
            out.stdout, out.stderr
        );
    }

    let mut cells: Vec<(Endpoint, Fault, Scenario)> = Vec::new();
    for endpoint in Endpoint::ALL {
        let Some(scenario) = scenario(*endpoint) else {
            continue;
        };
        for fault in FAULTS {
            cells.push((*endpoint, *fault, scenario));
        }
    }
    let queue = Mutex::new(cells);
    let failures = Mutex::new(Vec::<String>::new());
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| loop {
                let Some((endpoint, fault, scenario)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let good = good_for(scenario.command);
                let elsewhere = Server::start(good.clone(), None, 0);
                let server = Server::start(good, Some((endpoint, fault)), elsewhere.port);
                let out = run(scenario.command, &dir(scenario.command), &server.uri());
                let wrong = judge(endpoint, fault, scenario, &server, &elsewhere, &out);
                failures.lock().unwrap().extend(wrong);
            });
        }
    });
    for repo in repos.values() {
        for entry in walkdir::WalkDir::new(repo.path())
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.file_type().is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(CANARY),
                    "the token was written to {}",
                    entry.path().display()
                );
            }
        }
    }
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A secondary limit whose `retry-after` is within `--max-rate-wait` is waited out, and
/// the answer after it is used.
#[test]
fn a_short_secondary_limit_is_waited_out() {
    let repo = checkout(CHECK_POLICY);
    let good = good_for(Command::Check);
    let elsewhere = Server::start(good.clone(), None, 0);
    let server = Server::start(
        good,
        Some((Endpoint::Repo, Fault::SecondaryLimitBriefly)),
        elsewhere.port,
    );
    let out = run_with(Command::Check, repo.path(), &server.uri(), "5");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        outcome_of(&out.report, "repo-settings").as_deref(),
        Some("pass")
    );
    assert_eq!(out.report["github_api"]["rate_limited"], 1);
    assert_eq!(server.hits(Endpoint::Repo), 2);
}

/// A redirect on the API's own host is followed (GitHub moves renamed repositories so).
#[test]
fn a_redirect_on_the_same_host_is_followed() {
    let repo = checkout(CHECK_POLICY);
    let good = good_for(Command::Check);
    let elsewhere = Server::start(good.clone(), None, 0);
    let server = Server::start(
        good,
        Some((Endpoint::Repo, Fault::RedirectSameHostOnce)),
        elsewhere.port,
    );
    let out = run(Command::Check, repo.path(), &server.uri());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        outcome_of(&out.report, "repo-settings").as_deref(),
        Some("pass")
    );
    assert_eq!(server.hits(Endpoint::Repo), 2);
    assert_eq!(*elsewhere.requests.lock().unwrap(), 0);
}

/// `--help` shows no environment value: GITHUB_API_URL may carry credentials.
#[test]
fn help_never_shows_environment_values() {
    let secret = format!("https://bot:{CANARY}@ghe.example.com/api/v3");
    for command in ["check", "pr", "sweep"] {
        let out = assert_cmd::Command::cargo_bin("warden")
            .unwrap()
            .args([command, "--help"])
            .env("GITHUB_API_URL", &secret)
            .env("WARDEN_HTTP_TIMEOUT", CANARY)
            .env("WARDEN_MAX_RATE_WAIT", CANARY)
            .env("WARDEN_RETRY_BACKOFF_MS", CANARY)
            .env("WARDEN_NOW", CANARY)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("GITHUB_API_URL"), "{text}");
        assert!(!text.contains(CANARY), "{command} --help: {text}");
        assert!(
            !text.contains("ghe.example.com"),
            "{command} --help: {text}"
        );
    }
}

/// An answer that carries the token (a proxy echoing the request into a PR title) does
/// not bring it into any output: every answer is redacted as it arrives.
#[test]
fn a_token_echoed_in_an_answer_is_redacted() {
    // The title rule fails and quotes the title.
    let repo = checkout(&format!(
        "{PR_POLICY}\n[[rule]]\nkind = \"pr-title\"\npattern = '^(feat|fix): '\n"
    ));
    let base = head_sha(&repo);
    let good: Good = Arc::new(move |endpoint, path| {
        let mut reply = good(endpoint, path);
        if endpoint == Endpoint::Pull {
            let mut pr: Value = serde_json::from_str(&reply.body).unwrap();
            pr["title"] = json!(format!("echo: Bearer {CANARY}"));
            pr["body"] = json!(format!("Fixes #13\n\n{CANARY}"));
            pr["base"]["sha"] = json!(base);
            reply.body = pr.to_string();
        }
        reply
    });
    let elsewhere = Server::start(good.clone(), None, 0);
    let server = Server::start(good, None, elsewhere.port);
    for format in ["json", "human", "markdown"] {
        let out = crate::common::warden(repo.path())
            .args([
                "pr",
                "octocat/hello-world#7",
                "--no-cache",
                "--format",
                format,
            ])
            .args(["--api-url", &server.uri()])
            .env("GITHUB_TOKEN", CANARY)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains("echo: Bearer"),
            "{format}: {stdout}\n{stderr}"
        );
        assert!(!stdout.contains(CANARY), "{format}: {stdout}");
        assert!(!stderr.contains(CANARY), "{format}: {stderr}");
    }
}
