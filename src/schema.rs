//! The JSON Schema of policy files (`warden schema policy`, committed as
//! `schemas/policy.json`), for editors: Taplo / Even Better TOML complete and validate keys
//! with it, and it is ready for SchemaStore.
//!
//! It is derived from the rule kinds' own parsers, not from a second list of keys that
//! could drift from them: each kind's `parse` runs on a probe table while
//! [`record_keys`] notes which accessor it calls for which key (string, list, table…).
//! Every key it asks for gets a probe value and the parser runs again, until it asks for
//! nothing new — so keys read only after another key (`[[rule.workflow]]` entries, a
//! `req_*` that returns early) are found too. A key is required when removing it from
//! the full probe makes the parser report a missing key.
//!
//! The schema checks structure (keys, types, levels, kinds, built-in pack names, dates);
//! what only warden can judge — a glob or regex that does not compile, duplicate ids, an
//! `extends` file that is missing, an override of no inherited rule — stays warden's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use toml::de::DeTable;

use crate::policy::builtin;
use crate::policy::diagnostic::{PolicyDiagnostic, PolicySource};
use crate::policy::reader::{record_keys, KeyType, KeyUse, TableReader};
use crate::rules::{RuleKind, REGISTRY};

/// Keys every `[[rule]]` takes, read by the policy loader before the kind's parser.
const COMMON: &[&str] = &["kind", "id", "level", "overridable"];
const LEVELS: &[&str] = &["deny", "warn", "info", "off"];

/// The schema's `$id`: where SchemaStore and editors fetch it.
pub const POLICY_SCHEMA_ID: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/main/schemas/policy.json"
);

/// The keys of one table: name -> (type, required), and nested tables by key.
#[derive(Default, Debug)]
struct Keys {
    types: BTreeMap<&'static str, KeyType>,
    required: BTreeSet<&'static str>,
    nested: BTreeMap<&'static str, Keys>,
}

impl Keys {
    fn at(&mut self, path: &[&'static str]) -> &mut Keys {
        match path.split_first() {
            None => self,
            Some((first, rest)) => self.nested.entry(first).or_default().at(rest),
        }
    }
}

/// A probe value the accessor of `ty` accepts.
fn probe_value(ty: KeyType) -> toml::Value {
    match ty {
        KeyType::Any | KeyType::String => toml::Value::String("x".into()),
        KeyType::Bool => toml::Value::Boolean(true),
        KeyType::UInt => toml::Value::Integer(1),
        KeyType::Date => toml::Value::String("2026-01-01".into()),
        KeyType::StrList => toml::Value::Array(vec![toml::Value::String("x".into())]),
        KeyType::Tables => toml::Value::Array(vec![toml::Value::Table(toml::Table::new())]),
    }
}

fn table_at<'t>(table: &'t mut toml::Table, path: &[&'static str]) -> &'t mut toml::Table {
    let Some((first, rest)) = path.split_first() else {
        return table;
    };
    let slot = table
        .entry(first.to_string())
        .or_insert_with(|| probe_value(KeyType::Tables));
    let is_table_array = matches!(slot, toml::Value::Array(items) if matches!(items.first(), Some(toml::Value::Table(_))));
    if !is_table_array {
        *slot = probe_value(KeyType::Tables);
    }
    match slot {
        toml::Value::Array(items) => match &mut items[0] {
            toml::Value::Table(inner) => table_at(inner, rest),
            _ => unreachable!("checked above"),
        },
        _ => unreachable!("checked above"),
    }
}

/// Run the kind's parser on `probe`: the keys it asked for and the missing-key problems.
fn run_parser(kind: &RuleKind, probe: &toml::Table) -> (Vec<KeyUse>, Vec<String>) {
    let text = toml::to_string(probe).unwrap_or_default();
    let src = PolicySource::new("schema-probe", text.clone());
    let Ok(doc) = DeTable::parse(&text) else {
        return (Vec::new(), Vec::new());
    };
    let mut diags: Vec<PolicyDiagnostic> = Vec::new();
    let ((), uses) = record_keys(|| {
        let mut reader = TableReader::new(&src, &mut diags, doc.get_ref(), doc.span(), "probe");
        reader.mark_known(COMMON);
        let _ = (kind.parse)(&mut reader);
        reader.finish();
    });
    let missing = diags
        .iter()
        .filter(|d| d.code == "missing-key")
        .map(|d| d.message.clone())
        .collect();
    (uses, missing)
}

/// The keys of one rule kind, found by probing its parser.
fn kind_keys(kind: &RuleKind) -> Keys {
    let mut keys = Keys::default();
    let mut probe = toml::Table::new();
    let mut seen: BTreeMap<(Vec<&'static str>, &'static str), KeyType> = BTreeMap::new();
    // Each round adds at least one key; a kind has a few dozen at most.
    for _ in 0..64 {
        let (uses, _) = run_parser(kind, &probe);
        let mut new = false;
        for KeyUse { path, key, ty } in uses {
            if path.is_empty() && COMMON.contains(&key) {
                continue;
            }
            let slot = seen.entry((path.clone(), key)).or_insert(ty);
            // The most permissive accessor wins (`raw`, then `str_list`: a list).
            if ty > *slot {
                *slot = ty;
            }
            let wanted = probe_value(*slot);
            let table = table_at(&mut probe, &path);
            let stale = match table.get(key) {
                None => true,
                // A nested table keeps the keys already probed into it.
                Some(_) if *slot == KeyType::Tables => false,
                Some(existing) => *existing != wanted,
            };
            if stale {
                table.insert(key.to_string(), wanted);
                new = true;
            }
        }
        if !new {
            break;
        }
    }
    let (_, baseline) = run_parser(kind, &probe);
    for ((path, key), ty) in &seen {
        keys.at(path).types.insert(key, *ty);
        // Required: leaving the key out makes the parser report a missing key.
        let mut without = probe.clone();
        table_at(&mut without, path).remove(*key);
        // "needs `a` or `b`" is a choice the schema cannot state per key: neither is
        // required then.
        let (_, missing) = run_parser(kind, &without);
        if missing
            .iter()
            .any(|m| !baseline.contains(m) && !m.contains(" or "))
        {
            keys.at(path).required.insert(key);
        }
    }
    keys
}

fn type_schema(ty: KeyType, nested: Option<&Keys>) -> Value {
    match ty {
        KeyType::Any => json!({}),
        KeyType::String => json!({ "type": "string" }),
        KeyType::Bool => json!({ "type": "boolean" }),
        KeyType::UInt => json!({ "type": "integer", "minimum": 0 }),
        // A TOML date literal reaches JSON Schema validators as a string (Taplo).
        KeyType::Date => json!({ "type": "string", "format": "date" }),
        KeyType::StrList => json!({
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        }),
        KeyType::Tables => {
            let table = nested
                .map(object_schema)
                .unwrap_or_else(|| json!({ "type": "object" }));
            json!({ "anyOf": [ { "type": "array", "items": table.clone() }, table ] })
        }
    }
}

fn object_schema(keys: &Keys) -> Value {
    let mut properties = Map::new();
    for (key, ty) in &keys.types {
        properties.insert(key.to_string(), type_schema(*ty, keys.nested.get(key)));
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !keys.required.is_empty() {
        schema["required"] = json!(keys.required.iter().collect::<Vec<_>>());
    }
    schema
}

fn common_properties() -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert(
        "id".into(),
        json!({ "type": "string", "description": "The rule's id (defaults to its kind); unique in the policy." }),
    );
    properties.insert(
        "level".into(),
        json!({ "enum": LEVELS, "description": "deny (blocks), warn, info, or off to switch the rule off." }),
    );
    properties.insert(
        "overridable".into(),
        json!({ "type": "boolean", "description": "Whether a policy that extends this one may change the rule (default true)." }),
    );
    properties
}

/// The JSON Schema (draft-07) of a warden policy file.
pub fn policy_schema() -> Value {
    let mut definitions = Map::new();
    let mut variants = vec![json!({ "$ref": "#/definitions/override" })];
    for kind in REGISTRY {
        let keys = kind_keys(kind);
        let mut schema = object_schema(&keys);
        let mut properties = common_properties();
        properties.insert("kind".into(), json!({ "const": kind.id }));
        if let Value::Object(own) = &schema["properties"] {
            properties.extend(own.clone());
        }
        schema["properties"] = Value::Object(properties);
        let mut required = vec![json!("kind")];
        if let Some(Value::Array(own)) = schema.get("required") {
            required.extend(own.iter().cloned());
        }
        schema["required"] = Value::Array(required);
        schema["description"] = json!(kind.summary);
        schema["markdownDescription"] = json!(kind.doc);
        definitions.insert(format!("rule-{}", kind.id), schema);
        variants.push(json!({ "$ref": format!("#/definitions/rule-{}", kind.id) }));
    }
    let mut override_props = common_properties();
    override_props.remove("overridable");
    definitions.insert(
        "override".into(),
        json!({
            "description": "Change an inherited rule: its id and a level, no kind.",
            "type": "object",
            "properties": override_props,
            "required": ["id"],
            "not": { "required": ["kind"] },
            "additionalProperties": false,
        }),
    );
    definitions.insert(
        "rule".into(),
        json!({
            "description": "A rule: `kind` and its keys (`warden explain KIND`), or an override of an inherited rule (`id` and `level`).",
            "type": "object",
            "properties": {
                "kind": {
                    "enum": REGISTRY.iter().map(|k| k.id).collect::<Vec<_>>(),
                    "description": "The rule kind; `warden rules` lists them."
                }
            },
            "oneOf": variants,
        }),
    );
    definitions.insert(
        "waiver".into(),
        json!({
            "description": "Accept a gap, with a reason; an expired or unused waiver is a finding itself.",
            "type": "object",
            "properties": {
                "rule": { "type": "string", "description": "The id of the rule whose gaps it waives." },
                "path": type_schema(KeyType::StrList, None),
                "reason": { "type": "string", "minLength": 1, "pattern": "\\S", "description": "Why the gap is accepted and where it is tracked." },
                "expires": type_schema(KeyType::Date, None),
            },
            "required": ["rule", "reason"],
            "additionalProperties": false,
        }),
    );
    let builtins: Vec<String> = builtin::names()
        .iter()
        .map(|n| format!("builtin:{n}"))
        .collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": POLICY_SCHEMA_ID,
        "title": "warden policy",
        "description": "A warden policy file (warden.toml): rules, waivers and the packs it extends. Generated by `warden schema policy`.",
        "type": "object",
        "properties": {
            "extends": {
                "description": "Built-in packs (builtin:NAME) or policy files relative to this one, loaded first.",
                "anyOf": [
                    { "$ref": "#/definitions/extends-entry" },
                    { "type": "array", "items": { "$ref": "#/definitions/extends-entry" } }
                ]
            },
            "rule": {
                "anyOf": [
                    { "type": "array", "items": { "$ref": "#/definitions/rule" } },
                    { "$ref": "#/definitions/rule" }
                ]
            },
            "waiver": {
                "anyOf": [
                    { "type": "array", "items": { "$ref": "#/definitions/waiver" } },
                    { "$ref": "#/definitions/waiver" }
                ]
            }
        },
        "additionalProperties": false,
        "definitions": {
            "extends-entry": {
                "type": "string",
                "anyOf": [
                    { "enum": builtins },
                    { "not": { "pattern": "^builtin:" } }
                ]
            },
        }
    })
    .tap_definitions(definitions)
}

trait TapDefinitions {
    fn tap_definitions(self, more: Map<String, Value>) -> Value;
}

impl TapDefinitions for Value {
    fn tap_definitions(mut self, more: Map<String, Value>) -> Value {
        if let Some(Value::Object(defs)) = self.get_mut("definitions") {
            defs.extend(more);
        }
        self
    }
}

/// The JSON Schema (draft-07) of the JSON report, version 1, derived from the report types
/// (`crate::report::Report`): `schemas/report-v1.json`, which each report names in `$schema`.
pub fn report_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<crate::report::Report>();
    let mut value = schema.to_value();
    if let Value::Object(map) = &mut value {
        map.insert("$id".into(), json!(crate::report::SCHEMA_URL));
        map.insert(
            "description".into(),
            json!("The JSON report of `warden check`, `warden pr` and `warden sweep`, version 1 (docs/json-schema.md). Generated by `warden schema report`."),
        );
    }
    value
}

/// A schema as committed: pretty JSON with a final newline.
pub fn text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
