//! The resolved build: every table with its columns, types, keys and windows decided. Templates
//! read these types (serialized), the manifest records them, and nothing here holds SQL text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub(crate) use crate::spec::ShardKind;
use crate::spec::{Mode, ParamType, Strategy, Target};

/// Everything one build produces, in a stable order.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    /// What is generated, sorted, each once.
    pub targets: Vec<Target>,
    pub setup: Setup,
    /// Sorted by table name.
    pub tables: Vec<Table>,
    /// With `sources:`, one view per event over its tables (one per source), sorted by name.
    pub views: Vec<UnionView>,
    /// What the build accepted but users should know (a param typed loosely), in order.
    #[serde(skip)]
    pub warnings: Vec<crate::diagnostics::Diagnostic>,
    /// The events `--events` picked from the project: the others' files are left as they are.
    #[serde(skip)]
    pub selection: Option<std::collections::BTreeSet<String>>,
}

/// What `_setup.sql` creates: the target datasets and the metadata tables.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// `project.dataset` of every target dataset, sorted.
    pub datasets: Vec<String>,
    pub metadata: Metadata,
    /// BigQuery location new datasets are created in, when the project names one.
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// Where the metadata tables live: the default target (project file's project and dataset).
    pub project: String,
    pub dataset: String,
    pub watermarks: String,
    pub runs: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub event: String,
    /// The spec file, relative to the project directory; `None` for events built from defaults.
    pub spec_file: Option<String>,
    pub version: u32,
    pub project: String,
    pub dataset: String,
    pub name: String,
    pub description: Option<String>,
    pub mode: Mode,
    pub source: Source,
    /// With `sources:`: the source's property id, the value of the `property_id` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_id: Option<String>,
    pub window: Window,
    pub lookback: Lookback,
    /// IANA zone for `event_date`; `None` keeps the export's own `event_date`.
    pub timezone: Option<String>,
    pub columns: Vec<Column>,
    /// Columns that must never be NULL (params marked `required: true`), in the order listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    pub partition: Partition,
    pub cluster_by: Vec<String>,
    pub dedupe: Dedupe,
    pub explode_items: bool,
    pub labels: BTreeMap<String, String>,
    pub daily_batches: bool,
    /// `consent: drop_denied`: events sent without analytics consent are left out.
    pub drop_denied: bool,
    /// Query parameters removed from the stored `page_location` and `page_referrer` params.
    pub url_exclude_params: Vec<String>,
    /// Template that renders the table's script.
    pub template: String,
    pub metadata: Metadata,
    /// What the table's runs read (for cost estimates and the manifest); set once the whole
    /// build is resolved, since tables of one source share a scan.
    #[serde(skip)]
    pub(crate) reads: Option<crate::cost::TableReads>,
}

impl Table {
    /// `project.dataset.name`.
    pub fn full_name(&self) -> String {
        format!("{}.{}.{}", self.project, self.dataset, self.name)
    }

    /// Whether the dedupe key can recur on another day (any key but `event_key`, with the item
    /// position when items are exploded): the staged rows are then merged over the whole table.
    pub(crate) fn dedupe_across_days(&self) -> bool {
        !self.dedupe.key.iter().all(|k| {
            matches!(
                self.column(k).map(|c| &c.origin),
                Some(Origin::Computed { name }) if name == "event_key"
            ) || matches!(self.column(k).map(|c| &c.origin), Some(Origin::ItemIndex))
        })
    }

    /// The query parameters `url_exclude_params` removes from a param column's value: the
    /// table's list for the text columns of `page_location` and `page_referrer`, else none.
    pub(crate) fn stripped_params(&self, array: &str, key: &str, ty: ParamType) -> &[String] {
        let url = array == "event_params" && crate::ga4::URL_PARAMS.contains(&key);
        if url && matches!(ty, ParamType::String | ParamType::Any) {
            &self.url_exclude_params
        } else {
            &[]
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The view that reads an event's tables of every source as one: named as the event's table
/// would be without `sources:`, it selects the same columns from each, in the spec's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnionView {
    pub event: String,
    pub spec_file: Option<String>,
    pub version: u32,
    pub project: String,
    pub dataset: String,
    pub name: String,
    pub description: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub columns: Vec<String>,
    /// `project.dataset.table` of each source's table, in the order of `sources:`.
    pub tables: Vec<String>,
}

impl UnionView {
    pub fn full_name(&self) -> String {
        format!("{}.{}.{}", self.project, self.dataset, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub project: String,
    pub dataset: String,
    pub table: String,
    /// `events_*`-style date shards, pruned with `_TABLE_SUFFIX`.
    pub sharded: bool,
    /// The shard kinds a day is read from, in order of preference.
    pub shards: Vec<ShardKind>,
    /// For a partitioned source: its DATE partition column.
    pub date_column: Option<String>,
}

impl Source {
    /// Days without a daily shard are read from the intraday one.
    pub fn intraday(&self) -> bool {
        self.shards.contains(&ShardKind::Intraday)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// YYYY-MM-DD, inclusive.
    pub start: Option<String>,
    /// YYYY-MM-DD, inclusive; `None` means today.
    pub end: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lookback {
    pub amount: u32,
    pub unit: IntervalUnit,
    /// As written (`3d`).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: SqlType,
    pub origin: Origin,
}

/// A GoogleSQL column type. Templates and the manifest see it as GoogleSQL writes it
/// (`ARRAY<STRUCT<item_id STRING, ...>>`), so it serializes to that text; inside the compiler it
/// stays structured, so rules such as "no clustering on arrays" are matches, not string prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlType {
    String,
    Int64,
    Float64,
    Bool,
    Date,
    Timestamp,
    Array(Box<SqlType>),
    /// Fields in declaration order, as the export schema lists them.
    Struct(Vec<(String, SqlType)>),
}

impl std::fmt::Display for SqlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlType::String => f.write_str("STRING"),
            SqlType::Int64 => f.write_str("INT64"),
            SqlType::Float64 => f.write_str("FLOAT64"),
            SqlType::Bool => f.write_str("BOOL"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::Array(inner) => write!(f, "ARRAY<{inner}>"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name} {ty}")?;
                }
                f.write_str(">")
            }
        }
    }
}

impl Serialize for SqlType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The GoogleSQL interval part a lookback is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntervalUnit {
    Minute,
    Hour,
    Day,
}

impl IntervalUnit {
    pub fn minutes(self) -> u32 {
        match self {
            IntervalUnit::Minute => 1,
            IntervalUnit::Hour => 60,
            IntervalUnit::Day => 24 * 60,
        }
    }
}

/// The column types BigQuery partitions a table by (in the manifest too, hence `Deserialize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartitionType {
    Date,
    Timestamp,
}

/// Where a column's value comes from; the templates turn each kind into an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// `event_date`, `event_ts`, `event_key`.
    Computed { name: String },
    /// A scalar export field, by dotted path.
    Field { path: String },
    /// A typed value from a key/value array: `event_params`, `user_properties` or `item_params`.
    Param {
        array: String,
        key: String,
        param_type: ParamType,
    },
    /// A scalar field of the exploded item.
    ItemField { field: String },
    /// The position of the exploded item in `items` (from 0).
    ItemIndex,
    /// The whole `items` array.
    Items,
    /// A query parameter of the URL in the `url` event param (`page_location`), decoded.
    UrlParam {
        url: String,
        key: String,
        param_type: crate::spec::UrlParamType,
    },
}

impl Origin {
    /// A short, stable description: `computed:event_ts`, `field:geo.country`,
    /// `event_params:page_title`, `item_field:price`, `item_index`, `items`.
    pub fn describe(&self) -> String {
        match self {
            Origin::Computed { name } => format!("computed:{name}"),
            Origin::Field { path } => format!("field:{path}"),
            Origin::Param { array, key, .. } => format!("{array}:{key}"),
            Origin::ItemField { field } => format!("item_field:{field}"),
            Origin::ItemIndex => "item_index".into(),
            Origin::Items => "items".into(),
            Origin::UrlParam { url, key, .. } => format!("url_param:{url}:{key}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub column: String,
    #[serde(rename = "type")]
    pub ty: PartitionType,
    pub expiration_days: Option<u32>,
    pub require_filter: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dedupe {
    pub key: Vec<String>,
    /// Key columns that may be NULL (an event param the event lacks, an unset field): a row with
    /// a NULL in any of them is told apart by `event_key` instead of collapsing with others.
    #[serde(default)]
    pub nullable: Vec<String>,
    pub strategy: Strategy,
    pub order_by: String,
}
