//! What one table weighs in the model: the days a run reads and replaces, its rows, and the bytes
//! per day of its columns, of the export leaves it reads and of the scan columns it reads.

use super::inputs::TableReads;
use super::model::Scenario;
use super::profile::{type_width, Profile, STRING_OVERHEAD};
use crate::emit::manifest::{ColumnEntry, TableEntry};
use crate::model::SqlType;
use crate::spec::Mode;

/// Bytes of `bqflat_event_key` and `event_key`: 32 hex digits of an MD5.
const EVENT_KEY_BYTES: f64 = STRING_OVERHEAD + 32.0;
/// Bytes of `bqflat_suffix` (`YYYYMMDD`).
const SUFFIX_BYTES: f64 = STRING_OVERHEAD + 8.0;

/// A table as the model sees it: its manifest entry and what its runs read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Costed<'a> {
    pub entry: &'a TableEntry,
    pub reads: &'a TableReads,
}

impl Costed<'_> {
    pub(super) fn name(&self) -> &str {
        &self.entry.table
    }

    /// The export's days the table's window takes in.
    pub(super) fn history(&self, p: &Profile) -> f64 {
        match self.reads.window_days {
            Some(days) => p.history_days.min(f64::from(days)),
            None => p.history_days,
        }
    }

    /// Shard days one run reads and partition days it replaces.
    pub(super) fn days(&self, p: &Profile, scenario: Scenario) -> (f64, f64) {
        let r = self.reads;
        let history = self.history(p);
        match (self.entry.mode, scenario) {
            (Mode::Incremental, Scenario::Typical) => {
                let replaced = f64::from(r.lookback_days + 2).min(history);
                (
                    (replaced + f64::from(2 * r.day_margin)).min(history),
                    replaced,
                )
            }
            _ => (history, history),
        }
    }

    /// Days the table holds before the run.
    pub(super) fn stored_days(&self, p: &Profile, scenario: Scenario) -> f64 {
        match scenario {
            Scenario::Typical => self.history(p),
            Scenario::First => 0.0,
        }
    }

    /// Rows per day of the table (one per item when items are exploded).
    pub(super) fn rows(&self, p: &Profile) -> f64 {
        let rows = p.event_rows(&self.entry.event);
        if self.reads.explode_items {
            rows * p.items_per_event(&self.entry.event)
        } else {
            rows
        }
    }

    /// Bytes per day of the table's rows: every column.
    pub(super) fn row_bytes(&self, p: &Profile) -> f64 {
        self.entry
            .columns
            .iter()
            .map(|c| self.column_bytes(p, c))
            .sum()
    }

    /// Bytes per day of one output column.
    pub(super) fn column_bytes(&self, p: &Profile, c: &ColumnEntry) -> f64 {
        let event_rows = p.event_rows(&self.entry.event);
        let rows = self.rows(p);
        let (kind, rest) = c.source.split_once(':').unwrap_or((&c.source, ""));
        match kind {
            "computed" if rest == "event_key" => EVENT_KEY_BYTES * rows,
            "field" => p.leaf_per_row(rest) * rows,
            // An item's field: the event's items share the leaf's bytes.
            "item_field" => p.leaf_per_row(&format!("items.{rest}")) * event_rows,
            "items" => {
                let items: f64 = self
                    .reads
                    .leaves
                    .iter()
                    .filter(|l| l.starts_with("items."))
                    .map(|l| p.leaf_per_row(l))
                    .sum();
                items * event_rows
            }
            _ => column_width(&c.ty, p) * rows,
        }
    }

    /// Bytes per day of the given columns of the table.
    pub(super) fn columns_bytes(&self, p: &Profile, names: &[String]) -> f64 {
        self.entry
            .columns
            .iter()
            .filter(|c| names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
            .map(|c| self.column_bytes(p, c))
            .sum()
    }

    /// Bytes per day of the partition column.
    pub(super) fn partition_bytes(&self, p: &Profile) -> f64 {
        8.0 * self.rows(p)
    }

    /// Bytes per day of the export leaves the table's own script reads.
    pub(super) fn export_bytes(&self, p: &Profile) -> f64 {
        self.reads.leaves.iter().map(|l| p.leaf_per_day(l)).sum()
    }

    /// Bytes per day of the scan columns the table reads (its event's rows).
    pub(super) fn scan_bytes(&self, p: &Profile) -> f64 {
        let rows = p.event_rows(&self.entry.event);
        let per_row: f64 = self
            .reads
            .scan_columns
            .iter()
            .map(|c| match c.as_str() {
                crate::reads::SCAN_SUFFIX => SUFFIX_BYTES,
                crate::reads::SCAN_DAY => 8.0,
                crate::reads::SCAN_EVENT_KEY => EVENT_KEY_BYTES,
                c if c.starts_with("param:") => param_width(&c["param:".len()..], p),
                leaf => p.leaf_per_row(leaf),
            })
            .sum();
        per_row * rows
    }
}

/// The billed size of one value of a column type (STRING: the profile's average param value).
fn column_width(ty: &str, p: &Profile) -> f64 {
    let ty = match ty {
        "INT64" => SqlType::Int64,
        "FLOAT64" => SqlType::Float64,
        "BOOL" => SqlType::Bool,
        "DATE" => SqlType::Date,
        "TIMESTAMP" => SqlType::Timestamp,
        _ => SqlType::String,
    };
    type_width(&ty, p)
}

fn param_width(param_type: &str, p: &Profile) -> f64 {
    match param_type {
        "int64" | "float64" | "number" => 8.0,
        "bool" => 1.0,
        _ => p.string_param_bytes,
    }
}
