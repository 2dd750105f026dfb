//! Malformed policies: every one exits 2 with a diagnostic that points at the exact span.
//! The rendered diagnostics are snapshotted, so their wording and spans are reviewed.

use crate::common::warden;

fn diagnose(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/policies")
        .join(name);
    std::fs::copy(&source, dir.path().join(name)).unwrap();
    let output = warden(dir.path())
        .args(["check", "--policy", name])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{name} should exit 2; stderr:\n{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{name}: nothing on stdout when the policy is invalid"
    );
    assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
    stderr
}

macro_rules! diagnostic_snapshot {
    ($test:ident, $file:literal, $($needle:literal),+) => {
        #[test]
        fn $test() {
            let stderr = diagnose($file);
            $(assert!(stderr.contains($needle), "expected {:?} in:\n{}", $needle, stderr);)+
            insta::assert_snapshot!(stringify!($test), stderr);
        }
    };
}

diagnostic_snapshot!(
    syntax_error,
    "syntax-error.toml",
    "policy::syntax",
    "syntax-error.toml:2:"
);
diagnostic_snapshot!(
    unknown_kind,
    "unknown-kind.toml",
    "policy::unknown-kind",
    "did you mean `docs-allowlist`?"
);
diagnostic_snapshot!(
    unknown_key,
    "unknown-key.toml",
    "policy::unknown-key",
    "did you mean `allow`?"
);
diagnostic_snapshot!(
    wrong_type,
    "wrong-type.toml",
    "policy::wrong-type",
    "this is an integer"
);
diagnostic_snapshot!(
    missing_key,
    "missing-key.toml",
    "policy::missing-key",
    "needs `paths`"
);
diagnostic_snapshot!(
    bad_glob,
    "bad-glob.toml",
    "policy::bad-glob",
    "unclosed character class"
);
diagnostic_snapshot!(
    bad_regex,
    "bad-regex.toml",
    "policy::bad-regex",
    "look-around"
);
diagnostic_snapshot!(
    duplicate_id,
    "duplicate-id.toml",
    "policy::duplicate-id",
    "first declared here",
    "declared again here"
);
diagnostic_snapshot!(
    waiver_without_reason,
    "waiver-without-reason.toml",
    "policy::missing-key",
    "needs `reason`"
);
diagnostic_snapshot!(
    invalid_date,
    "invalid-date.toml",
    "policy::bad-date",
    "2026-02-30"
);
diagnostic_snapshot!(
    bad_extends,
    "bad-extends.toml",
    "policy::bad-extends",
    "shared/base.toml"
);
diagnostic_snapshot!(
    unknown_builtin,
    "unknown-builtin.toml",
    "policy::unknown-builtin",
    "did you mean `builtin:governed-delivery`?"
);
diagnostic_snapshot!(
    bad_level,
    "bad-level.toml",
    "policy::bad-value",
    "unknown level `error`"
);
diagnostic_snapshot!(
    unknown_override,
    "unknown-override.toml",
    "policy::unknown-rule",
    "did you mean `no-secrets-files`?"
);
diagnostic_snapshot!(
    many_problems,
    "many-problems.toml",
    "the policy has 7 problems"
);

#[test]
fn missing_policy_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = warden(dir.path())
        .args(["check", "--policy", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read policy file nope.toml"));
}

#[test]
fn garbage_input_never_panics() {
    let inputs = [
        "\u{0}\u{1}",
        "[[rule]]\nkind = 1",
        "rule = 5",
        "[[rule]]\n[[rule.x]]\n",
        "waiver = [1, 2]",
        "extends = [[1]]",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow = [[\"x\"]]",
        "[[rule]]\nkind = \"docs-allowlist\"\nallow_regex = 'a{99999999}'",
        "[[waiver]]\nrule = \"x\"\nreason = \"y\"\nexpires = 1979-05-27T07:32:00Z",
    ];
    for input in inputs {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), input).unwrap();
        let output = warden(dir.path())
            .args(["check", "--policy", "p.toml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "input {input:?} gave:\n{stderr}"
        );
        assert!(
            !stderr.contains("panicked"),
            "input {input:?} panicked:\n{stderr}"
        );
    }
}
