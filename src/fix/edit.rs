//! Setting one value in a JSON, YAML or TOML file without disturbing the rest of it.
//!
//! A fix must read like a person's edit in review: the same key order, indentation,
//! comments and quoting, one value changed. TOML goes through `toml_edit`, which keeps
//! all of that. JSON and YAML get a targeted edit of the value's text (JSON: any
//! document; YAML: block mappings of one-line `key: value` entries, anything else is
//! refused with the reason). Every edit is then verified: the edited file must parse to
//! exactly the old document with the one value set, or nothing is written.

use serde_json::{Map, Value};

use crate::select::{json_eq, Format};

/// The file's new text with `key` set to `value`, `None` if it already holds it.
pub fn set_value(
    path: &str,
    text: &str,
    key: &[String],
    value: &Value,
) -> Result<Option<String>, String> {
    let format = Format::from_path(path)
        .ok_or("warden edits only `.json`, `.yml`/`.yaml` and `.toml` files")?;
    if key.is_empty() {
        return Err("no key to set".to_string());
    }
    crate::select::within_bounds(text)?;
    let before = format
        .parse(text)
        .map_err(|e| format!("it does not parse as {}: {}", format.name(), e.message))?;
    if lookup(&before, key).is_some_and(|now| json_eq(now, value)) {
        return Ok(None);
    }
    let mut wanted = before;
    set_in(&mut wanted, key, value.clone())?;
    let edited = match format {
        Format::Json => json::set(text, key, value)?,
        Format::Toml => toml::set(text, key, value)?,
        Format::Yaml => yaml::set(text, key, value)?,
    };
    // The safety net: the edit changed that one value and nothing else.
    match format.parse(&edited) {
        Ok(after) if json_eq(&after, &wanted) => Ok(Some(edited)),
        _ => Err(format!(
            "the {} could not be edited without changing more than the value; edit it by hand",
            format.name()
        )),
    }
}

fn lookup<'v>(doc: &'v Value, key: &[String]) -> Option<&'v Value> {
    key.iter().try_fold(doc, |v, k| v.get(k))
}

/// Set `key` in the parsed document, creating missing tables on the way.
fn set_in(doc: &mut Value, key: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = key.split_last().expect("key is not empty");
    let mut here = doc;
    for (depth, k) in parents.iter().enumerate() {
        let table = here
            .as_object_mut()
            .ok_or_else(|| not_a_table(&key[..depth]))?;
        here = table
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        // YAML's `key:` with nothing under it is null: an empty table to add to.
        if here.is_null() {
            *here = Value::Object(Map::new());
        }
    }
    here.as_object_mut()
        .ok_or_else(|| not_a_table(parents))?
        .insert(last.clone(), value);
    Ok(())
}

fn not_a_table(key: &[String]) -> String {
    if key.is_empty() {
        "the document is not a table".to_string()
    } else {
        format!("`{}` is not a table", key.join("."))
    }
}

/// `{rest: value}` nested, for keys that do not exist yet below the first missing one.
fn nest(rest: &[String], value: &Value) -> Value {
    rest.iter().rev().fold(value.clone(), |v, k| {
        let mut map = Map::new();
        map.insert(k.clone(), v);
        Value::Object(map)
    })
}

/// The file's line ending: CRLF if it uses one, else LF.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// One level of indentation as the file writes it (a tab, or the smallest run of
/// leading spaces), two spaces when nothing is indented.
fn indent_unit(text: &str) -> String {
    let mut unit: Option<usize> = None;
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t".to_string();
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        if n > 0 && n < line.len() {
            unit = Some(unit.map_or(n, |u| u.min(n)));
        }
    }
    " ".repeat(unit.unwrap_or(2))
}

/// The leading whitespace of the line holding byte `at`.
fn line_indent(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

mod json {
    use super::*;

    /// Byte spans of one object member.
    struct Member {
        key: String,
        key_start: usize,
        key_end: usize,
        value_start: usize,
        value_end: usize,
        /// Where the text before the key starts: just after the `{` or `,`.
        lead_start: usize,
    }

    struct Object {
        open: usize,
        close: usize,
        members: Vec<Member>,
    }

    /// A scanner over text already known to be valid JSON (it parsed before).
    struct Scan<'a> {
        s: &'a str,
        i: usize,
    }

    impl Scan<'_> {
        fn ws(&mut self) {
            let b = self.s.as_bytes();
            while self.i < b.len() && matches!(b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            }
        }

        fn peek(&self) -> u8 {
            self.s.as_bytes().get(self.i).copied().unwrap_or(0)
        }

        fn string(&mut self) -> Result<String, String> {
            let start = self.i;
            let b = self.s.as_bytes();
            self.i += 1;
            while self.i < b.len() {
                match b[self.i] {
                    b'\\' => self.i += 2,
                    b'"' => {
                        self.i += 1;
                        return serde_json::from_str(&self.s[start..self.i])
                            .map_err(|e| e.to_string());
                    }
                    _ => self.i += 1,
                }
            }
            Err("unterminated string".to_string())
        }

        /// Skip one value.
        fn value(&mut self) -> Result<(), String> {
            match self.peek() {
                b'"' => self.string().map(drop),
                b'{' | b'[' => {
                    let mut depth = 0usize;
                    let b = self.s.as_bytes();
                    while self.i < b.len() {
                        match b[self.i] {
                            b'"' => {
                                self.string()?;
                                continue;
                            }
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => {
                                depth -= 1;
                                if depth == 0 {
                                    self.i += 1;
                                    return Ok(());
                                }
                            }
                            _ => {}
                        }
                        self.i += 1;
                    }
                    Err("unbalanced brackets".to_string())
                }
                _ => {
                    let b = self.s.as_bytes();
                    while self.i < b.len()
                        && !matches!(b[self.i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                    {
                        self.i += 1;
                    }
                    Ok(())
                }
            }
        }

        /// The object starting at the current position (which must be `{`).
        fn object(&mut self) -> Result<Object, String> {
            let open = self.i;
            self.i += 1;
            let mut members = Vec::new();
            let mut lead_start = self.i;
            loop {
                self.ws();
                if self.peek() == b'}' {
                    return Ok(Object {
                        open,
                        close: self.i,
                        members,
                    });
                }
                let key_start = self.i;
                let key = self.string()?;
                let key_end = self.i;
                self.ws();
                self.i += 1; // ':'
                self.ws();
                let value_start = self.i;
                self.value()?;
                members.push(Member {
                    key,
                    key_start,
                    key_end,
                    value_start,
                    value_end: self.i,
                    lead_start,
                });
                self.ws();
                if self.peek() == b',' {
                    self.i += 1;
                    lead_start = self.i;
                }
            }
        }
    }

    /// `value` as JSON, pretty with the file's unit when it spans lines, each line after
    /// the first indented by `base`.
    fn render(value: &Value, unit: &str, base: &str, nl: &str) -> String {
        use serde::Serialize;
        if !(value.is_object() || value.is_array()) {
            return value.to_string();
        }
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        value.serialize(&mut ser).expect("a JSON value serialises");
        let text = String::from_utf8(out).expect("JSON is UTF-8");
        text.split('\n')
            .collect::<Vec<_>>()
            .join(&format!("{nl}{base}"))
    }

    pub(super) fn set(text: &str, key: &[String], value: &Value) -> Result<String, String> {
        let unit = indent_unit(text);
        let nl = newline(text);
        let mut scan = Scan { s: text, i: 0 };
        if text.starts_with('\u{feff}') {
            scan.i = '\u{feff}'.len_utf8();
        }
        scan.ws();
        for (depth, k) in key.iter().enumerate() {
            if scan.peek() != b'{' {
                return Err(not_a_table(&key[..depth]));
            }
            let object = scan.object()?;
            match object.members.iter().rev().find(|m| &m.key == k) {
                Some(member) if depth + 1 == key.len() => {
                    let base = line_indent(text, member.key_start);
                    let new = render(value, &unit, base, nl);
                    return Ok(format!(
                        "{}{new}{}",
                        &text[..member.value_start],
                        &text[member.value_end..]
                    ));
                }
                Some(member) => scan.i = member.value_start,
                None => {
                    let name = serde_json::to_string(k).expect("a string serialises");
                    let nested = nest(&key[depth + 1..], value);
                    return Ok(match object.members.last() {
                        Some(last) => {
                            // Copy how the last member is laid out: its leading space and
                            // the text between its key and value.
                            let lead = &text[last.lead_start..last.key_start];
                            // `{"a": 1}`: the first member has no space before it.
                            let lead = if object.members.len() == 1 && !lead.contains('\n') {
                                " "
                            } else {
                                lead
                            };
                            let colon = &text[last.key_end..last.value_start];
                            let base = line_indent(text, last.key_start);
                            let new = render(&nested, &unit, base, nl);
                            format!(
                                "{},{lead}{name}{colon}{new}{}",
                                &text[..last.value_end],
                                &text[last.value_end..]
                            )
                        }
                        None if !text.trim_end().contains('\n') => {
                            let new = render(&nested, &unit, "", nl);
                            format!(
                                "{}{name}: {new}{}",
                                &text[..=object.open],
                                &text[object.close..]
                            )
                        }
                        None => {
                            let base = line_indent(text, object.open);
                            let inner = format!("{base}{unit}");
                            let new = render(&nested, &unit, &inner, nl);
                            format!(
                                "{}{nl}{inner}{name}: {new}{nl}{base}{}",
                                &text[..=object.open],
                                &text[object.close..]
                            )
                        }
                    });
                }
            }
        }
        unreachable!("the loop returns at the last key")
    }
}

mod toml {
    use super::*;
    use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike};

    fn to_toml(value: &Value) -> Result<toml_edit::Value, String> {
        Ok(match value {
            Value::Null => return Err("TOML has no null value".to_string()),
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i.into(),
                (None, Some(f)) if n.is_f64() => f.into(),
                _ => return Err(format!("{n} does not fit a TOML integer")),
            },
            Value::String(s) => s.as_str().into(),
            Value::Array(items) => {
                let mut array = Array::new();
                for item in items {
                    array.push(to_toml(item)?);
                }
                array.into()
            }
            Value::Object(map) => {
                let mut table = InlineTable::new();
                for (k, v) in map {
                    table.insert(k, to_toml(v)?);
                }
                table.into()
            }
        })
    }

    pub(super) fn set(text: &str, key: &[String], value: &Value) -> Result<String, String> {
        let mut doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| e.message().trim().to_string())?;
        let (last, parents) = key.split_last().expect("key is not empty");
        let mut table: &mut dyn TableLike = doc.as_table_mut();
        for (depth, k) in parents.iter().enumerate() {
            if !table.contains_key(k) {
                let mut new = Table::new();
                new.set_implicit(true);
                table.insert(k, Item::Table(new));
            }
            table = table
                .get_mut(k)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| not_a_table(&key[..=depth]))?;
        }
        let mut new = to_toml(value)?;
        match table.get_mut(last) {
            Some(Item::Value(old)) => {
                // Keep the comment after the value and the spacing around it.
                *new.decor_mut() = old.decor().clone();
                *old = new;
            }
            Some(_) => {
                return Err(format!(
                    "`{}` is a table; set the keys inside it",
                    key.join(".")
                ))
            }
            None => {
                table.insert(last, Item::Value(new));
            }
        }
        Ok(doc.to_string())
    }
}

mod yaml {
    use super::*;

    /// One `key: value` line of a block mapping.
    struct Entry {
        key: String,
        /// Byte range of the value text in the line (empty when the value is a block).
        value: std::ops::Range<usize>,
    }

    /// The line's content without its line ending.
    fn body(line: &str) -> &str {
        line.trim_end_matches(['\n', '\r'])
    }

    fn indent_of(line: &str) -> usize {
        line.len() - line.trim_start_matches(' ').len()
    }

    /// Lines that carry no content: blank, comments, document markers.
    fn is_content(line: &str) -> bool {
        let t = body(line).trim();
        !(t.is_empty() || t.starts_with('#') || t == "---")
    }

    /// Parse a `key: value  # comment` line; `None` when it is not one.
    fn entry(line: &str) -> Option<Entry> {
        let text = body(line);
        let indent = indent_of(text);
        let rest = &text[indent..];
        let (key, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')? + 2;
            let key: String = serde_json::from_str(&rest[..end]).ok()?;
            (key, &rest[end..])
        } else if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'')? + 2;
            (rest[1..end - 1].to_string(), &rest[end..])
        } else {
            let colon = rest
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| rest[i + 1..].is_empty() || rest[i + 1..].starts_with([' ', '\t']))?;
            let key = rest[..colon].trim_end();
            if key.is_empty() || key.starts_with(['-', '?', '[', '{', '#', '&', '*', '!']) {
                return None;
            }
            (key.to_string(), &rest[colon..])
        };
        let after = after.trim_start_matches([' ', '\t']).strip_prefix(':')?;
        if !(after.is_empty() || after.starts_with([' ', '\t'])) {
            return None;
        }
        let value_start = text.len() - after.len();
        let leading = after.len() - after.trim_start_matches([' ', '\t']).len();
        let value_text = &after[leading..];
        // A comment starts at a `#` after whitespace (outside quotes; a quoted value with
        // ` #` in it is caught by the verification after the edit).
        let value_len = if value_text.starts_with('#') {
            0
        } else {
            value_text
                .find(" #")
                .or_else(|| value_text.find("\t#"))
                .unwrap_or(value_text.len())
        };
        let start = value_start + leading;
        let value_trimmed = value_text[..value_len].trim_end();
        Some(Entry {
            key,
            value: start..start + value_trimmed.len(),
        })
    }

    /// A YAML scalar or flow collection for `value`: plain when that reads back as the
    /// same string, else JSON (which YAML reads as the same value).
    fn render(value: &Value) -> String {
        if let Value::String(s) = value {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || " _./@+-".contains(c))
                && !s.starts_with([' ', '-', '.'])
                && !s.ends_with(' ')
                // YAML 1.1 readers take these for booleans: quote them for everyone.
                && !["y", "n", "yes", "no", "on", "off"]
                    .contains(&s.to_ascii_lowercase().as_str());
            if plain && yaml_serde::from_str::<Value>(s).ok().as_ref() == Some(value) {
                return s.clone();
            }
        }
        value.to_string()
    }

    /// New lines for `rest` (keys that do not exist yet) at `indent`.
    fn new_lines(rest: &[String], value: &Value, indent: usize, unit: usize, nl: &str) -> String {
        let mut out = String::new();
        for (i, k) in rest.iter().enumerate() {
            let pad = " ".repeat(indent + i * unit);
            let name = render(&Value::String(k.clone()));
            if i + 1 == rest.len() {
                out.push_str(&format!("{pad}{name}: {}{nl}", render(value)));
            } else {
                out.push_str(&format!("{pad}{name}:{nl}"));
            }
        }
        out
    }

    pub(super) fn set(text: &str, key: &[String], value: &Value) -> Result<String, String> {
        if text.contains('\t') && text.lines().any(|l| l.starts_with('\t')) {
            return Err("it is indented with tabs".to_string());
        }
        let nl = newline(text);
        let unit = indent_unit(text).len().max(1);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let starts: Vec<usize> = lines
            .iter()
            .scan(0, |at, l| {
                let s = *at;
                *at += l.len();
                Some(s)
            })
            .collect();
        // The block being searched: lines [from, to), its keys at `indent` (None: the
        // block is empty so far, e.g. `key:` with nothing under it).
        let (mut from, mut to) = (0, lines.len());
        let mut parent_indent: Option<usize> = None;
        for (depth, k) in key.iter().enumerate() {
            let first = (from..to).find(|&i| is_content(lines[i]));
            let indent = match first {
                Some(i) => indent_of(lines[i]),
                None => parent_indent.map_or(0, |p| p + unit),
            };
            if first.is_some() && parent_indent.is_some_and(|p| indent <= p) {
                return Err(format!("`{}` is not a table", key[..depth].join(".")));
            }
            let mut found = None;
            let mut last_content = first.map(|i| i + 1).unwrap_or(from);
            for (i, line) in lines.iter().enumerate().take(to).skip(from) {
                if !is_content(line) {
                    continue;
                }
                last_content = i + 1;
                if indent_of(line) != indent {
                    continue;
                }
                // `key:` then `- item` lines at the key's own indent: the key's list.
                if i != first.unwrap_or(i) && body(line)[indent..].starts_with("- ") {
                    continue;
                }
                let Some(e) = entry(line) else {
                    return Err(format!(
                        "line {} is not a simple `key: value` entry (a list, a flow \
                         mapping or a multi-line key); warden edits only block mappings",
                        i + 1
                    ));
                };
                if e.key == *k {
                    found = Some((i, e));
                }
            }
            let Some((i, e)) = found else {
                let at = if first.is_none() { from } else { last_content };
                let offset = starts.get(at).copied().unwrap_or(text.len());
                let mut before = text[..offset].to_string();
                if !before.is_empty() && !before.ends_with('\n') {
                    before.push_str(nl);
                }
                let added = new_lines(&key[depth..], value, indent, unit, nl);
                return Ok(format!("{before}{added}{}", &text[offset..]));
            };
            // The entry's block: the lines after it that are indented deeper (or are
            // list items at its own indent).
            let end = (i + 1..to)
                .find(|&j| {
                    is_content(lines[j]) && {
                        let n = indent_of(lines[j]);
                        n < indent || (n == indent && !body(lines[j])[n..].starts_with("- "))
                    }
                })
                .unwrap_or(to);
            let has_block = (i + 1..end).any(|j| is_content(lines[j]));
            let value_text = &body(lines[i])[e.value.clone()];
            if depth + 1 == key.len() {
                if has_block {
                    return Err(format!(
                        "`{}` holds a block (a list or table over several lines); warden \
                         replaces one-line values only",
                        key.join(".")
                    ));
                }
                if value_text.starts_with(['|', '>', '&', '*', '!']) {
                    return Err(format!(
                        "`{}` is a block scalar, anchor, alias or tagged value; edit it by hand",
                        key.join(".")
                    ));
                }
                let start = starts[i];
                let line = body(lines[i]);
                let new = if e.value.is_empty() {
                    // `key:` (null) or `key:  # comment`: the value goes after the colon.
                    let colon_end = line[..e.value.start].trim_end().len();
                    format!(
                        "{} {}{}",
                        &line[..colon_end],
                        render(value),
                        &line[colon_end..]
                    )
                } else {
                    format!(
                        "{}{}{}",
                        &line[..e.value.start],
                        render(value),
                        &line[e.value.end..]
                    )
                };
                return Ok(format!(
                    "{}{new}{}",
                    &text[..start],
                    &text[start + line.len()..]
                ));
            }
            if !value_text.is_empty() {
                return Err(format!(
                    "`{}` is written on one line (`{value_text}`), not as a block; edit it by hand",
                    key[..=depth].join(".")
                ));
            }
            from = i + 1;
            to = end;
            parent_indent = Some(indent);
        }
        unreachable!("the loop returns at the last key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(path: &str, text: &str, key: &str, value: Value) -> Result<Option<String>, String> {
        let key: Vec<String> = key.split('.').map(String::from).collect();
        set_value(path, text, &key, &value)
    }

    #[test]
    fn json_keeps_order_indentation_and_layout() {
        let text = "{\n    \"name\": \"x\",\n    \"private\": false,\n    \"a\": {\"b\": 1}\n}\n";
        assert_eq!(
            set("p.json", text, "private", json!(true))
                .unwrap()
                .unwrap(),
            "{\n    \"name\": \"x\",\n    \"private\": true,\n    \"a\": {\"b\": 1}\n}\n"
        );
        assert_eq!(
            set("p.json", text, "a.c", json!("new")).unwrap().unwrap(),
            "{\n    \"name\": \"x\",\n    \"private\": false,\n    \"a\": {\"b\": 1, \"c\": \"new\"}\n}\n"
        );
        assert_eq!(
            set("p.json", text, "license", json!("MIT")).unwrap().unwrap(),
            "{\n    \"name\": \"x\",\n    \"private\": false,\n    \"a\": {\"b\": 1},\n    \"license\": \"MIT\"\n}\n"
        );
        assert_eq!(set("p.json", text, "a.b", json!(1.0)).unwrap(), None);
    }

    #[test]
    fn json_creates_nested_tables_in_empty_objects() {
        assert_eq!(
            set("x.json", "{}", "a.b", json!(true)).unwrap().unwrap(),
            "{\"a\": {\n  \"b\": true\n}}"
        );
        assert_eq!(
            set("x.json", "{\n\t\"k\": {\n\t}\n}\n", "k.v", json!(2))
                .unwrap()
                .unwrap(),
            "{\n\t\"k\": {\n\t\t\"v\": 2\n\t}\n}\n"
        );
        assert!(set("x.json", "{\"a\": 1}", "a.b", json!(1))
            .unwrap_err()
            .contains("not a table"));
        assert!(set("x.json", "{oops", "a", json!(1))
            .unwrap_err()
            .contains("does not parse"));
    }

    #[test]
    fn toml_keeps_comments_and_order() {
        let text = "# settings\n[package]\nname = \"x\"  # the name\npublish = true # careful\n\n[other]\nk = 1\n";
        assert_eq!(
            set("Cargo.toml", text, "package.publish", json!(false))
                .unwrap()
                .unwrap(),
            "# settings\n[package]\nname = \"x\"  # the name\npublish = false # careful\n\n[other]\nk = 1\n"
        );
        let added = set("Cargo.toml", text, "tool.x.on", json!(true))
            .unwrap()
            .unwrap();
        assert!(added.starts_with(text), "{added}");
        assert!(added.contains("[tool.x]\non = true\n"), "{added}");
        assert!(set("a.toml", "a = 1\n", "b", Value::Null)
            .unwrap_err()
            .contains("no null"));
    }

    #[test]
    fn yaml_edits_one_line_and_keeps_comments() {
        let text = "# top\nname: svc   # the name\nsettings:\n  strict: false  # keep it\n  list:\n  - a\n  - b\nlast: 1\n";
        assert_eq!(
            set("c.yml", text, "settings.strict", json!(true))
                .unwrap()
                .unwrap(),
            "# top\nname: svc   # the name\nsettings:\n  strict: true  # keep it\n  list:\n  - a\n  - b\nlast: 1\n"
        );
        assert_eq!(
            set("c.yml", text, "settings.mode", json!("on")).unwrap().unwrap(),
            "# top\nname: svc   # the name\nsettings:\n  strict: false  # keep it\n  list:\n  - a\n  - b\n  mode: \"on\"\nlast: 1\n"
        );
        assert_eq!(
            set("c.yml", text, "new.deep", json!("a b"))
                .unwrap()
                .unwrap(),
            format!("{text}new:\n  deep: a b\n")
        );
        assert!(set("c.yml", text, "settings.list", json!([]))
            .unwrap_err()
            .contains("block"));
        assert!(set("c.yml", "a: {b: 1}\n", "a.b", json!(2))
            .unwrap_err()
            .contains("one line"));
        assert!(set("c.yml", "k: |\n  text\n", "k", json!("x")).is_err());
    }

    #[test]
    fn yaml_fills_an_empty_key_and_keeps_crlf() {
        assert_eq!(
            set("c.yaml", "a:\r\nb: 2\r\n", "a", json!(1))
                .unwrap()
                .unwrap(),
            "a: 1\r\nb: 2\r\n"
        );
        assert_eq!(
            set("c.yaml", "a:\nb: 2\n", "a.x", json!(1))
                .unwrap()
                .unwrap(),
            "a:\n  x: 1\nb: 2\n"
        );
    }

    #[test]
    fn other_files_are_refused() {
        assert!(set("README.md", "x", "a", json!(1))
            .unwrap_err()
            .contains("only"));
    }
}
