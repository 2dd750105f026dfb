use crate::common::{warden, TestRepo};

#[test]
fn check_reports_markdown_outside_the_allow_list_and_exits_1() {
    let repo = TestRepo::new();
    repo.write("README.md", "hi")
        .write("notes/legacy.md", "old")
        .write(
            "warden.toml",
            "[[rule]]\nkind = \"docs-allowlist\"\nallow = [\"README.md\", \"docs/**\"]\n",
        );
    repo.commit("init");
    let out = warden(repo.path()).arg("check").assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("`notes/legacy.md` is outside the docs allow-list"),
        "{stdout}"
    );
    assert!(stdout.contains("1 deny"), "{stdout}");
}
