//! `planning-doc-ttl` against real git repositories with back-dated commits (the clock is
//! fixed at 2026-11-22T12:00:00Z by `warden()`), front-matter dates, a directory outside
//! git, and a shallow clone made with the `git` command line.

use std::process::Command;

use crate::common::{check, rule, warden, TestRepo};
use serde_json::Value;

fn findings(rule: &Value) -> Vec<(String, String, Value)> {
    rule["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["line"].clone(),
            )
        })
        .collect()
}

const POLICY: &str = r#"
[[rule]]
id = "ttl"
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]

[[rule]]
id = "ttl-long"
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
max_age_days = 1000
"#;

/// old.md last changed 2025-01-01; modified.md too, but changed again on 2026-11-21;
/// fresh.md committed 2026-11-20; staged.md staged, never committed.
fn history_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY)
        .write("docs/planning/old.md", "# old plan\n")
        .write("docs/planning/modified.md", "# plan v1\n")
        .write("docs/guide.md", "# not a plan\n");
    repo.commit_at("old plans", "2025-01-01");
    repo.write("docs/planning/fresh.md", "# this week\n");
    repo.commit_at("fresh plan", "2026-11-20");
    repo.write("docs/planning/modified.md", "# plan v2\n");
    repo.commit_at("refresh plan", "2026-11-21T08:30:00Z");
    repo.write("docs/planning/staged.md", "# not committed yet\n");
    repo
}

#[test]
fn docs_whose_last_commit_is_too_old_expire() {
    let repo = history_repo();
    let (code, report) = check(repo.path(), &[]);
    let ttl = rule(&report, "ttl");
    assert_eq!(ttl["outcome"], "fail");
    assert_eq!(
        findings(ttl),
        [(
            "docs/planning/old.md".to_string(),
            "`docs/planning/old.md` is 690 days old (last commit 2025-01-01); planning docs expire after 7 days"
                .to_string(),
            Value::Null
        )]
    );
    assert_eq!(
        ttl["findings"][0]["help"],
        "refresh it, move it to an archive outside the TTL paths, or delete it"
    );
    assert_eq!(rule(&report, "ttl-long")["outcome"], "pass");
    assert_eq!(code, 1);
}

#[test]
fn the_fingerprint_does_not_change_as_the_doc_ages() {
    let repo = history_repo();
    let (_, today) = check(repo.path(), &[]);
    let (_, later) = check(repo.path(), &["--now", "2026-12-31"]);
    let old = |report: &Value| {
        rule(report, "ttl")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "docs/planning/old.md")
            .cloned()
            .unwrap()
    };
    let (a, b) = (old(&today), old(&later));
    assert_ne!(a["message"], b["message"]);
    assert_eq!(a["fingerprint"], b["fingerprint"]);
    // By then the fresh and the refreshed plan have expired as well.
    assert_eq!(findings(rule(&later, "ttl")).len(), 3);
}

#[test]
fn staged_mode_skips_the_rule() {
    let repo = history_repo();
    let (code, report) = check(repo.path(), &["--staged"]);
    let ttl = rule(&report, "ttl");
    assert_eq!(ttl["outcome"], "skipped");
    assert!(ttl["reason"].as_str().unwrap().contains("git history"));
    assert_eq!(code, 0);
}

#[test]
fn front_matter_dates_count_and_bad_ones_are_findings_at_their_line() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"
[[rule]]
id = "ttl"
kind = "planning-doc-ttl"
paths = ["plans/*.md"]
max_age_days = 14
age_from = "front-matter:updated"
"#,
    )
    .write(
        "plans/declared-fresh.md",
        "---\ntitle: Fresh\nupdated: 2026-11-20\n---\n# Fresh\n",
    )
    .write("plans/no-front-matter.md", "# Old\n")
    .write("plans/no-key.md", "---\ntitle: Old\n---\n");
    repo.commit_at("old plans", "2025-01-01");
    repo.write(
        "plans/declared-old.md",
        "---\ntitle: Old\nowner: ops\nupdated: 2026-10-01T09:00:00Z\n---\n",
    )
    .write(
        "plans/bad-date.md",
        "---\ntitle: Bad\nupdated: next week\n---\n",
    );
    repo.commit_at("recent commits", "2026-11-21");
    let (code, report) = check(repo.path(), &[]);
    let got = findings(rule(&report, "ttl"));
    let expected = [
        (
            "plans/bad-date.md",
            "`updated` in the front matter of `plans/bad-date.md` is not a date (`next week`)",
            Value::from(3),
        ),
        (
            "plans/declared-old.md",
            "`plans/declared-old.md` is 52 days old (dated 2026-10-01 in its front matter); planning docs expire after 14 days",
            Value::from(4),
        ),
        (
            "plans/no-front-matter.md",
            "`plans/no-front-matter.md` has not changed in the last 14 days (no commit since 2026-11-08); planning docs expire after 14 days",
            Value::Null,
        ),
        (
            "plans/no-key.md",
            "`plans/no-key.md` has not changed in the last 14 days (no commit since 2026-11-08); planning docs expire after 14 days",
            Value::Null,
        ),
    ]
    .map(|(p, m, l)| (p.to_string(), m.to_string(), l));
    assert_eq!(got, expected);
    assert_eq!(code, 1);
}

#[test]
fn outside_git_the_rule_is_an_error_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/planning")).unwrap();
    std::fs::write(dir.path().join("docs/planning/x.md"), "# plan\n").unwrap();
    std::fs::write(dir.path().join("warden.toml"), POLICY).unwrap();
    let (code, report) = check(dir.path(), &[]);
    let ttl = rule(&report, "ttl");
    assert_eq!(ttl["outcome"], "error");
    assert!(
        ttl["reason"]
            .as_str()
            .unwrap()
            .contains("is not a git repository"),
        "{ttl:#}"
    );
    assert_eq!(report["summary"]["error"], 2);
    assert_eq!(code, 1);
}

#[test]
fn a_shallow_clone_cannot_date_files_beyond_its_boundary() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: the `git` command is not installed");
        return;
    }
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY).write("README.md", "hi\n");
    repo.commit_at("init", "2024-06-01");
    repo.write("docs/planning/old.md", "# old\n");
    repo.commit_at("old plan", "2025-01-01");
    repo.write("docs/planning/fresh.md", "# fresh\n");
    repo.commit_at("fresh plan", "2026-11-20");

    let clones = tempfile::tempdir().unwrap();
    let shallow = clones.path().join("shallow");
    let url = format!("file://{}", repo.path().display());
    let status = Command::new("git")
        .args(["clone", "--quiet", "--depth", "2", &url])
        .arg(&shallow)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success(), "git clone failed");

    let (code, report) = check(&shallow, &[]);
    let ttl = rule(&report, "ttl");
    assert_eq!(ttl["outcome"], "error", "{ttl:#}");
    let reason = ttl["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("cannot tell the age of `docs/planning/old.md`: the clone is shallow"),
        "{reason}"
    );
    assert!(reason.contains("fetch-depth: 0"), "{reason}");
    assert!(!reason.contains("fresh.md"), "{reason}");
    assert_eq!(code, 1);
}

#[test]
fn bad_configuration_is_a_policy_error_with_spans() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"[[rule]]
id = "ttl"
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
max_age_days = "7"
age_from = "mtime"

[[rule]]
id = "no-paths"
kind = "planning-doc-ttl"
max_age_days = -1
"#,
    );
    let out = warden(repo.path()).arg("check").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for expected in [
        "`max_age_days` in rule `planning-doc-ttl` must be a whole number, 0 or",
        "warden.toml:5:16",
        "unknown `age_from` `mtime`",
        "warden.toml:6:12",
        "rule `planning-doc-ttl` needs `paths`",
        "warden.toml:11:16",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

const POLICY_7_DAYS: &str = r#"
[[rule]]
id = "ttl"
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
"#;

/// old.md last changed 2024-01-01, 120 unrelated commits of 2025-06-01 above it, then a
/// fresh plan of 2026-11-20.
fn deep_history_repo(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", policy)
        .write("README.md", "v1\n")
        .write("docs/planning/old.md", "# old plan\n");
    repo.commit_at("old plan", "2024-01-01");
    for i in 0..120 {
        repo.write("README.md", &format!("v{i}\n"));
        repo.commit_at("unrelated", "2025-06-01");
    }
    repo.write("docs/planning/fresh.md", "# this week\n");
    repo.commit_at("fresh plan", "2026-11-20");
    repo
}

#[test]
fn by_default_only_the_window_is_read_and_older_files_have_not_changed_in_it() {
    let repo = deep_history_repo(POLICY_7_DAYS);
    let (code, report) = check(repo.path(), &[]);
    // The window starts 2026-11-15: the walk stops at the first commit before it.
    assert_eq!(
        findings(rule(&report, "ttl")),
        [(
            "docs/planning/old.md".to_string(),
            "`docs/planning/old.md` has not changed in the last 7 days (no commit since \
             2026-11-15); planning docs expire after 7 days"
                .to_string(),
            Value::Null
        )]
    );
    assert_eq!(code, 1);

    // A longer limit in another rule widens the window for both (to 2024-02-26).
    let longer = format!(
        "{POLICY_7_DAYS}\n[[rule]]\nid = \"ttl-long\"\nkind = \"planning-doc-ttl\"\n\
         paths = [\"docs/planning/**\"]\nmax_age_days = 1000\n"
    );
    repo.write("warden.toml", &longer);
    let (_, report) = check(repo.path(), &[]);
    assert_eq!(
        findings(rule(&report, "ttl"))[0].1,
        "`docs/planning/old.md` has not changed in the last 1000 days (no commit since \
         2024-02-26); planning docs expire after 7 days"
    );
    assert_eq!(rule(&report, "ttl-long")["outcome"], "fail");
}

#[test]
fn exact_age_reads_history_until_every_file_is_dated() {
    let exact = format!("{POLICY_7_DAYS}exact_age = true\n");
    let repo = deep_history_repo(&exact);
    let (_, report) = check(repo.path(), &[]);
    assert_eq!(
        findings(rule(&report, "ttl")),
        [(
            "docs/planning/old.md".to_string(),
            "`docs/planning/old.md` is 1056 days old (last commit 2024-01-01); planning docs \
             expire after 7 days"
                .to_string(),
            Value::Null
        )]
    );

    // Exact within 700 days only: 2024-01-01 is beyond, so the window form again.
    repo.write("warden.toml", &format!("{POLICY_7_DAYS}exact_age = 700\n"));
    let (_, report) = check(repo.path(), &[]);
    assert_eq!(
        findings(rule(&report, "ttl"))[0].1,
        "`docs/planning/old.md` has not changed in the last 700 days (no commit since \
         2024-12-22); planning docs expire after 7 days"
    );
}

#[test]
fn exact_age_of_the_wrong_type_is_a_policy_error() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        &format!("{POLICY_7_DAYS}exact_age = \"yes\"\n"),
    );
    let out = warden(repo.path()).arg("check").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("`exact_age` in rule `planning-doc-ttl` must be true, false or a number"),
        "{stderr}"
    );
}

#[test]
fn a_clock_skewed_into_the_past_cannot_make_a_stale_doc_fresh() {
    // The plan's last change (2025-01-01) sits on top of a commit whose clock said
    // 2026-11-19: the window ends at the first old-looking commit, so the skewed one
    // below never makes the plan look fresh.
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY_7_DAYS)
        .write("docs/planning/plan.md", "# v1\n");
    repo.commit_at("plan, committed with a clock in the future", "2026-11-19");
    repo.write("docs/planning/plan.md", "# v2\n");
    repo.commit_at("plan changed", "2025-01-01");
    // Old commits after it, as in a long history.
    for i in 0..110 {
        repo.write("README.md", &format!("v{i}\n"));
        repo.commit_at("unrelated", "2025-01-02");
    }

    let (code, report) = check(repo.path(), &[]);
    assert_eq!(
        findings(rule(&report, "ttl")),
        [(
            "docs/planning/plan.md".to_string(),
            "`docs/planning/plan.md` has not changed in the last 7 days (no commit since \
             2026-11-15); planning docs expire after 7 days"
                .to_string(),
            Value::Null
        )]
    );
    assert_eq!(code, 1);
}
