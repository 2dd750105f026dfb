//! `warden init`: a commented starter `warden.toml` for the repository at hand.
//!
//! It looks at what the repository already has — workflows, docs folders, CODEOWNERS, a
//! Dangerfile, the files a built-in pack expects — picks the pack to extend and writes
//! rules that fit as comments to switch on, so a new user starts from their own layout
//! instead of a blank page. It never overwrites: an existing policy is left alone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `init` saw in the repository.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// `.github/workflows/*.yml` file names, sorted.
    pub workflows: Vec<String>,
    /// Top-level folders holding Markdown docs (`docs`, `adr`…), sorted.
    pub doc_dirs: Vec<String>,
    /// Where CODEOWNERS is, if anywhere.
    pub codeowners: Option<String>,
    /// A Dangerfile (Danger JS or Ruby), if any.
    pub dangerfile: Option<String>,
    /// The built-in pack to extend, and why.
    pub pack: &'static str,
    pub pack_reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists: warden init never overwrites a policy")]
    Exists(PathBuf),
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

const CODEOWNERS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
const DANGERFILES: &[&str] = &[
    "dangerfile.js",
    "dangerfile.ts",
    "Dangerfile",
    "dangerfile.mjs",
    "Dangerfile.js",
    "Dangerfile.ts",
];
/// Folders that never hold a project's own docs.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    ".venv",
];

/// Look at the repository at `root` (the file system only: no git, no network).
pub fn survey(root: &Path) -> Survey {
    let mut s = Survey {
        workflows: list(&root.join(".github/workflows"), |name, is_dir| {
            !is_dir && (name.ends_with(".yml") || name.ends_with(".yaml"))
        }),
        codeowners: CODEOWNERS
            .iter()
            .find(|p| root.join(p).is_file())
            .map(|p| p.to_string()),
        dangerfile: DANGERFILES
            .iter()
            .find(|p| root.join(p).is_file())
            .map(|p| p.to_string()),
        ..Survey::default()
    };
    for dir in list(root, |name, is_dir| {
        is_dir && !SKIP_DIRS.contains(&name) && !name.starts_with('.')
    }) {
        if has_markdown(&root.join(&dir), 3) {
            s.doc_dirs.push(dir);
        }
    }
    let (pack, reason) = if root.join(".claude").is_dir() || root.join(".cursor").is_dir() {
        (
            "mojo-solo",
            "the repository has agent rules (.claude/ or .cursor/), which the SDLC & Ops Playbook pack governs".to_string(),
        )
    } else if root.join("docs/planning").is_dir()
        || s.workflows
            .iter()
            .any(|w| w.starts_with("docs-policy.") || w.starts_with("gitleaks."))
    {
        (
            "governed-delivery",
            "the repository has docs/planning or the docs-policy / gitleaks workflows of Governed Delivery".to_string(),
        )
    } else {
        (
            "default",
            "no playbook layout found: the baseline (no secrets files, a README, CODEOWNERS)"
                .to_string(),
        )
    };
    s.pack = pack;
    s.pack_reason = reason;
    s
}

fn list(dir: &Path, keep: impl Fn(&str, bool) -> bool) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().ok()?.is_dir();
            keep(&name, is_dir).then_some(name)
        })
        .collect();
    out.sort();
    out
}

fn has_markdown(dir: &Path, depth: u32) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            match e.file_type() {
                Ok(t) if t.is_dir() => depth > 0 && has_markdown(&e.path(), depth - 1),
                Ok(_) => name.ends_with(".md") || name.ends_with(".mdx"),
                Err(_) => false,
            }
        })
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| toml::Value::String(i.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// The starter policy text for what `survey` saw.
pub fn starter(s: &Survey) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# warden policy, written by `warden init`. Every rule kind: `warden rules`; a kind's keys and\n\
         # an example: `warden explain KIND`; this pack's rules: `warden explain builtin:{pack}`.\n\
         # Check with `warden check`. Editors complete keys with schemas/policy.json\n\
         # (`warden schema policy`).\n\
         #\n\
         # builtin:{pack}: {reason}.\n\
         extends = [\"builtin:{pack}\"]\n",
        pack = s.pack,
        reason = s.pack_reason
    );

    let mut allow = vec!["README.md".to_string(), "CHANGELOG.md".to_string()];
    allow.extend(s.doc_dirs.iter().map(|d| format!("{d}/**")));
    let _ = writeln!(
        t,
        "# Markdown only where the docs live (found: {}).\n\
         # [[rule]]\n\
         # kind = \"docs-allowlist\"\n\
         # allow = {}\n",
        if s.doc_dirs.is_empty() {
            "no docs folder".to_string()
        } else {
            s.doc_dirs.join(", ")
        },
        toml_list(&allow)
    );

    if s.workflows.is_empty() {
        let _ = writeln!(
            t,
            "# No workflow in .github/workflows yet. Once CI exists, require it:\n\
             # [[rule]]\n\
             # kind = \"required-workflows\"\n\
             # [[rule.workflow]]\n\
             # file = \"ci.yml\"\n\
             # on = [\"pull_request\"]\n"
        );
    } else {
        let _ = writeln!(
            t,
            "# The workflows this repository runs (found: {}): keep them, running on pull requests.\n\
             # [[rule]]\n\
             # kind = \"required-workflows\"",
            s.workflows.join(", ")
        );
        for w in &s.workflows {
            let _ = writeln!(
                t,
                "# [[rule.workflow]]\n# file = {}",
                toml::Value::String(w.clone())
            );
        }
        t.push('\n');
    }

    match &s.codeowners {
        Some(path) => {
            let _ = writeln!(
                t,
                "# CODEOWNERS is at {path}; require code-owner review on main (needs a token with\n\
                 # Administration: read):\n\
                 # [[rule]]\n\
                 # kind = \"branch-protection\"\n\
                 # branches = [\"main\"]\n\
                 # require_code_owner_reviews = true\n"
            );
        }
        None => {
            let _ = writeln!(
                t,
                "# No CODEOWNERS found: the pack's `codeowners` rule reports it. To opt out:\n\
                 # [[rule]]\n\
                 # id = \"codeowners\"\n\
                 # level = \"off\"\n"
            );
        }
    }

    if let Some(danger) = &s.dangerfile {
        let _ = writeln!(
            t,
            "# {danger} found: its pull-request checks can be data here, checked by `warden pr`\n\
             # (see docs/examples/dangerfile.toml in warden's repository). For example:\n\
             # [[rule]]\n\
             # kind = \"pr-issue-link\"\n\
             # exempt_authors = [\"dependabot[bot]\"]\n"
        );
    }

    let _ = writeln!(
        t,
        "# Accept a known gap for a while, with a reason:\n\
         # [[waiver]]\n\
         # rule = \"docs-allowlist\"\n\
         # path = \"notes/legacy.md\"\n\
         # reason = \"moved in the docs migration, tracked in #42\"\n\
         # expires = 2026-12-31"
    );
    t
}

/// Write `warden.toml` at `root` for what is there; refuse when a policy exists.
pub fn init(root: &Path) -> Result<(PathBuf, Survey), InitError> {
    if !root.is_dir() {
        return Err(InitError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    for existing in ["warden.toml", ".github/warden.toml"] {
        let path = root.join(existing);
        if path.exists() {
            return Err(InitError::Exists(path));
        }
    }
    let survey = survey(root);
    let path = root.join("warden.toml");
    crate::effects::output::write_new(&path, starter(&survey).as_bytes()).map_err(|source| {
        match source.kind() {
            std::io::ErrorKind::AlreadyExists => InitError::Exists(path.clone()),
            _ => InitError::Write {
                path: path.clone(),
                source,
            },
        }
    })?;
    Ok((path, survey))
}
