//! `warden fix` on real git repositories: check → fix → check for every fixable local
//! rule kind, dry runs that write nothing, a user's file never overwritten, deletions
//! only when allowed, writes that never leave the repository, and `--stage`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{check, rule, warden, TestRepo};

const LINK: &str = ".claude/CLAUDE-ORG-RULES.mdc";
const ORG: &str = "../../organisation-rules/CLAUDE-ORG-RULES.mdc";

fn link_policy() -> String {
    format!(
        "[[rule]]\nid = \"org-link\"\nkind = \"symlink\"\npath = \"{LINK}\"\ntarget = \"{ORG}\"\nmust_resolve = false\n"
    )
}

/// `warden fix ARGS` in `dir`: exit code and standard output.
fn fix(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = warden(dir).arg("fix").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), format!("{stdout}{stderr}"))
}

/// Every entry under `dir` (the working tree and `.git`): its kind and bytes or target.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let kind = entry.file_type();
        let value = if kind.is_symlink() {
            format!(
                "link {}",
                std::fs::read_link(entry.path()).unwrap().display()
            )
        } else if kind.is_file() {
            format!("file {:?}", std::fs::read(entry.path()).unwrap())
        } else {
            "dir".to_string()
        };
        all.insert(rel, value);
    }
    all
}

/// The paths the git index holds, with their modes.
fn index(repo: &TestRepo) -> BTreeMap<String, u32> {
    let mut index = repo.repo.index().unwrap();
    index.read(true).unwrap();
    index
        .iter()
        .map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.mode))
        .collect()
}

fn is_link_to(path: &Path, target: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::read_link(path).unwrap() == Path::new(target)
}

#[test]
fn symlink_round_trip_check_fix_check() {
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 1);
    let finding = &rule(&report, "org-link")["findings"][0];
    assert_eq!(finding["fixable"], true, "{finding:#}");
    assert_eq!(finding["fix"]["command"], "warden fix");
    assert_eq!(finding["fix"]["kind"], "symlink");
    assert_eq!(finding["fix"]["path"], LINK);

    let (code, out) = fix(repo.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[done] org-link: link"), "{out}");
    assert!(out.contains("every fixed gap is closed"), "{out}");
    assert!(out.contains("nothing was staged"), "{out}");
    assert!(is_link_to(&repo.path().join(LINK), ORG));
    // Without --stage the index is untouched: the commit-time check still sees the gap.
    assert!(!index(&repo).contains_key(LINK));

    let (code, out) = fix(repo.path(), &["--stage"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(index(&repo).get(LINK), Some(&0o120000));
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rule(&report, "org-link")["outcome"], "pass");
}

#[test]
fn required_files_round_trip_inline_and_template() {
    let repo = TestRepo::new();
    repo.write("templates/PLAYBOOK.md", "# Playbook\n\nHow we ship.\n");
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"codeowners\"\nkind = \"required-files\"\n\
         one_of = [\".github/CODEOWNERS\", \"CODEOWNERS\"]\n\
         contains = '(?m)^\\*\\s+@'\nfix = \"* @acme/maintainers\\n\"\n\n\
         [[rule]]\nid = \"playbook\"\nkind = \"required-files\"\n\
         paths = [\"docs/PLAYBOOK.md\"]\nfix_template = \"templates/PLAYBOOK.md\"\n",
    );
    repo.commit("policy");
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rule(&report, "codeowners")["findings"][0]["fix"]["kind"],
        "create-file"
    );

    let (code, out) = fix(repo.path(), &["--stage"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".github/CODEOWNERS")).unwrap(),
        "* @acme/maintainers\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("docs/PLAYBOOK.md")).unwrap(),
        "# Playbook\n\nHow we ship.\n"
    );
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn file_value_round_trip_keeps_json_toml_and_yaml_formatting() {
    let repo = TestRepo::new();
    let json = "{\n    \"name\": \"svc\",\n    \"private\": false,\n    \"zeta\": 1,\n    \"alpha\": 2\n}\n";
    let toml = "# build settings\n[package]\nname = \"svc\"   # keep\npublish = true # careful\n\n[features]\ndefault = []\n";
    let yaml = "# service\nsettings:\n  strict: false   # review\n  names:\n  - a\nother: 1\n";
    repo.write("package.json", json)
        .write("Cargo.toml", toml)
        .write("config/app.yml", yaml)
        .write(
            "warden.toml",
            "[[rule]]\nid = \"private\"\nkind = \"file-value\"\nfile = \"package.json\"\n\
             [[rule.expect]]\nselect = 'private'\nequals = true\n\
             [[rule.expect]]\nselect = 'license'\nequals = \"MIT\"\n\n\
             [[rule]]\nid = \"publish\"\nkind = \"file-value\"\nfile = \"Cargo.toml\"\n\
             [[rule.expect]]\nselect = 'package.publish'\nequals = false\n\n\
             [[rule]]\nid = \"strict\"\nkind = \"file-value\"\nfile = \"config/app.yml\"\n\
             [[rule.expect]]\nselect = 'settings.strict'\nequals = true\n",
        );
    repo.commit("config");
    let (code, _) = check(repo.path(), &[]);
    assert_eq!(code, 1);

    let (code, out) = fix(repo.path(), &["--stage"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("package.json")).unwrap(),
        "{\n    \"name\": \"svc\",\n    \"private\": true,\n    \"zeta\": 1,\n    \"alpha\": 2,\n    \"license\": \"MIT\"\n}\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("Cargo.toml")).unwrap(),
        toml.replace("publish = true # careful", "publish = false # careful")
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("config/app.yml")).unwrap(),
        yaml.replace("strict: false   # review", "strict: true   # review")
    );
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn forbidden_files_are_deleted_only_with_allow_delete() {
    let repo = TestRepo::new();
    repo.write(".env", "SECRET=1\n").write(
        "warden.toml",
        "[[rule]]\nid = \"no-env\"\nkind = \"forbidden-files\"\npaths = [\"**/.env\"]\n",
    );
    repo.commit("oops");
    let (code, out) = fix(repo.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[refused] no-env"), "{out}");
    assert!(out.contains("--allow-delete"), "{out}");
    assert!(repo.path().join(".env").exists());

    let (code, out) = fix(repo.path(), &["--allow-delete", "--stage"]);
    assert_eq!(code, 0, "{out}");
    assert!(!repo.path().join(".env").exists());
    assert!(!index(&repo).contains_key(".env"));
    let (code, report) = check(repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn dry_run_makes_zero_writes() {
    let repo = TestRepo::new();
    repo.write(".env", "SECRET=1\n")
        .write("package.json", "{\"private\": false}\n")
        .write(
            "warden.toml",
            &format!(
                "{}\n[[rule]]\nid = \"no-env\"\nkind = \"forbidden-files\"\npaths = [\"**/.env\"]\n\n\
                 [[rule]]\nid = \"private\"\nkind = \"file-value\"\nfile = \"package.json\"\n\
                 [[rule.expect]]\nselect = 'private'\nequals = true\n",
                link_policy()
            ),
        );
    repo.commit("gaps");
    let before = snapshot(repo.path());
    let (code, out) = fix(repo.path(), &["--dry-run", "--allow-delete", "--stage"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("dry run, nothing written"), "{out}");
    assert!(out.contains("[plan] org-link"), "{out}");
    assert!(
        out.contains("[plan] no-env: delete `.env` (with --allow-delete)"),
        "{out}"
    );
    assert!(
        out.contains("[plan] private: set `private` = true"),
        "{out}"
    );
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn a_users_file_is_never_overwritten() {
    let repo = TestRepo::new();
    // A copy where the link belongs, and a CODEOWNERS the user wrote but did not stage.
    repo.write(LINK, "my own copy\n").write(
        "warden.toml",
        &format!(
            "{}\n[[rule]]\nid = \"codeowners\"\nkind = \"required-files\"\n\
             paths = [\"CODEOWNERS\"]\nfix = \"* @acme/maintainers\\n\"\n",
            link_policy()
        ),
    );
    repo.write_untracked("CODEOWNERS", "* @me\n");
    repo.commit("copy");
    let (code, out) = fix(repo.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[refused] org-link"), "{out}");
    assert!(out.contains("[refused] codeowners"), "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(LINK)).unwrap(),
        "my own copy\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("CODEOWNERS")).unwrap(),
        "* @me\n"
    );

    let (code, out) = fix(repo.path(), &["--allow-delete", "--stage"]);
    assert_eq!(code, 0, "{out}");
    assert!(is_link_to(&repo.path().join(LINK), ORG));
}

#[cfg(unix)]
#[test]
fn a_path_through_a_symlink_out_of_the_repository_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    // `.claude` leads out of the repository; the fix must not write there.
    std::os::unix::fs::symlink(outside.path(), repo.path().join(".claude")).unwrap();
    let (code, out) = fix(repo.path(), &["--allow-delete"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[refused] org-link"), "{out}");
    assert!(out.contains("symlink"), "{out}");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn stage_stages_exactly_the_fixed_paths() {
    let repo = TestRepo::new();
    repo.write("notes.md", "one\n")
        .write("warden.toml", &link_policy());
    repo.commit("policy");
    // An unrelated edit that the user has not staged stays unstaged.
    std::fs::write(repo.path().join("notes.md"), "two\n").unwrap();
    let before = index(&repo);
    let (code, out) = fix(repo.path(), &["--stage"]);
    assert_eq!(code, 0, "{out}");
    let mut after = index(&repo);
    assert_eq!(after.remove(LINK), Some(0o120000));
    assert_eq!(after, before);
    let status = repo.repo.status_file(Path::new("notes.md")).unwrap();
    assert!(status.is_wt_modified() && !status.is_index_modified());
}

#[test]
fn gaps_without_a_local_fix_are_listed_as_not_fixable_here() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"adrs\"\nkind = \"required-files\"\npaths = [\"docs/adr/*.md\"]\n",
    );
    repo.commit("policy");
    let (code, out) = fix(repo.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not fixable here:"), "{out}");
    assert!(out.contains("adrs:"), "{out}");
}

#[test]
fn the_json_plan_names_each_fix() {
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    let out = warden(repo.path())
        .args(["fix", "--dry-run", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["fixes"][0]["kind"], "symlink");
    assert_eq!(plan["fixes"][0]["path"], LINK);
    assert_eq!(plan["fixes"][0]["status"], "planned");
    assert!(!repo.path().join(LINK).exists());
}

#[test]
fn bad_fix_keys_are_policy_errors_at_their_span() {
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"two\"\nkind = \"required-files\"\npaths = [\"A.md\", \"B.md\"]\nfix = \"x\"\n\n\
         [[rule]]\nid = \"from\"\nkind = \"required-files\"\npaths = [\"C.md\"]\nfix_from = \"github:acme/templates/C.md\"\n\n\
         [[rule]]\nid = \"both\"\nkind = \"required-files\"\npaths = [\"D.md\"]\nfix = \"x\"\nfix_template = \"t.md\"\n\n\
         [[rule]]\nid = \"up\"\nkind = \"required-files\"\npaths = [\"E.md\"]\nfix_template = \"../t.md\"\n",
    );
    repo.commit("policy");
    let out = warden(repo.path()).args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs the rule to require one file"),
        "{stderr}"
    );
    assert!(stderr.contains("github:ORG/REPO/PATH@REF"), "{stderr}");
    assert!(stderr.contains("is a second fix"), "{stderr}");
    assert!(stderr.contains("inside the policy's folder"), "{stderr}");
    assert!(stderr.contains("warden.toml:5"), "{stderr}");
}

#[test]
fn sarif_carries_text_fixes_as_artifact_changes_that_apply() {
    let repo = TestRepo::new();
    let json = "{\n  \"name\": \"svc\",\n  \"private\": false\n}\n";
    repo.write("package.json", json).write(
        "warden.toml",
        &format!(
            "{}\n[[rule]]\nid = \"private\"\nkind = \"file-value\"\nfile = \"package.json\"\n\
             [[rule.expect]]\nselect = 'private'\nequals = true\n\n\
             [[rule]]\nid = \"readme\"\nkind = \"required-files\"\npaths = [\"README.md\"]\nfix = \"# svc\\n\"\n",
            link_policy()
        ),
    );
    repo.commit("gaps");
    let out = warden(repo.path())
        .args(["check", "--format", "sarif"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::fixture("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:?}");

    let results = log["runs"][0]["results"].as_array().unwrap();
    let of = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    // The value edit, applied to the file as SARIF says, gives the file `warden fix` writes.
    let change = &of("private")["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "package.json");
    let replacement = &change["replacements"][0];
    let offset = replacement["deletedRegion"]["byteOffset"].as_u64().unwrap() as usize;
    let length = replacement["deletedRegion"]["byteLength"].as_u64().unwrap() as usize;
    let inserted = replacement["insertedContent"]["text"].as_str().unwrap();
    let applied = format!("{}{inserted}{}", &json[..offset], &json[offset + length..]);
    assert_eq!(applied, json.replace("false", "true"));
    // A file from text in the policy is an insertion into the new file.
    let created = &of("readme")["fixes"][0]["artifactChanges"][0];
    assert_eq!(created["artifactLocation"]["uri"], "README.md");
    assert_eq!(
        created["replacements"][0]["insertedContent"]["text"],
        "# svc\n"
    );
    assert_eq!(created["replacements"][0]["deletedRegion"]["byteLength"], 0);
    // A link has no text replacement: no `fixes`, the message still says what to do.
    assert!(of("org-link").get("fixes").is_none());

    let (code, out) = fix(repo.path(), &["--stage"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("package.json")).unwrap(),
        applied
    );
}

#[test]
fn markdown_names_the_command_that_closes_each_gap() {
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    let out = warden(repo.path())
        .args(["check", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("warden can close 1 gap with `warden fix`."),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  - Closed by `warden fix`: link `{LINK}` to `{ORG}`"
        )),
        "{text}"
    );
}

/// The recorded contents-API answer for a file (`content-file.json`), holding `text`.
fn content_answer(text: &str) -> serde_json::Value {
    use base64::Engine;
    let mut answer: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::fixture("github/content-file.json")).unwrap(),
    )
    .unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    answer["content"] = serde_json::Value::String(wrapped.join("\n"));
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn fix_from_reads_the_file_through_the_contents_api() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/templates/contents/github/CODEOWNERS"))
        .and(query_param("ref", "v2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content_answer("* @acme/core\n")))
        .expect(1)
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"codeowners\"\nkind = \"required-files\"\npaths = [\".github/CODEOWNERS\"]\n\
         fix_from = \"github:acme/templates/github/CODEOWNERS@v2\"\n",
    );
    repo.commit("policy");
    let (dir, uri) = (repo.path().to_path_buf(), server.uri());
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap().to_string();
    let (code, out) = tokio::task::spawn_blocking(move || {
        let out = warden(&dir)
            .args([
                "fix",
                "--stage",
                "--api-url",
                &uri,
                "--cache-dir",
                &cache_dir,
            ])
            .env("GITHUB_TOKEN", "t")
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".github/CODEOWNERS")).unwrap(),
        "* @acme/core\n"
    );

    // Without a token the file cannot be read: refused with the reason, nothing written.
    let other = TestRepo::new();
    other.write(
        "warden.toml",
        "[[rule]]\nid = \"codeowners\"\nkind = \"required-files\"\npaths = [\".github/CODEOWNERS\"]\n\
         fix_from = \"github:acme/templates/github/CODEOWNERS@v2\"\n",
    );
    other.commit("policy");
    let (code, out) = fix(other.path(), &["--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[refused] codeowners"), "{out}");
    assert!(
        out.contains("cannot read `github:acme/templates/github/CODEOWNERS@v2`"),
        "{out}"
    );
    assert!(!other.path().join(".github/CODEOWNERS").exists());
}

#[cfg(unix)]
#[test]
fn a_template_is_never_read_through_a_symlink() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("PLAYBOOK.md"), "not yours\n").unwrap();
    let repo = TestRepo::new();
    repo.write(
        "warden.toml",
        "[[rule]]\nid = \"playbook\"\nkind = \"required-files\"\n\
         paths = [\"docs/PLAYBOOK.md\"]\nfix_template = \"templates/PLAYBOOK.md\"\n",
    );
    repo.commit("policy");
    std::os::unix::fs::symlink(outside.path(), repo.path().join("templates")).unwrap();
    let (code, out) = fix(repo.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[refused] playbook"), "{out}");
    assert!(out.contains("cannot read the template"), "{out}");
    assert!(!repo.path().join("docs/PLAYBOOK.md").exists());
}

#[test]
fn report_options_are_refused_as_usage_errors() {
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    for args in [
        &["--format", "sarif"][..],
        &["--output", "json=out.json"][..],
    ] {
        let out = warden(repo.path()).arg("fix").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(!repo.path().join(LINK).exists());
    assert!(!repo.path().join("out.json").exists());
}

#[test]
fn bad_fix_keys_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad-fix.toml"), BAD_FIX).unwrap();
    let out = warden(dir.path())
        .args(["check", "--policy", "bad-fix.toml"])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    for needle in [
        "needs the rule to require one file",
        "must be `github:ORG/REPO/PATH@REF`",
        "is a second fix",
        "must be a path inside the policy's folder",
        "does not match its `contains`",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in:\n{stderr}");
    }
    insta::assert_snapshot!("bad_fix_keys", stderr);
}

#[cfg(unix)]
#[test]
fn outside_git_the_working_tree_is_rechecked_and_stage_is_refused_after_the_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warden.toml"), link_policy()).unwrap();
    let (code, out) = fix(dir.path(), &["--stage"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("problem: cannot stage"), "{out}");
    // The link was written before staging failed, and the run says so.
    assert!(out.contains("[done] org-link"), "{out}");
    assert!(is_link_to(&dir.path().join(LINK), ORG));

    std::fs::remove_file(dir.path().join(LINK)).unwrap();
    let (code, out) = fix(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("re-check (the working tree): every fixed gap is closed"),
        "{out}"
    );
}

/// Fix keys of required-files, each wrong in its own way (structurally sound TOML, so the
/// policy schema lets it through and only warden can judge it).
const BAD_FIX: &str = r##"# Fix keys of required-files, each wrong in its own way.
[[rule]]
id = "two-files"
kind = "required-files"
paths = ["A.md", "B.md"]
fix = "which one?"

[[rule]]
id = "unpinned"
kind = "required-files"
paths = ["C.md"]
fix_from = "github:acme/templates/C.md"

[[rule]]
id = "two-fixes"
kind = "required-files"
paths = ["D.md"]
fix = "text"
fix_template = "templates/D.md"

[[rule]]
id = "escaping-template"
kind = "required-files"
paths = ["E.md"]
fix_template = "../outside/E.md"

[[rule]]
id = "text-misses-contains"
kind = "required-files"
paths = ["CODEOWNERS"]
contains = '(?m)^\*\s+@'
fix = "# owners go here\n"
"##;

#[test]
fn the_human_check_report_names_the_command_that_closes_a_gap() {
    let repo = TestRepo::new();
    repo.write("warden.toml", &link_policy());
    repo.commit("policy");
    let out = warden(repo.path()).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("closed by: `warden fix`"), "{text}");
}

#[test]
fn fix_help_offers_only_the_options_fix_takes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, help) = fix(dir.path(), &["--help"]);
    assert_eq!(code, 0, "{help}");
    assert!(
        help.contains("--dry-run") && help.contains("--policy"),
        "{help}"
    );
    assert!(help.contains("Format of the plan"), "{help}");
    for refused in ["--output", "--summary"] {
        assert!(!help.contains(refused), "{refused} is offered:\n{help}");
    }
    // Still refused by name when given, with exit code 2.
    let repo = TestRepo::new();
    let (code, said) = fix(repo.path(), &["--output", "json=report.json"]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("writes no report"), "{said}");
}
