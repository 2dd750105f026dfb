//! The pre-commit framework, for real: `pre-commit` from PyPI runs warden's hooks as
//! `.pre-commit-hooks.yaml` defines them (with `language: system` and warden's absolute
//! path, so nothing is built). `--all-files` must really check, a clean commit must pass
//! despite old gaps, and a ref range judges the commits in it.
//!
//! Without `pre-commit` on PATH the test says it is skipped, unless
//! WARDEN_REQUIRE_PRECOMMIT=1 (CI sets it), and then it fails.

use std::path::Path;
use std::process::Command;

use crate::common::TestRepo;

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn have_pre_commit() -> bool {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("WARDEN_REQUIRE_PRECOMMIT").is_ok_and(|v| v == "1") {
            panic!("pre-commit is not on PATH and WARDEN_REQUIRE_PRECOMMIT=1: install it (python3 -m pip install pre-commit)");
        }
        eprintln!("SKIPPED precommit tests: `pre-commit` is not on PATH (set WARDEN_REQUIRE_PRECOMMIT=1 to make this a failure)");
    }
    found
}

/// `.pre-commit-config.yaml` running the hooks of warden's own `.pre-commit-hooks.yaml`
/// as a local repository: same ids, entries and arguments, the binary by absolute path.
fn config() -> String {
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let binary = env!("CARGO_BIN_EXE_warden");
    let mut out = String::from("repos:\n- repo: local\n  hooks:\n");
    for line in hooks.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let line = line
            .replace("entry: warden ", &format!("entry: {binary} "))
            .replace("language: rust", "language: system");
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
    assert!(out.contains("id: warden-check"), "{out}");
    out
}

fn pre_commit(repo: &TestRepo, home: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new("pre-commit")
        .args(args)
        .current_dir(repo.path())
        .env("HOME", home)
        .env("PRE_COMMIT_HOME", home.join("cache"))
        .env("XDG_CACHE_HOME", home.join("xdg"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("WARDEN_NOW", "2026-11-22T12:00:00Z")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn pre_commit_runs_wardens_hooks_on_the_change_all_files_and_ref_ranges() {
    if !have_pre_commit() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("notes/old.md", "a gap from before")
        .write("warden.toml", ALLOWLIST)
        .write(".pre-commit-config.yaml", &config());
    let base = repo.commit("base with an old gap").to_string();

    // A clean commit passes, whatever was there before.
    repo.write("docs/guide.md", "fine");
    let (code, out) = pre_commit(&repo, home.path(), &["run", "warden"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Passed"), "{out}");

    // --all-files really checks: the old gap fails it.
    let (code, out) = pre_commit(&repo, home.path(), &["run", "warden", "--all-files"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("notes/old.md"), "{out}");

    // The whole-tree hook fails on it too.
    let (code, out) = pre_commit(&repo, home.path(), &["run", "warden-check", "--all-files"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("notes/old.md"), "{out}");

    // A staged new gap fails the commit.
    repo.write("notes/new.md", "x");
    let (code, out) = pre_commit(&repo, home.path(), &["run", "warden"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("notes/new.md"), "{out}");

    // A ref range: the commits between the refs are judged, their new gap blocks, the
    // old one (outside the range) is not theirs.
    let head = repo.commit("adds a gap").to_string();
    let (code, out) = pre_commit(
        &repo,
        home.path(),
        &[
            "run",
            "warden",
            "--hook-stage",
            "pre-push",
            "--from-ref",
            &base,
            "--to-ref",
            &head,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("notes/new.md"), "{out}");
    assert!(!out.contains("notes/old.md"), "{out}");
}
