//! `bqflat init`: a small working project to start from; with `--catalog`, one spec per event
//! of the catalog, its params typed by the values the catalog saw.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use crate::config::Init;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::emit::write_atomic;
use crate::ga4::{DEFAULT_COLUMNS, DEFAULT_ITEM_FIELDS};
use crate::load::{catalog, Catalog, EVENTS_DIR, PROJECT_FILE};
use crate::names;
use crate::spec::{EventSpec, Items, Param, ParamType, Params};

/// What `bqflat init` writes: plain YAML beside this file, not templates (nothing is rendered).
const PROJECT: &str = include_str!("bqflat.yaml");
const PURCHASE: &str = include_str!("purchase.yaml");
const PAGE_VIEW: &str = include_str!("page_view.yaml");
/// Where the project's copy of the JSON schemas goes (`bqflat schema --out schemas` refreshes it).
const SCHEMAS_DIR: &str = "schemas";

pub(crate) fn run(config: &Init) -> Result<(), Diagnostics> {
    let dir = config.dir.clone();
    let mut files: Vec<(Utf8PathBuf, String)> = vec![(dir.join(PROJECT_FILE), PROJECT.into())];
    // The schemas the files' `$schema` lines name, so an editor checks them as they are typed.
    for (name, text) in crate::schema::schemas() {
        if [
            crate::schema::PROJECT_SCHEMA_FILE,
            crate::schema::EVENT_SCHEMA_FILE,
        ]
        .contains(&name)
        {
            files.push((dir.join(SCHEMAS_DIR).join(name), text));
        }
    }
    match &config.catalog {
        None => {
            files.push((dir.join(EVENTS_DIR).join("purchase.yaml"), PURCHASE.into()));
            files.push((
                dir.join(EVENTS_DIR).join("page_view.yaml"),
                PAGE_VIEW.into(),
            ));
        }
        Some(path) => {
            let catalog = Catalog::load(path)?;
            let target = dir.join(catalog::FILE);
            if !same_file(path, &target) {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| crate::diagnostics::io_error(path, "read", &e))?;
                files.push((target, text));
            }
            files.extend(specs_from(&catalog, &dir.join(EVENTS_DIR))?);
        }
    }
    // Never overwrite a user's files: check them all before writing any.
    let existing: Vec<Diagnostic> = files
        .iter()
        .filter(|(path, _)| path.exists())
        .map(|(path, _)| {
            Diagnostic::new(format!("{path} already exists"))
                .hint("run `bqflat init` in an empty folder, or pass another DIR")
        })
        .collect();
    if !existing.is_empty() {
        return Err(Diagnostics(existing));
    }
    for (path, text) in &files {
        write_atomic(path, text.as_bytes())?;
        if !crate::report::style::quiet() {
            println!("created {path}");
        }
    }
    if crate::report::style::quiet() {
        return Ok(());
    }
    println!("next: edit {PROJECT_FILE} (project and datasets), then run `bqflat build {dir}`");
    Ok(())
}

fn same_file(a: &Utf8Path, b: &Utf8Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// One spec per event of the catalog, listing every key it saw with a type.
fn specs_from(
    catalog: &Catalog,
    events: &Utf8Path,
) -> Result<Vec<(Utf8PathBuf, String)>, Diagnostics> {
    let mut files = Vec::new();
    let mut problems = Diagnostics::default();
    for event in catalog.events() {
        if let Err(problem) = names::check_event(event) {
            problems.push(
                Diagnostic::new(format!("{problem} (in {})", catalog.path))
                    .hint("remove the event's rows from the catalog"),
            );
            continue;
        }
        let item_params = catalog.keys(event, "item_params");
        let mut taken: BTreeSet<String> = DEFAULT_COLUMNS
            .iter()
            .map(|path| path.replace('.', "_"))
            .collect();
        if !item_params.is_empty() {
            taken.insert("item_index".into());
            taken.extend(DEFAULT_ITEM_FIELDS.iter().map(|f| {
                if f.starts_with("item_") {
                    f.to_string()
                } else {
                    format!("item_{f}")
                }
            }));
        }
        let mut notes = Vec::new();
        let mut typed = |array: &str, prefix: &str| -> Params {
            let params = catalog
                .keys(event, array)
                .iter()
                .map(|key| {
                    let (ty, mixed) = key.param_type();
                    if mixed {
                        notes.push(format!(
                            "{array} key {:?} was seen with values of several types",
                            key.key
                        ));
                    }
                    let mut name = names::column_from_key(&key.key);
                    let mut alias = None;
                    if taken.contains(&name.to_ascii_lowercase()) {
                        let base = format!("{prefix}_{name}");
                        name = base.clone();
                        let mut n = 2;
                        while taken.contains(&name.to_ascii_lowercase()) {
                            name = format!("{base}_{n}");
                            n += 1;
                        }
                        alias = Some(name.clone());
                    }
                    taken.insert(name.to_ascii_lowercase());
                    Param {
                        key: key.key.clone(),
                        ty: Some(ty).filter(|t| *t != ParamType::String),
                        alias,
                        required: None,
                    }
                })
                .collect();
            Params::List(params)
        };
        let spec = EventSpec {
            event: event.to_string(),
            params: typed("event_params", "param"),
            user_properties: typed("user_properties", "user"),
            item_params: typed("item_params", "item_param"),
            items: (!item_params.is_empty()).then_some(Items::Explode),
            ..EventSpec::default()
        };
        let yaml = serde_yaml::to_string(&spec).expect("a spec serializes");
        let mut text = format!(
            "# yaml-language-server: $schema=../{SCHEMAS_DIR}/{}\n# Scaffolded by `bqflat init --catalog` from {}: every key the event carried, typed by its\n# values. Delete the params you do not need.\n",
            crate::schema::EVENT_SCHEMA_FILE,
            catalog.path.file_name().unwrap_or(catalog.path.as_str())
        );
        if spec.items.is_some() {
            text.push_str(
                "# One row per item: the event's own values repeat on each of its item rows.\n",
            );
        }
        for note in &notes {
            text.push_str(&format!("# Check: {note}; it is typed loosely.\n"));
        }
        text.push_str(&yaml);
        files.push((events.join(format!("{event}.yaml")), text));
    }
    problems.into_result(files)
}
