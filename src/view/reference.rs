//! The reference page of the template context, written from its JSON schema so the page cannot
//! say anything the types do not.

use serde_json::Value;

/// `schemas/template-context.md`: every variable each kind of template sees, with its type and
/// meaning.
pub fn reference_page() -> String {
    let schema: Value = serde_json::from_str(&super::schema()).expect("the schema is JSON");
    let defs = &schema["$defs"];
    let mut out = String::new();
    out.push_str(&format!(
        "# Template context, version {}\n\n\
         Generated from bqflat's types by `bqflat schema --out schemas/`; do not edit. Each section \
         lists the variables one kind of template sees. Every string is printed through a filter \
         (`ident`, `literal`, `comment`, `json`, `js_string`, `jinja_text`, `path`, `sql_type`, \
         `keyword`); printing one without a filter is a render error. A project's template can \
         require this version with `{{{{ require_context_version({}) }}}}`.\n",
        super::CONTEXT_VERSION,
        super::CONTEXT_VERSION
    ));
    let Some(kinds) = schema["properties"].as_object() else {
        return out;
    };
    for (kind, reference) in kinds {
        let def = resolve(reference, defs);
        out.push_str(&format!("\n## `{kind}`\n\n{}\n\n", text(def)));
        out.push_str("| variable | type | meaning |\n|---|---|---|\n");
        rows(def, "", defs, &mut out, &mut Vec::new());
    }
    out
}

/// Follows `$ref` (and a nullable `anyOf` around one) to the definition.
fn resolve<'v>(schema: &'v Value, defs: &'v Value) -> &'v Value {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.trim_start_matches("#/$defs/");
        return resolve(&defs[name], defs);
    }
    if let Some(options) = schema["anyOf"].as_array() {
        if let Some(inner) = options.iter().find(|o| o["type"] != "null") {
            return resolve(inner, defs);
        }
    }
    schema
}

fn nullable(schema: &Value) -> bool {
    let null = |v: &Value| v == "null";
    schema["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(null))
        || schema["anyOf"]
            .as_array()
            .is_some_and(|o| o.iter().any(|v| null(&v["type"])))
}

fn text(schema: &Value) -> String {
    schema["description"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn type_name(schema: &Value, defs: &Value) -> String {
    let def = resolve(schema, defs);
    let base = if let Some(values) = constants(def) {
        values
            .iter()
            .map(|(v, _)| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| ")
    } else if def["oneOf"].is_array() {
        "one of the kinds below".to_string()
    } else {
        match def["type"].as_array().map_or(def["type"].clone(), |types| {
            types
                .iter()
                .find(|t| *t != "null")
                .cloned()
                .unwrap_or_default()
        }) {
            Value::String(t) if t == "array" => {
                format!("list of {}", type_name(&def["items"], defs))
            }
            Value::String(t) if t == "object" && def["additionalProperties"].is_object() => {
                format!("map of {}", type_name(&def["additionalProperties"], defs))
            }
            Value::String(t) => t,
            _ => "any".to_string(),
        }
    };
    if nullable(schema) || nullable(def) {
        format!("{base} or null")
    } else {
        base
    }
}

/// The values of an enum of plain strings, each with its meaning.
fn constants(def: &Value) -> Option<Vec<(String, String)>> {
    if let Some(values) = def["enum"].as_array() {
        let values = values
            .iter()
            .map(|v| Some((v.as_str()?.to_string(), String::new())));
        return values.collect();
    }
    let variants = def["oneOf"].as_array()?;
    variants
        .iter()
        .map(|v| Some((v["const"].as_str()?.to_string(), text(v))))
        .collect()
}

/// The definitions being listed, each with the path it is listed under: a recursive type (a
/// STRUCT field holding fields) is listed once, its nested uses point back to it.
type Open<'v> = Vec<(&'v Value, String)>;

fn rows<'v>(def: &'v Value, prefix: &str, defs: &'v Value, out: &mut String, open: &mut Open<'v>) {
    if constants(def).is_some() {
        return;
    }
    if let Some(variants) = def["oneOf"].as_array() {
        for variant in variants {
            let kind = variant["properties"]["kind"]["const"]
                .as_str()
                .unwrap_or_default();
            out.push_str(&format!(
                "| `{prefix}kind == \"{kind}\"` | | {} |\n",
                text(variant)
            ));
            let fields = variant["properties"].as_object();
            for (name, field) in fields.into_iter().flatten() {
                if name != "kind" {
                    row(name, field, prefix, defs, out, open);
                }
            }
        }
        return;
    }
    for (name, field) in def["properties"].as_object().into_iter().flatten() {
        row(name, field, prefix, defs, out, open);
    }
}

fn row<'v>(
    name: &str,
    field: &'v Value,
    prefix: &str,
    defs: &'v Value,
    out: &mut String,
    open: &mut Open<'v>,
) {
    let path = format!("{prefix}{name}");
    let def = resolve(field, defs);
    let mut description = match text(field) {
        own if own.is_empty() => text(def),
        own => own,
    };
    let element = resolve(&def["items"], defs);
    let (nested, nested_path) = if def["properties"].is_object() || def["oneOf"].is_array() {
        (Some(def), path.clone())
    } else if element["properties"].is_object() || element["oneOf"].is_array() {
        (Some(element), format!("{path}[]"))
    } else {
        (None, String::new())
    };
    let listed = nested.and_then(|n| {
        open.iter()
            .find(|(d, _)| std::ptr::eq(*d, n))
            .map(|(_, p)| p.clone())
    });
    if let Some(earlier) = &listed {
        description.push_str(&format!(" Each has the fields of `{earlier}`."));
    }
    out.push_str(&format!(
        "| `{path}` | {} | {description} |\n",
        type_name(field, defs)
    ));
    if let Some(values) = constants(def) {
        for (value, meaning) in values.iter().filter(|(_, m)| !m.is_empty()) {
            out.push_str(&format!("| `{path} == \"{value}\"` | | {meaning} |\n"));
        }
    } else if let (Some(nested), None) = (nested, listed) {
        open.push((nested, nested_path.clone()));
        rows(nested, &format!("{nested_path}."), defs, out, open);
        open.pop();
    }
}
