//! JUnit XML, for CI systems that show test reports: each rule is a test case.
//!
//! One suite named `warden`; a test case per rule (name = rule id, classname = kind). A
//! failing rule is a `<failure>` whose type is the highest level among its open gaps and
//! whose text lists them; a rule that could not decide is an `<error>`; a skipped rule is
//! `<skipped>`; waived gaps do not fail the case but are listed in its `<system-out>`.
//! No times or timestamps are written, so the same gaps give the same bytes.

use std::io::{self, Write};

use quick_junit::{
    NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite,
};

use super::{Outcome, Report, ReportedFinding, RuleOutcome};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suite = TestSuite::new("warden");
    suite.add_properties([
        Property::new("warden.version", report.tool.version),
        Property::new("mode", report.mode),
        Property::new("now", report.now.as_str()),
        Property::new("policy", report.policy.join(", ")),
    ]);
    suite.add_test_cases(report.rules.iter().map(test_case));

    let mut junit = JunitReport::new("warden");
    junit.add_test_suite(suite);
    let xml = junit.to_string().map_err(io::Error::other)?;
    out.write_all(xml.as_bytes())
}

fn test_case(rule: &RuleOutcome) -> TestCase {
    let open: Vec<&ReportedFinding> = rule
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .collect();
    let status = match rule.outcome {
        Outcome::Pass | Outcome::Waived => TestCaseStatus::success(),
        Outcome::Fail => {
            let level = open.iter().map(|f| f.level).max().unwrap_or(rule.level);
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(level.as_str())
                .set_message(format!(
                    "{} {}: {}",
                    open.len(),
                    if open.len() == 1 { "gap" } else { "gaps" },
                    open.iter().map(|f| short(f)).collect::<Vec<_>>().join("; ")
                ))
                .set_description(
                    open.iter()
                        .map(|f| gap_line(f))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            status
        }
        Outcome::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_type("error").set_message(format!(
                "could not decide: {}",
                rule.reason.as_deref().unwrap_or("no reason given")
            ));
            status
        }
        Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(rule.reason.as_deref().unwrap_or("skipped"));
            status
        }
    };
    let mut case = TestCase::new(rule.id.as_str(), status);
    case.set_classname(rule.kind.as_str());
    let waived: Vec<String> = rule
        .findings
        .iter()
        .filter_map(|f| {
            let by = f.waived.as_ref()?;
            let until = by
                .expires
                .as_deref()
                .map(|e| format!(" until {e}"))
                .unwrap_or_default();
            Some(format!(
                "waived: {}\n  by {}{until}: {}",
                place_message(f),
                by.origin,
                by.reason
            ))
        })
        .collect();
    if !waived.is_empty() {
        case.set_system_out(waived.join("\n"));
    }
    case
}

fn place_message(f: &ReportedFinding) -> String {
    match (&f.path, f.line) {
        (Some(path), Some(line)) => format!("{path}:{line}: {}", f.message),
        (Some(path), None) => format!("{path}: {}", f.message),
        _ => f.message.clone(),
    }
}

/// A gap in a few words for the failure message: its location, else its message.
fn short(f: &ReportedFinding) -> String {
    match (&f.path, f.line) {
        (Some(path), Some(line)) => format!("{path}:{line}"),
        (Some(path), None) => path.clone(),
        _ => f
            .message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    }
}

fn gap_line(f: &ReportedFinding) -> String {
    let mut line = format!("{}: {}", f.level.as_str(), place_message(f));
    if let Some(help) = &f.help {
        line.push_str("\n  fix: ");
        line.push_str(help);
    }
    line
}
