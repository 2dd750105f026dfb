//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! One run; the driver lists one `reportingDescriptor` per rule of the report. Every finding
//! is a result, waived ones carry an `external` suppression pointing at the waiver. A rule
//! that could not decide is a tool execution notification, not a result: the run itself
//! completed. Paths are URIs relative to `%SRCROOT%` (the repository root), so results
//! line up with the checkout whatever directory warden ran in. A finding without a path
//! (a repository setting, say) is placed on the policy line that declares its rule, since
//! GitHub drops results that have no location. A gap whose fix is a text replacement
//! carries it as `fixes` (artifactChanges with byte-offset regions). At most [`MAX_RESULTS`] results are written
//! (GitHub's limit per run); a notification counts the rest.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Invocation, Location,
    Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region,
    Replacement, ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference,
    Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

use super::{Change, Outcome, Report, ReportedFinding, RuleOutcome};
use crate::fix::{Content, Fix, LocalFix};
use crate::model::Level;
use crate::policy::Origin;

/// The `$schema` written into every log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Results per run that GitHub code scanning accepts ("Limits for SARIF uploads": at most
/// 25,000 results per run, the rest dropped). Gaps past it are counted in a notification.
pub const MAX_RESULTS: usize = 25_000;
/// Key of warden's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "warden/v1";
const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let sarif = build(report);
    serde_json::to_writer_pretty(&mut *out, &sarif).map_err(io::Error::other)?;
    writeln!(out)
}

/// The SARIF log for `report`.
pub fn build(report: &Report) -> Sarif {
    let index: BTreeMap<&str, i64> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i as i64))
        .rev() // the first rule wins should two share an id
        .collect();

    let descriptors: Vec<ReportingDescriptor> = report.rules.iter().map(descriptor).collect();
    let mut driver = ToolComponent::builder()
        .name(report.tool.name)
        .version(report.tool.version)
        .semantic_version(report.tool.version)
        .rules(descriptors)
        .build();
    driver.information_uri = information_uri().map(str::to_string);

    let all: Vec<(&RuleOutcome, &ReportedFinding)> = report
        .rules
        .iter()
        .flat_map(|rule| rule.findings.iter().map(move |f| (rule, f)))
        .collect();
    let (kept, left_out) = within_limit(all);
    let results: Vec<SarifResult> = kept
        .into_iter()
        .map(|(rule, finding)| result(report, rule, finding, index[rule.id.as_str()]))
        .collect();

    let notifications: Vec<Notification> = report
        .rules
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error | Outcome::Skipped))
        .map(|rule| {
            let (level, what) = match rule.outcome {
                Outcome::Error => ("error", "could not decide"),
                _ => ("note", "skipped"),
            };
            let reason = rule.reason.as_deref().unwrap_or("no reason given");
            Notification::builder()
                .level(level)
                .message(
                    Message::builder()
                        .text(format!("rule `{}` {what}: {reason}", rule.id))
                        .build(),
                )
                .associated_rule(
                    ReportingDescriptorReference::builder()
                        .id(rule.id.clone())
                        .index(index[rule.id.as_str()])
                        .build(),
                )
                .build()
        })
        .collect();
    let mut notifications = notifications;
    if left_out > 0 {
        notifications.push(
            Notification::builder()
                .level("warning")
                .message(
                    Message::builder()
                        .text(format!(
                            "{left_out} more {} left out: GitHub code scanning accepts at most \
                             {MAX_RESULTS} results per run. Every gap is in the JSON report \
                             (`--format json`).",
                            if left_out == 1 {
                                "result was"
                            } else {
                                "results were"
                            }
                        ))
                        .build(),
                )
                .properties(
                    PropertyBag::builder()
                        .additional_properties(BTreeMap::from([(
                            "leftOut".to_string(),
                            left_out.into(),
                        )]))
                        .build(),
                )
                .build(),
        );
    }
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }

    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .build();
    if let Some(uri) = root_uri(&report.root) {
        run.original_uri_base_ids = Some(BTreeMap::from([(
            SRCROOT.to_string(),
            ArtifactLocation::builder().uri(uri).build(),
        )]));
    }

    Sarif::builder()
        .schema(SCHEMA_URI)
        .version("2.1.0")
        .runs(vec![run])
        .build()
}

/// At most [`MAX_RESULTS`] findings, and how many were left out. When there are too many,
/// open gaps go before waived ones and deny before warn before info, so what is dropped is
/// what matters least; those kept stay in report order.
fn within_limit<'a>(
    all: Vec<(&'a RuleOutcome, &'a ReportedFinding)>,
) -> (Vec<(&'a RuleOutcome, &'a ReportedFinding)>, usize) {
    if all.len() <= MAX_RESULTS {
        return (all, 0);
    }
    let left_out = all.len() - MAX_RESULTS;
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| {
        let f = all[i].1;
        (f.waived.is_some(), std::cmp::Reverse(f.level))
    });
    let mut keep = vec![false; all.len()];
    for &i in &order[..MAX_RESULTS] {
        keep[i] = true;
    }
    let kept = all
        .into_iter()
        .zip(keep)
        .filter_map(|(pair, k)| k.then_some(pair))
        .collect();
    (kept, left_out)
}

/// Where a rule kind is documented for `helpUri`: the README's "Rule kinds" section of the
/// repository Cargo.toml names (the full text of the kind's `warden explain` doc is in
/// `help` already), or its waivers paragraph for the collector's own `waiver` rule.
fn help_uri(kind: &str) -> String {
    let anchor = if kind == "waiver" {
        "a-policy"
    } else {
        "rule-kinds"
    };
    format!("{}#{anchor}", env!("CARGO_PKG_REPOSITORY"))
}

/// A built-in pack's file in warden's repository at this release, so a gap that a pack's
/// rule reports without a path still has a place (its rule's line in the pack).
fn builtin_uri(name: &str) -> String {
    format!(
        "{}/blob/v{}/policies/{}.toml",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION"),
        encode_path(name)
    )
}

/// The package's homepage or repository; none is declared yet, and then the field is left
/// out rather than pointing somewhere made up.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Info => "note",
    }
}

fn descriptor(rule: &RuleOutcome) -> ReportingDescriptor {
    let kind = crate::rules::find(&rule.kind);
    let doc = kind.map(|k| k.doc.trim());
    let help_text = match (kind, doc.and_then(|d| section(d, "How to fix"))) {
        (Some(_), Some(fix)) => format!(
            "{fix}\n\nRun `warden explain {}` for the rule kind's documentation.",
            rule.kind
        ),
        (Some(_), None) => format!(
            "Close each gap as its message says, or waive it in the policy with a reason. \
             Run `warden explain {}` for the rule kind's documentation.",
            rule.kind
        ),
        // The collector's own rule about expired and unused waivers.
        (None, _) if rule.kind == "waiver" => "Renew an expired waiver with a new `expires` \
            date and a reason, or close the gap it covered; remove a waiver that matches no gap."
            .to_string(),
        (None, _) => "Close each gap as its message says, or waive it in the policy with a reason."
            .to_string(),
    };
    // The kind's whole explain doc as Markdown; else the same text, which is Markdown too.
    let markdown = doc
        .filter(|d| section(d, "What it checks").is_some())
        .map(str::to_string)
        .unwrap_or_else(|| help_text.clone());
    let full_description = doc
        .and_then(|d| section(d, "What it checks"))
        .map(str::to_string)
        .unwrap_or_else(|| rule.summary.clone());
    let mut help = MultiformatMessageString::builder().text(help_text).build();
    help.markdown = Some(markdown);
    let properties = PropertyBag::builder()
        .tags(vec![rule.kind.clone()])
        .additional_properties(BTreeMap::from([
            ("kind".to_string(), rule.kind.clone().into()),
            ("origin".to_string(), rule.origin.to_string().into()),
        ]))
        .build();
    ReportingDescriptor::builder()
        .id(rule.id.clone())
        .short_description(
            MultiformatMessageString::builder()
                .text(rule.summary.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(full_description)
                .build(),
        )
        .help(help)
        .help_uri(help_uri(&rule.kind))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(sarif_level(rule.level))
                .build(),
        )
        .properties(properties)
        .build()
}

/// The body of a `## name` section of a rule kind's documentation, if it has any text.
fn section<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let heading = format!("## {name}");
    let start = doc.find(&heading)? + heading.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim()).filter(|s| !s.is_empty())
}

fn result(
    report: &Report,
    rule: &RuleOutcome,
    finding: &ReportedFinding,
    rule_index: i64,
) -> SarifResult {
    let text = match &finding.help {
        Some(help) => format!("{}\nFix: {help}", finding.message),
        None => finding.message.clone(),
    };
    let location = match finding.path.as_deref() {
        Some(path) => location(report, path, finding.line),
        None => location(report, &rule.origin.file, Some(rule.origin.line)),
    };
    let mut result = SarifResult::builder()
        .rule_id(finding.rule.clone())
        .rule_index(rule_index)
        .level(match finding.level {
            Level::Deny => ResultLevel::Error,
            Level::Warn => ResultLevel::Warning,
            Level::Info => ResultLevel::Note,
        })
        .message(Message::builder().text(text).build())
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            finding.fingerprint.clone(),
        )]))
        .build();
    result.locations = location.map(|l| vec![l]);
    result.fixes = finding
        .fix_data
        .as_deref()
        .and_then(|fix| sarif_fix(report, fix))
        .map(|fix| vec![fix]);
    // A staged change or PR says which gaps it brought: SARIF's own baseline states.
    result.baseline_state = finding.change.map(|change| {
        match change {
            Change::New => "new",
            Change::Existing => "unchanged",
        }
        .into()
    });
    if let Some(waived) = &finding.waived {
        let mut suppression = Suppression::builder()
            .kind("external")
            .status("accepted")
            .justification(waived.reason.clone())
            .build();
        suppression.location = origin_location(report, &waived.origin);
        if let Some(expires) = &waived.expires {
            suppression.properties = Some(
                PropertyBag::builder()
                    .additional_properties(BTreeMap::from([(
                        "expires".to_string(),
                        expires.clone().into(),
                    )]))
                    .build(),
            );
        }
        result.suppressions = Some(vec![suppression]);
    }
    result
}

fn origin_location(report: &Report, origin: &Origin) -> Option<Location> {
    location(report, &origin.file, Some(origin.line))
}

/// A physical location for a repository path, an absolute URL or a built-in pack (its file
/// in warden's repository); always `Some` today, kept optional for places that are not files.
fn location(report: &Report, path: &str, line: Option<u32>) -> Option<Location> {
    let mut physical = PhysicalLocation::builder()
        .artifact_location(artifact_location(report, path))
        .build();
    physical.region = line
        .filter(|l| *l >= 1)
        .map(|l| Region::builder().start_line(i64::from(l)).build());
    Some(Location::builder().physical_location(physical).build())
}

/// The artifact a repository path, an absolute URL or a built-in pack names.
fn artifact_location(report: &Report, path: &str) -> ArtifactLocation {
    if path.contains("://") {
        ArtifactLocation::builder().uri(path).build()
    } else if let Some(name) = path.strip_prefix("builtin:") {
        ArtifactLocation::builder().uri(builtin_uri(name)).build()
    } else {
        let relative = relative_to_root(&report.root, path);
        if let Some(uri) = file_uri(&relative) {
            ArtifactLocation::builder().uri(uri).build()
        } else {
            ArtifactLocation::builder()
                .uri(encode_path(&relative))
                .uri_base_id(SRCROOT)
                .build()
        }
    }
}

/// A local fix as SARIF `fixes`, when it is a text replacement: a file created from text
/// in the policy (inserted into the empty new file) or a value set in a file (the edit
/// against the text judged). Links, deletions and content read at fix time have no text
/// to show; the result's message names them and `warden fix` makes them.
fn sarif_fix(report: &Report, fix: &Fix) -> Option<SarifFix> {
    let Fix::Local(local) = fix else {
        return None;
    };
    let (offset, deleted, inserted) = match local {
        LocalFix::CreateFile {
            content: Content::Inline(text),
            ..
        } => (0, 0, text.clone()),
        LocalFix::SetValue {
            edit: Some(edit), ..
        } => (edit.offset, edit.deleted, edit.inserted.clone()),
        _ => return None,
    };
    let region = Region::builder()
        .byte_offset(offset as i64)
        .byte_length(deleted as i64)
        .build();
    let replacement = Replacement::builder()
        .deleted_region(region)
        .inserted_content(ArtifactContent::builder().text(inserted).build())
        .build();
    let change = ArtifactChange::builder()
        .artifact_location(artifact_location(report, local.path()))
        .replacements(vec![replacement])
        .build();
    Some(
        SarifFix::builder()
            .description(
                Message::builder()
                    .text(format!("{} (`warden fix`)", local.describe()))
                    .build(),
            )
            .artifact_changes(vec![change])
            .build(),
    )
}

/// `path` relative to the repository root when it lies inside it; `./` dropped.
fn relative_to_root(root: &str, path: &str) -> String {
    let path = path.replace('\\', "/");
    let root = root.replace('\\', "/");
    let root = root.trim_end_matches('/');
    if !root.is_empty() {
        if let Some(rest) = path.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            return rest.to_string();
        }
    }
    let mut path = path.as_str();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path.to_string()
}

/// `file:///abs/root/` for an absolute root, the base that `%SRCROOT%` stands for.
fn root_uri(root: &str) -> Option<String> {
    let root = root.replace('\\', "/");
    file_uri(root.trim_end_matches('/')).map(|uri| format!("{uri}/"))
}

/// A `file:` URI for an absolute path (`/x` or `C:/x`); `None` for a relative one.
fn file_uri(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    if path.starts_with('/') {
        Some(format!("file://{}", encode_path(&path)))
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some(format!(
            "file:///{}:{}",
            &path[..1],
            encode_path(&path[2..])
        ))
    } else {
        None
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters and `/`, so any file name
/// is a valid URI reference (a `:` in the first segment would otherwise read as a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            encode_path("notes/<b>@team|x.md"),
            "notes/%3Cb%3E%40team%7Cx.md"
        );
        assert_eq!(encode_path("a b:c%.md"), "a%20b%3Ac%25.md");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn paths_are_made_relative_to_the_root() {
        assert_eq!(
            relative_to_root("/r/repo", "/r/repo/warden.toml"),
            "warden.toml"
        );
        assert_eq!(relative_to_root("/r/repo/", "./warden.toml"), "warden.toml");
        assert_eq!(relative_to_root("/r/repo", "/etc/p.toml"), "/etc/p.toml");
        assert_eq!(
            relative_to_root("/r/repo", "/r/repository/x"),
            "/r/repository/x"
        );
    }

    #[test]
    fn root_uri_is_a_directory_file_uri() {
        assert_eq!(root_uri("/tmp/a b/").as_deref(), Some("file:///tmp/a%20b/"));
        assert_eq!(root_uri("C:\\w\\r").as_deref(), Some("file:///C:/w/r/"));
        assert_eq!(root_uri("."), None);
    }

    #[test]
    fn sections_of_rule_docs() {
        let doc = "## What it checks\nA.\n\n## How to fix\nB.\n";
        assert_eq!(section(doc, "How to fix"), Some("B."));
        assert_eq!(section(doc, "What it checks"), Some("A."));
        assert_eq!(section("## How to fix\n", "How to fix"), None);
    }
}
