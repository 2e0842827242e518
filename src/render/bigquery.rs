//! The BigQuery target: one script per table plus `_setup.sql`.

use camino::Utf8Path;
use minijinja::value::Serde;
use minijinja::{context, Environment};
use serde_json::json;

use super::{template_error, BQFLAT_VERSION};
use crate::diagnostics::Diagnostics;
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

/// One generated file, with its path relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub contents: String,
    /// Index into `Build::tables` of the table this file builds, if any.
    pub table: Option<usize>,
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

/// Renders every table and the setup script. `run_prefix` is the output folder as users see it
/// (`build/`), for the "Run:" line of each header.
pub fn render(
    build: &Build,
    env: &Environment<'_>,
    templates: Option<&Utf8Path>,
    run_prefix: &str,
) -> Result<Vec<Artifact>, Diagnostics> {
    let mut artifacts = Vec::with_capacity(build.tables.len() + 1);
    let mut diagnostics = Diagnostics::default();

    let setup_path = format!("{DIR}/{SETUP_FILE}");
    let setup = json!({
        "datasets": build.setup.datasets,
        "metadata": metadata_view(build),
    });
    let rendered = env.get_template(&format!("{DIR}/setup.sql")).and_then(|t| {
        t.render(context! {
            setup => Serde(&setup),
            bqflat_version => BQFLAT_VERSION,
            run_path => format!("{run_prefix}{setup_path}"),
        })
    });
    match rendered {
        Ok(contents) => artifacts.push(Artifact {
            path: setup_path,
            contents,
            table: None,
        }),
        Err(err) => diagnostics.push(template_error(&err, templates, "_setup.sql")),
    }

    let rendered = crate::parallel::map(&build.tables, |index, table| {
        let path = table_path(table, build);
        let template = format!("{DIR}/{}", table.template);
        let view = table_view(table, build);
        let rendered = env.get_template(&template).and_then(|t| {
            t.render(context! {
                t => Serde(&view),
                bqflat_version => BQFLAT_VERSION,
                run_path => format!("{run_prefix}{path}"),
            })
        });
        rendered
            .map(|contents| Artifact {
                path,
                contents,
                table: Some(index),
            })
            .map_err(|err| {
                let what = format!("event `{}` ({template})", table.event);
                template_error(&err, templates, &what)
            })
    });
    for result in rendered {
        match result {
            Ok(artifact) => artifacts.push(artifact),
            Err(d) => diagnostics.push(d),
        }
    }
    diagnostics.into_result(artifacts)
}

/// The migration of table `index` of `build` to build number `number`.
pub fn render_migration(
    build: &Build,
    index: usize,
    kind: &Migration<'_>,
    number: u64,
    env: &Environment<'_>,
    templates: Option<&Utf8Path>,
    run_prefix: &str,
) -> Result<Artifact, crate::diagnostics::Diagnostic> {
    let table = &build.tables[index];
    let path = format!("{MIGRATIONS_DIR}{number:04}_{}.sql", table.name);
    let run_path = format!("{run_prefix}{path}");
    let rendered = match kind {
        Migration::Alter { added, options } => {
            let view = table_view(table, build);
            let added: Vec<&crate::model::Column> = table
                .columns
                .iter()
                .filter(|c| added.contains(&c.name.as_str()))
                .collect();
            env.get_template(&format!("{DIR}/migration.sql"))
                .and_then(|t| {
                    t.render(context! {
                        t => Serde(&view),
                        added => Serde(&added),
                        options => *options,
                        build => number,
                        bqflat_version => BQFLAT_VERSION,
                        run_path => run_path,
                    })
                })
        }
        Migration::Rebuild => {
            let mut full = table.clone();
            full.mode = crate::spec::Mode::Full;
            full.daily_batches = false;
            let view = table_view(&full, build);
            env.get_template(&format!("{DIR}/full.sql")).and_then(|t| {
                t.render(context! {
                    t => Serde(&view),
                    bqflat_version => BQFLAT_VERSION,
                    run_path => run_path,
                })
            })
        }
    };
    let what = format!("the migration of event `{}`", table.event);
    rendered
        .map(|contents| Artifact {
            path,
            contents,
            table: None,
        })
        .map_err(|err| template_error(&err, templates, &what))
}

fn metadata_view(build: &Build) -> serde_json::Value {
    let m = &build.setup.metadata;
    json!({
        "watermarks_full": format!("{}.{}.{}", m.project, m.dataset, m.watermarks),
        "runs_full": format!("{}.{}.{}", m.project, m.dataset, m.runs),
    })
}

/// The table as templates see it: the model plus the qualified names they need.
fn table_view(table: &Table, build: &Build) -> serde_json::Value {
    let mut view = serde_json::to_value(table).expect("the model serializes");
    view["full_name"] = json!(table.full_name());
    view["dataset_full_name"] = json!(format!("{}.{}", table.project, table.dataset));
    let s = &table.source;
    view["source"]["full_name"] = json!(format!("{}.{}.{}", s.project, s.dataset, s.table));
    view["metadata"] = metadata_view(build);
    view
}
