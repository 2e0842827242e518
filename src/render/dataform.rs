//! The Dataform target: a Dataform project (`workflow_settings.yaml`, a declaration of the GA4
//! export, one table per event). The SQL bodies are templates of Dataform's own: every user text
//! in them goes through `literal` (with `embed`), and config values through `json`.

use super::{Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::Build;
use crate::view::{self, file_stem, Embed, ProjectContext, TableContext};

pub const DIR: &str = "dataform";
/// The @dataform/core version the project is written for.
pub const CORE_VERSION: &str = "3.0.62";

pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let context = view::to_value(&ProjectContext::new(build, false, Some(CORE_VERSION)));
    let files = [
        ("workflow_settings.yaml", "workflow_settings.yaml"),
        ("definitions/sources/ga4_events.sqlx", "declaration.sqlx"),
    ];
    let mut results = r.project_files(DIR, &files, &context);
    results.extend(r.per_table(build, false, |table| TableFile {
        path: format!("{DIR}/definitions/{}.sqlx", file_stem(table, build)),
        template: format!("{DIR}/table.sqlx"),
        context: Box::new(|| {
            view::to_value(&TableContext::new(
                table,
                build,
                None,
                Some(Embed::Dataform),
            ))
        }),
    }));
    results
}
