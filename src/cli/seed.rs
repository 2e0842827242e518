//! The original tool's flags, accepted verbatim: each overrides the project's files.

use std::collections::BTreeSet;

use clap::{Args, ValueEnum};

use crate::load::Overrides;
use crate::spec::{self, Mode, Names, Settings};

/// The original tool's flags, accepted verbatim; each overrides the project's files.
#[derive(Debug, Args)]
pub(super) struct SeedFlags {
    /// GCP project id.
    #[arg(long)]
    project: Option<String>,
    /// Dataset of the GA4 export.
    #[arg(long)]
    source_dataset: Option<String>,
    /// Dataset the flattened tables are written to.
    #[arg(long)]
    target_dataset: Option<String>,
    /// Comma-separated events to build (each uses its spec if it has one, the defaults otherwise).
    #[arg(long, value_delimiter = ',')]
    events: Option<Vec<String>>,
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// First shard date read, YYYY-MM-DD.
    #[arg(long)]
    start_date: Option<String>,
    /// Last shard date read, YYYY-MM-DD.
    #[arg(long)]
    end_date: Option<String>,
    /// DATE or TIMESTAMP output column to partition by.
    #[arg(long)]
    partition_by: Option<String>,
    /// Comma-separated columns to cluster by (at most 4).
    #[arg(long, value_parser = name_list)]
    cluster_by: Option<String>,
    /// Column(s) or event param that identify a row, comma-separated.
    #[arg(long, value_parser = name_list)]
    dedupe_key: Option<String>,
    /// Table name template: {event}, {dataset}, {version}.
    #[arg(long)]
    table_template: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Full,
    Incremental,
}

/// A comma-separated list with an empty name in it (`,`, `a,,b`, ``) is a typo, not a request
/// for no columns: the settings it would silently drop stay what the files say.
fn name_list(text: &str) -> Result<String, String> {
    if text.split(',').any(|name| name.trim().is_empty()) {
        Err(format!(
            "{text:?} has an empty column name; list names separated by commas, e.g. `event_name,platform`"
        ))
    } else {
        Ok(text.to_string())
    }
}

impl SeedFlags {
    pub(super) fn overrides(&self) -> Overrides {
        let mut flags = BTreeSet::new();
        let mut note = |setting: &'static str, flag: &'static str, set: bool| {
            if set {
                flags.insert((setting, flag));
            }
        };
        note("mode", "--mode", self.mode.is_some());
        note(
            "window",
            "--start-date/--end-date",
            self.start_date.is_some() || self.end_date.is_some(),
        );
        note(
            "partition_by",
            "--partition-by",
            self.partition_by.is_some(),
        );
        note("cluster_by", "--cluster-by", self.cluster_by.is_some());
        note("dedupe", "--dedupe-key", self.dedupe_key.is_some());
        note(
            "table_template",
            "--table-template",
            self.table_template.is_some(),
        );
        let window = (self.start_date.is_some() || self.end_date.is_some()).then(|| spec::Window {
            start: self.start_date.clone(),
            end: self.end_date.clone(),
        });
        let settings = Settings {
            mode: self.mode.map(|m| match m {
                ModeArg::Full => Mode::Full,
                ModeArg::Incremental => Mode::Incremental,
            }),
            window,
            partition_by: self.partition_by.clone(),
            cluster_by: self.cluster_by.clone().map(Names::One),
            dedupe: self.dedupe_key.clone().map(|key| spec::Dedupe {
                key: Some(Names::One(key)),
                ..spec::Dedupe::default()
            }),
            ..Settings::default()
        };
        Overrides {
            project: self.project.clone(),
            source_dataset: self.source_dataset.clone(),
            target_dataset: self.target_dataset.clone(),
            table_template: self.table_template.clone(),
            events: self.events.clone(),
            targets: None,
            settings,
            flags,
        }
    }
}
