//! Loading policies: discovery, `extends` layering, rule and waiver validation.
//!
//! A policy file is parsed keeping spans, then every table is validated into typed rules.
//! Problems are collected across all files and returned together as [`PolicyErrors`].

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::DeTable;

pub mod builtin;
pub mod diagnostic;
pub mod patterns;
pub mod reader;

use crate::model::Level;
use crate::rules::{self, Rule, RuleKind};
use diagnostic::{did_you_mean, PolicyDiagnostic, PolicyErrors, PolicySource};
use patterns::Globs;
use reader::TableReader;

fn locked_error(
    src: &PolicySource,
    id: &str,
    span: Range<usize>,
    origin: &Origin,
) -> PolicyDiagnostic {
    src.error("not-overridable", format!("rule `{id}` cannot be changed here"))
        .label(span, "overrides a rule the base policy locked")
        .help(format!(
            "{origin} declares it with `overridable = false`; ask the owners of that policy to change it"
        ))
}

/// The id of the check warden adds for expired and unused waivers.
pub const RESERVED_ID: &str = "waivers";

/// Where something was declared: policy file name and 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Origin {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A rule as the policy configures it.
#[derive(Debug)]
pub struct ConfiguredRule {
    pub id: String,
    pub kind: &'static RuleKind,
    pub level: Level,
    pub rule: Arc<dyn Rule>,
    pub origin: Origin,
}

/// An accepted gap: findings of `rule` (under `path`, if given) are shown as waived.
#[derive(Debug)]
pub struct Waiver {
    pub rule: String,
    pub path: Option<Globs>,
    pub reason: String,
    pub expires: Option<jiff::civil::Date>,
    pub origin: Origin,
}

/// A validated policy: the effective rules after layering, and the waivers.
#[derive(Debug)]
pub struct Policy {
    pub rules: Vec<ConfiguredRule>,
    pub waivers: Vec<Waiver>,
    /// The files that made up this policy, outermost last.
    pub sources: Vec<String>,
}

/// The policy files to load, by the discovery order documented in the README.
pub fn discover(root: &Path, explicit: &[PathBuf]) -> Vec<PolicyRef> {
    if !explicit.is_empty() {
        return explicit
            .iter()
            .map(
                |p| match p.to_str().and_then(|t| t.strip_prefix("builtin:")) {
                    Some(name) => PolicyRef::Builtin(name.to_string()),
                    None => PolicyRef::File(p.clone()),
                },
            )
            .collect();
    }
    for candidate in ["warden.toml", ".github/warden.toml"] {
        let path = root.join(candidate);
        // A symlink counts as found, so one that leads outside is refused, not skipped.
        if path.is_file() || path.is_symlink() {
            return vec![PolicyRef::Found(path)];
        }
    }
    vec![PolicyRef::Builtin(builtin::DEFAULT.to_string())]
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRef {
    /// A file named on the command line: read wherever it is.
    File(PathBuf),
    /// A file found in the repository: read only if it really is inside it.
    Found(PathBuf),
    Builtin(String),
    /// A policy file's text read from git, not the working tree: the staged version for
    /// `--staged`, the base commit's for `warden pr`. `path` is where the file sits in the
    /// checkout (local `extends` resolve from there); `name` is how reports name it.
    Text {
        path: PathBuf,
        name: String,
        text: String,
    },
}

/// The largest policy file warden reads: far beyond any real policy, and a bound on what
/// a hostile one can cost.
pub const MAX_POLICY_BYTES: u64 = 2 * 1024 * 1024;

/// A policy text placed at `canonical`: its `extends` resolve from there, cycles are found
/// by that path, and only a `*.toml` file is ever quoted in a diagnostic.
fn placed(mut src: PolicySource, canonical: &Path) -> PolicySource {
    src.dir = Some(
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    );
    src.quote = canonical.extension().is_some_and(|e| e == "toml");
    src.key = canonical.to_string_lossy().into_owned();
    src
}

/// Load and validate the given policy files, layered in order.
pub fn load(refs: &[PolicyRef]) -> Result<Policy, PolicyErrors> {
    load_for(refs, None)
}

/// Like [`load`], naming policy files inside `root` relative to it, so findings about a
/// policy (expired waivers) carry repository paths like every other finding.
pub fn load_for(refs: &[PolicyRef], root: Option<&Path>) -> Result<Policy, PolicyErrors> {
    load_with(refs, root, None)
}

/// A policy kept in another repository: `github:OWNER/REPO/PATH@REF` (`@REF` optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemotePolicy {
    pub owner: String,
    pub repo: String,
    pub path: String,
    pub git_ref: Option<String>,
}

impl RemotePolicy {
    pub fn parse(text: &str) -> Option<RemotePolicy> {
        let rest = text.strip_prefix("github:")?;
        let (location, git_ref) = match rest.rsplit_once('@') {
            Some((location, git_ref)) if !git_ref.is_empty() => {
                (location, Some(git_ref.to_string()))
            }
            _ => (rest, None),
        };
        let mut parts = location.splitn(3, '/');
        let (owner, repo, path) = (parts.next()?, parts.next()?, parts.next()?);
        let clean = |s: &str| !s.is_empty() && !s.split('/').any(|p| p == ".." || p.is_empty());
        (clean(owner) && clean(repo) && clean(path)).then(|| RemotePolicy {
            owner: owner.to_string(),
            repo: repo.to_string(),
            path: path.to_string(),
            git_ref,
        })
    }
}

/// Fetches the text of a remote policy (the GitHub contents API, or a cached copy).
pub type Fetch<'a> = &'a dyn Fn(&RemotePolicy) -> Result<String, String>;

/// Like [`load_for`], with a way to fetch `github:` policies named in `extends`.
pub fn load_with(
    refs: &[PolicyRef],
    root: Option<&Path>,
    fetch: Option<Fetch<'_>>,
) -> Result<Policy, PolicyErrors> {
    load_confined(refs, root, &[], fetch)
}

/// Like [`load_with`], also letting local `extends` read inside `policy_roots`
/// (`--policy-root`). Local policies may otherwise be read only inside the repository
/// or the directory of a policy file named on the command line.
pub fn load_confined(
    refs: &[PolicyRef],
    root: Option<&Path>,
    policy_roots: &[PathBuf],
    fetch: Option<Fetch<'_>>,
) -> Result<Policy, PolicyErrors> {
    let mut loader = Loader {
        root: root.and_then(|r| r.canonicalize().ok()),
        fetch,
        ..Loader::default()
    };
    loader.roots.extend(loader.root.clone());
    for dir in policy_roots {
        match dir.canonicalize() {
            Ok(dir) if dir.is_dir() => loader.roots.push(dir),
            Ok(_) => loader.diags.push(PolicyDiagnostic::detached(
                "io",
                format!("--policy-root {} is not a directory", dir.display()),
            )),
            Err(e) => loader.diags.push(PolicyDiagnostic::detached(
                "io",
                format!("cannot use --policy-root {}: {e}", dir.display()),
            )),
        }
    }
    for policy in refs {
        if let PolicyRef::File(path) = policy {
            let dir = path
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            loader.roots.extend(dir);
        }
    }
    for policy in refs {
        match policy {
            PolicyRef::File(path) | PolicyRef::Found(path) => {
                let confine = matches!(policy, PolicyRef::Found(_));
                match loader.read_local(path, confine) {
                    Ok(src) => loader.load_source(src, &mut Vec::new()),
                    Err((code, why)) => loader.diags.push(
                        PolicyDiagnostic::detached(
                            code,
                            format!("cannot read policy file {}: {why}", path.display()),
                        )
                        .help("pass an existing file with --policy, or run without it to use warden.toml or the default pack"),
                    ),
                }
            }
            PolicyRef::Text { name, text, .. } if text.len() as u64 > MAX_POLICY_BYTES => {
                loader.diags.push(PolicyDiagnostic::detached(
                    "io",
                    format!("cannot read policy file {name}: larger than {MAX_POLICY_BYTES} bytes"),
                ))
            }
            PolicyRef::Text { path, name, text } => {
                // Text read from git (the index, a base commit): it sits at `path` in the
                // checkout, so local `extends` resolve and are confined from there.
                let canonical = path
                    .parent()
                    .and_then(|dir| dir.canonicalize().ok())
                    .map(|dir| dir.join(path.file_name().unwrap_or_default()))
                    .unwrap_or_else(|| path.clone());
                let src = placed(PolicySource::new(name.clone(), text.clone()), &canonical);
                loader.load_source(src, &mut Vec::new())
            }
            PolicyRef::Builtin(name) => match builtin::source(name) {
                Some(src) => loader.load_source(src, &mut Vec::new()),
                None => loader.diags.push(
                    PolicyDiagnostic::detached(
                        "unknown-builtin",
                        format!("there is no built-in policy `{name}`"),
                    )
                    .help(format!(
                        "built-in policies: {}",
                        builtin::names().join(", ")
                    )),
                ),
            },
        }
    }
    loader.finish()
}

/// Load a policy from text (for tests and `--policy -`).
pub fn load_text(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
    let mut loader = Loader::default();
    let mut src = PolicySource::new(name, text);
    src.dir = Some(PathBuf::from("."));
    loader.load_source(src, &mut Vec::new());
    loader.finish()
}

/// How a policy file is named in reports: relative to the repository root when inside it
/// (`warden.toml`, not `./warden.toml` or `/home/me/repo/warden.toml`).
fn display_name(path: &Path, root: Option<&Path>) -> String {
    if let (Some(root), Ok(full)) = (root, path.canonicalize()) {
        if let Ok(relative) = full.strip_prefix(root) {
            return relative.to_string_lossy().replace('\\', "/");
        }
    }
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Where the first invalid byte of a file that is not UTF-8 is, without its content.
fn not_utf8(bytes: &[u8], err: std::str::Utf8Error) -> String {
    let at = err.valid_up_to();
    // The bytes before it are valid UTF-8.
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("it is not UTF-8 text: the first invalid byte is at line {line}, column {column} (byte {at})")
}

/// One rule while layering: a later file may still switch it off (`None`) or re-level it.
struct Slot {
    rule: Option<ConfiguredRule>,
    /// Set by `overridable = false`: where the rule was locked. Later files may not
    /// switch it off, re-level or redefine it (an organisation's base policy).
    locked: Option<Origin>,
}

#[derive(Default)]
struct Loader<'f> {
    /// The canonical repository root, for naming policy files.
    root: Option<PathBuf>,
    /// The canonical directories local policies may be read from.
    roots: Vec<PathBuf>,
    fetch: Option<Fetch<'f>>,
    diags: Vec<PolicyDiagnostic>,
    order: Vec<String>,
    slots: HashMap<String, Slot>,
    waivers: Vec<Waiver>,
    sources: Vec<String>,
}

impl Loader<'_> {
    fn finish(self) -> Result<Policy, PolicyErrors> {
        if !self.diags.is_empty() {
            return Err(PolicyErrors::new(self.diags));
        }
        let mut slots = self.slots;
        let rules = self
            .order
            .iter()
            .filter_map(|id| slots.remove(id).and_then(|s| s.rule))
            .collect();
        Ok(Policy {
            rules,
            waivers: self.waivers,
            sources: self.sources,
        })
    }

    /// Read a local policy file: a regular file of bounded size, UTF-8, and (when
    /// `confine`d, as every file not named on the command line is) inside the allowed
    /// directories. The error is a diagnostic code and why, never the file's content.
    fn read_local(
        &self,
        path: &Path,
        confine: bool,
    ) -> Result<PolicySource, (&'static str, String)> {
        use std::io::Read;
        let io = |e: std::io::Error| ("io", e.to_string());
        let canonical = path.canonicalize().map_err(io)?;
        if confine && !self.roots.iter().any(|root| canonical.starts_with(root)) {
            return Err((
                "outside",
                "it is outside the repository; local policies must stay inside it \
                 (name another directory with --policy-root)"
                    .to_string(),
            ));
        }
        let meta = std::fs::metadata(&canonical).map_err(io)?;
        if !meta.is_file() {
            return Err(("io", "it is not a regular file".to_string()));
        }
        let too_large = || {
            (
                "too-large",
                format!(
                    "it is larger than {} MiB, the most a policy may be",
                    MAX_POLICY_BYTES >> 20
                ),
            )
        };
        if meta.len() > MAX_POLICY_BYTES {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&canonical)
            .and_then(|f| f.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(too_large());
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| ("encoding", not_utf8(e.as_bytes(), e.utf8_error())))?;
        let src = PolicySource::new(display_name(path, self.root.as_deref()), text);
        Ok(placed(src, &canonical))
    }

    /// Load one file: first what it extends, then its own rules and waivers.
    /// `stack` holds the files being loaded (key and name), to refuse cycles.
    fn load_source(&mut self, src: PolicySource, stack: &mut Vec<(String, String)>) {
        let text = src.text.clone();
        let doc = match DeTable::parse(&text) {
            Ok(doc) => doc,
            Err(err) => {
                let span = err.span().unwrap_or(0..0);
                let diag = src
                    .error("syntax", "the policy is not valid TOML")
                    .label(span, err.message().trim().to_string())
                    .help("see https://toml.io for the syntax; strings need quotes, tables use [[rule]]");
                self.diags.push(diag);
                return;
            }
        };
        stack.push((src.key.clone(), src.name.clone()));
        let doc_span = doc.span();
        let table = doc.get_ref();
        // Top-level problems go to a local list: the tables below borrow from the reader.
        let mut top_diags = Vec::new();
        let mut top = TableReader::new(&src, &mut top_diags, table, doc_span, "the policy file");
        let extends = top.str_list("extends").unwrap_or_default();
        let rule_tables = top.tables("rule");
        let waiver_tables = top.tables("waiver");
        top.finish();

        for entry in &extends {
            self.load_extends(&src, entry, stack);
        }
        let mut seen_here: HashMap<String, Range<usize>> = HashMap::new();
        for (table, span) in rule_tables {
            self.load_rule(&src, table, span, &mut seen_here);
        }
        for (table, span) in waiver_tables {
            self.load_waiver(&src, table, span);
        }
        self.diags.append(&mut top_diags);
        self.sources.push(src.name.clone());
        stack.pop();
    }

    fn load_extends(
        &mut self,
        src: &PolicySource,
        entry: &reader::Sp<String>,
        stack: &mut Vec<(String, String)>,
    ) {
        let target = entry.value.as_str();
        let next = if let Some(name) = target.strip_prefix("builtin:") {
            match builtin::source(name) {
                Some(next) => next,
                None => {
                    let help = match did_you_mean(name, builtin::names().iter().copied()) {
                        Some(close) => format!("did you mean `builtin:{close}`?"),
                        None => format!("built-in policies: {}", builtin::names().join(", ")),
                    };
                    self.diags.push(
                        src.error(
                            "unknown-builtin",
                            format!("there is no built-in policy `{name}`"),
                        )
                        .label(entry.span.clone(), "unknown built-in policy")
                        .help(help),
                    );
                    return;
                }
            }
        } else if target.starts_with("github:") {
            let Some(remote) = RemotePolicy::parse(target) else {
                self.diags.push(
                    src.error(
                        "bad-extends",
                        format!("cannot read `{target}` as a remote policy"),
                    )
                    .label(entry.span.clone(), "not github:OWNER/REPO/PATH@REF")
                    .help("for example: github:my-org/organisation-rules/policies/base.toml@main"),
                );
                return;
            };
            let fetched = match self.fetch {
                Some(fetch) => fetch(&remote),
                None => Err("remote policies cannot be fetched here".to_string()),
            };
            match fetched {
                // A remote policy may extend builtins and other remote policies, not local paths.
                Ok(text) if text.len() as u64 > MAX_POLICY_BYTES => {
                    self.diags.push(
                        src.error(
                            "too-large",
                            format!("`{target}` is too large to be a policy"),
                        )
                        .label(
                            entry.span.clone(),
                            format!("larger than {} MiB", MAX_POLICY_BYTES >> 20),
                        )
                        .help("a policy is a small TOML file; check the path"),
                    );
                    return;
                }
                Ok(text) => {
                    let mut next = PolicySource::new(target, text);
                    next.quote = remote.path.ends_with(".toml");
                    next
                }
                Err(why) => {
                    self.diags.push(
                        src.error("bad-extends", format!("cannot fetch `{target}`"))
                            .label(entry.span.clone(), why)
                            .help("the base policy is read through the GitHub API: set GITHUB_TOKEN (a copy fetched earlier is used offline)"),
                    );
                    return;
                }
            }
        } else if target.contains("://") {
            self.diags.push(
                src.error("bad-extends", format!("cannot extend `{target}`"))
                    .label(entry.span.clone(), "URLs are not policy sources")
                    .help("use `builtin:NAME`, `github:OWNER/REPO/PATH@REF`, or a path relative to this file"),
            );
            return;
        } else if src.dir.is_none() {
            self.diags.push(
                src.error(
                    "bad-extends",
                    format!("`{target}` is a local path in a policy that has no directory"),
                )
                .label(
                    entry.span.clone(),
                    "built-in and remote policies can only extend builtin: and github: policies",
                )
                .help("name it as `github:OWNER/REPO/PATH@REF`"),
            );
            return;
        } else {
            let base = src.dir.clone().unwrap_or_default();
            let path = base.join(target);
            match self.read_local(&path, true) {
                Ok(next) => next,
                Err((_, why)) => {
                    self.diags.push(
                        src.error("bad-extends", format!("cannot read extended policy `{target}`"))
                            .label(entry.span.clone(), why)
                            .help("paths in `extends` are relative to the file that names them and stay inside the repository; built-in packs are `builtin:NAME`"),
                    );
                    return;
                }
            }
        };
        if stack.iter().any(|(key, _)| *key == next.key) {
            self.diags.push(
                src.error(
                    "bad-extends",
                    format!("`{target}` extends itself in a cycle"),
                )
                .label(entry.span.clone(), "this closes a cycle")
                .help(format!(
                    "the chain is {} → {}",
                    stack
                        .iter()
                        .map(|(_, name)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(" → "),
                    next.name
                )),
            );
            return;
        }
        self.load_source(next, stack);
    }

    fn load_rule(
        &mut self,
        src: &PolicySource,
        table: &DeTable<'_>,
        span: Range<usize>,
        seen_here: &mut HashMap<String, Range<usize>>,
    ) {
        let mut reader = TableReader::new(src, &mut self.diags, table, span.clone(), "a [[rule]]");
        let kind_text = reader.opt_str("kind");
        let id = reader.opt_str("id");
        let level_text = reader.opt_str("level");
        let overridable = reader.opt_bool("overridable").unwrap_or(true);
        if let Some(id) = &id {
            // Ids are printed in every report format and CI log line.
            if id.value.is_empty() || id.value.chars().any(|c| c.is_control()) {
                reader.error(
                    "bad-value",
                    id.span.clone(),
                    "a rule `id` must be non-empty text without control characters",
                    "not a usable id",
                    "use letters, digits and dashes, e.g. id = \"no-env-files\"",
                );
                return;
            }
        }

        let level = match &level_text {
            None => None,
            Some(text) if text.value == "off" => Some(None),
            Some(text) => match Level::parse(&text.value) {
                Some(level) => Some(Some(level)),
                None => {
                    reader.error(
                        "bad-value",
                        text.span.clone(),
                        format!("unknown level `{}`", text.value),
                        "not a level",
                        "a level is \"deny\" (blocks), \"warn\", \"info\", or \"off\" to switch the rule off",
                    );
                    // The kind's keys were not read: do not call them unknown.
                    return;
                }
            },
        };

        let Some(kind_text) = kind_text else {
            // No kind: this table overrides a rule declared by an earlier (extended) file.
            let Some(id) = id else {
                if !reader.has("kind") {
                    let what = reader.span();
                    let header = what.start..(what.start + 8).min(what.end);
                    reader.error(
                        "missing-key",
                        header,
                        "a [[rule]] needs `kind`",
                        "`kind` is missing here",
                        format!(
                            "add `kind = \"...\"`; rule kinds: {}",
                            rules::REGISTRY
                                .iter()
                                .map(|k| k.id)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                return reader.finish();
            };
            reader.finish();
            self.override_rule(src, id, level, seen_here);
            return;
        };

        let Some(kind) = rules::find(&kind_text.value) else {
            let help = match did_you_mean(&kind_text.value, rules::REGISTRY.iter().map(|k| k.id)) {
                Some(close) => format!("did you mean `{close}`? `warden rules` lists every kind"),
                None => format!(
                    "rule kinds: {}",
                    rules::REGISTRY
                        .iter()
                        .map(|k| k.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            reader.error(
                "unknown-kind",
                kind_text.span.clone(),
                format!("unknown rule kind `{}`", kind_text.value),
                "not a rule kind",
                help,
            );
            // Keys of an unknown kind cannot be checked; do not pile errors on top.
            return;
        };
        let what = format!("rule `{}`", kind.id);
        let mut reader = TableReader::new(src, &mut self.diags, table, span.clone(), what);
        reader.mark_known(&["kind", "id", "level", "overridable"]);
        let parsed = (kind.parse)(&mut reader);
        reader.finish();

        let id_text = id
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_else(|| kind.id.to_string());
        let id_span = id
            .as_ref()
            .map(|i| i.span.clone())
            .unwrap_or_else(|| kind_text.span.clone());
        if let Some(first) = seen_here.get(&id_text) {
            self.diags.push(
                src.error(
                    "duplicate-id",
                    format!("two rules in this file have the id `{id_text}`"),
                )
                .label(first.clone(), "first declared here")
                .label(id_span, "declared again here")
                .help("give each rule of the same kind its own `id = \"...\"`"),
            );
            return;
        }
        seen_here.insert(id_text.clone(), id_span.clone());
        let Some(rule) = parsed else { return };
        // No `level` means deny; `level = "off"` declares the rule switched off.
        let configured = match level {
            Some(None) => None,
            other => Some(ConfiguredRule {
                id: id_text.clone(),
                kind,
                level: other.flatten().unwrap_or(Level::Deny),
                rule: Arc::from(rule),
                origin: Origin {
                    file: src.name.clone(),
                    line: src.line_of(span.start),
                },
            }),
        };
        if let Some(origin) = self.slots.get(&id_text).and_then(|s| s.locked.clone()) {
            self.diags
                .push(locked_error(src, &id_text, id_span, &origin));
            return;
        }
        if !self.slots.contains_key(&id_text) {
            self.order.push(id_text.clone());
        }
        let locked = (!overridable).then(|| Origin {
            file: src.name.clone(),
            line: src.line_of(span.start),
        });
        self.slots.insert(
            id_text,
            Slot {
                rule: configured,
                locked,
            },
        );
    }

    /// `[[rule]]` with an `id` and no `kind`: change the level of an inherited rule.
    fn override_rule(
        &mut self,
        src: &PolicySource,
        id: reader::Sp<String>,
        level: Option<Option<Level>>,
        seen_here: &mut HashMap<String, Range<usize>>,
    ) {
        if let Some(first) = seen_here.get(&id.value) {
            self.diags.push(
                src.error(
                    "duplicate-id",
                    format!("two rules in this file have the id `{}`", id.value),
                )
                .label(first.clone(), "first declared here")
                .label(id.span.clone(), "declared again here")
                .help("one table per rule id in each file"),
            );
            return;
        }
        seen_here.insert(id.value.clone(), id.span.clone());
        if let Some(origin) = self.slots.get(&id.value).and_then(|s| s.locked.clone()) {
            self.diags
                .push(locked_error(src, &id.value, id.span.clone(), &origin));
            return;
        }
        let Some(slot) = self.slots.get_mut(&id.value) else {
            let known: Vec<&str> = self.order.iter().map(String::as_str).collect();
            let help = match did_you_mean(&id.value, known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? A table without `kind` changes an inherited rule"),
                None => "a table without `kind` changes a rule of an extended policy; add `kind` to declare a new rule"
                    .to_string(),
            };
            self.diags.push(
                src.error(
                    "unknown-rule",
                    format!("no inherited rule has the id `{}`", id.value),
                )
                .label(id.span, "nothing to override")
                .help(help),
            );
            return;
        };
        match level {
            Some(None) => slot.rule = None,
            Some(Some(level)) => {
                if let Some(rule) = slot.rule.as_mut() {
                    rule.level = level;
                }
            }
            None => {
                self.diags.push(
                    src.error("missing-key", format!("the override of `{}` changes nothing", id.value))
                        .label(id.span, "no `level` given")
                        .help("set `level = \"off\"` to switch the rule off, or another level; add `kind` to redefine it"),
                );
            }
        }
    }

    fn load_waiver(&mut self, src: &PolicySource, table: &DeTable<'_>, span: Range<usize>) {
        let mut reader =
            TableReader::new(src, &mut self.diags, table, span.clone(), "a [[waiver]]");
        let rule = reader.req_str("rule", "\"docs-allowlist\"");
        let path = reader.globs("path");
        let reason = reader.req_str("reason", "\"moved in the docs migration, tracked in #42\"");
        let expires = reader.opt_date("expires");
        if let Some(reason) = &reason {
            if reason.value.trim().is_empty() {
                reader.error(
                    "missing-key",
                    reason.span.clone(),
                    "a waiver's `reason` cannot be empty",
                    "empty reason",
                    "say why the gap is accepted and where it is tracked",
                );
            }
        }
        reader.finish();
        let (Some(rule), Some(reason)) = (rule, reason) else {
            return;
        };
        self.waivers.push(Waiver {
            rule: rule.value,
            path,
            reason: reason.value,
            expires: expires.map(|e| e.value),
            origin: Origin {
                file: src.name.clone(),
                line: src.line_of(span.start),
            },
        });
    }
}
