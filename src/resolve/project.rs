//! Project-wide values from `bqflat.yaml` and the flags: where data comes from and goes to.

use crate::diagnostics::Diagnostics;
use crate::load::{Loaded, Overrides};
use crate::model::{Metadata, ShardKind, Source};
use crate::names;
use crate::spec::ProjectFile;

use super::reporter;
use super::sources::{self, SourcePart};
use super::{DEFAULT_SOURCE_TABLE, DEFAULT_TABLE_TEMPLATE};

/// Project-wide values: where data comes from and goes to.
pub(super) struct TopLevel {
    pub(super) location: Option<String>,
    pub(super) project: String,
    pub(super) target_dataset: String,
    /// The first export the project reads (`source_dataset`, or the first of `sources:`).
    pub(super) source: Source,
    /// `sources:` resolved; empty when the project reads `source_dataset` alone.
    pub(super) parts: Vec<SourcePart>,
    pub(super) table_template: String,
    pub(super) metadata: Metadata,
}

impl TopLevel {
    /// `need_target`: whether a target dataset is required (not for reading the source alone).
    pub(super) fn resolve(
        file: Option<&Loaded<ProjectFile>>,
        flags: &Overrides,
        need_target: bool,
        diagnostics: &mut Diagnostics,
    ) -> Option<TopLevel> {
        let value = file.map(|f| &f.value);
        let mut pick = |key: &str,
                        flag: &str,
                        from_flag: &Option<String>,
                        from_file: Option<&String>,
                        required: bool,
                        check: fn(&str) -> Result<(), String>| {
            let (text, at) = match (from_flag, from_file) {
                (Some(v), _) => (v.clone(), None),
                (None, Some(v)) => (v.clone(), file),
                (None, None) => {
                    if required {
                        diagnostics.push(reporter::missing_setting(key, flag, file));
                    }
                    return None;
                }
            };
            match check(&text) {
                Ok(()) => Some(text),
                Err(problem) => {
                    let d = reporter::invalid_setting(key, flag, at, problem);
                    let hint = match key {
                        "project" | "source_project" => "use the project id the Google Cloud console shows, e.g. `my-gcp-project`",
                        "source_table" => "use `events_*` for the GA4 export, or the name of one date-partitioned table",
                        "source_date_column" => "name the DATE column the source table is partitioned by",
                        "location" => "use a BigQuery location: a multi-region (`US`, `EU`) or a region such as `europe-west3`, as the dataset's details in the console show it",
                        _ => "BigQuery dataset and table names use letters, digits and underscores",
                    };
                    diagnostics.push(d.hint(hint));
                    None
                }
            }
        };
        let project = pick(
            "project",
            "--project",
            &flags.project,
            value.and_then(|v| v.project.as_ref()),
            true,
            names::check_project,
        );
        let source_project = pick(
            "source_project",
            "",
            &None,
            value.and_then(|v| v.source_project.as_ref()),
            false,
            names::check_project,
        );
        // `--source-dataset` reads that export alone, whatever the file lists.
        let listed = flags.source_dataset.is_none() && value.is_some_and(|v| !v.sources.is_empty());
        let source_dataset = pick(
            "source_dataset",
            "--source-dataset",
            &flags.source_dataset,
            value.and_then(|v| v.source_dataset.as_ref()),
            !listed,
            names::check_dataset,
        );
        let target_dataset = pick(
            "target_dataset",
            "--target-dataset",
            &flags.target_dataset,
            value.and_then(|v| v.target_dataset.as_ref()),
            need_target,
            names::check_dataset,
        );
        let source_table = pick(
            "source_table",
            "",
            &None,
            value.and_then(|v| v.source_table.as_ref()),
            false,
            names::check_source_table,
        )
        .unwrap_or_else(|| DEFAULT_SOURCE_TABLE.to_string());
        let date_column = pick(
            "source_date_column",
            "",
            &None,
            value.and_then(|v| v.source_date_column.as_ref()),
            false,
            names::check_column,
        );
        let location = pick(
            "location",
            "",
            &None,
            value.and_then(|v| v.location.as_ref()),
            false,
            names::check_location,
        );
        let table_template = flags
            .table_template
            .clone()
            .or_else(|| value.and_then(|v| v.table_template.clone()))
            .unwrap_or_else(|| DEFAULT_TABLE_TEMPLATE.to_string());
        let metadata_names = value.and_then(|v| v.metadata.clone());
        let watermarks = pick(
            "metadata.watermarks",
            "",
            &None,
            metadata_names.as_ref().and_then(|m| m.watermarks.as_ref()),
            false,
            names::check_table,
        )
        .unwrap_or_else(|| "_metadata".into());
        let runs = pick(
            "metadata.runs",
            "",
            &None,
            metadata_names.as_ref().and_then(|m| m.runs.as_ref()),
            false,
            names::check_table,
        )
        .unwrap_or_else(|| "_runs".into());

        if watermarks.eq_ignore_ascii_case(&runs) {
            if let Some(file) = file {
                let at = if file.has("metadata.runs") {
                    "metadata.runs"
                } else {
                    "metadata.watermarks"
                };
                diagnostics.push(
                    file.error_at(
                        at,
                        format!(
                            "`metadata.watermarks` and `metadata.runs` both name table `{runs}`"
                        ),
                    )
                    .hint("give each its own name, e.g. `{watermarks: _metadata, runs: _runs}`"),
                );
            }
        }
        let sharded = source_table.ends_with('*');
        if let (true, Some(file)) = (sharded, file) {
            if file.has("source_date_column") {
                diagnostics.push(
                    file.error_at(
                        "source_date_column",
                        "`source_date_column` applies to a partitioned source table only",
                    )
                    .hint(
                        "the sharded export is pruned by shard date; remove `source_date_column`",
                    ),
                );
            }
        }
        let target_dataset = match target_dataset {
            Some(dataset) => dataset,
            None if !need_target => String::new(),
            None => return None,
        };
        let project = project?;
        let source_project = source_project.unwrap_or_else(|| project.clone());
        let base = Source {
            project: source_project.clone(),
            dataset: source_dataset.clone().unwrap_or_default(),
            table: source_table,
            sharded,
            shards: vec![ShardKind::Daily],
            date_column,
        };
        let parts = match file {
            Some(file) if listed => {
                if file.has("source_dataset") {
                    diagnostics.push(
                        file.error_at("source_dataset", "`source_dataset` and `sources` both name the export")
                            .hint("list every export dataset under `sources:` and remove `source_dataset`"),
                    );
                }
                sources::resolve(file, &base, &source_project, diagnostics)
            }
            _ => Vec::new(),
        };
        let source = match parts.first() {
            Some(first) => first.source.clone(),
            None if listed => return None,
            None => Source {
                dataset: source_dataset?,
                ..base
            },
        };
        Some(TopLevel {
            source,
            parts,
            metadata: Metadata {
                project: project.clone(),
                dataset: target_dataset.clone(),
                watermarks,
                runs,
            },
            project,
            target_dataset,
            table_template,
            location,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, project, table, FILE};
    use super::super::{resolve, resolve_sources};
    use crate::load::Overrides;

    #[test]
    fn a_missing_project_points_at_the_file_and_names_the_flag() {
        let d = error("source_dataset: raw\ntarget_dataset: flat\n", "event: a\n");
        assert_eq!(d.message, "no `project` given");
        assert_eq!(
            d.hint.as_deref(),
            Some("set `project:` in bqflat.yaml or pass --project")
        );
        assert_eq!(d.location.unwrap().file.as_str(), "bqflat.yaml");
    }

    #[test]
    fn the_project_flag_beats_the_file_and_the_source_follows_it() {
        let flags = Overrides {
            project: Some("other-project".into()),
            ..Overrides::default()
        };
        let build = resolve(&project(FILE, &["event: a\n"]), &flags).unwrap();
        let t = &build.tables[0];
        assert_eq!(t.project, "other-project");
        assert_eq!(t.source.project, "other-project");
        assert_eq!(t.metadata.project, "other-project");
        let t = table(
            &format!("{FILE}source_project: export-project\n"),
            "event: a\n",
        );
        assert_eq!(
            (t.project.as_str(), t.source.project.as_str()),
            ("my-gcp-project", "export-project")
        );
    }

    #[test]
    fn the_source_needs_no_target_dataset_but_a_sharded_one_takes_no_date_column() {
        let p = project("project: my-gcp-project\nsource_dataset: raw\n", &[]);
        let source = resolve_sources(&p, &Overrides::default())
            .unwrap()
            .remove(0);
        assert_eq!(
            (source.dataset.as_str(), source.table.as_str()),
            ("raw", "events_*")
        );
        assert!(source.sharded);
        let d = error(&format!("{FILE}source_date_column: day\n"), "event: a\n");
        assert_eq!(
            d.message,
            "`source_date_column` applies to a partitioned source table only"
        );
    }
}
