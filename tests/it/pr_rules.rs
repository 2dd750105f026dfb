//! The `pr-*` rule kinds from policy text to evaluation: their keys, their edge cases and
//! their policy errors. Pull requests are built by hand, as `warden pr` would gather them.

use std::collections::BTreeMap;

use miette::Diagnostic;
use warden::engine;
use warden::facts::Facts;
use warden::github::RepoId;
use warden::model::Evaluation;
use warden::policy;
use warden::pr::{ChangedFile, FileStatus, IssueInfo, IssueRef, PullRequest};

fn repo() -> Option<RepoId> {
    RepoId::parse("octo-org/app")
}

fn pr(body: &str) -> PullRequest {
    PullRequest {
        repo: repo(),
        number: 7,
        title: "feat: add pagination".to_string(),
        body: body.to_string(),
        author: "alice".to_string(),
        base_ref: "main".to_string(),
        head_ref: "feat/pagination".to_string(),
        head_repo: Some("octo-org/app".to_string()),
        files_source: "api",
        ..PullRequest::default()
    }
}

fn file(path: &str, additions: u64, deletions: u64) -> ChangedFile {
    ChangedFile {
        path: path.to_string(),
        status: FileStatus::Modified,
        previous_path: None,
        additions,
        deletions,
    }
}

fn with_files(mut pr: PullRequest, paths: &[&str]) -> PullRequest {
    pr.files = paths.iter().map(|p| file(p, 1, 1)).collect();
    pr
}

fn facts(pr: PullRequest) -> Facts {
    let mut facts = Facts::from_texts(&[], "2026-11-22T12:00:00Z".parse().unwrap());
    facts.set_changed(pr.changed_paths());
    facts.pr = Some(pr);
    facts
}

/// Evaluate the only rule of `policy` on `pr`.
fn eval(policy: &str, pr: PullRequest) -> Evaluation {
    let policy = policy::load_text("test.toml", policy)
        .unwrap_or_else(|e| panic!("policy does not load: {:#?}", e.errors));
    assert_eq!(policy.rules.len(), 1);
    engine::evaluate(&policy, &facts(pr), false).remove(0)
}

fn messages(evaluation: &Evaluation) -> Vec<String> {
    match evaluation {
        Evaluation::Checked(findings) => findings.iter().map(|f| f.message.clone()).collect(),
        other => panic!("expected a checked evaluation, got {other:?}"),
    }
}

fn passes(evaluation: &Evaluation) -> bool {
    matches!(evaluation, Evaluation::Checked(f) if f.is_empty())
}

fn error(evaluation: &Evaluation) -> String {
    match evaluation {
        Evaluation::Error(reason) => reason.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn skipped(evaluation: &Evaluation) -> String {
    match evaluation {
        Evaluation::Skipped(reason) => reason.clone(),
        other => panic!("expected a skip, got {other:?}"),
    }
}

/// (code, message, the policy text each label points at) of every problem of `policy`.
fn problems(policy: &str) -> Vec<(String, String, Vec<String>)> {
    let errors = match policy::load_text("test.toml", policy) {
        Ok(_) => panic!("policy loaded, but problems were expected"),
        Err(e) => e.errors,
    };
    errors
        .iter()
        .map(|d| {
            let labels = d
                .labels()
                .map(|labels| {
                    labels
                        .map(|l| policy[l.offset()..l.offset() + l.len()].to_string())
                        .collect()
                })
                .unwrap_or_default();
            (d.code.to_string(), d.message.clone(), labels)
        })
        .collect()
}

// ---------------------------------------------------------------- pr-issue-link

const LINK: &str = "[[rule]]\nkind = \"pr-issue-link\"\n";

#[test]
fn issue_link_accepts_every_closing_keyword_in_any_case() {
    for body in [
        "Fixes #12",
        "FIXES #12",
        "this fixed #12",
        "Closes: #12",
        "resolve #12",
        "Resolved octo-org/app#12",
        "Fixes other-org/lib#3",
        "Resolves https://github.com/octo-org/app/issues/99",
        "- closes https://github.example.com/octo-org/app/issues/5",
    ] {
        assert!(passes(&eval(LINK, pr(body))), "{body}");
    }
}

#[test]
fn issue_link_refuses_bare_mentions_comments_and_code() {
    for body in [
        "",
        "Related to #12",
        "Fixed in #12",
        "<!-- Fixes #12 -->",
        "`Fixes #12`",
        "```\nFixes #12\n```",
        "Fixes issue12",
    ] {
        let evaluation = eval(LINK, pr(body));
        assert_eq!(messages(&evaluation).len(), 1, "{body}: {evaluation:?}");
    }
    let Evaluation::Checked(findings) = eval(LINK, pr("Intro\nRelated to #12")) else {
        panic!()
    };
    assert_eq!(findings[0].subject.as_deref(), Some("no-issue-link"));
    assert!(findings[0].message.contains("`Fixes #<issue>`"));
    let help = findings[0].help.as_deref().unwrap();
    assert!(help.contains("line 2 mentions `#12`"), "{help}");
    assert!(help.contains("`Fixes #123`"), "{help}");
}

#[test]
fn issue_link_keywords_are_taken_as_written() {
    let policy = format!("{LINK}keywords = [\"Fixes\"]\n");
    assert!(passes(&eval(&policy, pr("fixes #1"))));
    assert_eq!(messages(&eval(&policy, pr("Closes #1"))).len(), 1);
    assert_eq!(messages(&eval(&policy, pr("Fixed #1"))).len(), 1);
}

#[test]
fn issue_link_works_without_a_known_repository() {
    let mut pr = pr("Fixes #3");
    pr.repo = None;
    assert!(passes(&eval(LINK, pr)));
}

fn issue(number: u64) -> IssueRef {
    IssueRef {
        owner: "octo-org".into(),
        repo: "app".into(),
        number,
    }
}

fn info(state: &str, is_pull_request: bool) -> Result<IssueInfo, String> {
    Ok(IssueInfo {
        state: state.to_string(),
        title: "Orders tile is slow".to_string(),
        is_pull_request,
    })
}

fn with_issues(body: &str, issues: Vec<(IssueRef, Result<IssueInfo, String>)>) -> PullRequest {
    let mut pr = pr(body);
    pr.issues = issues.into_iter().collect::<BTreeMap<_, _>>();
    pr
}

#[test]
fn issue_link_asks_github_only_when_told_to() {
    let plain = policy::load_text("t.toml", LINK).unwrap();
    assert!(!engine::needs(&plain).pr_issues);
    let exist = policy::load_text("t.toml", &format!("{LINK}must_exist = true\n")).unwrap();
    assert!(engine::needs(&exist).pr_issues);
    let open = policy::load_text("t.toml", &format!("{LINK}must_be_open = true\n")).unwrap();
    assert!(engine::needs(&open).pr_issues);
}

#[test]
fn issue_link_judges_what_github_says() {
    let exist = format!("{LINK}must_exist = true\n");
    let open = format!("{LINK}must_be_open = true\n");

    let ok = with_issues("Fixes #1", vec![(issue(1), info("open", false))]);
    assert!(passes(&eval(&exist, ok.clone())));
    assert!(passes(&eval(&open, ok)));

    let closed = with_issues("Fixes #1", vec![(issue(1), info("closed", false))]);
    assert!(passes(&eval(&exist, closed.clone())));
    assert_eq!(
        messages(&eval(&open, closed)),
        ["issue `#1` (\"Orders tile is slow\") is already closed"]
    );

    let missing = with_issues("Fixes #404", vec![(issue(404), info("not_found", false))]);
    assert_eq!(
        messages(&eval(&exist, missing)),
        ["issue `#404` does not exist (or is not visible to warden's token)"]
    );

    let a_pr = with_issues("Fixes #6", vec![(issue(6), info("open", true))]);
    assert_eq!(
        messages(&eval(&exist, a_pr)),
        ["`#6` is a pull request, not an issue"]
    );
}

#[test]
fn issue_link_never_passes_an_issue_nobody_looked_at() {
    let exist = format!("{LINK}must_exist = true\n");
    let offline = with_issues(
        "Fixes #1",
        vec![(issue(1), Err("`--event` runs offline".to_string()))],
    );
    let reason = error(&eval(&exist, offline));
    assert!(reason.contains("#1: `--event` runs offline"), "{reason}");

    let not_fetched = with_issues("Fixes #1", vec![]);
    assert!(error(&eval(&exist, not_fetched)).contains("not looked up"));

    // A definite problem with one issue is a finding even if another is unknown.
    let mixed = with_issues(
        "Fixes #1\nFixes #2",
        vec![
            (issue(1), Err("HTTP 502".to_string())),
            (issue(2), info("not_found", false)),
        ],
    );
    assert_eq!(messages(&eval(&exist, mixed)).len(), 1);
}

#[test]
fn issue_link_resolves_short_references_against_the_base_repository_for_forks() {
    let mut fork = with_issues("Fixes #1", vec![(issue(1), info("open", false))]);
    fork.head_repo = Some("outsider/app".to_string());
    fork.author = "outsider".to_string();
    assert!(fork.is_fork());
    assert!(passes(&eval(&format!("{LINK}must_be_open = true\n"), fork)));
}

#[test]
fn exemptions_skip_bots_labels_drafts_and_forks() {
    let policy = format!(
        "{LINK}exempt_authors = [\"*[bot]\", \"release-*\"]\nexempt_labels = [\"chore\"]\nskip_drafts = true\nskip_forks = true\n"
    );
    let mut bot = pr("");
    bot.author = "dependabot[bot]".to_string();
    assert_eq!(
        skipped(&eval(&policy, bot)),
        "author `dependabot[bot]` is exempt (`exempt_authors`: `*[bot]`)"
    );
    let mut release = pr("");
    release.author = "Release-Bot".to_string();
    assert!(skipped(&eval(&policy, release)).contains("release-*"));

    let mut labelled = pr("");
    labelled.labels = vec!["Chore".to_string()];
    assert!(skipped(&eval(&policy, labelled)).contains("`chore`"));

    let mut draft = pr("");
    draft.draft = true;
    assert!(skipped(&eval(&policy, draft)).contains("draft"));

    let mut fork = pr("");
    fork.head_repo = Some("outsider/app".to_string());
    assert!(skipped(&eval(&policy, fork)).contains("outsider/app"));

    // A human whose login merely looks like a glob match is judged.
    let mut human = pr("");
    human.author = "botb".to_string();
    assert_eq!(messages(&eval(&policy, human)).len(), 1);
}

#[test]
fn issue_link_config_errors_point_at_the_value() {
    let found = problems(&format!("{LINK}keywords = [\"fixes\", \"relates to\"]\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "bad-value");
    assert_eq!(found[0].2, ["\"relates to\""]);

    let found = problems(&format!("{LINK}keywords = []\n"));
    assert!(found[0].1.contains("empty"), "{found:?}");

    let found = problems(&format!(
        "{LINK}must_exist = \"yes\"\nexempt_authors = [\"\"]\n"
    ));
    let codes: Vec<&str> = found.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(codes, ["wrong-type", "bad-value"], "{found:?}");
}

// ---------------------------------------------------------------- pr-allowed-paths

const PATHS: &str = "[[rule]]\nkind = \"pr-allowed-paths\"\n";

#[test]
fn allowed_paths_flags_every_file_outside_including_removed_and_renamed() {
    let mut pr = with_files(
        pr("Allowed paths: app/**, `packages/ui/**`"),
        &["app/a.ts", "packages/ui/b.ts", "README.md"],
    );
    pr.files.push(ChangedFile {
        status: FileStatus::Removed,
        ..file("infra/old.tf", 0, 9)
    });
    pr.files.push(ChangedFile {
        status: FileStatus::Renamed,
        previous_path: Some("lib/x.ts".to_string()),
        ..file("app/x.ts", 0, 0)
    });
    let Evaluation::Checked(findings) = eval(PATHS, pr) else {
        panic!()
    };
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f.path.as_deref().unwrap())
        .collect();
    assert_eq!(paths, ["README.md", "infra/old.tf", "lib/x.ts"]);
    assert_eq!(
        findings[0].message,
        "`README.md` is outside the paths the PR declares (Allowed paths: `app/**`, `packages/ui/**`)"
    );
    assert!(findings[2]
        .message
        .starts_with("`lib/x.ts` (renamed to `app/x.ts`)"));
    assert_eq!(findings[1].subject.as_deref(), Some("infra/old.tf"));
}

#[test]
fn allowed_paths_exempt_globs_are_never_judged() {
    let policy = format!("{PATHS}exempt = [\"**/*.md\"]\n");
    let pr = with_files(
        pr("Allowed paths: app/**"),
        &["app/a.ts", "docs/x.md", "README.md"],
    );
    assert!(passes(&eval(&policy, pr)));
}

#[test]
fn allowed_paths_rejects_traversal_and_bad_globs_by_name() {
    let body = "Allowed paths: app/** ../secrets/** /etc/** ~/notes app/[ok";
    let Evaluation::Checked(findings) = eval(PATHS, with_files(pr(body), &["app/a.ts"])) else {
        panic!()
    };
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[0].contains(
        "entry `../secrets/**` (line 1 of the PR description) is rejected: it climbs out with `..`"
    ));
    assert!(messages[1].contains("`/etc/**`") && messages[1].contains("absolute"));
    assert!(messages[2].contains("`~/notes`") && messages[2].contains("home directory"));
    assert!(messages[3].contains("`app/[ok`") && messages[3].contains("not a valid glob"));
    assert_eq!(findings[0].subject.as_deref(), Some("entry:../secrets/**"));
}

#[test]
fn allowed_paths_declaration_may_be_a_list_under_a_label() {
    let body = "Summary\n\n**Allowed paths:**\n- app/**\n- `tests/**`\n\n## Definition of Done\n- [x] done";
    let pr = with_files(pr(body), &["app/a.ts", "tests/a.test.ts"]);
    assert!(passes(&eval(PATHS, pr)));
}

#[test]
fn allowed_paths_missing_declaration_is_its_own_switch() {
    let undeclared = with_files(pr("No declaration here"), &["app/a.ts"]);
    assert_eq!(
        messages(&eval(PATHS, undeclared.clone())),
        ["the PR description declares no `Allowed paths:` line, so the paths this change may touch are unknown"]
    );
    assert!(passes(&eval(
        &format!("{PATHS}require_declaration = false\n"),
        undeclared.clone()
    )));
    // The warn-when-missing rule: only the declaration counts, never the files.
    let declared_only = format!("{PATHS}check_paths = false\n");
    assert_eq!(messages(&eval(&declared_only, undeclared)).len(), 1);
    let outside = with_files(pr("Allowed paths: docs/**"), &["app/a.ts"]);
    assert!(passes(&eval(&declared_only, outside)));
    // An unfilled template line counts as missing.
    let unfilled = with_files(pr("Allowed paths:\n\nMore text"), &["app/a.ts"]);
    assert_eq!(
        messages(&eval(PATHS, unfilled.clone())),
        ["the PR description's `Allowed paths:` line lists no paths"]
    );
    assert!(passes(&eval(
        &format!("{PATHS}require_declaration = false\n"),
        unfilled
    )));
}

#[test]
fn allowed_paths_custom_label() {
    let policy = format!("{PATHS}declaration = \"Scope:\"\n");
    let pr = with_files(pr("- scope: app/**"), &["app/a.ts", "lib/b.ts"]);
    assert_eq!(messages(&eval(&policy, pr)).len(), 1);
}

#[test]
fn allowed_paths_never_passes_an_incomplete_or_unknown_file_list() {
    let mut cut = with_files(pr("Allowed paths: app/**"), &["app/a.ts"]);
    cut.files_note =
        Some("GitHub lists at most 3000 files of a pull request; this one may change more".into());
    let reason = error(&eval(PATHS, cut.clone()));
    assert!(reason.contains("3000 files"), "{reason}");
    // A listed file outside is a definite finding, list complete or not.
    cut.files.push(file("lib/b.ts", 1, 0));
    assert_eq!(messages(&eval(PATHS, cut)).len(), 1);

    let mut unknown = pr("Allowed paths: app/**");
    unknown.files_source = "none";
    unknown.files_note = Some("the changed files are unknown: offline".into());
    assert_eq!(
        error(&eval(PATHS, unknown)),
        "the changed files are unknown: offline"
    );
}

#[test]
fn allowed_paths_config_errors() {
    let found = problems(&format!(
        "{PATHS}require_declaration = false\ncheck_paths = false\n"
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("checks nothing"));
    assert_eq!(found[0].2, ["false"]);

    let found = problems(&format!(
        "{PATHS}exempt = [\"docs/[\"]\ndeclaration = \"\"\n"
    ));
    let codes: Vec<&str> = found.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(codes, ["bad-value", "bad-glob"], "{found:?}");
}

// ---------------------------------------------------------------- pr-checklist

const DOD: &str = "[[rule]]\nkind = \"pr-checklist\"\nheading = \"Definition of Done\"\n";

const DOD_BODY: &str = "\
## Summary
- [ ] not part of the DoD

## Definition of Done
- [x] Objective satisfied
- [ ] Tests added
  - [ ] Unit tests
  - [X] E2E tests
* [ ] ~~Deployment verified in staging~~
```markdown
- [ ] an example inside a code block
```
<!-- - [ ] hidden template hint -->

## Notes
- [ ] after the section
";

#[test]
fn checklist_reports_each_unticked_item_with_its_line() {
    let Evaluation::Checked(findings) = eval(DOD, pr(DOD_BODY)) else {
        panic!()
    };
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "\"Definition of Done\" item not ticked: \"Tests added\" (line 6 of the PR description)",
            "\"Definition of Done\" item not ticked: \"Unit tests\" (line 7 of the PR description)",
        ]
    );
    assert_eq!(
        findings[0].subject.as_deref(),
        Some("unchecked:tests added")
    );
}

#[test]
fn checklist_all_ticked_passes_and_heading_forms_vary() {
    assert!(passes(&eval(
        DOD,
        pr("### definition of done:\n- [x] a\n- [X] b")
    )));
    assert!(passes(&eval(DOD, pr("**Definition of Done**\n* [x] a"))));
    assert!(passes(&eval(DOD, pr("# Definition Of Done #\n1. [x] a"))));
}

#[test]
fn checklist_missing_or_empty_sections() {
    assert_eq!(
        messages(&eval(DOD, pr("## Summary\n- [x] a"))),
        ["the PR description has no \"Definition of Done\" section"]
    );
    let optional = format!("{DOD}require_section = false\n");
    assert!(passes(&eval(&optional, pr("## Summary"))));
    assert_eq!(
        messages(&eval(
            DOD,
            pr("## Definition of Done\nAll done, trust me.\n## Next\n- [ ] x")
        )),
        ["the \"Definition of Done\" section of the PR description has no checklist items"]
    );
    // Even an optional section must have items when it is there.
    assert_eq!(
        messages(&eval(&optional, pr("## Definition of Done\nnothing"))).len(),
        1
    );
}

#[test]
fn checklist_duplicate_items_get_distinct_subjects() {
    let Evaluation::Checked(findings) = eval(
        DOD,
        pr("## Definition of Done\n- [ ] Docs\n### Backend\n- [ ] Docs"),
    ) else {
        panic!()
    };
    let subjects: Vec<&str> = findings
        .iter()
        .map(|f| f.subject.as_deref().unwrap())
        .collect();
    assert_eq!(subjects, ["unchecked:docs", "unchecked:docs#2"]);
}

#[test]
fn checklist_skips_drafts_when_told_to() {
    let mut draft = pr("## Definition of Done\n- [ ] not yet");
    draft.draft = true;
    assert_eq!(messages(&eval(DOD, draft.clone())).len(), 1);
    assert!(skipped(&eval(&format!("{DOD}skip_drafts = true\n"), draft)).contains("draft"));
}

#[test]
fn checklist_config_errors() {
    let found = problems("[[rule]]\nkind = \"pr-checklist\"\n");
    assert_eq!(found[0].0, "missing-key");
    assert!(found[0].1.contains("`heading`"), "{found:?}");
    let found = problems("[[rule]]\nkind = \"pr-checklist\"\nheading = \" ## \"\n");
    assert_eq!(found[0].0, "bad-value");
    let found = problems(&format!("{DOD}require_sections = false\n"));
    assert_eq!(found[0].0, "unknown-key");
}

// ---------------------------------------------------------------- pr-title, pr-branch-name

#[test]
fn title_must_match_the_pattern() {
    let policy = "[[rule]]\nkind = \"pr-title\"\npattern = '^(feat|fix)(\\([a-z]+\\))?: \\S'\nreason = \"release notes come from titles\"\n";
    assert!(passes(&eval(policy, pr(""))));
    let mut bad = pr("");
    bad.title = "Update stuff".to_string();
    assert_eq!(
        messages(&eval(policy, bad)),
        ["the PR title \"Update stuff\" does not match `^(feat|fix)(\\([a-z]+\\))?: \\S`: release notes come from titles"]
    );
}

#[test]
fn title_and_branch_regex_errors_point_into_the_pattern() {
    let policy = "[[rule]]\nkind = \"pr-title\"\npattern = '^(?!wip)'\n";
    let found = problems(policy);
    assert_eq!(found[0].0, "bad-regex");
    assert!(found[0].1.contains("look-around"), "{found:?}");
    assert_eq!(found[0].2, ["(?!"]);

    let found = problems("[[rule]]\nkind = \"pr-branch-name\"\n");
    assert_eq!(found[0].0, "missing-key");
    assert!(found[0].1.contains("`pattern`"));
}

#[test]
fn branch_name_with_exemptions() {
    let policy = "[[rule]]\nkind = \"pr-branch-name\"\npattern = '^(feat|hotfix)/'\nexempt = [\"dependabot/**\"]\nexempt_authors = [\"renovate[bot]\"]\nskip_forks = true\n";
    assert!(passes(&eval(policy, pr(""))));

    let mut bad = pr("");
    bad.head_ref = "my-branch".to_string();
    assert_eq!(
        messages(&eval(policy, bad.clone())),
        ["the PR's branch `my-branch` does not match `^(feat|hotfix)/`"]
    );

    let mut bump = bad.clone();
    bump.head_ref = "dependabot/npm_and_yarn/lodash-4.17.21".to_string();
    assert!(skipped(&eval(policy, bump)).contains("dependabot/npm_and_yarn"));

    let mut renovate = bad.clone();
    renovate.author = "renovate[bot]".to_string();
    assert!(skipped(&eval(policy, renovate)).contains("renovate[bot]"));

    let mut fork = bad.clone();
    fork.head_repo = Some("someone/app".to_string());
    assert!(skipped(&eval(policy, fork)).contains("someone/app"));

    let mut unknown = bad;
    unknown.head_ref = String::new();
    assert!(error(&eval(policy, unknown)).contains("head branch is unknown"));
}

// ---------------------------------------------------------------- pr-size

const SIZE: &str = "[[rule]]\nkind = \"pr-size\"\nmax_files = 3\nmax_lines = 100\nexclude = [\"**/package-lock.json\", \"**/*.snap\"]\n";

#[test]
fn size_does_not_count_excluded_lock_files() {
    let mut pr = pr("");
    pr.files = vec![
        file("app/a.ts", 30, 10),
        file("app/b.ts", 20, 10),
        file("package-lock.json", 5000, 4000),
        file("app/__snapshots__/a.snap", 900, 0),
    ];
    assert!(passes(&eval(SIZE, pr.clone())));

    pr.files.push(file("app/c.ts", 40, 0));
    pr.files.push(file("app/d.ts", 1, 0));
    assert_eq!(
        messages(&eval(SIZE, pr)),
        [
            "the PR changes 4 files, more than the 3 allowed, not counting 2 file(s) matching `**/package-lock.json`, `**/*.snap`",
            "the PR changes 111 lines, more than the 100 allowed, not counting 2 file(s) matching `**/package-lock.json`, `**/*.snap`",
        ]
    );
}

#[test]
fn size_of_a_cut_file_list_is_unknown_unless_already_too_big() {
    let note = "GitHub lists at most 3000 files of a pull request; this one may change more, which were not judged";
    let policy = "[[rule]]\nkind = \"pr-size\"\nmax_lines = 1000000\n";
    let mut pr = pr("");
    pr.files = (0..3000)
        .map(|i| file(&format!("gen/{i}.ts"), 1, 0))
        .collect();
    pr.files_note = Some(note.to_string());
    let reason = error(&eval(policy, pr.clone()));
    assert!(
        reason.contains("3000 files, 3000 lines counted"),
        "{reason}"
    );
    assert!(reason.ends_with(note), "{reason}");

    let tight = "[[rule]]\nkind = \"pr-size\"\nmax_files = 2000\n";
    assert_eq!(messages(&eval(tight, pr)).len(), 1);
}

#[test]
fn size_with_unknown_files_is_an_error() {
    let mut pr = pr("");
    pr.files_source = "none";
    assert!(error(&eval(SIZE, pr)).contains("unknown"));
}

#[test]
fn size_config_errors() {
    let found = problems("[[rule]]\nkind = \"pr-size\"\n");
    assert_eq!(found[0].0, "missing-key");
    let found = problems("[[rule]]\nkind = \"pr-size\"\nmax_files = 0\nmax_lines = -5\n");
    let codes: Vec<&str> = found.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(codes, ["bad-value", "wrong-type"], "{found:?}");
    assert_eq!(found[0].2, ["0"]);
}

// ---------------------------------------------------------------- pr-co-change

const TESTS: &str = "[[rule]]\nkind = \"pr-co-change\"\nwhen = [\"app/**\"]\nwhen_exclude = [\"app/**/*.md\"]\nthen = [\"**/*.test.ts\", \"tests/**\"]\n";

#[test]
fn co_change_requires_a_companion_file() {
    let app_only = with_files(pr(""), &["app/a.ts", "app/b.ts", "app/c.ts", "app/d.ts"]);
    let Evaluation::Checked(findings) = eval(TESTS, app_only) else {
        panic!()
    };
    assert_eq!(
        findings[0].message,
        "4 file(s) matching `app/**` changed, but no file matching `**/*.test.ts`, `tests/**`"
    );
    let help = findings[0].help.as_deref().unwrap();
    assert!(
        help.starts_with("`app/a.ts`, `app/b.ts`, `app/c.ts` and 1 more changed"),
        "{help}"
    );

    assert!(passes(&eval(
        TESTS,
        with_files(pr(""), &["app/a.ts", "app/a.test.ts"])
    )));
    assert!(passes(&eval(
        TESTS,
        with_files(pr(""), &["app/a.ts", "tests/e2e/a.ts"])
    )));
    assert!(passes(&eval(
        TESTS,
        with_files(pr(""), &["app/README.md", "docs/x.md"])
    )));
}

#[test]
fn co_change_ignores_deletions_and_takes_a_message() {
    let mut removed = pr("");
    removed.files = vec![ChangedFile {
        status: FileStatus::Removed,
        ..file("app/dead.ts", 0, 40)
    }];
    assert!(passes(&eval(TESTS, removed)));

    let policy = format!("{TESTS}message = \"app code changed but no tests changed\"\n");
    assert_eq!(
        messages(&eval(&policy, with_files(pr(""), &["app/a.ts"]))),
        ["app code changed but no tests changed"]
    );
}

#[test]
fn co_change_on_a_cut_list_is_an_error_unless_satisfied() {
    let mut cut = with_files(pr(""), &["app/a.ts"]);
    cut.files_note = Some("GitHub lists at most 3000 files".to_string());
    assert!(error(&eval(TESTS, cut.clone())).contains("3000 files"));
    cut.files.push(file("tests/a.ts", 1, 0));
    assert!(passes(&eval(TESTS, cut)));
}

#[test]
fn co_change_config_errors() {
    let found = problems("[[rule]]\nkind = \"pr-co-change\"\nwhen = \"app/**\"\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "missing-key");
    assert!(found[0].1.contains("`then`"));
}

// ---------------------------------------------------------------- pr-labels

#[test]
fn labels_one_of_and_forbidden() {
    let policy = "[[rule]]\nkind = \"pr-labels\"\none_of = [\"feature\", \"bug\"]\nforbidden = [\"do not merge\", \"wip\"]\n";
    let mut labelled = pr("");
    labelled.labels = vec!["Bug".to_string()];
    assert!(passes(&eval(policy, labelled.clone())));

    labelled.labels = vec!["Do Not Merge".to_string(), "WIP".to_string()];
    let Evaluation::Checked(findings) = eval(policy, labelled) else {
        panic!()
    };
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the PR has none of the labels `feature`, `bug` (it has `Do Not Merge`, `WIP`)",
            "the PR is labelled `do not merge`, which must be gone before it merges",
            "the PR is labelled `wip`, which must be gone before it merges",
        ]
    );
    assert_eq!(
        findings[1].subject.as_deref(),
        Some("forbidden:do not merge")
    );
    assert_eq!(
        messages_of(policy, pr("")),
        ["the PR has none of the labels `feature`, `bug` (it has no labels)"]
    );
}

fn messages_of(policy: &str, pr: PullRequest) -> Vec<String> {
    messages(&eval(policy, pr))
}

#[test]
fn labels_config_errors() {
    let found = problems("[[rule]]\nkind = \"pr-labels\"\n");
    assert_eq!(found[0].0, "missing-key");
    let found = problems("[[rule]]\nkind = \"pr-labels\"\none_of = []\n");
    assert!(found[0].1.contains("empty"), "{found:?}");
    let found = problems("[[rule]]\nkind = \"pr-labels\"\nforbidden = [\"ok\", \" \"]\n");
    assert_eq!(found[0].2, ["\" \""]);
}

// ---------------------------------------------------------------- all kinds

#[test]
fn every_pr_kind_is_skipped_outside_pr_mode_and_documented() {
    let pr_kinds: Vec<&str> = warden::rules::REGISTRY
        .iter()
        .filter(|k| k.scope == warden::rules::Scope::Pr)
        .map(|k| k.id)
        .collect();
    assert_eq!(
        pr_kinds,
        [
            "pr-issue-link",
            "pr-allowed-paths",
            "pr-checklist",
            "pr-title",
            "pr-branch-name",
            "pr-branch-flow",
            "pr-size",
            "pr-co-change",
            "pr-labels"
        ]
    );
    for kind in warden::rules::REGISTRY
        .iter()
        .filter(|k| k.id.starts_with("pr-"))
    {
        assert!(kind.doc.contains("exempt_authors"), "{}", kind.id);
        // The example in each kind's documentation is a valid policy.
        let example = kind
            .doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("{} has no TOML example", kind.id));
        let policy = policy::load_text("example.toml", example)
            .unwrap_or_else(|e| panic!("{} example: {:#?}", kind.id, e.errors));
        let no_pr = Facts::from_texts(&[], "2026-11-22T12:00:00Z".parse().unwrap());
        for evaluation in engine::evaluate(&policy, &no_pr, false) {
            assert!(matches!(evaluation, Evaluation::Skipped(_)), "{}", kind.id);
        }
    }
}
