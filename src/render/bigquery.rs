//! The BigQuery target: one script per table plus `_setup.sql`.

use camino::Utf8Path;
use minijinja::value::Serde;
use minijinja::{context, Environment};
use serde_json::json;

use super::{template_error, Artifact, Renderer, TableFile, BQFLAT_VERSION};
use crate::diagnostics::Diagnostic;
use crate::model::{Build, Table};

pub const DIR: &str = "bigquery";
pub const SETUP_FILE: &str = "_setup.sql";
/// One-off scripts that bring an existing table to a new build.
pub const MIGRATIONS_DIR: &str = "bigquery/migrations/";

/// How an existing incremental table is brought to the new build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Migration<'a> {
    /// New nullable columns and changed options, in place.
    Alter { added: Vec<&'a str>, options: bool },
    /// A breaking change: the table is rebuilt from the window, as a full build would.
    Rebuild,
}

/// The file a table's script is written to: `bigquery/<table>.sql`, qualified by dataset (and
/// project) when the table lives outside the default target.
pub fn table_path(table: &Table, build: &Build) -> String {
    let target = &build.setup.metadata;
    if (&table.project, &table.dataset) == (&target.project, &target.dataset) {
        format!("{DIR}/{}.sql", table.name)
    } else if table.project == target.project {
        format!("{DIR}/{}.{}.sql", table.dataset, table.name)
    } else {
        format!("{DIR}/{}.sql", table.full_name())
    }
}

/// Renders every table's script and the setup script.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let setup_path = format!("{DIR}/{SETUP_FILE}");
    let setup = json!({
        "setup": {
            "datasets": build.setup.datasets,
            "metadata": metadata_view(build),
            "location": build.setup.location,
        },
        "run_path": format!("{}{setup_path}", r.run_prefix),
    });
    let mut results = vec![r
        .render(&format!("{DIR}/setup.sql"), &setup, "_setup.sql")
        .map(|contents| Artifact::new(setup_path, contents))];
    results.extend(r.per_table(build, true, |table| {
        let path = table_path(table, build);
        let run_path = format!("{}{path}", r.run_prefix);
        TableFile {
            template: format!("{DIR}/{}", table.template),
            context: Box::new(
                move || json!({ "t": table_view(table, build), "run_path": run_path }),
            ),
            path,
        }
    }));
    results
}

/// The query that lists every event and param key of the export between the window's dates.
pub fn render_discovery(
    source: &crate::model::Source,
    window: &crate::model::Window,
    env: &Environment<'_>,
    templates: Option<&Utf8Path>,
) -> Result<String, crate::diagnostics::Diagnostic> {
    let mut source_view = serde_json::to_value(source).expect("the model serializes");
    source_view["full_name"] = json!(format!(
        "{}.{}.{}",
        source.project, source.dataset, source.table
    ));
    env.get_template(&format!("{DIR}/discover.sql"))
        .and_then(|t| {
            t.render(context! {
                source => Serde(&source_view),
                window => Serde(window),
                bqflat_version => BQFLAT_VERSION,
            })
        })
        .map_err(|err| template_error(&err, templates, "the discovery query"))
}

/// The migration of table `index` of `build` to build number `number`.
pub fn render_migration(
    build: &Build,
    index: usize,
    kind: &Migration<'_>,
    number: u64,
    r: &Renderer<'_>,
) -> Result<Artifact, Diagnostic> {
    let table = &build.tables[index];
    let path = format!("{MIGRATIONS_DIR}{number:04}_{}.sql", table.name);
    let run_path = format!("{}{path}", r.run_prefix);
    let (template, context) = match kind {
        Migration::Alter { added, options } => {
            let added: Vec<&crate::model::Column> = table
                .columns
                .iter()
                .filter(|c| added.contains(&c.name.as_str()))
                .collect();
            let context = json!({
                "t": table_view(table, build),
                "added": added,
                "options": options,
                "build": number,
                "run_path": run_path,
            });
            ("migration.sql", context)
        }
        Migration::Rebuild => {
            let mut full = table.clone();
            full.mode = crate::spec::Mode::Full;
            full.daily_batches = false;
            let context = json!({ "t": table_view(&full, build), "run_path": run_path });
            ("full.sql", context)
        }
    };
    let what = format!("the migration of event `{}`", table.event);
    r.render(&format!("{DIR}/{template}"), &context, &what)
        .map(|contents| Artifact::new(path, contents))
}

pub(super) fn metadata_view(build: &Build) -> serde_json::Value {
    let m = &build.setup.metadata;
    json!({
        "watermarks_full": format!("{}.{}.{}", m.project, m.dataset, m.watermarks),
        "runs_full": format!("{}.{}.{}", m.project, m.dataset, m.runs),
    })
}

/// The table as templates see it: the model plus the qualified names they need.
pub(super) fn table_view(table: &Table, build: &Build) -> serde_json::Value {
    let mut view = serde_json::to_value(table).expect("the model serializes");
    view["full_name"] = json!(table.full_name());
    view["dataset_full_name"] = json!(format!("{}.{}", table.project, table.dataset));
    let s = &table.source;
    view["source"]["full_name"] = json!(format!("{}.{}.{}", s.project, s.dataset, s.table));
    view["metadata"] = metadata_view(build);
    view["location"] = json!(build.setup.location);
    view
}
