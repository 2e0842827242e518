//! A table as every template sees it (`t`): the resolved model, plus the qualified names and
//! derived values the templates of all three targets need, so none of them computes its own.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{self, Build, Origin, PartitionType, SqlType, Table};
use crate::spec::{Mode, ParamType, Strategy, UrlParamType};

use super::column_docs::column_docs;
use super::days::{day_margin, lookback_days, LookbackView, SourceView, WindowView};
use super::file_stem;

/// One flattened table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TableView {
    /// GA4 event name (`purchase`); validated: letters, digits and `_`.
    pub event: String,
    /// The spec file, relative to the project directory; null for an event built from defaults.
    /// Free text from a file name: print it with `comment`.
    pub spec_file: Option<String>,
    /// The spec's `version`.
    pub version: u32,
    /// GCP project of the table.
    pub project: String,
    /// Dataset of the table.
    pub dataset: String,
    /// Table name.
    pub name: String,
    /// `project.dataset.name`: print with `ident`.
    pub full_name: String,
    /// `project.dataset`.
    pub dataset_full_name: String,
    /// The spec's description, free text: print with `literal` (SQL) or `js_string`.
    pub description: Option<String>,
    /// `full` or `incremental`.
    pub mode: Mode,
    /// The export the table reads.
    pub source: SourceView,
    /// The shard dates the table reads.
    pub window: WindowView,
    /// How far back an incremental run reads again.
    pub lookback: LookbackView,
    /// Whole days that cover the lookback: an incremental run replaces the newest day the table
    /// holds and the `lookback_days` before it.
    pub lookback_days: u32,
    /// Days between a row's shard day and its partition day, at most: 0 when the table is
    /// partitioned by the export's own `event_date`, else 1 (another zone, or UTC days).
    pub day_margin: u32,
    /// IANA zone (or offset) the computed `event_date` is taken in; null keeps the export's own.
    pub timezone: Option<String>,
    /// Output columns, in table order.
    pub columns: Vec<ColumnView>,
    /// Columns that must never be NULL (`required: true`), in the order listed: print with `ident`.
    pub required: Vec<String>,
    /// Each column with a sentence on where its value comes from (dbt and Dataform docs).
    pub column_docs: Vec<ColumnDoc>,
    /// How the table is partitioned.
    pub partition: PartitionView,
    /// Cluster columns, in order (up to 4).
    pub cluster_by: Vec<String>,
    /// Which rows count as the same event, and which is kept.
    pub dedupe: DedupeView,
    /// What dbt and Dataform merge on.
    pub merge_key: MergeKeyView,
    /// One row per item (`items: explode`): the rows come from `LEFT JOIN UNNEST(e.items)`.
    pub explode_items: bool,
    /// Table labels, sorted by key (`managed_by: bqflat` included).
    pub labels: BTreeMap<String, String>,
    /// `batch: daily`: the window is processed one day at a time.
    pub daily_batches: bool,
    /// `consent: drop_denied`: rows without analytics consent (`privacy_info.analytics_storage`
    /// = `No`, or no `user_pseudo_id`) are left out.
    pub drop_denied: bool,
    /// The template this table is rendered with, under the target's folder.
    pub template: String,
    /// bqflat's own tables (watermarks, runs).
    pub metadata: MetadataView,
    /// BigQuery location of new datasets, when the project names one.
    pub location: Option<String>,
    /// File name (and dbt model name) of the table in the dbt and Dataform projects.
    pub model: String,
}

/// One output column.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ColumnView {
    /// Column name: print with `ident`.
    pub name: String,
    /// GoogleSQL type (`STRING`, `ARRAY<STRUCT<…>>`): print with `sql_type`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Where the value comes from.
    pub origin: OriginView,
}

/// Where a column's value comes from; templates turn each kind into an expression over the
/// export row `e` (and the exploded `item`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OriginView {
    /// The event's date: in `t.timezone` when set, else the export's `event_date`.
    EventDate,
    /// `TIMESTAMP_MICROS(event_timestamp)`.
    EventTs,
    /// A hash of the export fields that identify one event.
    EventKey,
    /// A hash of `stream_id` and `user_pseudo_id` (NULL without a `user_pseudo_id`).
    ClientKey,
    /// A hash of `stream_id`, `user_pseudo_id` and the `ga_session_id` param (NULL without
    /// either).
    SessionKey,
    /// The property of the table's source (`sources:`), the same for every row.
    PropertyId {
        /// Free text from the project file: print with `literal`.
        value: String,
    },
    /// The `ga_session_number` param as INT64.
    SessionNumber,
    /// The `session_engaged` param as BOOL (`"1"` and `1` are true).
    SessionEngaged,
    /// A scalar export field.
    Field {
        /// Dotted path in the export row (`geo.country`): print with `path`.
        path: String,
    },
    /// A typed value from a key/value array.
    Param {
        /// The array the key is looked up in.
        array: ParamArray,
        /// The key, free text: print with `literal`.
        key: String,
        /// Which value columns are read, and how.
        param_type: ParamType,
        /// Query parameters removed from the value (a stored page URL under
        /// `url_exclude_params`): print each with `literal`.
        strip: Vec<String>,
    },
    /// A scalar field of the exploded item.
    ItemField {
        /// The item field (`price`): print with `ident`.
        field: String,
    },
    /// The position of the exploded item in `items`, from 0.
    ItemIndex,
    /// The whole `items` array, re-packed field by field so that fields the export adds later
    /// never change the column's type.
    Items {
        /// The fields of one item, exactly as the column's type lists them, in order.
        fields: Vec<StructFieldView>,
    },
    /// The host of the URL in an event param: lowercased, without userinfo and port.
    UrlHost {
        /// The event param holding the URL (`page_location`): print with `literal`.
        param: String,
    },
    /// The path of the URL in an event param, without query and fragment.
    UrlPath {
        /// The event param holding the URL: print with `literal`.
        param: String,
    },
    /// A query parameter of the URL in an event param, decoded.
    UrlParam {
        /// The event param holding the URL: print with `literal`.
        url: String,
        /// The query parameter's decoded name: print with `literal`.
        key: String,
        param_type: UrlParamType,
    },
}

/// One field of a STRUCT value that a template copies by name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StructFieldView {
    /// Field name: print with `ident`.
    pub name: String,
    /// An ARRAY (of the STRUCT `fields`, or of a scalar when `fields` is empty).
    pub repeated: bool,
    /// The fields of a STRUCT, in order; empty for a scalar.
    pub fields: Vec<StructFieldView>,
}

impl StructFieldView {
    /// The fields of a STRUCT type, or of the STRUCT an ARRAY holds; none for a scalar.
    fn of(ty: &SqlType) -> Vec<StructFieldView> {
        let ty = match ty {
            SqlType::Array(inner) => inner,
            other => other,
        };
        match ty {
            SqlType::Struct(fields) => fields
                .iter()
                .map(|(name, ty)| StructFieldView {
                    name: name.clone(),
                    repeated: matches!(ty, SqlType::Array(_)),
                    fields: StructFieldView::of(ty),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The key/value arrays params are read from.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamArray {
    /// `event_params` of the event.
    EventParams,
    /// `user_properties` of the event.
    UserProperties,
    /// `items.item_params` of the exploded item.
    ItemParams,
}

/// A column and where it comes from, in words.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ColumnDoc {
    /// Column name.
    pub name: String,
    /// GoogleSQL type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Free text: print with `jinja_text` (dbt YAML) or `js_string`.
    pub description: String,
}

/// How the table is partitioned.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PartitionView {
    /// The partition column: print with `ident`.
    pub column: String,
    /// Print with `keyword`.
    #[serde(rename = "type")]
    pub ty: PartitionType,
    /// Days a partition is kept, when set.
    pub expiration_days: Option<u32>,
    /// Queries of the table must filter on the partition column.
    pub require_filter: bool,
}

/// Which rows count as the same event, and which of them is kept.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DedupeView {
    /// Key columns.
    pub key: Vec<String>,
    /// Key columns that may be NULL: rows with a NULL in any of them are told apart by
    /// `event_key` instead of collapsing.
    pub nullable: Vec<String>,
    /// The key can recur on another day (it is more than `event_key` and the item's index): an
    /// incremental run dedupes the rows it writes against the whole table.
    pub across_days: bool,
    /// `keep_latest` or `keep_first`.
    pub strategy: Strategy,
    /// The column the strategy orders by.
    pub order_by: String,
}

/// What dbt and Dataform merge on. Their merges compare keys with `=`, which never matches NULL,
/// so any key but `event_key` is spelled as one column, `row_key`, added to their tables.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MergeKeyView {
    /// The columns of the merge's `unique_key`.
    pub columns: Vec<String>,
    /// Null when the table merges on `event_key`.
    pub row_key: Option<String>,
}

/// bqflat's own tables, fully qualified: print with `ident`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MetadataView {
    /// The watermarks table, `project.dataset.table`.
    pub watermarks_full: String,
    /// The runs table, `project.dataset.table`.
    pub runs_full: String,
}

impl TableView {
    pub fn new(table: &Table, build: &Build) -> TableView {
        TableView {
            event: table.event.clone(),
            spec_file: table.spec_file.clone(),
            version: table.version,
            project: table.project.clone(),
            dataset: table.dataset.clone(),
            name: table.name.clone(),
            full_name: table.full_name(),
            dataset_full_name: format!("{}.{}", table.project, table.dataset),
            description: table.description.clone(),
            mode: table.mode,
            source: SourceView::new(&table.source),
            window: WindowView::new(&table.window),
            lookback: LookbackView {
                amount: table.lookback.amount,
                unit: table.lookback.unit,
                text: table.lookback.text.clone(),
            },
            lookback_days: lookback_days(table),
            day_margin: day_margin(table),
            timezone: table.timezone.clone(),
            columns: table
                .columns
                .iter()
                .map(|c| ColumnView::new(c, table))
                .collect(),
            required: table.required.clone(),
            column_docs: column_docs(table),
            partition: PartitionView {
                column: table.partition.column.clone(),
                ty: table.partition.ty,
                expiration_days: table.partition.expiration_days,
                require_filter: table.partition.require_filter,
            },
            cluster_by: table.cluster_by.clone(),
            dedupe: DedupeView {
                key: table.dedupe.key.clone(),
                nullable: table.dedupe.nullable.clone(),
                across_days: table.dedupe_across_days(),
                strategy: table.dedupe.strategy,
                order_by: table.dedupe.order_by.clone(),
            },
            merge_key: merge_key(table),
            explode_items: table.explode_items,
            labels: table.labels.clone(),
            daily_batches: table.daily_batches,
            drop_denied: table.drop_denied,
            template: table.template.clone(),
            metadata: MetadataView::new(&build.setup.metadata),
            location: build.setup.location.clone(),
            model: file_stem(table, build),
        }
    }
}

impl MetadataView {
    pub fn new(m: &model::Metadata) -> MetadataView {
        MetadataView {
            watermarks_full: format!("{}.{}.{}", m.project, m.dataset, m.watermarks),
            runs_full: format!("{}.{}.{}", m.project, m.dataset, m.runs),
        }
    }
}

impl ColumnView {
    pub fn new(c: &model::Column, table: &Table) -> ColumnView {
        ColumnView {
            name: c.name.clone(),
            ty: c.ty.to_string(),
            origin: OriginView::new(&c.origin, &c.ty, table),
        }
    }
}

impl OriginView {
    fn new(origin: &Origin, ty: &SqlType, table: &Table) -> OriginView {
        match origin {
            Origin::Computed { name } => match name.as_str() {
                "page_host" => OriginView::UrlHost {
                    param: "page_location".into(),
                },
                "page_path" => OriginView::UrlPath {
                    param: "page_location".into(),
                },
                "referrer_host" => OriginView::UrlHost {
                    param: "page_referrer".into(),
                },
                "referrer_path" => OriginView::UrlPath {
                    param: "page_referrer".into(),
                },
                "event_date" => OriginView::EventDate,
                "event_ts" => OriginView::EventTs,
                "client_key" => OriginView::ClientKey,
                "session_key" => OriginView::SessionKey,
                "session_number" => OriginView::SessionNumber,
                "session_engaged" => OriginView::SessionEngaged,
                "property_id" => OriginView::PropertyId {
                    value: table.property_id.clone().unwrap_or_default(),
                },
                _ => OriginView::EventKey,
            },
            Origin::Field { path } => OriginView::Field { path: path.clone() },
            Origin::Param {
                array,
                key,
                param_type,
            } => OriginView::Param {
                array: match array.as_str() {
                    "user_properties" => ParamArray::UserProperties,
                    "item_params" => ParamArray::ItemParams,
                    _ => ParamArray::EventParams,
                },
                key: key.clone(),
                param_type: *param_type,
                strip: table.stripped_params(array, key, *param_type).to_vec(),
            },
            Origin::UrlParam {
                url,
                key,
                param_type,
            } => OriginView::UrlParam {
                url: url.clone(),
                key: key.clone(),
                param_type: *param_type,
            },
            Origin::ItemField { field } => OriginView::ItemField {
                field: field.clone(),
            },
            Origin::ItemIndex => OriginView::ItemIndex,
            Origin::Items => OriginView::Items {
                fields: StructFieldView::of(ty),
            },
        }
    }
}

fn merge_key(table: &Table) -> MergeKeyView {
    if table.dedupe.key == ["event_key"] {
        MergeKeyView {
            columns: table.dedupe.key.clone(),
            row_key: None,
        }
    } else {
        MergeKeyView {
            columns: vec![crate::names::ROW_KEY.to_string()],
            row_key: Some(crate::names::ROW_KEY.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StructFieldView;
    use crate::model::SqlType;

    /// The STRUCT type the fields describe, as a template that copies them builds it.
    fn rebuilt(fields: &[StructFieldView]) -> SqlType {
        SqlType::Struct(
            fields
                .iter()
                .map(|f| {
                    let ty = if f.fields.is_empty() {
                        SqlType::String
                    } else {
                        rebuilt(&f.fields)
                    };
                    let ty = if f.repeated {
                        SqlType::Array(Box::new(ty))
                    } else {
                        ty
                    };
                    (f.name.clone(), ty)
                })
                .collect(),
        )
    }

    /// Scalars as STRING: the field names, order and nesting are what the copy depends on.
    fn shape(ty: &SqlType) -> SqlType {
        match ty {
            SqlType::Array(inner) => SqlType::Array(Box::new(shape(inner))),
            SqlType::Struct(fields) => {
                SqlType::Struct(fields.iter().map(|(n, t)| (n.clone(), shape(t))).collect())
            }
            _ => SqlType::String,
        }
    }

    #[test]
    fn item_fields_follow_the_items_column_type_exactly() {
        let ty = &crate::ga4::catalog().items_type;
        let fields = StructFieldView::of(ty);
        assert_eq!(
            SqlType::Array(Box::new(rebuilt(&fields))),
            shape(ty),
            "every field, in order, nested included"
        );
        let params = fields.iter().find(|f| f.name == "item_params").unwrap();
        assert!(params.repeated);
        let value = params.fields.iter().find(|f| f.name == "value").unwrap();
        assert!(!value.repeated);
        assert_eq!(value.fields.len(), 4);
    }
}
