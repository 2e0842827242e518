//! The template context: what each template sees, as typed views of the model. Projects override
//! templates, so this is public API: every field is documented here, the JSON schema
//! (`schemas/bqflat.template-context.schema.json`) and the reference page
//! (`schemas/template-context.md`) are generated from these types, and a change shows up in the
//! per-fixture context snapshots. [`CONTEXT_VERSION`] changes when a field is removed or changes
//! meaning; adding a field does not change it.

pub mod checks;
mod column_docs;
pub mod days;
mod files;
mod reference;
pub mod scan;
pub mod sources;
pub mod table;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Build, Column, Source, Table, Window};
pub use days::{SourceView, WindowView};
pub use files::file_stem;
pub(crate) use files::stem;
pub use reference::reference_page;
pub use table::{ColumnView, MetadataView, TableView};

/// Version of the template context. A project's template can require it with
/// `{{ require_context_version(1) }}`.
pub const CONTEXT_VERSION: u32 = 1;

/// File name of the context's JSON schema under `schemas/`.
pub const SCHEMA_FILE: &str = "bqflat.template-context.schema.json";
/// File name of the context's reference page under `schemas/`.
pub const REFERENCE_FILE: &str = "template-context.md";

/// What every template sees besides its own context.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Globals {
    /// bqflat's version (`0.1.0`): print with `comment` or `json`.
    pub bqflat_version: &'static str,
    /// The template context's version: 1.
    pub context_version: u32,
}

impl Default for Globals {
    fn default() -> Globals {
        Globals {
            bqflat_version: crate::BQFLAT_VERSION,
            context_version: CONTEXT_VERSION,
        }
    }
}

/// Which other tool reads a file as a template of its own, so `literal` and `comment` also
/// escape that tool's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Embed {
    /// Jinja: `{` must not open a tag.
    Dbt,
    /// JavaScript template strings: `${`, backticks and backslashes are read.
    Dataform,
}

/// Context of one table's file: `bigquery/full.sql` and `incremental.sql` (and a project's own
/// per-event templates), `dbt/model.sql`, `dataform/table.sqlx`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TableContext {
    /// The table the file builds.
    pub t: TableView,
    /// The script's path as users run it (`build/bigquery/x.sql`), BigQuery target only: print
    /// with `comment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_path: Option<String>,
    /// Set in dbt and Dataform files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<Embed>,
    /// A one-off rebuild under `bigquery/migrations/`: the migration's name (`0003_x`), which its
    /// run is recorded under in `_runs` so that running it again does nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    /// dbt and Dataform: the base model of the table's source the rows are read from (absent
    /// for a table with a template of the project's own, which reads the export itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<scan::BaseRead>,
    #[serde(flatten)]
    pub globals: Globals,
}

/// Context of the dbt base model and the Dataform base action (`dbt/base.sql`,
/// `dataform/base.sqlx`): one read of a source per run, kept for the tables' models.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BaseContext {
    /// The scan the base holds.
    pub s: scan::ScanView,
    /// The project's default target, where the base lives.
    pub project: ProjectView,
    /// dbt: the source (`ga4`, table `events`) the base reads, as `sources.yml` names it.
    pub source_name: String,
    /// The tool that reads the file as a template of its own.
    pub embed: Embed,
    #[serde(flatten)]
    pub globals: Globals,
}

/// Context of `bigquery/setup.sql`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SetupContext {
    /// What the script creates.
    pub setup: SetupView,
    /// The script's path as users run it: print with `comment`.
    pub run_path: String,
    #[serde(flatten)]
    pub globals: Globals,
}

/// Context of `bigquery/run.sql` (written as `_run.sql`): every table, each source read once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunContext {
    pub run: scan::RunView,
    /// The script's path as users run it: print with `comment`.
    pub run_path: String,
    #[serde(flatten)]
    pub globals: Globals,
}

impl RunContext {
    pub fn new(build: &Build, run_path: String, overridden: &dyn Fn(&str) -> bool) -> RunContext {
        let setup = SetupContext::new(build, String::new()).setup;
        RunContext {
            run: scan::RunView::new(build, setup, overridden),
            run_path,
            globals: Globals::default(),
        }
    }
}

/// Context of `bigquery/run.sh`: the order a build's BigQuery scripts run in.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderContext {
    pub order: OrderView,
    /// The script's path as users run it: print with `comment`.
    pub run_path: String,
    #[serde(flatten)]
    pub globals: Globals,
}

/// The scripts of a run, as paths relative to `bigquery/`: print with `shell` (or `comment`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderView {
    /// `_setup.sql`.
    pub setup: String,
    /// `_run.sql`.
    pub run: String,
    /// The scripts of the views `_run.sql` leaves to their own scripts (their tables have
    /// templates of their own), run after the tables'.
    pub views: Vec<String>,
    /// The scripts of the tables `_run.sql` leaves to their own scripts, in build order.
    pub separate: Vec<String>,
}

/// Context of `docs/tables.md`, the data dictionary (`tables.md` in the output folder).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DocsContext {
    /// Every table, sorted by name.
    pub tables: Vec<TableView>,
    /// The exports the tables read, each once, in the order the tables first read them.
    pub sources: Vec<SourceView>,
    /// The views over each event's tables of every source (`sources:`), sorted by name.
    pub views: Vec<sources::SourcesView>,
    #[serde(flatten)]
    pub globals: Globals,
}

impl DocsContext {
    pub fn new(build: &Build) -> DocsContext {
        let tables: Vec<TableView> = build
            .tables
            .iter()
            .map(|t| TableView::new(t, build))
            .collect();
        let mut sources: Vec<SourceView> = Vec::new();
        for t in &tables {
            if !sources.iter().any(|s| s.full_name == t.source.full_name) {
                sources.push(t.source.clone());
            }
        }
        DocsContext {
            tables,
            sources,
            views: build
                .views
                .iter()
                .map(|v| sources::SourcesView::new(v, build))
                .collect(),
            globals: Globals::default(),
        }
    }
}

/// What `_setup.sql` creates.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SetupView {
    /// `project.dataset` of every target dataset, sorted.
    pub datasets: Vec<String>,
    pub metadata: MetadataView,
    /// BigQuery location of new datasets, when the project names one: print with `literal`.
    pub location: Option<String>,
}

/// Context of `bigquery/migration.sql`: bring an existing table to this build in place.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MigrationContext {
    /// The table as this build has it.
    pub t: TableView,
    /// The columns this build adds, in table order.
    pub added: Vec<ColumnView>,
    /// The table's options changed.
    pub options: bool,
    /// Build number of the migration (`0003`).
    pub build: u64,
    /// The migration's name (`0003_x`), which its run is recorded under in `_runs` so that
    /// running it again does nothing.
    pub migration: String,
    /// The script's path as users run it: print with `comment`.
    pub run_path: String,
    #[serde(flatten)]
    pub globals: Globals,
}

/// Context of `bigquery/discover.sql`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiscoveryContext {
    /// The first export to list.
    pub source: SourceView,
    /// Every export to list (the entries of `sources:`, else the one export), `source` first.
    pub sources: Vec<SourceView>,
    /// The days to list; without a start, the last 30 days.
    pub window: WindowView,
    #[serde(flatten)]
    pub globals: Globals,
}

/// Context of the dbt and Dataform project files (`dbt_project.yml`, `profiles.yml`,
/// `sources.yml`, `schema.yml`, `generate_schema_name.sql`, `workflow_settings.yaml`,
/// `declaration.sqlx`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProjectContext {
    /// The project's target and export.
    pub project: ProjectView,
    /// Every table, sorted by name (dbt files only; empty for Dataform).
    pub models: Vec<TableView>,
    /// The base models, one per source (dbt files only; empty for Dataform).
    pub bases: Vec<scan::ScanView>,
    /// Every source the dbt project reads, the first as `ga4` (dbt files only).
    pub sources: Vec<DbtSourceView>,
    #[serde(flatten)]
    pub globals: Globals,
}

/// A source of the dbt project: `sources.yml` names the first `ga4`, the others `ga4_2`, ….
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DbtSourceView {
    /// The dbt source name (its one table is `events`).
    pub name: String,
    pub source: SourceView,
}

/// The project as the dbt and Dataform project files see it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProjectView {
    /// GCP project of the default target dataset.
    pub gcp_project: String,
    /// The default target dataset.
    pub dataset: String,
    /// BigQuery location of new datasets, when the project names one.
    pub location: Option<String>,
    /// The GA4 export the tables read (the first table's).
    pub source: Option<SourceView>,
    /// The `@dataform/core` version the Dataform project is written for (Dataform only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_version: Option<&'static str>,
}

/// Every context, by kind of template: the root of the JSON schema.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TemplateContexts {
    /// A table's file.
    pub table: TableContext,
    /// The view over an event's tables of every source: `bigquery/view.sql`, `dbt/view.sql`,
    /// `dataform/view.sqlx`.
    pub view: sources::ViewContext,
    /// `bigquery/setup.sql`.
    pub setup: SetupContext,
    /// `bigquery/run.sql`.
    pub run: RunContext,
    /// `docs/tables.md`.
    pub docs: DocsContext,
    /// `bigquery/run.sh`.
    pub order: OrderContext,
    /// `bigquery/checks.sql`.
    pub checks: checks::ChecksContext,
    /// `bigquery/migration.sql`.
    pub migration: MigrationContext,
    /// `bigquery/discover.sql`.
    pub discovery: DiscoveryContext,
    /// The dbt and Dataform project files.
    pub project: ProjectContext,
    /// `dbt/base.sql` and `dataform/base.sqlx`: a source's base model.
    pub base: BaseContext,
}

impl TableContext {
    pub fn new(
        table: &Table,
        build: &Build,
        run_path: Option<String>,
        embed: Option<Embed>,
    ) -> Self {
        TableContext {
            t: TableView::new(table, build),
            run_path,
            embed,
            migration: None,
            base: None,
            globals: Globals::default(),
        }
    }

    /// The context of a one-off rebuild recorded as migration `name`.
    pub fn as_migration(mut self, name: String) -> Self {
        self.migration = Some(name);
        self
    }

    /// The context reading its rows from a base model.
    pub fn with_base(mut self, base: Option<scan::BaseRead>) -> Self {
        self.base = base;
        self
    }
}

impl SetupContext {
    pub fn new(build: &Build, run_path: String) -> SetupContext {
        SetupContext {
            setup: SetupView {
                datasets: build.setup.datasets.clone(),
                metadata: MetadataView::new(&build.setup.metadata),
                location: build.setup.location.clone(),
            },
            run_path,
            globals: Globals::default(),
        }
    }
}

impl MigrationContext {
    pub fn new(
        table: &Table,
        build: &Build,
        added: &[&Column],
        options: bool,
        number: u64,
        name: String,
        run_path: String,
    ) -> MigrationContext {
        MigrationContext {
            t: TableView::new(table, build),
            added: added.iter().map(|c| ColumnView::new(c, table)).collect(),
            options,
            build: number,
            migration: name,
            run_path,
            globals: Globals::default(),
        }
    }
}

impl DiscoveryContext {
    /// `sources` holds at least one export.
    pub fn new(sources: &[Source], window: &Window) -> DiscoveryContext {
        DiscoveryContext {
            source: SourceView::new(&sources[0]),
            sources: sources.iter().map(SourceView::new).collect(),
            window: WindowView::new(window),
            globals: Globals::default(),
        }
    }
}

impl ProjectContext {
    pub fn new(build: &Build, with_models: bool, core_version: Option<&'static str>) -> Self {
        let m = &build.setup.metadata;
        ProjectContext {
            project: ProjectView {
                gcp_project: m.project.clone(),
                dataset: m.dataset.clone(),
                location: build.setup.location.clone(),
                source: build.tables.first().map(|t| SourceView::new(&t.source)),
                core_version,
            },
            models: if with_models {
                build
                    .tables
                    .iter()
                    .map(|t| TableView::new(t, build))
                    .collect()
            } else {
                Vec::new()
            },
            bases: Vec::new(),
            sources: Vec::new(),
            globals: Globals::default(),
        }
    }
}

/// What the templates of a build see, in one document: each table's `t`, and the setup and project
/// contexts. Snapshotted per fixture project, so a change to the contract shows in review.
pub fn contexts(build: &Build) -> serde_json::Value {
    let tables: serde_json::Map<String, serde_json::Value> = build
        .tables
        .iter()
        .map(|t| (t.full_name(), json(&TableView::new(t, build))))
        .collect();
    serde_json::json!({
        "tables": tables,
        "setup": json(&SetupContext::new(build, String::new()).setup),
        "project": json(&ProjectContext::new(build, false, None).project),
    })
}

/// A context as the value templates render with.
pub(crate) fn to_value(context: &impl Serialize) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(context))
}

fn json(view: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(view).expect("the template context serializes")
}

/// The JSON schema of every template context, as committed under `schemas/`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(TemplateContexts);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    text.push('\n');
    text
}
