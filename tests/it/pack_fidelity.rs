//! Fidelity of the built-in packs to their playbooks: a repository laid out exactly as the
//! playbook says has no gaps; breaking one sentence gives exactly that sentence's gap.
//! Repository and pull-request rules run offline; the packs' GitHub rules run against a
//! local fake of GitHub (wiremock on 127.0.0.1, recorded bodies from fixtures/github) laid
//! out as the playbook says, each GitHub sentence broken in turn.

use crate::common::{fixture, warden, TestRepo};
use serde_json::{json, Value};

/// `warden check --offline` with a pack; (failing rule ids, erroring rule ids).
fn check(repo: &TestRepo, pack: &str) -> (Vec<String>, Vec<String>) {
    let output = warden(repo.path())
        .args(["check", "--offline", "--format", "json", "--policy"])
        .arg(format!("builtin:{pack}"))
        .output()
        .unwrap();
    outcomes(&serde_json::from_slice(&output.stdout).unwrap())
}

fn outcomes(report: &Value) -> (Vec<String>, Vec<String>) {
    let ids = |want: &str| {
        report["rules"]
            .as_array()
            .unwrap_or_else(|| panic!("{report:#}"))
            .iter()
            .filter(|r| r["outcome"] == want)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    (ids("fail"), ids("error"))
}

fn build(files: &[(&str, &str)], when: &str) -> TestRepo {
    let repo = TestRepo::new();
    for (path, text) in files {
        repo.write(path, text);
    }
    repo.commit_at("layout", when);
    repo
}

// --- mojo-solo: the SDLC & Ops Playbook ---

/// Stages 1-2 as a team writes them: job ids and names of its own choosing.
const REQUIRED_CI: &str = "name: required-ci\non:\n  pull_request:\n    branches: [main, staging]\njobs:\n  lint-and-typecheck:\n    name: Lint + Type Check\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npx eslint .\n      - run: npx tsc --noEmit\n  unit-and-integration:\n    name: Unit + Integration\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n";

fn mojo_layout() -> Vec<(&'static str, String)> {
    let workflow =
        |name: &str| std::fs::read_to_string(fixture(&format!("workflows/{name}"))).unwrap();
    vec![
        ("README.md", "# app\n".into()),
        (".github/workflows/required-ci.yml", REQUIRED_CI.into()),
        (".github/workflows/security-scan.yml", workflow("security-scan.yml")),
        (".github/workflows/reusable-trivy.yml", workflow("reusable-trivy.yml")),
        (
            ".github/workflows/e2e-playwright.yml",
            "name: e2e\non: [pull_request]\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx playwright test --project=chromium\n".into(),
        ),
        (
            ".github/workflows/storybook-build.yml",
            "name: storybook\non: [pull_request]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx storybook build\n".into(),
        ),
        (
            ".github/workflows/build-artifact.yml",
            "name: build\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx next build\n".into(),
        ),
        (".github/dependabot.yml", "version: 2\nupdates: []\n".into()),
        (
            ".github/CODEOWNERS",
            "* @mojosolo-org/devs\n/docs/SDLC-OPS-PLAYBOOK.md @mojosolo-org/devops-lead @mojosolo-org/stack-owners\n".into(),
        ),
        ("docs/SDLC-OPS-PLAYBOOK.md", "# Playbook v1.1\n".into()),
        ("docs/oncall-schedule.md", "# On-call\n".into()),
        ("docs/templates/postmortem.md", "# Post-mortem\n".into()),
        ("docs/api/openapi.yaml", "openapi: 3.1.0\n".into()),
        (".npmrc", "engine-strict=true\n".into()),
    ]
}

fn mojo_repo(change: impl FnOnce(&mut Vec<(&'static str, String)>)) -> TestRepo {
    let mut files = mojo_layout();
    change(&mut files);
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let repo = TestRepo::new();
    for (path, text) in &files {
        repo.write(path, text);
    }
    repo.symlink(
        ".claude/CLAUDE-ORG-RULES.mdc",
        "../../organisation-rules/CLAUDE-ORG-RULES.mdc",
    );
    repo.commit_at("layout", "2026-11-20");
    repo
}

#[test]
fn mojo_solo_playbook_layout_has_no_gaps() {
    let (failed, errors) = check(&mojo_repo(|_| {}), "mojo-solo");
    assert_eq!((failed, errors), (vec![], vec![]));
}

#[test]
fn mojo_solo_each_broken_sentence_is_exactly_its_gap() {
    type Change = Box<dyn FnOnce(&mut Vec<(&'static str, String)>)>;
    let set = |path: &'static str, text: &'static str| -> Change {
        Box::new(move |files| {
            files.retain(|(p, _)| *p != path);
            files.push((path, text.to_string()));
        })
    };
    let cases: Vec<(&str, Change)> = vec![
        // "1 `required-ci.yml` Lint + Type-check": no type-check step.
        (
            "required-workflows",
            set(".github/workflows/required-ci.yml", "name: required-ci\non: [pull_request]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx eslint .\n      - run: npm test\n"),
        ),
        // "Claude Code rule files (`.claude/*.mdc`) – no `.cursor` rules."
        ("no-cursor-rules", set(".cursor/rules/style.mdc", "x\n")),
        // "No Docker"
        ("no-docker", set("Dockerfile", "FROM node:20\n")),
        // "AWS Secrets Manager only – Doppler & others forbidden."
        ("no-other-secret-managers", set("doppler.yaml", "setup: {}\n")),
        // "On-call: … documented in `/docs/oncall-schedule.md`"
        (
            "playbook-docs",
            Box::new(|files| files.retain(|(p, _)| *p != "docs/oncall-schedule.md")),
        ),
        // "Any alterations require a PR approved by the DevOps lead and one stack owner."
        (
            "playbook-codeowners",
            set(".github/CODEOWNERS", "* @mojosolo-org/devs\n/docs/SDLC-OPS-PLAYBOOK.md\n"),
        ),
        // builtin:default: "Secrets never land in tracked files".
        (
            "npmrc-credentials",
            set(".npmrc", "//registry.npmjs.org/:_authToken=npm_AbCdEf0123456789\n"),
        ),
    ];
    for (gap, change) in cases {
        let (failed, errors) = check(&mojo_repo(change), "mojo-solo");
        assert_eq!(
            (failed, errors),
            (vec![gap.to_string()], vec![]),
            "breaking {gap}"
        );
    }
}

/// `warden pr --event` offline at `now`; failing rule ids.
fn pr_gaps(repo: &TestRepo, pack: &str, pr: Value, now: &str) -> (Vec<String>, Vec<String>) {
    let head = repo.repo.head().unwrap().peel_to_commit().unwrap();
    let base = head.parent(0).unwrap();
    let text = std::fs::read_to_string(fixture("events/pull_request.opened.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["pull_request"]["base"]["sha"] = json!(base.id().to_string());
    event["pull_request"]["head"]["sha"] = json!(head.id().to_string());
    for (key, value) in pr.as_object().unwrap() {
        match key.as_str() {
            "base" | "head" => event["pull_request"][key]["ref"] = value.clone(),
            "labels" => {
                event["pull_request"]["labels"] = json!(value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| json!({"name": l}))
                    .collect::<Vec<_>>())
            }
            _ => event["pull_request"][key] = value.clone(),
        }
    }
    let path = repo.path().join("event.json");
    std::fs::write(&path, event.to_string()).unwrap();
    let output = warden(repo.path())
        .env("WARDEN_NOW", now)
        .args([
            "pr",
            "--event",
            "event.json",
            "--format",
            "json",
            "--policy",
        ])
        .arg(format!("builtin:{pack}"))
        .output()
        .unwrap();
    outcomes(&serde_json::from_slice(&output.stdout).unwrap())
}

/// A repository with one more commit on top of the layout: the PR's change.
fn with_change(repo: TestRepo, path: &str, text: &str) -> TestRepo {
    repo.write(path, text);
    repo.commit_at("change", "2026-11-21");
    repo
}

const TUESDAY_11_ET: &str = "2026-11-24T16:00:00Z";
const FRIDAY_11_ET: &str = "2026-11-27T16:00:00Z";

#[test]
fn mojo_solo_pull_requests_follow_branch_flow_and_deploy_windows() {
    let repo = with_change(mojo_repo(|_| {}), "src/app.ts", "export {}\n");
    // "`feat/<ticket>` … Merge → `staging`", any day.
    let feat = json!({"head": "feat/MS-12", "base": "staging"});
    assert_eq!(
        pr_gaps(&repo, "mojo-solo", feat, FRIDAY_11_ET),
        (vec![], vec![])
    );
    // "`hotfix/<id>` Direct → `main`" inside a window.
    let hotfix = json!({"head": "hotfix/7", "base": "main"});
    assert_eq!(
        pr_gaps(&repo, "mojo-solo", hotfix.clone(), TUESDAY_11_ET),
        (vec![], vec![])
    );
    // Breaking the flow: a feature straight into main (inside a window).
    let wrong = json!({"head": "feat/MS-12", "base": "main"});
    assert_eq!(
        pr_gaps(&repo, "mojo-solo", wrong, TUESDAY_11_ET),
        (vec!["branch-flow".to_string()], vec![])
    );
    // Breaking the window: "No-deploy days: Fri/Mon (unless hotfix)".
    assert_eq!(
        pr_gaps(&repo, "mojo-solo", hotfix, FRIDAY_11_ET),
        (vec!["deploy-window".to_string()], vec![])
    );
    let labelled = json!({"head": "hotfix/7", "base": "main", "labels": ["hotfix"]});
    assert_eq!(
        pr_gaps(&repo, "mojo-solo", labelled, FRIDAY_11_ET),
        (vec![], vec![])
    );
}

// --- governed-delivery: Direction: devops and the DevOps runbook ---

fn governed_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("README.md", "# app\n"),
        ("docs/NORTH_STAR.md", "# North star\n"),
        ("docs/OPERATING_MODEL.md", "# Operating model\n"),
        ("docs/planning/sprint.md", "# Sprint\n"),
        ("feedback/devops/2026-11-20.md", "# Feedback\n"),
        ("security/gitleaks-baseline.json", "[]\n"),
        (".github/CODEOWNERS", "* @acme/devops\n"),
        (".github/workflows/ci.yml", "name: CI\non: [pull_request, push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"),
        (".github/workflows/docs-policy.yml", "name: Docs Policy\non: [pull_request]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./scripts/docs-policy.sh\n"),
        (".github/workflows/gitleaks.yml", "name: Gitleaks\non: [pull_request]\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: gitleaks/gitleaks-action@v2\n"),
        (".github/workflows/ai-config.yml", "name: AI Config\non: [pull_request]\njobs:\n  hitl:\n    runs-on: ubuntu-latest\n    steps:\n      - run: node scripts/validate-ai-config.js\n"),
    ]
}

fn governed(change: impl FnOnce(&mut Vec<(&'static str, &'static str)>), when: &str) -> TestRepo {
    let mut files = governed_files();
    change(&mut files);
    build(&files, when)
}

#[test]
fn governed_delivery_layout_has_no_gaps() {
    assert_eq!(
        check(&governed(|_| {}, "2026-11-20"), "governed-delivery"),
        (vec![], vec![])
    );
}

#[test]
fn governed_delivery_each_broken_sentence_is_exactly_its_gap() {
    // "Planning docs TTL (7 days)": the whole layout committed three weeks ago.
    assert_eq!(
        check(&governed(|_| {}, "2026-11-01"), "governed-delivery"),
        (vec!["planning-doc-ttl".to_string()], vec![])
    );
    type Change = Box<dyn FnOnce(&mut Vec<(&'static str, &'static str)>)>;
    let cases: Vec<(&str, Change)> = vec![
        // "Docs allow-list"
        ("docs-allowlist", Box::new(|f| f.push(("NOTES.md", "x\n")))),
        // "`ai-config.yml` - HITL config validation"
        (
            "required-workflows",
            Box::new(|f| f.retain(|(p, _)| *p != ".github/workflows/ai-config.yml")),
        ),
        // "Baseline maintained: `security/gitleaks-baseline.json`"
        (
            "gitleaks-baseline",
            Box::new(|f| f.retain(|(p, _)| *p != "security/gitleaks-baseline.json")),
        ),
    ];
    for (gap, change) in cases {
        let found = check(&governed(change, "2026-11-20"), "governed-delivery");
        assert_eq!(found, (vec![gap.to_string()], vec![]), "breaking {gap}");
    }
}

#[test]
fn governed_delivery_pull_requests_follow_the_definition_of_done() {
    let repo = with_change(governed(|_| {}, "2026-11-20"), "docs/guide.md", "# Guide\n");
    let good = json!({"body": "Fixes #12\n\nAllowed paths: docs/**\n"});
    assert_eq!(
        pr_gaps(&repo, "governed-delivery", good, TUESDAY_11_ET),
        (vec![], vec![])
    );
    // "PR links Issue with `Fixes #<issue>` …"
    let no_issue = json!({"body": "Refs #12\n\nAllowed paths: docs/**\n"});
    assert_eq!(
        pr_gaps(&repo, "governed-delivery", no_issue, TUESDAY_11_ET),
        (vec!["pr-fixes-issue".to_string()], vec![])
    );
    // "… and `Allowed paths` declared"
    let no_paths = json!({"body": "Fixes #12\n"});
    assert_eq!(
        pr_gaps(&repo, "governed-delivery", no_paths, TUESDAY_11_ET),
        (vec!["pr-allowed-paths".to_string()], vec![])
    );
}

// --- The packs' GitHub rules, against a local fake of GitHub ---
//
// The repository's GitHub side laid out as the playbook says (recorded bodies from
// fixtures/github, values changed, never field names), served over real HTTP by wiremock.

use crate::github_rules::{body, ok};

const NOW: &str = "2026-11-25T18:00:00Z";

/// The GitHub answers of one repository, by API path (queries are not matched).
struct GitHubSide {
    answers: std::collections::BTreeMap<String, Value>,
}

impl GitHubSide {
    fn set(&mut self, path: &str, value: Value) {
        self.answers.insert(path.to_string(), value);
    }

    fn get(&mut self, path: &str) -> &mut Value {
        self.answers
            .get_mut(path)
            .unwrap_or_else(|| panic!("no answer for {path}"))
    }
}

/// A completed run of `.github/workflows/{file}` on main, started at `start`, lasting
/// `minutes` (the recorded run `workflow-runs-scenario.json` #1, values changed).
fn run(file: &str, conclusion: &str, start: &str, minutes: i64) -> Value {
    let mut run = body("workflow-runs-scenario.json")["workflow_runs"][1].clone();
    let started: jiff::Timestamp = start.parse().unwrap();
    let ended = started + jiff::SignedDuration::from_mins(minutes);
    run["name"] = json!(file);
    run["path"] = json!(format!(".github/workflows/{file}"));
    run["head_branch"] = json!("main");
    run["event"] = json!("push");
    run["status"] = json!("completed");
    run["conclusion"] = json!(conclusion);
    run["created_at"] = json!(start);
    run["run_started_at"] = json!(start);
    run["updated_at"] = json!(ended.to_string());
    run
}

fn runs(list: Vec<Value>) -> Value {
    let mut page = body("workflow-runs-scenario.json");
    page["total_count"] = json!(list.len());
    page["workflow_runs"] = json!(list);
    page
}

/// Classic protection: `checks` required (from GitHub Actions), one approving review
/// from code owners, no force pushes, no deletions.
fn protection(checks: &[&str]) -> Value {
    let mut p = body("branch-protection.json");
    p["required_status_checks"]["contexts"] = json!(checks);
    p["required_status_checks"]["checks"] = json!(checks
        .iter()
        .map(|c| json!({"context": c, "app_id": 15368}))
        .collect::<Vec<_>>());
    p["required_pull_request_reviews"]["required_approving_review_count"] = json!(1);
    p["required_pull_request_reviews"]["require_code_owner_reviews"] = json!(true);
    p["allow_force_pushes"]["enabled"] = json!(false);
    p["allow_deletions"]["enabled"] = json!(false);
    p
}

/// `OWNER/app` with squash merges only, branches deleted on merge, secret scanning and
/// push protection on; the `production` environment with required reviewers.
fn common_side(owner: &str) -> GitHubSide {
    let base = format!("/repos/{owner}/app");
    let mut repo = body("repo.json");
    repo["full_name"] = json!(format!("{owner}/app"));
    repo["default_branch"] = json!("main");
    repo["allow_merge_commit"] = json!(false);
    repo["allow_rebase_merge"] = json!(false);
    repo["security_and_analysis"]["secret_scanning_push_protection"]["status"] = json!("enabled");
    let mut environment = body("environment.json");
    environment["name"] = json!("production");
    let mut side = GitHubSide {
        answers: Default::default(),
    };
    side.set(&base, repo);
    side.set(&format!("{base}/rules/branches/main"), json!([]));
    side.set(&format!("{base}/environments/production"), environment);
    side
}

/// mojo-solo's GitHub side as the SDLC & Ops Playbook lays it out.
fn mojo_side() -> GitHubSide {
    let base = "/repos/mojosolo-org/app";
    let mut side = common_side("mojosolo-org");
    // "Jobs 1-5 are Required Workflows; merge blocked until green": every job of the
    // required workflows is a required check.
    side.set(
        &format!("{base}/branches/main/protection"),
        protection(&[
            "Lint + Type Check",
            "Unit + Integration",
            "gitleaks",
            "trivy / scan",
            "snyk / snyk",
            "e2e",
            "build",
        ]),
    );
    side.set(
        &format!("{base}/branches/staging/protection"),
        protection(&[]),
    );
    side.set(&format!("{base}/rules/branches/staging"), json!([]));
    // CI green on main; production deployed on a Tuesday at 11:00 New York time.
    side.set(
        &format!("{base}/actions/runs"),
        runs(vec![
            run("required-ci.yml", "success", "2026-11-25T15:00:00Z", 4),
            run("security-scan.yml", "success", "2026-11-25T15:00:00Z", 3),
            run("deploy-prod.yml", "success", "2026-11-24T16:00:00Z", 6),
        ]),
    );
    // "`staging` Must always ⊇ `main`": staging lacks no commit of main.
    let mut compare = body("compare.json");
    compare["ahead_by"] = json!(0);
    compare["total_commits"] = json!(0);
    compare["commits"] = json!([]);
    side.set(&format!("{base}/compare/staging...main"), compare);
    let mut org = body("org.json");
    org["login"] = json!("mojosolo-org");
    org["two_factor_requirement_enabled"] = json!(true);
    org["secret_scanning_push_protection_enabled_for_new_repositories"] = json!(true);
    side.set("/orgs/mojosolo-org", org);
    let label = body("labels.json")[0].clone();
    let labels: Vec<Value> = ["feat", "bug", "infra", "design", "hotfix"]
        .iter()
        .map(|name| {
            let mut l = label.clone();
            l["name"] = json!(name);
            l
        })
        .collect();
    side.set(&format!("{base}/labels"), json!(labels));
    side
}

/// governed-delivery's GitHub side as its runbook lays it out.
fn governed_side() -> GitHubSide {
    let base = "/repos/acme/app";
    let mut side = common_side("acme");
    side.set(
        &format!("{base}/branches/main/protection"),
        protection(&["test", "docs", "scan", "hitl"]),
    );
    // CI green, and "CI checks must complete in < 5 minutes" (the median of recent runs).
    side.set(
        &format!("{base}/actions/runs"),
        runs(vec![
            run("ci.yml", "success", "2026-11-25T15:00:00Z", 4),
            run("ci.yml", "success", "2026-11-24T15:00:00Z", 6),
            run("ci.yml", "success", "2026-11-23T15:00:00Z", 3),
        ]),
    );
    // "0 unresolved secret incidents": the recorded alert is resolved.
    side.set(
        &format!("{base}/secret-scanning/alerts"),
        body("secret-scanning-alerts.json"),
    );
    side
}

/// `warden check --repo OWNER/app` of `repo` with a pack against `side`; (failing rule
/// ids, erroring rule ids).
fn check_github(
    repo: &TestRepo,
    pack: &str,
    owner: &str,
    side: GitHubSide,
) -> (Vec<String>, Vec<String>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = wiremock::MockServer::start().await;
        for (at, answer) in side.answers {
            wiremock::Mock::given(wiremock::matchers::method("GET"))
                .and(wiremock::matchers::path(at))
                .respond_with(ok(answer))
                .mount(&server)
                .await;
        }
        server
    });
    let output = warden(repo.path())
        .args(["check", "--format", "json", "--no-cache", "--policy"])
        .arg(format!("builtin:{pack}"))
        .args([
            "--repo",
            &format!("{owner}/app"),
            "--api-url",
            &server.uri(),
        ])
        .env("GITHUB_TOKEN", "ghp_fidelityTOKEN0123456789")
        .env("WARDEN_NOW", NOW)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    // Every rule was judged: only the pull-request rules have nothing to judge here.
    let skipped: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "skipped")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let pull_request_only: &[&str] = match pack {
        "mojo-solo" => &["branch-flow"],
        _ => &["pr-fixes-issue", "pr-allowed-paths"],
    };
    assert_eq!(skipped, pull_request_only, "{report:#}");
    outcomes(&report)
}

#[test]
fn mojo_solo_github_side_as_the_playbook_says_has_no_gaps() {
    let found = check_github(&mojo_repo(|_| {}), "mojo-solo", "mojosolo-org", mojo_side());
    assert_eq!(found, (vec![], vec![]));
}

#[test]
fn mojo_solo_each_broken_github_sentence_is_exactly_its_gap() {
    let base = "/repos/mojosolo-org/app";
    type Break = Box<dyn FnOnce(&mut GitHubSide)>;
    let cases: Vec<(&str, Break)> = vec![
        // "`main` → Production · Protected": force pushes allowed.
        (
            "main-protection",
            Box::new(move |s| {
                s.get(&format!("{base}/branches/main/protection"))["allow_force_pushes"]
                    ["enabled"] = json!(true)
            }),
        ),
        // "`staging` … merged into, never rewritten": staging may be deleted.
        (
            "staging-protection",
            Box::new(move |s| {
                s.get(&format!("{base}/branches/staging/protection"))["allow_deletions"]
                    ["enabled"] = json!(true)
            }),
        ),
        // "squash-merge only".
        (
            "merge-settings",
            Box::new(move |s| s.get(base)["allow_merge_commit"] = json!(true)),
        ),
        // "Org-wide 2FA & Push Protection required" (the repository's own push protection).
        (
            "secret-scanning",
            Box::new(move |s| {
                s.get(base)["security_and_analysis"]["secret_scanning_push_protection"]["status"] =
                    json!("disabled")
            }),
        ),
        // "auto-merge on green CI": the latest required-ci run on main failed.
        (
            "ci-green-on-main",
            Box::new(move |s| {
                s.get(&format!("{base}/actions/runs"))["workflow_runs"][0]["conclusion"] =
                    json!("failure")
            }),
        ),
        // "`staging` Must always ⊇ `main`": the recorded comparison, one commit missing.
        (
            "staging-contains-main",
            Box::new(move |s| {
                s.set(
                    &format!("{base}/compare/staging...main"),
                    body("compare.json"),
                )
            }),
        ),
        // "Org-wide **2FA** … required."
        (
            "org-2fa-push-protection",
            Box::new(|s| {
                s.get("/orgs/mojosolo-org")["two_factor_requirement_enabled"] = json!(false)
            }),
        ),
        // "Labels: `feat`, `bug`, `infra`, `design`, `hotfix`."
        (
            "labels",
            Box::new(move |s| {
                let labels = s.get(&format!("{base}/labels")).as_array_mut().unwrap();
                labels.retain(|l| l["name"] != "infra");
            }),
        ),
        // "No-deploy days: Fri/Mon": production deployed on Friday 2026-11-20.
        (
            "deploy-window",
            Box::new(move |s| {
                s.get(&format!("{base}/actions/runs"))["workflow_runs"]
                    .as_array_mut()
                    .unwrap()
                    .push(run("deploy-prod.yml", "success", "2026-11-20T16:00:00Z", 6))
            }),
        ),
        // "Any alterations require a PR approved by the DevOps lead and one stack owner":
        // main does not ask code owners to review.
        (
            "playbook-owner-review",
            Box::new(move |s| {
                s.get(&format!("{base}/branches/main/protection"))
                    ["required_pull_request_reviews"]["require_code_owner_reviews"] = json!(false)
            }),
        ),
        // "Production: manual gate": no required reviewers on `production`.
        (
            "production-approval",
            Box::new(move |s| {
                let env = s.get(&format!("{base}/environments/production"));
                env["protection_rules"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|r| r["type"] != "required_reviewers");
            }),
        ),
    ];
    for (gap, change) in cases {
        let mut side = mojo_side();
        change(&mut side);
        let found = check_github(&mojo_repo(|_| {}), "mojo-solo", "mojosolo-org", side);
        assert_eq!(found, (vec![gap.to_string()], vec![]), "breaking {gap}");
    }
}

#[test]
fn governed_delivery_github_side_as_the_runbook_says_has_no_gaps() {
    let found = check_github(
        &governed(|_| {}, "2026-11-20"),
        "governed-delivery",
        "acme",
        governed_side(),
    );
    assert_eq!(found, (vec![], vec![]));
}

#[test]
fn governed_delivery_each_broken_github_sentence_is_exactly_its_gap() {
    let base = "/repos/acme/app";
    type Break = Box<dyn FnOnce(&mut GitHubSide)>;
    let cases: Vec<(&str, Break)> = vec![
        // "CI checks green (Docs Policy, Danger, Gitleaks, AI Config)": the AI Config job
        // is not a required check.
        (
            "main-protection",
            Box::new(move |s| {
                s.set(
                    &format!("{base}/branches/main/protection"),
                    protection(&["test", "docs", "scan"]),
                )
            }),
        ),
        // "Never disable push protection or secret scanning".
        (
            "secret-scanning",
            Box::new(move |s| {
                s.get(base)["security_and_analysis"]["secret_scanning"]["status"] =
                    json!("disabled")
            }),
        ),
        // "CI checks green on main 100% of time": the latest CI run failed.
        (
            "ci-green-on-main",
            Box::new(move |s| {
                s.get(&format!("{base}/actions/runs"))["workflow_runs"][0]["conclusion"] =
                    json!("failure")
            }),
        ),
        // "CI checks must complete in < 5 minutes": the median run took 7 (judged by the
        // same rule as "green on main").
        (
            "ci-green-on-main",
            Box::new(move |s| {
                let runs = s.get(&format!("{base}/actions/runs"));
                for (i, minutes) in [7, 8, 3].into_iter().enumerate() {
                    let start = runs["workflow_runs"][i]["run_started_at"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    runs["workflow_runs"][i] = run("ci.yml", "success", &start, minutes);
                }
            }),
        ),
        // "0 unresolved secret incidents": the recorded alert, open.
        (
            "secret-incidents",
            Box::new(move |s| {
                s.get(&format!("{base}/secret-scanning/alerts"))[0]["state"] = json!("open")
            }),
        ),
        // "Production deployments require manager approval".
        (
            "production-approval",
            Box::new(move |s| {
                let env = s.get(&format!("{base}/environments/production"));
                env["protection_rules"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|r| r["type"] != "required_reviewers");
            }),
        ),
    ];
    for (gap, change) in cases {
        let mut side = governed_side();
        change(&mut side);
        let found = check_github(
            &governed(|_| {}, "2026-11-20"),
            "governed-delivery",
            "acme",
            side,
        );
        assert_eq!(found, (vec![gap.to_string()], vec![]), "breaking {gap}");
    }
}
