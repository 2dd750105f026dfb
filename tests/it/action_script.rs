//! The GitHub Action's shell logic (`scripts/action.sh`, called by `action.yml`) in a
//! simulated runner: `RUNNER_*` and `GITHUB_*` variables pointing into a temp dir, a
//! release served from a local HTTP server on 127.0.0.1, stubs for `cargo` (never really
//! compiles) and, where flags are checked, for `warden`; the real warden otherwise.
//! Hermetic: a cleared environment, no network beyond the loopback server.
#![cfg(unix)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use crate::common::TestRepo;

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const TOKEN: &str = "ghs_not-a-real-token-3f9a";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------- simulated runner

/// A runner's temp dir, step files and a directory of stub commands put first on PATH.
struct Runner {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    path_prefix: Vec<PathBuf>,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["temp", "stubs", "log"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for file in ["output", "summary", "path", "event.json"] {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        let p = |name: &str| dir.path().join(name).display().to_string();
        let env: HashMap<String, String> = [
            ("HOME", p("temp")),
            ("LANG", "C".to_string()),
            ("GITHUB_ACTIONS", "true".to_string()),
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("RUNNER_TEMP", p("temp")),
            ("GITHUB_OUTPUT", p("output")),
            ("GITHUB_STEP_SUMMARY", p("summary")),
            ("GITHUB_PATH", p("path")),
            ("GITHUB_EVENT_PATH", p("event.json")),
            ("GITHUB_EVENT_NAME", "push".to_string()),
            ("GITHUB_ACTION_PATH", repo_root().display().to_string()),
            ("GITHUB_ACTION_REPOSITORY", "acme/warden".to_string()),
            ("GITHUB_REPOSITORY", "acme/app".to_string()),
            ("GITHUB_SERVER_URL", "http://127.0.0.1:9".to_string()),
            // Nothing listens on the discard port: a stray API call fails at once.
            ("GITHUB_API_URL", "http://127.0.0.1:9".to_string()),
            ("STUB_LOG", p("log")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let stubs = dir.path().join("stubs");
        Runner {
            dir,
            env,
            path_prefix: vec![stubs],
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.to_string(), value.into());
        self
    }

    /// Put the real, freshly built warden on PATH.
    fn with_real_warden(&mut self) -> &mut Self {
        self.path_prefix
            .push(Path::new(WARDEN).parent().unwrap().to_path_buf());
        self
    }

    /// A stub command in the stubs directory (first on PATH).
    fn stub(&self, name: &str, script: &str) {
        let path = self.path("stubs").join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// `cargo` that records its arguments and "installs" a warden stub under `--root`.
    fn stub_cargo(&self) {
        self.stub(
            "cargo",
            r#"#!/bin/sh
printf '%s\n' "$@" > "$STUB_LOG/cargo-args"
root=""; prev=""
for a in "$@"; do [ "$prev" = --root ] && root=$a; prev=$a; done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "warden 0.0.0-from-source"\n' > "$root/bin/warden"
chmod +x "$root/bin/warden"
"#,
        );
    }

    fn cargo_args(&self) -> Option<Vec<String>> {
        std::fs::read_to_string(self.path("log/cargo-args"))
            .ok()
            .map(|s| s.lines().map(str::to_string).collect())
    }

    fn run(&self, args: &[&str], cwd: &Path) -> Output {
        let mut path: Vec<String> = self
            .path_prefix
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(str::to_string));
        Command::new("bash")
            .arg(repo_root().join("scripts/action.sh"))
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(&self.env)
            .env("PATH", path.join(":"))
            .output()
            .unwrap()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// The step outputs written to GITHUB_OUTPUT (single-line `key=value` form).
    fn outputs(&self) -> HashMap<String, String> {
        self.read("output")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

// ------------------------------------------------------------- fake release server

/// Serves fixed files over HTTP/1.1 on 127.0.0.1 (404 for anything else) and records the
/// paths asked for. The thread lives as long as the test process.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
    authorizations: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(files: HashMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen_auth = Arc::clone(&authorizations);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" || header == "\n" => break,
                        Ok(_) => {
                            if let Some((name, value)) = header.split_once(':') {
                                if name.eq_ignore_ascii_case("authorization") {
                                    seen_auth.lock().unwrap().push(value.trim().to_string());
                                }
                            }
                        }
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push(path.clone());
                let (status, body) = match files.get(&path) {
                    Some(body) => ("200 OK", body.clone()),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
                let _ = stream.flush();
            }
        });
        Server {
            base,
            requests,
            authorizations,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn authorizations(&self) -> Vec<String> {
        self.authorizations.lock().unwrap().clone()
    }
}

const STUB_WARDEN: &str = "#!/bin/sh\necho \"warden 9.9.9-release\"\n";

/// A release archive holding a stub warden, as docs/examples/release.yml packages it.
fn archive(dir: &Path, asset: &str, exe: &str) -> Vec<u8> {
    let stage = dir.join(format!("stage-{asset}"));
    std::fs::create_dir_all(&stage).unwrap();
    let bin = stage.join(exe);
    std::fs::write(&bin, STUB_WARDEN).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(stage.join("LICENSE"), "MIT\n").unwrap();
    let out = dir.join(asset);
    let status = if asset.ends_with(".zip") {
        Command::new("python3")
            .args(["-m", "zipfile", "-c"])
            .arg(&out)
            .args([exe, "LICENSE"])
            .current_dir(&stage)
            .status()
            .unwrap()
    } else {
        Command::new("tar")
            .arg("-czf")
            .arg(&out)
            .args(["-C"])
            .arg(&stage)
            .args([exe, "LICENSE"])
            .status()
            .unwrap()
    };
    assert!(status.success(), "could not build {asset}");
    std::fs::read(out).unwrap()
}

fn sha256_hex(bytes: &[u8], dir: &Path) -> String {
    let file = dir.join("to-hash");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("sha256sum")
        .arg(&file)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(&file)
                .output()
        })
        .unwrap();
    assert!(out.status.success());
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Serve `asset` (and, unless `checksum` is `None`, `asset.sha256`) under
/// `/acme/warden/releases/download/TAG/`.
fn release_server(
    runner: &Runner,
    tag: &str,
    asset: &str,
    exe: &str,
    checksum: Option<&dyn Fn(&str) -> String>,
) -> Server {
    Server::start(release_files(runner, tag, asset, exe, checksum))
}

fn release_files(
    runner: &Runner,
    tag: &str,
    asset: &str,
    exe: &str,
    checksum: Option<&dyn Fn(&str) -> String>,
) -> HashMap<String, Vec<u8>> {
    let bytes = archive(runner.path("temp").parent().unwrap(), asset, exe);
    let sha = sha256_hex(&bytes, runner.dir.path());
    let dir = if tag == "latest" {
        "/acme/warden/releases/latest/download".to_string()
    } else {
        format!("/acme/warden/releases/download/{tag}")
    };
    let mut files = HashMap::new();
    files.insert(format!("{dir}/{asset}"), bytes);
    if let Some(checksum) = checksum {
        files.insert(format!("{dir}/{asset}.sha256"), checksum(&sha).into_bytes());
    }
    files
}

fn sha256sum_line(asset: &'static str) -> impl Fn(&str) -> String {
    move |sha: &str| format!("{sha}  {asset}\n")
}

fn point_at(runner: &mut Runner, server: &Server, version: &str) {
    runner
        .set(
            "WARDEN_DOWNLOAD_BASE",
            format!("{}/acme/warden/releases/download", server.base),
        )
        .set("WARDEN_ACTION_REF", version);
}

// ---------------------------------------------------------------- target mapping

#[test]
fn target_maps_each_supported_runner_to_its_triple_and_asset() {
    let cases = [
        (
            "Linux",
            "X64",
            "x86_64-unknown-linux-musl",
            "warden-x86_64-unknown-linux-musl.tar.gz",
        ),
        (
            "Linux",
            "ARM64",
            "aarch64-unknown-linux-musl",
            "warden-aarch64-unknown-linux-musl.tar.gz",
        ),
        (
            "macOS",
            "X64",
            "x86_64-apple-darwin",
            "warden-x86_64-apple-darwin.tar.gz",
        ),
        (
            "macOS",
            "ARM64",
            "aarch64-apple-darwin",
            "warden-aarch64-apple-darwin.tar.gz",
        ),
        (
            "Windows",
            "X64",
            "x86_64-pc-windows-msvc",
            "warden-x86_64-pc-windows-msvc.zip",
        ),
    ];
    for (os, arch, triple, asset) in cases {
        let mut runner = Runner::new();
        runner.set("RUNNER_OS", os).set("RUNNER_ARCH", arch);
        let out = runner.run(&["target"], repo_root());
        assert!(out.status.success(), "{os}/{arch}: {}", describe(&out));
        assert_eq!(text(&out.stdout).trim(), triple, "{os}/{arch}");
        let out = runner.run(&["asset"], repo_root());
        assert!(out.status.success(), "{os}/{arch}: {}", describe(&out));
        assert_eq!(text(&out.stdout).trim(), asset, "{os}/{arch}");
    }
}

#[test]
fn an_unsupported_runner_fails_clearly() {
    for (os, arch) in [("Linux", "ARM"), ("Windows", "ARM64"), ("FreeBSD", "X64")] {
        let mut runner = Runner::new();
        runner.set("RUNNER_OS", os).set("RUNNER_ARCH", arch);
        let out = runner.run(&["target"], repo_root());
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(out.stdout.is_empty() || text(&out.stdout).starts_with("::error"));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("no prebuilt warden for runner {os}/{arch}"))
                && stderr.contains(
                    "supported: Linux/X64, Linux/ARM64, macOS/X64, macOS/ARM64, Windows/X64"
                ),
            "{stderr}"
        );
    }
}

// ----------------------------------------------------------------------- install

const LINUX_ASSET: &str = "warden-x86_64-unknown-linux-musl.tar.gz";

#[test]
fn install_downloads_the_release_and_verifies_its_checksum() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let checksum = sha256sum_line(LINUX_ASSET);
    let server = release_server(&runner, "v9.9.9", LINUX_ASSET, "warden", Some(&checksum));
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("checksum verified"),
        "{}",
        describe(&out)
    );
    let outputs = runner.outputs();
    assert_eq!(outputs["installed-from"], "release");
    assert_eq!(outputs["version"], "9.9.9-release");
    let bin = PathBuf::from(&outputs["bin"]);
    assert!(bin.starts_with(runner.path("temp")), "{}", bin.display());
    assert_eq!(bin.file_name().unwrap(), "warden");
    let ran = Command::new(&bin).output().unwrap();
    assert_eq!(text(&ran.stdout).trim(), "warden 9.9.9-release");
    assert_eq!(
        runner.read("path").trim(),
        bin.parent().unwrap().display().to_string(),
        "the binary's directory goes on GITHUB_PATH"
    );
    assert_eq!(runner.cargo_args(), None, "no build from source");
    assert_eq!(
        server.requests(),
        [
            format!("/acme/warden/releases/download/v9.9.9/{LINUX_ASSET}"),
            format!("/acme/warden/releases/download/v9.9.9/{LINUX_ASSET}.sha256"),
        ]
    );
}

#[test]
fn install_refuses_a_tampered_checksum_and_does_not_fall_back() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let tampered = |sha: &str| {
        let flipped = if sha.starts_with('0') { "1" } else { "0" };
        format!("{flipped}{}  {LINUX_ASSET}\n", &sha[1..])
    };
    let server = release_server(&runner, "v9.9.9", LINUX_ASSET, "warden", Some(&tampered));
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("checksum mismatch for warden-x86_64-unknown-linux-musl.tar.gz"),
        "{}",
        describe(&out)
    );
    assert!(text(&out.stdout).contains("::error title=warden action::checksum mismatch"));
    assert_eq!(
        runner.cargo_args(),
        None,
        "a bad checksum never falls back to a build"
    );
    assert!(!runner.outputs().contains_key("bin"));
    assert!(!runner.path("temp/warden-action/bin/warden").exists());
}

#[test]
fn install_refuses_a_release_without_its_checksum_file() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let server = release_server(&runner, "v9.9.9", LINUX_ASSET, "warden", None);
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("refusing to install an unverified binary"),
        "{}",
        describe(&out)
    );
    assert_eq!(runner.cargo_args(), None);
}

#[test]
fn install_refuses_a_checksum_of_another_file() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let other = |sha: &str| format!("{sha}  warden-aarch64-apple-darwin.tar.gz\n");
    let server = release_server(&runner, "v9.9.9", LINUX_ASSET, "warden", Some(&other));
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("is the checksum of warden-aarch64-apple-darwin.tar.gz"));
}

#[test]
fn a_missing_asset_falls_back_to_cargo_install_from_the_action_source() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let server = Server::start(HashMap::new());
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    let args = runner.cargo_args().expect("cargo was called");
    let root = runner
        .path("temp/warden-action/cargo")
        .display()
        .to_string();
    let action_path = repo_root().display().to_string();
    assert_eq!(
        args,
        [
            "install",
            "--locked",
            "--path",
            &action_path,
            "--root",
            &root,
            "--bin",
            "warden"
        ]
    );
    let outputs = runner.outputs();
    assert_eq!(outputs["installed-from"], "source");
    assert_eq!(outputs["version"], "0.0.0-from-source");
    assert_eq!(outputs["bin"], format!("{root}/bin/warden"));
    assert_eq!(
        server.requests(),
        [format!(
            "/acme/warden/releases/download/v9.9.9/{LINUX_ASSET}"
        )]
    );
}

#[test]
fn install_release_only_fails_instead_of_building() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let server = Server::start(HashMap::new());
    point_at(&mut runner, &server, "v9.9.9");
    runner.set("WARDEN_INSTALL", "release");

    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("install: release, but no release asset"));
    assert_eq!(runner.cargo_args(), None);
}

#[test]
fn without_cargo_a_missing_asset_says_what_to_do() {
    let mut runner = Runner::new();
    let server = Server::start(HashMap::new());
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cargo is not installed"), "{stderr}");
    assert!(stderr.contains("Rust toolchain"), "{stderr}");
}

#[test]
fn a_commit_or_branch_ref_builds_from_source() {
    // A commit has no release: no download is even tried.
    let mut runner = Runner::new();
    runner.stub_cargo();
    let server = Server::start(HashMap::new());
    point_at(
        &mut runner,
        &server,
        "0123456789abcdef0123456789abcdef01234567",
    );
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(runner.cargo_args().is_some());
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(text(&out.stderr).contains("is a commit"));

    // A branch is tried as a tag, found missing, and built.
    let mut runner = Runner::new();
    runner.stub_cargo();
    point_at(&mut runner, &server, "main");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(runner.cargo_args().is_some());
}

#[test]
fn an_explicit_version_wins_over_the_action_ref_and_latest_uses_the_latest_release() {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let checksum = sha256sum_line(LINUX_ASSET);
    let server = release_server(&runner, "latest", LINUX_ASSET, "warden", Some(&checksum));
    point_at(&mut runner, &server, "main");
    runner.set("WARDEN_VERSION", " latest\n");

    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "release");
    assert_eq!(
        server.requests()[0],
        format!("/acme/warden/releases/latest/download/{LINUX_ASSET}")
    );
}

#[test]
fn a_local_action_builds_from_source_unless_a_version_is_given() {
    // `uses: ./`: no action repository and no ref.
    let mut runner = Runner::new();
    runner.stub_cargo();
    runner.env.remove("GITHUB_ACTION_REPOSITORY");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(runner.cargo_args().is_some());
    assert!(text(&out.stderr).contains("repository is unknown"));

    // With `version`, the releases of the repository the workflow runs in.
    let mut runner = Runner::new();
    runner.stub_cargo();
    runner.env.remove("GITHUB_ACTION_REPOSITORY");
    runner.set("GITHUB_REPOSITORY", "acme/warden");
    let checksum = sha256sum_line(LINUX_ASSET);
    let server = release_server(&runner, "v9.9.9", LINUX_ASSET, "warden", Some(&checksum));
    point_at(&mut runner, &server, "");
    runner.set("WARDEN_VERSION", "v9.9.9");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "release");
    assert_eq!(runner.cargo_args(), None);
}

// ------------------------------------------------------------- moving tags (@v1)

const RELEASES_API: &str = "/repos/acme/warden/releases?per_page=100";

/// GET /repos/acme/warden/releases as GitHub answers it: the `release-items` example of
/// @octokit/openapi (fixtures/github/release-items.json), one copy per (tag, draft,
/// prerelease). Each body quotes a newer tag, as release notes may: it must not count.
fn releases_json(releases: &[(&str, bool, bool)]) -> Vec<u8> {
    let example: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("fixtures/github/release-items.json")).unwrap(),
    )
    .unwrap();
    let items: Vec<serde_json::Value> = releases
        .iter()
        .map(|&(tag, draft, prerelease)| {
            let mut item = example[0].clone();
            item["tag_name"] = tag.into();
            item["name"] = tag.into();
            item["draft"] = draft.into();
            item["prerelease"] = prerelease.into();
            item["body"] =
                r#"Not a release: "tag_name": "v1.99.0", "draft": false, "prerelease": false"#
                    .into();
            item
        })
        .collect();
    // Compact, as api.github.com sends it.
    serde_json::to_vec(&items).unwrap()
}

const RELEASES: &[(&str, bool, bool)] = &[
    ("v2.0.0", false, false),
    ("v1.12.0", true, false),      // a draft
    ("v1.11.0", false, true),      // a prerelease
    ("v1.11.0-rc.1", false, true), // a prerelease tag
    ("v1.10.0", false, false),     // the newest v1: 10 > 9 by number, not by text
    ("v1.9.3", false, false),
    ("v1.9.0", false, false),
];

/// A release server with the releases list and `tag`'s assets, the action used at `at`.
fn moving_tag_runner(tag: &str, at: &str) -> (Runner, Server) {
    let mut runner = Runner::new();
    runner.stub_cargo();
    let checksum = sha256sum_line(LINUX_ASSET);
    let mut files = release_files(&runner, tag, LINUX_ASSET, "warden", Some(&checksum));
    files.insert(RELEASES_API.to_string(), releases_json(RELEASES));
    let server = Server::start(files);
    point_at(&mut runner, &server, at);
    runner.set("GITHUB_API_URL", server.base.clone());
    (runner, server)
}

#[test]
fn a_major_tag_installs_the_newest_release_under_it() {
    let (mut runner, server) = moving_tag_runner("v1.10.0", "v1");
    runner.set("WARDEN_TOKEN", TOKEN);
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "release");
    assert_eq!(runner.cargo_args(), None, "no build from source");
    assert_eq!(
        server.requests(),
        [
            RELEASES_API.to_string(),
            format!("/acme/warden/releases/download/v1.10.0/{LINUX_ASSET}"),
            format!("/acme/warden/releases/download/v1.10.0/{LINUX_ASSET}.sha256"),
        ]
    );
    assert!(
        text(&out.stderr).contains("v1 is v1.10.0, the newest release under it"),
        "{}",
        describe(&out)
    );
    // The token authenticates the listing (rate limits), and is never printed.
    assert_eq!(server.authorizations(), [format!("Bearer {TOKEN}")]);
    assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));
}

#[test]
fn a_minor_tag_installs_the_newest_patch_under_it() {
    let (runner, server) = moving_tag_runner("v1.9.3", "v1.9");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "release");
    assert_eq!(
        server.requests()[1],
        format!("/acme/warden/releases/download/v1.9.3/{LINUX_ASSET}")
    );
    assert!(server.authorizations().is_empty(), "no token, no header");
}

#[test]
fn a_major_tag_without_a_release_builds_from_source_or_fails_with_install_release() {
    // v3: nothing published under it.
    let (runner, server) = moving_tag_runner("v1.10.0", "v3");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "source");
    assert!(runner.cargo_args().is_some());
    assert_eq!(server.requests(), [RELEASES_API.to_string()]);
    assert!(
        text(&out.stderr).contains("has no published release under v3"),
        "{}",
        describe(&out)
    );

    let (mut runner, _server) = moving_tag_runner("v1.10.0", "v3");
    runner.set("WARDEN_INSTALL", "release");
    let out = runner.run(&["install"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("install: release, but no release under v3"));
    assert_eq!(runner.cargo_args(), None);
}

#[test]
fn a_major_tag_with_the_api_unreachable_falls_back_to_source() {
    let (mut runner, _server) = moving_tag_runner("v1.10.0", "v1");
    // Nothing listens on the discard port.
    runner.set("GITHUB_API_URL", "http://127.0.0.1:9");
    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(runner.outputs()["installed-from"], "source");
    assert!(
        text(&out.stderr).contains("could not list the releases of acme/warden"),
        "{}",
        describe(&out)
    );
}

#[test]
fn install_on_windows_unpacks_the_zip_and_installs_warden_exe() {
    const ZIP: &str = "warden-x86_64-pc-windows-msvc.zip";
    let mut runner = Runner::new();
    runner.stub_cargo();
    runner.set("RUNNER_OS", "Windows");
    let checksum = sha256sum_line(ZIP);
    let server = release_server(&runner, "v9.9.9", ZIP, "warden.exe", Some(&checksum));
    point_at(&mut runner, &server, "v9.9.9");

    let out = runner.run(&["install"], repo_root());
    assert!(out.status.success(), "{}", describe(&out));
    let outputs = runner.outputs();
    assert_eq!(outputs["installed-from"], "release");
    assert!(
        outputs["bin"].ends_with("/warden.exe"),
        "{}",
        outputs["bin"]
    );
}

// --------------------------------------------------------------------------- run

const POLICY: &str = "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n";

/// A repository whose policy has one deny gap: notes/legacy.md outside the allow-list.
fn repo_with_a_gap() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# app\n")
        .write("docs/guide.md", "x\n")
        .write("notes/legacy.md", "x\n")
        .write("warden.toml", POLICY);
    repo
}

#[test]
fn check_mode_runs_warden_check_and_publishes_outputs_and_summary() {
    let repo = repo_with_a_gap();
    let mut runner = Runner::new();
    runner.with_real_warden();
    let sarif = runner.path("temp/warden.sarif");
    runner.set("WARDEN_MODE", "check").set(
        "WARDEN_OUTPUT",
        format!("\n  sarif={}  \n", sarif.display()),
    );

    let out = runner.run(&["run"], repo.path());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("::error file=notes/legacy.md,title=docs-allowlist::"),
        "annotations (format github by default): {stdout}"
    );

    let outputs = runner.outputs();
    assert_eq!(outputs["gaps"], "1");
    assert_eq!(outputs["blocking"], "true");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs["report"]).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["summary"]["gaps"], 1);

    let summary = runner.read("summary");
    assert!(
        summary.starts_with("# warden: governance gaps"),
        "{summary}"
    );
    assert!(summary.contains("**Blocking gaps found.**"), "{summary}");
    assert!(summary.contains("`notes/legacy.md`"), "{summary}");
    assert!(sarif.exists(), "extra --output from the `output` input");
}

#[test]
fn check_mode_passes_flags_through_and_exits_zero_when_nothing_blocks() {
    let repo = repo_with_a_gap();
    let mut runner = Runner::new();
    runner.with_real_warden();
    std::fs::write(runner.path("summary"), "earlier step\n").unwrap();
    runner
        .set("WARDEN_MODE", "check")
        .set("WARDEN_FAIL_ON", "never")
        .set("WARDEN_FORMAT", "human")
        .set(
            "WARDEN_POLICY",
            "builtin:default\n# a comment line\nwarden.toml\n",
        );

    let out = runner.run(&["run"], repo.path());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(!text(&out.stdout).contains("::error"), "format human");
    let outputs = runner.outputs();
    assert_eq!(outputs["blocking"], "false");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs["report"]).unwrap()).unwrap();
    // builtin:default adds its own gaps (no CODEOWNERS, info) to the allow-list's one.
    assert_eq!(outputs["gaps"], report["summary"]["gaps"].to_string());
    assert!(report["summary"]["gaps"].as_u64().unwrap() >= 1);
    let policy = report["policy"].as_array().unwrap();
    assert_eq!(policy.first().unwrap(), "builtin:default", "{policy:?}");
    assert_eq!(policy.last().unwrap(), "warden.toml", "{policy:?}");
    let summary = runner.read("summary");
    assert!(
        summary.starts_with("earlier step\n\n# warden: governance gaps"),
        "appended after what was there: {summary}"
    );
}

#[test]
fn check_mode_with_a_policy_error_exits_two_and_sets_no_outputs() {
    let repo = repo_with_a_gap();
    repo.write("warden.toml", "[[rule]]\nkind = \"no-such-kind\"\n");
    let mut runner = Runner::new();
    runner.with_real_warden();
    runner.set("WARDEN_MODE", "check");

    let out = runner.run(&["run"], repo.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(runner.read("output"), "");
    assert_eq!(runner.read("summary"), "");
}

#[test]
fn auto_mode_is_check_outside_pull_requests() {
    let repo = repo_with_a_gap();
    let mut runner = Runner::new();
    runner.with_real_warden();
    runner.set("GITHUB_EVENT_NAME", "schedule");
    let out = runner.run(&["run"], repo.path());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("mode auto: check"));
    assert_eq!(runner.outputs()["gaps"], "1");
}

#[test]
fn sweep_mode_is_not_available_and_exits_two() {
    // A warden without `sweep` (as this branch's is): no pretending, a clear usage error.
    let mut runner = Runner::new();
    stub_warden(&runner, &[]);
    runner.set("WARDEN_MODE", "sweep");
    let out = runner.run(&["run"], repo_root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr)
            .contains("`warden sweep` is not available in this version of warden (warden 0.1.0)"),
        "{}",
        describe(&out)
    );
    assert!(text(&out.stdout).contains("::error title=warden action::"));
    assert_eq!(runner.read("output"), "");
    assert!(!runner.path("log/warden-args").exists());
}

#[test]
fn sweep_mode_calls_warden_sweep_once_it_exists() {
    let mut runner = Runner::new();
    stub_warden(&runner, &["sweep"]);
    runner.set("WARDEN_MODE", "sweep");
    let out = runner.run(&["run"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let args = std::fs::read_to_string(runner.path("log/warden-args")).unwrap();
    assert!(args.starts_with("sweep\n--format\ngithub\n"), "{args}");
    assert!(args.ends_with("--fail-on\ndeny\n.\n"), "{args}");
}

#[test]
fn an_unknown_mode_is_a_usage_error() {
    let mut runner = Runner::new();
    runner.with_real_warden().set("WARDEN_MODE", "deploy");
    let out = runner.run(&["run"], repo_root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains("mode must be auto, check, pr or sweep"));
}

/// A `warden` that has only the given subcommands (besides `--version`), records their
/// arguments and environment, and behaves like warden in Actions: it writes the step
/// outputs and the job summary itself, and exits 1 (blocking gaps).
fn stub_warden(runner: &Runner, subcommands: &[&str]) {
    let cases: String = subcommands
        .iter()
        .map(|sub| {
            format!(
                r#"{sub})
    [ "${{2:-}}" = --help ] && exit 0
    printf '%s\n' "$@" > "$STUB_LOG/warden-args"
    env > "$STUB_LOG/warden-env"
    json=""; prev=""
    for a in "$@"; do
      case "$prev" in --output) case "$a" in json=*) json=${{a#json=}} ;; esac ;; esac
      prev=$a
    done
    printf '{{\n  "version": 1,\n  "summary": {{\n    "gaps": 2,\n    "blocking": true\n  }}\n}}\n' > "$json"
    printf 'gaps=2\nblocking=true\nreport=%s\n' "$json" >> "$GITHUB_OUTPUT"
    printf '# warden: {sub}\n' >> "$GITHUB_STEP_SUMMARY"
    exit 1 ;;
  "#
            )
        })
        .collect();
    runner.stub(
        "warden",
        &format!(
            r#"#!/bin/sh
case "$1" in
  --version) echo "warden 0.1.0" ;;
  {cases}*) echo "error: unrecognized subcommand '$1'" >&2; exit 2 ;;
esac
"#
        ),
    );
}

#[test]
fn pr_mode_calls_warden_pr_with_the_inputs_and_keeps_its_outputs() {
    let mut runner = Runner::new();
    stub_warden(&runner, &["pr"]);
    runner
        .set("GITHUB_EVENT_NAME", "pull_request_target")
        .set("WARDEN_POLICY", "builtin:governed-delivery")
        .set("WARDEN_COMMENT", "always")
        .set("WARDEN_FAIL_ON", "warn")
        .set("WARDEN_PATH", "app")
        .set("WARDEN_TOKEN", TOKEN);

    let out = runner.run(&["run"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("mode auto: pr (event pull_request_target)"));
    let args: Vec<String> = std::fs::read_to_string(runner.path("log/warden-args"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let json = args
        .iter()
        .find_map(|a| a.strip_prefix("json="))
        .expect("a JSON report is asked for")
        .to_string();
    let markdown = args
        .iter()
        .find_map(|a| a.strip_prefix("markdown="))
        .expect("a Markdown report is asked for")
        .to_string();
    assert_eq!(
        args,
        [
            "pr",
            "--policy",
            "builtin:governed-delivery",
            "--format",
            "github",
            "--output",
            &format!("json={json}"),
            "--output",
            &format!("markdown={markdown}"),
            "--fail-on",
            "warn",
            "--token-env",
            "WARDEN_TOKEN",
            "--comment",
            "always",
            "--path",
            "app",
        ]
    );
    // The token reaches warden through the environment only, never on the command line.
    assert!(!args.iter().any(|a| a.contains(TOKEN)));
    assert!(std::fs::read_to_string(runner.path("log/warden-env"))
        .unwrap()
        .contains(&format!("WARDEN_TOKEN={TOKEN}")));
    assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));

    // warden pr wrote outputs and summary itself: nothing is added twice.
    assert_eq!(
        runner.read("output"),
        format!("gaps=2\nblocking=true\nreport={json}\n")
    );
    assert_eq!(runner.read("summary"), "# warden: pr\n");
}

#[test]
fn pr_mode_with_a_warden_without_pr_exits_two_clearly() {
    let mut runner = Runner::new();
    stub_warden(&runner, &[]);
    runner.set("WARDEN_MODE", "pr");
    let out = runner.run(&["run"], repo_root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr)
            .contains("`warden pr` is not available in this version of warden (warden 0.1.0)"),
        "{}",
        describe(&out)
    );
}

#[test]
fn pr_mode_runs_the_real_warden_pr_on_a_pull_request_event() {
    let repo = repo_with_a_gap();
    let mut runner = Runner::new();
    runner.with_real_warden();
    let event = serde_json::json!({
        "action": "opened",
        "number": 7,
        "pull_request": {
            "number": 7,
            "title": "Add legacy notes",
            "body": "Notes.",
            "draft": false,
            "user": { "login": "octocat" },
            "labels": [],
            "html_url": "https://github.com/acme/app/pull/7",
            "base": { "ref": "main", "sha": "0000000000000000000000000000000000000000",
                      "repo": { "full_name": "acme/app" } },
            "head": { "ref": "notes", "sha": "1111111111111111111111111111111111111111",
                      "repo": { "full_name": "acme/app" } }
        },
        "repository": { "full_name": "acme/app", "name": "app", "owner": { "login": "acme" } }
    });
    std::fs::write(runner.path("event.json"), event.to_string()).unwrap();
    let mut files = HashMap::new();
    files.insert(
        "/repos/acme/app/pulls/7/files?per_page=100".to_string(),
        br#"[{"filename": "notes/legacy.md", "status": "added", "additions": 1, "deletions": 0, "changes": 1}]"#.to_vec(),
    );
    // The PR is judged by the base branch's policy, read at the base commit.
    let mut policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::fixture("github/content-file.json")).unwrap(),
    )
    .unwrap();
    policy["content"] = serde_json::json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        POLICY
    ));
    files.insert(
        "/repos/acme/app/contents/warden.toml?ref=0000000000000000000000000000000000000000"
            .to_string(),
        policy.to_string().into_bytes(),
    );
    let api = Server::start(files);
    runner
        .set("GITHUB_EVENT_NAME", "pull_request")
        .set("GITHUB_API_URL", api.base.clone())
        .set("WARDEN_COMMENT", "never")
        .set("WARDEN_TOKEN", TOKEN);

    let out = runner.run(&["run"], repo.path());
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let outputs = runner.outputs();
    assert_eq!(outputs["blocking"], "true");
    assert!(outputs["gaps"].parse::<u64>().unwrap() >= 1);
    assert!(Path::new(&outputs["report"]).exists());
    assert!(runner.read("summary").contains("notes/legacy.md"));
    assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));
}
