//! `symlink` against real git repositories: links committed as links (mode 120000),
//! copies, wrong and absolute targets, dangling links and targets outside the repository.

use std::path::Path;

use crate::common::{check, rule, warden, TestRepo};
use serde_json::Value;

const LINK: &str = ".claude/CLAUDE-ORG-RULES.mdc";
const ORG: &str = "../../organisation-rules/CLAUDE-ORG-RULES.mdc";

fn messages(rule: &Value) -> Vec<String> {
    rule["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn org_rule(id: &str, must_resolve: Option<bool>) -> String {
    let resolve = must_resolve
        .map(|b| format!("must_resolve = {b}\n"))
        .unwrap_or_default();
    format!("[[rule]]\nid = \"{id}\"\nkind = \"symlink\"\npath = \"{LINK}\"\ntarget = \"{ORG}\"\n{resolve}\n")
}

/// A repository inside a fresh directory, so `../organisation-rules` next to it is ours.
fn repo_with_sibling(sibling: bool) -> (tempfile::TempDir, TestRepo) {
    let org = tempfile::tempdir().unwrap();
    if sibling {
        let rules = org.path().join("organisation-rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("CLAUDE-ORG-RULES.mdc"), "# org rules\n").unwrap();
    }
    let dir = tempfile::TempDir::new_in(org.path()).unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    (org, TestRepo { dir, repo })
}

#[test]
fn the_org_rules_link_passes_in_ci_without_the_sibling_checkout() {
    let (_org, repo) = repo_with_sibling(false);
    repo.symlink(LINK, ORG)
        .write("warden.toml", &org_rule("org-link", Some(false)));
    repo.commit("link org rules");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(rule(&report, "org-link")["outcome"], "pass", "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_declared_outside_target_must_exist_when_it_must_resolve() {
    let (_org, repo) = repo_with_sibling(true);
    repo.symlink(LINK, ORG)
        .write("warden.toml", &org_rule("org-link", None));
    repo.commit("link org rules");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(rule(&report, "org-link")["outcome"], "pass", "{report:#}");
    assert_eq!(code, 0);

    let (_org, repo) = repo_with_sibling(false);
    repo.symlink(LINK, ORG)
        .write("warden.toml", &org_rule("org-link", None));
    repo.commit("link org rules");
    let (code, report) = check(repo.path(), &[]);
    let outcome = rule(&report, "org-link");
    assert_eq!(outcome["outcome"], "fail");
    let finding = &outcome["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("`{LINK}` -> `{ORG}` is dangling")),
        "{message}"
    );
    assert!(
        message.contains(
            "`../organisation-rules/CLAUDE-ORG-RULES.mdc` (from the repository root) does not exist"
        ),
        "{message}"
    );
    assert!(finding["help"]
        .as_str()
        .unwrap()
        .contains("must_resolve = false"));
    assert_eq!(finding["path"], LINK);
    assert_eq!(code, 1);
}

#[test]
fn a_regular_file_copy_is_not_a_symlink() {
    let repo = TestRepo::new();
    repo.write(LINK, "# a copy of the org rules\n")
        .write("warden.toml", &org_rule("org-link", Some(false)));
    repo.commit("copy instead of link");
    let (code, report) = check(repo.path(), &[]);
    let outcome = rule(&report, "org-link");
    assert_eq!(
        messages(outcome),
        [format!(
            "`{LINK}` is committed as a copy, not a symlink to `{ORG}`"
        )]
    );
    let help = outcome["findings"][0]["help"].as_str().unwrap();
    assert!(
        help.contains(&format!("git rm {LINK} && ln -sfn {ORG} {LINK}")),
        "{help}"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_missing_link_and_a_wrong_target_are_told_apart() {
    let repo = TestRepo::new();
    repo.symlink("other/link.md", "../../elsewhere/CLAUDE-ORG-RULES.mdc")
        .write(
            "warden.toml",
            &format!(
                "{}[[rule]]\nid = \"other\"\nkind = \"symlink\"\npath = \"other/link.md\"\ntarget = \"{ORG}\"\nmust_resolve = false\n",
                org_rule("org-link", Some(false))
            ),
        );
    repo.commit("init");
    let (code, report) = check(repo.path(), &[]);
    let missing = rule(&report, "org-link");
    assert_eq!(
        messages(missing),
        [format!(
            "`{LINK}` is missing: it must be a symlink to `{ORG}`"
        )]
    );
    assert!(missing["findings"][0]["help"]
        .as_str()
        .unwrap()
        .contains("mkdir -p .claude && ln -sfn"));
    assert_eq!(
        messages(rule(&report, "other")),
        [format!(
            "`other/link.md` points to `../../elsewhere/CLAUDE-ORG-RULES.mdc`; expected `{ORG}`"
        )]
    );
    assert_eq!(code, 1);
}

#[test]
fn links_inside_the_repository_must_resolve_to_tracked_files() {
    let repo = TestRepo::new();
    repo.write("docs/guide.md", "# guide\n")
        .symlink("AGENTS.md", "docs/guide.md")
        .symlink("docs-link", "docs")
        .symlink("CLAUDE.md", "docs/missing.md")
        .write(
            "warden.toml",
            "[[rule]]\nid = \"agents\"\nkind = \"symlink\"\npath = \"AGENTS.md\"\ntarget = \"docs/guide.md\"\n\n\
             [[rule]]\nid = \"dir\"\nkind = \"symlink\"\npath = \"docs-link\"\ntarget = \"docs\"\n\n\
             [[rule]]\nid = \"claude\"\nkind = \"symlink\"\npath = \"CLAUDE.md\"\ntarget = \"docs/*.md\"\n\n\
             [[rule]]\nid = \"claude-unchecked\"\nkind = \"symlink\"\npath = \"CLAUDE.md\"\ntarget = \"docs/*.md\"\nmust_resolve = false\n",
        );
    repo.commit("links");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(rule(&report, "agents")["outcome"], "pass", "{report:#}");
    assert_eq!(rule(&report, "dir")["outcome"], "pass", "{report:#}");
    assert_eq!(rule(&report, "claude-unchecked")["outcome"], "pass");
    assert_eq!(
        messages(rule(&report, "claude")),
        ["`CLAUDE.md` -> `docs/missing.md` is dangling: `docs/missing.md` is not in the repository"]
    );
    assert_eq!(code, 1);
}

#[test]
fn an_undeclared_outside_target_is_not_followed_and_absolute_targets_are_refused() {
    let repo = TestRepo::new();
    repo.symlink("escape.md", "../../../etc/hostname")
        .symlink("abs.md", "/etc/hostname")
        .write(
            "warden.toml",
            "[[rule]]\nid = \"escape\"\nkind = \"symlink\"\npath = \"escape.md\"\ntarget = \"../**\"\n\n\
             [[rule]]\nid = \"abs\"\nkind = \"symlink\"\npath = \"abs.md\"\ntarget = \"etc/hostname\"\n",
        );
    repo.commit("links");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(
        messages(rule(&report, "escape")),
        ["`escape.md` -> `../../../etc/hostname` points outside the repository (not followed)"]
    );
    let abs = messages(rule(&report, "abs"));
    assert_eq!(abs.len(), 1);
    assert!(
        abs[0].contains("absolute target `/etc/hostname`"),
        "{abs:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn in_staged_mode_the_whole_index_is_judged() {
    let repo = TestRepo::new();
    repo.write("README.md", "hi\n")
        .write("warden.toml", &org_rule("org-link", Some(false)));
    repo.commit("init");
    // The commit being made touches only the README; the link is still required, but
    // its absence was there before the commit: listed, not blocking.
    repo.write("README.md", "hello\n");
    let (code, report) = check(repo.path(), &["--staged"]);
    assert_eq!(report["mode"], "staged");
    assert_eq!(rule(&report, "org-link")["outcome"], "fail");
    assert_eq!(
        rule(&report, "org-link")["findings"][0]["change"],
        "existing"
    );
    assert_eq!(code, 0);
    let (code, _) = check(repo.path(), &["--staged", "--fail-on-existing"]);
    assert_eq!(code, 1);

    repo.symlink(LINK, ORG);
    let (code, report) = check(repo.path(), &["--staged"]);
    assert_eq!(rule(&report, "org-link")["outcome"], "pass", "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn bad_configuration_is_a_policy_error_with_spans() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"a\"\nkind = \"symlink\"\npath = \".claude/*.mdc\"\ntarget = \"/abs/x\"\nmust_resolve = \"no\"\n\n\
         [[rule]]\nid = \"b\"\nkind = \"symlink\"\npath = \"x\"\n",
    );
    let out = warden(repo.path()).arg("check").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for expected in [
        "`path` of rule `symlink` must be a plain repository path",
        "warden.toml:4:8",
        "`target` of rule `symlink` must be relative",
        "`must_resolve` in rule `symlink` must be true or false",
        "warden.toml:6:16",
        "rule `symlink` needs `target`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn explain_teaches_the_rule_and_the_ci_setting() {
    let out = warden(Path::new("."))
        .args(["explain", "symlink"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for expected in [
        "## What it checks",
        "must_resolve = false",
        "mojo-solo",
        ORG,
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
