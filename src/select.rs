//! A selective build (`--events`, `--target`): the whole project is compiled, so files shared by
//! every table stay right, then only the selected tables and targets are written. Every other file
//! of the previous build is kept as it is, on disk and in the manifest, because a selection never
//! means "delete the rest" (dbt users read these flags as `--select`).

use std::collections::{BTreeMap, BTreeSet};

use crate::compiler::Compiled;
use crate::emit::manifest::{Entry, Manifest};
use crate::render::{bigquery, dataform, dbt};
use crate::spec::Target;

/// What a selective build leaves alone.
pub(crate) struct Narrowed {
    /// The previous build's entries the run leaves as they are: those of unselected events, and,
    /// when `targets` were picked by flag, those of the other targets.
    pub kept: Vec<Entry>,
    /// No event was left out, or the files of those left out are kept exactly as the whole
    /// project's build would write them: the folder the run leaves is that build's.
    pub whole: bool,
}

/// Drops the unselected tables from `compiled` and says what the run leaves alone.
pub(crate) fn narrow(
    compiled: &mut Compiled,
    previous: Option<&Manifest>,
    targets_picked: bool,
) -> Narrowed {
    let build = &mut compiled.build;
    let Some(selection) = build.selection.clone() else {
        let kept = match (previous, targets_picked) {
            (Some(previous), true) => kept(previous, &compiled.artifacts, &build.targets, None),
            _ => Vec::new(),
        };
        return Narrowed { kept, whole: true };
    };
    // The files of the unselected tables as the whole build makes them.
    let unselected: BTreeSet<(String, String)> = compiled
        .artifacts
        .iter()
        .filter(|a| {
            a.table
                .is_some_and(|i| !selection.contains(&build.tables[i].event))
        })
        .map(|a| (a.path.clone(), a.digest().0))
        .collect();
    let mut index = Vec::with_capacity(build.tables.len());
    let mut tables = Vec::new();
    for table in std::mem::take(&mut build.tables) {
        if selection.contains(&table.event) {
            index.push(Some(tables.len()));
            tables.push(table);
        } else {
            index.push(None);
        }
    }
    build.tables = tables;
    compiled.artifacts.retain_mut(|a| match a.table {
        None => true,
        Some(i) => {
            a.table = index[i];
            a.table.is_some()
        }
    });
    let targets = if targets_picked {
        &build.targets[..]
    } else {
        ALL
    };
    let kept = match previous {
        Some(previous) => kept(previous, &compiled.artifacts, targets, Some(&selection)),
        None => Vec::new(),
    };
    let whole = !targets_picked
        && kept.len() == unselected.len()
        && kept
            .iter()
            .all(|e| unselected.contains(&(e.path.clone(), e.sha256.clone())));
    Narrowed { kept, whole }
}

const ALL: &[Target] = &[Target::Bigquery, Target::Dbt, Target::Dataform];

fn kept(
    previous: &Manifest,
    artifacts: &[crate::render::Artifact],
    targets: &[Target],
    selection: Option<&BTreeSet<String>>,
) -> Vec<Entry> {
    let made: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    let written: BTreeSet<&str> = targets.iter().map(|t| dir(*t)).collect();
    // A table is described with its first file only; its other files share that file's name.
    let by_stem: BTreeMap<&str, &str> = previous
        .artifacts
        .iter()
        .filter_map(|e| Some((stem(&e.path), e.table.as_ref()?.event.as_str())))
        .collect();
    previous
        .artifacts
        .iter()
        .filter(|e| !made.contains(e.path.as_str()))
        .filter(|e| {
            let target = e.path.split('/').next().unwrap_or("");
            let event = match &e.table {
                Some(t) => Some(t.event.as_str()),
                None => by_stem.get(stem(&e.path)).copied(),
            };
            let unselected = match (selection, event) {
                (Some(selection), Some(event)) => !selection.contains(event),
                _ => false,
            };
            !written.contains(target) || unselected
        })
        .cloned()
        .collect()
}

fn dir(target: Target) -> &'static str {
    match target {
        Target::Bigquery => bigquery::DIR,
        Target::Dbt => dbt::DIR,
        Target::Dataform => dataform::DIR,
    }
}

/// `event_purchase_flat` of `dbt/models/event_purchase_flat.sql`.
fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split_once('.').map_or(name, |(stem, _)| stem)
}
