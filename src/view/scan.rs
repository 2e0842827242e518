//! The shared scans as templates see them: `bigquery/_run.sql` (`run`) and the dbt and Dataform
//! base models read each source once and build every table from that copy.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::days::{ShardView, SourceView, WindowView};
use super::table::{StructFieldView, TableView};
use super::SetupView;
use crate::ga4::{self, Shape};
use crate::model::Build;
use crate::reads::{self, Scan};
use crate::spec::ParamType;

/// One read of a source for every table that reads it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScanView {
    /// The temporary table (or base model) the scan writes: print with `ident`.
    pub name: String,
    /// The source, with every shard kind one of its tables reads (in the order daily, intraday,
    /// fresh): the scan's `_TABLE_SUFFIX` bounds cover them all.
    pub source: SourceView,
    /// The union of the tables' windows: from the earliest start (null: the first shard) to the
    /// latest end (null: today).
    pub window: WindowView,
    /// The events the tables build, sorted: print each with `literal`.
    pub events: Vec<String>,
    /// The export fields the scan copies, in the export's shape cut down to the fields its
    /// tables read (copy with `struct_fields("e", fields, 1)`).
    pub fields: Vec<StructFieldView>,
    /// The scan computes `event_key` once, as `bqflat_event_key`.
    pub event_key: bool,
    /// The params the scan computes once, each into its own column.
    pub params: Vec<ScanParamView>,
    /// The column holding the `_TABLE_SUFFIX` a row was read from.
    pub suffix_column: String,
    /// The tables built from the scan, in build order.
    pub tables: Vec<ScanTableView>,
}

/// A param a scan computes, typed as its tables read it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScanParamView {
    /// `event_params` or `user_properties`.
    pub array: String,
    /// Free text: print with `literal`.
    pub key: String,
    pub param_type: ParamType,
    /// The scan's column: print with `ident`.
    pub column: String,
}

/// A table built from a scan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScanTableView {
    /// Position in the run, from 1.
    pub position: usize,
    pub t: TableView,
    /// For each of the table's columns the scan computed (event_key, params), the scan column
    /// holding it: pass as `scan` to `flat_rows`.
    pub computed: BTreeMap<String, String>,
}

/// `bigquery/_run.sql`: every table of the build, each source read once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunView {
    /// What the run creates first.
    pub setup: SetupView,
    /// One per source, in the order the build first reads it.
    pub scans: Vec<ScanView>,
    /// How many tables the run builds.
    pub tables: usize,
    /// Tables with templates of the project's own, which the run leaves to their own scripts:
    /// `project.dataset.table`, in build order.
    pub separate: Vec<String>,
}

impl RunView {
    /// `overridden`: whether the project has its own copy of a built-in table template.
    pub fn new(build: &Build, setup: SetupView, overridden: &dyn Fn(&str) -> bool) -> RunView {
        let scans = reads::scans(build, overridden);
        let mut position = 0;
        let scans: Vec<ScanView> = scans
            .iter()
            .enumerate()
            .map(|(i, scan)| ScanView::new(build, scan, i + 1, &mut position))
            .collect();
        RunView {
            setup,
            scans,
            tables: position,
            separate: build
                .tables
                .iter()
                .filter(|t| !reads::shares_scans(t, overridden))
                .map(|t| t.full_name())
                .collect(),
        }
    }
}

impl ScanView {
    fn new(build: &Build, scan: &Scan, number: usize, position: &mut usize) -> ScanView {
        let first = &build.tables[scan.tables[0]];
        let mut source = SourceView::new(&first.source);
        let mut kinds: Vec<_> = scan
            .tables
            .iter()
            .flat_map(|&i| build.tables[i].source.shards.iter().copied())
            .collect();
        kinds.sort();
        kinds.dedup();
        source.shards = kinds
            .into_iter()
            .map(|kind| ShardView {
                kind,
                suffix_prefix: kind.suffix_prefix().to_string(),
            })
            .collect();
        source.intraday = source
            .shards
            .iter()
            .any(|s| s.kind == crate::spec::ShardKind::Intraday);
        let windows: Vec<_> = scan
            .tables
            .iter()
            .map(|&i| &build.tables[i].window)
            .collect();
        let window = WindowView {
            start: windows.iter().map(|w| w.start.clone()).min().flatten(),
            end: if windows.iter().any(|w| w.end.is_none()) {
                None
            } else {
                windows.iter().filter_map(|w| w.end.clone()).max()
            },
        };
        ScanView {
            name: format!("bqflat_scan_{number}"),
            source,
            window,
            events: scan.events.clone(),
            fields: ga4::catalog()
                .pruned(&scan.fields)
                .iter()
                .map(shape_view)
                .collect(),
            event_key: scan.event_key,
            params: scan
                .params
                .iter()
                .map(|p| ScanParamView {
                    array: p.array.clone(),
                    key: p.key.clone(),
                    param_type: p.param_type,
                    column: p.column.clone(),
                })
                .collect(),
            suffix_column: reads::SCAN_SUFFIX.to_string(),
            tables: scan
                .tables
                .iter()
                .map(|&i| {
                    *position += 1;
                    let table = &build.tables[i];
                    ScanTableView {
                        position: *position,
                        t: TableView::new(table, build),
                        computed: scan.computed_columns(table),
                    }
                })
                .collect(),
        }
    }
}

fn shape_view(s: &Shape) -> StructFieldView {
    StructFieldView {
        name: s.name.clone(),
        repeated: s.repeated,
        fields: s.fields.iter().map(shape_view).collect(),
    }
}
