//! `pr-branch-flow`: head-branch patterns → allowed bases, from a saved pull request event
//! (offline, files from local git) and built by hand.

use crate::common::{fixture, rule, warden, TestRepo};
use serde_json::{json, Value};
use warden::facts::Facts;
use warden::model::Evaluation;
use warden::pr::PullRequest;

const FLOW: &str = r#"
[[rule]]
kind = "pr-branch-flow"
[[rule.flow]]
head = "feat/*"
bases = ["staging"]
[[rule.flow]]
head = "hotfix/*"
bases = ["main"]
[[rule.flow]]
head = "staging"
bases = ["main"]
"#;

fn eval(policy: &str, head: &str, base: &str) -> Evaluation {
    let policy = warden::policy::load_text("t.toml", policy).unwrap();
    let mut facts = Facts::from_texts(&[], "2026-11-22T12:00:00Z".parse().unwrap());
    facts.pr = Some(PullRequest {
        number: 9,
        head_ref: head.into(),
        base_ref: base.into(),
        author: "alice".into(),
        files_source: "api",
        ..PullRequest::default()
    });
    facts.set_changed(std::iter::empty());
    warden::engine::evaluate(&policy, &facts, false).remove(0)
}

#[test]
fn each_flow_allows_its_bases_only() {
    for (head, base) in [
        ("feat/ABC-1", "staging"),
        ("hotfix/42", "main"),
        ("staging", "main"),
    ] {
        assert_eq!(
            eval(FLOW, head, base),
            Evaluation::Checked(vec![]),
            "{head} → {base}"
        );
    }
    let Evaluation::Checked(findings) = eval(FLOW, "feat/ABC-1", "main") else {
        panic!()
    };
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].message,
        "`feat/ABC-1` merges into `main`, but branches matching `feat/*` may only merge into `staging`"
    );
    assert!(findings[0]
        .help
        .as_deref()
        .unwrap()
        .contains("gh pr edit 9 --base staging"));
}

#[test]
fn unmatched_heads_are_skipped_unless_other_bases_says_otherwise() {
    assert!(
        matches!(eval(FLOW, "chore/x", "main"), Evaluation::Skipped(r) if r.contains("chore/x"))
    );
    let strict = format!("{FLOW}\n");
    let strict = strict.replacen(
        "kind = \"pr-branch-flow\"\n",
        "kind = \"pr-branch-flow\"\nother_bases = [\"staging\"]\n",
        1,
    );
    assert!(matches!(eval(&strict, "chore/x", "main"), Evaluation::Checked(f) if f.len() == 1));
    assert_eq!(
        eval(&strict, "chore/x", "staging"),
        Evaluation::Checked(vec![])
    );
}

#[test]
fn a_flow_without_bases_is_a_policy_error() {
    let text = "[[rule]]\nkind = \"pr-branch-flow\"\n[[rule.flow]]\nhead = \"feat/*\"\nbase = [\"main\"]\n";
    let errors = format!(
        "{:?}",
        warden::policy::load_text("t.toml", text).unwrap_err()
    );
    assert!(errors.contains("needs `bases`"), "{errors}");
    assert!(errors.contains("unknown key `base`"), "{errors}");
    let none = "[[rule]]\nkind = \"pr-branch-flow\"\n";
    let errors = format!(
        "{:?}",
        warden::policy::load_text("t.toml", none).unwrap_err()
    );
    assert!(errors.contains("at least one `[[rule.flow]]`"), "{errors}");
}

#[test]
fn saved_event_from_a_feature_branch_into_main_is_a_gap() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", FLOW);
    let base = repo.commit_at("base", "2026-11-01").to_string();
    repo.write("src/lib.rs", "fn x() {}\n");
    let head = repo.commit_at("head", "2026-11-20").to_string();
    let text = std::fs::read_to_string(fixture("events/pull_request.opened.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["pull_request"]["base"]["sha"] = json!(base);
    event["pull_request"]["head"]["sha"] = json!(head);
    event["pull_request"]["base"]["ref"] = json!("main");
    event["pull_request"]["head"]["ref"] = json!("feat/PROJ-7-pagination");
    std::fs::write(repo.path().join("event.json"), event.to_string()).unwrap();
    let output = warden(repo.path())
        .args(["pr", "--event", "event.json", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let outcome = rule(&report, "pr-branch-flow");
    assert_eq!(outcome["outcome"], "fail");
    assert_eq!(outcome["findings"].as_array().unwrap().len(), 1);
}
