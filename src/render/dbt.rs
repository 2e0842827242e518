//! The dbt target: a dbt project for dbt-bigquery with one model per table, a base model per
//! source that reads the export once for them, their sources and their documentation and tests.
//! Models are Jinja themselves: the templates write dbt's tags literally and every user text
//! inside them goes through `literal` (with `embed`) or `jinja_text`.

use super::{bigquery, Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::Build;
use crate::view::scan::{self, BaseRead, ScanView};
use crate::view::sources::ViewContext;
use crate::view::{
    self, file_stem, BaseContext, DbtSourceView, Embed, ProjectContext, SourceView, TableContext,
};

pub const DIR: &str = "dbt";
/// Where the base models go, under `models/`.
pub const BASE_DIR: &str = "bqflat";

/// The dbt source of each scan (`ga4`, then `ga4_2`, … for other exports), and every source.
fn sources(build: &Build, bases: &[ScanView]) -> (Vec<String>, Vec<DbtSourceView>) {
    let mut all: Vec<DbtSourceView> = Vec::new();
    let mut add = |source: SourceView| -> String {
        let same = |v: &DbtSourceView| {
            (&v.source.project, &v.source.dataset, &v.source.table)
                == (&source.project, &source.dataset, &source.table)
        };
        if let Some(v) = all.iter().find(|v| same(v)) {
            return v.name.clone();
        }
        let name = match all.len() {
            0 => "ga4".to_string(),
            n => format!("ga4_{}", n + 1),
        };
        all.push(DbtSourceView {
            name: name.clone(),
            source,
        });
        name
    };
    // The first table's export is `ga4`, as the models with templates of their own read it.
    if let Some(t) = build.tables.first() {
        add(SourceView::new(&t.source));
    }
    let names = bases.iter().map(|s| add(s.source.clone())).collect();
    (names, all)
}

/// The project files, a base model per source and one model per table.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let overridden = bigquery::overridden(r.templates);
    let bases = scan::scan_views(build, &overridden);
    let (source_names, all_sources) = sources(build, &bases);
    let mut project = ProjectContext::new(build, true, None);
    project.bases = bases.clone();
    project.sources = all_sources;
    let context = view::to_value(&project);
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
    for (s, source_name) in bases.iter().zip(source_names) {
        let path = format!("{DIR}/models/{BASE_DIR}/{}.sql", s.base);
        let context = view::to_value(&BaseContext {
            s: s.clone(),
            project: project.project.clone(),
            source_name,
            embed: Embed::Dbt,
            globals: Default::default(),
        });
        results.push(
            r.render(&format!("{DIR}/base.sql"), &context, &path)
                .map(|contents| Artifact::other(path, contents)),
        );
    }
    results.extend(views(r, build, Embed::Dbt));
    results.extend(per_table_with_base(r, build, &bases, Embed::Dbt, |table| {
        (
            format!("{DIR}/models/{}.sql", file_stem(table, build)),
            format!("{DIR}/model.sql"),
        )
    }));
    results
}

/// The views over each event's tables of every source: dbt models, or Dataform actions.
pub(crate) fn views(
    r: &Renderer<'_>,
    build: &Build,
    embed: Embed,
) -> Vec<Result<Artifact, Diagnostic>> {
    let (dir, file) = match embed {
        Embed::Dbt => ("dbt/models", "dbt/view.sql"),
        Embed::Dataform => ("dataform/definitions", "dataform/view.sqlx"),
    };
    let ext = if embed == Embed::Dbt { "sql" } else { "sqlx" };
    build
        .views
        .iter()
        .map(|v| {
            let path = format!(
                "{dir}/{}.{ext}",
                view::stem(&v.project, &v.dataset, &v.name, build)
            );
            let context = view::to_value(&ViewContext::new(v, build, None, Some(embed)));
            r.render(file, &context, &path).map(|contents| Artifact {
                view: Some(v.full_name()),
                ..Artifact::other(path, contents)
            })
        })
        .collect()
}

/// One file per table (`file` gives its path and template), each rendered with the base model
/// it reads, if any: dbt's models and Dataform's actions alike.
pub(crate) fn per_table_with_base<'b>(
    r: &Renderer<'_>,
    build: &'b Build,
    bases: &[ScanView],
    embed: Embed,
    file: impl Fn(&'b crate::model::Table) -> (String, String) + Sync,
) -> Vec<Result<Artifact, Diagnostic>> {
    let reads = BaseRead::per_table(bases, build);
    r.per_table(build, false, |table| {
        let base = build
            .tables
            .iter()
            .position(|t| std::ptr::eq(t, table))
            .and_then(|i| reads[i].clone());
        let (path, template) = file(table);
        TableFile {
            path,
            template,
            inputs: base_inputs(&base),
            context: Box::new(move || {
                view::to_value(&TableContext::new(table, build, None, Some(embed)).with_base(base))
            }),
        }
    })
}

/// What a model's file depends on besides its table: the base it reads and the base's names for
/// its columns, which other tables' specs can change.
pub(crate) fn base_inputs(base: &Option<BaseRead>) -> String {
    serde_json::to_string(base).unwrap_or_default()
}
