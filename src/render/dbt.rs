//! The dbt target: a dbt project for dbt-bigquery with one model per table, its sources and its
//! documentation and tests. Models are Jinja themselves: the templates write dbt's tags literally
//! and every user text inside them goes through `literal` (with `embed`) or `jinja_text`.

use serde_json::json;

use super::{embedded_view, file_stem, project_view, Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::Build;

pub const DIR: &str = "dbt";

/// The project files and one model per table.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let context = json!({
        "project": project_view(build),
        "models": build.tables.iter().map(|t| embedded_view(t, build)).collect::<Vec<_>>(),
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
        path: format!("{DIR}/models/{}.sql", file_stem(table, build)),
        template: format!("{DIR}/model.sql"),
        context: Box::new(|| json!({ "t": embedded_view(table, build), "embed": true })),
    }));
    results
}
