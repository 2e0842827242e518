//! What the GA4 export offers: its fields (from the export's BigQuery schema, embedded) and the
//! columns bqflat computes from them.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::SqlType;
use crate::spec::ParamType;

/// The GA4 BigQuery export schema, as BigQuery's schema JSON.
pub(crate) const EXPORT_SCHEMA: &str = include_str!("../schemas/ga4_export_schema.json");

#[derive(Debug, Deserialize)]
struct SchemaField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    fields: Vec<SchemaField>,
}

/// A scalar export field usable as a standard column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// Dotted path in the export row (`device.web_info.browser`).
    pub path: String,
    /// A scalar type (`STRING`, `INT64`, `FLOAT64`, `BOOL`, `DATE`, `TIMESTAMP`).
    pub ty: SqlType,
}

impl Field {
    /// The default output column name: the path with dots turned into underscores.
    pub(crate) fn column_name(&self) -> String {
        self.path.replace('.', "_")
    }
}

/// Columns bqflat computes; their names shadow export fields of the same name.
pub(crate) const COMPUTED: &[(&str, SqlType)] = &[
    // Partition date: the export's `event_date`, or the event time in the spec's time zone.
    ("event_date", SqlType::Date),
    ("event_ts", SqlType::Timestamp),
    // Hash of the fields that identify one event in the export: the default dedupe key.
    ("event_key", SqlType::String),
    // The browser or app instance (stream and user_pseudo_id) and its session (with the
    // `ga_session_id` param): the same value in every table, so tables join on them.
    // The property of the source under `sources:` a row was read from.
    ("property_id", SqlType::String),
    ("client_key", SqlType::String),
    ("session_key", SqlType::String),
    // The `ga_session_number` param, and whether the session was engaged (`session_engaged`,
    // which GA4 sends as the string "1" or as an int).
    ("session_number", SqlType::Int64),
    ("session_engaged", SqlType::Bool),
    // The host (lowercased, without port or userinfo) and the path (without query or fragment)
    // of the `page_location` and `page_referrer` params.
    ("page_host", SqlType::String),
    ("page_path", SqlType::String),
    ("referrer_host", SqlType::String),
    ("referrer_path", SqlType::String),
];

/// The event params holding the page's URL and its referrer's: what the URL columns and
/// `url_exclude_params` work on.
pub(crate) const URL_PARAMS: &[&str] = &["page_location", "page_referrer"];

/// The params a computed column is read from (all in `event_params`).
pub(crate) fn computed_params(name: &str) -> &'static [(&'static str, ParamType)] {
    match name {
        "session_key" => &[("ga_session_id", ParamType::Int64)],
        "session_number" => &[("ga_session_number", ParamType::Int64)],
        "session_engaged" => &[("session_engaged", ParamType::Bool)],
        "page_host" | "page_path" => &[("page_location", ParamType::Text)],
        "referrer_host" | "referrer_path" => &[("page_referrer", ParamType::Text)],
        _ => &[],
    }
}

/// Whether a computed column is its param's value as it is (the others derive theirs from it).
pub(crate) fn computed_is_param(name: &str) -> bool {
    matches!(name, "session_number" | "session_engaged")
}

/// The export fields a computed column hashes besides its params.
pub(crate) fn computed_fields(name: &str) -> &'static [&'static str] {
    match name {
        "client_key" | "session_key" => &["stream_id", "user_pseudo_id"],
        _ => &[],
    }
}

/// The standard columns a spec gets when it does not list its own.
pub(crate) const DEFAULT_COLUMNS: &[&str] = &[
    "event_date",
    "event_ts",
    "event_name",
    "user_pseudo_id",
    "user_id",
    "platform",
    "device.category",
    "device.operating_system",
    "geo.country",
    "traffic_source.source",
    "traffic_source.medium",
    "event_key",
];

/// Event params GA4 itself sends or documents for its recommended events: what a misspelt
/// param name is most likely meant to be.
pub(crate) const KNOWN_PARAMS: &[&str] = &[
    "affiliation",
    "campaign",
    "content_type",
    "coupon",
    "currency",
    "engagement_time_msec",
    "entrances",
    "ga_session_id",
    "ga_session_number",
    "item_list_id",
    "item_list_name",
    "link_url",
    "medium",
    "method",
    "page_location",
    "page_referrer",
    "page_title",
    "payment_type",
    "percent_scrolled",
    "search_term",
    "session_engaged",
    "shipping",
    "shipping_tier",
    "source",
    "tax",
    "term",
    "transaction_id",
    "value",
];

/// Item fields kept by `items: explode` when a spec does not list its own.
pub(crate) const DEFAULT_ITEM_FIELDS: &[&str] = &[
    "item_id",
    "item_name",
    "item_brand",
    "item_category",
    "price",
    "quantity",
    "item_revenue",
];

pub(crate) struct Catalog {
    /// Scalar fields of an event row, outside the repeated records.
    pub fields: Vec<Field>,
    /// Scalar fields of one `items` entry (without `item_params`).
    pub item_fields: Vec<Field>,
    /// The GoogleSQL type of the whole `items` array, for `items: keep`.
    pub items_type: SqlType,
    /// Every field of an event row, nested as in the export.
    tree: Vec<SchemaField>,
}

/// A field of the export kept by a pruned copy of its rows, nested as in the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub name: String,
    pub repeated: bool,
    /// A RECORD's kept fields, in the export's order; empty for a scalar.
    pub fields: Vec<Shape>,
}

/// The catalog, parsed once from the embedded schema.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let schema: Vec<SchemaField> =
            serde_json::from_str(EXPORT_SCHEMA).expect("embedded GA4 schema is valid JSON");
        let mut fields = Vec::new();
        collect_scalars(&schema, "", &mut fields);
        let items = schema
            .iter()
            .find(|f| f.name == "items")
            .expect("GA4 schema has items");
        let mut item_fields = Vec::new();
        collect_scalars(&items.fields, "", &mut item_fields);
        let items_type = sql_type(items);
        Catalog {
            fields,
            item_fields,
            items_type,
            tree: schema,
        }
    })
}

impl Catalog {
    /// The export field at `path`, if it is a scalar outside the repeated records.
    pub(crate) fn field(&self, path: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.path == path)
    }

    pub(crate) fn item_field(&self, name: &str) -> Option<&Field> {
        self.item_fields.iter().find(|f| f.path == name)
    }

    /// The paths a user may name as a column, for "did you mean" hints.
    pub(crate) fn column_paths(&self) -> impl Iterator<Item = &str> {
        COMPUTED
            .iter()
            .map(|(n, _)| *n)
            .chain(self.fields.iter().map(|f| f.path.as_str()))
    }
}

impl Catalog {
    /// The export's fields cut down to the dotted leaf paths `leaves`, in the export's order:
    /// the shape a scan keeps of each row. Paths the export does not have are left out.
    pub(crate) fn pruned(&self, leaves: &std::collections::BTreeSet<String>) -> Vec<Shape> {
        prune(&self.tree, "", leaves)
    }

    /// The scalar type of the leaf at a dotted path (`event_params.value.int_value`), repeated
    /// records included.
    pub(crate) fn leaf_type(&self, path: &str) -> Option<SqlType> {
        let mut fields = &self.tree;
        let mut found = None;
        for part in path.split('.') {
            let f = fields.iter().find(|f| f.name == part)?;
            fields = &f.fields;
            found = Some(f);
        }
        found
            .filter(|f| f.ty != "RECORD")
            .map(|f| scalar_type(&f.ty))
    }
}

fn prune(
    fields: &[SchemaField],
    prefix: &str,
    leaves: &std::collections::BTreeSet<String>,
) -> Vec<Shape> {
    fields
        .iter()
        .filter_map(|f| {
            let path = format!("{prefix}{}", f.name);
            let repeated = f.mode == "REPEATED";
            if f.ty == "RECORD" {
                let kept = prune(&f.fields, &format!("{path}."), leaves);
                (!kept.is_empty()).then(|| Shape {
                    name: f.name.clone(),
                    repeated,
                    fields: kept,
                })
            } else {
                leaves.contains(&path).then(|| Shape {
                    name: f.name.clone(),
                    repeated,
                    fields: Vec::new(),
                })
            }
        })
        .collect()
}

fn collect_scalars(fields: &[SchemaField], prefix: &str, out: &mut Vec<Field>) {
    for f in fields {
        if f.mode == "REPEATED" {
            continue;
        }
        let path = format!("{prefix}{}", f.name);
        if f.ty == "RECORD" {
            collect_scalars(&f.fields, &format!("{path}."), out);
        } else {
            out.push(Field {
                path,
                ty: scalar_type(&f.ty),
            });
        }
    }
}

fn scalar_type(legacy: &str) -> SqlType {
    match legacy {
        "INTEGER" | "INT64" => SqlType::Int64,
        "FLOAT" | "FLOAT64" => SqlType::Float64,
        "BOOLEAN" | "BOOL" => SqlType::Bool,
        "TIMESTAMP" => SqlType::Timestamp,
        "DATE" => SqlType::Date,
        _ => SqlType::String,
    }
}

fn sql_type(f: &SchemaField) -> SqlType {
    let base = if f.ty == "RECORD" {
        SqlType::Struct(
            f.fields
                .iter()
                .map(|c| (c.name.clone(), sql_type(c)))
                .collect(),
        )
    } else {
        scalar_type(&f.ty)
    };
    if f.mode == "REPEATED" {
        SqlType::Array(Box::new(base))
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_become_paths() {
        let c = catalog();
        assert_eq!(c.field("device.category").unwrap().ty, SqlType::String);
        assert_eq!(
            c.field("device.web_info.hostname").unwrap().column_name(),
            "device_web_info_hostname"
        );
        assert_eq!(c.field("event_timestamp").unwrap().ty, SqlType::Int64);
        assert_eq!(c.field("is_active_user").unwrap().ty, SqlType::Bool);
        assert!(
            c.field("event_params").is_none(),
            "repeated records are not scalar columns"
        );
        assert_eq!(c.item_field("price").unwrap().ty, SqlType::Float64);
        assert!(c.item_field("item_params").is_none());
    }

    #[test]
    fn items_type_is_a_full_struct_array() {
        let t = catalog().items_type.to_string();
        assert!(t.starts_with("ARRAY<STRUCT<item_id STRING, "), "{t}");
        assert!(t.contains("item_params ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value INT64"), "{t}");
    }

    #[test]
    fn default_columns_exist() {
        let c = catalog();
        for name in DEFAULT_COLUMNS {
            assert!(
                COMPUTED.iter().any(|(n, _)| n == name) || c.field(name).is_some(),
                "{name}"
            );
        }
        for name in DEFAULT_ITEM_FIELDS {
            assert!(c.item_field(name).is_some(), "{name}");
        }
    }
}
