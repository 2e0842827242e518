//! The statements a run executes and the bytes each is billed, following the generated SQL
//! (`incremental.sql`, `full.sql`, `run.sql` and the macros of `_state.sql`, `_rows.sql`,
//! `_window.sql`). The model is data: a list of statements, each with what it reads, so the text
//! report can sum per table and the JSON can list every statement.
//!
//! Billing rules (on-demand; README "What a run is billed" cites the pages): a statement is billed
//! the bytes of the columns it reads, at least 10 MiB for each table it references;
//! `INFORMATION_SCHEMA` queries at least 10 MiB; `DELETE` and a `MERGE` with an update clause
//! also the size of the partitions they touch; writing a table (`CREATE TABLE … AS SELECT`, the
//! rows an `INSERT` adds) is not billed; DDL is free.

use serde::Serialize;

use super::inputs::Write;
use super::profile::Profile;
pub(crate) use super::table::Costed;
use crate::spec::Mode;

/// BigQuery's minimum per table a query references (and per query): 10 MB, taken as MiB.
pub(crate) const MIN_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scenario {
    /// A daily run after one new shard: the table holds `history_days`, the run replaces the
    /// newest day it holds, the lookback's days before it and the new day.
    Typical,
    /// The first run: empty tables, the whole history.
    First,
}

/// One statement of a script, and what it is billed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Statement {
    /// The table whose step this is; `None` for what a run does once (scans, its log).
    pub table: Option<String>,
    pub what: &'static str,
    /// Each table the statement references, with the bytes one execution reads of it.
    pub reads: Vec<Read>,
    /// How many times the run executes it (once a day with `batch: daily`).
    pub times: u64,
    /// What all its executions are billed.
    pub billed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Read {
    pub from: String,
    pub bytes: u64,
}

impl Statement {
    fn new(table: Option<&str>, what: &'static str, reads: Vec<(String, f64)>) -> Statement {
        let reads: Vec<Read> = reads
            .into_iter()
            .map(|(from, bytes)| Read {
                from,
                bytes: bytes.max(0.0).round() as u64,
            })
            .collect();
        let billed = reads.iter().map(|r| r.bytes.max(MIN_BYTES)).sum();
        Statement {
            table: table.map(str::to_string),
            what,
            reads,
            times: 1,
            billed,
        }
    }

    fn times(mut self, times: u64) -> Statement {
        self.billed *= times;
        self.times = times;
        self
    }
}

/// Where a step's rows come from: the export (the table's own script) or a shared scan.
#[derive(Clone, Copy)]
enum From<'a> {
    Export,
    /// The scan's temporary table.
    Scan(&'a str),
}

const METADATA: &str = "_metadata";
const RUNS: &str = "_runs";
const STAGED: &str = "bqflat_staged";

/// The statements of one table's steps once its shards are known: stage, replace, record.
fn steps(t: Costed<'_>, p: &Profile, scenario: Scenario, from: From<'_>, out: &mut Vec<Statement>) {
    let name = Some(t.name());
    let (read_days, replaced) = t.days(p, scenario);
    let stored = t.stored_days(p, scenario);
    let margin = f64::from(2 * t.reads.day_margin);
    let batches = t.reads.daily_batches;
    let full = t.entry.mode == Mode::Full;
    let (steps, step_read, step_days) = if batches {
        (replaced.ceil().max(1.0), (1.0 + margin).min(read_days), 1.0)
    } else {
        (1.0, read_days, replaced)
    };
    let source = || match from {
        From::Export => (t.reads.source.clone(), t.export_bytes(p) * step_read),
        // The copy is partitioned by shard day: a step reads its own days of it.
        From::Scan(scan) => (scan.to_string(), t.scan_bytes(p) * step_read),
    };
    let rows = t.rows(p);
    let row_bytes = t.row_bytes(p);
    if full && !batches {
        out.push(Statement::new(
            name,
            "rebuild the table (CREATE OR REPLACE TABLE … AS SELECT)",
            vec![source()],
        ));
        out.push(Statement::new(
            name,
            "count its rows",
            vec![(t.name().into(), 0.0)],
        ));
        out.push(Statement::new(
            name,
            "its watermark (MAX(event_ts))",
            vec![(t.name().into(), 8.0 * rows * t.history(p))],
        ));
    } else {
        // A batched rebuild fills an empty copy day by day; an incremental run replaces days.
        let into = if full {
            format!("{}__bqflat_build", t.name())
        } else {
            t.name().to_string()
        };
        let stored = if full { 0.0 } else { stored };
        let held = (step_days).min(stored);
        let steps = steps as u64;
        out.push(
            Statement::new(
                name,
                "stage the replaced days (CREATE TEMP TABLE bqflat_staged AS SELECT)",
                vec![source()],
            )
            .times(steps),
        );
        out.push(
            Statement::new(
                name,
                "watermark of the staged rows",
                vec![(STAGED.into(), 8.0 * rows * step_days)],
            )
            .times(steps),
        );
        // DELETE: the partition column of the replaced days, and the size of those partitions.
        out.push(
            Statement::new(
                name,
                "delete the replaced days (DELETE)",
                vec![(into.clone(), (t.partition_bytes(p) + row_bytes) * held)],
            )
            .times(steps),
        );
        let staged = (STAGED.to_string(), row_bytes * step_days);
        let write = match t.reads.write {
            Write::Insert => Statement::new(
                name,
                "insert the staged rows (INSERT … SELECT)",
                vec![staged],
            ),
            Write::MergeAfterRun => Statement::new(
                name,
                "insert the staged rows (MERGE on the days after the run, inserts only)",
                vec![staged, (into.clone(), 0.0)],
            ),
            Write::MergeAll => {
                // A batched rebuild's copy holds half the history on average.
                let held_before = if full { t.history(p) / 2.0 } else { stored };
                let keys = t.columns_bytes(p, &t.reads.merge_columns) * held_before;
                // The partitions the update clause touches: taken as many as the run replaces.
                let touched = row_bytes * held;
                Statement::new(
                    name,
                    "merge the staged rows over the whole table (MERGE … UPDATE)",
                    vec![staged, (into.clone(), keys + touched)],
                )
            }
        };
        out.push(write.times(steps));
        if !full {
            record(t, steps, out);
        }
        if full {
            let history = t.history(p);
            out.push(Statement::new(
                name,
                "count the copy's rows",
                vec![(into.clone(), 0.0)],
            ));
            out.push(Statement::new(
                name,
                "replace the table with the copy (CREATE OR REPLACE TABLE … AS SELECT *)",
                vec![(into, row_bytes * history)],
            ));
        }
    }
    if full {
        record(t, 1, out);
    }
}

/// The run row and the watermark: two INSERT … VALUES into the metadata tables.
fn record(t: Costed<'_>, times: u64, out: &mut Vec<Statement>) {
    let name = Some(t.name());
    out.push(
        Statement::new(
            name,
            "record the watermark (INSERT … VALUES)",
            vec![(METADATA.into(), 0.0)],
        )
        .times(times),
    );
    out.push(
        Statement::new(
            name,
            "record the run (INSERT … VALUES)",
            vec![(RUNS.into(), 0.0)],
        )
        .times(times),
    );
}

fn stored_watermark(t: Costed<'_>, out: &mut Vec<Statement>) {
    out.push(Statement::new(
        Some(t.name()),
        "read the stored watermark",
        vec![(METADATA.into(), 0.0)],
    ));
}

fn newest_day(t: Costed<'_>, out: &mut Vec<Statement>) {
    if t.entry.mode == Mode::Incremental {
        out.push(Statement::new(
            Some(t.name()),
            "newest partition day (INFORMATION_SCHEMA.PARTITIONS)",
            vec![(format!("{}: INFORMATION_SCHEMA.PARTITIONS", t.name()), 0.0)],
        ));
    }
}

fn sharded(source: &str) -> bool {
    source.ends_with('*')
}

/// `bigquery/<table>.sql`: the table's own script.
pub(crate) fn table_script(t: Costed<'_>, p: &Profile, scenario: Scenario) -> Vec<Statement> {
    let mut out = Vec::new();
    stored_watermark(t, &mut out);
    if sharded(&t.reads.source) {
        out.push(Statement::new(
            Some(t.name()),
            "list the export's shards (INFORMATION_SCHEMA.TABLES)",
            vec![(
                format!("{}: INFORMATION_SCHEMA.TABLES", t.reads.source),
                0.0,
            )],
        ));
    }
    newest_day(t, &mut out);
    steps(t, p, scenario, From::Export, &mut out);
    out
}

/// `bigquery/_run.sql`: each source read once into a scan every table is built from; tables with
/// templates of their own run their own scripts beside it.
pub(crate) fn run_script(tables: &[Costed<'_>], p: &Profile, scenario: Scenario) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    for t in tables.iter().filter(|t| t.reads.shared) {
        if !sources.contains(&t.reads.source.as_str()) {
            sources.push(&t.reads.source);
        }
    }
    for (n, source) in sources.iter().enumerate() {
        let members: Vec<Costed<'_>> = tables
            .iter()
            .filter(|t| t.reads.shared && t.reads.source == *source)
            .copied()
            .collect();
        if sharded(source) {
            out.push(Statement::new(
                None,
                "list the export's tables (INFORMATION_SCHEMA.TABLES)",
                vec![(format!("{source}: INFORMATION_SCHEMA.TABLES"), 0.0)],
            ));
        }
        for t in &members {
            newest_day(*t, &mut out);
        }
        // The days every table reads: their ranges all end at the newest shard.
        let days = members
            .iter()
            .map(|t| t.days(p, scenario).0)
            .fold(0.0, f64::max);
        let mut leaves: Vec<&str> = members
            .iter()
            .flat_map(|t| t.reads.leaves.iter().map(String::as_str))
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        let bytes: f64 = leaves.iter().map(|l| p.leaf_per_day(l)).sum::<f64>() * days;
        out.push(Statement::new(
            None,
            "scan the export once (CREATE TEMP TABLE … PARTITION BY bqflat_day CLUSTER BY event_name AS SELECT)",
            vec![(source.to_string(), bytes)],
        ));
        let scan = format!("bqflat_scan_{}", n + 1);
        for t in &members {
            stored_watermark(*t, &mut out);
            steps(*t, p, scenario, From::Scan(&scan), &mut out);
            out.push(Statement::new(
                Some(t.name()),
                "log the table (INSERT … VALUES)",
                vec![("bqflat_log".into(), 0.0)],
            ));
        }
    }
    if !sources.is_empty() {
        out.push(Statement::new(
            None,
            "the run's log (SELECT)",
            vec![("bqflat_log".into(), 0.0)],
        ));
        out.push(Statement::new(
            None,
            "the failed tables (SELECT)",
            vec![("bqflat_log".into(), 0.0)],
        ));
    }
    for t in tables.iter().filter(|t| !t.reads.shared) {
        out.extend(table_script(*t, p, scenario));
    }
    out
}

/// `bigquery/_checks.sql`, run after the tables (README "Data checks"): per source, its tables
/// listed once; per group of tables read alike, the export's events counted once over the days
/// checked (the newest shard day and the lookback before it, with the margin days either side);
/// per table, one query of its failed checks. Each check counts as its own scan of the columns it
/// reads, so a column two checks read is billed twice: an upper bound where BigQuery reads it once.
pub(crate) fn checks_script(tables: &[Costed<'_>], p: &Profile) -> Vec<Statement> {
    let checked: Vec<(Costed<'_>, &super::inputs::CheckReads)> = tables
        .iter()
        .filter_map(|t| t.reads.checks.as_ref().map(|c| (*t, c)))
        .collect();
    let mut out = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    for (t, _) in &checked {
        if !sources.contains(&t.reads.source.as_str()) {
            sources.push(&t.reads.source);
        }
    }
    for source in sources {
        if sharded(source) {
            out.push(Statement::new(
                None,
                "list the export's tables (INFORMATION_SCHEMA.TABLES)",
                vec![(format!("{source}: INFORMATION_SCHEMA.TABLES"), 0.0)],
            ));
        }
        let members: Vec<&(Costed<'_>, &super::inputs::CheckReads)> = checked
            .iter()
            .filter(|(t, _)| t.reads.source == source)
            .collect();
        let mut groups: Vec<&str> = Vec::new();
        for (t, c) in &members {
            if groups.contains(&c.group.as_str()) {
                continue;
            }
            groups.push(&c.group);
            let days = (checked_days(*t) + f64::from(2 * t.reads.day_margin)).min(t.history(p));
            let bytes: f64 = c
                .count_leaves
                .iter()
                .map(|l| p.leaf_per_day(l))
                .sum::<f64>()
                * days;
            out.push(Statement::new(
                None,
                "count the export's events of the group's tables (CREATE TEMP TABLE … AS SELECT)",
                vec![(source.to_string(), bytes)],
            ));
        }
        for (t, c) in &members {
            let days = checked_days(*t).min(t.history(p));
            // One entry per check that reads the column: each is its own scan.
            let scans = |columns: &[String]| -> f64 {
                columns
                    .iter()
                    .map(|c| t.columns_bytes(p, std::slice::from_ref(c)))
                    .sum()
            };
            let bytes = scans(&c.day_columns) * days + scans(&c.all_columns) * t.history(p);
            let mut reads = vec![(t.name().to_string(), bytes)];
            if c.counted {
                reads.push(("bqflat_export_events".into(), 0.0));
            }
            out.push(Statement::new(
                Some(t.name()),
                "the table's failed checks (INSERT … SELECT)",
                reads,
            ));
        }
    }
    if !checked.is_empty() {
        for what in ["the failed checks (SELECT)", "count the failed checks"] {
            out.push(Statement::new(
                None,
                what,
                vec![("bqflat_failed".into(), 0.0)],
            ));
        }
    }
    out
}

/// The days `_checks.sql` checks a table on: the newest shard day and the lookback before it.
fn checked_days(t: Costed<'_>) -> f64 {
    f64::from(t.reads.lookback_days + 1)
}

/// One pass over the export leaves the tables need, over the days a run reads: the least any
/// way of running them could be billed for their source reads.
pub(crate) fn one_pass(tables: &[Costed<'_>], p: &Profile, scenario: Scenario) -> u64 {
    let mut by_source: std::collections::BTreeMap<&str, (std::collections::BTreeSet<&str>, f64)> =
        std::collections::BTreeMap::new();
    for t in tables {
        let entry = by_source.entry(&t.reads.source).or_default();
        entry.0.extend(t.reads.leaves.iter().map(String::as_str));
        entry.1 = entry.1.max(t.days(p, scenario).0);
    }
    by_source
        .values()
        .map(|(leaves, days)| leaves.iter().map(|l| p.leaf_per_day(l)).sum::<f64>() * days)
        .sum::<f64>()
        .round() as u64
}
