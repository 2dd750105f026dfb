//! Command-line conventions: completions, the man page, `-q` and colour.

use crate::common::{warden, TestRepo};

fn stdout_of(args: &[&str]) -> String {
    let repo = TestRepo::new();
    let output = warden(repo.path()).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn bash_completions_name_the_subcommands() {
    let script = stdout_of(&["completions", "bash"]);
    for sub in [
        "check",
        "pr",
        "sweep",
        "merge",
        "explain",
        "pre-commit",
        "completions",
        "man",
    ] {
        assert!(script.contains(sub), "no `{sub}` in the bash completions");
    }
    assert!(
        script.contains("complete -F"),
        "not a bash completion script"
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("warden"), "{shell}: {script}");
        assert!(script.contains("sweep"), "{shell}: no subcommand");
    }
}

#[test]
fn man_page_is_roff_with_the_subcommands() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH warden"), "{page}");
    for sub in ["check", "sweep", "explain", "completions"] {
        assert!(page.contains(sub), "no `{sub}` in the man page");
    }
}

const BAD_POLICY: &str = "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\"]\nalow = 1\n";

/// A repository whose policy has an unknown key: a miette diagnostic, exit code 2.
fn diagnostic_with(env: &[(&str, &str)], args: &[&str]) -> String {
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("warden.toml", BAD_POLICY);
    let mut cmd = warden(repo.path());
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env("TERM", "xterm-256color");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = cmd.arg("check").args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn clicolor_force_colours_policy_diagnostics() {
    let stderr = diagnostic_with(&[("CLICOLOR_FORCE", "1")], &[]);
    assert!(stderr.contains("alow"), "{stderr}");
    assert!(stderr.contains("\u{1b}["), "no colour: {stderr}");
}

#[test]
fn no_color_wins_over_clicolor_force() {
    let stderr = diagnostic_with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], &[]);
    assert!(stderr.contains("alow"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "coloured: {stderr}");
}

#[test]
fn color_flag_decides_diagnostics_and_report() {
    let stderr = diagnostic_with(&[], &["--color", "always"]);
    assert!(stderr.contains("\u{1b}["), "no colour: {stderr}");
    let stderr = diagnostic_with(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]);
    assert!(!stderr.contains('\u{1b}'), "coloured: {stderr}");
    // Not a terminal, nothing set: no colour.
    let stderr = diagnostic_with(&[], &[]);
    assert!(!stderr.contains('\u{1b}'), "coloured: {stderr}");

    let repo = TestRepo::new();
    repo.write("README.md", "x").write("notes/x.md", "x").write(
        "warden.toml",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\"]\n",
    );
    let out = warden(repo.path())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}["));
}

/// An organisation sweep of two repositories through a local server: with `-q` (given
/// before or after the subcommand) the per-repository progress lines are gone, the
/// report and the exit code are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_drops_progress_but_keeps_report_and_exit_code() {
    use crate::org_sweep::{policy_text, serve, RepoSpec, ORG};
    let server = serve(&[RepoSpec::new("alpha"), RepoSpec::new("beta")]).await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("warden.toml"), policy_text()).unwrap();
    let dir = work.path().to_path_buf();
    let uri = server.uri();
    let runs = tokio::task::spawn_blocking(move || {
        let run = |quiet: &[&str]| {
            let output = assert_cmd::Command::cargo_bin("warden")
                .unwrap()
                .current_dir(&dir)
                .env_remove("GITHUB_TOKEN")
                .env("WARDEN_NOW", "2026-11-22T12:00:00Z")
                .env("WARDEN_RETRY_BACKOFF_MS", "1")
                .args(quiet.iter().take_while(|a| **a == "-q"))
                .args(["sweep", "--org", ORG, "--api-url", &uri, "--no-cache"])
                .args(["--format", "json", "--report", "org.md"])
                .args(quiet.iter().skip_while(|a| **a == "-q"))
                .output()
                .unwrap();
            (
                output.status.code(),
                String::from_utf8(output.stdout).unwrap(),
                String::from_utf8(output.stderr).unwrap(),
            )
        };
        (run(&[]), run(&["-q"]), run(&["--quiet"]))
    })
    .await
    .unwrap();
    let (loud, quiet, long) = runs;
    assert!(
        loud.2.contains("alpha"),
        "progress lines expected: {}",
        loud.2
    );
    for q in [&quiet, &long] {
        assert_eq!(q.0, loud.0, "exit code unchanged");
        assert_eq!(q.2, "", "nothing on stderr with -q");
        let report: serde_json::Value = serde_json::from_str(&q.1).unwrap();
        assert_eq!(report["repositories"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn quiet_is_accepted_on_every_command() {
    let repo = TestRepo::new();
    repo.write("README.md", "x");
    for args in [
        &["-q", "check"][..],
        &["check", "--quiet"],
        &["rules", "-q"],
        &["explain", "docs-allowlist", "-q"],
        &["schema", "policy", "-q"],
        &["completions", "fish", "-q"],
        &["man", "-q"],
    ] {
        let output = warden(repo.path()).args(args).output().unwrap();
        // `check` may find gaps (1) in this bare repository; a usage error would be 2.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {output:?}"
        );
        assert!(!output.stdout.is_empty(), "{args:?}: no output");
    }
}

#[test]
fn summary_view_counts_gaps_per_rule_and_lists_the_first_n() {
    let repo = TestRepo::new();
    repo.write("README.md", "x").write(
        "warden.toml",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"warden.toml\"]\n",
    );
    for i in 0..8 {
        repo.write(&format!("notes/n{i}.md"), "x");
    }
    let full = warden(repo.path()).arg("check").output().unwrap();
    let summary = warden(repo.path())
        .args(["check", "--summary", "3"])
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1));
    assert_eq!(summary.status.code(), Some(1), "exit code unchanged");
    let full = String::from_utf8(full.stdout).unwrap();
    let text = String::from_utf8(summary.stdout).unwrap();
    assert_eq!(full.matches("deny: notes/n").count(), 8, "{full}");
    assert_eq!(text.matches("deny: notes/n").count(), 3, "{text}");
    assert!(text.contains("[8 gaps]"), "{text}");
    assert!(text.contains("… and 5 more"), "{text}");
    // The verdict line is the same in both views.
    assert_eq!(full.lines().last(), text.lines().last());
    // Bare --summary lists five.
    let five = warden(repo.path())
        .args(["check", "--summary"])
        .output()
        .unwrap();
    let five = String::from_utf8(five.stdout).unwrap();
    assert_eq!(five.matches("deny: notes/n").count(), 5, "{five}");
}
