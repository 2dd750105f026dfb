//! `required-files` against real git repositories: plain paths, globs with `min_count`,
//! `one_of` places, `contains`, untracked files, and `--staged` (judged on the full index).

use crate::common::{check, rule, warden, TestRepo};
use serde_json::Value;

fn messages(rule: &Value) -> Vec<String> {
    rule["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

const POLICY: &str = r#"
[[rule]]
id = "playbook"
kind = "required-files"
paths = ["docs/SDLC-OPS-PLAYBOOK.md", "README.md"]

[[rule]]
id = "templates"
kind = "required-files"
paths = ["docs/templates/"]

[[rule]]
id = "codeowners"
kind = "required-files"
one_of = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
contains = '(?m)^\*\s+@'

[[rule]]
id = "adrs"
kind = "required-files"
paths = ["docs/adr/*.md"]
min_count = 3
level = "warn"
"#;

#[test]
fn a_complete_repository_passes() {
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY)
        .write("README.md", "# app\n")
        .write("docs/SDLC-OPS-PLAYBOOK.md", "# playbook\n")
        .write("docs/templates/incident.md", "# incident\n")
        .write(".github/CODEOWNERS", "# owners\n* @mojosolo-org/devops\n")
        .write("docs/adr/001-native.md", "")
        .write("docs/adr/002-secrets.md", "")
        .write("docs/adr/003-cdn.md", "");
    repo.commit("init");
    let (code, report) = check(repo.path(), &[]);
    for id in ["playbook", "templates", "codeowners", "adrs"] {
        assert_eq!(rule(&report, id)["outcome"], "pass", "{id}: {report:#}");
    }
    assert_eq!(code, 0);
}

#[test]
fn missing_files_globs_and_places_are_each_reported() {
    let repo = TestRepo::new();
    repo.write("warden.toml", POLICY)
        .write("README.md", "# app\n")
        .write("docs/adr/001-native.md", "");
    // On disk but never added: untracked files do not count.
    repo.write_untracked("docs/SDLC-OPS-PLAYBOOK.md", "# playbook\n")
        .write_untracked("CODEOWNERS", "* @me\n");
    repo.commit("init");
    let (code, report) = check(repo.path(), &[]);

    let playbook = rule(&report, "playbook");
    assert_eq!(
        messages(playbook),
        ["required file `docs/SDLC-OPS-PLAYBOOK.md` is missing"]
    );
    assert_eq!(playbook["findings"][0]["path"], "docs/SDLC-OPS-PLAYBOOK.md");
    assert_eq!(
        playbook["findings"][0]["help"],
        "create `docs/SDLC-OPS-PLAYBOOK.md` and commit it"
    );
    assert_eq!(
        messages(rule(&report, "templates")),
        ["required directory `docs/templates/` is missing (or holds no tracked file)"]
    );
    let owners = rule(&report, "codeowners");
    assert_eq!(
        messages(owners),
        ["none of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` exists; one of them is required"]
    );
    assert!(owners["findings"][0]["help"]
        .as_str()
        .unwrap()
        .contains(r"it must match the regex `(?m)^\*\s+@`"));
    let adrs = rule(&report, "adrs");
    assert_eq!(
        messages(adrs),
        ["1 file matches the required glob `docs/adr/*.md`; at least 3 required"]
    );
    assert_eq!(adrs["findings"][0]["level"], "warn");
    assert_eq!(adrs["findings"][0]["path"], Value::Null);
    assert_eq!(report["summary"]["deny"], 3);
    assert_eq!(code, 1);
}

#[test]
fn contents_must_match_in_every_found_file() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"
[[rule]]
id = "codeowners"
kind = "required-files"
one_of = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
contains = '(?m)^\*\s+@'

[[rule]]
id = "runbooks"
kind = "required-files"
paths = ["docs/runbooks/*.md", "docs/SDLC-OPS-PLAYBOOK.md"]
contains = "Owner:"
"#,
    )
    .write(".github/CODEOWNERS", "* @org/devops\n")
    .write("docs/CODEOWNERS", "# TODO\n")
    .write("docs/runbooks/deploy.md", "# Deploy\nOwner: ops\n")
    .write("docs/runbooks/rollback.md", "# Rollback\n")
    .write("docs/SDLC-OPS-PLAYBOOK.md", "Owner: DevOps lead\n");
    repo.commit("init");
    let (code, report) = check(repo.path(), &[]);
    let owners = rule(&report, "codeowners");
    assert_eq!(
        messages(owners),
        [r"`docs/CODEOWNERS` does not match the required pattern `(?m)^\*\s+@`"]
    );
    assert_eq!(owners["findings"][0]["line"], 1);
    assert_eq!(owners["findings"][0]["path"], "docs/CODEOWNERS");
    let runbooks = rule(&report, "runbooks");
    assert_eq!(
        messages(runbooks),
        ["`docs/runbooks/rollback.md` does not match the required pattern `Owner:`"]
    );
    assert_eq!(
        runbooks["findings"][0]["help"],
        "edit `docs/runbooks/rollback.md` so its text matches the regex `Owner:`"
    );
    assert_eq!(code, 1);
}

#[test]
fn staged_mode_judges_presence_on_the_whole_index_and_the_staged_text() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"
[[rule]]
id = "playbook"
kind = "required-files"
paths = ["docs/SDLC-OPS-PLAYBOOK.md"]
contains = "Version 1\\.1"
"#,
    )
    .write("docs/SDLC-OPS-PLAYBOOK.md", "Version 1.1\n")
    .write("README.md", "hi\n");
    repo.commit("init");

    // A commit that does not touch the playbook: it is still present.
    repo.write("README.md", "hello\n");
    let (code, report) = check(repo.path(), &["--staged"]);
    assert_eq!(rule(&report, "playbook")["outcome"], "pass", "{report:#}");
    assert_eq!(code, 0);

    // The staged text is judged, not the working tree.
    repo.write("docs/SDLC-OPS-PLAYBOOK.md", "Version 2\n");
    repo.write_untracked("docs/SDLC-OPS-PLAYBOOK.md", "Version 1.1 again\n");
    let (code, report) = check(repo.path(), &["--staged"]);
    assert_eq!(
        messages(rule(&report, "playbook")),
        [r"`docs/SDLC-OPS-PLAYBOOK.md` does not match the required pattern `Version 1\.1`"]
    );
    assert_eq!(code, 1);

    // Deleting it in the commit makes it missing.
    repo.remove("docs/SDLC-OPS-PLAYBOOK.md");
    let (code, report) = check(repo.path(), &["--staged"]);
    assert_eq!(
        messages(rule(&report, "playbook")),
        ["required file `docs/SDLC-OPS-PLAYBOOK.md` is missing"]
    );
    assert_eq!(code, 1);
}

#[test]
fn bad_configuration_is_a_policy_error_with_spans() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        r#"[[rule]]
id = "nothing"
kind = "required-files"

[[rule]]
id = "zero"
kind = "required-files"
paths = ["docs/adr/*.md", "/etc/passwd"]
min_count = 0
contains = "(unclosed"

[[rule]]
id = "plain-count"
kind = "required-files"
paths = ["README.md"]
min_count = "2"
"#,
    );
    let out = warden(repo.path()).arg("check").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for expected in [
        "rule `required-files` needs `paths` or `one_of`",
        "warden.toml:1:1",
        "`paths` of rule `required-files` needs repository paths",
        "warden.toml:8:27",
        "`min_count` of rule `required-files` must be at least 1",
        "warden.toml:9:13",
        "invalid regular expression",
        "`min_count` in rule `required-files` must be a whole number",
        "warden.toml:16:13",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}
