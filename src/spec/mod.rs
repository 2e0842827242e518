//! The YAML a user writes. These types are the single source of truth for the JSON schemas under
//! `schemas/` (schemars) and for parsing (serde); semantic checks live in `resolve/`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[macro_use]
mod settings;
mod sources;
mod url;
pub(crate) use settings::Settings;
pub(crate) use sources::SourceEntry;
pub(crate) use url::{UrlParam, UrlParamType};

per_event_settings!(with_settings {
    /// `bqflat.yaml`: where the events come from and go to, and defaults for every event.
    /// The seed's `--config` file is accepted as it is.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[schemars(title = "bqflat project file")]
    pub struct ProjectFile {
        /// GCP project id holding the target dataset (and the source dataset, unless
        /// `source_project` is set).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub project: Option<String>,
        /// GCP project id of the GA4 export, when it differs from `project`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_project: Option<String>,
        /// Dataset of the GA4 export (`analytics_123456789`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_dataset: Option<String>,
        /// Several export datasets read into the same tables, instead of `source_dataset`: each
        /// event gets a table per source (`<table>__<property_id>`, with a `property_id` column)
        /// and a view named like the table over all of them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub sources: Vec<SourceEntry>,
        /// Source table: the sharded export `events_*` (default), or one date-partitioned table.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_table: Option<String>,
        /// For a partitioned `source_table`: its DATE partition column, used to prune the read.
        /// Without it rows are filtered on the export's `event_date`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_date_column: Option<String>,
        /// Dataset the flattened tables are written to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target_dataset: Option<String>,
        /// BigQuery location of the datasets (`US`, `EU`, `europe-west3`): new target datasets
        /// are created there, and the dbt profile and Dataform settings name it. Default: the
        /// location BigQuery picks for the job (`US` for dbt and Dataform).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub location: Option<String>,
        /// Events built with the defaults when no file under `events/` describes them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub events: Vec<String>,
        /// Table name for every event: `{event}`, `{dataset}` (target dataset) and `{version}`
        /// are replaced. Default `event_{event}_flat`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub table_template: Option<String>,
        /// Names of the metadata tables in the target dataset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<MetadataTables>,
        /// Output folder, relative to the project directory. Default `build`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub output: Option<String>,
        /// What `build` generates: `bigquery` scripts (default), a `dbt` project, a `dataform`
        /// project, or several of them. `--target` overrides it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub targets: Vec<Target>,
        /// The discovery result (`bqflat discover-sql` saved as JSON) that `include`/`exclude`
        /// param globs are resolved against, relative to the project directory. Default
        /// `catalog.json` when it exists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub catalog: Option<String>,
        /// Event params every table gets (`ga_session_id`, `page_location`, …), before its own:
        /// a list (globs are per event). An event's own entry for a key replaces the one here.
        #[serde(default, skip_serializing_if = "Params::is_empty")]
        pub params: Params,
        /// User properties every table gets, the same way.
        #[serde(default, skip_serializing_if = "Params::is_empty")]
        pub user_properties: Params,
    }
});

per_event_settings!(with_settings {
    /// One file under `events/`: the flattened table of one GA4 event.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[schemars(title = "bqflat event spec")]
    pub struct EventSpec {
        /// GA4 event name: letters, digits and underscores, starting with a letter, at most 40.
        pub event: String,
        /// Output table name; overrides `table_template`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub table: Option<String>,
        /// Spec version (1 and up). Goes into the file header, the manifest and `{version}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub version: Option<u32>,
        /// Table description (goes into the table's OPTIONS).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Typed columns taken from `event_params`: a list of keys, or `include`/`exclude` globs
        /// resolved against the project's catalog.
        #[serde(default, skip_serializing_if = "Params::is_empty")]
        pub params: Params,
        /// Typed columns taken from `user_properties`: a list, or globs over the catalog.
        #[serde(default, skip_serializing_if = "Params::is_empty")]
        pub user_properties: Params,
        /// Typed columns taken from `items.item_params` (with `items: explode`): a list, or globs
        /// over the catalog.
        #[serde(default, skip_serializing_if = "Params::is_empty")]
        pub item_params: Params,
    }
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Full,
    Incremental,
}

/// An output flavour; each goes into its own folder of the output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// `bigquery/`: self-contained scripts for `bq query`, with `_setup.sql` and migrations.
    Bigquery,
    /// `dbt/`: a dbt project (dbt-bigquery) with one incremental model per event.
    Dbt,
    /// `dataform/`: a Dataform project with one incremental table per event.
    Dataform,
}

impl Target {
    /// The folder of the output it is written to.
    pub fn dir(self) -> &'static str {
        match self {
            Target::Bigquery => "bigquery",
            Target::Dbt => "dbt",
            Target::Dataform => "dataform",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intraday {
    Include,
    Exclude,
}

/// A kind of export shard: `events_YYYYMMDD` (daily), `events_intraday_YYYYMMDD` (intraday) or
/// GA4 360's `events_fresh_YYYYMMDD` (fresh).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ShardKind {
    Daily,
    Intraday,
    Fresh,
}

impl ShardKind {
    /// As written in specs.
    pub fn name(self) -> &'static str {
        match self {
            ShardKind::Daily => "daily",
            ShardKind::Intraday => "intraday",
            ShardKind::Fresh => "fresh",
        }
    }

    /// What `_TABLE_SUFFIX` holds before the shard's date.
    pub fn suffix_prefix(self) -> &'static str {
        match self {
            ShardKind::Daily => "",
            ShardKind::Intraday => "intraday_",
            ShardKind::Fresh => "fresh_",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Items {
    Drop,
    Keep,
    Explode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Keep,
    DropDenied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Batch {
    None,
    Daily,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Keep the row with the greatest `order_by` (the most recent by default).
    KeepLatest,
    /// Keep the row with the smallest `order_by`.
    KeepFirst,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// First shard date read (YYYY-MM-DD), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Last shard date read (YYYY-MM-DD), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dedupe {
    /// Output columns (or event param keys) that identify one row; one name or a list.
    /// Default: `event_key`, a hash of the export fields that identify one event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Names>,
    /// Which duplicate survives. Default `keep_latest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Output column that orders duplicates. Default `event_ts` (`event_timestamp` means the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
}

/// One name or several: a YAML list, or a string with comma-separated names.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Names::One(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            Names::Many(v) => v.clone(),
        }
    }
}

/// A standard column: a GA4 field path or computed column name, optionally renamed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Column {
    Name(String),
    Renamed {
        /// GA4 field path (`device.category`) or computed column (`event_ts`).
        field: String,
        /// Output column name.
        #[serde(rename = "as")]
        alias: String,
    },
}

/// The keys taken from one key/value array: listed one by one, or chosen by glob from the
/// catalog (the saved result of `bqflat discover-sql`), typed by the values seen there.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Params {
    List(Vec<Param>),
    Select(ParamSelect),
}

impl Default for Params {
    fn default() -> Self {
        Params::List(Vec::new())
    }
}

impl Params {
    pub fn is_empty(&self) -> bool {
        matches!(self, Params::List(list) if list.is_empty())
    }
}

// By hand rather than `untagged`, so a mistake inside either form keeps its own message and
// position instead of "did not match any variant".
impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Params;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of params, or a mapping with `include` and `exclude` globs")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Params, A::Error> {
                Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Params::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Params, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Params::Select)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Keys chosen from the catalog: those matching an `include` glob and no `exclude` glob.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamSelect {
    /// Globs (`*`, `?`, `[abc]`) over the keys the catalog lists for the event, e.g. `["*"]`.
    pub include: Vec<String>,
    /// Globs of keys to leave out, e.g. `["ga_session_*"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Keys given their type or column name by hand, as in the list form; the globs skip them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub typed: Vec<Param>,
}

/// A typed value taken from a key/value array (`event_params`, `user_properties`, `item_params`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The key, exactly as in the export (any characters).
    pub key: String,
    /// Value type. Default `string`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<ParamType>,
    /// Output column name. Default: the key, with every character that is not a letter, digit or
    /// `_` replaced by `_`.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The column must never be NULL: `bigquery/_checks.sql` (and the dbt and Dataform tests)
    /// fail on a row without it. Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// `value.string_value`.
    String,
    /// `value.int_value`.
    Int64,
    /// `value.double_value`, else `value.float_value`.
    Float64,
    /// `int_value` non-zero, or `string_value` `true`/`false`/`1`/`0`/`yes`/`no`.
    Bool,
    /// Any numeric value as FLOAT64: `int_value`, `double_value` or `float_value`.
    Number,
    /// Whatever value is set, as STRING.
    Any,
    /// `value.string_value` alone: how the URL columns read `page_location` and
    /// `page_referrer`, which GA4 sends as strings. Not a type a spec can name.
    #[serde(skip_deserializing)]
    Text,
}

impl ParamType {
    /// As written in specs.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int64 => "int64",
            ParamType::Float64 => "float64",
            ParamType::Bool => "bool",
            ParamType::Number => "number",
            ParamType::Any => "any",
            ParamType::Text => "text",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataTables {
    /// Table holding one watermark per flattened table. Default `_metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermarks: Option<String>,
    /// Table holding one row per run. Default `_runs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_layer_whole_values_and_group_fields() {
        let top = Settings {
            mode: Some(Mode::Incremental),
            window: Some(Window {
                start: Some("2024-02-01".into()),
                end: None,
            }),
            dedupe: Some(Dedupe {
                key: None,
                strategy: Some(Strategy::KeepFirst),
                order_by: None,
            }),
            ..Settings::default()
        };
        let base = Settings {
            mode: Some(Mode::Full),
            lookback: Some("6h".into()),
            window: Some(Window {
                start: Some("2024-01-01".into()),
                end: Some("2024-03-01".into()),
            }),
            dedupe: Some(Dedupe {
                key: Some(Names::Many(vec!["user_id".into()])),
                strategy: Some(Strategy::KeepLatest),
                order_by: Some("event_ts".into()),
            }),
            ..Settings::default()
        };
        let merged = top.over(base);
        assert_eq!(merged.mode, Some(Mode::Incremental));
        assert_eq!(merged.lookback.as_deref(), Some("6h"));
        let window = merged.window.unwrap();
        assert_eq!(window.start.as_deref(), Some("2024-02-01"));
        assert_eq!(window.end.as_deref(), Some("2024-03-01"));
        let dedupe = merged.dedupe.unwrap();
        assert_eq!(dedupe.strategy, Some(Strategy::KeepFirst));
        assert_eq!(dedupe.order_by.as_deref(), Some("event_ts"));
        assert!(dedupe.key.is_some());
    }
}
