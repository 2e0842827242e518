//! The YAML a user writes. These types are the single source of truth for the JSON schemas under
//! `schemas/` (schemars) and for parsing (serde); semantic checks live in `resolve/`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a file type whose fields are its own plus every per-event setting, and a `settings()`
/// accessor. The project file and the event spec both carry the settings at the top level (the seed's
/// config does), and serde cannot combine `flatten` with `deny_unknown_fields` while keeping error
/// positions, so the shared fields are spliced in here instead of flattened.
macro_rules! with_settings {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// `full` rebuilds the table from the window; `incremental` merges new rows after the
            /// watermark (minus `lookback`). Default: `full`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub mode: Option<Mode>,
            /// Dates (YYYY-MM-DD, in the export's shard dates) that bound the rows read. Both optional:
            /// no start means the first shard, no end means today.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub window: Option<Window>,
            /// How far before the watermark an incremental run reads again, to pick up late events:
            /// a number and a unit (`m`, `h`, `d`), e.g. `6h`, `3d`. Default `3d` (GA4 rewrites daily
            /// tables for up to 72 hours).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub lookback: Option<String>,
            /// IANA time zone (e.g. `Europe/Berlin`) for the computed `event_date`. Without it,
            /// `event_date` is the export's own `event_date` (the property's time zone).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub timezone: Option<String>,
            /// Whether the intraday shards (`events_intraday_YYYYMMDD`) are read too. Default `exclude`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub intraday: Option<Intraday>,
            /// Output column (DATE or TIMESTAMP) the table is partitioned by. Default `event_date`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub partition_by: Option<String>,
            /// Partitions older than this many days are deleted by BigQuery.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub partition_expiration_days: Option<u32>,
            /// Queries on the table must filter on the partition column.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub require_partition_filter: Option<bool>,
            /// Up to 4 output columns to cluster by, as a list or a comma-separated string.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cluster_by: Option<Names>,
            /// How duplicate rows are removed.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub dedupe: Option<Dedupe>,
            /// Standard columns to keep: GA4 fields by path (`device.category` becomes
            /// `device_category`) or computed columns (`event_date`, `event_ts`, `event_key`).
            /// Replaces the default set.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub columns: Option<Vec<Column>>,
            /// What happens to the `items` array: `drop` it (default), `keep` it as an array column,
            /// or `explode` it into one row per item.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub items: Option<Items>,
            /// Item fields kept as columns when `items: explode` (`price` becomes `item_price`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub item_fields: Option<Vec<String>>,
            /// Labels on the table (keys and values: lowercase letters, digits, `_`, `-`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub labels: Option<BTreeMap<String, String>>,
            /// `daily` processes the window one day at a time (a loop in the script), for
            /// predictable slot usage on backfills. Default `none`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub batch: Option<Batch>,
            /// Name of the template that renders this table, instead of `full.sql` / `incremental.sql`.
            /// Looked up in the project's `templates/bigquery/` first.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub template: Option<String>,
        }

        impl $name {
            /// The per-event settings this file carries.
            pub fn settings(&self) -> Settings {
                Settings {
                    mode: self.mode,
                    window: self.window.clone(),
                    lookback: self.lookback.clone(),
                    timezone: self.timezone.clone(),
                    intraday: self.intraday,
                    partition_by: self.partition_by.clone(),
                    partition_expiration_days: self.partition_expiration_days,
                    require_partition_filter: self.require_partition_filter,
                    cluster_by: self.cluster_by.clone(),
                    dedupe: self.dedupe.clone(),
                    columns: self.columns.clone(),
                    items: self.items,
                    item_fields: self.item_fields.clone(),
                    labels: self.labels.clone(),
                    batch: self.batch,
                    template: self.template.clone(),
                }
            }
        }
    };
}

with_settings! {
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
    }
}

with_settings! {
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
}

/// The per-event settings, as given in one place (event spec, project file or flags).
/// Every field is optional: the most specific place that sets it wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub mode: Option<Mode>,
    pub window: Option<Window>,
    pub lookback: Option<String>,
    pub timezone: Option<String>,
    pub intraday: Option<Intraday>,
    pub partition_by: Option<String>,
    pub partition_expiration_days: Option<u32>,
    pub require_partition_filter: Option<bool>,
    pub cluster_by: Option<Names>,
    pub dedupe: Option<Dedupe>,
    pub columns: Option<Vec<Column>>,
    pub items: Option<Items>,
    pub item_fields: Option<Vec<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub batch: Option<Batch>,
    pub template: Option<String>,
}

impl Settings {
    /// Fields set in `self` win; the rest come from `base`.
    pub fn over(self, base: Settings) -> Settings {
        Settings {
            mode: self.mode.or(base.mode),
            window: match (self.window, base.window) {
                (Some(top), Some(base)) => Some(Window {
                    start: top.start.or(base.start),
                    end: top.end.or(base.end),
                }),
                (top, base) => top.or(base),
            },
            lookback: self.lookback.or(base.lookback),
            timezone: self.timezone.or(base.timezone),
            intraday: self.intraday.or(base.intraday),
            partition_by: self.partition_by.or(base.partition_by),
            partition_expiration_days: self
                .partition_expiration_days
                .or(base.partition_expiration_days),
            require_partition_filter: self
                .require_partition_filter
                .or(base.require_partition_filter),
            cluster_by: self.cluster_by.or(base.cluster_by),
            dedupe: match (self.dedupe, base.dedupe) {
                (Some(top), Some(base)) => Some(Dedupe {
                    key: top.key.or(base.key),
                    strategy: top.strategy.or(base.strategy),
                    order_by: top.order_by.or(base.order_by),
                }),
                (top, base) => top.or(base),
            },
            columns: self.columns.or(base.columns),
            items: self.items.or(base.items),
            item_fields: self.item_fields.or(base.item_fields),
            labels: self.labels.or(base.labels),
            batch: self.batch.or(base.batch),
            template: self.template.or(base.template),
        }
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Items {
    Drop,
    Keep,
    Explode,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
