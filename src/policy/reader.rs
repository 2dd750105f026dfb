//! Typed, span-aware reading of one TOML table of a policy.
//!
//! Rule kinds read their keys through [`TableReader`]. Every problem (wrong type, missing
//! key, bad glob, bad regex, unknown key) is recorded as a diagnostic pointing at the exact
//! span and reading goes on, so one run shows all problems of a policy.

use std::cell::RefCell;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{did_you_mean, PolicyDiagnostic, PolicySource};
use super::patterns::{compile_glob, compile_regex, Globs, Pattern};

/// A value with the byte range it came from in the policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

pub struct TableReader<'a, 'i> {
    pub src: &'a PolicySource,
    diags: &'a mut Vec<PolicyDiagnostic>,
    table: &'a DeTable<'i>,
    span: Range<usize>,
    what: String,
    known: Vec<&'static str>,
    /// The keys of the array-of-tables this table is in (`["workflow"]` for a
    /// `[[rule.workflow]]`), for the key record below.
    path: Vec<&'static str>,
    last_tables: Option<&'static str>,
}

/// The type of value a key's accessor expects. `warden schema policy` records which
/// accessor each rule kind calls for which key ([`record_keys`]), so the JSON Schema is
/// derived from the parsers themselves rather than from a second list that could drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyType {
    /// Read raw (any TOML value; the parser decides).
    Any,
    String,
    Bool,
    /// A whole number, 0 or more.
    UInt,
    /// A TOML date or a string holding one.
    Date,
    /// A string or a list of strings.
    StrList,
    /// A table or an array of tables (`[[rule.workflow]]`).
    Tables,
}

/// One accessor call: `key` at `path` (nested array-of-tables keys) read as `ty`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUse {
    pub path: Vec<&'static str>,
    pub key: &'static str,
    pub ty: KeyType,
}

thread_local! {
    static RECORDING: RefCell<Option<Vec<KeyUse>>> = const { RefCell::new(None) };
}

/// Run `f`, returning every key a [`TableReader`] was asked for meanwhile (this thread).
pub fn record_keys<R>(f: impl FnOnce() -> R) -> (R, Vec<KeyUse>) {
    RECORDING.with(|r| *r.borrow_mut() = Some(Vec::new()));
    let out = f();
    let uses = RECORDING
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    (out, uses)
}

impl<'a, 'i> TableReader<'a, 'i> {
    pub fn new(
        src: &'a PolicySource,
        diags: &'a mut Vec<PolicyDiagnostic>,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        what: impl Into<String>,
    ) -> Self {
        TableReader {
            src,
            diags,
            table,
            span,
            what: what.into(),
            known: Vec::new(),
            path: Vec::new(),
            last_tables: None,
        }
    }

    fn note(&self, key: &'static str, ty: KeyType) {
        RECORDING.with(|r| {
            if let Some(uses) = r.borrow_mut().as_mut() {
                uses.push(KeyUse {
                    path: self.path.clone(),
                    key,
                    ty,
                });
            }
        });
    }

    /// The span of the whole table, for problems that are about the table itself.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// 1-based line where the table starts.
    pub fn line(&self) -> u32 {
        self.src.line_of(self.span.start)
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    pub fn push(&mut self, diag: PolicyDiagnostic) {
        self.diags.push(diag);
    }

    /// Record a problem at `span` with the table's source.
    pub fn error(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let diag = self.src.error(code, message).label(span, label).help(help);
        self.diags.push(diag);
    }

    /// Mark `key` as known and return its raw value.
    pub fn raw(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.note(key, KeyType::Any);
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        self.table.get(key)
    }

    /// Mark keys as known without reading them (they were read elsewhere).
    pub fn mark_known(&mut self, keys: &[&'static str]) {
        for key in keys {
            self.raw(key);
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    fn wrong_type(&mut self, key: &str, value: &Spanned<DeValue<'_>>, wanted: &str) {
        let what = self.what.clone();
        self.error(
            "wrong-type",
            value.span(),
            format!("`{key}` in {what} must be {wanted}"),
            format!("this is {}", type_name(value.get_ref())),
            format!("write `{key}` as {wanted}"),
        );
    }

    fn missing(&mut self, key: &str, example: &str) {
        let what = self.what.clone();
        let span = self.header_span();
        self.error(
            "missing-key",
            span,
            format!("{what} needs `{key}`"),
            format!("`{key}` is missing here"),
            format!("add it, for example: {key} = {example}"),
        );
    }

    /// A short span for "missing key" labels: the first line of the table.
    pub fn header_span(&self) -> Range<usize> {
        let text = &self.src.text[self.span.start.min(self.src.text.len())..];
        let len = text
            .find('\n')
            .unwrap_or(text.len())
            .min(self.span.len().max(1));
        self.span.start..self.span.start + len
    }

    pub fn opt_str(&mut self, key: &'static str) -> Option<Sp<String>> {
        self.note(key, KeyType::String);
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Sp {
                value: s.to_string(),
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    pub fn req_str(&mut self, key: &'static str, example: &str) -> Option<Sp<String>> {
        if !self.has(key) {
            self.raw(key);
            self.missing(key, example);
            return None;
        }
        self.opt_str(key)
    }

    pub fn opt_bool(&mut self, key: &'static str) -> Option<bool> {
        self.note(key, KeyType::Bool);
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, value, "true or false");
                None
            }
        }
    }

    /// A non-negative integer.
    pub fn opt_u64(&mut self, key: &'static str) -> Option<u64> {
        self.note(key, KeyType::UInt);
        let value = self.raw(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => {
                u64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(key, value, "a whole number, 0 or more");
        }
        parsed
    }

    /// A date: a TOML date literal (`2026-12-31`) or a string holding one.
    pub fn opt_date(&mut self, key: &'static str) -> Option<Sp<jiff::civil::Date>> {
        self.note(key, KeyType::Date);
        let value = self.raw(key)?;
        let text = match value.get_ref() {
            DeValue::Datetime(dt) => dt.to_string(),
            DeValue::String(s) => s.to_string(),
            _ => {
                self.wrong_type(key, value, "a date such as 2026-12-31");
                return None;
            }
        };
        match text.parse::<jiff::civil::Date>() {
            Ok(date) if text.len() == 10 => Some(Sp {
                value: date,
                span: value.span(),
            }),
            _ => {
                let what = self.what.clone();
                self.error(
                    "bad-date",
                    value.span(),
                    format!("`{key}` in {what} is not a valid date"),
                    format!("`{text}` is not a calendar date"),
                    "write a date as YYYY-MM-DD, for example 2026-12-31",
                );
                None
            }
        }
    }

    /// A string or a list of strings.
    pub fn str_list(&mut self, key: &'static str) -> Option<Vec<Sp<String>>> {
        self.note(key, KeyType::StrList);
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(vec![Sp {
                value: s.to_string(),
                span: value.span(),
            }]),
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push(Sp {
                            value: s.to_string(),
                            span: item.span(),
                        }),
                        _ => self.wrong_type(key, item, "a list of strings"),
                    }
                }
                Some(out)
            }
            _ => {
                self.wrong_type(key, value, "a string or a list of strings");
                None
            }
        }
    }

    pub fn req_str_list(&mut self, key: &'static str, example: &str) -> Option<Vec<Sp<String>>> {
        if !self.has(key) {
            self.raw(key);
            self.missing(key, example);
            return None;
        }
        self.str_list(key)
    }

    /// Globs under `key`; `None` when the key is absent. Bad globs are reported.
    pub fn globs(&mut self, key: &'static str) -> Option<Globs> {
        let items = self.str_list(key)?;
        Some(self.compile_globs(key, &items))
    }

    pub fn compile_globs(&mut self, key: &str, items: &[Sp<String>]) -> Globs {
        let mut globs = Vec::new();
        let mut patterns = Vec::new();
        for item in items {
            match compile_glob(&item.value) {
                Ok(glob) => {
                    globs.push(glob);
                    patterns.push(item.value.clone());
                }
                Err(err) => {
                    let what = self.what.clone();
                    let label = err.to_string();
                    self.error(
                        "bad-glob",
                        item.span.clone(),
                        format!("invalid glob in `{key}` of {what}"),
                        label,
                        "globs match whole paths: `*` stays within a directory, `**` spans \
                         directories, `{a,b}` lists alternatives, `[abc]` is a character class",
                    );
                }
            }
        }
        Globs::from_compiled(globs, patterns)
    }

    /// One regex under `key`.
    pub fn regex(&mut self, key: &'static str) -> Option<Pattern> {
        let item = self.opt_str(key)?;
        self.compile(key, &item)
    }

    /// Regexes under `key` (a string or a list).
    pub fn regexes(&mut self, key: &'static str) -> Option<Vec<Pattern>> {
        let items = self.str_list(key)?;
        Some(
            items
                .iter()
                .filter_map(|item| self.compile(key, item))
                .collect(),
        )
    }

    fn compile(&mut self, key: &str, item: &Sp<String>) -> Option<Pattern> {
        match compile_regex(&item.value) {
            Ok(pattern) => Some(pattern),
            Err(problem) => {
                let span = self.span_in_string(item, problem.span_in_pattern.clone());
                let what = self.what.clone();
                self.error(
                    "bad-regex",
                    span,
                    format!("{} (`{key}` of {what})", problem.message),
                    problem.label,
                    problem.help,
                );
                None
            }
        }
    }

    /// Map a byte range inside a string's value to the policy file, when the string is
    /// written without escapes (so value offsets equal source offsets); else the whole string.
    pub fn span_in_string(&self, item: &Sp<String>, inner: Option<Range<usize>>) -> Range<usize> {
        let Some(inner) = inner else {
            return item.span.clone();
        };
        let raw = &self.src.text[item.span.clone()];
        let quote = raw
            .char_indices()
            .find(|(_, c)| *c == '\'' || *c == '"')
            .map(|(i, _)| i);
        if let Some(q) = quote {
            let body_start = item.span.start + q + 1;
            let body = self.src.text.get(body_start..body_start + item.value.len());
            if body == Some(item.value.as_str()) {
                let end = inner.end.min(item.value.len()).max(inner.start + 1);
                return body_start + inner.start..body_start + end;
            }
        }
        item.span.clone()
    }

    /// The tables of an array of tables (`[[rule.workflow]]`) or a single inline table.
    pub fn tables(&mut self, key: &'static str) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        self.note(key, KeyType::Tables);
        self.last_tables = Some(key);
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        match value.get_ref() {
            DeValue::Table(table) => vec![(table, value.span())],
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(table) => out.push((table, item.span())),
                        _ => self.wrong_type(key, item, "a table"),
                    }
                }
                out
            }
            _ => {
                self.wrong_type(key, value, "a list of tables");
                Vec::new()
            }
        }
    }

    /// A reader for a nested table; problems go to the same list.
    pub fn nested<'b>(
        &'b mut self,
        table: &'b DeTable<'i>,
        span: Range<usize>,
        what: impl Into<String>,
    ) -> TableReader<'b, 'i> {
        let mut path = self.path.clone();
        path.extend(self.last_tables);
        let mut reader = TableReader::new(self.src, self.diags, table, span, what);
        reader.path = path;
        reader
    }

    /// Any TOML value, as JSON (for `equals` in value checks).
    pub fn any(&mut self, key: &'static str) -> Option<Sp<serde_json::Value>> {
        let value = self.raw(key)?;
        Some(Sp {
            value: to_json(value.get_ref()),
            span: value.span(),
        })
    }

    /// Report every key nobody asked for.
    pub fn finish(self) {
        let mut unknown: Vec<_> = self
            .table
            .iter()
            .filter(|(k, _)| !self.known.contains(&k.get_ref().as_ref()))
            .collect();
        unknown.sort_by_key(|(k, _)| k.span().start);
        for (key, _) in unknown {
            let name = key.get_ref().as_ref();
            let mut known = self.known.clone();
            known.sort();
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the keys {} takes are: {}", self.what, known.join(", ")),
            };
            let diag = self
                .src
                .error(
                    "unknown-key",
                    format!("unknown key `{name}` in {}", self.what),
                )
                .label(key.span(), "not a key of this table")
                .help(help);
            self.diags.push(diag);
        }
    }
}

pub fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

pub fn to_json(value: &DeValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .map(Value::from)
            .unwrap_or(Value::Null),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(dt) => Value::String(dt.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|v| to_json(v.get_ref())).collect()),
        DeValue::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_json(v.get_ref())))
                .collect(),
        ),
    }
}
