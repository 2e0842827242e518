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
    /// Empty when `reused`.
    pub contents: String,
    /// Index into `Build::tables` of the table this file builds, if any.
    pub table: Option<usize>,
    /// Fingerprint of everything the file is made from (model, templates, bqflat version).
    pub inputs: Option<String>,
    /// The sha256 and size of the file already on disk, when its inputs have not changed since
    /// the build that wrote it: it is neither rendered nor rewritten.
    pub reused: Option<(String, u64)>,
}

impl Artifact {
    pub fn new(path: String, contents: String, table: Option<usize>) -> Artifact {
        Artifact {
            path,
            contents,
            table,
            inputs: None,
            reused: None,
        }
    }
}

/// Decides whether a table script can be kept as it is on disk: given its path and input
/// fingerprint, the sha256 and size of the file to keep.
pub type Reuse<'a> = &'a (dyn Fn(&str, &str) -> Option<(String, u64)> + Sync);

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
/// (`build/`), for the "Run:" line of each header. Tables `reuse` accepts are not rendered.
pub fn render(
    build: &Build,
    env: &Environment<'_>,
    templates: Option<&Utf8Path>,
    run_prefix: &str,
    templates_fingerprint: &str,
    reuse: Option<Reuse<'_>>,
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
        Ok(contents) => artifacts.push(Artifact::new(setup_path, contents, None)),
        Err(err) => diagnostics.push(template_error(&err, templates, "_setup.sql")),
    }

    let rendered = crate::parallel::map(&build.tables, |index, table| {
        let path = table_path(table, build);
        let template = format!("{DIR}/{}", table.template);
        let view = table_view(table, build);
        let run_path = format!("{run_prefix}{path}");
        let inputs = fingerprint(&[
            BQFLAT_VERSION,
            templates_fingerprint,
            &run_path,
            &view.to_string(),
        ]);
        if let Some(kept) = reuse.and_then(|reuse| reuse(&path, &inputs)) {
            let contents = String::new();
            return Ok(Artifact {
                path,
                contents,
                table: Some(index),
                inputs: Some(inputs),
                reused: Some(kept),
            });
        }
        let rendered = env.get_template(&template).and_then(|t| {
            t.render(context! {
                t => Serde(&view),
                bqflat_version => BQFLAT_VERSION,
                run_path => run_path,
            })
        });
        match rendered {
            Ok(contents) => Ok(Artifact {
                path,
                contents,
                table: Some(index),
                inputs: Some(inputs),
                reused: None,
            }),
            Err(err) => Err(template_error(
                &err,
                templates,
                &format!("event `{}` ({template})", table.event),
            )),
        }
    });
    for result in rendered {
        match result {
            Ok(artifact) => artifacts.push(artifact),
            Err(d) => diagnostics.push(d),
        }
    }
    diagnostics.into_result(artifacts)
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

/// A sha256 over the parts, each length-prefixed so no two lists hash alike.
pub fn fingerprint(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
        .map(|contents| Artifact::new(path, contents, None))
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
