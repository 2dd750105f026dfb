//! Test helpers: real git repositories built with git2 in a temp dir, and the CLI.
#![allow(dead_code)]

pub mod issues;

use std::path::{Path, PathBuf};

use git2::{IndexEntry, IndexTime, Oid, Repository, Signature, Time};

/// A real git repository in a temporary directory.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init(dir.path()).expect("git init");
        TestRepo { dir, repo }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file in the working tree (creating parent directories) and stage it.
    pub fn write(&self, path: &str, content: &str) -> &Self {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
        self.stage(path);
        self
    }

    /// Write a file in the working tree without staging it.
    pub fn write_untracked(&self, path: &str, content: &str) -> &Self {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
        self
    }

    pub fn stage(&self, path: &str) -> &Self {
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        let _ = std::fs::remove_file(self.path().join(path));
        let mut index = self.repo.index().unwrap();
        index.remove_path(Path::new(path)).unwrap();
        index.write().unwrap();
        self
    }

    /// Stage a symlink (mode 120000) whose target text is `target`, as git records it,
    /// and create it in the working tree too (on unix).
    pub fn symlink(&self, path: &str, target: &str) -> &Self {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(&full);
            std::os::unix::fs::symlink(target, &full).unwrap();
        }
        let oid = self.repo.blob(target.as_bytes()).unwrap();
        let mut index = self.repo.index().unwrap();
        index
            .add(&IndexEntry {
                ctime: IndexTime::new(0, 0),
                mtime: IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o120000,
                uid: 0,
                gid: 0,
                file_size: target.len() as u32,
                id: oid,
                flags: path.len().min(0xfff) as u16,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })
            .unwrap();
        index.write().unwrap();
        self
    }

    /// Commit the index with author and committer time `when` (a date `YYYY-MM-DD` or
    /// RFC 3339), so age rules can be tested against back-dated history.
    pub fn commit_at(&self, message: &str, when: &str) -> Oid {
        let ts: jiff::Timestamp = if when.len() == 10 {
            format!("{when}T12:00:00Z").parse().unwrap()
        } else {
            when.parse().unwrap()
        };
        let sig =
            Signature::new("Test", "test@example.com", &Time::new(ts.as_second(), 0)).unwrap();
        let mut index = self.repo.index().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .unwrap()
    }

    pub fn commit(&self, message: &str) -> Oid {
        self.commit_at(message, "2026-11-01")
    }
}

/// The warden binary, run in `dir`, with a fixed clock and no colour.
pub fn warden(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("warden").unwrap();
    cmd.current_dir(dir)
        .env("WARDEN_NOW", "2026-11-22T12:00:00Z")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_EVENT_PATH");
    cmd
}

pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// The rule outcome with `id` in a JSON report.
pub fn rule<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no rules in {report:#}"))
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in {report:#}"))
}

/// `warden check --format json ARGS` in `dir`: the exit code and the parsed report.
pub fn check(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = warden(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// What `warden check --format json` said in a repository: exit code, report (null on a
/// policy error, exit 2) and standard error.
pub struct Run {
    pub code: i32,
    pub report: serde_json::Value,
    pub stderr: String,
}

pub fn check_repo(repo: &TestRepo) -> Run {
    let out = warden(repo.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = if code == 2 {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    };
    Run {
        code,
        report,
        stderr,
    }
}

/// A report over hand-built rule outcomes, as `warden check` would collect it (fixed
/// clock and version, so renderers can be tested without running anything).
pub fn report_of(root: &str, rules: Vec<warden::report::RuleOutcome>) -> warden::report::Report {
    use warden::report::{Report, Summary, Tool, SCHEMA_URL, SCHEMA_VERSION};
    Report {
        schema: SCHEMA_URL,
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "warden",
            version: "0.0.0-test",
        },
        mode: "check",
        root: root.to_string(),
        now: "2026-11-22T12:00:00Z".to_string(),
        policy: vec!["warden.toml".to_string()],
        summary: Summary::of(&rules, warden::engine::FailOn::Deny),
        rules,
        github_api: None,
        pull_request: None,
        baseline: None,
        change: None,
    }
}
