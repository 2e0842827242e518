//! What a build would change, compared with a previous build: per table the structural changes
//! (from the manifests' typed columns, never from the SQL text), each classified by what it means
//! for an existing table; per file the old and new text for diffs.

use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) mod change;
pub(crate) mod compare;
pub(crate) mod cost;
pub(crate) mod migrate;
pub(crate) mod previous;

use crate::emit::manifest::{Manifest, TableEntry};
use crate::render::Artifact;
use crate::spec::Mode;
pub(crate) use change::{Change, ChangeKind, Impact};
pub(crate) use compare::compare;
pub(crate) use previous::Previous;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Add,
    Change,
    Remove,
    Unchanged,
}

impl Action {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change => "change",
            Action::Remove => "remove",
            Action::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TablePlan {
    pub table: String,
    pub event: String,
    pub action: Action,
    pub mode: Mode,
    pub version: u32,
    pub changes: Vec<Change>,
    /// A new table's columns, `name TYPE` (what a reviewer wants to see of it instead of its SQL).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

impl TablePlan {
    pub(crate) fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.impact == Impact::Breaking)
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FilePlan {
    pub path: String,
    pub action: Action,
    #[serde(skip)]
    pub before: Option<String>,
    #[serde(skip)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Plan {
    pub tables: Vec<TablePlan>,
    pub files: Vec<FilePlan>,
    /// How the estimated bytes of a typical incremental run change.
    pub cost: cost::CostChange,
}

impl Plan {
    pub(crate) fn has_changes(&self) -> bool {
        self.files.iter().any(|f| f.action != Action::Unchanged)
    }

    pub(crate) fn count(&self, action: Action) -> usize {
        self.tables.iter().filter(|t| t.action == action).count()
    }
}

/// A version bump under the same table name: the build accepts the breaking changes and its
/// migration rebuilds the existing table where it is, so they read as rebuilt, and the version
/// change says how to build the new version beside the old one instead.
fn in_place_rebuild(changes: &mut [Change], old: u32, new: u32) {
    if new <= old || !changes.iter().any(|c| c.impact == Impact::Breaking) {
        return;
    }
    for change in changes.iter_mut() {
        if change.impact == Impact::Breaking {
            change.impact = Impact::Rebuilt;
        }
        if change.kind == ChangeKind::Version {
            change.detail = format!(
                "spec version {old} → {new}, same table name: a migration rebuilds it in place (`{{version}}` in the name builds it beside the old one)"
            );
            change.impact = Impact::Rebuilt;
        }
    }
}

/// Compares the new build (`artifacts` and the manifest they make) with `previous`; run costs
/// are estimated under `profile`.
pub(crate) fn plan(
    previous: &Previous,
    artifacts: &[Artifact],
    manifest: &Manifest,
    profile: &crate::cost::Profile,
) -> Plan {
    let old_tables = tables_of(previous.manifest.as_ref());
    let new_tables = tables_of(Some(manifest));
    let mut tables = Vec::new();
    for (name, (new, new_hash)) in &new_tables {
        let (action, changes) = match old_tables.get(name) {
            None => (Action::Add, Vec::new()),
            Some((old, old_hash)) => {
                let mut changes = compare(old, new);
                in_place_rebuild(&mut changes, old.version, new.version);
                let action = if changes.is_empty() && old_hash == new_hash {
                    Action::Unchanged
                } else {
                    Action::Change
                };
                (action, changes)
            }
        };
        let columns = if action == Action::Add {
            new.columns
                .iter()
                .map(|c| format!("{} {}", c.name, c.ty))
                .collect()
        } else {
            Vec::new()
        };
        tables.push(TablePlan {
            table: name.to_string(),
            event: new.event.clone(),
            action,
            mode: new.mode,
            version: new.version,
            changes,
            columns,
        });
    }
    // The targets that create each view, by the folder of its files.
    let mut views: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &manifest.artifacts {
        if let Some(view) = &e.view {
            let target = e.path.split('/').next().unwrap_or("");
            views.entry(view.as_str()).or_default().push(target);
        }
    }
    for (name, (old, _)) in &old_tables {
        if !new_tables.contains_key(name) {
            let detail = match views.get(name) {
                Some(targets) => became_view(targets),
                None => "script removed; the table stays in BigQuery until you drop it".into(),
            };
            tables.push(TablePlan {
                table: name.to_string(),
                event: old.event.clone(),
                action: Action::Remove,
                mode: old.mode,
                version: old.version,
                changes: vec![Change {
                    kind: ChangeKind::TableRemoved,
                    detail,
                    impact: ChangeKind::TableRemoved.impact(old.mode),
                    column: None,
                    before: None,
                    after: None,
                }],
                columns: Vec::new(),
            });
        }
    }
    tables.sort_by(|a, b| a.table.cmp(&b.table));

    let mut files: BTreeMap<&str, FilePlan> = BTreeMap::new();
    for artifact in artifacts {
        let before = previous.files.get(&artifact.path).cloned();
        let action = match &before {
            None => Action::Add,
            Some(text) if *text == artifact.contents => Action::Unchanged,
            Some(_) => Action::Change,
        };
        let after = Some(artifact.contents.clone());
        files.insert(
            &artifact.path,
            FilePlan {
                path: artifact.path.clone(),
                action,
                before,
                after,
            },
        );
    }
    for (path, text) in &previous.files {
        files.entry(path).or_insert_with(|| FilePlan {
            path: path.clone(),
            action: Action::Remove,
            before: Some(text.clone()),
            after: None,
        });
    }
    Plan {
        tables,
        files: files.into_values().collect(),
        cost: cost::change(previous.manifest.as_ref(), manifest, profile),
    }
}

/// What happens to a table whose name `sources:` gives to the view over the tables of every
/// source, by the targets (output folders) that create the view. BigQuery cannot create a view
/// over a table; dbt-bigquery refuses to unless the model runs with `--full-refresh`, which
/// drops the table; Dataform drops it itself.
fn became_view(targets: &[&str]) -> String {
    let has = |t: &str| targets.contains(&t);
    let what = if has(crate::render::bigquery::DIR) {
        "drop or rename the table before the next run (a view cannot replace it)"
    } else if has(crate::render::dbt::DIR) && has(crate::render::dataform::DIR) {
        "drop or rename the table first to keep its rows: Dataform drops it when it creates the view, and dbt refuses to unless the view's model runs with --full-refresh, which drops it"
    } else if has(crate::render::dbt::DIR) {
        "drop or rename the table first (dbt will not replace it with a view), or run the view's model with --full-refresh, which drops it"
    } else {
        "Dataform drops the table when it creates the view: rename it first to keep its rows"
    };
    format!("becomes the view over the tables of every source: {what}; the new tables are built from the window")
}

/// Table name → (table entry, hash of its script).
fn tables_of(manifest: Option<&Manifest>) -> BTreeMap<&str, (&TableEntry, &str)> {
    manifest
        .into_iter()
        .flat_map(|m| &m.artifacts)
        .filter_map(|e| {
            e.table
                .as_ref()
                .map(|t| (t.table.as_str(), (t, e.sha256.as_str())))
        })
        .collect()
}

pub(crate) fn mode_word(mode: Mode) -> &'static str {
    match mode {
        Mode::Full => "full",
        Mode::Incremental => "incremental",
    }
}

#[cfg(test)]
mod tests {
    use super::became_view;

    #[test]
    fn a_table_that_becomes_a_view_is_explained_for_the_targets_that_create_it() {
        let says = |targets: &[&str], what: &str| {
            let detail = became_view(targets);
            assert!(detail.contains(what), "{targets:?}: {detail}");
        };
        says(&["bigquery", "dbt", "dataform"], "a view cannot replace it");
        says(&["dbt"], "dbt will not replace it with a view");
        says(&["dataform"], "Dataform drops the table");
        says(&["dbt", "dataform"], "Dataform drops it");
    }
}
