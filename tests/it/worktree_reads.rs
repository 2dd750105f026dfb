//! File text is read only from regular files inside the repository: a tracked file that
//! the working tree replaced by a symlink (to a file outside, or through a symlinked
//! directory) or by a FIFO is an `error` naming it, never followed, never waited on.
//! Everything here lives in temp dirs; no system path or device is touched.

use std::sync::mpsc;
use std::time::Duration;

use crate::common::{rule, warden, TestRepo};
use serde_json::Value;

const POLICY: &str = r#"
[[rule]]
id = "owners"
kind = "required-files"
paths = ["docs/*.md"]
contains = 'NEEDLE'
"#;

/// `warden check --format json` in a thread, given up on after a minute so a hang fails
/// the test instead of stalling the suite (the child is killed by assert_cmd's timeout).
fn check_guarded(repo: &TestRepo) -> (i32, Value) {
    let dir = repo.path().to_path_buf();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let out = warden(&dir)
            .args(["check", "--format", "json"])
            .timeout(Duration::from_secs(50))
            .output()
            .unwrap();
        let _ = send.send(out);
    });
    let out = receive
        .recv_timeout(Duration::from_secs(60))
        .expect("warden hung reading the working tree");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("warden was killed"), report)
}

fn repo_with_docs() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY)
        .write("docs/a.md", "NEEDLE\n")
        .write("docs/b.md", "NEEDLE\n");
    repo.commit("init");
    repo
}

#[cfg(unix)]
#[test]
fn a_tracked_file_replaced_by_a_symlink_outside_is_not_followed() {
    let repo = repo_with_docs();
    // A large file elsewhere that would satisfy the rule if it were read.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("big.txt");
    let mut text = "NEEDLE\n".repeat(4);
    text.push_str(&"x".repeat(4 * 1024 * 1024));
    std::fs::write(&target, text).unwrap();
    std::fs::remove_file(repo.path().join("docs/b.md")).unwrap();
    std::os::unix::fs::symlink(&target, repo.path().join("docs/b.md")).unwrap();

    let (code, report) = check_guarded(&repo);
    let owners = rule(&report, "owners");
    assert_eq!(owners["outcome"], "error", "{owners:#}");
    let reason = owners["reason"].as_str().unwrap();
    assert!(
        reason
            .contains("`docs/b.md`: a symlink in the working tree where git tracks a regular file"),
        "{reason}"
    );
    assert!(!reason.contains("docs/a.md"), "{reason}");
    assert_eq!(code, 1);
}

#[cfg(unix)]
#[test]
fn a_directory_replaced_by_a_symlink_is_not_entered() {
    let repo = repo_with_docs();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("a.md"), "NEEDLE\n").unwrap();
    std::fs::write(outside.path().join("b.md"), "NEEDLE\n").unwrap();
    std::fs::remove_dir_all(repo.path().join("docs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("docs")).unwrap();

    let (_, report) = check_guarded(&repo);
    let owners = rule(&report, "owners");
    assert_eq!(owners["outcome"], "error", "{owners:#}");
    let reason = owners["reason"].as_str().unwrap();
    assert!(
        reason.contains("`docs/a.md`: `docs` is not a directory in the working tree"),
        "{reason}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_tracked_file_is_an_error_not_a_hang() {
    let repo = repo_with_docs();
    let fifo = repo.path().join("docs/b.md");
    std::fs::remove_file(&fifo).unwrap();
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string naming a path inside the test's temp dir.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    let (code, report) = check_guarded(&repo);
    let owners = rule(&report, "owners");
    assert_eq!(owners["outcome"], "error", "{owners:#}");
    let reason = owners["reason"].as_str().unwrap();
    assert!(
        reason.contains("`docs/b.md`: a FIFO in the working tree, not a regular file"),
        "{reason}"
    );
    assert_eq!(code, 1);
}

#[test]
fn many_matched_files_are_each_judged() {
    // Streamed one at a time, the verdicts still line up with their files.
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY);
    for i in 0..200 {
        let text = if i % 37 == 5 {
            "nothing here\n"
        } else {
            "NEEDLE\n"
        };
        repo.write(&format!("docs/{i:03}.md"), text);
    }
    repo.commit("init");
    let (code, report) = check_guarded(&repo);
    let owners = rule(&report, "owners");
    let paths: Vec<&str> = owners["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "docs/005.md",
            "docs/042.md",
            "docs/079.md",
            "docs/116.md",
            "docs/153.md",
            "docs/190.md"
        ]
    );
    assert_eq!(code, 1);
}
