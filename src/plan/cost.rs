//! How a change moves the estimated bytes of a typical incremental run: the previous build's
//! estimate from what its manifest recorded of each table's reads, beside the new build's, under
//! one profile.

use std::collections::{BTreeMap, BTreeSet};

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

/// The bytes of a typical run of one build.
struct Typical {
    run: u64,
    table_scripts: u64,
    tables: BTreeMap<String, u64>,
}

/// A build's typical run from its manifest; `None` when a table's reads were not recorded.
fn typical(manifest: &Manifest, profile: &Profile) -> Option<Typical> {
    let entries: Vec<&TableEntry> = manifest
        .artifacts
        .iter()
        .filter_map(|e| e.table.as_ref())
        .collect();
    let tables = costed(&entries)?;
    let e = estimate::scenario(&tables, profile, Scenario::Typical);
    Some(Typical {
        run: e.run.bytes,
        table_scripts: e.table_scripts.bytes,
        tables: e.table_scripts.tables,
    })
}

/// The estimates of a typical run before (`previous`; none: no build yet) and after
/// (`manifest`).
pub(crate) fn change(
    previous: Option<&Manifest>,
    manifest: &Manifest,
    profile: &Profile,
) -> CostChange {
    let before = match previous {
        Some(m) => typical(m, profile),
        None => Some(Typical {
            run: 0,
            table_scripts: 0,
            tables: BTreeMap::new(),
        }),
    };
    let after = typical(manifest, profile);
    let names: BTreeSet<&String> = before
        .iter()
        .chain(after.iter())
        .flat_map(|t| t.tables.keys())
        .collect();
    let lookup = |side: &Option<Typical>, name: &str| {
        side.as_ref()
            .map(|t| t.tables.get(name).copied().unwrap_or(0))
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
            before: before.as_ref().map(|b| b.run),
            after: after.as_ref().map(|a| a.run),
        },
        table_scripts: Delta {
            before: before.as_ref().map(|b| b.table_scripts),
            after: after.as_ref().map(|a| a.table_scripts),
        },
        tables,
    }
}
