//! Compiled globs and regexes from a policy, and the checks that refuse patterns warden
//! cannot honour.
//!
//! Globs match whole repository paths (`/`-separated, relative to the root): `*` never
//! crosses a `/`, `**` matches any number of directories, `{a,b}` gives alternatives.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

/// A list of globs matched as one set, keeping the source patterns for messages.
#[derive(Clone, Debug)]
pub struct Globs {
    /// The globs as consecutive sets, each with the index of its first glob. One set
    /// holds them all unless globset cannot build that many at once (its regex size
    /// limit): then they are split, never dropped.
    sets: Vec<(usize, GlobSet)>,
    patterns: Vec<String>,
    /// The literal text every match starts with, one per glob (sorted, none a prefix of
    /// another), or `None` when some glob can match anywhere (`**/x`). With 100,000 paths,
    /// matching only the sorted ranges that start with these is far cheaper than matching
    /// every path.
    prefixes: Option<Vec<String>>,
    /// The same globs as plain string tests, when every one has a shape that allows it
    /// (see [`Simple`]): a tenth of globset's cost per path, which counts at 100,000
    /// paths.
    simple: Option<Vec<Simple>>,
}

/// Glob shapes that are plain string tests (with `*` never crossing `/`, as compiled).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Simple {
    /// `README.md`: exactly this path.
    Path(String),
    /// `**/Dockerfile`: a file of this name in any directory.
    Name(String),
    /// `**/*.pem`: a file name ending with this.
    NameEnd(String),
    /// `**/.env.*`: a file name starting with this.
    NameStart(String),
}

impl Simple {
    fn of(pattern: &str) -> Option<Simple> {
        let plain = |text: &str| !text.contains(['*', '?', '[', ']', '{', '}', ',', '\\']);
        let Some(name) = pattern.strip_prefix("**/") else {
            return plain(pattern).then(|| Simple::Path(pattern.to_string()));
        };
        if name.contains('/') {
            return None;
        }
        if plain(name) {
            return Some(Simple::Name(name.to_string()));
        }
        if let Some(end) = name.strip_prefix('*').filter(|end| plain(end)) {
            return Some(Simple::NameEnd(end.to_string()));
        }
        name.strip_suffix('*')
            .filter(|start| plain(start))
            .map(|start| Simple::NameStart(start.to_string()))
    }

    /// `name` caches the part of `path` after its last `/`: only a name's start needs it.
    /// The other shapes hold no `/`, so testing the end of the whole path is the same
    /// test, without looking for the `/` in each of 100,000 paths.
    fn is_match<'p>(&self, path: &'p str, name: &mut Option<&'p str>) -> bool {
        match self {
            Simple::Path(p) => path == p,
            Simple::Name(n) => {
                ends_with(path, n)
                    && (path.len() == n.len() || path.as_bytes()[path.len() - n.len() - 1] == b'/')
            }
            Simple::NameEnd(end) => ends_with(path, end),
            Simple::NameStart(start) => name
                .get_or_insert_with(|| {
                    let start = memchr::memrchr(b'/', path.as_bytes()).map_or(0, |i| i + 1);
                    &path[start..]
                })
                .starts_with(start.as_str()),
        }
    }
}

/// `str::ends_with`, first comparing the last byte: most paths differ there, and then the
/// call to `memcmp` is saved (10,000 paths and a handful of globs are 50,000 tests).
fn ends_with(path: &str, end: &str) -> bool {
    let (path, end) = (path.as_bytes(), end.as_bytes());
    match (path.last(), end.last()) {
        (Some(a), Some(b)) if a != b => false,
        _ => path.ends_with(end),
    }
}

impl Globs {
    pub fn empty() -> Self {
        Globs {
            sets: Vec::new(),
            patterns: Vec::new(),
            prefixes: Some(Vec::new()),
            simple: Some(Vec::new()),
        }
    }

    /// Compile patterns that are already known to be valid (used for built-in defaults).
    pub fn from_valid(patterns: &[&str]) -> Self {
        let globs: Vec<Glob> = patterns
            .iter()
            .map(|p| compile_glob(p).expect("built-in glob is valid"))
            .collect();
        Globs::from_compiled(globs, patterns.iter().map(|p| p.to_string()).collect())
    }

    pub fn from_compiled(globs: Vec<Glob>, patterns: Vec<String>) -> Self {
        let mut prefixes: Option<Vec<String>> = Some(Vec::new());
        let simple: Option<Vec<Simple>> = globs.iter().map(|g| Simple::of(g.glob())).collect();
        for glob in &globs {
            let prefix = match_prefix(glob.glob());
            match (&mut prefixes, prefix.is_empty()) {
                (Some(list), false) => list.push(prefix.to_string()),
                _ => prefixes = None,
            }
        }
        if let Some(list) = &mut prefixes {
            list.sort();
            // Sorted, a prefix comes right before the longer ones it covers.
            list.dedup_by(|longer, shorter| longer.starts_with(shorter.as_str()));
        }
        let mut sets = Vec::new();
        for (n, chunk) in globs.chunks(SET_CHUNK).enumerate() {
            build_sets(chunk, n * SET_CHUNK, &mut sets);
        }
        Globs {
            sets,
            patterns,
            prefixes,
            simple,
        }
    }

    pub fn is_match(&self, path: &str) -> bool {
        match &self.simple {
            Some(simple) => {
                let mut name = None;
                simple.iter().any(|s| s.is_match(path, &mut name))
            }
            None => self.sets.iter().any(|(_, set)| set.is_match(path)),
        }
    }

    /// The items of `sorted` (sorted by `path`, byte-wise) whose path matches, in order.
    /// When every glob starts with literal text, only the ranges of items starting with
    /// it are matched; otherwise every item is.
    pub fn select<'s: 'x, 'g: 'x, 'x, T>(
        &'g self,
        sorted: &'s [T],
        path: impl Fn(&T) -> &str + Copy + 'x,
    ) -> impl Iterator<Item = &'s T> + 'x {
        let globs: &'x Globs = self;
        let ranges: Vec<&'s [T]> = match &globs.prefixes {
            None => vec![sorted],
            Some(prefixes) => prefixes
                .iter()
                .map(|prefix| {
                    let start = sorted.partition_point(|item| path(item) < prefix.as_str());
                    let rest = &sorted[start..];
                    &rest[..rest.partition_point(|item| path(item).starts_with(prefix.as_str()))]
                })
                .collect(),
        };
        ranges
            .into_iter()
            .flatten()
            .filter(move |item| globs.is_match(path(item)))
    }

    /// Indices of the patterns that match `path`.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        self.sets
            .iter()
            .flat_map(|(first, set)| set.matches(path).into_iter().map(move |i| first + i))
            .collect()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Globs per set: small enough that globset's regex size limit is rarely hit, large
/// enough that a policy's usual few dozen globs stay one set.
const SET_CHUNK: usize = 256;

/// Build `globs` (the first being number `first`) into sets, halving a slice that
/// globset refuses as one set. A single glob always builds: [`compile_glob`] checked it.
fn build_sets(globs: &[Glob], first: usize, out: &mut Vec<(usize, GlobSet)>) {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(glob.clone());
    }
    match builder.build() {
        Ok(set) => out.push((first, set)),
        Err(err) if globs.len() == 1 => {
            unreachable!("compile_glob built `{}` alone: {err}", globs[0].glob())
        }
        Err(_) => {
            let half = globs.len() / 2;
            build_sets(&globs[..half], first, out);
            build_sets(&globs[half..], first + half, out);
        }
    }
}

/// The longest glob a policy may give: longer than any real path, and compiling one
/// longer costs seconds or outgrows globset's size limit.
pub const MAX_GLOB_LEN: usize = 8192;

/// Why a glob was refused.
#[derive(Debug, thiserror::Error)]
pub enum GlobError {
    #[error("longer than {MAX_GLOB_LEN} characters ({0})")]
    TooLong(usize),
    #[error("too large to compile: split it into simpler globs")]
    TooLarge,
    #[error("{}", .0.kind())]
    Syntax(globset::Error),
}

/// Parse a glob and check that it compiles to a matcher (globset refuses a glob whose
/// regex outgrows its size limit only when building a set).
pub fn compile_glob(pattern: &str) -> Result<Glob, GlobError> {
    if pattern.len() > MAX_GLOB_LEN {
        return Err(GlobError::TooLong(pattern.len()));
    }
    let glob = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(GlobError::Syntax)?;
    // A regex this short compiles far below globset's limit; only long ones are tried.
    if glob.regex().len() > 4096 && GlobSetBuilder::new().add(glob.clone()).build().is_err() {
        return Err(GlobError::TooLarge);
    }
    Ok(glob)
}

/// True when the text contains glob syntax, i.e. it is not a plain path.
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// The part of a glob before its first wildcard: `docs/**` → `docs/`.
pub fn literal_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?', '[', '{']).unwrap_or(pattern.len());
    &pattern[..end]
}

/// The literal text every path a glob matches starts with: the text before its first
/// wildcard, escape or alternative (`docs/planning/**` → `docs/planning/`, `**/x` → ``).
fn match_prefix(pattern: &str) -> &str {
    let end = pattern
        .find(['*', '?', '[', ']', '{', '}', ',', '\\'])
        .unwrap_or(pattern.len());
    &pattern[..end]
}

/// A regex from a policy, with the text it was written as.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub regex: Regex,
    pub source: String,
}

/// Why a regex was refused, with the byte range inside the pattern when known.
pub struct RegexProblem {
    pub message: String,
    pub label: String,
    pub span_in_pattern: Option<std::ops::Range<usize>>,
    pub help: String,
}

pub fn compile_regex(pattern: &str) -> Result<Pattern, RegexProblem> {
    use regex_syntax::ast::ErrorKind;
    if let Err(err) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        let span = err.span().start.offset..err.span().end.offset.max(err.span().start.offset + 1);
        let (message, help) = match err.kind() {
            ErrorKind::UnsupportedLookAround => (
                "regex uses look-around, which warden cannot honour".to_string(),
                "warden's regex engine runs in linear time and has no look-ahead or look-behind \
                 (`(?=`, `(?!`, `(?<=`, `(?<!`). A rule with such a pattern could never fail, so \
                 it is refused: write the positive pattern and list the exceptions under \
                 `exclude`, or split it into two rules"
                    .to_string(),
            ),
            ErrorKind::UnsupportedBackreference => (
                "regex uses a backreference, which warden cannot honour".to_string(),
                "backreferences (`\\1`) are not supported by warden's linear-time regex \
                 engine; rewrite the pattern without them"
                    .to_string(),
            ),
            _ => (
                "invalid regular expression".to_string(),
                "warden uses Rust regex syntax: https://docs.rs/regex/latest/regex/#syntax"
                    .to_string(),
            ),
        };
        return Err(RegexProblem {
            message,
            label: err.kind().to_string(),
            span_in_pattern: Some(span),
            help,
        });
    }
    match Regex::new(pattern) {
        Ok(regex) => Ok(Pattern {
            regex,
            source: pattern.to_string(),
        }),
        Err(err) => Err(RegexProblem {
            message: "invalid regular expression".to_string(),
            label: err
                .to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .to_string(),
            span_in_pattern: None,
            help: "simplify the pattern; warden refuses regexes it cannot compile".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_does_not_cross_directories() {
        let globs = Globs::from_valid(&["docs/*", "notes/**"]);
        assert!(globs.is_match("docs/a.md"));
        assert!(!globs.is_match("docs/a/b.md"));
        assert!(globs.is_match("notes/a/b/c.md"));
    }

    #[test]
    fn look_around_is_refused_with_its_position() {
        let err = compile_regex(r"^docs/(?!archive/).+\.md$").err().unwrap();
        assert!(err.message.contains("look-around"));
        assert_eq!(err.span_in_pattern.unwrap().start, 6);
    }

    #[test]
    fn select_matches_only_the_ranges_of_literal_prefixes_and_agrees_with_is_match() {
        let paths = [
            "README.md",
            "a[1].md",
            "docs",
            "docs/a.md",
            "docs/planning/p.md",
            "docs/planning/q/r.md",
            "docs2/x.md",
            "notes/n.md",
            "src/docs/a.md",
            "x/README.md",
        ];
        for patterns in [
            &["docs/planning/**", "docs/**/*.md"][..],
            &["README.md", "notes/*.md", "docs/*"],
            &["**/README.md"],
            &["docs{,2}/*.md"],
            &["a\\[1\\].md", "docs/planning/q/*"],
            &[],
        ] {
            let globs = Globs::from_valid(patterns);
            let selected: Vec<&str> = globs.select(&paths, |p| p).copied().collect();
            let expected: Vec<&str> = paths
                .iter()
                .copied()
                .filter(|p| globs.is_match(p))
                .collect();
            assert_eq!(selected, expected, "{patterns:?}");
        }
        let globs = Globs::from_valid(&["docs/planning/**", "docs/**/*.md", "notes/*"]);
        assert_eq!(
            globs.prefixes.as_deref(),
            Some(&["docs/".to_string(), "notes/".to_string()][..])
        );
        assert_eq!(Globs::from_valid(&["docs/*", "**/x"]).prefixes, None);
    }

    #[test]
    fn simple_globs_match_exactly_what_globset_matches() {
        let paths = [
            ".env",
            ".env.local",
            ".env.",
            "a/.env",
            "a/b/.env.example",
            "a/.envrc",
            "x.pem",
            ".pem",
            "a/b/key.pem",
            "a/key.pem.bak",
            "pem",
            "Dockerfile",
            "tools/legacy/Dockerfile",
            "tools/Dockerfile.dev",
            "README.md",
            "docs/README.md",
            "notes.md/x",
            "a.mdx",
            "dir/a.md",
            "Ünïcode/naïve.md",
            // A name that only ends like the pattern's name.
            "xDockerfile",
            "a/xDockerfile",
            "a/xREADME.md",
            "Dockerfile/x",
            "a/.env/b",
        ];
        for pattern in [
            "**/.env",
            "**/.env.*",
            "**/*.pem",
            "**/Dockerfile",
            "**/*.md",
            "**/*.mdx",
            "**/*",
            "README.md",
            "docs/README.md",
            "**/README.md",
        ] {
            let glob = compile_glob(pattern).unwrap().compile_matcher();
            let globs = Globs::from_valid(&[pattern]);
            assert!(globs.simple.is_some(), "{pattern}");
            for path in paths {
                assert_eq!(
                    globs.is_match(path),
                    glob.is_match(path),
                    "{pattern} on {path}"
                );
            }
        }
        for pattern in [
            "docs/*",
            "*.md",
            "**/a/*.md",
            "**/x?",
            "**/{a,b}",
            "a\\*",
            "**",
            "docs/**",
        ] {
            assert_eq!(Simple::of(pattern), None, "{pattern}");
        }
    }

    #[test]
    fn a_set_too_large_for_one_globset_is_split_not_emptied() {
        // 1,500 such globs outgrow globset's regex size limit as one set; it used to
        // be replaced by an empty set that matched nothing.
        let patterns: Vec<String> = (0..1500)
            .map(|i| format!("**/x{i}-{}", "?*".repeat(40)))
            .collect();
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let globs = Globs::from_valid(&refs);
        assert!(globs.sets.len() > 1);
        let path = format!("src/a/x1499-{}", "ab".repeat(40));
        assert!(globs.is_match(&path));
        assert_eq!(globs.matches(&path), vec![1499]);
        assert!(!globs.is_match("src/a/x1499-ab"));
    }

    #[test]
    fn a_glob_too_long_to_compile_is_refused() {
        let huge = format!("**/{}", "?*".repeat(MAX_GLOB_LEN));
        assert!(matches!(compile_glob(&huge), Err(GlobError::TooLong(_))));
        assert!(compile_glob(&format!("**/{}", "?*".repeat(MAX_GLOB_LEN / 3))).is_ok());
    }

    #[test]
    fn literal_prefix_stops_at_first_wildcard() {
        assert_eq!(literal_prefix("docs/**/*.md"), "docs/");
        assert_eq!(literal_prefix("README.md"), "README.md");
    }
}
