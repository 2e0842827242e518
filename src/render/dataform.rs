//! The Dataform target: a Dataform project (`workflow_settings.yaml`, a declaration of the GA4
//! export, one table per event). The SQL bodies are templates of Dataform's own: every user text
//! in them goes through `literal` (with `embed`), and config values through `json`.

use serde_json::json;

use super::{embedded_view, file_stem, project_view, Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::Build;

pub const DIR: &str = "dataform";
/// The @dataform/core version the project is written for.
pub const CORE_VERSION: &str = "3.0.62";

pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let mut project = project_view(build);
    project["core_version"] = json!(CORE_VERSION);
    let context = json!({ "project": project });
    let files = [
        ("workflow_settings.yaml", "workflow_settings.yaml"),
        ("definitions/sources/ga4_events.sqlx", "declaration.sqlx"),
    ];
    let mut results = r.project_files(DIR, &files, &context);
    results.extend(r.per_table(build, false, |table| TableFile {
        path: format!("{DIR}/definitions/{}.sqlx", file_stem(table, build)),
        template: format!("{DIR}/table.sqlx"),
        context: Box::new(|| json!({ "t": embedded_view(table, build), "embed": true })),
    }));
    results
}
