//! Fuzzing the policy loader on stable Rust, in `cargo test`, for a bounded number of
//! generated cases: random TOML, mutated built-in packs, huge globs and regexes, deep
//! nesting. Whatever the input, loading never panics, and a refused policy renders as
//! miette diagnostics of bounded size that name at least one problem.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use warden::policy;

/// Load `text` and render what it says; panics (the failure) only inside warden.
fn load_and_render(text: &str) {
    match policy::load_text("fuzz.toml", text) {
        Ok(loaded) => {
            // Every rule it accepted has an id and a known kind.
            for rule in &loaded.rules {
                assert!(!rule.id.is_empty());
                assert!(!rule.id.chars().any(char::is_control), "{:?}", rule.id);
            }
        }
        Err(errors) => {
            assert!(!errors.errors.is_empty());
            assert!(errors.errors.len() <= policy::diagnostic::MAX_SHOWN + 1);
            let mut out = String::new();
            miette::GraphicalReportHandler::new()
                .render_report(&mut out, &errors)
                .unwrap();
            assert!(out.contains("policy::"), "{out}");
            // Bounded: 51 problems of a few short lines each, whatever the input size.
            assert!(out.len() < 400_000, "{} bytes rendered", out.len());
        }
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..Config::default()
    })
}

/// TOML-looking text: keys the policy knows, values of every type, brackets and quotes.
fn tomlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("[[rule]]\n".to_string()),
        Just("[[waiver]]\n".to_string()),
        Just("[[rule.expect]]\n".to_string()),
        Just("[[rule.workflow]]\n".to_string()),
        Just("kind = ".to_string()),
        Just("id = ".to_string()),
        Just("level = ".to_string()),
        Just("paths = ".to_string()),
        Just("allow = ".to_string()),
        Just("extends = ".to_string()),
        Just("select = ".to_string()),
        Just("file = ".to_string()),
        Just("matches = ".to_string()),
        Just("type = ".to_string()),
        Just("\"forbidden-files\"\n".to_string()),
        Just("\"docs-allowlist\"\n".to_string()),
        Just("\"file-value\"\n".to_string()),
        Just("\"pr-title\"\n".to_string()),
        Just("\"builtin:default\"\n".to_string()),
        Just("[\"**/*.md\", \"docs/{a,b}/[!x]*\"]\n".to_string()),
        Just("'(?=x)'\n".to_string()),
        Just("{ a = 1, b = [1, 2] }\n".to_string()),
        Just("2026-02-30\n".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
        Just("\n".to_string()),
    ];
    prop::collection::vec(token, 0..40).prop_map(|parts| parts.concat())
}

#[test]
fn random_toml_never_panics() {
    runner(300)
        .run(&tomlish(), |text| {
            load_and_render(&text);
            Ok(())
        })
        .unwrap();
}

#[derive(Clone, Debug)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Replace(usize, char),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), "\\PC{1,8}").prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
    ];
    prop::collection::vec(edit, 1..8)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match edit {
            Edit::Insert(at, s) => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, s.chars());
            }
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at % len;
                    chars[at] = *c;
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_built_in_packs_never_panic() {
    let packs: Vec<&'static str> = policy::builtin::names()
        .into_iter()
        .filter_map(policy::builtin::text)
        .collect();
    runner(300)
        .run(&(0..packs.len(), edits()), |(pack, edits)| {
            load_and_render(&apply(packs[pack], &edits));
            Ok(())
        })
        .unwrap();
}

#[test]
fn huge_patterns_and_deep_nesting_never_panic() {
    let cases = [
        format!(
            "[[rule]]\nkind = \"forbidden-files\"\npaths = [\"{}\"]\n",
            "{a,".repeat(3000)
        ),
        format!(
            "[[rule]]\nkind = \"forbidden-files\"\npaths = [\"{}\"]\n",
            "[".repeat(20_000)
        ),
        format!(
            "[[rule]]\nkind = \"pr-title\"\nmatches = '{}'\n",
            "(a|b)*".repeat(5_000)
        ),
        format!(
            "[[rule]]\nkind = \"pr-title\"\nmatches = '{}'\n",
            "a{1000}{1000}"
        ),
        format!(
            "[[rule]]\nkind = \"pr-title\"\nmatches = '{}'\n",
            "(".repeat(10_000)
        ),
        format!("a = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000)),
        format!("a = {}1{}\n", "{b = ".repeat(10_000), "}".repeat(10_000)),
        format!("{}\n", "[a.".repeat(5_000)),
        format!("rule = [{}]\n", "{kind = \"nope\"}, ".repeat(5_000)),
        format!("extends = [{}]\n", "\"builtin:nope\", ".repeat(5_000)),
        format!(
            "[[rule]]\nkind = \"docs-allowlist\"\n{}",
            "x = 1\n".repeat(5_000)
        ),
    ];
    for text in &cases {
        load_and_render(text);
    }
    runner(40)
        .run(
            &(
                1usize..2000,
                prop::sample::select(vec!["*", "?", "**/", "{a,b}", "[a-z]", "\\"]),
            ),
            |(n, piece)| {
                load_and_render(&format!(
                    "[[rule]]\nkind = \"forbidden-files\"\npaths = ['{}']\n",
                    piece.repeat(n)
                ));
                Ok(())
            },
        )
        .unwrap();
}
