//! The rule kinds of issue 12 over real HTTP against a local fake of GitHub (wiremock on
//! 127.0.0.1) answering with bodies from `fixtures/github` (provenance in its README).

use crate::common::{fixture, rule, warden, TestRepo};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghp_CANARYt0kenNEVERprintedXYZ1234567890";
pub const REPO: &str = "/repos/octocat/hello-world";

pub fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn ok(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4985")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(value)
}

pub fn error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4984")
        .insert_header("x-ratelimit-reset", "1658208999")
        .set_body_json(body(name))
}

pub async fn get(server: &MockServer, at: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(answer)
        .mount(server)
        .await;
}

pub fn checkout(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write("README.md", "# x\n");
    repo.commit("init");
    repo
}

/// `warden check --format json` against the fake; (exit code, report).
pub async fn check(repo: &TestRepo, server: &MockServer) -> (i32, Value) {
    let dir = repo.path().to_path_buf();
    let uri = server.uri();
    tokio::task::spawn_blocking(move || {
        let output = warden(&dir)
            .args(["check", "--format", "json", "--no-cache"])
            .args(["--repo", "octocat/hello-world", "--api-url", &uri])
            .env("GITHUB_TOKEN", TOKEN)
            .env("WARDEN_RETRY_BACKOFF_MS", "10")
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(!stdout.contains(TOKEN));
        let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (output.status.code().unwrap(), report)
    })
    .await
    .unwrap()
}

pub fn messages(report: &Value, id: &str) -> Vec<String> {
    rule(report, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_labels_names_the_missing_label() {
    let server = MockServer::start().await;
    get(&server, &format!("{REPO}/labels"), ok(body("labels.json"))).await;
    let repo = checkout(
        "[[rule]]\nkind = \"repo-labels\"\nlabels = [\"bug\", \"enhancement\", \"hotfix\"]\ncolors = { bug = \"F29513\" }\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "repo-labels"),
        ["label `hotfix` does not exist"]
    );
    let seen: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    // The repository itself is read by every `warden check` that needs GitHub (the two
    // requests are concurrent, so in either order).
    let mut seen = seen;
    seen.sort();
    assert_eq!(seen, [REPO.to_string(), format!("{REPO}/labels")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn repo_labels_without_permission_is_an_error() {
    let server = MockServer::start().await;
    get(
        &server,
        &format!("{REPO}/labels"),
        error(403, "forbidden-permission.json"),
    )
    .await;
    let repo = checkout("[[rule]]\nkind = \"repo-labels\"\nlabels = [\"bug\"]\n");
    let (code, report) = check(&repo, &server).await;
    let outcome = rule(&report, "repo-labels");
    assert_eq!(outcome["outcome"], "error", "{outcome:#}");
    assert!(outcome["reason"].as_str().unwrap().contains("403"));
    assert_ne!(code, 0);
}

const CONTAINS: &str =
    "[[rule]]\nkind = \"branch-contains\"\nbranch = \"staging\"\ncontains = [\"main\"]\n";

#[tokio::test(flavor = "multi_thread")]
async fn branch_contains_asks_the_compare_api_when_the_branches_are_not_local() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/compare/staging...main"),
        ok(body("compare.json")),
    )
    .await;
    let repo = checkout(CONTAINS);
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "branch-contains"),
        ["`staging` lacks 1 commit of `main` (newest: 6dcb09b Fix all the bugs; from the compare API)"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn branch_contains_missing_branch_is_an_error() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/compare/staging...main"),
        error(404, "not-found.json"),
    )
    .await;
    let repo = checkout(CONTAINS);
    let (_, report) = check(&repo, &server).await;
    let outcome = rule(&report, "branch-contains");
    assert_eq!(outcome["outcome"], "error", "{outcome:#}");
    assert!(outcome["reason"].as_str().unwrap().contains("404"));
}

#[tokio::test(flavor = "multi_thread")]
async fn branch_contains_uses_local_git_when_both_branches_are_there() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    let repo = checkout(CONTAINS);
    let head = repo.repo.head().unwrap().peel_to_commit().unwrap();
    repo.repo.branch("staging", &head, true).unwrap();
    repo.repo.branch("main", &head, true).unwrap();
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "branch-contains")["outcome"], "pass");

    // Two commits on main that staging lacks.
    repo.repo.set_head("refs/heads/main").unwrap();
    repo.write("a.txt", "a");
    repo.commit_at("hotfix: first", "2026-11-02");
    repo.write("b.txt", "b");
    repo.commit_at("hotfix: second", "2026-11-03");
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    let found = messages(&report, "branch-contains");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("`staging` lacks 2 commits of `main` (newest: ")
            && found[0].contains("hotfix: second, ")
            && found[0].ends_with("hotfix: first; from local git)"),
        "{found:?}"
    );
    let compared = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().contains("/compare/"))
        .count();
    assert_eq!(compared, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_protection_judges_reviewers_self_review_and_branches() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/environments/staging"),
        ok(body("environment.json")),
    )
    .await;
    get(
        &server,
        &format!("{REPO}/environments/staging/deployment-branch-policies"),
        ok(body("deployment-branch-policies.json")),
    )
    .await;
    let repo = checkout(
        "[[rule]]\nkind = \"environment-protection\"\nenvironment = \"staging\"\nrequired_reviewers = 2\nprevent_self_review = true\nwait_timer = 30\ndeployment_branches = [\"main\"]\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "environment-protection"),
        [
            "environment `staging` allows self-review; the policy wants it prevented",
            "environment `staging` also lets `release/*` deploy; the policy allows only `main`",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_protection_missing_environment_is_a_gap_and_403_an_error() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/environments/production"),
        error(404, "not-found.json"),
    )
    .await;
    let repo = checkout(
        "[[rule]]\nkind = \"environment-protection\"\nenvironment = \"production\"\nrequired_reviewers = 1\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "environment-protection"),
        ["environment `production` does not exist"]
    );

    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/environments/production"),
        error(403, "forbidden-permission.json"),
    )
    .await;
    let (_, report) = check(&repo, &server).await;
    assert_eq!(rule(&report, "environment-protection")["outcome"], "error");
}

const ALERTS: &str = "[[rule]]\nkind = \"security-alerts\"\nsecret_scanning = { max_open = 0 }\ndependabot = { max_open = { critical = 0, high = 0, medium = 0 }, max_age_days = 30 }\ncode_scanning = { max_open = 0 }\n";

#[tokio::test(flavor = "multi_thread")]
async fn security_alerts_count_open_alerts_per_severity_and_age() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    // The recorded secret-scanning alert is resolved; Dependabot has one open (medium) and
    // one dismissed (high); code scanning one open (error) and one dismissed.
    for (endpoint, file) in [
        ("secret-scanning/alerts", "secret-scanning-alerts.json"),
        ("dependabot/alerts", "dependabot-alerts.json"),
        ("code-scanning/alerts", "code-scanning-alerts.json"),
    ] {
        get(&server, &format!("{REPO}/{endpoint}"), ok(body(file))).await;
    }
    let repo = checkout(ALERTS);
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "security-alerts"),
        [
            "1 open Dependabot alert(s) of severity `medium`; the policy allows 0: #1 Insertion of Sensitive Information into Log File in ansible",
            "1 open Dependabot alert(s) older than 30 days: #1 Insertion of Sensitive Information into Log File in ansible",
            "1 open code scanning alert(s); the policy allows 0: #4 Arbitrary file write during zip extraction",
        ]
    );
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/alerts"))
        .map(|r| r.url.query().unwrap_or_default().to_string())
        .collect();
    assert_eq!(asked.len(), 3);
    assert!(asked.iter().all(|q| q.contains("state=open")), "{asked:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn security_alerts_tell_a_disabled_feature_from_a_refused_token() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    // Secret scanning documents 404 as "disabled"; the generic 404 body (fixtures README).
    get(
        &server,
        &format!("{REPO}/secret-scanning/alerts"),
        error(404, "not-found.json"),
    )
    .await;
    // GitHub's 403 body shape (forbidden-permission.json) with the message it sends when
    // Dependabot alerts are off.
    let mut disabled = body("forbidden-permission.json");
    disabled["message"] = "Dependabot alerts are disabled for this repository.".into();
    get(
        &server,
        &format!("{REPO}/dependabot/alerts"),
        ResponseTemplate::new(403)
            .insert_header("content-type", "application/json; charset=utf-8")
            .insert_header("x-ratelimit-remaining", "4984")
            .set_body_json(disabled),
    )
    .await;
    let repo = checkout(
        "[[rule]]\nkind = \"security-alerts\"\nsecret_scanning = { max_open = 0 }\ndependabot = { max_open = 0 }\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    let found = messages(&report, "security-alerts");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("secret scanning is not enabled"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("Dependabot is not enabled"),
        "{found:?}"
    );

    // A token refused access: an error naming the permission, never a pass.
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/code-scanning/alerts"),
        error(403, "forbidden-permission.json"),
    )
    .await;
    let repo = checkout("[[rule]]\nkind = \"security-alerts\"\ncode_scanning = { max_open = 0 }\n");
    let (_, report) = check(&repo, &server).await;
    let outcome = rule(&report, "security-alerts");
    assert_eq!(outcome["outcome"], "error", "{outcome:#}");
    assert!(
        outcome["reason"]
            .as_str()
            .unwrap()
            .contains("security_events"),
        "{outcome:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codeowners_adds_githubs_own_errors_to_the_local_check() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(
        &server,
        &format!("{REPO}/codeowners/errors"),
        ok(body("codeowners-errors.json")),
    )
    .await;
    let repo = checkout(
        "[[rule]]\nkind = \"codeowners\"\npaths = [\"docs/PLAYBOOK.md\"]\nowners = { \"docs/PLAYBOOK.md\" = [\"@acme/devops-lead\"] }\ngithub_errors = true\n",
    );
    repo.write(
        ".github/CODEOWNERS",
        "* @acme/devs\n/docs/PLAYBOOK.md @acme/devops-lead @acme/stack-owners\n",
    )
    .write("docs/PLAYBOOK.md", "# playbook\n");
    repo.commit("owners");
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "codeowners"),
        [
            "GitHub: `.github/CODEOWNERS` Invalid pattern on line 3: Did you mean `**/*.rb`?",
            "GitHub: `.github/CODEOWNERS` Invalid owner on line 7:",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn org_settings_gap_names_the_setting() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    get(&server, "/orgs/octocat", ok(body("org.json"))).await;
    let repo = checkout(
        "[[rule]]\nkind = \"org-settings\"\ntwo_factor_required = true\npush_protection_for_new_repositories = true\nmembers_can_create_public_repositories = false\ndefault_repository_permission = \"read\"\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "org-settings"),
        ["organisation `github`: `secret_scanning_push_protection_enabled_for_new_repositories` is false, the policy wants true"]
    );
}

/// An org sweep builds its needs once and gathers every repository with them: the
/// organisation's settings are read once, however many repositories it sweeps.
#[test]
fn org_settings_are_read_once_per_organisation() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        get(&server, "/orgs/octo-org", ok(body("org.json"))).await;
        server
    });
    let needs = warden::github::GitHubNeeds {
        extra: warden::github::extended::ExtraNeeds {
            org: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let config = warden::github::ClientConfig::new(server.uri(), Some(TOKEN.to_string()));
    let (facts, stats) = warden::github::with_client(config, async |client| {
        let mut all = Vec::new();
        for name in ["app", "api", "web"] {
            let repo = warden::github::RepoId::parse(&format!("octo-org/{name}")).unwrap();
            all.push(warden::github::gather_with(client, &repo, &needs).await);
        }
        all
    })
    .unwrap();
    assert!(facts
        .iter()
        .all(|f| matches!(&f.extra.org, Some(Ok(o)) if o.login == "github")));
    let org_reads = runtime
        .block_on(server.received_requests())
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/orgs/octo-org")
        .count();
    assert_eq!(org_reads, 1);
    // Settings of each repository (unanswered here) plus one organisation read.
    assert_eq!(stats.requests, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn workflow_health_all_judges_every_workflow_on_the_default_branch() {
    let server = MockServer::start().await;
    let mut settings = body("repo.json");
    settings["default_branch"] = "main".into();
    get(&server, REPO, ok(settings)).await;
    // CI on main: in progress (not judged), success, failure; Linter only on a feature branch.
    get(
        &server,
        &format!("{REPO}/actions/runs"),
        ok(body("workflow-runs-scenario.json")),
    )
    .await;
    let repo =
        checkout("[[rule]]\nkind = \"workflow-health\"\nall = true\nmin_success_rate = 100\n");
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    let found = messages(&report, "workflow-health");
    assert!(
        found.contains(&"1 of the last 2 completed runs of `.github/workflows/blank.yaml` on `main` succeeded (50%); the policy wants at least 100%".to_string()),
        "{found:#?}"
    );
    assert!(found.iter().all(|m| !m.contains("linter")), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_window_audits_recent_deployments() {
    let server = MockServer::start().await;
    get(&server, REPO, ok(body("repo.json"))).await;
    // The documented deployment, re-dated: Friday 2026-11-20 18:00 EST, then a copy on
    // Tuesday 11:00 EST (inside), and one from a hotfix branch on Friday (exempt).
    let one = body("deployments.json")[0].clone();
    let mut friday = one.clone();
    friday["created_at"] = "2026-11-20T23:00:00Z".into();
    let mut tuesday = one.clone();
    tuesday["id"] = 2.into();
    tuesday["created_at"] = "2026-11-17T16:00:00Z".into();
    let mut hotfix = one;
    hotfix["id"] = 3.into();
    hotfix["ref"] = "hotfix/42".into();
    hotfix["created_at"] = "2026-11-20T23:30:00Z".into();
    get(
        &server,
        &format!("{REPO}/deployments"),
        ok(serde_json::json!([hotfix, friday, tuesday])),
    )
    .await;
    let repo = checkout(
        "[[rule]]\nkind = \"deploy-window\"\ntime_zone = \"America/New_York\"\nenvironment = \"production\"\nexempt_refs = [\"hotfix/*\"]\n[[rule.window]]\ndays = [\"tue\", \"thu\"]\nhours = \"10:00-16:00\"\n",
    );
    let (code, report) = check(&repo, &server).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        messages(&report, "deploy-window"),
        ["deployment 1 of `topic-branch` to `production` at Fri 2026-11-20 18:00 EST, outside the deploy windows: Tue/Thu 10:00-16:00 (America/New_York)"]
    );
    let asked = server.received_requests().await.unwrap();
    assert!(asked.iter().any(|r| r.url.path().ends_with("/deployments")
        && r.url
            .query()
            .unwrap_or_default()
            .contains("environment=production")));
}

#[test]
fn the_examples_of_the_new_kinds_are_valid_policies() {
    for id in [
        "branch-contains",
        "repo-labels",
        "environment-protection",
        "security-alerts",
        "codeowners",
        "org-settings",
        "deploy-window",
        "pr-branch-flow",
        "forbidden-files",
        "workflow-health",
    ] {
        let kind = warden::rules::find(id).unwrap_or_else(|| panic!("{id} is not registered"));
        let example = kind
            .doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("{id} has no TOML example"));
        let policy = warden::policy::load_text("example.toml", example)
            .unwrap_or_else(|e| panic!("{id} example: {:#?}", e.errors));
        assert!(policy.rules.iter().all(|r| r.kind.id == id), "{id}");
    }
}

/// What the issue-12 facts cost per repository in an org sweep, every new rule on: the
/// organisation once, then labels 1, one comparison 1, one environment 1, three alert
/// kinds 3, CODEOWNERS errors 1, one environment's deployments 1 (plus the repository's
/// own settings read, which predates them). Counted, not timed.
/// The REST bodies of one repository's issue-12 facts, which [`GraphqlRepo`] answers the
/// sweep's per-repository GraphQL query from.
#[derive(Clone)]
pub struct RestFacts {
    pub labels: Value,
    /// Environment name → `GET .../environments/{name}` (absent: it does not exist).
    pub environments: std::collections::BTreeMap<String, Value>,
    pub deployments: Value,
    pub compare: Value,
    pub codeowners_errors: Value,
    pub vulnerability_alerts: bool,
}

impl RestFacts {
    /// The recorded bodies as they are (fixtures/github).
    pub fn recorded() -> RestFacts {
        let mut environment = body("environment.json");
        environment["name"] = serde_json::json!("production");
        RestFacts {
            labels: body("labels.json"),
            environments: [("production".to_string(), environment)].into(),
            deployments: body("deployments.json"),
            compare: body("compare.json"),
            codeowners_errors: body("codeowners-errors.json"),
            vulnerability_alerts: true,
        }
    }
}

/// GitHub's GraphQL endpoint for the sweep's per-repository query
/// (`src/github/extra_graphql.rs`): `data.repository` with the aliases asked for, each the
/// same facts as the REST body in [`RestFacts`], in the shapes of GitHub's published schema
/// (`@octokit/graphql-schema` 15.26.1; see fixtures/github/README.md). Repositories it does
/// not know get `data.repository: null` and a NOT_FOUND error, as GitHub answers.
pub struct GraphqlRepo {
    pub repos: std::collections::HashMap<String, RestFacts>,
}

impl wiremock::Respond for GraphqlRepo {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        use serde_json::json;
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let (query, vars) = (
            body["query"].as_str().unwrap_or_default(),
            &body["variables"],
        );
        let name = vars["n"].as_str().unwrap_or_default();
        let Some(facts) = self.repos.get(name) else {
            return ok(json!({"data": {"repository": null}, "errors": [{
                "type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 1}],
                "message": format!("Could not resolve to a Repository with the name 'octo-org/{name}'.")}]}));
        };
        let mut repo = serde_json::Map::new();
        if query.contains("labels(") {
            let nodes: Vec<Value> = facts.labels.as_array().unwrap().iter()
                .map(|l| json!({"name": l["name"], "color": l["color"], "description": l["description"]}))
                .collect();
            repo.insert(
                "labels".into(),
                json!({"totalCount": nodes.len(), "nodes": nodes}),
            );
        }
        for i in 0.. {
            let Some(env) = vars[format!("e{i}")].as_str() else {
                break;
            };
            let answer = facts.environments.get(env).map_or(Value::Null, |e| {
                let rules: Vec<Value> = e["protection_rules"].as_array().into_iter().flatten().map(|r| {
                    let reviewers: Vec<Value> = r["reviewers"].as_array().into_iter().flatten().map(|x| match x["type"].as_str() {
                        Some("Team") => json!({"__typename": "Team", "slug": x["reviewer"]["slug"]}),
                        _ => json!({"__typename": "User", "login": x["reviewer"]["login"]}),
                    }).collect();
                    json!({"type": r["type"].as_str().unwrap().to_ascii_uppercase(),
                           "timeout": r["wait_timer"].as_u64().unwrap_or(0),
                           "preventSelfReview": r["prevent_self_review"],
                           "reviewers": {"totalCount": reviewers.len(), "nodes": reviewers}})
                }).collect();
                json!({"name": e["name"], "protectionRules": {"totalCount": rules.len(), "nodes": rules}})
            });
            repo.insert(format!("e{i}"), answer);
        }
        for i in 0.. {
            let Some(env) = vars[format!("d{i}")][0].as_str() else {
                break;
            };
            let nodes: Vec<Value> = facts.deployments.as_array().unwrap().iter()
                .filter(|d| d["environment"] == env)
                .map(|d| json!({"databaseId": d["id"], "commitOid": d["sha"], "createdAt": d["created_at"],
                    "originalEnvironment": d["original_environment"], "ref": {"name": d["ref"]}}))
                .collect();
            repo.insert(format!("d{i}"), json!({"nodes": nodes}));
        }
        for i in 0.. {
            if vars.get(format!("c{i}")).is_none() {
                break;
            }
            let c = &facts.compare;
            let commits: Vec<Value> = c["commits"].as_array().unwrap().iter()
                .map(|x| json!({"oid": x["sha"], "messageHeadline": x["commit"]["message"].as_str().unwrap().lines().next()}))
                .collect();
            let last = commits[commits.len().saturating_sub(5)..].to_vec();
            repo.insert(
                format!("c{i}"),
                json!({"compare": {"aheadBy": c["ahead_by"], "commits": {"nodes": last}}}),
            );
        }
        if query.contains("codeowners {") {
            let errors: Vec<Value> = facts.codeowners_errors["errors"].as_array().unwrap().iter()
                .map(|e| json!({"line": e["line"], "kind": e["kind"], "path": e["path"], "message": e["message"], "suggestion": e["suggestion"]}))
                .collect();
            repo.insert("codeowners".into(), json!({"errors": errors}));
        }
        if query.contains("hasVulnerabilityAlertsEnabled") {
            repo.insert(
                "hasVulnerabilityAlertsEnabled".into(),
                json!(facts.vulnerability_alerts),
            );
        }
        ok(json!({"data": {"repository": repo}}))
    }
}

const SWEPT: [&str; 4] = ["app", "api", "web", "docs"];

/// An organisation `octo-org` of [`SWEPT`] repositories over REST (and GraphQL when
/// `graphql`); its open alerts (one of each kind, in `app`) in the organisation's lists,
/// or 403 for them when `!org_lists`.
/// With `docs_off`, secret scanning and Dependabot alerts are off in `docs` (its listing,
/// GraphQL and its own endpoints say so).
fn organisation(graphql: bool, org_lists: bool, docs_off: bool) -> MockServer {
    use wiremock::matchers::path_regex;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        let rename = |mut value: Value| {
            let text = value
                .to_string()
                .replace("octocat/Hello-World", "octo-org/app")
                .replace("octo-org/hello-world", "octo-org/app");
            value = serde_json::from_str(&text).unwrap();
            value
        };
        let mut secret = rename(body("org-secret-scanning-alerts.json"));
        secret[0]["state"] = serde_json::json!("open");
        let lists = [
            (r"^/orgs/octo-org/secret-scanning/alerts$", secret),
            (
                r"^/orgs/octo-org/dependabot/alerts$",
                rename(body("org-dependabot-alerts.json")),
            ),
            (
                r"^/orgs/octo-org/code-scanning/alerts$",
                rename(body("org-code-scanning-alerts.json")),
            ),
        ];
        for (pattern, answer) in lists {
            let answer = if org_lists {
                ok(answer)
            } else {
                error(403, "forbidden-permission.json")
            };
            Mock::given(method("GET"))
                .and(path_regex(pattern))
                .respond_with(answer)
                .mount(&server)
                .await;
        }
        let mut app_secret = body("secret-scanning-alerts.json");
        app_secret[0]["state"] = serde_json::json!("open");
        let repo_answers = [
            (r"^/orgs/octo-org$", body("org.json")),
            (r"/labels$", body("labels.json")),
            (r"/compare/", body("compare.json")),
            (
                r"/environments/production$",
                RestFacts::recorded().environments["production"].clone(),
            ),
            (r"^/repos/octo-org/app/secret-scanning/alerts$", app_secret),
            (r"/secret-scanning/alerts$", serde_json::json!([])),
            (
                r"^/repos/octo-org/app/dependabot/alerts$",
                body("dependabot-alerts.json"),
            ),
            (r"/dependabot/alerts$", serde_json::json!([])),
            (r"/code-scanning/alerts$", body("code-scanning-alerts.json")),
            (r"/codeowners/errors$", body("codeowners-errors.json")),
            (r"/deployments$", body("deployments.json")),
        ];
        for (pattern, answer) in repo_answers {
            Mock::given(method("GET"))
                .and(path_regex(pattern))
                .respond_with(ok(answer))
                .mount(&server)
                .await;
        }
        if docs_off {
            // GitHub's answers for a repository with the features off (the messages of
            // the REST documentation; bodies shaped as `not-found.json`).
            let off = |status: u16, message: &str| {
                let mut answer = body("not-found.json");
                answer["message"] = serde_json::json!(message);
                ResponseTemplate::new(status).set_body_json(answer)
            };
            for (at, answer) in [
                (
                    "/repos/octo-org/docs/secret-scanning/alerts",
                    off(404, "Secret scanning is disabled on this repository."),
                ),
                (
                    "/repos/octo-org/docs/dependabot/alerts",
                    off(403, "Dependabot alerts are disabled for this repository."),
                ),
            ] {
                Mock::given(method("GET"))
                    .and(path(at))
                    .respond_with(answer)
                    .with_priority(1)
                    .mount(&server)
                    .await;
            }
        }
        if graphql {
            let repos = SWEPT
                .iter()
                .map(|n| {
                    let mut facts = RestFacts::recorded();
                    facts.vulnerability_alerts = !(docs_off && *n == "docs");
                    (n.to_string(), facts)
                })
                .collect();
            Mock::given(method("POST"))
                .and(path("/graphql"))
                .respond_with(GraphqlRepo { repos })
                .mount(&server)
                .await;
        }
        server
    })
}

/// Every issue-12 fact of [`SWEPT`], gathered as `sweep --org` does
/// (`warden::github::org::gather_listed`); the facts, the requests charged to each
/// repository, and those charged to the organisation.
fn sweep_new_facts(
    server: &MockServer,
    docs_off: bool,
) -> (Vec<warden::github::GitHubFacts>, Vec<u64>, u64) {
    use warden::github::alerts::AlertKind;
    use warden::github::org::{Counter, ListedRepo};
    let needs = warden::github::GitHubNeeds {
        extra: warden::github::extended::ExtraNeeds {
            labels: true,
            compare: [("staging".to_string(), "main".to_string())].into(),
            environments: [(
                "production".to_string(),
                warden::github::environments::EnvironmentNeed::Rules,
            )]
            .into(),
            alerts: AlertKind::ALL.into(),
            codeowners_errors: true,
            org: true,
            deployments: ["production".to_string()].into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let config = warden::github::ClientConfig::new(server.uri(), Some(TOKEN.to_string()));
    let ((facts, org), _) = warden::github::with_client(config, async |client| {
        let org_alerts = warden::github::org_alerts::OrgAlerts::default();
        let mut all = Vec::new();
        let mut org = 0;
        for name in SWEPT {
            let mut item = body("org-repos.json")[0].clone();
            item["full_name"] = serde_json::json!(format!("octo-org/{name}"));
            if docs_off && name == "docs" {
                item["security_and_analysis"]["secret_scanning"]["status"] =
                    serde_json::json!("disabled");
            }
            let listed = ListedRepo::from_json(&item).unwrap();
            let counter = Counter::default();
            let facts = warden::github::org::gather_listed(
                client,
                &listed,
                &needs,
                &Default::default(),
                &org_alerts,
                &counter,
            )
            .await;
            org += facts.extra.org_requests;
            all.push((facts, counter.get()));
        }
        (all, org + org_alerts.requests())
    })
    .unwrap();
    let (facts, rows) = facts.into_iter().unzip();
    (facts, rows, org)
}

/// `sweep --org` with every issue-12 fact: the organisation's settings and its three alert
/// lists once, then one GraphQL query per repository, plus one code-scanning request for
/// each repository without an open code-scanning alert in the organisation's list (that
/// list cannot tell "none" from "code scanning is off"). It was 8 per repository over REST.
#[test]
fn requests_per_repository_for_the_new_facts() {
    use warden::github::alerts::{AlertKind, Alerts};
    let server = organisation(true, true, false);
    let (facts, rows, org) = sweep_new_facts(&server, false);
    assert_eq!(org, 1 + 3, "settings and three alert lists, once");
    assert_eq!(rows, [1, 2, 2, 2], "app has an open code-scanning alert");
    let open = |f: &warden::github::GitHubFacts, kind| match &f.extra.alerts[&kind] {
        Ok(Alerts::Open(list)) => list.len(),
        other => panic!("{kind:?}: {other:?}"),
    };
    for (facts, name) in facts.iter().zip(SWEPT) {
        let want = usize::from(name == "app");
        assert_eq!(open(facts, AlertKind::SecretScanning), want, "{name}");
        assert_eq!(open(facts, AlertKind::Dependabot), want, "{name}");
        // The others' code-scanning alerts come from their own endpoint (recorded: one open).
        assert_eq!(open(facts, AlertKind::CodeScanning), 1, "{name}");
        let labels = facts.extra.labels.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(
            labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["bug", "enhancement"]
        );
        let env = facts.extra.environments["production"]
            .as_ref()
            .unwrap()
            .as_ref()
            .unwrap();
        assert_eq!(env.rule("wait_timer").unwrap().wait_timer, Some(30));
        assert_eq!(
            env.rule("required_reviewers")
                .unwrap()
                .reviewers
                .as_ref()
                .unwrap()
                .len(),
            2
        );
        let comparison = facts.extra.compare[&("staging".to_string(), "main".to_string())]
            .as_ref()
            .unwrap();
        assert_eq!(
            (comparison.missing, comparison.newest[0].summary.as_str()),
            (1, "Fix all the bugs")
        );
        assert_eq!(
            facts.extra.deployments["production"].as_ref().unwrap()[0]
                .git_ref
                .as_deref(),
            Some("topic-branch")
        );
        assert!(facts
            .extra
            .codeowners_errors
            .as_ref()
            .unwrap()
            .as_ref()
            .unwrap()
            .is_some());
        assert!(facts.extra.org.as_ref().unwrap().is_ok());
    }
}

/// Without GraphQL, and with a token that may not read the organisation's alert lists
/// (403), every fact is read over REST per repository, with the same answers: a list the
/// token cannot read is never "no alerts".
#[test]
fn without_graphql_or_org_lists_the_sweep_reads_each_repository() {
    use warden::github::alerts::{AlertKind, Alerts};
    let server = organisation(false, false, false);
    let (facts, rows, org) = sweep_new_facts(&server, false);
    assert_eq!(
        org,
        1 + 3,
        "settings, and the three lists that were refused"
    );
    // The first repository's GraphQL query is refused (404) and not sent again.
    assert_eq!(rows, [9, 8, 8, 8]);
    for (facts, name) in facts.iter().zip(SWEPT) {
        let want = usize::from(name == "app");
        for kind in [AlertKind::SecretScanning, AlertKind::Dependabot] {
            match &facts.extra.alerts[&kind] {
                Ok(Alerts::Open(list)) => assert_eq!(list.len(), want, "{name} {kind:?}"),
                other => panic!("{kind:?}: {other:?}"),
            }
        }
        let labels = facts.extra.labels.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(labels.len(), 2);
    }
}

/// The organisation's lists cannot say a feature is off: a repository they show no alert
/// for, whose feature is not known to be on, is asked itself, and "disabled" stays a gap
/// (`Alerts::Disabled`), never "no open alerts".
#[test]
fn a_feature_that_is_off_is_not_read_as_no_alerts_from_the_organisation_lists() {
    use warden::github::alerts::{AlertKind, Alerts};
    let server = organisation(true, true, true);
    let (facts, rows, _) = sweep_new_facts(&server, true);
    assert_eq!(
        rows[3],
        2 + 2,
        "docs asks secret scanning and Dependabot itself"
    );
    let docs = &facts[3].extra.alerts;
    for kind in [AlertKind::SecretScanning, AlertKind::Dependabot] {
        assert!(
            matches!(&docs[&kind], Ok(Alerts::Disabled(m)) if m.contains("disabled")),
            "{kind:?}: {:?}",
            docs[&kind]
        );
    }
    assert_eq!(rows[..3], [1, 2, 2], "the others as before");
}
