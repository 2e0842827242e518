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
    /// The dbt model and Dataform action that keeps the scan's rows between runs, in the default
    /// target dataset: `bqflat_base__<source dataset>` (numbered when two sources share a
    /// dataset).
    pub base: String,
    /// The base's DATE partition column: the day of the shard a row was read from (of its date
    /// column, or its `event_date`, for a source that is not sharded).
    pub day_column: String,
    /// An incremental run of the base replaces the newest day it holds, the `lookback_days`
    /// before it and every newer shard: its tables' largest lookback and twice their largest
    /// day margin, so every day a table replaces is read again first.
    pub lookback_days: u32,
    /// The shard kinds each of its tables reads, once per distinct list (as `source`, with those
    /// `shards`): each day of the base holds the shard every list chooses for it.
    pub choices: Vec<SourceView>,
    /// The base's columns, in order, each with a sentence on what it holds (dbt and Dataform
    /// docs).
    pub columns: Vec<BaseColumnDoc>,
}

/// One column of a base model.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BaseColumnDoc {
    /// Column name.
    pub name: String,
    /// Free text: print with `jinja_text` (dbt YAML) or `js_string`.
    pub description: String,
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
    /// The views over each event's tables of every source (`sources:`) the run creates last,
    /// once it has built all their tables.
    pub views: Vec<super::sources::SourcesView>,
}

/// The base's partition column.
pub const BASE_DAY: &str = reads::SCAN_DAY;

/// Every scan of the build, in the order the build first reads each source (`overridden`:
/// whether the project has its own copy of a built-in table template).
pub fn scan_views(build: &Build, overridden: &dyn Fn(&str) -> bool) -> Vec<ScanView> {
    let mut position = 0;
    let mut taken = std::collections::BTreeSet::new();
    reads::scans(build, overridden)
        .iter()
        .enumerate()
        .map(|(i, scan)| {
            let mut view = ScanView::new(build, scan, i + 1, &mut position);
            let stem = format!("bqflat_base__{}", view.source.dataset.to_lowercase());
            let mut name = stem.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{stem}__{n}");
                n += 1;
            }
            view.base = name;
            view
        })
        .collect()
}

impl RunView {
    /// `overridden`: whether the project has its own copy of a built-in table template.
    pub fn new(build: &Build, setup: SetupView, overridden: &dyn Fn(&str) -> bool) -> RunView {
        let scans = scan_views(build, overridden);
        let tables = scans.iter().map(|s| s.tables.len()).sum();
        RunView {
            setup,
            scans,
            tables,
            separate: build
                .tables
                .iter()
                .filter(|t| !reads::shares_scans(t, overridden))
                .map(|t| t.full_name())
                .collect(),
            views: build
                .views
                .iter()
                .filter(|v| super::sources::built_by_run(v, build, overridden))
                .map(|v| super::sources::SourcesView::new(v, build))
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
        let mut choices: Vec<SourceView> = Vec::new();
        for &i in &scan.tables {
            let own = SourceView::new(&build.tables[i].source);
            let kinds = |v: &SourceView| v.shards.iter().map(|s| s.kind).collect::<Vec<_>>();
            if !choices.iter().any(|c| kinds(c) == kinds(&own)) {
                choices.push(own);
            }
        }
        let lookback_days = scan
            .tables
            .iter()
            .map(|&i| {
                let t = &build.tables[i];
                super::days::lookback_days(t) + 2 * super::days::day_margin(t)
            })
            .max()
            .unwrap_or(0);
        ScanView {
            name: format!("bqflat_scan_{number}"),
            source,
            window,
            events: scan.events.clone(),
            fields: fields(scan, first.source.date_column.as_deref()),
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
            base: String::new(),
            day_column: BASE_DAY.to_string(),
            lookback_days,
            choices,
            columns: Vec::new(),
        }
        .with_columns()
    }

    /// Lists the columns the scan's SELECT writes (a base adds its day after the suffix).
    fn with_columns(mut self) -> ScanView {
        let doc = |name: &str, description: String| BaseColumnDoc {
            name: name.to_string(),
            description,
        };
        let mut columns: Vec<BaseColumnDoc> = self
            .fields
            .iter()
            .map(|f| {
                let what = if f.fields.is_empty() {
                    "as it is"
                } else {
                    "with the fields the tables read"
                };
                doc(&f.name, format!("The export's {}, {what}", f.name))
            })
            .collect();
        if self.source.sharded {
            columns.push(doc(
                &self.suffix_column,
                "The _TABLE_SUFFIX of the shard the row was read from".into(),
            ));
        }
        columns.push(doc(
            &self.day_column,
            if self.source.sharded {
                "The day of the shard the row was read from: the partition a run replaces".into()
            } else {
                "The day the source dates the row: the partition a run replaces".into()
            },
        ));
        if self.event_key {
            columns.push(doc(
                reads::SCAN_EVENT_KEY,
                "The event_key of the row, computed once for every table".into(),
            ));
        }
        for p in &self.params {
            let array = if p.array == "user_properties" {
                "user property"
            } else {
                "event param"
            };
            let ty = match p.param_type {
                crate::spec::ParamType::Text => {
                    "its string_value alone, for the URL columns,".into()
                }
                ty => serde_json::to_value(ty)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            };
            columns.push(doc(
                &p.column,
                format!(
                    "The {array} {} as {ty}, computed once for every table",
                    p.key
                ),
            ));
        }
        self.columns = columns;
        self
    }
}

/// The export fields a scan copies; a partitioned source's own date column (not a GA4 field)
/// too, since each table's rows are read from the scan by it.
fn fields(scan: &Scan, date_column: Option<&str>) -> Vec<StructFieldView> {
    let mut fields: Vec<StructFieldView> = ga4::catalog()
        .pruned(&scan.fields)
        .iter()
        .map(shape_view)
        .collect();
    if let Some(column) = date_column {
        if !fields.iter().any(|f| f.name == column) {
            fields.push(StructFieldView {
                name: column.to_string(),
                repeated: false,
                fields: Vec::new(),
            });
        }
    }
    fields
}

fn shape_view(s: &Shape) -> StructFieldView {
    StructFieldView {
        name: s.name.clone(),
        repeated: s.repeated,
        fields: s.fields.iter().map(shape_view).collect(),
    }
}

/// How a dbt model or Dataform action reads its table's rows from the base of its source
/// instead of the export.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BaseRead {
    /// The base model (dbt) or action (Dataform): print with `json` or `js_string`.
    pub name: String,
    /// The base's dataset (the default target's).
    pub dataset: String,
    /// The base's partition column: the model bounds it by the shard days it reads.
    pub day_column: String,
    /// The base's column with the `_TABLE_SUFFIX` of a row.
    pub suffix_column: String,
    /// For each of the table's columns the base computed (event_key, params), the base column
    /// holding it: pass as `scan` to `keyed_rows`.
    pub computed: BTreeMap<String, String>,
}

impl BaseRead {
    /// For each table of the build (by index), how it reads its base; none for a table with a
    /// template of the project's own, which reads the export itself.
    pub fn per_table(bases: &[ScanView], build: &Build) -> Vec<Option<BaseRead>> {
        let mut out = vec![None; build.tables.len()];
        for s in bases {
            for e in &s.tables {
                if let Some(i) = build
                    .tables
                    .iter()
                    .position(|t| t.full_name() == e.t.full_name)
                {
                    out[i] = Some(BaseRead {
                        name: s.base.clone(),
                        dataset: build.setup.metadata.dataset.clone(),
                        day_column: s.day_column.clone(),
                        suffix_column: s.suffix_column.clone(),
                        computed: e.computed.clone(),
                    });
                }
            }
        }
        out
    }
}
