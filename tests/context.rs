//! The template context is public API (projects override templates): its committed schema and
//! reference page are current, every variable is documented, every variable the built-in
//! templates read exists, and each fixture project's context is pinned by a snapshot.

mod common;

use std::collections::BTreeSet;

use bqflat::compiler::{compile, Inputs};
use camino::Utf8PathBuf;
use common::*;

#[test]
fn committed_schema_and_reference_page_are_current() {
    for (file, text) in [
        (bqflat::view::SCHEMA_FILE, bqflat::view::schema()),
        (bqflat::view::REFERENCE_FILE, bqflat::view::reference_page()),
    ] {
        let committed = std::fs::read_to_string(root().join("schemas").join(file)).unwrap();
        assert!(
            committed == text,
            "schemas/{file} is stale: run `cargo run -- schema --out schemas`"
        );
    }
}

/// Every property of every definition, with its path, for the checks below.
fn properties(schema: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut found = Vec::new();
    let mut visit = |name: &str, def: &serde_json::Value| {
        for (key, field) in def["properties"].as_object().into_iter().flatten() {
            found.push((format!("{name}.{key}"), field.clone()));
        }
        for variant in def["oneOf"].as_array().into_iter().flatten() {
            for (key, field) in variant["properties"].as_object().into_iter().flatten() {
                if key != "kind" {
                    found.push((format!("{name}.{key}"), field.clone()));
                }
            }
        }
    };
    visit("", schema);
    for (name, def) in schema["$defs"].as_object().into_iter().flatten() {
        visit(name, def);
    }
    found
}

#[test]
fn every_variable_is_documented() {
    let schema: serde_json::Value = serde_json::from_str(&bqflat::view::schema()).unwrap();
    let undocumented: Vec<String> = properties(&schema)
        .into_iter()
        .filter(|(_, field)| {
            let own = field["description"].as_str().unwrap_or("");
            own.trim().is_empty() && field["$ref"].is_null()
        })
        .map(|(path, _)| path)
        .collect();
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

#[test]
fn every_table_variable_the_templates_read_exists() {
    let schema: serde_json::Value = serde_json::from_str(&bqflat::view::schema()).unwrap();
    let fields: BTreeSet<String> = schema["$defs"]["TableView"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut read = BTreeSet::new();
    for entry in walkdir::WalkDir::new(root().join("templates")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // Only inside `{{ }}` and `{% %}`: `t.` in the SQL text is a table alias.
        let tags: String = text
            .split("{{")
            .chain(text.split("{%"))
            .skip(1)
            .map(|part| part.split(['}', '%']).next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = tags.as_str();
        while let Some(at) = rest.find("t.") {
            let before = rest[..at].chars().last();
            let name: String = rest[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && !name.is_empty()
            {
                read.insert(name);
            }
            rest = &rest[at + 2..];
        }
    }
    let missing: Vec<&String> = read.difference(&fields).collect();
    assert!(missing.is_empty(), "templates read t.{missing:?}");
    assert!(read.len() > 20, "the scan found too little: {read:?}");
}

#[test]
fn fixture_contexts() {
    insta::glob!("fixtures/projects/*/bqflat.yaml", |path| {
        let dir = Utf8PathBuf::from_path_buf(path.parent().unwrap().to_path_buf()).unwrap();
        let inputs = Inputs {
            dir,
            config: None,
            out: None,
            overrides: Default::default(),
        };
        let compiled = compile(&inputs).unwrap_or_else(|e| panic!("{path:?}: {e:?}"));
        let contexts = bqflat::view::contexts(&compiled.build);
        insta::assert_snapshot!(serde_json::to_string_pretty(&contexts).unwrap());
    });
}
