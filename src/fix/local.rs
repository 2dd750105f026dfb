//! Fixes to the files of a repository, and the planner that turns one into a file change.
//!
//! The planner decides everything short of the write: what is at the path now, whether
//! the fix is already in place, whether it would replace a user's file, and the exact
//! bytes to write. It reads through two small traits, so the same decisions serve a
//! checkout (`warden fix`) and a repository's tree on GitHub (`warden fix --org --pr`).

use std::path::PathBuf;

use super::edit;

/// A change to the repository's files that closes a gap. Paths are repository-relative,
/// with `/` separators, as in findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalFix {
    /// Create a symlink at `path` pointing at `target` (written as given: relative stays
    /// relative).
    Symlink { path: String, target: String },
    /// Create a file at `path` holding `content`.
    CreateFile { path: String, content: Content },
    /// Set the value at `key` (a path of table keys) in the JSON, YAML or TOML file at
    /// `path` (the format follows the file's extension), keeping the rest of the file and
    /// its formatting as it is.
    SetValue {
        path: String,
        key: Vec<String>,
        value: serde_json::Value,
        /// The edit against the text the rule judged, for reports that show fixes as text
        /// replacements (SARIF). Executors re-plan against the file as it is then.
        edit: Option<TextEdit>,
    },
    /// Remove the file at `path`; performed only when the user allows deletions.
    Delete { path: String },
}

impl LocalFix {
    /// The repository path the fix changes.
    pub fn path(&self) -> &str {
        match self {
            LocalFix::Symlink { path, .. }
            | LocalFix::CreateFile { path, .. }
            | LocalFix::SetValue { path, .. }
            | LocalFix::Delete { path } => path,
        }
    }

    /// A short name of what the fix does: `symlink`, `create-file`, `set-value`, `delete`.
    pub fn kind(&self) -> &'static str {
        match self {
            LocalFix::Symlink { .. } => "symlink",
            LocalFix::CreateFile { .. } => "create-file",
            LocalFix::SetValue { .. } => "set-value",
            LocalFix::Delete { .. } => "delete",
        }
    }

    /// One line saying what the fix does, for plans and reports.
    pub fn describe(&self) -> String {
        match self {
            LocalFix::Symlink { path, target } => format!("link `{path}` to `{target}`"),
            LocalFix::CreateFile { path, content } => {
                format!("create `{path}` from {}", content.describe())
            }
            LocalFix::SetValue {
                path, key, value, ..
            } => {
                format!("set `{}` = {value} in `{path}`", key.join("."))
            }
            LocalFix::Delete { path } => format!("delete `{path}` (with {ALLOW_DELETE})"),
        }
    }
}

/// One replacement in a file's text: `deleted` bytes at byte `offset` give way to
/// `inserted`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub offset: usize,
    pub deleted: usize,
    pub inserted: String,
}

impl TextEdit {
    /// The smallest edit that turns `old` into `new`: their common start and end kept.
    pub fn between(old: &str, new: &str) -> TextEdit {
        let mut start = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
            start -= 1;
        }
        let max_end = old.len().min(new.len()) - start;
        let mut end = old
            .bytes()
            .rev()
            .zip(new.bytes().rev())
            .take(max_end)
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(old.len() - end) || !new.is_char_boundary(new.len() - end) {
            end -= 1;
        }
        TextEdit {
            offset: start,
            deleted: old.len() - end - start,
            inserted: new[start..new.len() - end].to_string(),
        }
    }
}

/// Where a created file's text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Written in the policy itself.
    Inline(String),
    /// A text file beside the policy: `path` (plain, `/`-separated, no `..`) inside the
    /// policy's folder `dir`. Read without following symlinks, so it cannot leave `dir`.
    Template { dir: PathBuf, path: String },
    /// A file in another repository: `github:ORG/REPO/PATH@REF`.
    GitHub {
        repo: String,
        path: String,
        reference: String,
    },
}

impl Content {
    pub fn describe(&self) -> String {
        match self {
            Content::Inline(_) => "the text in the policy".to_string(),
            Content::Template { path, .. } => format!("the template `{path}`"),
            Content::GitHub {
                repo,
                path,
                reference,
            } => format!("`github:{repo}/{path}@{reference}`"),
        }
    }
}

/// What a local fix does to one path once its content is known: the same for a checkout
/// and for a pull request's tree, so both executors share every decision before the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    Write { path: String, bytes: Vec<u8> },
    Symlink { path: String, target: String },
    Delete { path: String },
}

impl FileChange {
    pub fn path(&self) -> &str {
        match self {
            FileChange::Write { path, .. }
            | FileChange::Symlink { path, .. }
            | FileChange::Delete { path } => path,
        }
    }
}

/// What is at a repository path now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Existing {
    Missing,
    /// A regular file (executable or not) and its bytes.
    File(Vec<u8>),
    Symlink(String),
    /// Something a fix never replaces: a directory, a submodule, a device. Says what.
    Other(String),
}

/// Reads what is at a repository path: in a checkout, or in a tree on GitHub.
pub trait RepoFiles {
    /// `Err` when the path cannot be read safely (e.g. a parent is a symlink).
    fn existing(&self, path: &str) -> Result<Existing, String>;
}

/// Turns a [`Content`] into bytes (inline text, a template file, a file on GitHub).
pub trait ContentReader {
    fn read(&self, content: &Content) -> Result<Vec<u8>, String>;
}

/// What the user allows a fix to do beyond creating and editing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allow {
    /// Delete files, and replace a file or link that is not what the policy wants
    /// (`--allow-delete`): either loses what the user had there.
    pub delete: bool,
}

/// The flag that allows deleting or replacing, named in refusals.
pub const ALLOW_DELETE: &str = "--allow-delete";

/// The change that performs `fix`, `Ok(None)` when the repository already has what the
/// fix wants, or why it cannot be done (it would replace a user's file without
/// [`Allow::delete`], the path is a directory, the file does not parse, ...).
pub fn plan(
    fix: &LocalFix,
    files: &dyn RepoFiles,
    contents: &dyn ContentReader,
    allow: Allow,
) -> Result<Option<FileChange>, String> {
    let path = fix.path();
    check_path(path)?;
    let existing = files.existing(path)?;
    if let Existing::Other(what) = &existing {
        return Err(format!("`{path}` is {what}; warden does not replace it"));
    }
    let replace = |what: &str| -> Result<(), String> {
        if allow.delete {
            Ok(())
        } else {
            Err(format!(
                "`{path}` exists as {what}; warden does not overwrite a user's file unless \
                 told to with {ALLOW_DELETE}"
            ))
        }
    };
    match fix {
        LocalFix::Symlink { target, .. } => {
            match &existing {
                Existing::Symlink(actual) if actual == target => return Ok(None),
                Existing::Symlink(actual) => replace(&format!("a link to `{actual}`"))?,
                Existing::File(_) => replace("a file (a copy, not a link)")?,
                Existing::Missing | Existing::Other(_) => {}
            }
            Ok(Some(FileChange::Symlink {
                path: path.to_string(),
                target: target.clone(),
            }))
        }
        LocalFix::CreateFile { content, .. } => {
            let bytes = contents.read(content)?;
            match &existing {
                Existing::File(now) if *now == bytes => return Ok(None),
                Existing::File(_) => replace("a file with other content")?,
                Existing::Symlink(actual) => replace(&format!("a link to `{actual}`"))?,
                Existing::Missing | Existing::Other(_) => {}
            }
            Ok(Some(FileChange::Write {
                path: path.to_string(),
                bytes,
            }))
        }
        LocalFix::SetValue { key, value, .. } => {
            let text = match &existing {
                Existing::File(bytes) => std::str::from_utf8(bytes)
                    .map_err(|_| format!("`{path}` is not UTF-8 text; not edited"))?,
                Existing::Missing => {
                    return Err(format!(
                        "`{path}` does not exist; warden sets values in existing files only \
                         (create it, or add a `required-files` fix that does)"
                    ))
                }
                Existing::Symlink(_) => {
                    return Err(format!(
                        "`{path}` is a symlink; warden edits only regular files"
                    ))
                }
                Existing::Other(_) => unreachable!("refused above"),
            };
            let edited = edit::set_value(path, text, key, value)
                .map_err(|why| format!("cannot set `{}` in `{path}`: {why}", key.join(".")))?;
            Ok(edited.map(|text| FileChange::Write {
                path: path.to_string(),
                bytes: text.into_bytes(),
            }))
        }
        LocalFix::Delete { .. } => match existing {
            Existing::Missing => Ok(None),
            _ if !allow.delete => Err(format!(
                "deleting `{path}` needs {ALLOW_DELETE}: warden never deletes a file unless told"
            )),
            _ => Ok(Some(FileChange::Delete {
                path: path.to_string(),
            })),
        },
    }
}

/// A fix's path must be a plain relative path inside the repository: never absolute,
/// never `..`, never `.git`.
pub fn check_path(path: &str) -> Result<(), String> {
    let problem = if path.is_empty() {
        Some("it is empty")
    } else if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        Some("it is absolute or not written with `/`")
    } else if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        Some("it has empty, `.` or `..` parts")
    } else if path
        .split('/')
        .any(|part| part.eq_ignore_ascii_case(".git"))
    {
        Some("it is inside `.git`")
    } else if path.contains('\0') {
        Some("it holds a NUL byte")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!(
            "`{path}` is not a plain path inside the repository ({problem}); not changed"
        )),
        None => Ok(()),
    }
}

/// Reads `Inline` and `Template` content; `GitHub` content needs a client and is
/// refused with the given reason (e.g. no token).
pub struct LocalContent {
    /// Why `github:` content cannot be read here.
    pub no_github: String,
}

impl ContentReader for LocalContent {
    fn read(&self, content: &Content) -> Result<Vec<u8>, String> {
        read_local(content).unwrap_or_else(|| Err(self.no_github.clone()))
    }
}

/// Inline text or a template's bytes; `None` for content on GitHub.
pub fn read_local(content: &Content) -> Option<Result<Vec<u8>, String>> {
    match content {
        Content::Inline(text) => Some(Ok(text.clone().into_bytes())),
        Content::Template { dir, path } => Some(
            crate::facts::read_worktree_text(dir, path)
                .map(String::into_bytes)
                .map_err(|e| format!("cannot read the template `{path}` beside the policy: {e}")),
        ),
        Content::GitHub { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Tree(HashMap<&'static str, Existing>);

    impl RepoFiles for Tree {
        fn existing(&self, path: &str) -> Result<Existing, String> {
            Ok(self.0.get(path).cloned().unwrap_or(Existing::Missing))
        }
    }

    fn tree(entries: &[(&'static str, Existing)]) -> Tree {
        Tree(entries.iter().cloned().collect())
    }

    fn local() -> LocalContent {
        LocalContent {
            no_github: "no token".into(),
        }
    }

    fn link(path: &str, target: &str) -> LocalFix {
        LocalFix::Symlink {
            path: path.into(),
            target: target.into(),
        }
    }

    #[test]
    fn a_missing_link_is_created_and_a_right_one_left_alone() {
        let fix = link("a/l", "../t");
        assert_eq!(
            plan(&fix, &tree(&[]), &local(), Allow::default()).unwrap(),
            Some(FileChange::Symlink {
                path: "a/l".into(),
                target: "../t".into()
            })
        );
        let done = tree(&[("a/l", Existing::Symlink("../t".into()))]);
        assert_eq!(plan(&fix, &done, &local(), Allow::default()).unwrap(), None);
    }

    #[test]
    fn replacing_a_copy_or_another_link_needs_allow_delete() {
        let fix = link("l", "t");
        for now in [
            Existing::File(b"copy".to_vec()),
            Existing::Symlink("x".into()),
        ] {
            let files = tree(&[("l", now)]);
            let err = plan(&fix, &files, &local(), Allow::default()).unwrap_err();
            assert!(err.contains("--allow-delete"), "{err}");
            assert!(plan(&fix, &files, &local(), Allow { delete: true })
                .unwrap()
                .is_some());
        }
    }

    #[test]
    fn directories_are_never_replaced_and_bad_paths_refused() {
        let files = tree(&[("d", Existing::Other("a directory".into()))]);
        let err = plan(&link("d", "t"), &files, &local(), Allow { delete: true }).unwrap_err();
        assert!(err.contains("a directory"), "{err}");
        for bad in [
            "/etc/x",
            "../x",
            "a/../../x",
            ".git/hooks/pre-commit",
            "a//b",
            "",
        ] {
            let err = plan(
                &link(bad, "t"),
                &tree(&[]),
                &local(),
                Allow { delete: true },
            )
            .unwrap_err();
            assert!(err.contains("not a plain path"), "{bad}: {err}");
        }
    }

    #[test]
    fn create_file_writes_content_and_keeps_a_different_file() {
        let fix = LocalFix::CreateFile {
            path: "README.md".into(),
            content: Content::Inline("# hi\n".into()),
        };
        assert_eq!(
            plan(&fix, &tree(&[]), &local(), Allow::default()).unwrap(),
            Some(FileChange::Write {
                path: "README.md".into(),
                bytes: b"# hi\n".to_vec()
            })
        );
        let same = tree(&[("README.md", Existing::File(b"# hi\n".to_vec()))]);
        assert_eq!(plan(&fix, &same, &local(), Allow::default()).unwrap(), None);
        let other = tree(&[("README.md", Existing::File(b"mine".to_vec()))]);
        assert!(plan(&fix, &other, &local(), Allow::default()).is_err());
        let remote = LocalFix::CreateFile {
            path: "x".into(),
            content: Content::GitHub {
                repo: "o/r".into(),
                path: "p".into(),
                reference: "main".into(),
            },
        };
        assert_eq!(
            plan(&remote, &tree(&[]), &local(), Allow::default()).unwrap_err(),
            "no token"
        );
    }

    #[test]
    fn text_edits_are_the_smallest_replacement() {
        let edit = TextEdit::between("a: false # x\n", "a: true # x\n");
        assert_eq!(
            edit,
            TextEdit {
                offset: 3,
                deleted: 4,
                inserted: "tru".into()
            }
        );
        let edit = TextEdit::between("{}", "{\"k\": 1}");
        assert_eq!(
            (edit.offset, edit.deleted, edit.inserted.as_str()),
            (1, 0, "\"k\": 1")
        );
        let edit = TextEdit::between("é1", "è1");
        assert_eq!(
            (edit.offset, edit.deleted, edit.inserted.as_str()),
            (0, 2, "è")
        );
    }

    #[test]
    fn delete_needs_allow_and_a_missing_file_is_done() {
        let fix = LocalFix::Delete {
            path: ".env".into(),
        };
        assert_eq!(
            plan(&fix, &tree(&[]), &local(), Allow::default()).unwrap(),
            None
        );
        let files = tree(&[(".env", Existing::File(b"SECRET=1".to_vec()))]);
        assert!(plan(&fix, &files, &local(), Allow::default())
            .unwrap_err()
            .contains("--allow-delete"));
        assert_eq!(
            plan(&fix, &files, &local(), Allow { delete: true }).unwrap(),
            Some(FileChange::Delete {
                path: ".env".into()
            })
        );
    }

    #[test]
    fn set_value_edits_in_place_and_is_done_when_equal() {
        let fix = LocalFix::SetValue {
            path: "package.json".into(),
            key: vec!["private".into()],
            value: serde_json::json!(true),
            edit: None,
        };
        let files = tree(&[(
            "package.json",
            Existing::File(b"{\n    \"name\": \"x\",\n    \"private\": false\n}\n".to_vec()),
        )]);
        assert_eq!(
            plan(&fix, &files, &local(), Allow::default()).unwrap(),
            Some(FileChange::Write {
                path: "package.json".into(),
                bytes: b"{\n    \"name\": \"x\",\n    \"private\": true\n}\n".to_vec()
            })
        );
        let done = tree(&[(
            "package.json",
            Existing::File(b"{\"private\": true}".to_vec()),
        )]);
        assert_eq!(plan(&fix, &done, &local(), Allow::default()).unwrap(), None);
        assert!(plan(&fix, &tree(&[]), &local(), Allow::default())
            .unwrap_err()
            .contains("does not exist"));
    }
}
