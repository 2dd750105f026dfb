//! `file-value`'s `type`: a value must be of a JSON type, alone or with an assertion
//! (issue #9: `non_empty = true` alone accepted a non-empty string where a list belongs).

use crate::common::{check_repo, rule, TestRepo};

const POLICY: &str = r#"[[rule]]
kind = "file-value"
file = "agents.json"

[[rule.expect]]
select = "reviewers"
type = "array"
non_empty = true

[[rule.expect]]
select = "strict"
type = "boolean"
"#;

fn judge(config: &str) -> (String, String) {
    let repo = TestRepo::new();
    repo.write("agents.json", config)
        .write("warden.toml", POLICY);
    let run = check_repo(&repo);
    let rule = rule(&run.report, "file-value");
    (
        rule["outcome"].as_str().unwrap().to_string(),
        rule.to_string(),
    )
}

#[test]
fn a_string_where_a_list_belongs_is_a_gap() {
    let (outcome, text) = judge(r#"{"reviewers": "alice", "strict": true}"#);
    assert_eq!(outcome, "fail", "{text}");
    assert!(
        text.contains("is a string (`\\\"alice\\\"`), expected a list"),
        "{text}"
    );
}

#[test]
fn type_alone_checks_the_type_and_that_the_value_exists() {
    let (outcome, text) = judge(r#"{"reviewers": ["alice"], "strict": "true"}"#);
    assert_eq!(outcome, "fail", "{text}");
    assert!(text.contains("expected a boolean"), "{text}");
    let (outcome, text) = judge(r#"{"reviewers": ["alice"]}"#);
    assert_eq!(outcome, "fail", "{text}");
    assert!(text.contains("matched nothing"), "{text}");
    let (outcome, text) = judge(r#"{"reviewers": ["alice"], "strict": true}"#);
    assert_eq!(outcome, "pass", "{text}");
}

#[test]
fn an_unknown_type_is_a_policy_error() {
    let repo = TestRepo::new();
    repo.write("agents.json", "{}").write(
        "warden.toml",
        "[[rule]]\nkind = \"file-value\"\nfile = \"agents.json\"\n\n[[rule.expect]]\nselect = \"a\"\ntype = \"arrray\"\n",
    );
    let run = check_repo(&repo);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown type `arrray`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_name_too_long_to_be_a_path_is_a_policy_error() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        &format!(
            "[[rule]]\nkind = \"file-value\"\nfile = \"{}.json\"\n\n[[rule.expect]]\nselect = \"a\"\nexists = true\n",
            "a".repeat(9000)
        ),
    );
    let run = check_repo(&repo);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("longer than 4096"), "{}", run.stderr);
}
