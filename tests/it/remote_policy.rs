//! `extends = ["github:ORG/REPO/PATH@REF"]`: an organisation's base policy read through the
//! contents API (wiremock on 127.0.0.1, the recorded `content-file.json` shape), locked
//! rules enforced, and the last copy used offline.

use crate::common::{fixture, rule, warden, TestRepo};
use base64::Engine;
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BASE: &str = "[[rule]]\nid = \"no-secrets\"\nkind = \"forbidden-files\"\npaths = [\"**/*.pem\"]\noverridable = false\n";

fn content_answer(text: &str) -> Value {
    let mut answer: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("github/content-file.json")).unwrap(),
    )
    .unwrap();
    // GitHub wraps base64 at 60 columns with newlines.
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    answer["content"] = Value::String(wrapped.join("\n"));
    answer["path"] = Value::String("policies/base.toml".into());
    answer
}

fn run(repo: &TestRepo, args: &[&str], envs: &[(&str, &str)]) -> (i32, Value, String) {
    run_in(repo.path(), args, envs)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_org_base_policy_is_fetched_enforced_and_cached_for_offline_runs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/repos/my-org/organisation-rules/contents/policies/base.toml",
        ))
        .and(query_param("ref", "main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_answer(BASE)))
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.write("README.md", "x")
        .write("key.pem", "secret")
        .write(
            "warden.toml",
            "extends = [\"github:my-org/organisation-rules/policies/base.toml@main\"]\n",
        );
    repo.commit("init");
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap().to_string();
    let uri = server.uri();

    let (dir, cache_c) = (repo.path().to_path_buf(), cache_dir.clone());
    let (code, report, stderr) = tokio::task::spawn_blocking(move || {
        run_in(
            &dir,
            &["--api-url", &uri, "--cache-dir", &cache_c],
            &[("GITHUB_TOKEN", "t")],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        report["policy"][0],
        "github:my-org/organisation-rules/policies/base.toml@main"
    );
    assert_eq!(
        rule(&report, "no-secrets")["findings"][0]["path"],
        "key.pem"
    );

    // Offline, the copy fetched before is used.
    let (code, report, stderr) = run(&repo, &["--offline", "--cache-dir", &cache_dir], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(rule(&report, "no-secrets")["outcome"], "fail");

    // Offline with no copy: a policy error, not a silently smaller policy.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(
        &repo,
        &["--offline", "--cache-dir", empty.path().to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no copy was fetched before"), "{stderr}");

    // The repository cannot switch the locked rule off.
    repo.write(
        "warden.toml",
        "extends = [\"github:my-org/organisation-rules/policies/base.toml@main\"]\n\n[[rule]]\nid = \"no-secrets\"\nlevel = \"off\"\n",
    );
    let (code, _, stderr) = run(&repo, &["--offline", "--cache-dir", &cache_dir], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be changed here"), "{stderr}");
}

fn run_in(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, Value, String) {
    let mut cmd = warden(dir);
    cmd.args(["check", "--format", "json"]).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn malformed_remote_references_are_policy_errors() {
    let repo = TestRepo::new();
    repo.write("warden.toml", "extends = [\"github:my-org/../secrets\"]\n");
    let (code, _, stderr) = run(&repo, &["--offline"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("not github:OWNER/REPO/PATH@REF"),
        "{stderr}"
    );
}
