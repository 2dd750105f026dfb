//! The organisation sweep (`warden::org::sweep_org`) over real HTTP against a local server
//! (wiremock on 127.0.0.1). Every body is a recorded or documented GitHub body from
//! fixtures/github (see its README), with values changed per repository, never field names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use warden::github::ClientConfig;
use warden::org::{self, OrgOptions, OrgTarget, Shard};
use warden::report::org::{self as org_report, OrgReport, RowOutcome};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const ORG: &str = "octo-org";

/// The sweep's policy, but for its history rule ([`HISTORY_RULE`]; see [`policy_text`]).
pub(crate) const POLICY_WITHOUT_HISTORY: &str = r#"
[[rule]]
kind = "branch-protection"
branches = ["main"]
block_force_pushes = true

[[rule]]
kind = "required-workflows"

[[rule.workflow]]
file = "ci.yml"
on = ["pull_request"]

[[rule]]
kind = "symlink"
path = "docs-link"
target = "README.md"

[[rule]]
kind = "forbidden-files"
paths = ["**/.env"]
"#;

/// The history rule of the sweep's policy, which an org sweep skips (there is no clone).
pub(crate) const HISTORY_RULE: &str = r#"
[[rule]]
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
"#;

/// The policy most org tests sweep with: every kind of rule an org sweep meets.
pub(crate) fn policy_text() -> String {
    format!("{POLICY_WITHOUT_HISTORY}{HISTORY_RULE}")
}

const CI_WORKFLOW: &str = "name: CI\non:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/github")
        .join(name)
}

fn body(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
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

/// The git blob SHA of `content`, as git (and GitHub) compute it: equal contents share it.
fn git_sha(content: &str) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, content.as_bytes())
        .unwrap()
        .to_string()
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Protection {
    Classic,
    Unprotected,
    Ruleset,
}

#[derive(Clone, Debug)]
pub(crate) struct RepoSpec {
    name: String,
    pub(crate) protection: Protection,
    workflow: bool,
    link_target: &'static str,
    dotenv: bool,
    /// Status the tree request answers instead of the tree.
    pub(crate) tree_status: Option<u16>,
    archived: bool,
    fork: bool,
    /// Text of ci.yml (equal texts share a blob SHA).
    workflow_text: String,
}

impl RepoSpec {
    pub(crate) fn new(name: &str) -> Self {
        RepoSpec {
            name: name.to_string(),
            protection: Protection::Classic,
            workflow: true,
            link_target: "README.md",
            dotenv: false,
            tree_status: None,
            archived: false,
            fork: false,
            workflow_text: format!("{CI_WORKFLOW}# {name}\n"),
        }
    }
}

/// The organisation used by most tests: 30 listed repositories, 28 of them swept.
fn organisation() -> Vec<RepoSpec> {
    let mut specs = Vec::new();
    for i in 0..28 {
        let mut spec = RepoSpec::new(&format!("service-{i:02}"));
        spec.protection = match i % 3 {
            0 => Protection::Classic,
            1 => Protection::Unprotected,
            _ => Protection::Ruleset,
        };
        spec.workflow = i % 4 != 3;
        if i == 5 {
            spec.link_target = "README.txt";
        }
        spec.dotenv = i == 7;
        specs.push(spec);
    }
    specs[10].name = "flaky-api".to_string();
    specs[10].tree_status = Some(500);
    specs[11].name = "locked-down".to_string();
    specs[11].tree_status = Some(403);
    let mut archived = RepoSpec::new("old-service");
    archived.archived = true;
    let mut fork = RepoSpec::new("forked-lib");
    fork.fork = true;
    specs.push(archived);
    specs.push(fork);
    specs
}

/// Answers by request path from a table built from the specs.
struct Fake {
    routes: HashMap<String, ResponseTemplate>,
    listing: Vec<Value>,
    base: String,
}

fn ok(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(value)
}

pub(crate) fn error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4984")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(body(name))
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path == format!("/orgs/{ORG}/repos") {
            // Two pages (20 + the rest), linked as GitHub does.
            let page2 = request.url.query().unwrap_or("").contains("page=2");
            let split = self.listing.len().min(20);
            let next = format!(
                "<{}/orgs/{ORG}/repos?per_page=100&type=all&page=2>",
                self.base
            );
            return if page2 || split == self.listing.len() {
                ok(Value::Array(
                    self.listing[if page2 { split } else { 0 }..].to_vec(),
                ))
            } else {
                ok(Value::Array(self.listing[..split].to_vec())).insert_header(
                    "link",
                    format!("{next}; rel=\"next\", {next}; rel=\"last\"").as_str(),
                )
            };
        }
        self.routes
            .get(path)
            .cloned()
            .unwrap_or_else(|| error(404, "not-found.json"))
    }
}

fn listing_item(spec: &RepoSpec, id: u64) -> Value {
    let scenario = body("org-repos-scenario.json");
    let (mut item, from) = if spec.archived {
        (scenario[1].clone(), "octocat/old-service")
    } else if spec.fork {
        (scenario[2].clone(), "octocat/forked-lib")
    } else {
        (body("org-repos.json")[0].clone(), "octocat/Hello-World")
    };
    rename(&mut item, from, &format!("{ORG}/{}", spec.name));
    item["name"] = json!(spec.name);
    item["id"] = json!(id);
    item["owner"]["login"] = json!(ORG);
    item["default_branch"] = json!("main");
    item
}

fn blob_body(repo: &str, content: &str) -> (String, Value) {
    let sha = git_sha(content);
    let mut blob = body("blob.json");
    blob["content"] = json!(base64(content.as_bytes()));
    blob["sha"] = json!(sha);
    blob["size"] = json!(content.len());
    blob["url"] = json!(format!(
        "https://api.github.com/repos/{ORG}/{repo}/git/blobs/{sha}"
    ));
    (sha, blob)
}

/// The recorded tree, per repository: its blobs' SHAs follow their content, the workflow
/// and `.env` come and go, the `docs-link` symlink (mode 120000) points where the spec says.
fn tree_and_blobs(spec: &RepoSpec) -> (Value, Vec<(String, Value)>) {
    let mut tree = body("git-tree.json");
    let template = tree["tree"].as_array().unwrap().clone();
    let mut entries = Vec::new();
    let mut blobs = Vec::new();
    for mut entry in template {
        let path = entry["path"].as_str().unwrap().to_string();
        if !spec.workflow && path.starts_with(".github/workflows") {
            continue;
        }
        let content = match path.as_str() {
            ".github/workflows/ci.yml" => Some(spec.workflow_text.clone()),
            "docs-link" => Some(spec.link_target.to_string()),
            _ if entry["type"] == "blob" => Some(format!("{} of {}\n", path, spec.name)),
            _ => None,
        };
        if let Some(content) = content {
            let (sha, blob) = blob_body(&spec.name, &content);
            entry["sha"] = json!(sha);
            entry["size"] = json!(content.len());
            entry["url"] = json!(format!(
                "https://api.github.com/repos/{ORG}/{}/git/blobs/{sha}",
                spec.name
            ));
            blobs.push((sha, blob));
        }
        entries.push(entry);
    }
    if spec.dotenv {
        let mut env = entries
            .iter()
            .find(|e| e["path"] == "README.md")
            .unwrap()
            .clone();
        env["path"] = json!(".env");
        entries.insert(0, env);
    }
    tree["tree"] = Value::Array(entries);
    (tree, blobs)
}

fn protection_routes(spec: &RepoSpec, routes: &mut HashMap<String, ResponseTemplate>) {
    let base = format!("/repos/{ORG}/{}", spec.name);
    let mut classic = body("branch-protection.json");
    classic["allow_force_pushes"]["enabled"] = json!(false);
    let (protection, rules) = match spec.protection {
        Protection::Classic => (ok(classic), ok(json!([]))),
        Protection::Unprotected => (error(404, "branch-not-protected.json"), ok(json!([]))),
        Protection::Ruleset => (
            error(404, "branch-not-protected.json"),
            ok(body("rules-for-branch-full.json")),
        ),
    };
    routes.insert(format!("{base}/branches/main/protection"), protection);
    routes.insert(format!("{base}/rules/branches/main"), rules);
}

/// GitHub's GraphQL `BranchProtectionRule` (field names from the published schema,
/// `@octokit/graphql-schema`) holding the same settings as a REST branch protection body.
fn graphql_rule(classic: &Value) -> Value {
    let enabled = |key: &str| classic[key]["enabled"].as_bool().unwrap_or(false);
    let checks = &classic["required_status_checks"];
    let reviews = &classic["required_pull_request_reviews"];
    json!({
        "requiresStatusChecks": checks.is_object(),
        "requiresStrictStatusChecks": checks["strict"],
        "requiredStatusCheckContexts": checks["contexts"],
        "requiredStatusChecks": checks["checks"].as_array().map(|checks| checks
            .iter()
            .map(|c| json!({
                "context": c["context"],
                "app": c["app_id"].as_i64().map(|id| json!({"databaseId": id})),
            }))
            .collect::<Vec<_>>()),
        "isAdminEnforced": enabled("enforce_admins"),
        "requiresApprovingReviews": reviews.is_object(),
        "requiredApprovingReviewCount": reviews["required_approving_review_count"],
        "dismissesStaleReviews": reviews["dismiss_stale_reviews"].as_bool().unwrap_or(false),
        "requiresCodeOwnerReviews": reviews["require_code_owner_reviews"].as_bool().unwrap_or(false),
        "requireLastPushApproval": reviews["require_last_push_approval"].as_bool().unwrap_or(false),
        "requiresLinearHistory": enabled("required_linear_history"),
        "allowsForcePushes": enabled("allow_force_pushes"),
        "allowsDeletions": enabled("allow_deletions"),
        "requiresConversationResolution": enabled("required_conversation_resolution"),
        "requiresCommitSignatures": enabled("required_signatures"),
    })
}

/// `POST /graphql`: answers warden's two batched queries by their variables
/// (`o{i}`/`n{i}` per repository; `q{j}` per branch for branch protection, `s{i}_{k}` per
/// blob SHA for blob texts), as GitHub does: `data` keyed by alias, and an `errors` item
/// with a `path` for a repository it cannot resolve.
struct GraphqlFake {
    /// Repository name → its `Repository` object for `refs/heads/main`.
    answers: HashMap<String, Value>,
    /// Repository name → blob SHA → text.
    blobs: HashMap<String, HashMap<String, String>>,
}

/// GraphQL's `Blob` for a text blob (`Blob.text`, `isBinary`, `isTruncated`, `byteSize`).
fn graphql_blob(text: &str) -> Value {
    json!({"text": text, "isBinary": false, "isTruncated": false, "byteSize": text.len()})
}

impl Respond for GraphqlFake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let variables = &body["variables"];
        let mut data = serde_json::Map::new();
        let mut errors = Vec::new();
        for i in 0.. {
            let (Some(owner), Some(name)) = (
                variables[format!("o{i}")].as_str(),
                variables[format!("n{i}")].as_str(),
            ) else {
                break;
            };
            let alias = format!("r{i}");
            match self.answers.get(name).filter(|_| owner == ORG) {
                Some(repo) => {
                    let mut repo = repo.clone();
                    if variables.get(format!("s{i}_0")).is_some() {
                        // The blob query: only the blobs asked for.
                        repo = json!({});
                        for k in 0.. {
                            let Some(sha) = variables[format!("s{i}_{k}")].as_str() else {
                                break;
                            };
                            repo[format!("x{k}")] = self.blobs[name]
                                .get(sha)
                                .map_or(Value::Null, |text| graphql_blob(text));
                        }
                        data.insert(alias, repo);
                        continue;
                    }
                    for j in 0.. {
                        let Some(qualified) = variables[format!("q{j}")].as_str() else {
                            break;
                        };
                        if qualified != "refs/heads/main" {
                            repo[format!("b{j}")] = Value::Null;
                        }
                    }
                    data.insert(alias, repo);
                }
                None => {
                    data.insert(alias.clone(), Value::Null);
                    errors.push(json!({
                        "type": "NOT_FOUND",
                        "path": [alias],
                        "locations": [{"line": 1, "column": 1}],
                        "message": format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                    }));
                }
            }
        }
        let mut answer = json!({ "data": data });
        if !errors.is_empty() {
            answer["errors"] = json!(errors);
        }
        ok(answer)
    }
}

pub(crate) async fn serve(specs: &[RepoSpec]) -> MockServer {
    serve_with(specs, Graphql::Answers).await
}

/// What the fake's GraphQL endpoint does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Graphql {
    Answers,
    /// No endpoint (404), as behind a proxy that only passes REST.
    Absent,
    /// Answers `null` for every rule, as for a token without the Administration
    /// permission, while REST still shows the classic protection.
    HidesRules,
}

async fn serve_with(specs: &[RepoSpec], graphql: Graphql) -> MockServer {
    let server = MockServer::start().await;
    let mut answers = HashMap::new();
    let mut blob_texts = HashMap::new();
    let mut routes = HashMap::new();
    let mut listing = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let item = listing_item(spec, 5000 + i as u64);
        let base = format!("/repos/{ORG}/{}", spec.name);
        // For `--repos` lists: the full repository object.
        let mut full = body("repo.json");
        rename(
            &mut full,
            "octocat/Hello-World",
            &format!("{ORG}/{}", spec.name),
        );
        full["name"] = json!(spec.name);
        full["default_branch"] = json!("main");
        full["archived"] = json!(spec.archived);
        full["fork"] = json!(spec.fork);
        routes.insert(base.clone(), ok(full));
        listing.push(item);
        let (tree, blobs) = tree_and_blobs(spec);
        let tree_path = format!("{base}/git/trees/main");
        routes.insert(
            tree_path,
            match spec.tree_status {
                Some(403) => error(403, "forbidden-permission.json"),
                Some(status) => ResponseTemplate::new(status),
                None => ok(tree),
            },
        );
        let texts: &mut HashMap<String, String> = blob_texts.entry(spec.name.clone()).or_default();
        for (sha, blob) in blobs {
            let bytes = warden::github::org::base64_decode(blob["content"].as_str().unwrap());
            texts.insert(sha.clone(), String::from_utf8(bytes.unwrap()).unwrap());
            routes.insert(format!("{base}/git/blobs/{sha}"), ok(blob));
        }
        protection_routes(spec, &mut routes);
        let mut classic = body("branch-protection.json");
        classic["allow_force_pushes"]["enabled"] = json!(false);
        let rule = match spec.protection {
            Protection::Classic if graphql != Graphql::HidesRules => graphql_rule(&classic),
            _ => Value::Null,
        };
        answers.insert(
            spec.name.clone(),
            json!({
                // Without admin rights GraphQL may leave a rule out: warden asks REST.
                "viewerCanAdminister": spec.name != "locked-down",
                "b0": {"branchProtectionRule": rule},
            }),
        );
    }
    if graphql != Graphql::Absent {
        Mock::given(method("POST"))
            .and(wiremock::matchers::path("/graphql"))
            .respond_with(GraphqlFake {
                answers,
                blobs: blob_texts,
            })
            .mount(&server)
            .await;
    }
    let fake = Fake {
        routes,
        listing,
        base: server.uri(),
    };
    Mock::given(method("GET"))
        .respond_with(fake)
        .mount(&server)
        .await;
    server
}

fn config(server: &MockServer) -> ClientConfig {
    let mut config = ClientConfig::new(server.uri(), Some("test-token".to_string()));
    config.backoff = Duration::from_millis(1);
    config.timeout = Duration::from_secs(10);
    config
}

pub(crate) fn options(target: OrgTarget, shard: Option<Shard>) -> OrgOptions {
    let mut options = OrgOptions::new(target, "2026-11-22T00:00:00Z".parse().unwrap());
    options.shard = shard;
    options
}

fn policy() -> warden::policy::Policy {
    warden::policy::load_text("org-policy.toml", &policy_text()).unwrap()
}

/// Sweep on a blocking thread: the library starts its own runtime.
pub(crate) async fn sweep(server: &MockServer, options: OrgOptions) -> OrgReport {
    sweep_with_policy(server, options, &policy_text()).await
}

pub(crate) async fn sweep_with_policy(
    server: &MockServer,
    options: OrgOptions,
    policy: &str,
) -> OrgReport {
    let config = config(server);
    let policy = warden::policy::load_text("org-policy.toml", policy).unwrap();
    tokio::task::spawn_blocking(move || org::sweep_org(&options, &policy, config).unwrap())
        .await
        .unwrap()
}

pub(crate) fn row<'a>(report: &'a OrgReport, name: &str) -> &'a warden::report::org::RepoRow {
    let full = format!("{ORG}/{name}");
    report
        .repositories
        .iter()
        .find(|r| r.repo == full)
        .unwrap_or_else(|| panic!("no row for {full}"))
}

/// Each rule's outcome in a row: (id, outcome, open gaps).
fn outcomes(row: &warden::report::org::RepoRow) -> Vec<(String, String, usize)> {
    row.report.as_ref().unwrap()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
                r["findings"].as_array().unwrap().len(),
            )
        })
        .collect()
}

pub(crate) fn outcome_of(row: &warden::report::org::RepoRow, id: &str) -> (String, usize) {
    outcomes(row)
        .into_iter()
        .find(|(rule, _, _)| rule == id)
        .map(|(_, o, n)| (o, n))
        .unwrap()
}

fn to_json(report: &OrgReport) -> String {
    let mut out = Vec::new();
    org_report::render_json(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sweeps_an_organisation_without_cloning_and_survives_broken_repositories() {
    let specs = organisation();
    let server = serve(&specs).await;
    let report = sweep(&server, options(OrgTarget::Org(ORG.into()), None)).await;

    // 30 listed over two pages; the archived one and the fork are not swept.
    assert_eq!(report.repositories.len(), 28);
    let not_swept: Vec<(&str, &str)> = report
        .not_swept
        .iter()
        .map(|n| (n.repo.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(
        not_swept,
        [
            ("octo-org/forked-lib", "fork"),
            ("octo-org/old-service", "archived")
        ]
    );

    // A clean repository: classic protection, the workflow, the right link.
    let clean = row(&report, "service-00");
    assert_eq!(clean.outcome, RowOutcome::Ok);
    assert_eq!(
        outcomes(clean),
        [
            ("branch-protection".into(), "pass".into(), 0),
            ("required-workflows".into(), "pass".into(), 0),
            ("symlink".into(), "pass".into(), 0),
            ("forbidden-files".into(), "pass".into(), 0),
            ("planning-doc-ttl".into(), "skipped".into(), 0),
        ]
    );
    // tree + ci.yml blob + symlink blob + ruleset rules; its classic protection came with
    // 24 other repositories' in one GraphQL query, counted in the totals only.
    assert_eq!(clean.requests, 4);
    let skipped = &clean.report.as_ref().unwrap()["rules"][4]["reason"];
    assert!(skipped.as_str().unwrap().contains("without cloning"));

    // Unprotected (404 "Branch not protected") is a gap; a ruleset alone protects.
    assert_eq!(
        outcome_of(row(&report, "service-01"), "branch-protection").0,
        "fail"
    );
    assert_eq!(
        outcome_of(row(&report, "service-02"), "branch-protection").0,
        "pass"
    );
    // No workflow file in the tree: a gap, and one blob fewer.
    let no_ci = row(&report, "service-03");
    assert_eq!(outcome_of(no_ci, "required-workflows"), ("fail".into(), 1));
    assert_eq!(no_ci.requests, 3);
    // The wrong link target, read from the symlink's blob.
    let wrong = row(&report, "service-05");
    assert_eq!(outcome_of(wrong, "symlink"), ("fail".into(), 1));
    let message = &wrong.report.as_ref().unwrap()["rules"][2]["findings"][0]["message"];
    assert!(
        message.as_str().unwrap().contains("points to `README.txt`"),
        "{message}"
    );
    assert_eq!(
        outcome_of(row(&report, "service-07"), "forbidden-files"),
        ("fail".into(), 1)
    );

    // 500 on the tree (retried, then given up): an error row; the sweep went on.
    let flaky = row(&report, "flaky-api");
    assert_eq!(flaky.outcome, RowOutcome::Error);
    let why = flaky.error.as_deref().unwrap();
    assert!(why.contains("500") && why.contains("4 attempts"), "{why}");
    let flaky_rules = outcomes(flaky);
    assert_eq!(flaky_rules[1].1, "error", "content rules could not decide");
    assert_eq!(
        flaky_rules[0].1, "fail",
        "GitHub rules are still judged: its branch is unprotected"
    );
    assert_eq!(flaky.requests, 2, "tree, ruleset rules");

    // 403 on the tree: an error row naming the permission.
    let locked = row(&report, "locked-down");
    assert_eq!(locked.outcome, RowOutcome::Error);
    let why = locked.error.as_deref().unwrap();
    assert!(
        why.contains("Resource not accessible by integration") && why.contains("contents: read"),
        "{why}"
    );

    // What the server saw. Every repository links `docs-link` to the same text, so one
    // blob (git names blobs by content) serves all of them: the rows count it for each
    // repository, the totals say how many requests that saved.
    let received = server.received_requests().await.unwrap();
    let sent_for = |name: &str| {
        let prefix = format!("/repos/{ORG}/{name}/");
        received
            .iter()
            .filter(|r| r.url.path().starts_with(&prefix) && !r.url.path().contains("/git/blobs/"))
            .count() as u64
    };
    assert_eq!(sent_for("flaky-api"), 2 + 3, "three retries of the tree");
    // GraphQL cannot vouch for a repository the token does not administer: REST decides.
    assert_eq!(
        locked.requests, 3,
        "tree, classic protection over REST, ruleset rules"
    );
    assert_eq!(sent_for("locked-down"), 3);
    assert_eq!(sent_for("old-service"), 0, "archived: never asked about");
    // 26 readable trees need 20 workflows (distinct) + 26 links (25 alike, 1 other): the
    // texts all came in pooled GraphQL queries, none over REST.
    let blobs_sent = received
        .iter()
        .filter(|r| r.url.path().contains("/git/blobs/"))
        .count() as u64;
    assert_eq!(blobs_sent, 0);
    assert_eq!(report.github_api.blobs_reused, 46);
    let listing = received
        .iter()
        .filter(|r| r.url.path() == format!("/orgs/{ORG}/repos"))
        .count() as u64;
    assert_eq!(listing, 2);
    let api = &report.github_api;
    assert_eq!(api.listing, 2);
    assert_eq!(api.retried, 3);
    assert_eq!(api.requests, received.len() as u64);
    let rows_total: u64 = report.repositories.iter().map(|r| r.requests).sum();
    // 28 repositories: two protection queries (25 + 3), and the pooled blob queries (as
    // many as the 20 ms pooling windows the sweep took, at least one).
    let graphql = received
        .iter()
        .filter(|r| r.url.path() == "/graphql")
        .count() as u64;
    // Plus one REST request: GraphQL's first `null` rule, checked against REST.
    assert_eq!(api.graphql, graphql + 1);
    assert!(graphql >= 3, "{graphql}");
    assert!(
        graphql < 20,
        "blobs are pooled across repositories: {graphql}"
    );
    assert_eq!(
        api.requests,
        rows_total + listing + api.graphql + 3 - api.blobs_reused
    );
    assert!(api.requests_per_repository <= 3.5, "{api:?}");
    assert!(
        received
            .iter()
            .all(|r| r.method.as_str() == "GET" || r.url.path() == "/graphql"),
        "a sweep only reads (a GraphQL query is a POST)"
    );

    // Summary and verdict.
    let s = &report.summary;
    assert_eq!((s.repositories, s.ok, s.error), (28, 26, 2));
    assert!(s.exit_blocking);
    assert_eq!(report.exit_code(), 1);
    let clean_count = report
        .repositories
        .iter()
        .filter(|r| {
            r.outcome == RowOutcome::Ok
                && outcomes(r)
                    .iter()
                    .all(|(_, o, _)| o == "pass" || o == "skipped")
        })
        .count();
    assert_eq!(s.clean, clean_count);

    // The Markdown matrix: worst first, every repository a row.
    let mut md = Vec::new();
    org_report::render_markdown(&report, &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains(
        "| Repository | Gaps | branch-protection | required-workflows | symlink | forbidden-files | planning-doc-ttl |"
    ));
    assert_eq!(md.matches("| octo-org/").count(), 28);
    let first_row = md.lines().find(|l| l.starts_with("| octo-org/")).unwrap();
    assert!(first_row.contains("✗"), "worst first: {first_row}");
    assert!(
        md.contains("| octo-org/service-00 | none | ✓ | ✓ | ✓ | ✓ | – |"),
        "{md}"
    );
    assert!(md.contains("**Could not read the repository:**"));
    assert!(md.contains("`planning-doc-ttl` in 28 repositories"));
    assert!(md.contains("`octo-org/old-service`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shards_merged_equal_one_unsharded_sweep() {
    let specs = organisation();
    let server = serve(&specs).await;
    let whole = sweep(&server, options(OrgTarget::Org(ORG.into()), None)).await;

    let mut shards = Vec::new();
    for index in 1..=3 {
        let shard = Shard { index, count: 3 };
        let report = sweep(&server, options(OrgTarget::Org(ORG.into()), Some(shard))).await;
        assert!(!report.repositories.is_empty(), "shard {index} is empty");
        assert!(report.repositories.iter().all(|r| shard.contains(&r.repo)));
        // Through the files, as `warden merge shard-*.json` reads them.
        shards.push(org_report::load(&to_json(&report)).unwrap());
    }
    let sizes: usize = shards.iter().map(|s| s.repositories.len()).sum();
    assert_eq!(sizes, 28);
    // Shards in any order.
    shards.swap(0, 2);
    let merged = org_report::merge(shards).unwrap();

    // Equal apart from `github_api`, the cost of the run(s): each shard lists the org.
    let without_cost = |report: &OrgReport| {
        let mut value: Value = serde_json::from_str(&to_json(report)).unwrap();
        value.as_object_mut().unwrap().remove("github_api");
        value
    };
    assert_eq!(without_cost(&merged), without_cost(&whole));
    assert_eq!(merged.github_api.listing, 3 * 2);
    // Apart from listing, the same requests were needed; each shard shares blobs only
    // among its own repositories.
    let needed = |r: &OrgReport| {
        r.github_api.requests - r.github_api.listing - r.github_api.graphql
            + r.github_api.blobs_reused
    };
    assert_eq!(needed(&merged), needed(&whole));
    assert_eq!(merged.exit_code(), whole.exit_code());
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_blobs_are_fetched_once_and_repos_lists_are_read_one_by_one() {
    let mut specs: Vec<RepoSpec> = (0..4)
        .map(|i| {
            let mut spec = RepoSpec::new(&format!("templated-{i}"));
            // The organisation's template workflow, byte for byte.
            spec.workflow_text = CI_WORKFLOW.to_string();
            spec
        })
        .collect();
    let mut archived = RepoSpec::new("old-service");
    archived.archived = true;
    specs.push(archived);
    // Over REST (no GraphQL endpoint), where sharing saves requests one by one.
    let server = serve_with(&specs, Graphql::Absent).await;

    let report = sweep(&server, options(OrgTarget::Org(ORG.into()), None)).await;
    let ci_sha = git_sha(CI_WORKFLOW);
    let received = server.received_requests().await.unwrap();
    let ci_fetches = received
        .iter()
        .filter(|r| r.url.path().ends_with(&format!("/git/blobs/{ci_sha}")))
        .count();
    assert_eq!(ci_fetches, 1, "one request for the shared workflow");
    let rows: u64 = report.repositories.iter().map(|r| r.requests).sum();
    assert_eq!(rows, 4 * 5, "each repository is charged the blobs it needs");
    // Workflow and link blobs are each fetched once for the four repositories.
    assert_eq!(report.github_api.blobs_reused, 2 * 3);
    assert_eq!(report.github_api.graphql, 1, "one query, refused (404)");
    assert_eq!(report.github_api.requests, 1 + 1 + rows - 6);
    assert!(report
        .repositories
        .iter()
        .all(|r| outcome_of(r, "required-workflows").0 == "pass"));

    // A `--repos` list: each repository is read first (settings, archived, default
    // branch); one that does not exist is an error row.
    let list = org::read_repos_file(
        "# the important ones\nocto-org/templated-0\nocto-org/old-service\nocto-org/missing\n",
    )
    .unwrap();
    let report = sweep(&server, options(OrgTarget::Repos(list), None)).await;
    assert_eq!(report.org, None);
    assert_eq!(report.repositories.len(), 2);
    let templated = row(&report, "templated-0");
    assert_eq!(templated.outcome, RowOutcome::Ok);
    assert_eq!(templated.requests, 6, "GET /repos, then as in an org sweep");
    let missing = row(&report, "missing");
    assert_eq!(missing.outcome, RowOutcome::Error);
    assert!(missing.error.as_deref().unwrap().contains("not found"));
    assert_eq!(report.not_swept[0].reason, "archived");
    assert_eq!(report.github_api.listing, 1, "reading the archived one");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_graphql_the_sweep_reads_protection_over_rest_with_the_same_results() {
    let specs = organisation();
    let with = sweep(
        &serve(&specs).await,
        options(OrgTarget::Org(ORG.into()), None),
    )
    .await;
    let server = serve_with(&specs, Graphql::Absent).await;
    let without = sweep(&server, options(OrgTarget::Org(ORG.into()), None)).await;

    for (a, b) in with.repositories.iter().zip(&without.repositories) {
        assert_eq!(a.repo, b.repo);
        assert_eq!(outcomes(a), outcomes(b), "{}", a.repo);
        // Every finding, word for word: GraphQL changes the cost, never the verdict.
        let rules =
            |row: &warden::report::org::RepoRow| row.report.as_ref().map(|r| r["rules"].clone());
        assert_eq!(rules(a), rules(b), "{}", a.repo);
    }
    // The endpoint answered 404 once; it was not asked again, and REST read each
    // repository's classic protection instead (one request more per repository, but for
    // locked-down, which used REST anyway).
    let received = server.received_requests().await.unwrap();
    let queries = received
        .iter()
        .filter(|r| r.url.path() == "/graphql")
        .count();
    assert_eq!(queries, 1);
    assert_eq!(without.github_api.graphql, 1);
    // Blobs over REST: 26 readable trees need 20 workflows (distinct) + 26 links (25
    // alike, 1 other); git names a blob by its content, so the shared link is read once.
    let link_blob = git_sha("README.md");
    let link_fetches = received
        .iter()
        .filter(|r| r.url.path().ends_with(&link_blob))
        .count();
    assert_eq!(link_fetches, 1);
    let blobs_sent = received
        .iter()
        .filter(|r| r.url.path().contains("/git/blobs/"))
        .count();
    assert_eq!(blobs_sent, 20 + 2);
    assert_eq!(without.github_api.blobs_reused, 24);
    let rows = |r: &OrgReport| r.repositories.iter().map(|r| r.requests).sum::<u64>();
    assert_eq!(rows(&without), rows(&with) + 27);
}

/// A token GraphQL hides rules from (no Administration permission) answers `null` where
/// REST sees classic protection: warden checks the first `null` against REST, finds they
/// disagree, and lets REST decide every `null`. No protected branch is called unprotected.
#[tokio::test(flavor = "multi_thread")]
async fn a_graphql_null_is_trusted_only_when_rest_agrees() {
    let specs = organisation();
    let honest = sweep(
        &serve_with(&specs, Graphql::Absent).await,
        options(OrgTarget::Org(ORG.into()), None),
    )
    .await;
    let server = serve_with(&specs, Graphql::HidesRules).await;
    let hidden = sweep(&server, options(OrgTarget::Org(ORG.into()), None)).await;
    for (a, b) in honest.repositories.iter().zip(&hidden.repositories) {
        assert_eq!(a.repo, b.repo);
        let rules =
            |row: &warden::report::org::RepoRow| row.report.as_ref().map(|r| r["rules"].clone());
        assert_eq!(rules(a), rules(b), "{}", a.repo);
    }
    assert_eq!(
        outcome_of(row(&hidden, "service-00"), "branch-protection").0,
        "pass"
    );
    // Every readable repository's classic protection was read over REST (plus the check).
    let received = server.received_requests().await.unwrap();
    let classic = received
        .iter()
        .filter(|r| r.url.path().ends_with("/branches/main/protection"))
        .count();
    assert_eq!(classic, 28 + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn include_and_exclude_globs_choose_repositories_by_name() {
    let specs = organisation();
    let server = serve(&specs).await;
    let mut opts = options(OrgTarget::Org(ORG.into()), None);
    opts.include = vec!["service-0*".into(), "octo-org/flaky-*".into()];
    opts.exclude = vec!["SERVICE-05".into()];
    opts.include_archived = true;
    let report = sweep(&server, opts).await;
    let names: Vec<&str> = report
        .repositories
        .iter()
        .map(|r| r.repo.as_str())
        .collect();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.contains(&"octo-org/flaky-api"));
    assert!(!names.contains(&"octo-org/service-05"));
    let reasons: HashMap<&str, &str> = report
        .not_swept
        .iter()
        .map(|n| (n.repo.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(reasons["octo-org/service-05"], "excluded");
    assert_eq!(reasons["octo-org/old-service"], "not-included");
    assert_eq!(reasons["octo-org/forked-lib"], "fork");

    let mut bad = options(OrgTarget::Org(ORG.into()), None);
    bad.exclude = vec!["a[".into()];
    let config = config(&server);
    let error = tokio::task::spawn_blocking(move || org::sweep_org(&bad, &policy(), config))
        .await
        .unwrap()
        .unwrap_err();
    assert!(error.to_string().contains("--exclude"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_organisation_fails_the_sweep_with_the_reason() {
    let server = serve(&[]).await;
    let options = options(OrgTarget::Org("nobody".into()), None);
    let config = config(&server);
    let error = tokio::task::spawn_blocking(move || org::sweep_org(&options, &policy(), config))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("cannot list the repositories of `nobody`"),
        "{error}"
    );
}

/// `cargo test --release --test org_sweep -- --ignored --nocapture bench_1000_repositories`
/// (or `scripts/bench_org.sh`): 1,000 repositories behind scripts/fake_github_org.py
/// with 50 ms latency per request.
#[test]
#[ignore]
fn bench_1000_repositories() {
    let repos: usize = std::env::var("BENCH_REPOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let latency: u64 = std::env::var("LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let work = tempfile::tempdir().unwrap();
    let port_file = work.path().join("port");
    let stats_file = work.path().join("stats.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fake_github_org.py");
    let mut server = std::process::Command::new("python3")
        .arg(script)
        .args(["--repos", &repos.to_string()])
        .args(["--latency-ms", &latency.to_string()])
        .arg("--port-file")
        .arg(&port_file)
        .arg("--stats-file")
        .arg(&stats_file)
        .args(["--max-seconds", "300"])
        .args(
            std::env::var("BENCH_DISTINCT_WORKFLOWS")
                .is_ok_and(|v| v == "1")
                .then_some("--distinct-workflows"),
        )
        .spawn()
        .unwrap();
    let mut port = String::new();
    for _ in 0..200 {
        port = std::fs::read_to_string(&port_file).unwrap_or_default();
        if !port.trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!port.trim().is_empty(), "the fake server did not start");
    let policy_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench-org-policy.toml"),
    )
    .unwrap();
    let policy = warden::policy::load_text("bench-org-policy.toml", &policy_text).unwrap();
    let mut config = ClientConfig::new(
        format!("http://127.0.0.1:{}", port.trim()),
        Some("bench-token".to_string()),
    );
    config.concurrency = std::env::var("BENCH_REQUESTS_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let mut opts = options(OrgTarget::Org("bench".into()), None);
    opts.concurrency = std::env::var("BENCH_REPOS_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let in_flight = (opts.concurrency, config.concurrency);
    let start = std::time::Instant::now();
    let report = org::sweep_org(&opts, &policy, config).unwrap();
    let wall = start.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    let served: Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).unwrap_or_else(|_| "{}".into()))
            .unwrap_or(Value::Null);
    let api = &report.github_api;
    println!(
        "swept {} repositories ({} not swept) in {:.1} s with {latency} ms latency, {} repositories / {} requests in flight",
        report.repositories.len(),
        report.not_swept.len(),
        wall.as_secs_f64(),
        in_flight.0,
        in_flight.1,
    );
    println!(
        "requests: {} ({} per repository; listing {}, retried {}, rate-limited {}); server counted {}",
        api.requests,
        api.requests_per_repository,
        api.listing,
        api.retried,
        api.rate_limited,
        served["requests"]
    );
    println!("server requests by kind: {}", served["by_kind"]);
    println!(
        "outcomes: {} ok, {} error, {} blocking, {} clean; peak RSS of the test process {} kB",
        report.summary.ok,
        report.summary.error,
        report.summary.blocking,
        report.summary.clean,
        peak_kb
    );
    assert_eq!(report.repositories.len() + report.not_swept.len(), repos);
    assert_eq!(report.summary.error, 0);
}

/// The command line: `warden sweep --org` in shards, then `warden merge`.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_sweeps_in_shards_and_merges() {
    let server = serve(&organisation()).await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("warden.toml"), policy_text()).unwrap();
    let dir = work.path().to_path_buf();
    let uri = server.uri();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut codes = Vec::new();
        for shard in ["1/2", "2/2"] {
            let output = assert_cmd::Command::cargo_bin("warden")
                .unwrap()
                .current_dir(&dir)
                .env_remove("GITHUB_TOKEN")
                .env("WARDEN_NOW", "2026-11-22T12:00:00Z")
                .env("WARDEN_RETRY_BACKOFF_MS", "1")
                .args([
                    "sweep",
                    "--org",
                    ORG,
                    "--api-url",
                    &uri,
                    "--no-cache",
                    "--shard",
                    shard,
                    "--format",
                    "json",
                ])
                .args(["--report", &format!("org-{}.md", &shard[..1])])
                .args(["--output", &format!("json=shard-{}.json", &shard[..1])])
                .output()
                .unwrap();
            codes.push(output.status.code().unwrap());
        }
        let merged = assert_cmd::Command::cargo_bin("warden")
            .unwrap()
            .current_dir(&dir)
            .args([
                "merge",
                "shard-1.json",
                "shard-2.json",
                "--format",
                "json",
                "--output",
                "markdown=org.md",
            ])
            .output()
            .unwrap();
        (
            codes,
            merged.status.code().unwrap(),
            String::from_utf8(merged.stdout).unwrap(),
        )
    })
    .await
    .unwrap();
    let (codes, merged_code, merged) = outcome;
    assert_eq!(
        codes,
        [1, 1],
        "broken repositories and gaps make each shard exit 1"
    );
    assert_eq!(merged_code, 1);
    let merged: Value = serde_json::from_str(&merged).unwrap();
    let rows = merged["repositories"].as_array().unwrap();
    let swept = organisation()
        .iter()
        .filter(|s| !s.archived && !s.fork)
        .count();
    assert_eq!(
        rows.len(),
        swept,
        "every swept repository is in exactly one shard"
    );
    assert!(std::fs::read_to_string(work.path().join("org.md"))
        .unwrap()
        .contains(ORG));
    assert!(work.path().join("org-1.md").exists());
}
