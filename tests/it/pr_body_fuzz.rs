//! The PR-body parser under generated input (proptest, bounded: a few thousand bodies,
//! well under a second): it never panics, and what GitHub hides stays hidden wherever it
//! appears. Bodies are built from Markdown's sharp edges (fences of both kinds and any
//! length, backtick runs, comment and code tags, indentation, list and quote markers,
//! escapes, multi-byte text) mixed with references, plus fully arbitrary strings.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use warden::github::RepoId;
use warden::pr::{mentions, mentions_on};
use warden::rules::pr_allowed_paths::declared;

const PIECES: &[&str] = &[
    "Fixes ",
    "fixes: ",
    "closes ",
    "#1",
    "#22",
    "o/r#3",
    "&#35;4",
    "x#5",
    "https://github.com/o/r/issues/6",
    "https://github.com/o/r/pull/7",
    "https://ghe.example/o/r/issues/8",
    "`",
    "``",
    "```",
    "````",
    "~~~",
    "~~~~",
    "<!--",
    "-->",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<CODE x>",
    "\\",
    "\\`",
    "\n",
    "\n\n",
    "\r\n",
    "    ",
    "\t",
    "  ",
    "- ",
    "1. ",
    "> ",
    "* ",
    "**",
    "Allowed paths:",
    "allowed path:",
    "## Allowed paths\n",
    "app/**",
    "{a,b}/*.rs",
    "./src/**",
    "\u{e9}",
    "\u{1F600}",
    "\u{200B}",
    "\u{0}",
    " ",
    "text",
    ",",
];

fn config() -> Config {
    Config {
        cases: 600,
        // Tests write only to temp dirs: no regression files in the source tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..48).prop_map(|p| p.concat())
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![3 => markdownish(), 1 => any::<String>()]
}

fn repo() -> RepoId {
    RepoId::parse("o/r").unwrap()
}

fn numbers(body: &str) -> Vec<(u64, u32)> {
    mentions(body, Some(&repo()))
        .into_iter()
        .map(|m| (m.issue.number, m.line))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn references_are_on_real_lines_and_written_in_the_body(body in body()) {
        let lines = body.lines().count().max(1) as u32;
        for found in mentions_on(&body, Some(&repo()), "ghe.example") {
            prop_assert!((1..=lines).contains(&found.line), "{found:?} in {body:?}");
            prop_assert!(body.contains(&found.issue.number.to_string()));
        }
    }

    #[test]
    fn a_fence_longer_than_any_backtick_run_hides_everything(body in body()) {
        let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let fenced = format!("{fence}\n{body}\n{fence}\n");
        prop_assert_eq!(numbers(&fenced), vec![]);
    }

    #[test]
    fn an_html_comment_hides_everything(body in body()) {
        prop_assume!(!body.contains("-->"));
        prop_assert_eq!(numbers(&format!("<!--\n{body}\n-->")), vec![]);
    }

    #[test]
    fn an_inline_code_span_hides_one_line(line in body()) {
        let line = line.replace(['`', '\n', '\r'], " ");
        prop_assert_eq!(numbers(&format!("`{line}`")), vec![]);
    }

    #[test]
    fn a_paragraph_before_changes_only_line_numbers(body in body()) {
        prop_assume!(!body.starts_with(['\n', '\r']));
        let shifted: Vec<(u64, u32)> =
            numbers(&body).into_iter().map(|(n, line)| (n, line + 2)).collect();
        prop_assert_eq!(numbers(&format!("Intro\n\n{body}")), shifted);
    }

    #[test]
    fn allowed_paths_declarations_never_panic(body in body()) {
        if let Some(found) = declared(&body, "Allowed paths") {
            let lines = body.lines().count().max(1) as u32;
            for entry in &found.entries {
                prop_assert!(!entry.text.is_empty());
                prop_assert!(!entry.text.contains(char::is_whitespace), "{:?}", entry);
                prop_assert!((1..=lines).contains(&entry.line), "{entry:?} in {body:?}");
            }
            for (line, _) in &found.unreadable {
                prop_assert!((1..=lines).contains(line));
            }
        }
    }
}
