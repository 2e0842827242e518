//! What a table's runs read, in the terms the cost model bills: recorded per table in the
//! manifest, so `plan` can estimate the previous build's runs from its manifest alone.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{Build, Table};
use crate::reads;

/// How the staged rows reach the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Write {
    /// `INSERT … SELECT` (key `event_key`, partitioned by the export's `event_date`).
    Insert,
    /// A MERGE that only inserts, reading the partitions after the run's last day.
    MergeAfterRun,
    /// A MERGE over the whole table on the dedupe key, with an update clause.
    MergeAll,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TableReads {
    /// The export, `project.dataset.table`.
    pub source: String,
    /// Export leaves the table's own script reads (sorted).
    pub leaves: Vec<String>,
    /// Whether `_run.sql` builds the table from its source's shared scan.
    pub shared: bool,
    /// The scan's columns the table reads, per row of its event: export leaves copied as they
    /// are, `bqflat_suffix`, `bqflat_event_key`, and `param:<type>` for each param the scan
    /// computed (sorted).
    pub scan_columns: Vec<String>,
    /// Whole days before the newest one a run replaces.
    pub lookback_days: u32,
    /// Shard days read on each side of the replaced days (0 or 1).
    pub day_margin: u32,
    pub write: Write,
    /// The table's columns a whole-table MERGE reads of every partition (key, order, event_key).
    pub merge_columns: Vec<String>,
    pub explode_items: bool,
    pub daily_batches: bool,
    /// Shard days in the window, when both its ends are set: a first run reads no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
    /// What `_checks.sql` reads for the table; absent when it is not checked (a template of its
    /// own) and in manifests of older builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<CheckReads>,
}

/// What the data checks of one table read (`bigquery/_checks.sql`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CheckReads {
    /// The tables of one group (one source, read the same way on the same days) share one count
    /// of the export's events: what the group has in common, as a digest.
    pub group: String,
    /// The export leaves that count reads (sorted).
    pub count_leaves: Vec<String>,
    /// Whether the table's rows are counted against the export's events.
    pub counted: bool,
    /// The table's columns each check reads on the days checked (the newest shard day and the
    /// lookback before it), one entry per check that reads it.
    pub day_columns: Vec<String>,
    /// The columns each check reads over every partition: a key that can recur across days,
    /// the partition column when the window is checked.
    pub all_columns: Vec<String>,
}

impl CheckReads {
    fn of(t: &Table, build: &Build) -> CheckReads {
        let counted = crate::view::checks::counted(t);
        let partition = t.partition.column.clone();
        let key = key_columns(t);
        let (mut day_columns, mut all_columns) = if t.dedupe_across_days() {
            (Vec::new(), key)
        } else {
            (key, Vec::new())
        };
        day_columns.push(partition.clone());
        for column in &t.required {
            day_columns.extend([column.clone(), partition.clone()]);
        }
        if t.window.start.is_some() || t.window.end.is_some() {
            all_columns.push(partition.clone());
        }
        if counted {
            day_columns.push(partition);
            if t.explode_items {
                day_columns.push("event_key".into());
            }
        }
        CheckReads {
            group: crate::view::checks::group_digest(t, build),
            count_leaves: reads::count_leaves(t).into_iter().collect(),
            counted,
            day_columns,
            all_columns,
        }
    }
}

/// The columns a row's dedupe key reads: the key's, and `event_key` when a NULL part of the key
/// falls back to it.
fn key_columns(t: &Table) -> Vec<String> {
    let mut key = t.dedupe.key.clone();
    if !t.dedupe.nullable.is_empty() {
        key.push("event_key".into());
    }
    key
}

/// Days from `start` to `end` (`YYYY-MM-DD`), both counted.
fn days_between(start: &str, end: &str) -> Option<u32> {
    let day = |text: &str| -> Option<i64> {
        let mut parts = text.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(era * 146_097 + doe - 719_468)
    };
    let days = day(end)? - day(start)? + 1;
    u32::try_from(days.max(0)).ok()
}

impl TableReads {
    /// The reads of every table of a build, in build order. `overridden` says which built-in
    /// templates the project has its own copy of (those tables run from their own scripts).
    pub(crate) fn all(build: &Build, overridden: &dyn Fn(&str) -> bool) -> Vec<TableReads> {
        let scans = reads::scans(build, overridden);
        let mut scan_of = vec![None; build.tables.len()];
        // Each scan's param columns, by column name: what type each holds.
        let mut param_types = Vec::with_capacity(scans.len());
        for (n, scan) in scans.iter().enumerate() {
            for &i in &scan.tables {
                scan_of[i] = Some(n);
            }
            let types: BTreeMap<&str, String> = scan
                .params
                .iter()
                .map(|p| {
                    let ty = serde_json::to_value(p.param_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    (p.column.as_str(), format!("param:{ty}"))
                })
                .collect();
            param_types.push(types);
        }
        build
            .tables
            .iter()
            .zip(scan_of)
            .map(|(t, n)| {
                let checks = reads::shares_scans(t, overridden).then(|| CheckReads::of(t, build));
                TableReads::of(t, n.map(|n| (&scans[n], &param_types[n])), checks)
            })
            .collect()
    }

    fn of(
        t: &Table,
        scan: Option<(&reads::Scan, &BTreeMap<&str, String>)>,
        checks: Option<CheckReads>,
    ) -> TableReads {
        let scan_columns = scan
            .map(|(scan, param_types)| {
                scan.table_columns(t)
                    .into_iter()
                    .map(|column| match param_types.get(column.as_str()) {
                        Some(param) => param.clone(),
                        None => column,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let margin = crate::view::days::day_margin(t);
        let write = if t.dedupe_across_days() {
            Write::MergeAll
        } else if margin > 0 {
            Write::MergeAfterRun
        } else {
            Write::Insert
        };
        let mut merge_columns: BTreeSet<String> = BTreeSet::new();
        if write == Write::MergeAll {
            merge_columns.extend(key_columns(t));
            merge_columns.insert(t.dedupe.order_by.clone());
        }
        TableReads {
            source: format!(
                "{}.{}.{}",
                t.source.project, t.source.dataset, t.source.table
            ),
            leaves: reads::table_leaves(t).into_iter().collect(),
            shared: scan.is_some(),
            scan_columns,
            lookback_days: crate::view::days::lookback_days(t),
            day_margin: margin,
            write,
            merge_columns: merge_columns.into_iter().collect(),
            explode_items: t.explode_items,
            daily_batches: t.daily_batches,
            window_days: match (&t.window.start, &t.window.end) {
                (Some(start), Some(end)) => days_between(start, end),
                _ => None,
            },
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_days_count_both_ends() {
        assert_eq!(days_between("2025-01-01", "2025-01-01"), Some(1));
        assert_eq!(days_between("2024-02-28", "2024-03-01"), Some(3));
        assert_eq!(days_between("2024-12-31", "2025-12-31"), Some(366));
        assert_eq!(days_between("2025-01-02", "2025-01-01"), Some(0));
    }
}
