//! The Dataform target: a Dataform project (`workflow_settings.yaml`, a declaration of the GA4
//! export, one table per event). The SQL bodies are templates of Dataform's own: every user text
//! in them goes through `literal` (with `embed`), and config values through `json`.

use serde_json::json;

use super::bigquery::table_view;
use super::{Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::{Build, Table};

pub const DIR: &str = "dataform";
/// The @dataform/core version the project is written for.
pub const CORE_VERSION: &str = "3.0.62";

pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let m = &build.setup.metadata;
    let context = json!({
        "project": {
            "gcp_project": m.project,
            "dataset": m.dataset,
            "location": build.setup.location,
            "source": build.tables.first().map(|t| &t.source),
            "core_version": CORE_VERSION,
        },
    });
    let files = [
        ("workflow_settings.yaml", "workflow_settings.yaml"),
        ("definitions/sources/ga4_events.sqlx", "declaration.sqlx"),
    ];
    let mut results = r.project_files(DIR, &files, &context);
    results.extend(r.per_table(build, false, |table| TableFile {
        path: format!("{DIR}/definitions/{}.sqlx", file_name(table, build)),
        template: format!("{DIR}/table.sqlx"),
        context: Box::new(|| json!({ "t": table_view_for(table, build), "embed": true })),
    }));
    results
}

/// The file name of a table's definition, unique across datasets like the dbt model names.
fn file_name(table: &Table, build: &Build) -> String {
    super::dbt::model_name(table, build)
}

fn table_view_for(table: &Table, build: &Build) -> serde_json::Value {
    let mut view = table_view(table, build);
    view["column_docs"] = super::column_docs(table);
    view["merge_key"] = super::merge_key(table);
    view
}
