//! The days a table reads and replaces: its source's shards, its window and its lookback.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{self, IntervalUnit, Origin, ShardKind, Table};

/// The GA4 export a table reads.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourceView {
    /// GCP project of the export.
    pub project: String,
    /// Dataset of the export (`analytics_123456`).
    pub dataset: String,
    /// `events_*` for the sharded export, else one partitioned table.
    pub table: String,
    /// `project.dataset.table`: print with `ident`.
    pub full_name: String,
    /// Date shards (`events_YYYYMMDD`), pruned with `_TABLE_SUFFIX`.
    pub sharded: bool,
    /// Days without a daily shard are read from their `events_intraday_YYYYMMDD` shard.
    pub intraday: bool,
    /// The shard kinds a day is read from, in order of preference: each day is read from the
    /// first kind that has a shard for it.
    pub shards: Vec<ShardView>,
    /// The shards' common name prefix (`events_`): the source table without its `*`.
    pub prefix: String,
    /// DATE partition column of a partitioned source; null for the sharded export.
    pub date_column: Option<String>,
}

/// One kind of export shard.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ShardView {
    /// `daily`, `intraday` or `fresh`.
    pub kind: ShardKind,
    /// What `_TABLE_SUFFIX` holds before the date: `""`, `intraday_` or `fresh_`: print with
    /// `literal`.
    pub suffix_prefix: String,
}

/// Shard dates a table reads, inclusive, as `YYYY-MM-DD`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WindowView {
    /// Null: from the first shard.
    pub start: Option<String>,
    /// Null: up to today.
    pub end: Option<String>,
}

/// How far before the newest loaded event an incremental run reads again.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LookbackView {
    /// How many units.
    pub amount: u32,
    /// Print with `keyword`.
    pub unit: IntervalUnit,
    /// As written in the spec (`3d`): print with `comment`.
    pub text: String,
}

impl SourceView {
    pub fn new(s: &model::Source) -> SourceView {
        SourceView {
            project: s.project.clone(),
            dataset: s.dataset.clone(),
            table: s.table.clone(),
            full_name: format!("{}.{}.{}", s.project, s.dataset, s.table),
            sharded: s.sharded,
            intraday: s.intraday(),
            shards: s
                .shards
                .iter()
                .map(|&kind| ShardView {
                    kind,
                    suffix_prefix: kind.suffix_prefix().to_string(),
                })
                .collect(),
            prefix: s.table.trim_end_matches('*').to_string(),
            date_column: s.date_column.clone(),
        }
    }
}

impl WindowView {
    pub fn new(w: &model::Window) -> WindowView {
        WindowView {
            start: w.start.clone(),
            end: w.end.clone(),
        }
    }
}

/// How many days a row's partition day can be from its shard day: none when the table is
/// partitioned by the export's `event_date` (GA4 writes each event into the shard of its
/// `event_date`), one for another zone or UTC days (zones within 24 hours of each other).
pub fn day_margin(table: &Table) -> u32 {
    let partition = table.column(&table.partition.column);
    let exports_date = matches!(
        partition.map(|c| &c.origin),
        Some(Origin::Computed { name }) if name == "event_date"
    );
    if exports_date && table.timezone.is_none() {
        0
    } else {
        1
    }
}

/// Whole days that cover a table's lookback.
pub fn lookback_days(table: &Table) -> u32 {
    (table.lookback.amount * table.lookback.unit.minutes()).div_ceil(24 * 60)
}
