//! `warden apply` against a stateful fake of GitHub on 127.0.0.1 (wiremock with a
//! `Respond` that keeps each repository's settings): reads answer with GitHub's recorded
//! bodies from `fixtures/github` (values set from the state, field names never changed),
//! writes change the state as GitHub would and answer with the recorded write bodies.
//! Every request is logged, so "no write" is asserted from what the server saw.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{fixture, rule, warden, TestRepo};

const TOKEN: &str = "ghp_CANARYapplyNEVERprinted0123456789abcd";
const ORG: &str = "octo-org";
const APP: &str = "octo-org/app";

fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn answer(status: u16, value: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(value)
}

fn no_content() -> ResponseTemplate {
    ResponseTemplate::new(204)
}

/// One repository's settings as GitHub holds them.
#[derive(Clone, Debug)]
struct RepoState {
    /// `GET /repos/{o}/{r}` (repo.json, renamed).
    repo: Value,
    vulnerability_alerts: bool,
    /// Classic protection by branch, in the GET shape; absent: not protected.
    protection: BTreeMap<String, Value>,
    labels: Vec<Value>,
    environments: BTreeMap<String, Value>,
    /// Repository rulesets in the `GET .../rulesets/{id}` shape (ruleset.json).
    rulesets: Vec<Value>,
}

impl RepoState {
    fn new(full_name: &str) -> RepoState {
        let mut repo = body("repo.json");
        let (owner, name) = full_name.split_once('/').unwrap();
        repo["full_name"] = json!(full_name);
        repo["name"] = json!(name);
        repo["owner"]["login"] = json!(owner);
        repo["default_branch"] = json!("main");
        RepoState {
            repo,
            vulnerability_alerts: false,
            protection: BTreeMap::new(),
            labels: body("labels.json").as_array().unwrap().clone(),
            environments: BTreeMap::new(),
            rulesets: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    repos: BTreeMap<String, RepoState>,
    org: Value,
    /// `(method, endpoint path prefix)` GitHub refuses with 403 (the permission is named
    /// in `x-accepted-github-permissions`, as GitHub does).
    forbidden: Vec<(String, String, String)>,
    /// Every request: method, path (with query), JSON body.
    log: Vec<(String, String, Value)>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<State>>);

impl Fake {
    fn new(repos: &[&str]) -> Fake {
        let fake = Fake::default();
        {
            let mut state = fake.0.lock().unwrap();
            for r in repos {
                state.repos.insert(r.to_string(), RepoState::new(r));
            }
            let mut org = body("org.json");
            org["login"] = json!(ORG);
            state.org = org;
        }
        fake
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }

    fn repo<T>(&self, name: &str, f: impl FnOnce(&mut RepoState) -> T) -> T {
        self.with(|s| f(s.repos.get_mut(name).unwrap()))
    }

    /// Requests that are not reads (GraphQL queries are reads).
    fn writes(&self) -> Vec<(String, String, Value)> {
        self.with(|s| {
            s.log
                .iter()
                .filter(|(m, p, _)| m != "GET" && p != "/graphql")
                .cloned()
                .collect()
        })
    }

    async fn serve(&self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(self.clone())
            .mount(&server)
            .await;
        server
    }
}

/// The classic protection a PUT body makes, in the GET shape of `branch-protection.json`.
fn protection_from(put: &Value, signatures: bool) -> Value {
    let mut p = body("branch-protection.json");
    let map = p.as_object_mut().unwrap();
    match &put["required_status_checks"] {
        Value::Null => {
            map.remove("required_status_checks");
        }
        checks => {
            let list: Vec<Value> = checks["checks"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| {
                    checks["contexts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| json!({"context": c}))
                        .collect()
                })
                .into_iter()
                .map(|c| json!({"context": c["context"], "app_id": c.get("app_id").cloned().unwrap_or(Value::Null)}))
                .collect();
            let contexts: Vec<Value> = list.iter().map(|c| c["context"].clone()).collect();
            map["required_status_checks"]["strict"] = checks["strict"].clone();
            map["required_status_checks"]["contexts"] = json!(contexts);
            map["required_status_checks"]["checks"] = json!(list);
        }
    }
    match &put["required_pull_request_reviews"] {
        Value::Null => {
            map.remove("required_pull_request_reviews");
        }
        reviews => {
            let r = &mut map["required_pull_request_reviews"];
            for key in [
                "dismiss_stale_reviews",
                "require_code_owner_reviews",
                "require_last_push_approval",
            ] {
                r[key] = reviews.get(key).cloned().unwrap_or(json!(false));
            }
            r["required_approving_review_count"] = reviews
                .get("required_approving_review_count")
                .cloned()
                .unwrap_or(json!(1));
        }
    }
    match &put["restrictions"] {
        Value::Null => {
            map.remove("restrictions");
        }
        who => {
            let user = |login: &Value| {
                let mut u = body("user.json");
                u["login"] = login.clone();
                u
            };
            map["restrictions"]["users"] =
                Value::Array(who["users"].as_array().unwrap().iter().map(user).collect());
        }
    }
    map["enforce_admins"]["enabled"] = json!(put["enforce_admins"] == json!(true));
    for key in [
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "block_creations",
        "required_conversation_resolution",
        "lock_branch",
        "allow_fork_syncing",
    ] {
        // GitHub's defaults for what a PUT leaves out.
        map[key]["enabled"] = json!(put.get(key).and_then(Value::as_bool).unwrap_or(false));
    }
    map["required_signatures"]["enabled"] = json!(signatures);
    p
}

/// An environment as `GET .../environments/{name}` answers after a PUT with `put`.
fn environment_from(name: &str, put: &Value, before: Option<&Value>) -> Value {
    let mut env = body("environment.json");
    env["name"] = json!(name);
    let template = body("environment.json");
    let rules = template["protection_rules"].as_array().unwrap();
    let mut out = Vec::new();
    if let Some(t) = put
        .get("wait_timer")
        .and_then(Value::as_u64)
        .filter(|t| *t > 0)
    {
        let mut rule = rules[0].clone();
        rule["wait_timer"] = json!(t);
        out.push(rule);
    }
    if let Some(reviewers) = put.get("reviewers").and_then(Value::as_array) {
        if !reviewers.is_empty() {
            let mut rule = rules[1].clone();
            let known = before
                .and_then(|b| b["protection_rules"].as_array().cloned())
                .unwrap_or_default();
            let all: Vec<Value> = known
                .iter()
                .filter_map(|r| r["reviewers"].as_array().cloned())
                .flatten()
                .chain(rules[1]["reviewers"].as_array().unwrap().iter().cloned())
                .collect();
            rule["reviewers"] = Value::Array(
                reviewers
                    .iter()
                    .map(|r| {
                        all.iter()
                            .find(|k| k["type"] == r["type"] && k["reviewer"]["id"] == r["id"])
                            .cloned()
                            .unwrap()
                    })
                    .collect(),
            );
            rule["prevent_self_review"] = put
                .get("prevent_self_review")
                .cloned()
                .unwrap_or(json!(false));
            out.push(rule);
        }
    }
    let policy = put
        .get("deployment_branch_policy")
        .cloned()
        .unwrap_or(Value::Null);
    if !policy.is_null() {
        out.push(rules[2].clone());
    }
    env["protection_rules"] = Value::Array(out);
    env["deployment_branch_policy"] = policy;
    env
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request.method.as_str().to_string();
        let path = request.url.path().to_string();
        let full = match request.url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let mut state = self.0.lock().unwrap();
        state.log.push((method.clone(), full, sent.clone()));
        if let Some((_, _, permission)) = state
            .forbidden
            .iter()
            .find(|(m, p, _)| *m == method && path.starts_with(p.as_str()))
        {
            return answer(403, body("forbidden-permission.json"))
                .insert_header("x-accepted-github-permissions", permission.as_str());
        }
        let segments: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let not_found = || answer(404, body("not-found.json"));
        match (method.as_str(), segs.as_slice()) {
            ("GET", ["orgs", org]) if *org == ORG => answer(200, state.org.clone()),
            ("PATCH", ["orgs", org]) if *org == ORG => {
                for (k, v) in sent.as_object().unwrap() {
                    state.org[k] = v.clone();
                }
                answer(200, state.org.clone())
            }
            ("GET", ["orgs", org, "repos"]) if *org == ORG => {
                let template = body("org-repos.json")[0].clone();
                let items: Vec<Value> = state
                    .repos
                    .values()
                    .map(|r| {
                        let mut item = template.clone();
                        item["full_name"] = r.repo["full_name"].clone();
                        item["name"] = r.repo["name"].clone();
                        item["owner"]["login"] = json!(ORG);
                        item["default_branch"] = json!("main");
                        item
                    })
                    .collect();
                answer(200, Value::Array(items))
            }
            (_, ["repos", owner, name, rest @ ..]) => {
                let key = format!("{owner}/{name}");
                let Some(repo) = state.repos.get_mut(&key) else {
                    return not_found();
                };
                repo_answer(repo, &method, rest, &sent)
            }
            _ => not_found(),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn repo_answer(
    repo: &mut RepoState,
    method: &str,
    rest: &[&str],
    sent: &Value,
) -> ResponseTemplate {
    let not_found = || answer(404, body("not-found.json"));
    match (method, rest) {
        ("GET", []) => answer(200, repo.repo.clone()),
        ("PATCH", []) => {
            for (k, v) in sent.as_object().unwrap() {
                if k == "security_and_analysis" {
                    for (feature, status) in v.as_object().unwrap() {
                        repo.repo["security_and_analysis"][feature] = status.clone();
                    }
                } else {
                    repo.repo[k] = v.clone();
                }
            }
            answer(200, repo.repo.clone())
        }
        ("GET", ["vulnerability-alerts"]) if repo.vulnerability_alerts => no_content(),
        ("GET", ["vulnerability-alerts"]) => not_found(),
        ("PUT", ["vulnerability-alerts"]) => {
            repo.vulnerability_alerts = true;
            no_content()
        }
        ("GET", ["rules", "branches", branch @ ..]) => {
            // Every rule of the active rulesets that include the branch, as GitHub lists them.
            let full = repo.repo["full_name"].clone();
            let wanted = json!(format!("refs/heads/{}", branch.join("/")));
            let mut items = Vec::new();
            for set in &repo.rulesets {
                let included = set["conditions"]["ref_name"]["include"]
                    .as_array()
                    .is_some_and(|i| i.contains(&wanted));
                if set["enforcement"] != "active" || !included {
                    continue;
                }
                for r in set["rules"].as_array().unwrap() {
                    let mut item = json!({
                        "type": r["type"],
                        "ruleset_source_type": "Repository",
                        "ruleset_source": full,
                        "ruleset_id": set["id"],
                    });
                    if let Some(p) = r.get("parameters") {
                        item["parameters"] = p.clone();
                    }
                    items.push(item);
                }
            }
            answer(200, Value::Array(items))
        }
        ("GET", ["rulesets"]) => {
            let template = body("rulesets.json")[0].clone();
            let items: Vec<Value> = repo
                .rulesets
                .iter()
                .map(|set| {
                    let mut item = template.clone();
                    for key in ["id", "name", "source_type", "source", "enforcement"] {
                        item[key] = set[key].clone();
                    }
                    item
                })
                .collect();
            answer(200, Value::Array(items))
        }
        ("GET", ["rulesets", id]) => {
            match repo
                .rulesets
                .iter()
                .find(|r| r["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(*id))
            {
                Some(set) => answer(200, set.clone()),
                None => not_found(),
            }
        }
        ("POST", ["rulesets"]) => {
            let mut set = body("ruleset.json");
            set["id"] = json!(1000 + repo.rulesets.len());
            set["source"] = repo.repo["full_name"].clone();
            take_ruleset_fields(&mut set, sent);
            repo.rulesets.push(set.clone());
            answer(201, set)
        }
        ("PUT", ["rulesets", id]) => {
            let Some(set) = repo
                .rulesets
                .iter_mut()
                .find(|r| r["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(*id))
            else {
                return not_found();
            };
            take_ruleset_fields(set, sent);
            answer(200, set.clone())
        }
        ("GET", ["branches", branch @ .., "protection"]) => {
            match repo.protection.get(&branch.join("/")) {
                Some(p) => answer(200, p.clone()),
                None => answer(404, body("branch-not-protected.json")),
            }
        }
        ("PUT", ["branches", branch @ .., "protection"]) => {
            let branch = branch.join("/");
            let signatures = repo
                .protection
                .get(&branch)
                .is_some_and(|p| p["required_signatures"]["enabled"] == json!(true));
            let p = protection_from(sent, signatures);
            repo.protection.insert(branch, p.clone());
            answer(200, p)
        }
        ("POST", ["branches", branch @ .., "protection", "required_signatures"]) => {
            match repo.protection.get_mut(&branch.join("/")) {
                Some(p) => {
                    p["required_signatures"]["enabled"] = json!(true);
                    answer(200, body("required-signatures.json"))
                }
                None => not_found(),
            }
        }
        ("GET", ["labels"]) => answer(200, Value::Array(repo.labels.clone())),
        ("POST", ["labels"]) => {
            let mut label = body("label.json");
            label["name"] = sent["name"].clone();
            label["color"] = sent.get("color").cloned().unwrap_or(json!("ededed"));
            label["description"] = sent.get("description").cloned().unwrap_or(Value::Null);
            label["default"] = json!(false);
            repo.labels.push(label.clone());
            answer(201, label)
        }
        ("PATCH", ["labels", name]) => {
            let Some(label) = repo
                .labels
                .iter_mut()
                .find(|l| l["name"].as_str().unwrap().eq_ignore_ascii_case(name))
            else {
                return not_found();
            };
            for key in ["color", "description"] {
                if let Some(v) = sent.get(key) {
                    label[key] = v.clone();
                }
            }
            let mut out = body("label-updated.json");
            for key in ["name", "color", "description"] {
                out[key] = label[key].clone();
            }
            answer(200, out)
        }
        ("GET", ["environments", name]) => match repo.environments.get(*name) {
            Some(env) => answer(200, env.clone()),
            None => not_found(),
        },
        ("PUT", ["environments", name]) => {
            let before = repo.environments.get(*name).cloned();
            let env = environment_from(name, sent, before.as_ref());
            repo.environments.insert(name.to_string(), env.clone());
            answer(200, env)
        }
        _ => not_found(),
    }
}

// ---------------------------------------------------------------------------------------
// Running warden

fn checkout(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write("README.md", "# x\n");
    repo.commit("init");
    repo
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn warden_at(dir: &Path, uri: &str, args: &[&str]) -> Run {
    let dir = dir.to_path_buf();
    let uri = uri.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let output = warden(&dir)
            .args(&args)
            .args(["--no-cache", "--api-url", &uri])
            .env("GITHUB_TOKEN", TOKEN)
            .env("WARDEN_RETRY_BACKOFF_MS", "10")
            .output()
            .unwrap();
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
        run
    })
    .await
    .unwrap()
}

async fn check(repo: &TestRepo, server: &MockServer) -> Value {
    let run = warden_at(
        repo.path(),
        &server.uri(),
        &["check", "--format", "json", "--repo", APP],
    )
    .await;
    serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{}\n{}", run.stdout, run.stderr))
}

fn outcome(report: &Value, id: &str) -> String {
    rule(report, id)["outcome"].as_str().unwrap().to_string()
}

async fn apply(repo: &TestRepo, server: &MockServer, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--repo", APP];
    args.extend_from_slice(extra);
    warden_at(repo.path(), &server.uri(), &args).await
}

/// check fails → apply → check passes, for a rule kind; returns the apply run.
async fn round_trip(policy: &str, id: &str, fake: &Fake) -> Run {
    let server = fake.serve().await;
    let repo = checkout(policy);
    let before = check(&repo, &server).await;
    assert_eq!(outcome(&before, id), "fail", "{before:#}");
    let run = apply(&repo, &server, &["--yes"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("every gap warden applied a fix for is closed"),
        "{}",
        run.stdout
    );
    let after = check(&repo, &server).await;
    assert_eq!(outcome(&after, id), "pass", "{after:#}");
    run
}

// ---------------------------------------------------------------------------------------
// The tests

const PROTECTION: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
required_approving_reviews = 1
dismiss_stale_reviews = true
enforce_admins = true
block_force_pushes = true
block_deletions = true
require_signed_commits = true
required_status_checks = ["lint"]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn branch_protection_round_trip_from_an_unprotected_branch() {
    let fake = Fake::new(&[APP]);
    round_trip(PROTECTION, "branch-protection", &fake).await;
    let writes = fake.writes();
    let methods: Vec<(&str, &str)> = writes
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        methods,
        [
            ("PUT", "/repos/octo-org/app/branches/main/protection"),
            (
                "POST",
                "/repos/octo-org/app/branches/main/protection/required_signatures"
            ),
        ]
    );
    // Only what the policy names: nothing about linear history or conversations.
    let put = &writes[0].2;
    assert_eq!(
        put["required_pull_request_reviews"]["required_approving_review_count"],
        1
    );
    assert!(put.get("required_linear_history").is_none(), "{put:#}");
    assert_eq!(put["restrictions"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn never_weaken_a_stricter_protection_survives_apply() {
    let fake = Fake::new(&[APP]);
    // Recorded protection: 2 reviews, admins enforced, a check and code-owner reviews;
    // force pushes allowed (the gap) and a push restriction to keep.
    let mut current = body("branch-protection.json");
    current["allow_force_pushes"]["enabled"] = json!(true);
    current["restrictions"]["users"] = json!([body("user.json")]);
    fake.repo(APP, |r| {
        r.protection.insert("main".into(), current.clone());
    });
    let policy = "[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\nrequired_approving_reviews = 1\nenforce_admins = true\nblock_force_pushes = true\n";
    round_trip(policy, "branch-protection", &fake).await;
    let put = &fake.writes()[0].2;
    assert_eq!(
        put["required_pull_request_reviews"]["required_approving_review_count"],
        2
    );
    let after = fake.repo(APP, |r| r.protection["main"].clone());
    let reviews = &after["required_pull_request_reviews"];
    assert_eq!(reviews["required_approving_review_count"], 2);
    assert_eq!(reviews["require_code_owner_reviews"], true);
    assert_eq!(reviews["require_last_push_approval"], true);
    assert_eq!(after["enforce_admins"]["enabled"], true);
    assert_eq!(after["allow_force_pushes"]["enabled"], false);
    assert_eq!(after["allow_deletions"], current["allow_deletions"]);
    assert_eq!(after["block_creations"], current["block_creations"]);
    assert_eq!(
        after["required_status_checks"]["contexts"],
        current["required_status_checks"]["contexts"]
    );
    assert_eq!(after["restrictions"]["users"][0]["login"], "octocat");
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_settings_round_trip() {
    let fake = Fake::new(&[APP]);
    fake.repo(APP, |r| {
        r.repo["delete_branch_on_merge"] = json!(false);
    });
    let policy = "[[rule]]\nkind = \"repo-settings\"\nmerge_methods = [\"squash\"]\ndelete_branch_on_merge = true\nsecret_scanning = true\nsecret_scanning_push_protection = true\ndependabot_alerts = true\n";
    round_trip(policy, "repo-settings", &fake).await;
    let writes = fake.writes();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert_eq!(writes[0].0, "PATCH");
    assert_eq!(
        writes[0].2,
        json!({
            "allow_merge_commit": false,
            "allow_rebase_merge": false,
            "delete_branch_on_merge": true,
            // secret_scanning is already enabled in the recorded answer: not sent.
            "security_and_analysis": {"secret_scanning_push_protection": {"status": "enabled"}},
        })
    );
    assert_eq!(
        (writes[1].0.as_str(), writes[1].1.as_str()),
        ("PUT", "/repos/octo-org/app/vulnerability-alerts")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_settings_never_turns_a_security_feature_off() {
    let fake = Fake::new(&[APP]);
    let server = fake.serve().await;
    // The policy asks for secret scanning off; the repository has it on.
    let repo = checkout("[[rule]]\nkind = \"repo-settings\"\nsecret_scanning = false\n");
    assert_eq!(
        outcome(&check(&repo, &server).await, "repo-settings"),
        "fail"
    );
    let run = apply(&repo, &server, &["--yes"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("nothing to apply"), "{}", run.stderr);
    assert_eq!(fake.writes(), []);
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_labels_round_trip() {
    let fake = Fake::new(&[APP]);
    let policy = "[[rule]]\nkind = \"repo-labels\"\nlabels = [\"bug\", \"hotfix\"]\ncolors = { bug = \"d73a4a\", hotfix = \"b60205\" }\ndescriptions = { hotfix = \"Urgent production fix\" }\n";
    round_trip(policy, "repo-labels", &fake).await;
    let mut writes = fake.writes();
    // Labels are written at once: in any order.
    writes.sort_by(|a, b| a.0.cmp(&b.0));
    let methods: Vec<(&str, &str)> = writes
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        methods,
        [
            ("PATCH", "/repos/octo-org/app/labels/bug"),
            ("POST", "/repos/octo-org/app/labels"),
        ]
    );
    // Only the colour the policy names; the description of `bug` is left alone.
    assert_eq!(writes[0].2, json!({"color": "d73a4a"}));
    assert_eq!(
        writes[1].2,
        json!({"name": "hotfix", "color": "b60205", "description": "Urgent production fix"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_protection_round_trip_keeps_the_reviewers() {
    let fake = Fake::new(&[APP]);
    fake.repo(APP, |r| {
        r.environments
            .insert("staging".into(), body("environment.json"));
    });
    let policy = r#"
[[rule]]
kind = "environment-protection"
environment = "staging"
prevent_self_review = true
wait_timer = 60
deployment_branches = "protected"

[[rule]]
id = "production"
kind = "environment-protection"
environment = "production"
wait_timer = 5
"#;
    round_trip(policy, "environment-protection", &fake).await;
    let staging = fake.repo(APP, |r| r.environments["staging"].clone());
    let reviewers = staging["protection_rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "required_reviewers")
        .unwrap();
    assert_eq!(reviewers["reviewers"].as_array().unwrap().len(), 2);
    assert_eq!(reviewers["prevent_self_review"], true);
    assert_eq!(
        staging["deployment_branch_policy"],
        json!({"protected_branches": true, "custom_branch_policies": false})
    );
    assert!(fake.repo(APP, |r| r.environments.contains_key("production")));
    let report = check(&checkout(policy), &fake.serve().await).await;
    assert_eq!(outcome(&report, "production"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn org_settings_round_trip_and_two_factor_is_only_reported() {
    let fake = Fake::new(&[APP]);
    fake.with(|s| s.org["default_repository_permission"] = json!("write"));
    let policy = "[[rule]]\nkind = \"org-settings\"\npush_protection_for_new_repositories = true\nweb_commit_signoff_required = true\ndefault_repository_permission = \"read\"\n";
    round_trip(policy, "org-settings", &fake).await;
    assert_eq!(
        fake.writes()
            .iter()
            .map(|(m, p, b)| (m.clone(), p.clone(), b.clone()))
            .collect::<Vec<_>>(),
        [(
            "PATCH".to_string(),
            "/orgs/octo-org".to_string(),
            json!({
                "secret_scanning_push_protection_enabled_for_new_repositories": true,
                "web_commit_signoff_required": true,
                "default_repository_permission": "read",
            })
        )]
    );
    // A lower base permission than asked stays.
    let fake = Fake::new(&[APP]);
    fake.with(|s| s.org["default_repository_permission"] = json!("none"));
    let server = fake.serve().await;
    let run = apply(
        &checkout("[[rule]]\nkind = \"org-settings\"\ndefault_repository_permission = \"read\"\ntwo_factor_required = false\n"),
        &server,
        &["--yes"],
    )
    .await;
    assert_eq!(fake.writes(), [], "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_makes_no_write_and_prints_the_plan() {
    let fake = Fake::new(&[APP]);
    let server = fake.serve().await;
    let repo = checkout(&format!(
        "{PROTECTION}\n[[rule]]\nkind = \"repo-labels\"\nlabels = [\"hotfix\"]\n"
    ));
    let run = apply(&repo, &server, &["--dry-run", "--yes"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(fake.writes(), []);
    for line in [
        "octo-org/app",
        "+ branch `main` protection   (current: GET /repos/octo-org/app/branches/main/protection)",
        "protected: off → on\n",
        "required_approving_reviews: not configured → 1\n",
        "will send PUT /repos/octo-org/app/branches/main/protection",
        "+ label `hotfix`   (current: GET /repos/octo-org/app/labels)",
        "will send POST /repos/octo-org/app/labels",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
    assert!(
        run.stderr.contains("--dry-run: nothing was written"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_apply_needs_yes() {
    let fake = Fake::new(&[APP]);
    let server = fake.serve().await;
    let repo = checkout("[[rule]]\nkind = \"repo-labels\"\nlabels = [\"hotfix\"]\n");
    // assert_cmd gives the child no terminal on standard input.
    let run = apply(&repo, &server, &[]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("run again with --yes"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("+ label `hotfix`"), "{}", run.stdout);
    assert_eq!(fake.writes(), []);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_permission_is_named_and_changes_nothing_else_for_that_setting() {
    let fake = Fake::new(&[APP]);
    fake.with(|s| {
        s.forbidden.push((
            "PUT".into(),
            "/repos/octo-org/app/branches/".into(),
            "administration=write".into(),
        ))
    });
    let server = fake.serve().await;
    let repo = checkout(&format!(
        "{PROTECTION}\n[[rule]]\nkind = \"repo-labels\"\nlabels = [\"hotfix\"]\n"
    ));
    let run = apply(&repo, &server, &["--yes"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the token lacks the permission `administration=write`"),
        "{}",
        run.stderr
    );
    // The PUT was refused, so the signatures POST after it was not sent; labels went on.
    let writes: BTreeSet<(String, String)> =
        fake.writes().into_iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(
        writes,
        BTreeSet::from([
            (
                "PUT".to_string(),
                "/repos/octo-org/app/branches/main/protection".to_string()
            ),
            ("POST".to_string(), "/repos/octo-org/app/labels".to_string()),
        ])
    );
    assert!(fake.repo(APP, |r| r.protection.is_empty()));
    assert!(run.stdout.contains("still open"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_state_is_an_error_and_no_write() {
    let fake = Fake::new(&[APP]);
    // The answer lacks a setting a PUT must repeat: warden cannot know it, so it writes nothing.
    let mut current = body("branch-protection.json");
    current
        .as_object_mut()
        .unwrap()
        .remove("required_linear_history");
    current["allow_force_pushes"]["enabled"] = json!(true);
    fake.repo(APP, |r| {
        r.protection.insert("main".into(), current);
    });
    let server = fake.serve().await;
    let repo = checkout("[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\nblock_force_pushes = true\n");
    let run = apply(&repo, &server, &["--yes"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("lacked `required_linear_history`"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.writes(), []);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_has_one_line_per_write() {
    let fake = Fake::new(&[APP]);
    let server = fake.serve().await;
    let repo = checkout(&format!(
        "{PROTECTION}\n[[rule]]\nkind = \"repo-labels\"\nlabels = [\"hotfix\"]\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let run = apply(
        &repo,
        &server,
        &["--yes", "--audit-log", log.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let writes = fake.writes();
    assert_eq!(lines.len(), writes.len());
    let logged: BTreeSet<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["method"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let seen: BTreeSet<(String, String)> = writes.into_iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(logged, seen);
    let put = lines.iter().find(|l| l["method"] == "PUT").unwrap();
    assert_eq!(put["repo"], APP);
    assert_eq!(put["status"], 200);
    assert_eq!(
        put["before"]["required_approving_reviews"],
        "not configured"
    );
    assert_eq!(put["after"]["required_approving_reviews"], "1");
    assert!(put["time"].as_str().unwrap().starts_with("20"));
    assert!(!std::fs::read_to_string(&log).unwrap().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_is_applied_repository_by_repository() {
    let fake = Fake::new(&["octo-org/app", "octo-org/api", "octo-org/web"]);
    fake.repo("octo-org/api", |r| {
        r.labels.push({
            let mut l = body("label.json");
            l["name"] = json!("hotfix");
            l
        })
    });
    let server = fake.serve().await;
    let repo = checkout("[[rule]]\nkind = \"repo-labels\"\nlabels = [\"hotfix\"]\n");
    let run = warden_at(
        repo.path(),
        &server.uri(),
        &["apply", "--org", ORG, "--yes", "--concurrency", "2"],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut created: Vec<String> = fake
        .writes()
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    created.sort();
    assert_eq!(
        created,
        [
            "POST /repos/octo-org/app/labels",
            "POST /repos/octo-org/web/labels"
        ]
    );
}

/// Another team's ruleset (the recorded one): a metadata rule on `main` that protects
/// nothing, and a bypass list.
fn someone_elses_ruleset() -> Value {
    let mut set = body("ruleset.json");
    set["source"] = json!(APP);
    set
}

#[tokio::test(flavor = "multi_thread")]
async fn only_warden_s_own_ruleset_is_created_and_edited() {
    let fake = Fake::new(&[APP]);
    fake.repo(APP, |r| r.rulesets.push(someone_elses_ruleset()));
    let policy = |reviews: u32| {
        format!("[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\nrequired_approving_reviews = {reviews}\nblock_force_pushes = true\napply_with = \"ruleset\"\n")
    };
    round_trip(&policy(1), "branch-protection", &fake).await;
    let writes = fake.writes();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(
        (writes[0].0.as_str(), writes[0].1.as_str()),
        ("POST", "/repos/octo-org/app/rulesets")
    );
    assert_eq!(writes[0].2["name"], "warden: main");
    assert_eq!(writes[0].2["bypass_actors"], json!([]));
    // The policy asks for more: warden's own ruleset is raised, the other is untouched.
    let before = fake.repo(APP, |r| r.rulesets[0].clone());
    round_trip(&policy(2), "branch-protection", &fake).await;
    let writes = fake.writes();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert_eq!(
        (writes[1].0.as_str(), writes[1].1.as_str()),
        ("PUT", "/repos/octo-org/app/rulesets/1001")
    );
    let ours = fake.repo(APP, |r| r.rulesets[1].clone());
    let pr = ours["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "pull_request")
        .unwrap();
    assert_eq!(pr["parameters"]["required_approving_review_count"], 2);
    assert!(ours["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "non_fast_forward"));
    assert_eq!(fake.repo(APP, |r| r.rulesets[0].clone()), before);
    assert!(writes.iter().all(|(_, p, _)| !p.ends_with("/rulesets/42")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stricter_setting_in_warden_s_ruleset_is_kept() {
    let fake = Fake::new(&[APP]);
    let mut ours = someone_elses_ruleset();
    ours["id"] = json!(7);
    ours["name"] = json!("warden: main");
    ours["bypass_actors"] = json!([]);
    ours["conditions"]["ref_name"]["include"] = json!(["refs/heads/main"]);
    ours["rules"] = json!([{"type": "pull_request", "parameters": {
        "dismiss_stale_reviews_on_push": true, "require_code_owner_review": true,
        "require_last_push_approval": false, "required_approving_review_count": 3,
        "required_review_thread_resolution": false}}]);
    fake.repo(APP, |r| r.rulesets.push(ours));
    let policy = "[[rule]]\nkind = \"branch-protection\"\nbranches = [\"main\"]\nrequired_approving_reviews = 1\nblock_deletions = true\napply_with = \"ruleset\"\n";
    round_trip(policy, "branch-protection", &fake).await;
    let put = &fake.writes()[0].2;
    let rules = put["rules"].as_array().unwrap();
    assert_eq!(rules[0]["parameters"]["required_approving_review_count"], 3);
    assert_eq!(rules[0]["parameters"]["require_code_owner_review"], true);
    assert!(rules.iter().any(|r| r["type"] == "deletion"));
}

/// What a ruleset POST or PUT sets, as GitHub keeps it.
fn take_ruleset_fields(set: &mut Value, sent: &Value) {
    for key in [
        "name",
        "target",
        "enforcement",
        "bypass_actors",
        "conditions",
        "rules",
    ] {
        if let Some(v) = sent.get(key) {
            set[key] = v.clone();
        }
    }
}
