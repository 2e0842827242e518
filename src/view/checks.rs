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
    /// Its tables, grouped by how they read it, in build order.
    pub groups: Vec<CheckGroupView>,
}

/// Tables that read the same days of the export in the same way (shard kinds, window,
/// lookback, partition day, consent): the export's events are counted once for all of them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckGroupView {
    /// The events of the group's tables, sorted: print each with `literal`.
    pub events: Vec<String>,
    /// The tables, in build order; the first one's days are the group's.
    pub tables: Vec<CheckTableView>,
    /// What the tables have in common, as text: tables with equal keys share a group.
    #[serde(skip)]
    key: String,
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
            let source = match sources
                .iter_mut()
                .position(|s| s.source.full_name == check.t.source.full_name)
            {
                Some(i) => &mut sources[i],
                None => {
                    sources.push(CheckSourceView {
                        source: check.t.source.clone(),
                        groups: Vec::new(),
                    });
                    sources.last_mut().expect("just pushed")
                }
            };
            let key = group_key(&check);
            match source.groups.iter_mut().find(|g| g.key == key) {
                Some(g) => {
                    g.events.push(check.t.event.clone());
                    g.events.sort();
                    g.events.dedup();
                    g.tables.push(check);
                }
                None => source.groups.push(CheckGroupView {
                    events: vec![check.t.event.clone()],
                    tables: vec![check],
                    key,
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

/// Whether a table's rows are counted against the export's events: not when items are exploded
/// without `event_key` to count events by.
pub(crate) fn counted(table: &Table) -> bool {
    count_kind(table).is_some()
}

fn count_kind(table: &Table) -> Option<CountKind> {
    let has_event_key = table
        .columns
        .iter()
        .any(|c| matches!(&c.origin, Origin::Computed { name } if name == "event_key"));
    if !table.explode_items {
        Some(CountKind::Rows)
    } else if has_event_key {
        Some(CountKind::Events)
    } else {
        None
    }
}

/// What decides the group a table's checks count the export with (see `group_key`), as a short
/// digest: the cost model counts the export once per group, as the script does.
pub(crate) fn group_digest(table: &Table, build: &Build) -> String {
    let check = CheckTableView::new(table, build);
    let key = format!("{}\n{}", check.t.source.full_name, group_key(&check));
    crate::reuse::fingerprint(&[&key])[..16].to_string()
}

impl CheckTableView {
    fn new(table: &Table, build: &Build) -> CheckTableView {
        let count = count_kind(table);
        let partition = table
            .column(&table.partition.column)
            .expect("the partition column is an output column");
        CheckTableView {
            t: TableView::new(table, build),
            count,
            lower_bound: !table.dedupe_across_days(),
            partition_column: ColumnView::new(partition, table),
        }
    }
}

/// What decides which export rows a table's checks count, and on which day: tables that agree
/// on all of it can share one count of the export's events.
fn group_key(c: &CheckTableView) -> String {
    let t = &c.t;
    serde_json::json!([
        t.source.shards.iter().map(|s| &s.kind).collect::<Vec<_>>(),
        t.window,
        t.lookback_days,
        t.day_margin,
        t.timezone,
        c.partition_column.ty,
        c.partition_column.origin,
        t.drop_denied,
    ])
    .to_string()
}
