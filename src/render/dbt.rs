//! The dbt target: a dbt project for dbt-bigquery with one model per table, its sources and its
//! documentation and tests. Models are Jinja themselves: the templates write dbt's tags literally
//! and every user text inside them goes through `literal` (with `embed`) or `jinja_text`.

use serde_json::json;

use super::bigquery::table_view;
use super::{Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::{Build, Table};

pub const DIR: &str = "dbt";

/// The project files and one model per table.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let context = json!({
        "project": project_view(build),
        "models": build.tables.iter().map(|t| model_view(t, build)).collect::<Vec<_>>(),
    });
    let files = [
        ("dbt_project.yml", "dbt_project.yml"),
        ("profiles.yml", "profiles.yml"),
        (
            "macros/generate_schema_name.sql",
            "generate_schema_name.sql",
        ),
        ("models/sources.yml", "sources.yml"),
        ("models/schema.yml", "schema.yml"),
    ];
    let mut results = r.project_files(DIR, &files, &context);
    results.extend(r.per_table(build, false, |table| TableFile {
        path: format!("{DIR}/models/{}.sql", model_name(table, build)),
        template: format!("{DIR}/model.sql"),
        context: Box::new(|| json!({ "t": model_view(table, build), "embed": true })),
    }));
    results
}

/// The model's name: the table's, qualified by dataset (and project) outside the default target
/// dataset, since model names are unique in a dbt project.
pub fn model_name(table: &Table, build: &Build) -> String {
    let target = &build.setup.metadata;
    let name = if (&table.project, &table.dataset) == (&target.project, &target.dataset) {
        table.name.clone()
    } else if table.project == target.project {
        format!("{}__{}", table.dataset, table.name)
    } else {
        format!("{}__{}__{}", table.project, table.dataset, table.name)
    };
    name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_")
}

fn project_view(build: &Build) -> serde_json::Value {
    let m = &build.setup.metadata;
    let source = build.tables.first().map(|t| &t.source);
    json!({
        "gcp_project": m.project,
        "dataset": m.dataset,
        "location": build.setup.location,
        "source": source,
    })
}

/// The table as the model and schema templates see it.
fn model_view(table: &Table, build: &Build) -> serde_json::Value {
    let mut view = table_view(table, build);
    view["model"] = json!(model_name(table, build));
    view["lookback_days"] = json!(super::lookback_days(table));
    view["column_docs"] = super::column_docs(table);
    view["merge_key"] = super::merge_key(table);
    view
}
