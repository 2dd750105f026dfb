//! A small selector language for values inside JSON, YAML and TOML documents, and a way to
//! find the line a value sits on.
//!
//! `file-value` rules name the value they judge with a selector such as
//! `agents[id="ai-customer"].reviewers`. A full query language (JSONPath, jq) would be
//! more to learn and more to get wrong in a policy; these few forms cover configuration
//! files. Selectors are parsed when the policy loads, so a typo is a policy error that
//! points into the selector, not a gap found later.
//!
//! # Grammar
//!
//! ```text
//! selector := first ( "." key | "[" bracket "]" )*
//! first    := key | "[" bracket "]"
//! key      := one or more characters other than . [ ] " ' = and whitespace
//! bracket  := string                 a quoted key: ["key.with dots"]
//!           | integer                an index: [0], [-1] is the last element
//!           | "*"                    every element of a list, every value of a table
//!           | field "=" literal      the list elements whose `field` equals `literal`
//! field    := key | string
//! literal  := string | integer | float | true | false | null
//! string   := "..." or '...', with \" \' and \\ as escapes
//! ```
//!
//! Applied to a document, a selector yields zero or more values, each with the concrete
//! path it was found at (`agents[1].reviewers`). Keys apply to tables, indices and filters
//! to lists; anything else selects nothing. Filters compare like `equals` does: numbers by
//! value (`1` equals `1.0`), everything else exactly (`[id=1]` does not match `"1"`). A
//! plain key made of digits is a key, not an index: write `[0]` for the first element.
//!
//! # Lines
//!
//! [`Format::line_of`] finds the line of a concrete path without a span-keeping parser:
//! it walks the document again with serde and makes the deserializer fail exactly at the
//! wanted key or element. Every format's deserializer stamps its errors with a position
//! (serde_json's line, yaml_serde's mark, toml's span), so the line of the value falls out
//! of the error. The line is the key's line for table entries and the element's line for
//! list elements.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A parsed selector, keeping its source text for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq)]
struct Segment {
    kind: SegmentKind,
    /// Byte offset in the source just after this segment, for "matched nothing" messages.
    end: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum SegmentKind {
    Key(String),
    Index(i64),
    All,
    Filter { field: String, value: Value },
}

/// Why a selector was refused, with the byte range inside the selector.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectorError {
    pub message: String,
    pub span: Range<usize>,
}

/// One step of a concrete location in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A value a selector found, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Match<'v> {
    pub path: Vec<Step>,
    pub value: &'v Value,
}

/// A selector that found nothing: `prefix` is the shortest leading part of the selector
/// that already selected nothing, `reason` says why in a few words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoMatch {
    pub prefix: String,
    pub reason: String,
    /// Where the last value that still matched sits (for pointing at a line).
    pub last_found: Vec<Step>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        Parser { text, pos: 0 }.selector()
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The keys of a selector made of keys only (`a.b["c.d"]`), which names one place a
    /// value can be set; `None` when it has indices, `[*]` or filters.
    pub fn keys(&self) -> Option<Vec<String>> {
        self.segments
            .iter()
            .map(|s| match &s.kind {
                SegmentKind::Key(key) => Some(key.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every value the selector picks out of `doc`, in document order.
    pub fn select<'v>(&self, doc: &'v Value) -> Result<Vec<Match<'v>>, NoMatch> {
        let mut current = vec![Match {
            path: Vec::new(),
            value: doc,
        }];
        for segment in &self.segments {
            let mut next = Vec::new();
            for m in &current {
                apply(&segment.kind, m, &mut next);
            }
            if next.is_empty() {
                let prefix = self.source[..segment.end].to_string();
                let reason = why_nothing(&segment.kind, &current);
                let last_found = current.first().map(|m| m.path.clone()).unwrap_or_default();
                return Err(NoMatch {
                    prefix,
                    reason,
                    last_found,
                });
            }
            current = next;
        }
        Ok(current)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn apply<'v>(kind: &SegmentKind, m: &Match<'v>, out: &mut Vec<Match<'v>>) {
    let child = |step: Step, value: &'v Value| {
        let mut path = m.path.clone();
        path.push(step);
        Match { path, value }
    };
    match (kind, m.value) {
        (SegmentKind::Key(key), Value::Object(map)) => {
            if let Some(value) = map.get(key) {
                out.push(child(Step::Key(key.clone()), value));
            }
        }
        (SegmentKind::Index(i), Value::Array(items)) => {
            let len = items.len() as i64;
            let at = if *i < 0 { len + i } else { *i };
            if (0..len).contains(&at) {
                out.push(child(Step::Index(at as usize), &items[at as usize]));
            }
        }
        (SegmentKind::All, Value::Array(items)) => {
            for (i, value) in items.iter().enumerate() {
                out.push(child(Step::Index(i), value));
            }
        }
        (SegmentKind::All, Value::Object(map)) => {
            for (key, value) in map {
                out.push(child(Step::Key(key.clone()), value));
            }
        }
        (SegmentKind::Filter { field, value }, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if item.get(field).is_some_and(|v| json_eq(v, value)) {
                    out.push(child(Step::Index(i), item));
                }
            }
        }
        _ => {}
    }
}

/// A few words on why a segment selected nothing from `current` (never empty).
fn why_nothing(kind: &SegmentKind, current: &[Match<'_>]) -> String {
    let Some(first) = current.first() else {
        return String::new();
    };
    let at = if first.path.is_empty() {
        "the document".to_string()
    } else {
        format!("`{}`", format_path(&first.path))
    };
    let several = current.len() > 1;
    match (kind, first.value) {
        (SegmentKind::Key(key), Value::Object(_)) if !several => {
            format!("{at} has no key `{key}`")
        }
        (SegmentKind::Index(i), Value::Array(items)) if !several => {
            format!("{at} has {} elements, so there is no [{i}]", items.len())
        }
        (SegmentKind::All, _) if !several => format!("{at} is empty"),
        (SegmentKind::Filter { field, value }, Value::Array(items)) if !several => format!(
            "none of the {} elements of {at} has `{field}` = {}",
            items.len(),
            short(value)
        ),
        (SegmentKind::Key(_), other) if !several => {
            format!("{at} is {}, not a table", type_name(other))
        }
        (_, other) if !several => format!("{at} is {}, not a list", type_name(other)),
        _ => format!(
            "none of the {} values it was applied to had it",
            current.len()
        ),
    }
}

/// Compare as `equals` does: numbers by value, everything else structurally.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// A value as compact JSON, cut to a readable length.
pub fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(57).collect();
    format!("{cut}...")
}

/// A concrete path written in selector syntax: `agents[1].reviewers`.
pub fn format_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if is_plain_key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Key(key) => {
                out.push_str("[\"");
                out.push_str(&key.replace('\\', "\\\\").replace('"', "\\\""));
                out.push_str("\"]");
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn is_key_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '"' | '\'' | '=') && !c.is_whitespace()
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(is_key_char)
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

const HELP: &str = "selectors are keys joined by `.` (`a.b`), with `[\"quoted key\"]`, `[0]`, \
                    `[*]` or `[field=\"value\"]` after a key";

impl Parser<'_> {
    fn error<T>(&self, span: Range<usize>, message: impl Into<String>) -> Result<T, SelectorError> {
        // Never empty: a problem at the very end points just past it (the closing quote).
        let start = span.start.min(self.text.len());
        let span = start..span.end.clamp(start + 1, self.text.len().max(start + 1));
        Err(SelectorError {
            message: message.into(),
            span,
        })
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ') {
            self.pos += 1;
        }
    }

    fn here(&self) -> Range<usize> {
        let len = self.peek().map_or(1, char::len_utf8);
        self.pos..self.pos + len
    }

    fn selector(mut self) -> Result<Selector, SelectorError> {
        if self.text.trim().is_empty() {
            return self.error(0..self.text.len(), "the selector is empty");
        }
        let mut segments = Vec::new();
        let kind = match self.peek() {
            Some('[') => self.bracket()?,
            _ => self.key()?,
        };
        segments.push(Segment {
            kind,
            end: self.pos,
        });
        while let Some(c) = self.peek() {
            let kind = match c {
                '.' => {
                    self.bump();
                    match self.peek() {
                        None => {
                            return self
                                .error(self.pos - 1..self.pos, "`.` must be followed by a key")
                        }
                        Some('[') => {
                            return self
                                .error(self.pos - 1..self.pos + 1, "write `a[...]`, not `a.[...]`")
                        }
                        _ => self.key()?,
                    }
                }
                '[' => self.bracket()?,
                other => {
                    return self.error(
                        self.here(),
                        format!("unexpected `{other}`; expected `.` or `[` between parts"),
                    )
                }
            };
            segments.push(Segment {
                kind,
                end: self.pos,
            });
        }
        Ok(Selector {
            source: self.text.to_string(),
            segments,
        })
    }

    fn plain_key(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_key_char) {
            self.bump();
        }
        (self.pos > start).then(|| self.text[start..self.pos].to_string())
    }

    fn key(&mut self) -> Result<SegmentKind, SelectorError> {
        match self.plain_key() {
            Some(key) => Ok(SegmentKind::Key(key)),
            None => {
                let found = self
                    .peek()
                    .map_or("the end".to_string(), |c| format!("`{c}`"));
                self.error(
                    self.here(),
                    format!("expected a key, found {found}; quote unusual keys as [\"...\"]"),
                )
            }
        }
    }

    fn quoted(&mut self) -> Result<String, SelectorError> {
        let start = self.pos;
        let quote = self.bump().unwrap_or('"');
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return self.error(
                        start..self.pos,
                        format!("unclosed string; add a closing {quote}"),
                    )
                }
                Some('\\') => match self.bump() {
                    Some(c @ ('"' | '\'' | '\\')) => out.push(c),
                    _ => {
                        return self.error(
                            self.pos.saturating_sub(2)..self.pos,
                            "unknown escape; only \\\", \\' and \\\\ are allowed",
                        )
                    }
                },
                Some(c) if c == quote => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    fn close(&mut self, open: usize) -> Result<(), SelectorError> {
        self.skip_spaces();
        match self.peek() {
            Some(']') => {
                self.bump();
                Ok(())
            }
            None => self.error(open..self.pos, "unclosed `[`; add `]`"),
            Some(c) => self.error(self.here(), format!("unexpected `{c}`; expected `]`")),
        }
    }

    fn bracket(&mut self) -> Result<SegmentKind, SelectorError> {
        let open = self.pos;
        self.bump();
        self.skip_spaces();
        let kind = match self.peek() {
            None => return self.error(open..self.pos, "unclosed `[`; add `]`"),
            Some(']') => return self.error(
                open..self.pos + 1,
                "empty `[]`; write an index `[0]`, `[*]`, a key `[\"k\"]` or a filter `[k=\"v\"]`",
            ),
            Some('*') => {
                self.bump();
                SegmentKind::All
            }
            Some('"' | '\'') => {
                let key = self.quoted()?;
                self.skip_spaces();
                if self.peek() == Some('=') {
                    self.filter(key)?
                } else {
                    SegmentKind::Key(key)
                }
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                self.bump();
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
                match self.text[start..self.pos].parse::<i64>() {
                    Ok(i) => SegmentKind::Index(i),
                    Err(_) => return self.error(start..self.pos, "not a valid index"),
                }
            }
            Some(_) => match self.plain_key() {
                Some(field) => {
                    self.skip_spaces();
                    if self.peek() != Some('=') {
                        let found = self
                            .peek()
                            .map_or("the end".to_string(), |c| format!("`{c}`"));
                        return self.error(
                            self.here(),
                            format!(
                                "expected `=` after `{field}`, found {found}; \
                                 write [\"{field}\"] for a key or [{field}=\"value\"] for a filter"
                            ),
                        );
                    }
                    self.filter(field)?
                }
                None => {
                    let c = self.peek().unwrap_or(' ');
                    return self.error(self.here(), format!("unexpected `{c}` after `[`"));
                }
            },
        };
        self.close(open)?;
        Ok(kind)
    }

    /// After `field`, at `=`.
    fn filter(&mut self, field: String) -> Result<SegmentKind, SelectorError> {
        self.bump();
        self.skip_spaces();
        let start = self.pos;
        let value = match self.peek() {
            Some('"' | '\'') => Value::String(self.quoted()?),
            Some(_) => {
                while self.peek().is_some_and(|c| c != ']' && c != ' ') {
                    self.bump();
                }
                let word = &self.text[start..self.pos];
                match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => match serde_json::from_str::<serde_json::Number>(word) {
                        Ok(n) => Value::Number(n),
                        Err(_) => {
                            return self.error(
                                start..self.pos,
                                format!(
                                    "`{word}` is not a value; quote strings (\"{word}\"), or write \
                                     a number, true, false or null"
                                ),
                            )
                        }
                    },
                }
            }
            None => return self.error(self.here(), "expected a value after `=`"),
        };
        Ok(SegmentKind::Filter { field, value })
    }
}

/// The help text for selector errors.
pub fn grammar_help() -> &'static str {
    HELP
}

/// The document formats `file-value` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
}

/// A document that did not parse: the parser's message and, when it said, the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: Option<u32>,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Toml => "toml",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// The format a file name's extension says, if it is one of ours.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "yml" | "yaml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// Parse a document into JSON values (TOML dates become strings).
    pub fn parse(self, text: &str) -> Result<Value, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match self {
            Format::Json => serde_json::from_str(text).map_err(|e| ParseError {
                line: (e.line() > 0).then_some(e.line() as u32),
                message: strip_position(&e.to_string()),
            }),
            Format::Yaml => yaml_serde::from_str(text).map_err(|e| yaml_error(&e)),
            Format::Toml => match toml::from_str::<toml::Table>(text) {
                Ok(table) => Ok(toml_to_json(toml::Value::Table(table))),
                Err(e) => Err(ParseError {
                    message: e.message().trim().to_string(),
                    line: e.span().map(|s| line_at(text, s.start)),
                }),
            },
        }
    }

    /// The 1-based line of the value at `path`, if it can be found.
    pub fn line_of(self, text: &str, path: &[Step]) -> Option<u32> {
        if path.is_empty() {
            return Some(1);
        }
        // A byte-order mark is not a character of line 1 to the parsers.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let seed = Locate {
            path,
            consume_element: self != Format::Json,
        };
        match self {
            Format::Json => {
                let mut de = serde_json::Deserializer::from_str(text);
                let err = seed.deserialize(&mut de).err()?;
                (is_sentinel(&err.to_string()) && err.line() > 0).then_some(err.line() as u32)
            }
            Format::Yaml => {
                let de = yaml_serde::Deserializer::from_str(text);
                let err = seed.deserialize(de).err()?;
                if !is_sentinel(&err.to_string()) {
                    return None;
                }
                err.location().map(|l| l.line() as u32)
            }
            Format::Toml => {
                let de = toml::de::Deserializer::parse(text).ok()?;
                let err = seed.deserialize(de).err()?;
                if !is_sentinel(err.message()) {
                    return None;
                }
                err.span().map(|s| line_at(text, s.start))
            }
        }
    }
}

/// The largest document file-value and workflow rules parse.
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;
/// The deepest nesting they parse, as [`nesting_bound`] counts it (an over-estimate:
/// real configuration stays far below). yaml_serde's parser is quadratic in nesting:
/// 100 KB of `[[[[…` took 25 s before its own recursion limit answered.
pub const MAX_NESTING: usize = 1000;

/// Refuse a JSON, YAML or TOML document too large or too deeply nested to parse in
/// reasonable time; the reason says which. Every parser of repository documents calls
/// this first, so the bound lives here once.
pub fn within_bounds(text: &str) -> Result<(), String> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "it is larger than {} MiB, the most warden parses",
            MAX_DOCUMENT_BYTES >> 20
        ));
    }
    let depth = nesting_bound(text);
    if depth > MAX_NESTING {
        return Err(format!(
            "it is nested too deeply to parse (more than {MAX_NESTING} levels)"
        ));
    }
    Ok(())
}

/// An upper bound on a document's nesting, in one linear pass: per line, its indentation,
/// its leading `- ` block-sequence markers and the open `[`/`{` brackets (even those
/// inside strings, which only over-counts).
pub fn nesting_bound(text: &str) -> usize {
    let mut flow = 0usize;
    let mut max = 0;
    for line in text.lines() {
        let body = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - body.len();
        let mut rest = body;
        let mut dashes = 0;
        while let Some(after) = rest.strip_prefix('-') {
            if !(after.is_empty() || after.starts_with([' ', '\t'])) {
                break;
            }
            dashes += 1;
            rest = after.trim_start_matches([' ', '\t']);
        }
        let mut deepest = flow;
        for b in rest.bytes() {
            match b {
                b'[' | b'{' => {
                    flow += 1;
                    deepest = deepest.max(flow);
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        max = max.max(indent + dashes + deepest);
    }
    max
}

/// A yaml_serde error as message and line.
pub fn yaml_error(err: &yaml_serde::Error) -> ParseError {
    ParseError {
        message: strip_position(&err.to_string()),
        line: err.location().map(|l| l.line() as u32),
    }
}

/// Parsers append " at line N column M"; the line is reported separately.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) if message[at..].contains(" column ") => {
            let rest = &message[at + " at line ".len()..];
            // Keep anything after the position ("..., while parsing ...").
            let tail = rest
                .find(|c: char| !(c.is_ascii_digit() || c == ' ' || c.is_ascii_alphabetic()))
                .map(|i| &rest[i..])
                .unwrap_or("");
            format!("{}{}", &message[..at], tail)
        }
        _ => message.to_string(),
    }
}

/// 1-based line of a byte offset.
pub fn line_at(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(dt) => Value::String(dt.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

const SENTINEL: &str = "\u{1}warden-found-it\u{1}";

fn is_sentinel(message: &str) -> bool {
    message.contains(SENTINEL)
}

/// Walks a document along `path` and fails with [`SENTINEL`] at its end, so the
/// deserializer's error position is the position of the wanted key or element.
#[derive(Clone, Copy)]
struct Locate<'p> {
    path: &'p [Step],
    /// Whether to start deserializing a wanted list element before failing. yaml_serde
    /// stamps the element's own mark only then; serde_json reports the element's start
    /// only if it is left alone (it skips whitespace past an opened `{` otherwise).
    consume_element: bool,
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            return if self.consume_element {
                de.deserialize_any(Fail)
            } else {
                Err(de::Error::custom(SENTINEL))
            };
        }
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Step::Key(wanted), rest)) = self.path.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let key_seed = KeySeed {
            wanted,
            last: rest.is_empty(),
        };
        while let Some(found) = map.next_key_seed(key_seed)? {
            if found {
                return map.next_value_seed(Locate { path: rest, ..self });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Step::Index(wanted), rest)) = self.path.split_first() else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Locate { path: rest, ..self })?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        // Tagged YAML values (`!tag x`) are not walked into.
        Ok(())
    }
}

/// Reads a map key; fails with the sentinel when it is the last step's key, so the error
/// carries the key's own position.
#[derive(Clone, Copy)]
struct KeySeed<'k> {
    wanted: &'k str,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        let found = key == self.wanted;
        if found && self.last {
            return Err(E::custom(SENTINEL));
        }
        Ok(found)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        self.visit_str("null")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// Fails on whatever value it is given.
struct Fail;

impl<'de> Visitor<'de> for Fail {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(SENTINEL))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(SENTINEL))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(SENTINEL))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(SENTINEL))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(SENTINEL))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nesting_bound_is_small_for_real_documents_and_refuses_deep_ones() {
        let workflow =
            "on:\n  push:\n    branches: [main]\njobs:\n  a:\n    steps:\n      - run: make\n";
        assert!(super::nesting_bound(workflow) < 12);
        assert!(super::within_bounds(workflow).is_ok());
        let flow = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(super::within_bounds(&flow)
            .unwrap_err()
            .contains("nested too deeply"));
        let block = format!("{}x\n", "- ".repeat(5000));
        assert!(super::within_bounds(&block).is_err());
        let indented: String = (0..1200)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(super::within_bounds(&indented).is_err());
    }

    use super::*;
    use serde_json::json;

    fn sel(text: &str) -> Selector {
        Selector::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn err(text: &str) -> SelectorError {
        Selector::parse(text).expect_err(text)
    }

    fn kinds(text: &str) -> Vec<SegmentKind> {
        sel(text).segments.into_iter().map(|s| s.kind).collect()
    }

    fn key(k: &str) -> SegmentKind {
        SegmentKind::Key(k.to_string())
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(kinds("a.b"), [key("a"), key("b")]);
        assert_eq!(kinds(r#"a["b.c"].d"#), [key("a"), key("b.c"), key("d")]);
        assert_eq!(kinds("['x y']"), [key("x y")]);
        assert_eq!(
            kinds("items[0][-1][*]"),
            [
                key("items"),
                SegmentKind::Index(0),
                SegmentKind::Index(-1),
                SegmentKind::All
            ]
        );
        assert_eq!(
            kinds(r#"agents[id="ai-customer"].human_review"#),
            [
                key("agents"),
                SegmentKind::Filter {
                    field: "id".into(),
                    value: json!("ai-customer")
                },
                key("human_review")
            ]
        );
        assert_eq!(
            kinds("a[n=123][on=true][x=null][f=1.5][ q = 'v' ]"),
            [
                key("a"),
                SegmentKind::Filter {
                    field: "n".into(),
                    value: json!(123)
                },
                SegmentKind::Filter {
                    field: "on".into(),
                    value: json!(true)
                },
                SegmentKind::Filter {
                    field: "x".into(),
                    value: json!(null)
                },
                SegmentKind::Filter {
                    field: "f".into(),
                    value: json!(1.5)
                },
                SegmentKind::Filter {
                    field: "q".into(),
                    value: json!("v")
                },
            ]
        );
        assert_eq!(
            kinds(r#"["a b"="x\"y"]"#),
            [SegmentKind::Filter {
                field: "a b".into(),
                value: json!("x\"y")
            }]
        );
        assert_eq!(
            kinds("dependencies.@types/node"),
            [key("dependencies"), key("@types/node")]
        );
    }

    #[test]
    fn refuses_bad_selectors_with_a_span() {
        let cases: &[(&str, Range<usize>, &str)] = &[
            ("", 0..1, "empty"),
            ("a.", 1..2, "followed by a key"),
            ("a..b", 2..3, "expected a key"),
            ("a.[0]", 1..3, "not `a.[...]`"),
            ("a[", 1..2, "unclosed `[`"),
            ("a[0", 1..3, "unclosed `[`"),
            ("a[]", 1..3, "empty `[]`"),
            ("a[id=ai]", 5..7, "not a value"),
            ("a[id]", 4..5, "expected `=`"),
            ("a[id=\"x]", 5..8, "unclosed string"),
            ("a b", 1..2, "unexpected ` `"),
            ("a[0]b", 4..5, "unexpected `b`"),
            ("a[1x]", 3..4, "expected `]`"),
            ("a[\"\\n\"]", 3..5, "unknown escape"),
            ("a[=1]", 2..3, "unexpected `=`"),
        ];
        for (text, span, words) in cases {
            let e = err(text);
            assert!(e.message.contains(words), "{text}: {}", e.message);
            assert_eq!(&e.span, span, "{text}: {}", e.message);
        }
    }

    #[test]
    fn selects_with_filters_indices_and_wildcards() {
        let doc = json!({
            "agents": [
                {"id": "ai-support", "human_review": true},
                {"id": "ai-customer", "human_review": false, "reviewers": []},
                {"id": "ai-customer", "human_review": true},
            ],
            "a.b": {"c": 1}
        });
        let found = sel(r#"agents[id="ai-customer"].human_review"#)
            .select(&doc)
            .unwrap();
        let paths: Vec<_> = found.iter().map(|m| format_path(&m.path)).collect();
        assert_eq!(paths, ["agents[1].human_review", "agents[2].human_review"]);
        assert_eq!(found[0].value, &json!(false));

        assert_eq!(
            sel("agents[-1].id").select(&doc).unwrap()[0].value,
            "ai-customer"
        );
        assert_eq!(sel("agents[*].id").select(&doc).unwrap().len(), 3);
        assert_eq!(sel(r#"["a.b"].c"#).select(&doc).unwrap()[0].value, 1);
        assert_eq!(
            format_path(&sel(r#"["a.b"].c"#).select(&doc).unwrap()[0].path),
            r#"["a.b"].c"#
        );

        let none = sel(r#"agents[id="ai-sales"].human_review"#)
            .select(&doc)
            .unwrap_err();
        assert_eq!(none.prefix, r#"agents[id="ai-sales"]"#);
        assert!(
            none.reason.contains("none of the 3 elements"),
            "{}",
            none.reason
        );
        assert_eq!(format_path(&none.last_found), "agents");

        let none = sel("agents[7]").select(&doc).unwrap_err();
        assert!(none.reason.contains("3 elements"), "{}", none.reason);
        let none = sel("agents.id").select(&doc).unwrap_err();
        assert!(
            none.reason.contains("is a list, not a table"),
            "{}",
            none.reason
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!(1), &json!("1")));
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(Format::from_path("a/b.JSON"), Some(Format::Json));
        assert_eq!(Format::from_path("x.yml"), Some(Format::Yaml));
        assert_eq!(Format::from_path("Cargo.toml"), Some(Format::Toml));
        assert_eq!(Format::from_path("Makefile"), None);
    }

    fn line(format: Format, text: &str, selector: &str) -> Option<u32> {
        let doc = format.parse(text).unwrap();
        let found = sel(selector).select(&doc).unwrap();
        format.line_of(text, &found[0].path)
    }

    #[test]
    fn finds_lines_in_json() {
        let text = "{\n  \"agents\": [\n    {\n      \"id\": \"a\",\n      \"reviewers\": [\n        \"x\"\n      ]\n    },\n    {\"id\": \"b\", \"on\": true}\n  ]\n}\n";
        assert_eq!(line(Format::Json, text, "agents"), Some(2));
        assert_eq!(line(Format::Json, text, "agents[0]"), Some(3));
        assert_eq!(line(Format::Json, text, "agents[0].reviewers"), Some(5));
        assert_eq!(line(Format::Json, text, "agents[0].reviewers[0]"), Some(6));
        assert_eq!(line(Format::Json, text, r#"agents[id="b"].on"#), Some(9));
    }

    #[test]
    fn finds_lines_in_yaml() {
        let text = "name: x\non:\n  push:\n    branches: [main]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n  test:\n    steps:\n      - run: a\n      - uses: b@v1\n        with:\n          k: 1\n";
        assert_eq!(line(Format::Yaml, text, "on"), Some(2));
        assert_eq!(line(Format::Yaml, text, "on.push"), Some(3));
        assert_eq!(line(Format::Yaml, text, "on.push.branches[0]"), Some(4));
        assert_eq!(line(Format::Yaml, text, "jobs.test"), Some(8));
        assert_eq!(line(Format::Yaml, text, "jobs.test.steps[1]"), Some(11));
        assert_eq!(
            line(Format::Yaml, text, "jobs.test.steps[1].with.k"),
            Some(13)
        );
    }

    #[test]
    fn finds_lines_in_toml() {
        let text = "title = \"x\"\n\n[package]\nname = \"warden\"\nauthors = [\n  \"a\",\n  \"b\",\n]\n\n[[bin]]\nname = \"one\"\n\n[[bin]]\nname = \"two\"\n";
        assert_eq!(line(Format::Toml, text, "package.name"), Some(4));
        assert_eq!(line(Format::Toml, text, "package.authors"), Some(5));
        assert_eq!(line(Format::Toml, text, "bin[1].name"), Some(14));
    }

    #[test]
    fn toml_dates_become_strings_and_parse_errors_have_lines() {
        let doc = Format::Toml.parse("d = 2026-01-02\n").unwrap();
        assert_eq!(doc, json!({"d": "2026-01-02"}));
        let e = Format::Toml.parse("a = 1\nb = \n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = Format::Json.parse("{\n  \"a\": 1,\n}\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(!e.message.contains("at line"), "{}", e.message);
        let e = Format::Yaml.parse("a: 1\n b: [\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
        let doc = Format::Yaml.parse("1: one\ntrue: yes\non: push\n").unwrap();
        assert_eq!(doc, json!({"1": "one", "true": "yes", "on": "push"}));
        let doc = Format::Json.parse("\u{feff}{\"a\": 1}").unwrap();
        assert_eq!(doc, json!({"a": 1}));
        assert_eq!(
            Format::Json.line_of("\u{feff}{\n\"a\": 1}", &[Step::Key("a".into())]),
            Some(2)
        );
    }
}
