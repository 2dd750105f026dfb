//! Every output format, end to end: a real git repository with gaps, waived gaps, an
//! expired and an unused waiver and a file name full of Markdown and HTML, checked once
//! per `--format` and snapshotted; plus a hand-built report that has every outcome
//! (pass, fail, error, skipped, waived) and every level. SARIF is validated against the
//! SARIF 2.1.0 schema, JUnit is parsed back.

use crate::common;

use std::path::Path;

use crate::common::{fixture, warden, TestRepo};
use warden::model::Level;
use warden::policy::Origin;
use warden::report::{
    self, fingerprint, Format, Outcome, Report, ReportedFinding, RuleOutcome, WaivedBy,
};

/// A file name that is valid on Linux and means something in Markdown, HTML, GitHub
/// (mention) and shell alike.
const NASTY: &str = "notes/<b>@team|x`&.md";

const POLICY: &str = r#"[[rule]]
kind = "docs-allowlist"
allow = ["README.md", "docs/**"]

[[rule]]
id = "no-secret-files"
kind = "forbidden-files"
level = "warn"
paths = ["**/*.pem"]
reason = "secrets live in the secret manager, never in git"

[[waiver]]
rule = "docs-allowlist"
path = "notes/old.md"
reason = "kept for the Q3 audit; ask @docs-team <docs@example.com>"
expires = "2027-06-30"

[[waiver]]
rule = "no-secret-files"
path = "secrets/key.pem"
reason = "test key, rotated in #7"
expires = "2026-01-01"

[[waiver]]
rule = "docs-allowlist"
path = "archive/**"
reason = "the archive is frozen"
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# demo\n")
        .write("docs/guide.md", "guide\n")
        .write("notes/legacy.md", "legacy\n")
        .write("notes/old.md", "old\n")
        .write(NASTY, "nasty\n")
        .write("secrets/key.pem", "-----BEGIN KEY-----\n")
        .write("warden.toml", POLICY);
    repo.commit("init");
    repo
}

/// Run `warden check` with `args`; the exit code and standard output.
fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = warden(dir).arg("check").args(args).output().unwrap();
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// Snapshot settings that hide the temp dir and the tool version.
fn settings(root: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let mut roots = vec![root.display().to_string()];
    if let Ok(canonical) = root.canonicalize() {
        roots.insert(0, canonical.display().to_string());
    }
    for root in roots {
        settings.add_filter(&regex::escape(&root), "[ROOT]");
    }
    settings.add_filter(
        &format!(r"\b{}\b", regex::escape(env!("CARGO_PKG_VERSION"))),
        "[VERSION]",
    );
    settings
}

fn check_format(format: &str) {
    let repo = repo();
    let (code, stdout) = check(repo.path(), &["--format", format]);
    assert_eq!(code, 1, "an expired waiver and a deny gap block:\n{stdout}");
    settings(repo.path()).bind(|| insta::assert_snapshot!(format, stdout));
}

#[test]
fn human() {
    check_format("human");
}

#[test]
fn json() {
    check_format("json");
}

#[test]
fn markdown() {
    check_format("markdown");
}

#[test]
fn sarif() {
    check_format("sarif");
}

#[test]
fn github() {
    check_format("github");
}

#[test]
fn junit() {
    check_format("junit");
}

#[test]
fn output_files_match_the_same_format_on_stdout() {
    let repo = repo();
    let (_, markdown) = check(repo.path(), &["--format", "markdown"]);
    let (_, sarif) = check(repo.path(), &["--format", "sarif"]);
    let (code, human) = check(
        repo.path(),
        &[
            "--output",
            "markdown=reports/status/gaps.md",
            "--output",
            "sarif=out/warden.sarif",
        ],
    );
    assert_eq!(code, 1);
    assert!(human.contains("blocking gaps found"), "{human}");
    let read = |p: &str| std::fs::read_to_string(repo.path().join(p)).unwrap();
    assert_eq!(read("reports/status/gaps.md"), markdown);
    assert_eq!(read("out/warden.sarif"), sarif);
}

// ---- SARIF ----

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixture("sarif/sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let log: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    log
}

#[test]
fn the_schema_rejects_a_broken_log() {
    let validator = sarif_validator();
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "warden" } },
                   "results": [{ "message": { "text": "x" }, "level": "fatal" }] }]
    });
    assert!(!validator.is_valid(&broken));
    // Formats are checked too: an artifact URI must be a valid URI reference.
    let bad_uri = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "warden" } },
                   "results": [{ "message": { "text": "x" },
                                 "locations": [{ "physicalLocation": {
                                     "artifactLocation": { "uri": "notes/a b<c>.md" } } }] }] }]
    });
    assert!(!validator.is_valid(&bad_uri));
}

#[test]
fn sarif_from_the_cli_is_valid_and_complete() {
    let repo = repo();
    let (_, stdout) = check(repo.path(), &["--format", "sarif"]);
    let log = assert_valid_sarif(&stdout);
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "warden");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["docs-allowlist", "no-secret-files", "waivers"]);
    assert_eq!(
        driver["rules"][1]["defaultConfiguration"]["level"],
        "warning"
    );

    let results = run["results"].as_array().unwrap();
    let nasty = results
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().contains("<b>@team"))
        .unwrap();
    let artifact = &nasty["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "notes/%3Cb%3E%40team%7Cx%60%26.md");
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    assert_eq!(nasty["level"], "error");
    assert_eq!(
        nasty["partialFingerprints"]["warden/v1"],
        fingerprint("docs-allowlist", NASTY).as_str()
    );

    let waived: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 1);
    let suppression = &waived[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(
        suppression["justification"],
        "kept for the Q3 audit; ask @docs-team <docs@example.com>"
    );

    let expired = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("expired on 2026-01-01")
        })
        .unwrap();
    assert_eq!(expired["ruleId"], "waivers");
    assert_eq!(
        expired["locations"][0]["physicalLocation"]["region"]["startLine"],
        18
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_of_every_outcome_is_valid() {
    let mut out = Vec::new();
    report::render(&every_outcome(), Format::Sarif, false, &mut out).unwrap();
    let log = assert_valid_sarif(std::str::from_utf8(&out).unwrap());
    let run = &log["runs"][0];
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(
        notes.len(),
        2,
        "one for the error, one for the skipped rule"
    );
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(notes[0]["associatedRule"]["id"], "stale-plans");
    assert!(notes[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("shallow clone"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    // A gap without a path sits on the policy line that declares its rule.
    let pathless = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "codeowners")
        .unwrap();
    let location = &pathless["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "warden.toml");
    assert_eq!(location["region"]["startLine"], 8);
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///work/my%20repo/"
    );
}

// ---- JUnit ----

fn parse_junit(xml: &str) -> quick_junit::Report {
    quick_junit::Report::deserialize_from_str(xml)
        .unwrap_or_else(|e| panic!("JUnit XML does not parse: {e}\n{xml}"))
}

#[test]
fn junit_from_the_cli_is_well_formed() {
    let repo = repo();
    let (_, stdout) = check(repo.path(), &["--format", "junit"]);
    let junit = parse_junit(&stdout);
    let suite = &junit.test_suites[0];
    assert_eq!(suite.name.as_str(), "warden");
    let cases: Vec<(&str, &str)> = suite
        .test_cases
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.classname.as_ref().map(|n| n.as_str()).unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("docs-allowlist", "docs-allowlist"),
            ("no-secret-files", "forbidden-files"),
            ("waivers", "waiver"),
        ]
    );
    let quick_junit::TestCaseStatus::NonSuccess {
        kind,
        ty,
        description,
        ..
    } = &suite.test_cases[0].status
    else {
        panic!("docs-allowlist fails")
    };
    assert_eq!(*kind, quick_junit::NonSuccessKind::Failure);
    assert_eq!(ty.as_ref().unwrap().as_str(), "deny");
    // The file name survives the round trip through XML escaping.
    assert!(description.as_ref().unwrap().contains(NASTY));
    let out = suite.test_cases[0].system_out.as_ref().unwrap();
    assert!(out.contains("notes/old.md"), "{}", out.as_str());
}

#[test]
fn junit_of_every_outcome_is_well_formed() {
    let mut out = Vec::new();
    report::render(&every_outcome(), Format::Junit, false, &mut out).unwrap();
    let junit = parse_junit(std::str::from_utf8(&out).unwrap());
    let suite = &junit.test_suites[0];
    assert_eq!(suite.tests, 7);
    // Only the deny gap of `docs` fails; the warn and info rules are not failures.
    assert_eq!(suite.failures, 1);
    assert_eq!(suite.errors, 1);
    let status = |name: &str| {
        &suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .unwrap()
            .status
    };
    assert!(matches!(
        status("stale-plans"),
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Error,
            ..
        }
    ));
    assert!(matches!(
        status("links"),
        quick_junit::TestCaseStatus::Skipped { .. }
    ));
    assert!(matches!(
        status("no-env"),
        quick_junit::TestCaseStatus::Success { .. }
    ));
    for name in ["codeowners", "ci"] {
        assert!(
            matches!(status(name), quick_junit::TestCaseStatus::Success { .. }),
            "{name}: a warn or info gap is not a failure"
        );
        let case = suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .unwrap();
        assert!(
            case.system_out.is_some(),
            "{name}: its gap is listed in <system-out>"
        );
    }
}

// ---- every outcome, by hand ----

fn origin(line: u32) -> Origin {
    Origin {
        file: "warden.toml".to_string(),
        line,
    }
}

fn finding(
    rule: &str,
    kind: &str,
    level: Level,
    message: &str,
    path: Option<&str>,
    line: Option<u32>,
    help: Option<&str>,
) -> ReportedFinding {
    ReportedFinding {
        rule: rule.to_string(),
        kind: kind.to_string(),
        level,
        message: message.to_string(),
        path: path.map(str::to_string),
        line,
        help: help.map(str::to_string),
        fingerprint: fingerprint(rule, path.unwrap_or(message)),
        waived: None,
        first_seen: None,
        change: None,
        fixable: false,
        fix: None,
        fix_data: None,
    }
}

fn rule(
    id: &str,
    kind: &str,
    level: Level,
    outcome: Outcome,
    line: u32,
    findings: Vec<ReportedFinding>,
) -> RuleOutcome {
    RuleOutcome {
        id: id.to_string(),
        kind: kind.to_string(),
        level,
        summary: format!("summary of {kind}"),
        outcome,
        reason: None,
        origin: origin(line),
        findings,
    }
}

/// A report with every outcome and level, hostile text in every user-controlled field.
fn every_outcome() -> Report {
    let hostile = "notes/<script>@admin|x.md";
    // Kinds that are not in the registry, so rule documentation does not leak in here.
    let mut waived = finding(
        "docs",
        "example-paths",
        Level::Deny,
        "`notes/old.md` is outside the docs allow-list",
        Some("notes/old.md"),
        None,
        Some("move it to `docs/old.md`"),
    );
    waived.waived = Some(WaivedBy {
        reason: "ok'd by @lead <b>bold</b> | see #12\nsecond line".to_string(),
        origin: origin(20),
        expires: Some("2027-01-01".to_string()),
    });
    let mut env = finding(
        "no-env",
        "example-forbidden",
        Level::Deny,
        "`.env` is forbidden",
        Some(".env"),
        Some(3),
        None,
    );
    env.waived = Some(WaivedBy {
        reason: "fixture values only".to_string(),
        origin: origin(30),
        expires: None,
    });
    let mut error = rule(
        "stale-plans",
        "example-history",
        Level::Deny,
        Outcome::Error,
        12,
        vec![],
    );
    error.reason = Some("git history is unavailable: shallow clone, use fetch-depth: 0".into());
    let mut skipped = rule(
        "links",
        "example-links",
        Level::Info,
        Outcome::Skipped,
        16,
        vec![],
    );
    skipped.reason = Some("needs git history; not run on a staged change (`--staged`)".into());

    let rules = vec![
        rule(
            "docs",
            "example-paths",
            Level::Deny,
            Outcome::Fail,
            1,
            vec![
                finding(
                    "docs",
                    "example-paths",
                    Level::Deny,
                    &format!(
                        "`{hostile}` is outside the docs allow-list <!-- x --> @everyone *now*"
                    ),
                    Some(hostile),
                    Some(1),
                    Some("move it under `docs/`, or [click](https://evil.example)"),
                ),
                waived,
            ],
        ),
        rule(
            "codeowners",
            "example-files",
            Level::Warn,
            Outcome::Fail,
            8,
            vec![finding(
                "codeowners",
                "example-files",
                Level::Warn,
                "`CODEOWNERS` is missing: 50% of teams, a,b\r\nsecond line",
                None,
                None,
                Some("add `.github/CODEOWNERS`"),
            )],
        ),
        rule(
            "ci",
            "example-workflows",
            Level::Info,
            Outcome::Fail,
            10,
            vec![finding(
                "ci",
                "example-workflows",
                Level::Info,
                "job `test` does not run `cargo test`",
                Some(".github/workflows/ci.yml"),
                Some(7),
                None,
            )],
        ),
        error,
        skipped,
        rule(
            "no-env",
            "example-forbidden",
            Level::Deny,
            Outcome::Waived,
            24,
            vec![env],
        ),
        rule(
            "version",
            "example-value",
            Level::Deny,
            Outcome::Pass,
            28,
            vec![],
        ),
    ];
    common::report_of("/work/my repo", rules)
}

fn render_every_outcome(format: Format) -> String {
    let mut out = Vec::new();
    report::render(&every_outcome(), format, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_outcome_markdown() {
    let markdown = render_every_outcome(Format::Markdown);
    // Outside code spans nothing is HTML, a mention or a link.
    for raw in ["<!--", "<b>bold", "@everyone", "@lead", "[click]", "*now*"] {
        assert!(
            !markdown.contains(raw),
            "`{raw}` is not escaped:\n{markdown}"
        );
    }
    // Each gap, waived gap and reason is on one line: nothing starts a new block.
    assert!(markdown.contains("second line"));
    assert!(!markdown.contains("\nsecond line"));
    insta::assert_snapshot!("every_outcome_markdown", markdown);
}

#[test]
fn every_outcome_github() {
    let github = render_every_outcome(Format::Github);
    assert!(github.contains(
        "::warning title=codeowners::`CODEOWNERS` is missing: 50%25 of teams, a,b%0D%0Asecond line"
    ));
    assert!(github.contains("::error title=stale-plans::could not decide: "));
    assert!(github.contains("::notice file=.github/workflows/ci.yml,line=7,title=ci::"));
    assert!(
        !github.contains("notes/old.md"),
        "waived gaps are not annotations"
    );
    assert!(!github.contains(".env"), "waived gaps are not annotations");
    insta::assert_snapshot!("every_outcome_github", github);
}

#[test]
fn every_outcome_sarif() {
    insta::assert_snapshot!("every_outcome_sarif", render_every_outcome(Format::Sarif));
}

#[test]
fn every_outcome_junit() {
    insta::assert_snapshot!("every_outcome_junit", render_every_outcome(Format::Junit));
}

/// A file name that tries to start a workflow command on its own line and to retitle
/// the terminal (OSC 0) and recolour it (CSI).
const INJECTING: &str = "keys/a\n::error file=x::pwned\u{1b}]0;owned\u{7}\u{1b}[31m.pem";

fn assert_no_injection(format: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{format}: raw ESC/BEL in:\n{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("::error file=x")),
        "{format}: a line starts a workflow command:\n{text}"
    );
}

#[test]
fn control_characters_in_file_names_are_escaped_in_every_text_format() {
    let repo = TestRepo::new();
    repo.write(INJECTING, "key\n").write(
        "warden.toml",
        "[[rule]]\nid = \"no-keys\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\n",
    );
    for format in ["human", "github", "junit"] {
        let (code, stdout) = check(repo.path(), &["--format", format]);
        assert_eq!(code, 1, "{format}: {stdout}");
        assert_no_injection(format, &stdout);
        assert!(
            stdout.contains("::error file=x::pwned\\u{1b}]0;owned\\u{7}"),
            "{format}: {stdout}"
        );
    }
    let (_, junit) = check(repo.path(), &["--format", "junit"]);
    parse_junit(&junit);
}

#[test]
fn a_rule_id_with_control_characters_is_escaped_in_the_skipped_line() {
    let mut skipped = rule(
        "ok\n::error::pwned\u{1b}]0;t\u{7}",
        "branch-protection",
        Level::Deny,
        Outcome::Skipped,
        3,
        Vec::new(),
    );
    skipped.reason = Some("offline\n::warning::x".to_string());
    let report = common::report_of("/work/repo", vec![skipped]);
    for format in [Format::Github, Format::Human, Format::Junit] {
        let mut out = Vec::new();
        report::render(&report, format, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_no_injection(&format!("{format:?}"), &text);
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("::error::pwned") || l.starts_with("::warning::x")),
            "{format:?}:\n{text}"
        );
    }
}

#[test]
fn a_rule_id_with_control_characters_is_refused_at_load() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"x\\n::error::y\"\nkind = \"forbidden-files\"\npaths = [\"a\"]\n",
    );
    let out = warden(repo.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("without control characters"), "{stderr}");
}

// ---- within the consumers' limits ----

/// One rule of `level` with `n` open gaps, each in its own file.
fn many_gaps(n: usize, level: Level) -> Report {
    let findings = (0..n)
        .map(|i| {
            finding(
                "many",
                "example-paths",
                level,
                &format!("gap {i}"),
                Some(&format!("docs/f{i}.md")),
                Some(1),
                None,
            )
        })
        .collect();
    common::report_of(
        "/work/repo",
        vec![rule(
            "many",
            "example-paths",
            level,
            Outcome::Fail,
            3,
            findings,
        )],
    )
}

fn render_to_string(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    report::render(report, format, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn sarif_keeps_at_most_25000_results_and_counts_the_rest() {
    let report = many_gaps(25_001, Level::Deny);
    let text = render_to_string(&report, Format::Sarif);
    let sarif = assert_valid_sarif(&text);
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 25_000);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(notes[0]["properties"]["leftOut"], 1);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("1 more result was left out: GitHub code scanning accepts at most 25000"),
        "{}",
        notes[0]["message"]["text"]
    );
}

#[test]
fn sarif_drops_waived_and_lesser_gaps_first() {
    let mut report = many_gaps(25_000, Level::Info);
    report.rules[0].findings[0].waived = Some(WaivedBy {
        reason: "r".to_string(),
        origin: origin(9),
        expires: None,
    });
    report.rules[0].findings.push(finding(
        "many",
        "example-paths",
        Level::Deny,
        "the deny gap",
        Some("docs/deny.md"),
        Some(1),
        None,
    ));
    let sarif: serde_json::Value =
        serde_json::from_str(&render_to_string(&report, Format::Sarif)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    assert!(results.iter().all(|r| r["suppressions"].is_null()));
    assert_eq!(results.last().unwrap()["level"], "error");
}

#[test]
fn every_sarif_rule_has_descriptions_help_and_a_help_uri_and_every_result_a_location() {
    let repo = repo();
    for text in [
        render_every_outcome(Format::Sarif),
        check(repo.path(), &["--format", "sarif"]).1,
    ] {
        let sarif = assert_valid_sarif(&text);
        let run = &sarif["runs"][0];
        for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
            assert!(rule["fullDescription"]["text"].is_string(), "{rule}");
            assert!(rule["help"]["text"].is_string(), "{rule}");
            assert!(rule["help"]["markdown"].is_string(), "{rule}");
            let uri = rule["helpUri"].as_str().unwrap();
            assert!(
                uri.starts_with(env!("CARGO_PKG_REPOSITORY")) && uri.contains('#'),
                "{uri}"
            );
        }
        for result in run["results"].as_array().unwrap() {
            let locations = result["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1, "{result}");
            assert!(locations[0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
        }
    }
}

#[test]
fn a_pathless_gap_of_a_builtin_pack_rule_is_placed_on_the_pack_line() {
    let mut r = rule(
        "settings",
        "example-settings",
        Level::Deny,
        Outcome::Fail,
        0,
        vec![finding(
            "settings",
            "example-settings",
            Level::Deny,
            "merge commits are allowed",
            None,
            None,
            None,
        )],
    );
    r.origin = Origin {
        file: "builtin:governed-delivery".to_string(),
        line: 14,
    };
    let report = common::report_of("/work/repo", vec![r]);
    let sarif = assert_valid_sarif(&render_to_string(&report, Format::Sarif));
    let physical = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        format!(
            "{}/blob/v{}/policies/governed-delivery.toml",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(physical["region"]["startLine"], 14);
}

#[test]
fn github_annotations_stop_at_ten_per_level_then_say_how_many_more() {
    let text = render_to_string(&many_gaps(30, Level::Deny), Format::Github);
    let errors = text.lines().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(errors, 10);
    assert!(
        text.contains(
            "\nwarden: 20 more findings not annotated (GitHub shows 10 errors, 10 warnings and \
             10 notices per step); all are in the job summary and the report\n"
        ),
        "{text}"
    );
    // Each level has its own budget: 12 warnings next to the errors give 10 more.
    let mut report = many_gaps(30, Level::Deny);
    report
        .rules
        .push(many_gaps(12, Level::Warn).rules.remove(0));
    let text = render_to_string(&report, Format::Github);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::warning ")).count(),
        10
    );
    assert!(
        text.contains("warden: 22 more findings not annotated"),
        "{text}"
    );
}

#[test]
fn github_annotations_under_the_cap_have_no_extra_line() {
    let text = render_to_string(&many_gaps(10, Level::Deny), Format::Github);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert!(!text.contains("not annotated"), "{text}");
}

#[test]
fn junit_with_only_warn_and_info_gaps_has_no_failure() {
    let mut report = many_gaps(2, Level::Warn);
    report.rules.push(many_gaps(1, Level::Info).rules.remove(0));
    let xml = render_to_string(&report, Format::Junit);
    assert!(!xml.contains("<failure"), "{xml}");
    let junit = parse_junit(&xml);
    assert_eq!(junit.test_suites[0].failures, 0);
    assert!(xml.contains("warn: docs/f1.md:1: gap 1"), "{xml}");
    assert!(xml.contains("info: docs/f0.md:1: gap 0"), "{xml}");
}
