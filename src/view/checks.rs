//! The context of `bigquery/_checks.sql`: what each table's data checks compare, decided here so
//! the template only prints them.

use schemars::JsonSchema;
use serde::Serialize;

use super::{ColumnView, Globals, SourceView, TableView};
use crate::model::{Build, Origin, Table};

/// Context of `bigquery/checks.sql` (written as `_checks.sql`): every table's data checks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChecksContext {
    /// One per source, in the order the build first reads it.
    pub sources: Vec<CheckSourceView>,
    /// Tables with templates of the project's own, whose columns the template decides: not
    /// checked. `project.dataset.table`, in build order.
    pub separate: Vec<String>,
    /// The script's path as users run it: print with `comment`.
    pub run_path: String,
    #[serde(flatten)]
    pub globals: Globals,
}

/// The tables that read one source: its table names are listed once for all of them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckSourceView {
    /// The export the tables read.
    pub source: SourceView,
    /// Its tables, in build order.
    pub tables: Vec<CheckTableView>,
}

/// One table's checks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckTableView {
    /// The table, as its own script sees it.
    pub t: TableView,
    /// What a day's rows are counted as against the export's events of that day: `rows` (one
    /// row per event), `events` (distinct `event_key`, for one row per item); null when the
    /// table cannot be counted in events (items exploded without `event_key`).
    pub count: Option<CountKind>,
    /// Whether a day read from a daily shard must hold at least one row per distinct event of
    /// the export: true when the table dedupes on `event_key`, which keeps every distinct event.
    pub lower_bound: bool,
    /// The partition column, whose expression over the export row gives an event's partition
    /// day.
    pub partition_column: ColumnView,
}

/// How a table's rows are counted against the export's events.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    /// One row per event: `COUNT(*)`.
    Rows,
    /// One row per item: distinct `event_key`.
    Events,
}

impl ChecksContext {
    pub fn new(
        build: &Build,
        run_path: String,
        overridden: &dyn Fn(&str) -> bool,
    ) -> ChecksContext {
        let mut sources: Vec<CheckSourceView> = Vec::new();
        let mut separate = Vec::new();
        for table in &build.tables {
            if !crate::reads::shares_scans(table, overridden) {
                separate.push(table.full_name());
                continue;
            }
            let check = CheckTableView::new(table, build);
            match sources
                .iter_mut()
                .find(|s| s.source.full_name == check.t.source.full_name)
            {
                Some(s) => s.tables.push(check),
                None => sources.push(CheckSourceView {
                    source: check.t.source.clone(),
                    tables: vec![check],
                }),
            }
        }
        ChecksContext {
            sources,
            separate,
            run_path,
            globals: Globals::default(),
        }
    }
}

impl CheckTableView {
    fn new(table: &Table, build: &Build) -> CheckTableView {
        let has_event_key = table
            .columns
            .iter()
            .any(|c| matches!(&c.origin, Origin::Computed { name } if name == "event_key"));
        let count = if !table.explode_items {
            Some(CountKind::Rows)
        } else if has_event_key {
            Some(CountKind::Events)
        } else {
            None
        };
        let partition = table
            .column(&table.partition.column)
            .expect("the partition column is an output column");
        CheckTableView {
            t: TableView::new(table, build),
            count,
            lower_bound: !table.dedupe_across_days(),
            partition_column: ColumnView::new(partition),
        }
    }
}
