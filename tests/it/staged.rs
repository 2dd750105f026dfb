//! `warden check --staged` judges the change, not the repository's history: the rules it
//! cannot run are `skipped`, every built-in pack passes a clean change, gaps that were
//! already there (in HEAD) are listed but do not block, and the policy is the staged one.

use crate::common::{rule, warden, TestRepo};
use serde_json::Value;

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn run(cmd: &mut assert_cmd::Command) -> (i32, Value, String) {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

fn staged(repo: &TestRepo, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", "--staged", "--format", "json"];
    args.extend_from_slice(extra);
    run(warden(repo.path()).args(&args))
}

fn workflow(trigger: &str, steps: &[&str], jobs: &[&str]) -> String {
    let mut text = format!("name: wf\non:\n  {trigger}:\njobs:\n");
    for job in jobs {
        text.push_str(&format!(
            "  {job}:\n    runs-on: ubuntu-latest\n    steps:\n"
        ));
        for step in steps {
            text.push_str(&format!("      - {step}\n"));
        }
    }
    text
}

/// A repository laid out to satisfy the repository rules of the built-in pack `name`.
fn laid_out_for(name: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# project\n")
        .write(".github/CODEOWNERS", "* @team\n")
        .write("src/main.rs", "fn main() {}\n");
    match name {
        "default" => {}
        "governed-delivery" => {
            repo.write("docs/NORTH_STAR.md", "x")
                .write("docs/OPERATING_MODEL.md", "x")
                .write("security/gitleaks-baseline.json", "[]")
                .write(
                    ".github/workflows/ci.yml",
                    &workflow("pull_request", &["run: cargo test"], &["test"]),
                )
                .write(
                    ".github/workflows/docs-policy.yml",
                    &workflow("pull_request", &["run: warden check"], &["docs"]),
                )
                .write(
                    ".github/workflows/gitleaks.yml",
                    &workflow(
                        "pull_request",
                        &["uses: gitleaks/gitleaks-action@v2"],
                        &["scan"],
                    ),
                )
                .write(
                    ".github/workflows/ai-config.yml",
                    &workflow("pull_request", &["run: node validate.js"], &["hitl"]),
                );
        }
        "mojo-solo" => {
            repo.write(
                ".github/CODEOWNERS",
                "* @team\n/docs/SDLC-OPS-PLAYBOOK.md @org/devops-lead @org/stack-owners\n",
            )
            .write("docs/SDLC-OPS-PLAYBOOK.md", "x")
            .write("docs/oncall-schedule.md", "x")
            .write("docs/templates/postmortem.md", "x")
            .write(".github/dependabot.yml", "version: 2\n")
            .write("docs/api/openapi.yaml", "openapi: 3.0.0\n")
            .symlink(
                ".claude/CLAUDE-ORG-RULES.mdc",
                "../../organisation-rules/CLAUDE-ORG-RULES.mdc",
            )
            .write(
                ".github/workflows/required-ci.yml",
                &workflow(
                    "pull_request",
                    &[
                        "run: npx eslint .",
                        "run: npx tsc --noEmit",
                        "run: npm test",
                    ],
                    &["checks"],
                ),
            )
            .write(
                ".github/workflows/security-scan.yml",
                &workflow(
                    "pull_request",
                    &["uses: gitleaks/gitleaks-action@v2"],
                    &["scan"],
                ),
            )
            .write(
                ".github/workflows/e2e-playwright.yml",
                &workflow("pull_request", &["run: npx playwright test"], &["e2e"]),
            )
            .write(
                ".github/workflows/storybook-build.yml",
                &workflow("pull_request", &["run: npm run build-storybook"], &["sb"]),
            )
            .write(
                ".github/workflows/build-artifact.yml",
                &workflow("push", &["run: npm run build"], &["build"]),
            );
        }
        other => panic!("no layout for builtin:{other}: add one to this test"),
    }
    repo.commit("laid out");
    repo
}

#[test]
fn every_builtin_pack_passes_a_clean_staged_change() {
    for name in warden::policy::builtin::names() {
        let repo = laid_out_for(name);
        repo.write("src/main.rs", "fn main() { println!(\"hi\"); }\n")
            .write("docs/guide.md", "a new page\n");
        let pack = format!("builtin:{name}");
        let (code, report, stderr) = staged(&repo, &["--policy", &pack]);
        assert_eq!(code, 0, "{pack}: {report:#}\n{stderr}");
        for outcome in report["rules"].as_array().unwrap() {
            assert_ne!(outcome["outcome"], "error", "{pack}: {outcome:#}");
            assert_ne!(outcome["outcome"], "fail", "{pack}: {outcome:#}");
            if ["branch-protection", "repo-settings", "workflow-health"]
                .contains(&outcome["kind"].as_str().unwrap())
            {
                assert_eq!(outcome["outcome"], "skipped", "{pack}: {outcome:#}");
                assert!(
                    outcome["reason"].as_str().unwrap().contains("--staged"),
                    "{outcome:#}"
                );
            }
        }
        assert_eq!(report["summary"]["blocking"], false);
        assert_eq!(report["change"]["before"], "HEAD");
    }
}

#[test]
fn github_rules_are_skipped_in_staged_mode_even_with_gaps_elsewhere() {
    // The governed-delivery pack on a bare repository: its GitHub rules must not turn into
    // "not gathered" errors that refuse every commit.
    let repo = TestRepo::new();
    repo.write("README.md", "x");
    repo.commit("first");
    repo.write("README.md", "y");
    let (code, report, _) = staged(&repo, &["--policy", "builtin:governed-delivery"]);
    assert_eq!(report["summary"]["error"], 0, "{report:#}");
    assert_eq!(rule(&report, "main-protection")["outcome"], "skipped");
    assert_eq!(code, 0, "every gap there is old: {report:#}");
    assert!(report["summary"]["existing"].as_u64().unwrap() > 0);
}

#[test]
fn gaps_already_in_head_are_listed_but_do_not_block() {
    let repo = TestRepo::new();
    repo.write("notes/old.md", "old gap").write(
        "warden.toml",
        &format!("{ALLOWLIST}\n[[rule]]\nid = \"guide\"\nkind = \"required-files\"\npaths = [\"docs/guide.md\"]\n"),
    );
    repo.commit("old gaps");
    // Touching a file that was already a gap, and an unrelated one.
    repo.write("notes/old.md", "edited").write("README.md", "x");
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 0, "{report:#}");
    let docs = rule(&report, "docs-allowlist");
    assert_eq!(docs["findings"][0]["path"], "notes/old.md");
    assert_eq!(docs["findings"][0]["change"], "existing");
    assert_eq!(rule(&report, "guide")["findings"][0]["change"], "existing");
    assert_eq!(report["summary"]["existing"], 2);
    assert_eq!(report["summary"]["deny"], 0);

    // The human report lists them compactly.
    let human = warden(repo.path())
        .args(["check", "--staged"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("already there before this change, not blocking (2"),
        "{text}"
    );
    assert!(text.contains("docs-allowlist: notes/old.md"), "{text}");

    // --fail-on-existing makes them block.
    let (code, report, _) = staged(&repo, &["--fail-on-existing"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["deny"], 2);
    assert_eq!(report["change"]["fail_on_existing"], true);

    // A gap the change brings is new, and blocks.
    repo.write("notes/new.md", "new gap");
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 1);
    let findings = rule(&report, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let marks: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        marks,
        [("notes/new.md", "new"), ("notes/old.md", "existing")]
    );
    assert_eq!(report["summary"]["deny"], 1);
}

#[test]
fn a_tree_gap_the_commit_makes_is_new() {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("docs/guide.md", "x")
        .write(
            "warden.toml",
            "[[rule]]\nid = \"guide\"\nkind = \"required-files\"\npaths = [\"docs/guide.md\"]\n",
        );
    repo.commit("complete");
    // Removing a required file: HEAD had it, so the gap is the commit's.
    repo.remove("docs/guide.md");
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rule(&report, "guide")["findings"][0]["change"], "new");
}

#[test]
fn workflow_contents_before_the_change_come_from_head() {
    let policy = "[[rule]]\nid = \"wf\"\nkind = \"required-workflows\"\n[[rule.workflow]]\nfile = \"ci.yml\"\non = [\"pull_request\"]\n";
    let repo = TestRepo::new();
    repo.write("warden.toml", policy).write(
        ".github/workflows/ci.yml",
        &workflow("pull_request", &["run: make"], &["test"]),
    );
    repo.commit("good workflow");
    // The commit breaks the workflow: the gap is new.
    repo.write(
        ".github/workflows/ci.yml",
        &workflow("push", &["run: make"], &["test"]),
    );
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rule(&report, "wf")["findings"][0]["change"], "new");

    // Once committed, a later unrelated change leaves it as it was: existing.
    repo.commit("broke it");
    repo.write("README.md", "x");
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "wf")["findings"][0]["change"], "existing");
}

#[test]
fn unused_waivers_are_reported_only_on_the_whole_tree() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write(
        "warden.toml",
        &format!("{ALLOWLIST}\n[[waiver]]\nrule = \"docs-allowlist\"\npath = \"legacy/**\"\nreason = \"migration\"\n"),
    );
    repo.write("legacy/a.md", "x");
    repo.commit("waived gap");
    repo.write("README.md", "y");
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 0);
    let waivers = rule(&report, "waivers");
    assert_eq!(
        waivers["findings"].as_array().unwrap().len(),
        0,
        "the staged change does not touch legacy/: {waivers:#}"
    );
    // The whole-tree check still sees the waiver used; removing the gap makes it unused.
    repo.remove("legacy/a.md");
    repo.commit("gap gone");
    let (_, report, _) = run(warden(repo.path()).args(["check", "--format", "json"]));
    assert!(rule(&report, "waivers")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("matched no gap"));
}

#[test]
fn the_staged_policy_judges_not_an_unstaged_edit() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("policy");
    repo.write("notes/new.md", "x");
    // Loosening the policy without staging it changes nothing.
    repo.write_untracked(
        "warden.toml",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"**\"]\n",
    );
    let (code, report, _) = staged(&repo, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["policy"][0], "warden.toml");
    // Staged, the new policy is the commit's own.
    repo.stage("warden.toml");
    let (code, _, _) = staged(&repo, &[]);
    assert_eq!(code, 0);
}

#[test]
fn sarif_and_markdown_mark_new_and_existing_gaps() {
    let repo = TestRepo::new();
    repo.write("notes/old.md", "x")
        .write("warden.toml", ALLOWLIST);
    repo.commit("old gap");
    repo.write("notes/new.md", "x")
        .write("notes/old.md", "edited");
    let output = warden(repo.path())
        .args(["check", "--staged", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let states: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("notes/new.md".to_string(), "new".to_string()),
            ("notes/old.md".to_string(), "unchanged".to_string())
        ]
    );
    let output = warden(repo.path())
        .args(["check", "--staged", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("_(new)_"), "{text}");
    assert!(text.contains("_(already there)_"), "{text}");
    assert!(text.contains("Compared with HEAD"), "{text}");
    // A whole-tree check marks nothing.
    let (_, report, _) = run(warden(repo.path()).args(["check", "--format", "json"]));
    assert!(rule(&report, "docs-allowlist")["findings"][0]
        .get("change")
        .is_none());
    assert!(report.get("change").is_none());
}
