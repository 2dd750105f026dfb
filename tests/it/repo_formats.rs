//! Repositories warden cannot read are named, never misread as a plain directory: bare,
//! SHA-256 and reftable repositories made with the `git` command line in temp dirs.
//! A git too old for a format skips that case with a printed reason.

use std::path::Path;
use std::process::Command;

use crate::common::warden;

const POLICY: &str = r#"
[[rule]]
id = "readme"
kind = "required-files"
paths = ["README.md"]
"#;

/// `git ARGS` in `dir`; `Err` with git's answer when it fails (or git is missing).
fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A repository made by `git init INIT_ARGS` with a README and a policy committed, or
/// `None` (with the reason printed) when this git cannot make it.
fn repo_with(init_args: &[&str]) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["init", "--quiet"];
    args.extend_from_slice(init_args);
    args.push(".");
    if let Err(e) = git(dir.path(), &args) {
        eprintln!("skipped: `git {}` failed here: {e}", args.join(" "));
        return None;
    }
    std::fs::write(dir.path().join("README.md"), "# hi\n").unwrap();
    std::fs::write(dir.path().join("warden.toml"), POLICY).unwrap();
    git(dir.path(), &["add", "."]).unwrap();
    git(dir.path(), &["commit", "--quiet", "-m", "init"]).unwrap();
    Some(dir)
}

fn refused(dir: &Path, policy: Option<&Path>) -> String {
    let mut cmd = warden(dir);
    cmd.args(["check", "--format", "json"]);
    if let Some(policy) = policy {
        cmd.arg("--policy").arg(policy);
    }
    let out = cmd.assert().code(2);
    let output = out.get_output();
    assert!(
        output.stdout.is_empty(),
        "no report for a repository not read"
    );
    // miette wraps long messages: join the lines back.
    String::from_utf8_lossy(&output.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_sha256_repository_is_named_not_misread() {
    let Some(repo) = repo_with(&["--object-format=sha256"]) else {
        return;
    };
    let stderr = refused(repo.path(), None);
    assert!(stderr.contains("SHA-256 repository"), "{stderr}");
    assert!(stderr.contains("objectFormat = sha256"), "{stderr}");
}

#[test]
fn a_reftable_repository_is_named_not_misread() {
    let Some(repo) = repo_with(&["--ref-format=reftable"]) else {
        return;
    };
    let stderr = refused(repo.path(), None);
    assert!(stderr.contains("stores its refs as reftable"), "{stderr}");
    // Also from a subdirectory of the checkout.
    std::fs::create_dir(repo.path().join("sub")).unwrap();
    let stderr = refused(
        &repo.path().join("sub"),
        Some(&repo.path().join("warden.toml")),
    );
    assert!(stderr.contains("reftable"), "{stderr}");
}

#[test]
fn a_bare_repository_is_named_not_walked() {
    let Some(work) = repo_with(&[]) else {
        return;
    };
    let bare = tempfile::tempdir().unwrap();
    let url = work.path().to_str().unwrap().to_string();
    git(bare.path(), &["clone", "--quiet", "--bare", &url, "b.git"]).unwrap();
    let policy = work.path().join("warden.toml");
    let stderr = refused(&bare.path().join("b.git"), Some(&policy));
    assert!(stderr.contains("is a bare repository"), "{stderr}");
    // And from inside it (its `refs` directory), where a walk used to list git's files.
    let stderr = refused(&bare.path().join("b.git/refs"), Some(&policy));
    assert!(stderr.contains("is a bare repository"), "{stderr}");
}

#[test]
fn an_ordinary_repository_is_still_checked() {
    let Some(repo) = repo_with(&[]) else {
        return;
    };
    warden(repo.path())
        .args(["check", "--format", "json"])
        .assert()
        .code(0);
}
