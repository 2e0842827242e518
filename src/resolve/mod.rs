//! From the files and flags a user gave to the resolved [`Build`]: defaults applied, names checked,
//! columns typed. Every problem is collected, each pointing at the file, line and column that caused
//! it (or at the flag), so one run reports them all.
//!
//! One concern per file:
//! - `mod.rs`: the order of steps — project defaults, then each event, then tables that collide.
//! - `reporter.rs`: which file or flag set a value, and the diagnostic that points there.
//! - `project.rs`: project-wide values (projects, datasets, source table, metadata tables).
//! - `event.rs`: one event's settings merged and resolved into a [`Table`].
//! - `naming.rs`: the table's project, dataset and name from `table:` or the template.
//! - `window.rs`: the date window and the lookback.
//! - `columns.rs`: the output columns, standard ones, and names that collide.
//! - `params.rs`: event params and user properties, listed or chosen by glob from the catalog.
//! - `items.rs`: the `items` array kept, dropped or exploded into item columns.
//! - `layout.rs`: partitioning and clustering.
//! - `limits.rs`: BigQuery's limits on a whole table (columns, labels, description, metadata names).
//! - `dedupe.rs`: the dedupe key and the order that picks the row kept.
//! - `types.rs`: SQL types of params and which types may be ordered by.

mod columns;
mod dedupe;
mod event;
mod items;
mod layout;
mod limits;
mod naming;
mod params;
mod project;
mod reporter;
mod sources;
mod types;
mod urls;
mod window;

use std::collections::BTreeMap;

use crate::diagnostics::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::{Loaded, Overrides, Project};
use crate::model::{Build, Setup, Source, Table, UnionView};
use crate::names;
use crate::spec::{EventSpec, Target};

use event::EventCtx;
use project::TopLevel;

pub(crate) const DEFAULT_TABLE_TEMPLATE: &str = "event_{event}_flat";
pub(crate) const DEFAULT_SOURCE_TABLE: &str = "events_*";
pub(crate) const DEFAULT_LOOKBACK: &str = "3d";
pub(crate) const DEFAULT_PARTITION: &str = "event_date";
pub(crate) const DEFAULT_ORDER_BY: &str = "event_ts";
pub(crate) const DEFAULT_KEY: &str = "event_key";
pub(crate) const MAX_CLUSTER_COLUMNS: usize = 4;
const EVENT_NAME_HINT: &str = "use the event's GA4 name, e.g. `purchase` or `level_up`";

/// Checks the project and the flags together and resolves every table.
pub(crate) fn resolve(project: &Project, flags: &Overrides) -> Result<Build, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let file = project.file.as_ref();
    if file.is_none() && project.specs.is_empty() && no_project_flags(flags) {
        // Without a project and without the seed's flags, every required setting is missing: one
        // error says why.
        let here = if project.dir == "." {
            "here or in a folder above".to_string()
        } else {
            format!("in {}", project.dir)
        };
        return Err(Diagnostic::new(format!("no bqflat.yaml {here}"))
            .hint("run bqflat inside a project (`bqflat init DIR` makes one), pass its folder, or pass --project, --source-dataset and --target-dataset")
            .into());
    }
    let top = TopLevel::resolve(file, flags, true, &mut diagnostics);

    let mut specs: BTreeMap<String, &Loaded<EventSpec>> = BTreeMap::new();
    for spec in &project.specs {
        let name = &spec.value.event;
        if let Some(first) = specs.get(name) {
            diagnostics.push(
                spec.error_at(
                    "event",
                    format!("event `{name}` is already defined in {}", first.path),
                )
                .hint("keep one spec per event; merge the two files"),
            );
        } else {
            specs.insert(name.clone(), spec);
        }
    }

    // The events to build: every spec plus the project file's `events:`. `--events` picks from
    // them, so a selective build leaves the other tables alone; only a project without any
    // events (the seed's flags alone) takes its list as the set.
    let in_file: Vec<(String, Option<String>)> = file
        .map(|f| {
            f.value
                .events
                .iter()
                .enumerate()
                .map(|(i, e)| (e.clone(), Some(format!("events[{i}]"))))
                .collect()
        })
        .unwrap_or_default();
    let selecting = flags.events.is_some() && !(specs.is_empty() && in_file.is_empty());
    let listed: Vec<(String, Option<String>)> = match &flags.events {
        Some(events) if !selecting => events.iter().map(|e| (e.clone(), None)).collect(),
        _ => in_file,
    };
    let mut wanted: BTreeMap<String, Option<&Loaded<EventSpec>>> = BTreeMap::new();
    if flags.events.is_none() || selecting {
        wanted.extend(specs.iter().map(|(name, spec)| (name.clone(), Some(*spec))));
    }
    for (name, at) in &listed {
        if let Err(problem) = names::check_event(name) {
            diagnostics.push(match (at, file) {
                (Some(path), Some(file)) => file.error_at(path, problem).hint(EVENT_NAME_HINT),
                _ => Diagnostic::new(format!("{problem} (in --events)")).hint(EVENT_NAME_HINT),
            });
            continue;
        }
        wanted.insert(name.clone(), specs.get(name).copied());
    }
    let selection = match &flags.events {
        Some(events) if selecting => Some(select_events(events, &wanted, &mut diagnostics)),
        _ => None,
    };
    if wanted.is_empty() {
        diagnostics.push(Diagnostic::new("no events to build").hint(
            "add a spec under events/, list names under `events:` in bqflat.yaml, or pass --events",
        ));
    }

    let mut tables: Vec<Table> = Vec::new();
    let mut views: Vec<UnionView> = Vec::new();
    let mut warnings = Vec::new();
    if let Some(top) = &top {
        for (name, spec) in &wanted {
            let default_spec;
            let spec_value = match spec {
                Some(loaded) => &loaded.value,
                None => {
                    default_spec = EventSpec {
                        event: name.clone(),
                        ..EventSpec::default()
                    };
                    &default_spec
                }
            };
            let mut ctx = EventCtx {
                templates: project.templates.as_deref(),
                catalog: project.catalog.as_ref(),
                warnings: &mut warnings,
                spec: *spec,
                file,
                flags,
                diagnostics: &mut diagnostics,
                event: name,
                shared: false,
            };
            let spec_file = spec.map(|s| project.relative(&s.path).to_string());
            let Some(table) = ctx.resolve(top, spec_value, spec_file) else {
                continue;
            };
            if top.parts.is_empty() {
                tables.push(table);
            } else if let Some((parts, view)) = ctx.split(table, &top.parts) {
                tables.extend(parts);
                views.push(view);
            }
        }
    }

    let mut by_name: BTreeMap<String, &str> = BTreeMap::new();
    let written = tables
        .iter()
        .map(|t| (t.event.as_str(), t.full_name()))
        .chain(views.iter().map(|v| (v.event.as_str(), v.full_name())));
    for (event, full_name) in written {
        let full = full_name.to_ascii_lowercase();
        if let Some(other) = by_name.get(&full) {
            let message = format!("events `{other}` and `{event}` both write table `{full_name}`");
            let d = match specs.get(event) {
                Some(spec) => spec.error_at("table", message),
                None => Diagnostic::new(message),
            };
            diagnostics.push(
                d.hint("give one of them its own `table:`, or use `{event}` in the table template"),
            );
        } else {
            by_name.insert(full, event);
        }
    }

    let diagnostics = diagnostics.sorted();
    let top = match top {
        Some(top) if diagnostics.is_empty() => top,
        _ => return Err(diagnostics),
    };
    tables.sort_by_key(Table::full_name);
    views.sort_by_key(UnionView::full_name);
    let mut datasets: Vec<String> = tables
        .iter()
        .map(|t| format!("{}.{}", t.project, t.dataset))
        .collect();
    datasets.push(format!("{}.{}", top.project, top.metadata.dataset));
    datasets.sort();
    datasets.dedup();
    let mut targets = match (&flags.targets, file) {
        (Some(targets), _) => targets.clone(),
        (None, Some(file)) if !file.value.targets.is_empty() => file.value.targets.clone(),
        _ => vec![Target::Bigquery],
    };
    targets.sort();
    targets.dedup();
    let mut build = Build {
        targets,
        setup: Setup {
            datasets,
            metadata: top.metadata,
            location: top.location,
        },
        tables,
        views,
        warnings,
        selection,
    };
    let overridden = crate::render::bigquery::overridden(project.templates.as_deref());
    let reads = crate::cost::TableReads::all(&build, &overridden);
    for (t, r) in build.tables.iter_mut().zip(reads) {
        t.reads = Some(r);
    }
    Ok(build)
}

/// The events `--events` picks from the project's; a name the project does not build is an
/// error, since building it would plan a new table with the defaults for a typo.
fn select_events(
    events: &[String],
    wanted: &BTreeMap<String, Option<&Loaded<EventSpec>>>,
    diagnostics: &mut Diagnostics,
) -> std::collections::BTreeSet<String> {
    let mut selection = std::collections::BTreeSet::new();
    for name in events {
        if wanted.contains_key(name) {
            selection.insert(name.clone());
            continue;
        }
        let hint = match did_you_mean(name, wanted.keys().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "the project's events are {}; add a spec under events/ or list it under `events:` in bqflat.yaml",
                listing(wanted.keys())
            ),
        };
        diagnostics.push(
            Diagnostic::new(format!("no event `{name}` in the project (in --events)")).hint(hint),
        );
    }
    selection
}

fn no_project_flags(flags: &Overrides) -> bool {
    flags.project.is_none() && flags.source_dataset.is_none() && flags.target_dataset.is_none()
}

/// Up to ten names as `a`, `b`, … for a hint.
fn listing<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    match names.len() {
        0..=10 => names.join(", "),
        n => format!("{}, … ({n} in all)", names[..10].join(", ")),
    }
}

/// Where the project's GA4 exports are (every entry of `sources:`, else the one export), from the
/// project file and flags alone (no events needed): what `discover-sql` reads.
pub(crate) fn resolve_sources(
    project: &Project,
    flags: &Overrides,
) -> Result<Vec<Source>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let top = TopLevel::resolve(project.file.as_ref(), flags, false, &mut diagnostics);
    match top {
        Some(top) if diagnostics.is_empty() && top.parts.is_empty() => Ok(vec![top.source]),
        Some(top) if diagnostics.is_empty() => {
            Ok(top.parts.into_iter().map(|p| p.source).collect())
        }
        _ => Err(diagnostics.sorted()),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::diagnostics::Diagnostic;
    use crate::load::yaml::parse_yaml;
    use crate::load::{Overrides, Project};
    use crate::model::Table;
    use crate::spec::ProjectFile;
    use camino::Utf8Path;

    pub(crate) fn project(file: &str, specs: &[&str]) -> Project {
        let file = parse_yaml(
            Utf8Path::new("bqflat.yaml"),
            file.to_string(),
            Some(ProjectFile::default()),
            "",
        )
        .unwrap();
        let specs = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_yaml(
                    Utf8Path::new(&format!("events/{i}.yaml")),
                    s.to_string(),
                    None,
                    "",
                )
                .unwrap()
            })
            .collect();
        Project {
            dir: ".".into(),
            file: Some(file),
            specs,
            templates: None,
            catalog: None,
        }
    }

    /// The one table `spec` resolves to under the project file `file`, with no flags.
    pub(crate) fn table(file: &str, spec: &str) -> Table {
        let build = super::resolve(&project(file, &[spec]), &Overrides::default());
        build.unwrap().tables.remove(0)
    }

    /// The errors resolving `spec` under `file` reports, with no flags.
    pub(crate) fn errors(file: &str, spec: &str) -> Vec<Diagnostic> {
        let result = super::resolve(&project(file, &[spec]), &Overrides::default());
        result.unwrap_err().0
    }

    /// The one error resolving `spec` reports.
    pub(crate) fn error(file: &str, spec: &str) -> Diagnostic {
        let mut errors = errors(file, spec);
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.remove(0)
    }

    pub(crate) const FILE: &str =
        "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n";
}

#[cfg(test)]
mod tests {
    use super::test_support::{project, FILE};
    use super::*;
    use crate::ga4::DEFAULT_COLUMNS;
    use crate::model::{IntervalUnit, Lookback, PartitionType};
    use crate::spec::Mode;

    #[test]
    fn defaults_resolve_to_a_full_build_partitioned_by_event_date() {
        let build = resolve(
            &project(FILE, &["event: purchase\n"]),
            &Overrides::default(),
        )
        .unwrap();
        let t = &build.tables[0];
        assert_eq!(t.full_name(), "my-gcp-project.flat.event_purchase_flat");
        assert_eq!(t.mode, Mode::Full);
        assert_eq!(
            (t.partition.column.as_str(), t.partition.ty),
            ("event_date", PartitionType::Date)
        );
        assert_eq!(t.dedupe.key, ["event_key"]);
        assert!(t.dedupe.nullable.is_empty());
        assert_eq!(
            t.lookback,
            Lookback {
                amount: 3,
                unit: IntervalUnit::Day,
                text: "3d".into()
            }
        );
        assert_eq!(t.source.table, "events_*");
        assert!(t.source.sharded && !t.source.intraday());
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), DEFAULT_COLUMNS.len());
        assert_eq!(build.setup.datasets, ["my-gcp-project.flat"]);
    }

    #[test]
    fn events_listed_without_specs_get_the_defaults() {
        let p = project(
            &format!("{FILE}events: [purchase, refund]\n"),
            &["event: purchase\nmode: incremental\n"],
        );
        let build = resolve(&p, &Overrides::default()).unwrap();
        let modes: Vec<(&str, Mode)> = build
            .tables
            .iter()
            .map(|t| (t.event.as_str(), t.mode))
            .collect();
        assert_eq!(
            modes,
            [("purchase", Mode::Incremental), ("refund", Mode::Full)]
        );
        assert_eq!(build.tables[1].spec_file, None);
    }
}
