//! The dbt target: a dbt project for dbt-bigquery with one model per table, its sources and its
//! documentation and tests. Models are Jinja themselves: the templates write dbt's tags literally
//! and every user text inside them goes through `literal` (with `embed`) or `jinja_text`.

use super::{Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::Build;
use crate::view::{self, file_stem, Embed, ProjectContext, TableContext};

pub const DIR: &str = "dbt";

/// The project files and one model per table.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let context = view::to_value(&ProjectContext::new(build, true, None));
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
        context: Box::new(|| {
            view::to_value(&TableContext::new(table, build, None, Some(Embed::Dbt)))
        }),
    }));
    results
}
