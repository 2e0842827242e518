//! The JSON schemas of the YAML files, generated from the Rust types in `spec.rs`, and of the
//! template context, generated from `view/`.

use schemars::schema_for;

use crate::spec::{EventSpec, ProjectFile};

pub(crate) const PROJECT_SCHEMA_FILE: &str = "bqflat.project.schema.json";
pub(crate) const EVENT_SCHEMA_FILE: &str = "bqflat.event.schema.json";

/// (file name, contents) of every schema, as committed under `schemas/`.
pub(crate) fn schemas() -> Vec<(&'static str, String)> {
    let render = |schema: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
        text.push('\n');
        text
    };
    vec![
        (PROJECT_SCHEMA_FILE, render(schema_for!(ProjectFile))),
        (EVENT_SCHEMA_FILE, render(schema_for!(EventSpec))),
        (crate::view::SCHEMA_FILE, crate::view::schema()),
    ]
}
