//! Command-line conventions: completions, the man page, `-q` and colour.

use crate::common::{warden, TestRepo};

fn stdout_of(args: &[&str]) -> String {
    let repo = TestRepo::new();
    let output = warden(repo.path()).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn bash_completions_name_the_subcommands() {
    let script = stdout_of(&["completions", "bash"]);
    for sub in [
        "check",
        "pr",
        "sweep",
        "merge",
        "explain",
        "pre-commit",
        "completions",
        "man",
    ] {
        assert!(script.contains(sub), "no `{sub}` in the bash completions");
    }
    assert!(
        script.contains("complete -F"),
        "not a bash completion script"
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("warden"), "{shell}: {script}");
        assert!(script.contains("sweep"), "{shell}: no subcommand");
    }
}

#[test]
fn man_page_is_roff_with_the_subcommands() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH warden"), "{page}");
    for sub in ["check", "sweep", "explain", "completions"] {
        assert!(page.contains(sub), "no `{sub}` in the man page");
    }
}
