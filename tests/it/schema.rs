//! `warden schema policy`: the committed schemas/policy.json is the generated one, it
//! accepts every policy warden accepts (built-in packs, examples, this repository's own
//! policy, the example in each rule kind's documentation) and rejects the malformed-policy
//! corpus wherever the problem is one of structure.

use std::path::{Path, PathBuf};

use crate::common::warden;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas/policy.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("schemas/policy.json compiles")
}

/// A policy as an editor's TOML language server hands it to a JSON Schema validator.
fn as_json(toml_text: &str) -> serde_json::Value {
    let doc = toml::de::DeTable::parse(toml_text).expect("valid TOML");
    warden::policy::reader::to_json(&toml::de::DeValue::Table(doc.into_inner()))
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator
        .iter_errors(&as_json(text))
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_committed_policy_schema_is_the_generated_one() {
    let out = warden(root()).args(["schema", "policy"]).output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(root().join("schemas/policy.json")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "schemas/policy.json is stale: run `cargo run -- schema policy > schemas/policy.json`"
    );
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_schema_accepts_every_built_in_pack_example_and_documented_policy() {
    let validator = validator();
    let mut checked = 0;
    let mut files = toml_files("policies");
    files.extend(toml_files("docs/examples"));
    files.push(root().join("warden.toml"));
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // warden itself accepts it.
        warden::policy::load_text(&file.display().to_string(), &text)
            .unwrap_or_else(|_| panic!("{} does not load", file.display()));
        let problems = errors(&validator, &text);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            file.display(),
            problems.join("\n")
        );
        checked += 1;
    }
    // The "Example policy" of every rule kind's documentation (`warden explain KIND`).
    for kind in warden::rules::REGISTRY {
        let blocks: Vec<&str> = kind
            .doc
            .split("```toml")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect();
        assert!(
            !blocks.is_empty(),
            "{} documents no example policy",
            kind.id
        );
        for block in blocks {
            if warden::policy::load_text(kind.id, block).is_err() {
                continue; // a fragment, not a whole policy
            }
            let problems = errors(&validator, block);
            assert!(
                problems.is_empty(),
                "example of {}:\n{block}\n{}",
                kind.id,
                problems.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked >= 3 + 1 + 1 + 10, "only {checked} policies checked");
}

#[test]
fn the_schema_rejects_the_structural_problems_of_the_malformed_corpus() {
    let validator = validator();
    let corpus = root().join("tests/it/policies");
    // Problems of structure: a key, type, kind, level or pack name that does not exist, a
    // required key left out, a date that is no date.
    for (file, at) in [
        ("unknown-key.toml", "/rule"),
        ("unknown-kind.toml", "/rule"),
        ("wrong-type.toml", "/rule"),
        ("missing-key.toml", "/rule"),
        ("waiver-without-reason.toml", "/waiver"),
        ("invalid-date.toml", "/waiver"),
        ("unknown-builtin.toml", "/extends"),
        ("bad-level.toml", "/rule"),
        ("many-problems.toml", ""),
    ] {
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        assert!(
            warden::policy::load_text(file, &text).is_err(),
            "{file} is malformed"
        );
        let problems = errors(&validator, &text);
        assert!(!problems.is_empty(), "the schema accepts {file}");
        assert!(
            problems.iter().any(|p| p.starts_with(at)),
            "{file}: expected a problem at {at:?}, got:\n{}",
            problems.join("\n")
        );
    }
    // Not TOML at all: no editor gets as far as the schema.
    assert!(toml::de::DeTable::parse(
        &std::fs::read_to_string(corpus.join("syntax-error.toml")).unwrap()
    )
    .is_err());
    // What only warden can judge (a glob or regex that does not compile, an `extends` file
    // that is missing, a duplicate id, an override of no inherited rule): structurally
    // sound, so the schema lets them through and `warden check` reports them.
    for file in [
        "bad-glob.toml",
        "bad-regex.toml",
        "bad-extends.toml",
        "duplicate-id.toml",
        "unknown-override.toml",
    ] {
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        assert!(
            warden::policy::load_text(file, &text).is_err(),
            "{file} is malformed"
        );
        assert!(
            errors(&validator, &text).is_empty(),
            "{file} is structurally sound"
        );
    }
    // Every file of the corpus is in one of the lists above.
    assert_eq!(toml_files("tests/it/policies").len(), 9 + 1 + 5);
}

#[test]
fn the_schema_describes_nested_tables_and_overrides() {
    let validator = validator();
    let ok = r#"
extends = "builtin:default"
[[rule]]
id = "codeowners"
level = "off"
[[rule]]
kind = "required-workflows"
[[rule.workflow]]
file = "ci.yml"
on = ["pull_request"]
[[rule]]
kind = "file-value"
file = "Cargo.toml"
[[rule.expect]]
select = "package.license"
equals = "MIT"
"#;
    assert!(
        errors(&validator, ok).is_empty(),
        "{:?}",
        errors(&validator, ok)
    );
    for (bad, why) in [
        ("[[rule]]\nkind = \"required-workflows\"\n[[rule.workflow]]\non = \"push\"\n", "workflow without file"),
        ("[[rule]]\nkind = \"required-workflows\"\n[[rule.workflow]]\nfile = \"ci.yml\"\nbranch = \"main\"\n", "unknown nested key"),
        ("[[rule]]\nid = \"x\"\nlevel = \"off\"\nallow = [\"docs/**\"]\n", "an override with a kind's key"),
        ("[[rule]]\nkind = \"planning-doc-ttl\"\npaths = [\"docs/**\"]\nmax_age_days = -1\n", "negative number"),
    ] {
        assert!(!errors(&validator, bad).is_empty(), "accepted: {why}");
    }
}

// ------------------------------------------------------------------------ warden init

fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    dir
}

#[test]
fn init_writes_a_starter_policy_that_warden_accepts_and_never_overwrites() {
    let dir = git_repo();
    let p = dir.path();
    std::fs::create_dir_all(p.join(".github/workflows")).unwrap();
    std::fs::write(p.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    std::fs::write(p.join(".github/CODEOWNERS"), "* @acme/team\n").unwrap();
    std::fs::create_dir_all(p.join("handbook/guides")).unwrap();
    std::fs::write(p.join("handbook/guides/setup.md"), "# Setup\n").unwrap();
    std::fs::write(p.join("dangerfile.ts"), "warn('x')\n").unwrap();

    let out = warden(p).arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(p.join("warden.toml")).unwrap();
    assert!(text.contains("extends = [\"builtin:default\"]"), "{text}");
    assert!(text.contains("# file = \"ci.yml\""), "{text}");
    assert!(text.contains("\"handbook/**\""), "{text}");
    assert!(
        text.contains("CODEOWNERS is at .github/CODEOWNERS"),
        "{text}"
    );
    assert!(text.contains("dangerfile.ts found"), "{text}");
    // Every commented block, uncommented, is a valid policy too.
    let uncommented: String = text
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|r| r.starts_with('[') || r.contains(" = "))
                .unwrap_or(if l.starts_with('#') { "" } else { l })
        })
        .collect::<Vec<_>>()
        .join("\n");
    warden::policy::load_text("uncommented", &uncommented)
        .unwrap_or_else(|e| panic!("{e:?}\n{uncommented}"));
    assert!(errors(&validator(), &text).is_empty());

    // warden accepts it: exit 0 or 1 (gaps), never 2 (policy error).
    let check = warden(p).args(["check", "--offline"]).output().unwrap();
    assert_ne!(
        check.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Never overwrites.
    std::fs::write(p.join("warden.toml"), "# mine\n").unwrap();
    let again = warden(p).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(
        std::fs::read_to_string(p.join("warden.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn init_picks_the_pack_the_repository_looks_like() {
    let dir = git_repo();
    std::fs::create_dir_all(dir.path().join("docs/planning")).unwrap();
    let survey = warden::init::survey(dir.path());
    assert_eq!(survey.pack, "governed-delivery");
    assert!(survey.codeowners.is_none() && survey.dangerfile.is_none());

    let dir = git_repo();
    std::fs::create_dir_all(dir.path().join(".claude")).unwrap();
    assert_eq!(warden::init::survey(dir.path()).pack, "mojo-solo");

    let dir = git_repo();
    std::fs::create_dir_all(dir.path().join(".github")).unwrap();
    std::fs::write(dir.path().join(".github/warden.toml"), "").unwrap();
    let out = warden(dir.path()).arg("init").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a .github/warden.toml is a policy too"
    );
    assert!(!dir.path().join("warden.toml").exists());
}

// ------------------------------------------------------------------- report schema

#[test]
fn the_committed_report_schema_is_the_generated_one_and_reports_name_it() {
    let out = warden(root()).args(["schema", "report"]).output().unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(root().join("schemas/report-v1.json")).unwrap();
    assert!(
        generated == committed,
        "schemas/report-v1.json is stale: run `cargo run -- schema report > schemas/report-v1.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("schemas/report-v1.json compiles");

    // A real report, with a gap, a waiver and an unused waiver, validates against it.
    let dir = git_repo();
    let p = dir.path();
    std::fs::write(p.join(".env"), "TOKEN=x\n").unwrap();
    std::fs::write(p.join("notes.md"), "# notes\n").unwrap();
    std::fs::write(
        p.join("warden.toml"),
        "extends = [\"builtin:default\"]\n\
         [[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\"]\n\
         [[waiver]]\nrule = \"docs-allowlist\"\npath = \"notes.md\"\nreason = \"moving, #1\"\nexpires = 2027-01-01\n\
         [[waiver]]\nrule = \"readme\"\npath = \"nothing.md\"\nreason = \"unused, #2\"\n",
    )
    .unwrap();
    let index = git2::Repository::open(p).unwrap();
    let mut idx = index.index().unwrap();
    for f in [".env", "notes.md", "warden.toml"] {
        idx.add_path(Path::new(f)).unwrap();
    }
    idx.write().unwrap();
    let out = warden(p)
        .args(["check", "--offline", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["$schema"], schema["$id"]);
    assert!(report["$schema"]
        .as_str()
        .unwrap()
        .ends_with("/schemas/report-v1.json"));
    let problems: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["outcome"] == "waived"));

    // And it is strict enough to notice a broken one.
    let mut broken = report.clone();
    broken["summary"]["blocking"] = serde_json::json!("yes");
    broken["rules"][0]["outcome"] = serde_json::json!("passed");
    assert!(validator.iter_errors(&broken).count() >= 2);
}
