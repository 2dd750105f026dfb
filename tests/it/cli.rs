//! The command line end to end on real git repositories: discovery, layering, waivers,
//! `--staged`, the hook, exit codes and output hygiene.

use std::process::{Command, Stdio};

use crate::common::{rule, warden, TestRepo};
use serde_json::Value;

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn json(cmd: &mut assert_cmd::Command) -> (i32, Value) {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), value)
}

#[test]
fn waived_gap_is_shown_as_waived_and_does_not_block() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("notes/legacy.md", "x").write(
        "warden.toml",
        &format!("{ALLOWLIST}\n[[waiver]]\nrule = \"docs-allowlist\"\npath = \"notes/legacy.md\"\nreason = \"docs migration, #42\"\nexpires = 2026-12-31\n"),
    );
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 0);
    let docs = rule(&report, "docs-allowlist");
    assert_eq!(docs["outcome"], "waived");
    assert_eq!(
        docs["findings"][0]["waived"]["reason"],
        "docs migration, #42"
    );
    assert_eq!(docs["findings"][0]["waived"]["origin"]["line"], 5);
    assert_eq!(rule(&report, "waivers")["outcome"], "pass");
    assert_eq!(report["summary"]["waived_findings"], 1);
}

#[test]
fn expired_waiver_is_a_gap_at_its_line_and_stops_waiving() {
    let repo = TestRepo::new();
    repo.write("notes/legacy.md", "x").write(
        "warden.toml",
        &format!("{ALLOWLIST}\n[[waiver]]\nrule = \"docs-allowlist\"\nreason = \"old\"\nexpires = 2026-01-31\n"),
    );
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 1);
    assert_eq!(rule(&report, "docs-allowlist")["outcome"], "fail");
    let waivers = rule(&report, "waivers");
    assert_eq!(waivers["outcome"], "fail");
    let finding = &waivers["findings"][0];
    assert_eq!(finding["level"], "deny");
    assert_eq!(finding["path"], "warden.toml");
    assert_eq!(finding["line"], 5);
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("expired on 2026-01-31"));
}

#[test]
fn unused_waiver_is_a_warning() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write(
        "warden.toml",
        &format!("{ALLOWLIST}\n[[waiver]]\nrule = \"docs-allowlist\"\npath = \"gone/**\"\nreason = \"old\"\n"),
    );
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 0, "a warning does not block by default");
    let finding = &rule(&report, "waivers")["findings"][0];
    assert_eq!(finding["level"], "warn");
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("matched no gap"));
    // --fail-on warn makes warnings block.
    let (code, _) =
        json(warden(repo.path()).args(["check", "--format", "json", "--fail-on", "warn"]));
    assert_eq!(code, 1);
}

#[test]
fn later_layer_switches_a_rule_off_and_changes_a_level() {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/a.md", "x")
        .write("key.pem", "x")
        .write("base/policy.toml", &format!("extends = [\"builtin:default\"]\n\n{ALLOWLIST}"))
        .write(
            "warden.toml",
            "extends = [\"base/policy.toml\"]\n\n[[rule]]\nid = \"docs-allowlist\"\nlevel = \"warn\"\n\n[[rule]]\nid = \"no-secrets-files\"\nlevel = \"off\"\n",
        );
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "docs-allowlist")["level"], "warn");
    assert!(report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != "no-secrets-files"));
    let sources: Vec<&str> = report["policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(sources.last(), Some(&"warden.toml"));
    assert!(sources.contains(&"builtin:default"));
}

#[test]
fn extends_cycle_is_refused() {
    let repo = TestRepo::new();
    repo.write("a.toml", "extends = [\"b.toml\"]\n")
        .write("b.toml", "extends = [\"a.toml\"]\n");
    let output = warden(repo.path())
        .args(["check", "--policy", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cycle"));
}

#[test]
fn discovery_prefers_warden_toml_then_dot_github_then_the_default_pack() {
    let repo = TestRepo::new();
    repo.write("notes/a.md", "x").write("README.md", "x");
    let (_, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(report["policy"][0], "builtin:default");

    repo.write(".github/warden.toml", ALLOWLIST);
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(report["policy"][0], ".github/warden.toml");
    assert_eq!(code, 1);

    repo.write(
        "warden.toml",
        "[[rule]]\nkind = \"forbidden-files\"\npaths = [\"*.pem\"]\n",
    );
    let (code, report) = json(warden(repo.path()).args(["check", "--format", "json"]));
    assert_eq!(report["policy"][0], "warden.toml");
    assert_eq!(code, 0);
}

#[test]
fn staged_mode_judges_only_what_the_commit_changes() {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/old.md", "x")
        .write("warden.toml", ALLOWLIST);
    repo.commit("old gap");
    repo.write("notes/new.md", "x");
    let (code, report) = json(warden(repo.path()).args(["check", "--staged", "--format", "json"]));
    assert_eq!(code, 1);
    assert_eq!(report["mode"], "staged");
    let findings = rule(&report, "docs-allowlist")["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["path"], "notes/new.md");

    // An unstaged file is not part of the commit.
    repo.remove("notes/new.md");
    repo.write_untracked("notes/untracked.md", "x");
    let (code, _) = json(warden(repo.path()).args(["check", "--staged", "--format", "json"]));
    assert_eq!(code, 0);
}

#[test]
fn staged_mode_skips_history_rules_and_works_before_the_first_commit() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        &format!(
            "{ALLOWLIST}\n[[rule]]\nkind = \"planning-doc-ttl\"\npaths = [\"docs/planning/**\"]\n"
        ),
    )
    .write("docs/planning/a.md", "x");
    let (code, report) = json(warden(repo.path()).args(["check", "--staged", "--format", "json"]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "planning-doc-ttl")["outcome"], "skipped");
}

#[test]
fn staged_mode_outside_git_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = warden(dir.path())
        .args(["check", "--staged"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs a git repository"));
}

#[test]
fn outside_git_the_file_list_comes_from_a_walk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/a.md"), "x").unwrap();
    std::fs::write(dir.path().join("warden.toml"), ALLOWLIST).unwrap();
    let (code, report) = json(warden(dir.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 1);
    assert_eq!(
        rule(&report, "docs-allowlist")["findings"][0]["path"],
        "notes/a.md"
    );
}

#[test]
fn hook_install_writes_refuses_foreign_hooks_and_forces() {
    let repo = TestRepo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    warden(repo.path())
        .args(["hook", "install"])
        .assert()
        .success();
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("check --staged"));
    // Re-installing over our own hook is fine.
    warden(repo.path())
        .args(["hook", "install"])
        .assert()
        .success();

    std::fs::write(&hook, "#!/bin/sh\nnpx lint-staged\n").unwrap();
    let output = warden(repo.path())
        .args(["hook", "install"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("lint-staged"),
        "foreign hook kept"
    );

    warden(repo.path())
        .args(["hook", "install", "--force"])
        .assert()
        .success();
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("check --staged"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_ne!(
            std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
            0
        );
    }
}

#[test]
fn bad_now_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    warden(dir.path())
        .args(["check", "--now", "yesterday"])
        .assert()
        .code(2);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let repo = TestRepo::new();
    repo.write("notes/a.md", "x")
        .write("warden.toml", ALLOWLIST);
    let plain = warden(repo.path()).arg("check").output().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
    let coloured = warden(repo.path())
        .args(["check", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\x1b'));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let repo = TestRepo::new();
    for i in 0..1500 {
        repo.write_untracked(
            &format!("notes/{i:04}-a-rather-long-file-name-to-fill-the-pipe.md"),
            "x",
        );
    }
    let mut index = repo.repo.index().unwrap();
    index
        .add_all(["notes"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    repo.write("warden.toml", ALLOWLIST);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .current_dir(repo.path())
        .args(["check", "--fail-on", "never"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn rules_and_explain_document_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let listed = warden(dir.path()).arg("rules").output().unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    for kind in warden::rules::REGISTRY {
        assert!(listed.contains(kind.id));
        let doc = warden(dir.path())
            .args(["explain", kind.id])
            .output()
            .unwrap();
        let doc = String::from_utf8(doc.stdout).unwrap();
        assert!(doc.contains("## How to fix"), "{}", kind.id);
    }
    warden(dir.path())
        .args(["explain", "nope"])
        .assert()
        .code(2);
    let pack = warden(dir.path())
        .args(["explain", "builtin:mojo-solo"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&pack.stdout).contains("CLAUDE-ORG-RULES.mdc"));
}

#[test]
fn every_builtin_pack_loads() {
    for name in warden::policy::builtin::names() {
        let refs = [warden::policy::PolicyRef::Builtin(name.to_string())];
        if let Err(errors) = warden::policy::load(&refs) {
            panic!(
                "builtin:{name} does not load: {:?}",
                miette::Report::new(errors)
            );
        }
    }
}

#[test]
fn a_rule_the_base_policy_locks_cannot_be_switched_off_or_redefined() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write(
        "org/base.toml",
        "[[rule]]\nid = \"no-secrets\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\noverridable = false\n",
    );
    repo.write(
        "warden.toml",
        "extends = [\"org/base.toml\"]\n\n[[rule]]\nid = \"no-secrets\"\nlevel = \"off\"\n",
    );
    let output = warden(repo.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rule `no-secrets` cannot be changed here"),
        "{stderr}"
    );
    assert!(
        stderr.contains("org/base.toml:1 declares it with `overridable = false`"),
        "{stderr}"
    );

    repo.write(
        "warden.toml",
        "extends = [\"org/base.toml\"]\n\n[[rule]]\nid = \"no-secrets\"\nkind = \"forbidden-files\"\npaths = [\"nothing\"]\n",
    );
    assert_eq!(
        warden(repo.path())
            .arg("check")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );

    // Without the lock, the same override is fine.
    repo.write(
        "org/base.toml",
        "[[rule]]\nid = \"no-secrets\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\n",
    );
    assert_eq!(
        warden(repo.path())
            .arg("check")
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
}
