//! `docs/examples/dangerfile.toml` does what the team Dangerfile did: each of its five
//! checks fires on a pull request that breaks it, and all stay quiet on one that follows
//! every rule; where Danger let something through (deleted files, Markdown outside the
//! fence), the translation does too, and where warden differs on purpose
//! (docs/migrating-from-danger.md) a test shows it. Facts are built by hand, as
//! `warden pr` would gather them.

use std::path::PathBuf;

use warden::engine::{self, FailOn, Mode, RunContext};
use warden::facts::Facts;
use warden::model::Level;
use warden::policy::{self, PolicyRef};
use warden::pr::{ChangedFile, FileStatus, PullRequest};
use warden::report::{Outcome, Report, RuleOutcome};

const GOOD_AGENTS: &str = r#"{
  "agents": [
    { "id": "ai-customer", "human_review": true, "reviewers": ["support-lead"] },
    { "id": "ai-internal", "human_review": false, "reviewers": [] }
  ]
}"#;

const GOOD_BODY: &str = "\
Adds pagination to the orders tile.

Fixes #42

Allowed paths: app/** packages/** docs/**

<!-- Reviewers: check the preview environment. -->
";

fn now() -> jiff::Timestamp {
    "2026-11-22T12:00:00Z".parse().unwrap()
}

fn changed(path: &str) -> ChangedFile {
    ChangedFile {
        path: path.to_string(),
        status: FileStatus::Modified,
        previous_path: None,
        additions: 10,
        deletions: 2,
    }
}

/// A pull request that follows every rule of the Dangerfile.
fn good_pr() -> PullRequest {
    PullRequest {
        repo: warden::github::RepoId::parse("octo-org/app"),
        number: 7,
        title: "feat(orders): paginate the orders tile".to_string(),
        body: GOOD_BODY.to_string(),
        author: "alice".to_string(),
        labels: vec!["feature".to_string()],
        base_ref: "main".to_string(),
        head_ref: "feat/orders-pagination".to_string(),
        head_repo: Some("octo-org/app".to_string()),
        files: vec![
            changed("app/routes/orders.tsx"),
            changed("app/routes/orders.test.tsx"),
            changed("docs/specs/orders.md"),
            changed("packages/ui/table.ts"),
        ],
        files_source: "api",
        ..PullRequest::default()
    }
}

fn run(pr: PullRequest, agents_json: &str) -> Report {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/dangerfile.toml");
    let policy = policy::load(&[PolicyRef::File(path)])
        .unwrap_or_else(|e| panic!("the example policy does not load: {e:?}"));
    let mut facts = Facts::from_texts(
        &[
            ("app/agents/config/agents.json", agents_json),
            ("app/routes/orders.tsx", "export {}"),
            ("README.md", "# app"),
            // Stray Markdown already on the base branch: `warden check` would flag it, but
            // in PR mode path rules judge only the PR's files.
            ("notes/legacy.md", "# old plan"),
        ],
        now(),
    );
    facts.set_changed(pr.changed_paths());
    facts.pr = Some(pr);
    let evaluations = engine::evaluate(&policy, &facts, false);
    let ctx = RunContext {
        root: ".".to_string(),
        mode: Mode::Pr,
        now: now(),
        fail_on: FailOn::Deny,
    };
    engine::collect(&policy, evaluations, &ctx)
}

fn rule<'r>(report: &'r Report, id: &str) -> &'r RuleOutcome {
    report
        .rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id} in {:#?}", report.rules))
}

/// The rules that did not pass, with their findings' messages.
fn not_passing(report: &Report) -> Vec<(String, Outcome, Vec<String>)> {
    report
        .rules
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| {
            (
                r.id.clone(),
                r.outcome,
                r.findings.iter().map(|f| f.message.clone()).collect(),
            )
        })
        .collect()
}

/// Exactly `id` fails, at `level`, with one finding whose message contains `needle`.
fn assert_only_failure(report: &Report, id: &str, level: Level, needle: &str) {
    let failing = not_passing(report);
    assert_eq!(
        failing
            .iter()
            .map(|(id, ..)| id.as_str())
            .collect::<Vec<_>>(),
        [id],
        "{failing:#?}"
    );
    let outcome = rule(report, id);
    assert_eq!(outcome.outcome, Outcome::Fail);
    assert_eq!(outcome.level, level);
    assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
    let message = &outcome.findings[0].message;
    assert!(message.contains(needle), "{message}");
}

#[test]
fn a_pr_that_follows_every_rule_passes_all_six() {
    let report = run(good_pr(), GOOD_AGENTS);
    assert_eq!(report.rules.len(), 6);
    assert!(
        not_passing(&report).is_empty(),
        "{:#?}",
        not_passing(&report)
    );
    assert!(!report.summary.blocking);
}

#[test]
fn markdown_outside_the_docs_allow_list_fails() {
    let mut pr = good_pr();
    pr.files.push(changed("app/NOTES.md"));
    let report = run(pr, GOOD_AGENTS);
    assert_only_failure(
        &report,
        "docs-allowlist",
        Level::Deny,
        "`app/NOTES.md` is outside the docs allow-list",
    );
    assert_eq!(
        rule(&report, "docs-allowlist").findings[0].path.as_deref(),
        Some("app/NOTES.md")
    );
    assert!(report.summary.blocking);
}

#[test]
fn a_body_without_fixes_fails() {
    let mut pr = good_pr();
    pr.body = pr.body.replace("Fixes #42", "Related to #42");
    let report = run(pr, GOOD_AGENTS);
    assert_only_failure(
        &report,
        "issue-link",
        Level::Deny,
        "the PR description links no issue: it needs a line like `Fixes #<issue>`",
    );
    let help = rule(&report, "issue-link").findings[0]
        .help
        .clone()
        .unwrap();
    assert!(help.contains("write `Fixes #42`"), "{help}");
}

#[test]
fn a_file_outside_the_allowed_paths_fails() {
    let mut pr = good_pr();
    pr.files.push(changed("infra/fly.toml"));
    let report = run(pr, GOOD_AGENTS);
    assert_only_failure(
        &report,
        "allowed-paths",
        Level::Deny,
        "`infra/fly.toml` is outside the paths the PR declares (Allowed paths: `app/**`, `packages/**`, `docs/**`)",
    );
}

#[test]
fn like_danger_deleted_files_and_markdown_are_not_fenced() {
    let mut pr = good_pr();
    // `danger.git.deleted_files` was never judged, nor the old name of a renamed file.
    pr.files.push(ChangedFile {
        status: FileStatus::Removed,
        ..changed("infra/fly.toml")
    });
    pr.files.push(ChangedFile {
        status: FileStatus::Renamed,
        previous_path: Some("scripts/old.ts".to_string()),
        ..changed("packages/new.ts")
    });
    // Markdown is the allow-list's business: allowed there, it may be anywhere.
    pr.files.push(changed("feedback/devops/2026-11-20.md"));
    let report = run(pr, GOOD_AGENTS);
    assert!(
        not_passing(&report).is_empty(),
        "{:#?}",
        not_passing(&report)
    );
}

#[test]
fn the_declaration_forms_the_regex_took_are_read() {
    // `/Allowed paths?:\s*([^\n]+)/i`: singular, any case, globs on the next line.
    for declaration in [
        "allowed path: app/** packages/** docs/**",
        "Allowed paths:\napp/**, packages/**, docs/**",
    ] {
        let mut pr = good_pr();
        pr.body = pr
            .body
            .replace("Allowed paths: app/** packages/** docs/**", declaration);
        pr.files.push(changed("infra/fly.toml"));
        let report = run(pr, GOOD_AGENTS);
        assert_only_failure(&report, "allowed-paths", Level::Deny, "`infra/fly.toml`");
    }
}

#[test]
fn double_star_spans_directories_unlike_dangers_conversion() {
    // The Dangerfile turned `app/**` into `^app/.[^/]*$`: one level only.
    let mut pr = good_pr();
    pr.files.push(changed("app/routes/orders/detail/view.tsx"));
    let report = run(pr, GOOD_AGENTS);
    assert!(
        not_passing(&report).is_empty(),
        "{:#?}",
        not_passing(&report)
    );
}

#[test]
fn a_missing_allowed_paths_line_only_warns() {
    let mut pr = good_pr();
    pr.body = pr
        .body
        .replace("Allowed paths: app/** packages/** docs/**", "");
    pr.files.push(changed("infra/fly.toml"));
    let report = run(pr, GOOD_AGENTS);
    assert_only_failure(
        &report,
        "allowed-paths-declared",
        Level::Warn,
        "the PR description declares no `Allowed paths:` line",
    );
    assert!(!report.summary.blocking, "a warning does not block");
}

#[test]
fn app_code_without_tests_warns() {
    let mut pr = good_pr();
    pr.files.retain(|f| !f.path.contains(".test."));
    let report = run(pr, GOOD_AGENTS);
    assert_only_failure(
        &report,
        "tests-with-app-changes",
        Level::Warn,
        "App code changed but no tests updated.",
    );
    let help = rule(&report, "tests-with-app-changes").findings[0]
        .help
        .clone()
        .unwrap();
    assert!(help.contains("`app/routes/orders.tsx`"), "{help}");
}

#[test]
fn the_customer_agent_without_human_review_fails() {
    let agents = GOOD_AGENTS.replace(
        r#""human_review": true, "reviewers": ["support-lead"]"#,
        r#""human_review": false, "reviewers": ["support-lead"]"#,
    );
    let report = run(good_pr(), &agents);
    assert_only_failure(&report, "hitl-customer-agent", Level::Deny, "human_review");
    let finding = &rule(&report, "hitl-customer-agent").findings[0];
    assert_eq!(
        finding.path.as_deref(),
        Some("app/agents/config/agents.json")
    );
    assert!(
        finding
            .message
            .contains("ai-customer must have human_review: true"),
        "{}",
        finding.message
    );
}

#[test]
fn fixes_is_case_sensitive_and_must_be_outside_comments() {
    for body in [
        GOOD_BODY.replace("Fixes #42", "fixes #42"),
        GOOD_BODY.replace("Fixes #42", "<!-- Fixes #42 -->"),
    ] {
        let mut pr = good_pr();
        pr.body = body;
        let report = run(pr, GOOD_AGENTS);
        assert_only_failure(&report, "issue-link", Level::Deny, "links no issue");
    }
}

#[test]
fn the_customer_agent_without_reviewers_fails() {
    // `!Array.isArray(cust.reviewers) || !cust.reviewers.length`
    for reviewers in ["[]", r#""support-lead""#, r#"{"lead": "x"}"#] {
        let agents = GOOD_AGENTS.replace(r#"["support-lead"]"#, reviewers);
        let report = run(good_pr(), &agents);
        assert_only_failure(&report, "hitl-customer-agent", Level::Deny, "reviewers");
    }
}

#[test]
fn outside_pr_mode_the_pr_rules_are_skipped() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/dangerfile.toml");
    let policy = policy::load(&[PolicyRef::File(path)]).unwrap();
    let facts = Facts::from_texts(&[("app/agents/config/agents.json", GOOD_AGENTS)], now());
    let outcomes = engine::evaluate(&policy, &facts, false);
    let skipped = policy
        .rules
        .iter()
        .zip(&outcomes)
        .filter(|(_, e)| matches!(e, warden::model::Evaluation::Skipped(_)))
        .map(|(r, _)| r.id.as_str())
        .collect::<Vec<_>>();
    assert_eq!(
        skipped,
        [
            "issue-link",
            "allowed-paths",
            "allowed-paths-declared",
            "tests-with-app-changes"
        ]
    );
}
