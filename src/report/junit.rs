//! JUnit XML, for CI systems that show test reports: each rule is a test case.
//!
//! One suite named `warden`; a test case per rule (name = rule id, classname = kind). A
//! rule with open `deny` gaps is a `<failure>` of type `deny` whose text lists them; its
//! `warn` and `info` gaps do not fail the case (Jenkins marks a build with failures
//! unstable, and those levels do not block) but are listed in its `<system-out>`, as are
//! waived gaps. A rule that could not decide is an `<error>`; a skipped rule is `<skipped>`.
//! No times or timestamps are written, so the same gaps give the same bytes. Control
//! characters from file names and the policy are escaped (XML 1.0 cannot carry most of
//! them, and a CI log that prints the text must not see ESC or a line break).

use std::io::{self, Write};

use quick_junit::{
    NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite,
};

use super::escape::controls;
use super::{Outcome, Report, ReportedFinding, RuleOutcome};
use crate::model::Level;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suite = TestSuite::new("warden");
    suite.add_properties([
        Property::new("warden.version", report.tool.version),
        Property::new("mode", report.mode),
        Property::new("now", report.now.as_str()),
        Property::new("policy", controls(&report.policy.join(", "))),
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
    // Only deny gaps fail the case; warn and info gaps are listed in `<system-out>`.
    let (open, lesser): (Vec<&ReportedFinding>, Vec<&ReportedFinding>) =
        open.into_iter().partition(|f| f.level == Level::Deny);
    let status = match rule.outcome {
        Outcome::Pass | Outcome::Waived => TestCaseStatus::success(),
        Outcome::Fail if open.is_empty() => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(Level::Deny.as_str())
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
                controls(rule.reason.as_deref().unwrap_or("no reason given"))
            ));
            status
        }
        Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(controls(rule.reason.as_deref().unwrap_or("skipped")));
            status
        }
    };
    let mut case = TestCase::new(controls(&rule.id), status);
    case.set_classname(rule.kind.as_str());
    let not_failing = lesser.iter().map(|f| gap_line(f));
    let waived = rule.findings.iter().filter_map(|f| {
        let by = f.waived.as_ref()?;
        let until = by
            .expires
            .as_deref()
            .map(|e| format!(" until {e}"))
            .unwrap_or_default();
        Some(format!(
            "waived: {}\n  by {}{}: {}",
            place_message(f),
            controls(&by.origin.to_string()),
            controls(&until),
            controls(&by.reason)
        ))
    });
    let out: Vec<String> = not_failing.chain(waived).collect();
    if !out.is_empty() {
        case.set_system_out(out.join("\n"));
    }
    case
}

fn place_message(f: &ReportedFinding) -> String {
    let message = controls(&f.message);
    match (&f.path, f.line) {
        (Some(path), Some(line)) => format!("{}:{line}: {message}", controls(path)),
        (Some(path), None) => format!("{}: {message}", controls(path)),
        _ => message.into_owned(),
    }
}

/// A gap in a few words for the failure message: its location, else its message.
fn short(f: &ReportedFinding) -> String {
    match (&f.path, f.line) {
        (Some(path), Some(line)) => format!("{}:{line}", controls(path)),
        (Some(path), None) => controls(path).into_owned(),
        _ => controls(&f.message).into_owned(),
    }
}

fn gap_line(f: &ReportedFinding) -> String {
    let mut line = format!("{}: {}", f.level.as_str(), place_message(f));
    if let Some(help) = &f.help {
        line.push_str("\n  fix: ");
        line.push_str(&controls(help));
    }
    line
}
