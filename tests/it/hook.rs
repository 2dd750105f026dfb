//! `warden hook install` / `uninstall` on real repositories: where git reads hooks
//! (linked worktrees, core.hooksPath), the recorded binary, what the hook prints, the
//! staged policy, and never writing through a symlink.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{warden, TestRepo};

const ALLOWLIST: &str =
    "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

fn installed(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["hook", "install"];
    args.extend_from_slice(extra);
    warden(dir).args(&args).output().unwrap()
}

/// Run a hook as git does (from the top of the work tree), with a PATH without warden.
fn run_hook(hook: &Path, dir: &Path) -> (i32, String, String) {
    let output = Command::new("sh")
        .arg(hook)
        .current_dir(dir)
        .env("PATH", "/usr/bin:/bin")
        .env("WARDEN_NOW", "2026-11-22T12:00:00Z")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn git_hooks_path(dir: &Path) -> Option<PathBuf> {
    let output = Command::new("git")
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .current_dir(dir)
        .output()
        .ok()?;
    output.status.success().then(|| {
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
            .canonicalize()
            .unwrap()
    })
}

#[test]
fn in_a_linked_worktree_the_hook_goes_where_git_reads_it() {
    let repo = TestRepo::new();
    repo.write("README.md", "x");
    repo.commit("first");
    let parent = tempfile::tempdir().unwrap();
    let linked = parent.path().join("linked");
    repo.repo.worktree("linked", &linked, None).unwrap();

    let output = installed(&linked, &[]);
    assert!(output.status.success(), "{output:?}");
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(
        hook.is_file(),
        "the common git dir's hooks, shared by worktrees"
    );
    assert!(!repo.path().join(".git/worktrees/linked/hooks").exists());
    if let Some(git) = git_hooks_path(&linked) {
        assert_eq!(git, hook.parent().unwrap().canonicalize().unwrap());
    }
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = TestRepo::new();
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", ".githooks")
        .unwrap();
    let output = installed(repo.path(), &[]);
    assert!(output.status.success(), "{output:?}");
    let hook = repo.path().join(".githooks/pre-commit");
    assert!(hook.is_file());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    if let Some(git) = git_hooks_path(repo.path()) {
        assert_eq!(git, hook.parent().unwrap().canonicalize().unwrap());
    }
}

#[test]
fn the_hook_runs_the_recorded_warden_prints_one_line_and_judges_the_staged_policy() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write("warden.toml", ALLOWLIST);
    repo.commit("policy");
    assert!(installed(repo.path(), &[]).status.success());
    let hook = repo.path().join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_warden"))
        .canonicalize()
        .unwrap();
    assert!(
        text.contains(&format!("warden='{}'", binary.display())),
        "the absolute path is recorded:\n{text}"
    );
    assert!(text.contains("check --staged"));

    // Clean commit: one line.
    repo.write("docs/a.md", "x");
    let (code, stdout, stderr) = run_hook(&hook, repo.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("warden: no gaps"), "{stdout}");

    // A gap: the report, and the commit is refused, even when an unstaged edit of the
    // policy would allow it.
    repo.write("notes/b.md", "x");
    repo.write_untracked(
        "warden.toml",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"**\"]\n",
    );
    let (code, stdout, stderr) = run_hook(&hook, repo.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("notes/b.md"), "{stderr}");
    assert!(stderr.contains("blocking gaps found"), "{stderr}");
}

#[test]
fn a_hook_whose_warden_is_gone_says_so() {
    let repo = TestRepo::new();
    let hook = repo.path().join("pre-commit");
    std::fs::write(
        &hook,
        warden::effects::hook::script(Some(Path::new("/nonexistent/bin/warden"))),
    )
    .unwrap();
    let (code, _, stderr) = run_hook(&hook, repo.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("warden is not at /nonexistent/bin/warden and not on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("warden hook uninstall"), "{stderr}");
}

#[test]
fn uninstall_removes_only_wardens_hook_and_restores_the_one_kept_aside() {
    let repo = TestRepo::new();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nnpx lint-staged\n").unwrap();

    // Foreign hook: refused without --force, and uninstall leaves it alone.
    let output = installed(repo.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    let output = warden(repo.path())
        .args(["hook", "uninstall"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("lint-staged"));

    // --force keeps it aside; uninstall puts it back.
    assert!(installed(repo.path(), &["--force"]).status.success());
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains(warden::effects::hook::MARKER));
    assert!(
        std::fs::read_to_string(hooks.join(warden::effects::hook::BACKUP))
            .unwrap()
            .contains("lint-staged")
    );
    let output = warden(repo.path())
        .args(["hook", "uninstall"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("put back"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nnpx lint-staged\n"
    );
    assert!(!hooks.join(warden::effects::hook::BACKUP).exists());

    // Without a backup, uninstall just removes warden's hook.
    std::fs::remove_file(&hook).unwrap();
    assert!(installed(repo.path(), &[]).status.success());
    assert!(warden(repo.path())
        .args(["hook", "uninstall"])
        .output()
        .unwrap()
        .status
        .success());
    assert!(!hook.exists());
}

#[test]
fn force_never_writes_through_a_symlink() {
    let repo = TestRepo::new();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("shared-hook");
    std::fs::write(&target, "#!/bin/sh\necho shared\n").unwrap();
    let hook = hooks.join("pre-commit");
    std::os::unix::fs::symlink(&target, &hook).unwrap();

    assert_eq!(installed(repo.path(), &[]).status.code(), Some(2));
    assert!(installed(repo.path(), &["--force"]).status.success());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "#!/bin/sh\necho shared\n",
        "the link's target is untouched"
    );
    let meta = std::fs::symlink_metadata(&hook).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the hook is a file of its own now"
    );
    let backup = hooks.join(warden::effects::hook::BACKUP);
    assert!(std::fs::symlink_metadata(&backup)
        .unwrap()
        .file_type()
        .is_symlink());
    // And uninstall puts the link itself back.
    assert!(warden(repo.path())
        .args(["hook", "uninstall"])
        .output()
        .unwrap()
        .status
        .success());
    assert!(std::fs::symlink_metadata(&hook)
        .unwrap()
        .file_type()
        .is_symlink());
}
