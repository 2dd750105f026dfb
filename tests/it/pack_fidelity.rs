//! Fidelity of the built-in packs to their playbooks: a repository laid out exactly as the
//! playbook says has no gaps; breaking one sentence gives exactly that sentence's gap.
//! Repository and pull-request rules run offline here (GitHub rules are `skipped`); the
//! GitHub rule kinds the packs use are exercised against the local fake in `github_rules`.

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
