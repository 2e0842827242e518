//! The BigQuery target: one script per table plus `_setup.sql`.

use camino::Utf8Path;
use minijinja::value::Serde;
use minijinja::Environment;

use super::{template_error, Artifact, Renderer, TableFile};
use crate::diagnostics::Diagnostic;
use crate::model::{Build, Table, UnionView};
use crate::view::checks::ChecksContext;
use crate::view::sources::{built_by_run, ViewContext};
use crate::view::{
    self, DiscoveryContext, MigrationContext, OrderContext, OrderView, RunContext, SetupContext,
    TableContext,
};

pub const DIR: &str = "bigquery";
pub const SETUP_FILE: &str = "_setup.sql";
/// Every table in one script, each source read once.
pub const RUN_FILE: &str = "_run.sql";
/// Every table's data checks: one row per failed check.
pub const CHECKS_FILE: &str = "_checks.sql";
/// The order the build's scripts run in, as a shell script.
pub const ORDER_FILE: &str = "run.sh";
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
    script_path(&table.project, &table.dataset, &table.name, build)
}

/// The file a view over an event's sources is written to, named as its table would be.
pub fn view_path(view: &UnionView, build: &Build) -> String {
    script_path(&view.project, &view.dataset, &view.name, build)
}

fn script_path(project: &str, dataset: &str, name: &str, build: &Build) -> String {
    let target = &build.setup.metadata;
    if (project, dataset) == (target.project.as_str(), target.dataset.as_str()) {
        format!("{DIR}/{name}.sql")
    } else if project == target.project {
        format!("{DIR}/{dataset}.{name}.sql")
    } else {
        format!("{DIR}/{project}.{dataset}.{name}.sql")
    }
}

/// Renders every table's script and the setup script.
pub fn render(build: &Build, r: &Renderer<'_>) -> Vec<Result<Artifact, Diagnostic>> {
    let setup_path = format!("{DIR}/{SETUP_FILE}");
    let setup = view::to_value(&SetupContext::new(
        build,
        format!("{}{setup_path}", r.run_prefix),
    ));
    let run_path = format!("{DIR}/{RUN_FILE}");
    let overridden = overridden(r.templates);
    let run = view::to_value(&RunContext::new(
        build,
        format!("{}{run_path}", r.run_prefix),
        &overridden,
    ));
    let checks_path = format!("{DIR}/{CHECKS_FILE}");
    let checks = view::to_value(&ChecksContext::new(
        build,
        format!("{}{checks_path}", r.run_prefix),
        &overridden,
    ));
    let order_path = format!("{DIR}/{ORDER_FILE}");
    let order = view::to_value(&OrderContext {
        order: OrderView {
            setup: SETUP_FILE.into(),
            run: RUN_FILE.into(),
            separate: build
                .tables
                .iter()
                .filter(|t| !crate::reads::shares_scans(t, &overridden))
                .map(|t| table_path(t, build)[DIR.len() + 1..].to_string())
                .collect(),
            views: build
                .views
                .iter()
                .filter(|v| !built_by_run(v, build, &overridden))
                .map(|v| view_path(v, build)[DIR.len() + 1..].to_string())
                .collect(),
        },
        run_path: format!("{}{order_path}", r.run_prefix),
        globals: view::Globals::default(),
    });
    let mut results = vec![
        r.render(&format!("{DIR}/setup.sql"), &setup, SETUP_FILE)
            .map(|contents| Artifact::new(setup_path, contents)),
        r.render(&format!("{DIR}/run.sql"), &run, RUN_FILE)
            .map(|contents| Artifact::new(run_path, contents)),
        r.render(&format!("{DIR}/run.sh"), &order, ORDER_FILE)
            .map(|contents| Artifact::other(order_path, contents)),
        r.render(&format!("{DIR}/checks.sql"), &checks, CHECKS_FILE)
            .map(|contents| Artifact::new(checks_path, contents)),
    ];
    for v in &build.views {
        let path = view_path(v, build);
        let context = view::to_value(&ViewContext::new(
            v,
            build,
            Some(format!("{}{path}", r.run_prefix)),
            None,
        ));
        let what = format!("the view of event `{}`", v.event);
        results.push(
            r.render(&format!("{DIR}/view.sql"), &context, &what)
                .map(|contents| Artifact {
                    view: Some(v.full_name()),
                    ..Artifact::new(path, contents)
                }),
        );
    }
    results.extend(r.per_table(build, true, |table| {
        let path = table_path(table, build);
        let run_path = format!("{}{path}", r.run_prefix);
        TableFile {
            template: format!("{DIR}/{}", table.template),
            inputs: String::new(),
            context: Box::new(move || {
                view::to_value(&TableContext::new(table, build, Some(run_path), None))
            }),
            path,
        }
    }));
    results
}

/// Whether the project's `templates/` folder has its own copy of a built-in table template
/// (`full.sql`, `incremental.sql`): `_run.sql` then leaves those tables to their own scripts.
pub fn overridden(templates: Option<&Utf8Path>) -> impl Fn(&str) -> bool + '_ {
    move |name| templates.is_some_and(|dir| dir.join(DIR).join(name).is_file())
}

/// The query that lists every event and param key of the export between the window's dates.
pub fn render_discovery(
    sources: &[crate::model::Source],
    window: &crate::model::Window,
    env: &Environment<'_>,
    templates: Option<&Utf8Path>,
) -> Result<String, crate::diagnostics::Diagnostic> {
    let context = DiscoveryContext::new(sources, window);
    env.get_template(&format!("{DIR}/discover.sql"))
        .and_then(|t| t.render(Serde(&context)))
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
    let name = format!("{number:04}_{}", table.name);
    let path = format!("{MIGRATIONS_DIR}{name}.sql");
    let run_path = format!("{}{path}", r.run_prefix);
    let (template, context) = match kind {
        Migration::Alter { added, options } => {
            let added: Vec<&crate::model::Column> = table
                .columns
                .iter()
                .filter(|c| added.contains(&c.name.as_str()))
                .collect();
            let context = view::to_value(&MigrationContext::new(
                table, build, &added, *options, number, name, run_path,
            ));
            ("migration.sql", context)
        }
        Migration::Rebuild => {
            let mut full = table.clone();
            full.mode = crate::spec::Mode::Full;
            full.daily_batches = false;
            let context = view::to_value(
                &TableContext::new(&full, build, Some(run_path), None).as_migration(name),
            );
            ("full.sql", context)
        }
    };
    let what = format!("the migration of event `{}`", table.event);
    r.render(&format!("{DIR}/{template}"), &context, &what)
        .map(|contents| Artifact::new(path, contents))
}
