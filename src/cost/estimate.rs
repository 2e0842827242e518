//! Sums of the model's statements: per table and in total, for each way of running a build
//! (each table's own script, or the shared `_run.sql`) and each scenario.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{self, Costed, Scenario, Statement};
use super::profile::Profile;
use crate::emit::manifest::TableEntry;

/// The bytes one way of running a build is billed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Way {
    pub bytes: u64,
    /// Bytes of each table's own statements, by table name.
    pub tables: BTreeMap<String, u64>,
    /// Bytes of the statements shared by every table (the scans, the run's log).
    pub shared: u64,
    pub statements: Vec<Statement>,
}

impl Way {
    fn of(statements: Vec<Statement>) -> Way {
        let mut tables: BTreeMap<String, u64> = BTreeMap::new();
        let mut shared = 0;
        for s in &statements {
            match &s.table {
                Some(t) => *tables.entry(t.clone()).or_default() += s.billed,
                None => shared += s.billed,
            }
        }
        Way {
            bytes: statements.iter().map(|s| s.billed).sum(),
            tables,
            shared,
            statements,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScenarioEstimate {
    pub scenario: Scenario,
    /// Every `bigquery/<table>.sql`, one after the other.
    pub table_scripts: Way,
    /// `bigquery/_run.sql` (and the scripts of tables it leaves to their own).
    pub run: Way,
    /// One read of the columns every table needs over the days a run reads, per source.
    pub one_pass: u64,
    /// `bigquery/_checks.sql`, run after either (the same in both scenarios: it checks the
    /// days a run replaces).
    pub checks: Way,
}

/// The tables of a manifest as the model sees them; `None` when one was written by a bqflat that
/// did not record what its runs read.
pub(crate) fn costed<'a>(entries: &[&'a TableEntry]) -> Option<Vec<Costed<'a>>> {
    entries
        .iter()
        .map(|e| e.reads.as_ref().map(|reads| Costed { entry: e, reads }))
        .collect()
}

pub(crate) fn scenario(tables: &[Costed<'_>], p: &Profile, scenario: Scenario) -> ScenarioEstimate {
    let table_scripts = tables
        .iter()
        .flat_map(|t| model::table_script(*t, p, scenario))
        .collect();
    ScenarioEstimate {
        scenario,
        table_scripts: Way::of(table_scripts),
        run: Way::of(model::run_script(tables, p, scenario)),
        one_pass: model::one_pass(tables, p, scenario),
        checks: Way::of(model::checks_script(tables, p)),
    }
}

/// Both scenarios.
pub(crate) fn estimate(tables: &[Costed<'_>], p: &Profile) -> Vec<ScenarioEstimate> {
    [Scenario::Typical, Scenario::First]
        .into_iter()
        .map(|s| scenario(tables, p, s))
        .collect()
}

/// US dollars for `bytes` at `price_per_tib` (on-demand bills per TiB).
pub(crate) fn price(bytes: u64, price_per_tib: f64) -> f64 {
    bytes as f64 / (1u64 << 40) as f64 * price_per_tib
}
