//! `file-value`: a value inside a JSON, YAML or TOML file must be what the policy says.
//!
//! The file is parsed into JSON values whatever its format, so one selector language
//! ([`crate::select`]) and one comparison serve all three. Selectors are parsed when the
//! policy loads; a bad one is a policy error pointing into the selector string.

use serde_json::Value;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::{Fix, LocalFix, TextEdit};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::{compile_glob, is_glob, Globs, Pattern};
use crate::policy::reader::{Sp, TableReader};
use crate::select::{self, format_path, json_eq, short, Format, Selector};

pub const KIND: RuleKind = RuleKind {
    id: "file-value",
    summary: "Values in JSON/YAML/TOML config files are what the policy requires",
    scope: Scope::Tree,
    doc: r#"
## What it checks
`file` (an exact repository path) must exist and parse as JSON, YAML or TOML (by its
extension: `.json`, `.yml`/`.yaml`, `.toml`; `format = "json"` overrides). Each
`[[rule.expect]]` picks values with `select` and asserts exactly one of:

- `equals = VALUE`: any TOML value, compared as JSON (numbers by value, so `1` = `1.0`);
- `matches = 'REGEX'`: the value is a string matching the regex;
- `non_empty = true`: a non-empty string, list or table (`false`: empty or null);
- `exists = true | false`: the selector finds something, or finds nothing;
- `one_of = [VALUE, ...]`: the value equals one of these.

`type = "array"` (or `"object"`, `"string"`, `"number"`, `"integer"`, `"boolean"`,
`"null"`; `"list"` and `"table"` also work) may be added to any of them, or stand
alone: each value found must be of that type, else it is a finding. With it,
`non_empty = true` on `type = "array"` refuses a non-empty *string* where a list of
reviewers belongs.

A file too large (over 16 MiB) or too deeply nested to parse in reasonable time makes
the rule `error` (undecided), never a pass.

A selector that finds nothing is a finding (naming the part that found nothing), except
with `exists = false`. When it finds several values (a filter or `[*]`), every one must
satisfy the assertion; each that does not is its own finding, with its line. A missing
file is a finding, unless every expectation is `exists = false`.

Selectors: keys joined by dots (`a.b`), quoted keys (`["key.with.dots"]`), indices (`[0]`,
`[-1]` for the last), every element or value (`[*]`), and filters keeping the list
elements whose field equals a value (`[id="ai-customer"]`, `[port=8080]`, `[on=true]`).

## Why
Some governance lives in configuration, not in file layout: the AI agent that answers
customers must have human review switched on and named reviewers; a service must keep
`strict: true`; a package must stay private. A reviewer cannot spot the one flipped
boolean in a 400-line JSON file; a rule can.

## Example policy
```toml
[[rule]]
id = "hitl-customer-agent"
kind = "file-value"
file = "app/agents/config/agents.json"
reason = "customer-facing agents need a human in the loop"   # optional, added to findings

[[rule.expect]]
select = 'agents[id="ai-customer"].human_review'
equals = true

[[rule.expect]]
select = 'agents[id="ai-customer"].reviewers'
type = "array"
non_empty = true

[[rule.expect]]
select = 'agents[*].model'
one_of = ["gpt-4o", "claude-sonnet"]
```

## Fix
An `equals` expectation whose `select` is keys only (`a.b`, `["key.with.dots"]`; no
indices, `[*]` or filters) carries a fix: `warden fix` sets the value in the file,
keeping the rest of it as it was (TOML through toml_edit: comments, order and layout
kept; JSON: key order and indentation kept; YAML: one-line `key: value` entries of block
mappings are edited in place, comments kept, anything else is refused with the reason).
Missing tables on the way are added. Every edit is re-parsed and must change exactly
that value, or nothing is written. A missing file is not created.

## How to fix
Run `warden fix` for an `equals` expectation, or change the value in the file to what
the finding asks for (it names the exact path and line), or, if the policy is wrong,
change the expectation. A selector that matches nothing usually means the file's
structure moved: update `select`.
"#,
    parse,
};

const ASSERTIONS: [&str; 5] = ["equals", "matches", "non_empty", "exists", "one_of"];

#[derive(Debug)]
struct FileValue {
    file: String,
    format: Format,
    reason: Option<String>,
    expects: Vec<Expect>,
}

#[derive(Debug)]
struct Expect {
    selector: Selector,
    assertion: Assertion,
    /// `type = "..."`: checked before the assertion.
    kind: Option<JsonType>,
}

/// The JSON types `type` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    const NAMES: [(&'static str, JsonType); 9] = [
        ("string", JsonType::String),
        ("number", JsonType::Number),
        ("integer", JsonType::Integer),
        ("boolean", JsonType::Boolean),
        ("array", JsonType::Array),
        ("list", JsonType::Array),
        ("object", JsonType::Object),
        ("table", JsonType::Object),
        ("null", JsonType::Null),
    ];

    fn name(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Number => "a number",
            JsonType::Integer => "an integer",
            JsonType::Boolean => "a boolean",
            JsonType::Array => "a list",
            JsonType::Object => "a table",
            JsonType::Null => "null",
        }
    }

    fn of(self, value: &Value) -> bool {
        match self {
            JsonType::String => value.is_string(),
            JsonType::Number => value.is_number(),
            JsonType::Integer => value.is_i64() || value.is_u64(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Array => value.is_array(),
            JsonType::Object => value.is_object(),
            JsonType::Null => value.is_null(),
        }
    }
}

#[derive(Debug)]
enum Assertion {
    Equals(Value),
    Matches(Pattern),
    NonEmpty(bool),
    Exists(bool),
    OneOf(Vec<Value>),
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let file = t.req_str("file", "\"app/config.json\"");
    let format_text = t.opt_str("format");
    let reason = t.opt_str("reason").map(|r| r.value);
    let present = t.has("expect");
    let tables = t.tables("expect");

    let file = file.and_then(|file| {
        let path = file.value.trim().trim_start_matches("./").to_string();
        if path.is_empty() || path.ends_with('/') {
            t.error(
                "bad-value",
                file.span.clone(),
                "`file` must name a file",
                "not a file path",
                "write the repository path of the file, e.g. file = \"app/config.json\"",
            );
            return None;
        }
        // A longer name is no path, and its escaped glob would not compile (so the file
        // would silently not be read).
        if path.len() > 4096 {
            t.error(
                "bad-value",
                file.span.clone(),
                "`file` is longer than 4096 characters",
                "too long to be a path",
                "write the repository path of the file, e.g. file = \"app/config.json\"",
            );
            return None;
        }
        if is_glob(&path) {
            t.error(
                "bad-value",
                file.span.clone(),
                "`file` must be an exact path, not a glob",
                "glob characters (`*`, `?`, `[`, `{`) here",
                "write one rule per file, each with its exact repository path",
            );
            return None;
        }
        Some(Sp {
            value: path,
            span: file.span,
        })
    });

    let format = match &format_text {
        Some(text) => match Format::from_name(&text.value) {
            Some(format) => Some(format),
            None => {
                t.error(
                    "bad-value",
                    text.span.clone(),
                    format!("unknown format `{}`", text.value),
                    "not a format",
                    "`format` is \"json\", \"yaml\" or \"toml\"",
                );
                None
            }
        },
        None => match &file {
            Some(file) => {
                let format = Format::from_path(&file.value);
                if format.is_none() {
                    t.error(
                        "bad-value",
                        file.span.clone(),
                        format!("cannot tell the format of `{}` from its name", file.value),
                        "not .json, .yml, .yaml or .toml",
                        "add `format = \"json\"` (or \"yaml\", \"toml\")",
                    );
                }
                format
            }
            None => None,
        },
    };

    if tables.is_empty() && !present {
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `file-value` needs at least one [[rule.expect]]",
            "nothing is expected here",
            "add a table after the rule:\n[[rule.expect]]\nselect = 'a.b'\nequals = true",
        );
    }
    let mut expects = Vec::new();
    let mut ok = !tables.is_empty();
    for (table, span) in tables {
        let mut r = t.nested(table, span, "a [[rule.expect]]");
        match read_expect(&mut r) {
            Some(expect) => expects.push(expect),
            None => ok = false,
        }
        r.finish();
    }
    let rule = FileValue {
        file: file?.value,
        format: format?,
        reason,
        expects,
    };
    ok.then(|| Box::new(rule) as Box<dyn Rule>)
}

fn read_expect(r: &mut TableReader<'_, '_>) -> Option<Expect> {
    let select_text = r.req_str("select", "'agents[id=\"ai-customer\"].human_review'");
    let selector = select_text.and_then(|text| match Selector::parse(&text.value) {
        Ok(selector) => Some(selector),
        Err(err) => {
            let span = r.span_in_string(&text, Some(err.span.clone()));
            r.error(
                "bad-selector",
                span,
                format!("invalid selector `{}`", text.value),
                err.message,
                select::grammar_help(),
            );
            None
        }
    });

    let kind = r.opt_str("type").and_then(|text| {
        let found = JsonType::NAMES
            .iter()
            .find(|(name, _)| *name == text.value)
            .map(|(_, kind)| *kind);
        if found.is_none() {
            r.error(
                "bad-value",
                text.span.clone(),
                format!("unknown type `{}`", text.value),
                "not a type",
                "`type` is \"string\", \"number\", \"integer\", \"boolean\", \"array\", \"object\" or \"null\"",
            );
        }
        found
    });
    let type_given = r.has("type");
    let given: Vec<&'static str> = ASSERTIONS.into_iter().filter(|k| r.has(k)).collect();
    let mut assertion = None;
    for key in &given {
        let read = match *key {
            "equals" => r.any("equals").map(|v| Assertion::Equals(v.value)),
            "matches" => r.regex("matches").map(Assertion::Matches),
            "non_empty" => r.opt_bool("non_empty").map(Assertion::NonEmpty),
            "exists" => r.opt_bool("exists").map(Assertion::Exists),
            _ => read_one_of(r),
        };
        if assertion.is_none() {
            assertion = read;
        }
    }
    r.mark_known(&ASSERTIONS);
    match given.as_slice() {
        // `type` alone: the value must exist and be of that type.
        [] if type_given => {
            return Some(Expect {
                selector: selector?,
                assertion: Assertion::Exists(true),
                kind: Some(kind?),
            })
        }
        [] => {
            let span = r.header_span();
            r.error(
                "missing-key",
                span,
                "a [[rule.expect]] needs one assertion",
                "no `equals`, `matches`, `non_empty`, `exists`, `one_of` or `type` here",
                "add one, e.g. `equals = true`, `matches = '^v\\d+'`, `non_empty = true`, \
                 `exists = false` or `one_of = [\"a\", \"b\"]`",
            );
            return None;
        }
        [_] => {}
        [first, rest @ ..] => {
            for key in rest {
                let span = r
                    .raw(key)
                    .map(|v| v.span())
                    .unwrap_or_else(|| r.header_span());
                r.error(
                    "bad-value",
                    span,
                    format!("two assertions in one [[rule.expect]]: `{first}` and `{key}`"),
                    "a second assertion",
                    "split it into two [[rule.expect]] tables with the same `select`",
                );
            }
            return None;
        }
    }
    if type_given && kind.is_none() {
        return None;
    }
    Some(Expect {
        selector: selector?,
        assertion: assertion?,
        kind,
    })
}

fn read_one_of(r: &mut TableReader<'_, '_>) -> Option<Assertion> {
    let value = r.any("one_of")?;
    match value.value {
        Value::Array(items) if !items.is_empty() => Some(Assertion::OneOf(items)),
        other => {
            let (label, help) = match other {
                Value::Array(_) => ("an empty list", "list the allowed values"),
                _ => (
                    "not a list",
                    "write the allowed values as a list, e.g. one_of = [\"a\", \"b\"]; for one value use `equals`",
                ),
            };
            r.error(
                "wrong-type",
                value.span,
                "`one_of` in a [[rule.expect]] must be a non-empty list",
                label,
                help,
            );
            None
        }
    }
}

impl Rule for FileValue {
    fn needs(&self, needs: &mut Needs) {
        if let Ok(glob) = compile_glob(&globset::escape(&self.file)) {
            needs
                .content
                .push(Globs::from_compiled(vec![glob], vec![self.file.clone()]));
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let file = self.file.as_str();
        if facts.get(file).is_none() {
            let only_absence = self
                .expects
                .iter()
                .all(|e| matches!(e.assertion, Assertion::Exists(false)));
            if only_absence {
                return Evaluation::Checked(Vec::new());
            }
            return Evaluation::Checked(vec![self
                .finding(format!("`{file}` is missing"))
                .at(file)
                .help(format!(
                    "add `{file}` with the values this rule expects, or fix `file` in the policy"
                ))
                .subject(format!("{file}:missing"))]);
        }
        let text = match facts.content(file) {
            Some(Ok(text)) => text.as_str(),
            Some(Err(reason)) => {
                return Evaluation::Checked(vec![Finding::new(format!(
                    "cannot read `{file}`: {reason}"
                ))
                .at(file)
                .help("make it a readable text file")
                .subject(format!("{file}:unreadable"))])
            }
            None => {
                return Evaluation::Checked(vec![Finding::new(format!(
                    "`{file}` is not a regular file (a symlink or submodule), so it is not read"
                ))
                .at(file)
                .help("point `file` at the real file")
                .subject(format!("{file}:unreadable"))])
            }
        };
        // Too large or too deep to parse in reasonable time: undecided, never a pass.
        if let Err(why) = select::within_bounds(text) {
            return Evaluation::Error(format!("cannot check `{file}`: {why}"));
        }
        let doc = match self.format.parse(text) {
            Ok(doc) => doc,
            Err(err) => {
                return Evaluation::Checked(vec![Finding::new(format!(
                    "`{file}` is not valid {}: {}",
                    self.format.name().to_uppercase(),
                    err.message
                ))
                .at(file)
                .line(err.line)
                .help(format!(
                "fix the syntax at that line; if the file is not {}, set `format` in the policy",
                self.format.name().to_uppercase()
            ))
                .subject(format!("{file}:invalid"))])
            }
        };
        let mut findings = Vec::new();
        for expect in &self.expects {
            self.check(expect, text, &doc, &mut findings);
        }
        Evaluation::Checked(findings)
    }
}

impl FileValue {
    /// Attach the fix an `equals` on a keys-only selector has: set that value. Only when
    /// the file's name says its format (the editor goes by the name).
    fn with_fix(&self, finding: Finding, expect: &Expect, text: &str) -> Finding {
        let Assertion::Equals(want) = &expect.assertion else {
            return finding;
        };
        if Format::from_path(&self.file) != Some(self.format) {
            return finding;
        }
        match expect.selector.keys() {
            Some(key) if !key.is_empty() => {
                // The edit as it would be made now, for reports that show it (SARIF).
                let edit = crate::fix::edit::set_value(&self.file, text, &key, want)
                    .ok()
                    .flatten()
                    .map(|new| TextEdit::between(text, &new));
                finding.fix(Fix::Local(LocalFix::SetValue {
                    path: self.file.clone(),
                    key,
                    value: want.clone(),
                    edit,
                }))
            }
            _ => finding,
        }
    }

    fn finding(&self, message: String) -> Finding {
        match &self.reason {
            Some(reason) => Finding::new(format!("{message}: {reason}")),
            None => Finding::new(message),
        }
    }

    fn check(&self, expect: &Expect, text: &str, doc: &Value, out: &mut Vec<Finding>) {
        let file = self.file.as_str();
        let sel = expect.selector.as_str();
        let matches = match expect.selector.select(doc) {
            Ok(matches) => matches,
            Err(_) if matches!(expect.assertion, Assertion::Exists(false)) => return,
            Err(none) => {
                let help = match &expect.assertion {
                    Assertion::Equals(want) => format!(
                        "set `{sel}` to `{}` in `{file}`, or fix the selector if the file's structure changed",
                        short(want)
                    ),
                    _ => format!(
                        "add the value to `{file}`, or fix the selector if the file's structure changed"
                    ),
                };
                let finding = self
                    .finding(format!(
                        "`{}` matched nothing in `{file}` ({})",
                        none.prefix, none.reason
                    ))
                    .at(file)
                    .line(self.format.line_of(text, &none.last_found))
                    .help(help)
                    .subject(format!("{file}:{sel}"));
                out.push(self.with_fix(finding, expect, text));
                return;
            }
        };
        for found in matches {
            let wrong_type = expect
                .kind
                .filter(|kind| !kind.of(found.value))
                .map(|kind| {
                    (
                        format!(
                            "is {} (`{}`), expected {}",
                            select::type_name(found.value),
                            short(found.value),
                            kind.name()
                        ),
                        format!("make it {}", kind.name()),
                    )
                });
            let Some((problem, help)) =
                wrong_type.or_else(|| judge(&expect.assertion, found.value))
            else {
                continue;
            };
            let concrete = format_path(&found.path);
            let at = if concrete == sel {
                String::new()
            } else {
                format!(" (at `{concrete}`)")
            };
            let finding = self
                .finding(format!("`{sel}` in `{file}` {problem}{at}"))
                .at(file)
                .line(self.format.line_of(text, &found.path))
                .help(help)
                .subject(format!("{file}:{sel}@{concrete}"));
            out.push(self.with_fix(finding, expect, text));
        }
    }
}

/// `None` when `value` satisfies the assertion; else what is wrong and how to fix it.
fn judge(assertion: &Assertion, value: &Value) -> Option<(String, String)> {
    let got = format!("`{}`", short(value));
    match assertion {
        Assertion::Equals(want) => (!json_eq(value, want)).then(|| {
            (
                format!("is {got}, expected `{}`", short(want)),
                format!("set it to `{}`", short(want)),
            )
        }),
        Assertion::Matches(pattern) => match value {
            Value::String(s) if pattern.regex.is_match(s) => None,
            Value::String(_) => Some((
                format!("is {got}, which does not match `{}`", pattern.source),
                format!("change it to match `{}`", pattern.source),
            )),
            other => Some((
                format!(
                    "is {} ({got}), not a string to match against `{}`",
                    select::type_name(other),
                    pattern.source
                ),
                format!("make it a string matching `{}`", pattern.source),
            )),
        },
        Assertion::NonEmpty(true) => match value {
            Value::String(s) if !s.is_empty() => None,
            Value::Array(a) if !a.is_empty() => None,
            Value::Object(o) if !o.is_empty() => None,
            Value::String(_) | Value::Array(_) | Value::Object(_) | Value::Null => Some((
                format!("is empty ({got})"),
                "give it at least one entry".to_string(),
            )),
            other => Some((
                format!(
                    "is {} ({got}), not a string, list or table that could be non-empty",
                    select::type_name(other)
                ),
                "make it a non-empty string, list or table".to_string(),
            )),
        },
        Assertion::NonEmpty(false) => {
            let empty = match value {
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                Value::Null => true,
                _ => false,
            };
            (!empty).then(|| {
                (
                    format!("must be empty, but is {got}"),
                    "empty it (or remove it)".to_string(),
                )
            })
        }
        Assertion::Exists(true) => None,
        Assertion::Exists(false) => Some((
            format!("must not be set, but is {got}"),
            "remove it".to_string(),
        )),
        Assertion::OneOf(allowed) => (!allowed.iter().any(|a| json_eq(value, a))).then(|| {
            let list: Vec<String> = allowed.iter().map(|a| format!("`{}`", short(a))).collect();
            (
                format!("is {got}, expected one of {}", list.join(", ")),
                format!("set it to one of {}", list.join(", ")),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AGENTS: &str = r#"{
  "agents": [
    {
      "id": "ai-support",
      "human_review": true,
      "reviewers": ["ops@example.com"]
    },
    {
      "id": "ai-customer",
      "human_review": false,
      "reviewers": []
    }
  ]
}
"#;

    fn facts(files: &[(&str, &str)]) -> Facts {
        Facts::from_texts(files, jiff::Timestamp::UNIX_EPOCH)
    }

    fn rule(file: &str, expects: Vec<(&str, Assertion)>) -> FileValue {
        FileValue {
            file: file.to_string(),
            format: Format::from_path(file).unwrap(),
            reason: None,
            expects: expects
                .into_iter()
                .map(|(s, assertion)| Expect {
                    selector: Selector::parse(s).unwrap(),
                    assertion,
                    kind: None,
                })
                .collect(),
        }
    }

    fn findings(rule: &FileValue, facts: &Facts) -> Vec<Finding> {
        match rule.evaluate(facts) {
            Evaluation::Checked(findings) => findings,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn equals_on_plain_keys_carries_a_set_value_fix_and_filters_do_not() {
        let facts = facts(&[("agents.json", AGENTS), ("app.json", "{\"strict\": false}")]);
        let plain = rule("app.json", vec![("strict", Assertion::Equals(json!(true)))]);
        let found = findings(&plain, &facts);
        let Some(Fix::Local(LocalFix::SetValue {
            path,
            key,
            value,
            edit,
        })) = found[0].fix.as_deref()
        else {
            panic!("{found:?}")
        };
        assert_eq!(
            (path.as_str(), key.clone(), value),
            ("app.json", vec!["strict".to_string()], &json!(true))
        );
        let edit = edit.as_ref().unwrap();
        assert_eq!(
            (edit.offset, edit.deleted, edit.inserted.as_str()),
            (11, 4, "tru")
        );

        let filtered = rule(
            "agents.json",
            vec![(
                r#"agents[id="ai-customer"].human_review"#,
                Assertion::Equals(json!(true)),
            )],
        );
        let found = findings(&filtered, &facts);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].fix.is_none(),
            "a filter names no single place to set"
        );
        let non_empty = rule("app.json", vec![("strict", Assertion::NonEmpty(true))]);
        assert!(findings(&non_empty, &facts).iter().all(|f| f.fix.is_none()));
    }

    #[test]
    fn reports_wrong_values_with_path_and_line() {
        let facts = facts(&[("app/agents.json", AGENTS)]);
        let rule = rule(
            "app/agents.json",
            vec![
                (
                    r#"agents[id="ai-customer"].human_review"#,
                    Assertion::Equals(json!(true)),
                ),
                (
                    r#"agents[id="ai-customer"].reviewers"#,
                    Assertion::NonEmpty(true),
                ),
                (
                    r#"agents[id="ai-support"].reviewers"#,
                    Assertion::NonEmpty(true),
                ),
            ],
        );
        let got: Vec<_> = findings(&rule, &facts)
            .into_iter()
            .map(|f| (f.message, f.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "`agents[id=\"ai-customer\"].human_review` in `app/agents.json` is `false`, expected `true` (at `agents[1].human_review`)".to_string(),
                    Some(10)
                ),
                (
                    "`agents[id=\"ai-customer\"].reviewers` in `app/agents.json` is empty (`[]`) (at `agents[1].reviewers`)".to_string(),
                    Some(11)
                ),
            ]
        );
    }

    #[test]
    fn nothing_matched_names_the_failing_part() {
        let facts = facts(&[("app/agents.json", AGENTS)]);
        let rule = rule(
            "app/agents.json",
            vec![
                (
                    r#"agents[id="ai-sales"].human_review"#,
                    Assertion::Equals(json!(true)),
                ),
                (r#"agents[id="ai-sales"]"#, Assertion::Exists(false)),
                ("agents[0].id", Assertion::Exists(false)),
            ],
        );
        let found = findings(&rule, &facts);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].message,
            "`agents[id=\"ai-sales\"]` matched nothing in `app/agents.json` (none of the 2 elements of `agents` has `id` = \"ai-sales\")"
        );
        assert_eq!(found[0].line, Some(2));
        assert_eq!(
            found[1].message,
            "`agents[0].id` in `app/agents.json` must not be set, but is `\"ai-support\"`"
        );
        assert_eq!(found[1].line, Some(4));
    }

    #[test]
    fn yaml_and_toml_files_work_too() {
        let yaml = "service:\n  strict: true\n  mode: prod\n";
        let toml = "[package]\nname = \"x\"\npublish = false\nversion = \"1.2.3\"\n";
        let facts = facts(&[("svc.yaml", yaml), ("Cargo.toml", toml)]);
        let y = rule(
            "svc.yaml",
            vec![
                ("service.strict", Assertion::Equals(json!(true))),
                (
                    "service.mode",
                    Assertion::OneOf(vec![json!("dev"), json!("staging")]),
                ),
            ],
        );
        let found = findings(&y, &facts);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(3));
        assert!(found[0]
            .message
            .contains("expected one of `\"dev\"`, `\"staging\"`"));

        let t = rule(
            "Cargo.toml",
            vec![
                ("package.publish", Assertion::Equals(json!(false))),
                (
                    "package.version",
                    Assertion::Matches(
                        crate::policy::patterns::compile_regex(r"^2\.")
                            .ok()
                            .unwrap(),
                    ),
                ),
            ],
        );
        let found = findings(&t, &facts);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(4));
    }

    #[test]
    fn missing_and_broken_files_are_findings() {
        let facts = facts(&[("bad.json", "{\n  \"a\": 1,\n}\n")]);
        let found = findings(
            &rule("bad.json", vec![("a", Assertion::Exists(true))]),
            &facts,
        );
        assert_eq!(found[0].line, Some(3));
        assert!(
            found[0]
                .message
                .starts_with("`bad.json` is not valid JSON: trailing comma"),
            "{}",
            found[0].message
        );

        let found = findings(
            &rule("gone.json", vec![("a", Assertion::Exists(true))]),
            &facts,
        );
        assert_eq!(found[0].message, "`gone.json` is missing");
        let found = findings(
            &rule("gone.json", vec![("a", Assertion::Exists(false))]),
            &facts,
        );
        assert!(found.is_empty());
    }

    #[test]
    fn the_documented_example_is_a_valid_policy() {
        let example = KIND.doc.split("```toml").nth(1).unwrap();
        let example = example.split("```").next().unwrap();
        if let Err(errors) = crate::policy::load_text("example.toml", example) {
            panic!("{errors:?}");
        }
    }
}
