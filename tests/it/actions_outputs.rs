//! The GitHub Actions runner files: the job summary is appended to, never overwritten, and
//! step outputs are written in the runner's file-command format and read back the way the
//! runner reads them (`key=value`, or `key<<DELIMITER` ... `DELIMITER`).

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use warden::effects::actions::{self, Runner, STEP_SUMMARY_MAX_BYTES};
use warden::engine::FailOn;
use warden::model::Level;
use warden::policy::Origin;
use warden::report::{fingerprint, Outcome, Report, ReportedFinding, RuleOutcome, Summary};

fn finding(path: &str) -> ReportedFinding {
    ReportedFinding {
        rule: "docs".to_string(),
        kind: "docs-allowlist".to_string(),
        level: Level::Deny,
        message: format!("`{path}` is outside the docs allow-list"),
        path: Some(path.to_string()),
        line: None,
        help: None,
        fingerprint: fingerprint("docs", path),
        waived: None,
        first_seen: None,
        change: None,
        fixable: false,
        fix: None,
        fix_data: None,
    }
}

/// Two deny gaps: blocking.
fn two_gaps() -> Report {
    let rules = vec![RuleOutcome {
        id: "docs".to_string(),
        kind: "docs-allowlist".to_string(),
        level: Level::Deny,
        summary: "Markdown only in the allowed places".to_string(),
        outcome: Outcome::Fail,
        reason: None,
        origin: Origin {
            file: "warden.toml".to_string(),
            line: 1,
        },
        findings: vec![finding("notes/a.md"), finding("notes/b.md")],
    }];
    common::report_of("/work/repo", rules)
}

/// Read an outputs file the way the runner does: per line, `=` before any `<<` is
/// `key=value`, otherwise `key<<DELIMITER` and the lines up to a line that is exactly
/// `DELIMITER`.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let delimiter = &line[h + 2..];
                let mut value = Vec::new();
                loop {
                    let next = lines.next().expect("heredoc closed by its delimiter");
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(line[..h].to_string(), value.join("\n"));
            }
            _ => panic!("invalid output line {line:?}"),
        }
    }
    outputs
}

#[test]
fn the_step_summary_is_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("step_summary.md");
    std::fs::write(&path, "## From an earlier step\n").unwrap();
    actions::append_step_summary(&path, "# warden: governance gaps\n\nfirst").unwrap();
    actions::append_step_summary(&path, "second\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "## From an earlier step\n\n# warden: governance gaps\n\nfirst\n\nsecond\n"
    );
    // A missing file is created.
    let fresh = dir.path().join("fresh.md");
    actions::append_step_summary(&fresh, "only").unwrap();
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "only\n");
}

#[test]
fn the_step_summary_stays_within_githubs_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("step_summary.md");
    std::fs::write(&path, "earlier\n").unwrap();
    let line = format!("- `{}`\n", "x".repeat(97));
    let huge = line.repeat(12_000); // 1.2 MB
    actions::append_step_summary(&path, &huge).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.len() <= STEP_SUMMARY_MAX_BYTES, "{}", text.len());
    assert!(text.len() > STEP_SUMMARY_MAX_BYTES - 1_000);
    assert!(text.starts_with("earlier\n\n- `"));
    assert!(text.ends_with("per step, so the rest is left out.\n"));
    // Whole lines only before the note.
    let (kept, _) = text.rsplit_once("\n\n").unwrap();
    assert!(kept.ends_with(&format!("{}`", "x".repeat(97))));
    // A full summary takes no more.
    assert!(actions::append_step_summary(&path, &huge).is_err());
    assert!(std::fs::read_to_string(&path).unwrap().len() <= STEP_SUMMARY_MAX_BYTES);
}

#[test]
fn outputs_are_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    std::fs::write(&path, "earlier=kept\n").unwrap();
    let report_path = Path::new("reports/warden.json");
    let outputs = actions::outputs_for(&two_gaps(), Some(report_path));
    assert_eq!(
        outputs,
        vec![
            ("gaps".to_string(), "2".to_string()),
            ("blocking".to_string(), "true".to_string()),
            ("report".to_string(), "reports/warden.json".to_string()),
        ]
    );
    actions::write_outputs(&path, &outputs).unwrap();

    // A multi-line value that tries to end its heredoc early and forge outputs.
    let nasty = "line one\nEOF\nghadelimiter_\nblocking=false\nx<<EOF\n\nlast=line";
    actions::write_outputs(&path, &[("details", nasty), ("plain", "a=b<<c")]).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("earlier=kept\ngaps=2\nblocking=true\nreport=reports/warden.json\n"));
    let header = text
        .lines()
        .find(|l| l.starts_with("details<<"))
        .expect("heredoc form");
    let delimiter = header.strip_prefix("details<<").unwrap();
    assert!(delimiter.starts_with("ghadelimiter_") && delimiter.len() > 20);
    assert!(!nasty.contains(delimiter));

    let parsed = parse_outputs(&text);
    assert_eq!(parsed["earlier"], "kept");
    assert_eq!(parsed["gaps"], "2");
    assert_eq!(parsed["blocking"], "true");
    assert_eq!(parsed["report"], "reports/warden.json");
    assert_eq!(parsed["details"], nasty);
    assert_eq!(parsed["plain"], "a=b<<c");
    assert_eq!(parsed.len(), 6);
}

#[test]
fn without_a_report_file_there_is_no_report_output() {
    let mut report = two_gaps();
    report.rules[0].findings.clear();
    report.rules[0].outcome = Outcome::Pass;
    report.summary = Summary::of(&report.rules, FailOn::Deny);
    assert_eq!(
        actions::outputs_for(&report, None),
        vec![
            ("gaps".to_string(), "0".to_string()),
            ("blocking".to_string(), "false".to_string()),
        ]
    );
}

#[test]
fn output_names_the_runner_could_not_parse_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    for key in ["", "a=b", "a<<b", "a\nb"] {
        let err = actions::write_outputs(&path, &[(key, "v")]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{key:?}");
    }
    assert!(!path.exists(), "nothing written for a refused call");
}

#[test]
fn the_runner_is_read_from_its_variables() {
    let vars: BTreeMap<&str, &str> = [
        ("GITHUB_ACTIONS", "true"),
        (
            "GITHUB_STEP_SUMMARY",
            "/home/runner/_work/_temp/_runner_file_commands/step_summary_1",
        ),
        (
            "GITHUB_OUTPUT",
            "/home/runner/_work/_temp/_runner_file_commands/set_output_1",
        ),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "octocat/Hello-World"),
        ("GITHUB_RUN_ID", "30433642"),
        (
            "GITHUB_EVENT_PATH",
            "/home/runner/work/_temp/_github_workflow/event.json",
        ),
        ("GITHUB_EVENT_NAME", "pull_request"),
    ]
    .into_iter()
    .collect();
    let runner = Runner::from_vars(|name| vars.get(name).map(|v| v.to_string()));
    assert!(runner.in_actions);
    assert_eq!(
        runner.output.as_deref(),
        Some(Path::new(
            "/home/runner/_work/_temp/_runner_file_commands/set_output_1"
        ))
    );
    assert_eq!(runner.event_name.as_deref(), Some("pull_request"));
    assert_eq!(
        runner.summary_url().as_deref(),
        Some("https://github.com/octocat/Hello-World/actions/runs/30433642")
    );

    // Outside Actions: nothing, and no URL to point at.
    let local = Runner::from_vars(|name| (name == "GITHUB_STEP_SUMMARY").then(String::new));
    assert_eq!(local, Runner::default());
    assert_eq!(local.summary_url(), None);
}
