//! The view that reads an event's tables of every source (`sources:`) as one, as
//! `bigquery/view.sql`, `dbt/view.sql` and `dataform/view.sqlx` see it (`v`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{stem, Embed, Globals};
use crate::model::{Build, UnionView};

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourcesView {
    /// GA4 event name.
    pub event: String,
    /// The spec file, relative to the project directory: print with `comment`.
    pub spec_file: Option<String>,
    /// The spec's `version`.
    pub version: u32,
    /// `project.dataset.name` of the view: print with `ident`.
    pub full_name: String,
    /// GCP project of the view (and its tables).
    pub project: String,
    /// Dataset of the view (and its tables).
    pub dataset: String,
    /// View name: the name the event's table has without `sources:`.
    pub name: String,
    /// The spec's description, free text: print with `literal`.
    pub description: Option<String>,
    /// The tables' labels, sorted by key.
    pub labels: BTreeMap<String, String>,
    /// The columns every source's table has, in the spec's order: print with `ident`.
    pub columns: Vec<String>,
    /// Each source's table, in the order of `sources:`.
    pub tables: Vec<SourceTableView>,
    /// File name (and dbt model name) of the view in the dbt and Dataform projects.
    pub model: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourceTableView {
    /// `project.dataset.table`: print with `ident`.
    pub full_name: String,
    /// File name (and dbt model name) of the table in the dbt and Dataform projects.
    pub model: String,
}

/// Context of a view's file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ViewContext {
    pub v: SourcesView,
    /// The script's path as users run it (BigQuery only): print with `comment`.
    pub run_path: Option<String>,
    /// The tool whose file the SQL is embedded in, when not a BigQuery script.
    pub embed: Option<Embed>,
    #[serde(flatten)]
    pub globals: Globals,
}

impl SourcesView {
    pub fn new(view: &UnionView, build: &Build) -> SourcesView {
        let tables = view
            .tables
            .iter()
            .filter_map(|full| build.tables.iter().find(|t| t.full_name() == *full))
            .map(|t| SourceTableView {
                full_name: t.full_name(),
                model: stem(&t.project, &t.dataset, &t.name, build),
            })
            .collect();
        SourcesView {
            event: view.event.clone(),
            spec_file: view.spec_file.clone(),
            version: view.version,
            full_name: view.full_name(),
            project: view.project.clone(),
            dataset: view.dataset.clone(),
            name: view.name.clone(),
            description: view.description.clone(),
            labels: view.labels.clone(),
            columns: view.columns.clone(),
            tables,
            model: stem(&view.project, &view.dataset, &view.name, build),
        }
    }
}

impl ViewContext {
    pub fn new(
        view: &UnionView,
        build: &Build,
        run_path: Option<String>,
        embed: Option<Embed>,
    ) -> ViewContext {
        ViewContext {
            v: SourcesView::new(view, build),
            run_path,
            embed,
            globals: Globals::default(),
        }
    }
}

/// Whether `_run.sql` builds every table of the view (none has a template of its own), and so
/// ends by creating it; run.sh runs the other views' scripts after the tables' own.
pub fn built_by_run(view: &UnionView, build: &Build, overridden: &dyn Fn(&str) -> bool) -> bool {
    build
        .tables
        .iter()
        .filter(|t| view.tables.contains(&t.full_name()))
        .all(|t| crate::reads::shares_scans(t, overridden))
}
