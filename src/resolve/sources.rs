//! `sources:`: the export datasets a project reads, each with the `property_id` its rows carry.

use crate::diagnostics::Diagnostics;
use crate::load::Loaded;
use crate::model::{Origin, Source, Table, UnionView};
use crate::names;
use crate::spec::ProjectFile;

use super::columns::{standard_column, Columns};
use super::event::EventCtx;
use super::project::TopLevel;

/// The computed column holding the source's property id.
const PROPERTY_ID: &str = "property_id";

/// The longest `property_id`: it is a table name's suffix, and GA4's property ids have 9 to 10
/// digits.
const MAX_PROPERTY_ID: usize = 64;

/// One export dataset of `sources:`, resolved.
#[derive(Debug, Clone)]
pub(super) struct SourcePart {
    pub(super) source: Source,
    pub(super) property_id: String,
}

/// The property id an export dataset's name carries: GA4 names it `analytics_<property id>`.
fn property_of(dataset: &str) -> Option<&str> {
    dataset
        .strip_prefix("analytics_")
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn check_property_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_PROPERTY_ID {
        return Err(format!(
            "invalid property_id `{}`: 1 to {MAX_PROPERTY_ID} characters",
            names::prefix(id, 40)
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!(
            "invalid property_id `{}`: letters, digits and underscores only (it ends the table's name)",
            names::prefix(id, 40)
        ));
    }
    Ok(())
}

/// Every entry of the project file's `sources:`, each like `base` (the source table, its shards)
/// in its own project and dataset. `default_project` is `source_project`, else `project`.
pub(super) fn resolve(
    file: &Loaded<ProjectFile>,
    base: &Source,
    default_project: &str,
    diagnostics: &mut Diagnostics,
) -> Vec<SourcePart> {
    let mut parts: Vec<SourcePart> = Vec::new();
    for (i, entry) in file.value.sources.iter().enumerate() {
        let at = format!("sources[{i}]");
        let (project, dataset, property_id) = entry.parts();
        let mut ok = true;
        if let Some(Err(problem)) = project.map(names::check_project) {
            diagnostics.push(
                file.error_at(&at, problem)
                    .hint("write `dataset` or `project.dataset`, with the project id the Google Cloud console shows"),
            );
            ok = false;
        }
        if let Err(problem) = names::check_dataset(dataset) {
            diagnostics.push(
                file.error_at(&at, problem)
                    .hint("name the export dataset, e.g. `analytics_287163560`"),
            );
            ok = false;
        }
        let property_id = match property_id.or_else(|| property_of(dataset)) {
            Some(id) => match check_property_id(id) {
                Ok(()) => id.to_string(),
                Err(problem) => {
                    diagnostics.push(
                        file.error_at(&at, problem)
                            .hint("use the property's id, e.g. `property_id: web`"),
                    );
                    continue;
                }
            },
            None => {
                diagnostics.push(
                    file.error_at(&at, format!("source `{dataset}` names no property_id"))
                        .hint(format!(
                            "only `analytics_<digits>` datasets name their own; write `{{dataset: {dataset}, property_id: <id>}}`"
                        )),
                );
                continue;
            }
        };
        if !ok {
            continue;
        }
        let project = project.unwrap_or(default_project).to_string();
        if let Some(other) = parts
            .iter()
            .find(|p| p.property_id.eq_ignore_ascii_case(&property_id))
        {
            let same = other.source.project == project && other.source.dataset == dataset;
            let message = if same {
                format!("source `{project}.{dataset}` is listed twice")
            } else {
                format!(
                    "sources `{}.{}` and `{project}.{dataset}` both have property_id `{property_id}`",
                    other.source.project, other.source.dataset
                )
            };
            diagnostics.push(file.error_at(&at, message).hint(if same {
                "list each export dataset once"
            } else {
                "give one of them its own `property_id`"
            }));
            continue;
        }
        parts.push(SourcePart {
            source: Source {
                project,
                dataset: dataset.to_string(),
                ..base.clone()
            },
            property_id,
        });
    }
    parts
}

impl EventCtx<'_> {
    /// The `property_id` column: added after `event_date` to every table of a project with
    /// `sources:` (unless `columns:` places it), and an error anywhere else.
    pub(super) fn property_column(&mut self, top: &TopLevel, columns: &mut Columns) {
        let listed = columns
            .list
            .iter()
            .any(|c| matches!(&c.origin, Origin::Computed { name } if name == PROPERTY_ID));
        if top.parts.is_empty() {
            if listed {
                self.error(
                    "columns",
                    "column `property_id` is the property of a source under `sources:`",
                    "list the export datasets under `sources:` in bqflat.yaml, or remove `property_id`",
                );
            }
            return;
        }
        if !listed {
            let at = columns
                .list
                .iter()
                .position(|c| c.name == "event_date")
                .map_or(0, |i| i + 1);
            if let Some(column) = standard_column(PROPERTY_ID) {
                columns.list.insert(at, column);
            }
        }
    }

    /// One table per source, `<table>__<property_id>`, and the view named as the table that
    /// reads them all.
    pub(super) fn split(
        &mut self,
        table: Table,
        parts: &[SourcePart],
    ) -> Option<(Vec<Table>, UnionView)> {
        let mut tables = Vec::new();
        for part in parts {
            let name = format!("{}__{}", table.name, part.property_id);
            if let Err(problem) = names::check_table(&name) {
                let at = if self.spec.is_some_and(|s| s.has("table")) {
                    "table"
                } else {
                    "table_template"
                };
                self.error(
                    at,
                    format!("the table of source `{}`: {problem}", part.source.dataset),
                    "choose a shorter table name or property_id",
                );
                return None;
            }
            tables.push(Table {
                name,
                source: Source {
                    shards: table.source.shards.clone(),
                    ..part.source.clone()
                },
                property_id: Some(part.property_id.clone()),
                ..table.clone()
            });
        }
        let view = UnionView {
            event: table.event.clone(),
            spec_file: table.spec_file.clone(),
            version: table.version,
            project: table.project.clone(),
            dataset: table.dataset.clone(),
            name: table.name.clone(),
            description: table.description.clone(),
            labels: table.labels.clone(),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            tables: tables.iter().map(Table::full_name).collect(),
        };
        Some((tables, view))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, project};
    use super::property_of;
    use crate::load::Overrides;

    const SOURCES: &str = "project: my-gcp-project\ntarget_dataset: flat\nsources:\n  - analytics_111\n  - {project: acme-app-prod, dataset: raw_app, property_id: app}\n";

    #[test]
    fn a_ga4_dataset_names_its_property() {
        assert_eq!(property_of("analytics_287163560"), Some("287163560"));
        assert_eq!(property_of("analytics_"), None);
        assert_eq!(property_of("analytics_12a"), None);
        assert_eq!(property_of("raw_events"), None);
    }

    #[test]
    fn each_source_gets_its_table_with_its_property_and_one_view_reads_them() {
        let build = super::super::resolve(
            &project(SOURCES, &["event: purchase\n"]),
            &Overrides::default(),
        )
        .unwrap();
        let names: Vec<String> = build.tables.iter().map(|t| t.full_name()).collect();
        assert_eq!(
            names,
            [
                "my-gcp-project.flat.event_purchase_flat__111",
                "my-gcp-project.flat.event_purchase_flat__app"
            ]
        );
        let app = &build.tables[1];
        assert_eq!(
            (app.source.project.as_str(), app.source.dataset.as_str()),
            ("acme-app-prod", "raw_app")
        );
        assert_eq!(app.property_id.as_deref(), Some("app"));
        assert_eq!(app.columns[1].name, "property_id");
        assert_eq!(build.views.len(), 1);
        assert_eq!(
            build.views[0].full_name(),
            "my-gcp-project.flat.event_purchase_flat"
        );
        assert_eq!(build.views[0].tables, names);
    }

    #[test]
    fn a_dataset_without_a_property_id_points_at_its_entry() {
        let d = error(
            "project: my-gcp-project\ntarget_dataset: flat\nsources:\n  - analytics_1\n  - raw_app\n",
            "event: a\n",
        );
        assert_eq!(d.message, "source `raw_app` names no property_id");
        assert_eq!(d.location.unwrap().line, 5);
    }

    #[test]
    fn two_sources_with_one_property_id_and_both_settings_are_errors() {
        let d = error(
            "project: my-gcp-project\ntarget_dataset: flat\nsources:\n  - analytics_1\n  - {dataset: other, property_id: \"1\"}\n",
            "event: a\n",
        );
        assert!(
            d.message.contains("both have property_id `1`"),
            "{}",
            d.message
        );
        let d = error(&format!("{SOURCES}source_dataset: raw\n"), "event: a\n");
        assert_eq!(
            d.message,
            "`source_dataset` and `sources` both name the export"
        );
    }

    #[test]
    fn property_id_as_a_column_needs_sources() {
        let d = error(
            "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n",
            "event: a\ncolumns: [event_date, property_id]\n",
        );
        assert!(d.message.contains("`property_id`"), "{}", d.message);
    }
}
