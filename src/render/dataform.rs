//! The Dataform target: a Dataform project (`workflow_settings.yaml`, a declaration of the GA4
//! export, a base action per source that reads the export once, one table per event). The SQL
//! bodies are templates of Dataform's own: every user text in them goes through `literal` (with
//! `embed`), and config values through `json`.

use super::{bigquery, Artifact, Renderer};
use crate::diagnostics::Diagnostic;
use crate::model::Build;
use crate::view::scan;
use crate::view::{self, file_stem, BaseContext, Embed, ProjectContext};

pub const DIR: &str = "dataform";
/// The @dataform/core version the project is written for.
pub const CORE_VERSION: &str = "3.0.62";

pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let project = ProjectContext::new(build, false, Some(CORE_VERSION));
    let context = view::to_value(&project);
    let files = [
        ("workflow_settings.yaml", "workflow_settings.yaml"),
        ("definitions/sources/ga4_events.sqlx", "declaration.sqlx"),
    ];
    let mut results = r.project_files(DIR, &files, &context);
    let overridden = bigquery::overridden(r.templates);
    let bases = scan::scan_views(build, &overridden);
    // Every other export a base reads is declared too.
    let mut declared = project.project.source.iter().cloned().collect::<Vec<_>>();
    for s in &bases {
        if !declared.iter().any(|d| d.full_name == s.source.full_name) {
            declared.push(s.source.clone());
            let mut other = project.clone();
            other.project.source = Some(s.source.clone());
            let path = format!(
                "{DIR}/definitions/sources/ga4_events_{}.sqlx",
                declared.len()
            );
            results.push(
                r.render(
                    &format!("{DIR}/declaration.sqlx"),
                    &view::to_value(&other),
                    &path,
                )
                .map(|contents| Artifact::other(path, contents)),
            );
        }
    }
    for s in &bases {
        let path = format!("{DIR}/definitions/bqflat/{}.sqlx", s.base);
        let context = view::to_value(&BaseContext {
            s: s.clone(),
            project: project.project.clone(),
            source_name: String::new(),
            embed: Embed::Dataform,
            globals: Default::default(),
        });
        results.push(
            r.render(&format!("{DIR}/base.sqlx"), &context, &path)
                .map(|contents| Artifact::other(path, contents)),
        );
    }
    results.extend(super::dbt::views(r, build, Embed::Dataform));
    results.extend(super::dbt::per_table_with_base(
        r,
        build,
        &bases,
        Embed::Dataform,
        |table| {
            (
                format!("{DIR}/definitions/{}.sqlx", file_stem(table, build)),
                format!("{DIR}/table.sqlx"),
            )
        },
    ));
    results
}
