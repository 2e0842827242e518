//! How a change moves the estimated bytes of a typical incremental run: the previous build's
//! estimate from what its manifest recorded of each table's reads, beside the new build's, under
//! one profile.

use serde::Serialize;

use crate::cost::estimate::{self, costed};
use crate::cost::model::Scenario;
use crate::cost::Profile;
use crate::emit::manifest::{Manifest, TableEntry};

/// Bytes before and after; `before` is `None` when the previous manifest does not record what
/// its runs read (a build of an older bqflat).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Delta {
    pub before: Option<u64>,
    pub after: Option<u64>,
}

impl Delta {
    pub(crate) fn changed(&self) -> bool {
        self.before != self.after
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TableDelta {
    pub table: String,
    /// The table's own script.
    #[serde(flatten)]
    pub bytes: Delta,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct CostChange {
    /// What the profile describes.
    pub profile: String,
    /// Whether it is the built-in generic profile (no `--profile`).
    pub generic: bool,
    /// `bigquery/_run.sql`.
    pub run: Delta,
    /// Every `bigquery/<table>.sql`.
    pub table_scripts: Delta,
    /// The tables whose own script's estimate changes, by name.
    pub tables: Vec<TableDelta>,
}

impl CostChange {
    pub(crate) fn changed(&self) -> bool {
        self.run.changed() || self.table_scripts.changed() || !self.tables.is_empty()
    }
}

/// The estimates of a typical run before (`previous`) and after (`manifest`).
pub(crate) fn change(
    previous: Option<&Manifest>,
    manifest: &Manifest,
    profile: &Profile,
) -> CostChange {
    let typical = |m: Option<&Manifest>| -> Option<(u64, u64, Vec<(String, u64)>)> {
        let entries: Vec<&TableEntry> = m
            .into_iter()
            .flat_map(|m| &m.artifacts)
            .filter_map(|e| e.table.as_ref())
            .collect();
        let tables = costed(&entries)?;
        let e = estimate::scenario(&tables, profile, Scenario::Typical);
        let per_table = e.table_scripts.tables.into_iter().collect();
        Some((e.run.bytes, e.table_scripts.bytes, per_table))
    };
    let before = match previous {
        Some(m) => typical(Some(m)),
        None => Some((0, 0, Vec::new())),
    };
    let after = typical(Some(manifest));
    let mut names: Vec<&String> = before
        .iter()
        .chain(after.iter())
        .flat_map(|(_, _, t)| t.iter().map(|(n, _)| n))
        .collect();
    names.sort();
    names.dedup();
    let lookup = |side: &Option<(u64, u64, Vec<(String, u64)>)>, name: &str| {
        side.as_ref()
            .map(|(_, _, t)| t.iter().find(|(n, _)| n == name).map_or(0, |(_, b)| *b))
    };
    let tables = names
        .into_iter()
        .map(|name| TableDelta {
            table: name.clone(),
            bytes: Delta {
                before: lookup(&before, name),
                after: lookup(&after, name),
            },
        })
        .filter(|t| t.bytes.changed())
        .collect();
    CostChange {
        profile: profile.description.clone(),
        generic: profile.generic,
        run: Delta {
            before: before.as_ref().map(|b| b.0),
            after: after.as_ref().map(|a| a.0),
        },
        table_scripts: Delta {
            before: before.as_ref().map(|b| b.1),
            after: after.as_ref().map(|a| a.1),
        },
        tables,
    }
}
