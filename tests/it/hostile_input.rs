//! Hostile input (issue #8): policies come from pull requests and file names from anyone.
//! None of it may read outside the repository, echo a secret, crash warden, flood the
//! terminal, or turn a gap into a pass. Everything here is built in temp dirs.

use std::path::Path;

use crate::common::{check_repo, warden, TestRepo};

/// A secret outside the repository, as a test stands one in for `/proc/self/environ`.
const SECRET: &str = "canary-secret-4f1c9";

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = warden(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node there.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_glob_set_too_large_for_one_globset_still_finds_the_gap() {
    let repo = TestRepo::new();
    let globs: Vec<String> = (0..1500)
        .map(|i| format!("\"**/x{i}-{}\"", "?*".repeat(40)))
        .collect();
    let file = format!("src/x1499-{}", "ab".repeat(40));
    repo.write(
        "warden.toml",
        &format!(
            "[[rule]]\nkind = \"forbidden-files\"\npaths = [{}]\n",
            globs.join(",\n")
        ),
    )
    .write(&file, "x");
    let run = check_repo(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rule = crate::common::rule(&run.report, "forbidden-files");
    assert_eq!(rule["outcome"], "fail", "{rule:#}");
    assert!(rule.to_string().contains(&file));
}

#[test]
fn a_glob_that_cannot_be_compiled_is_a_diagnostic_at_its_span() {
    let repo = TestRepo::new();
    let huge = format!("**/{}", "?*".repeat(5000));
    repo.write(
        "warden.toml",
        &format!("[[rule]]\nkind = \"forbidden-files\"\npaths = [\"ok/*\", \"{huge}\"]\n"),
    );
    let (code, stdout, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("policy::bad-glob"), "{stderr}");
    assert!(stderr.contains("warden.toml:3:18"), "{stderr}");
    assert!(stderr.contains("longer than 8192 characters"), "{stderr}");
}

/// `outer/` holds the secret; the repository is `outer/repo`.
fn repo_next_to_a_secret() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(
        outer.path().join("secret.env"),
        format!("GITHUB_TOKEN = \"{SECRET}\"\n"),
    )
    .unwrap();
    std::fs::write(
        outer.path().join("secret.toml"),
        format!("[[rule]]\nkind = \"{SECRET}\"\n"),
    )
    .unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git2::Repository::init(&repo).unwrap();
    (outer, repo)
}

#[test]
fn extends_may_not_leave_the_repository_and_never_echoes_what_it_would_read() {
    let (outer, repo) = repo_next_to_a_secret();
    let absolute = outer.path().join("secret.toml");
    for target in [
        "../secret.env".to_string(),
        "../secret.toml".to_string(),
        "sub/../../secret.toml".to_string(),
        absolute.display().to_string(),
    ] {
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        std::fs::write(
            repo.join("warden.toml"),
            format!("extends = [{}]\n", toml_string(&target)),
        )
        .unwrap();
        let (code, stdout, stderr) = run(&repo, &["check"]);
        assert_eq!(code, 2, "{target}: {stderr}");
        assert!(stdout.is_empty());
        assert!(!stderr.contains(SECRET), "{target} leaked:\n{stderr}");
        assert!(
            stderr.contains("outside the repository"),
            "{target}: {stderr}"
        );
    }
}

fn toml_string(text: &str) -> String {
    format!("'{text}'")
}

#[test]
fn a_policy_root_named_on_the_command_line_may_be_extended() {
    let (outer, repo) = repo_next_to_a_secret();
    let shared = outer.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(
        shared.join("base.toml"),
        "[[rule]]\nid = \"no-env\"\nkind = \"forbidden-files\"\npaths = [\"**/.env\"]\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("warden.toml"),
        "extends = [\"../shared/base.toml\"]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&repo, &["check", "--offline"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--policy-root"), "{stderr}");
    let (code, stdout, stderr) = run(
        &repo,
        &[
            "check",
            "--offline",
            "--format",
            "json",
            "--policy-root",
            shared.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"no-env\""), "{stdout}");
}

#[test]
fn a_discovered_policy_that_is_a_symlink_out_of_the_repository_is_refused() {
    let (outer, repo) = repo_next_to_a_secret();
    std::os::unix::fs::symlink(outer.path().join("secret.toml"), repo.join("warden.toml")).unwrap();
    let (code, _, stderr) = run(&repo, &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("outside the repository"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_file_that_is_not_a_policy_is_never_quoted() {
    let repo = TestRepo::new();
    repo.write("notes.txt", &format!("password: {SECRET}\n"))
        .write("keys.env", &format!("API_KEY = \"{SECRET}\"\n"))
        .write("warden.toml", "extends = [\"notes.txt\"]\n");
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(stderr.contains("notes.txt:1:11"), "{stderr}");
    // Valid TOML that is not a policy: the unknown key is named by position only.
    repo.write("warden.toml", "extends = [\"keys.env\"]\n");
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(stderr.contains("keys.env:1:1"), "{stderr}");
}

#[test]
fn a_policy_larger_than_the_cap_or_not_a_regular_file_is_refused_unread() {
    let repo = TestRepo::new();
    let big = format!("# {}\n", "x".repeat(3 * 1024 * 1024));
    repo.write_untracked("big.toml", &big)
        .write("warden.toml", "extends = [\"big.toml\"]\n");
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("larger than 2 MiB"), "{stderr}");
    assert!(stderr.len() < 4000, "{} bytes of stderr", stderr.len());
    // A FIFO would block a reader forever.
    mkfifo(&repo.path().join("pipe.toml"));
    repo.write("warden.toml", "extends = [\"pipe.toml\"]\n");
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn an_extends_cycle_spelled_through_a_subdirectory_is_found() {
    let outer = tempfile::tempdir().unwrap();
    let policies = outer.path().join("policies");
    std::fs::create_dir_all(policies.join("sub")).unwrap();
    std::fs::write(policies.join("a.toml"), "extends = [\"sub/../a.toml\"]\n").unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git2::Repository::init(&repo).unwrap();
    let (code, _, stderr) = run(&repo, &["check", "--policy", "../policies/a.toml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cycle"), "{stderr}");
}

#[test]
fn invalid_utf8_in_a_policy_points_at_the_first_bad_byte() {
    let repo = TestRepo::new();
    std::fs::write(
        repo.path().join("warden.toml"),
        b"[[rule]]\nkind = \"forbidden-files\"\npaths = [\"ab\xffc\"]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    assert!(stderr.contains("line 3, column 13"), "{stderr}");
}

#[test]
fn a_diagnostic_past_column_65535_neither_panics_nor_floods() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        &format!(
            "[[rule]]\nkind = \"forbidden-files\"\npaths = [\"a\"]\n{}bogus = 1\n",
            " ".repeat(70_000)
        ),
    );
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("warden.toml:4:70001"), "{stderr}");
    assert!(stderr.len() < 4000, "{} bytes of stderr", stderr.len());
}

#[test]
fn many_problems_on_one_long_line_are_capped() {
    let repo = TestRepo::new();
    let tables: Vec<String> = (0..1500)
        .map(|i| format!("{{kind = \"nope{i}\"}}"))
        .collect();
    repo.write("warden.toml", &format!("rule = [{}]\n", tables.join(", ")));
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the policy has 1500 problems"), "{stderr}");
    assert!(
        stderr.contains("1450 more problems are not shown"),
        "{stderr}"
    );
    assert!(stderr.len() < 64 * 1024, "{} bytes of stderr", stderr.len());
}

#[test]
fn output_goes_only_to_regular_files_and_dash_is_standard_output() {
    let repo = TestRepo::new();
    repo.write("README.md", "x\n");
    let (code, stdout, stderr) = run(repo.path(), &["check", "--output", "json=-"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"rules\""), "{stdout}");
    assert!(!repo.path().join("-").exists());

    let elsewhere = tempfile::tempdir().unwrap();
    let precious = elsewhere.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    std::os::unix::fs::symlink(&precious, repo.path().join("report.json")).unwrap();
    let (code, _, stderr) = run(repo.path(), &["check", "--output", "json=report.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    mkfifo(&repo.path().join("pipe.json"));
    let (code, _, stderr) = run(repo.path(), &["check", "--output", "json=pipe.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    let leftovers: Vec<_> = std::fs::read_dir(repo.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".warden-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// 100 KB of nested flow sequences: yaml_serde took 25 s on it (quadratic in depth).
fn deep_yaml() -> String {
    format!("{}{}\n", "[".repeat(50_000), "]".repeat(50_000))
}

#[test]
fn deeply_nested_yaml_is_an_error_for_file_value_not_a_parse() {
    let repo = TestRepo::new();
    repo.write("deep.yml", &deep_yaml()).write(
        "warden.toml",
        "[[rule]]\nkind = \"file-value\"\nfile = \"deep.yml\"\n\n[[rule.expect]]\nselect = \"a\"\nexists = true\n",
    );
    let run = check_repo(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rule = crate::common::rule(&run.report, "file-value");
    assert_eq!(rule["outcome"], "error", "{rule:#}");
    assert!(rule.to_string().contains("nested too deeply"), "{rule:#}");
}

#[test]
fn a_deeply_nested_workflow_is_refused_before_parsing() {
    let repo = TestRepo::new();
    repo.write(".github/workflows/ci.yml", &deep_yaml()).write(
        "warden.toml",
        "[[rule]]\nkind = \"required-workflows\"\n\n[[rule.workflow]]\nfile = \"ci.yml\"\n",
    );
    let run = check_repo(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rule = crate::common::rule(&run.report, "required-workflows");
    assert_ne!(rule["outcome"], "pass", "{rule:#}");
    assert!(rule.to_string().contains("nested too deeply"), "{rule:#}");
}
