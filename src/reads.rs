//! What each table reads of the export, as the leaf columns BigQuery bills (`device.category`,
//! `event_params.value.int_value`), and the shared scans `_run.sql` and the dbt and Dataform base
//! models read once for every table of a source. The cost model and the templates both start
//! here, so the bytes `bqflat cost` counts are the columns the SQL names.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Build, Origin, SqlType, Table};
use crate::spec::ParamType;

/// Export fields that identify one event: `event_key` hashes them with every event param.
pub(crate) const EVENT_KEY_FIELDS: &[&str] = &[
    "stream_id",
    "user_pseudo_id",
    "event_timestamp",
    "event_name",
    "event_bundle_sequence_id",
    "batch_page_id",
    "batch_ordering_id",
    "batch_event_index",
];

const VALUE_LEAVES: &[&str] = &["string_value", "int_value", "float_value", "double_value"];

/// The `value.*` leaves a param type reads.
fn value_leaves(ty: ParamType) -> &'static [&'static str] {
    match ty {
        ParamType::Bool => &["int_value", "string_value"],
        ParamType::Text => &["string_value"],
        _ => VALUE_LEAVES,
    }
}

/// Where one array of params lives in the export row.
fn array_path(array: &str) -> &'static str {
    match array {
        "user_properties" => "user_properties",
        "item_params" => "items.item_params",
        _ => "event_params",
    }
}

fn param_leaves(array: &str, ty: ParamType, out: &mut BTreeSet<String>) {
    let at = array_path(array);
    out.insert(format!("{at}.key"));
    for leaf in value_leaves(ty) {
        out.insert(format!("{at}.value.{leaf}"));
    }
}

fn type_leaves(prefix: &str, ty: &SqlType, out: &mut BTreeSet<String>) {
    match ty {
        SqlType::Array(inner) => type_leaves(prefix, inner, out),
        SqlType::Struct(fields) => {
            for (name, ty) in fields {
                type_leaves(&format!("{prefix}.{name}"), ty, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

/// The export leaves a table's own script reads: the rows' filters (event name, days) and every
/// column's sources.
pub(crate) fn table_leaves(t: &Table) -> BTreeSet<String> {
    let mut out = row_filter_leaves(t);
    for c in &t.columns {
        column_leaves(t, c, &mut out);
    }
    out
}

/// The export leaves `_checks.sql` reads to count the table's events per partition day: the
/// rows' filters, the event's time and the partition column's sources.
pub(crate) fn count_leaves(t: &Table) -> BTreeSet<String> {
    let mut out = row_filter_leaves(t);
    out.insert("event_timestamp".to_string());
    if let Some(c) = t.column(&t.partition.column) {
        column_leaves(t, c, &mut out);
    }
    out
}

/// The export leaves one column is computed from.
fn column_leaves(t: &Table, c: &crate::model::Column, out: &mut BTreeSet<String>) {
    match &c.origin {
        Origin::Param {
            array, param_type, ..
        } => param_leaves(array, *param_type, out),
        Origin::Computed { name } if name == "event_key" => {
            out.extend(EVENT_KEY_FIELDS.iter().map(|f| f.to_string()));
            param_leaves("event_params", ParamType::Any, out);
        }
        Origin::UrlParam { .. } => param_leaves("event_params", ParamType::Text, out),
        Origin::Computed { name } => {
            for (_, ty) in crate::ga4::computed_params(name) {
                param_leaves("event_params", *ty, out);
            }
            out.extend(field_leaves(t, &c.origin, &c.ty));
        }
        _ => out.extend(field_leaves(t, &c.origin, &c.ty)),
    }
}

/// What every read of the table's rows filters on.
fn row_filter_leaves(t: &Table) -> BTreeSet<String> {
    let mut out = BTreeSet::from(["event_name".to_string()]);
    if t.drop_denied {
        out.insert("user_pseudo_id".to_string());
        out.insert("privacy_info.analytics_storage".to_string());
    }
    if let Some(column) = &t.source.date_column {
        out.insert(column.clone());
    } else if !t.source.sharded {
        out.insert("event_date".to_string());
    }
    out
}

/// The leaves a column copies from the row as they are (what a scan keeps in its own columns);
/// none for event_key and params, which a scan computes.
fn field_leaves(t: &Table, origin: &Origin, ty: &SqlType) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match origin {
        Origin::Computed { name } if name == "event_date" => {
            out.insert(
                if t.timezone.is_some() {
                    "event_timestamp"
                } else {
                    "event_date"
                }
                .into(),
            );
        }
        Origin::Computed { name } if name == "event_ts" => {
            out.insert("event_timestamp".into());
        }
        Origin::Computed { name } => {
            out.extend(
                crate::ga4::computed_fields(name)
                    .iter()
                    .map(|f| f.to_string()),
            );
        }
        Origin::Field { path } => {
            out.insert(path.clone());
        }
        Origin::ItemField { field } => {
            out.insert(format!("items.{field}"));
        }
        Origin::Param {
            array, param_type, ..
        } if array == "item_params" => param_leaves(array, *param_type, &mut out),
        Origin::Items => type_leaves("items", ty, &mut out),
        _ => {}
    }
    out
}

/// A param a scan computes once, for every table that reads it with this type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ScanParam {
    /// `event_params` or `user_properties`.
    pub array: String,
    pub key: String,
    pub param_type: ParamType,
    /// The scan's column holding the value.
    pub column: String,
}

/// One read of a source for every table that reads it: the rows of the project's events, with
/// the export fields the tables copy (in the export's shape, pruned to those fields), event_key
/// and each param computed once.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// Indexes into `Build::tables`, in build order.
    pub tables: Vec<usize>,
    /// Sorted, each once.
    pub events: Vec<String>,
    /// Export leaves the scan's rows keep as they are.
    pub fields: BTreeSet<String>,
    /// Whether a table reads event_key (computed in the scan as `bqflat_event_key`).
    pub event_key: bool,
    /// Sorted by array, key and type.
    pub params: Vec<ScanParam>,
}

/// The scan's column with a row's event_key.
pub(crate) const SCAN_EVENT_KEY: &str = "bqflat_event_key";
/// The scan's column with a row's shard day (DATE): `_run.sql`'s copy and the base models are
/// partitioned by it.
pub(crate) const SCAN_DAY: &str = "bqflat_day";
/// The scan's column with the `_TABLE_SUFFIX` a row was read from.
pub(crate) const SCAN_SUFFIX: &str = "bqflat_suffix";

impl Scan {
    /// Every leaf the scan reads from the export: what its tables' own scripts read together.
    pub(crate) fn export_leaves(&self, build: &Build) -> BTreeSet<String> {
        self.tables
            .iter()
            .flat_map(|&i| table_leaves(&build.tables[i]))
            .collect()
    }

    /// For each column of `t` the scan computes, the scan column holding it; and, for a column
    /// derived from a param (`session_key`, the URL columns), `bqflat:<param>` for the scan
    /// column holding that param.
    pub(crate) fn computed_columns(&self, t: &Table) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for c in &t.columns {
            match &c.origin {
                Origin::Computed { name } if name == "event_key" => {
                    out.insert(c.name.clone(), SCAN_EVENT_KEY.to_string());
                }
                origin => {
                    for (array, key, ty) in scan_params(origin) {
                        // A column derived from its param (session_key hashes it, the URL
                        // columns parse it): the template finds the param's column by its name.
                        let at = match origin {
                            Origin::Computed { name } if !crate::ga4::computed_is_param(name) => {
                                format!("bqflat:{key}")
                            }
                            Origin::UrlParam { .. } => format!("bqflat:{key}"),
                            _ => c.name.clone(),
                        };
                        out.insert(at, self.param_column(array, key, ty));
                    }
                }
            }
        }
        out
    }

    fn param_column(&self, array: &str, key: &str, ty: ParamType) -> String {
        // `params` is sorted by array, key and type.
        let at = self
            .params
            .binary_search_by(|p| {
                (p.array.as_str(), p.key.as_str(), p.param_type).cmp(&(array, key, ty))
            })
            .expect("a scan computes every param of its tables");
        self.params[at].column.clone()
    }

    /// The scan columns a table's rows are read from (its fields, the suffix, and what the scan
    /// computed for it): what reading the scan bills, per row of the table's event.
    pub(crate) fn table_columns(&self, t: &Table) -> BTreeSet<String> {
        let mut out = row_filter_leaves(t);
        out.insert(SCAN_DAY.to_string());
        if t.source.sharded {
            out.insert(SCAN_SUFFIX.to_string());
        }
        for c in &t.columns {
            out.extend(field_leaves(t, &c.origin, &c.ty));
        }
        out.extend(self.computed_columns(t).into_values());
        out
    }
}

/// The params (array, key, type) a scan computes for a column: the column's own param, or those
/// a computed column (`session_key`, …) is read from. Item params stay inside the items.
fn scan_params(origin: &Origin) -> Vec<(&str, &str, ParamType)> {
    match origin {
        Origin::Param {
            array,
            key,
            param_type,
        } if array != "item_params" => vec![(array.as_str(), key.as_str(), *param_type)],
        Origin::Computed { name } => crate::ga4::computed_params(name)
            .iter()
            .map(|(key, ty)| ("event_params", *key, *ty))
            .collect(),
        Origin::UrlParam { url, .. } => vec![("event_params", url.as_str(), ParamType::Text)],
        _ => Vec::new(),
    }
}

/// What identifies a source: tables that share it share one scan.
fn source_key(t: &Table) -> (String, String, String, Option<String>) {
    let s = &t.source;
    (
        s.project.clone(),
        s.dataset.clone(),
        s.table.clone(),
        s.date_column.clone(),
    )
}

/// Whether a table is built by bqflat's own scripts, which the shared scans know how to feed:
/// one rendered by a template of the project's own (its own file, or its copy of `full.sql` or
/// `incremental.sql`, as `overridden` says) reads the export itself.
pub(crate) fn shares_scans(t: &Table, overridden: &dyn Fn(&str) -> bool) -> bool {
    let builtin = match t.mode {
        crate::spec::Mode::Full => "full.sql",
        crate::spec::Mode::Incremental => "incremental.sql",
    };
    t.template == builtin && !overridden(builtin)
}

/// One scan per source, in the order the build first reads each source (tables with templates of
/// their own left out).
pub(crate) fn scans(build: &Build, overridden: &dyn Fn(&str) -> bool) -> Vec<Scan> {
    let mut order: Vec<(String, String, String, Option<String>)> = Vec::new();
    let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, t) in build.tables.iter().enumerate() {
        if !shares_scans(t, overridden) {
            continue;
        }
        let key = source_key(t);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(i);
    }
    order
        .into_iter()
        .map(|key| scan(build, groups.remove(&key).unwrap_or_default()))
        .collect()
}

fn scan(build: &Build, tables: Vec<usize>) -> Scan {
    let mut events = BTreeSet::new();
    let mut fields = BTreeSet::new();
    let mut event_key = false;
    let mut params = BTreeSet::new();
    for &i in &tables {
        let t = &build.tables[i];
        events.insert(t.event.clone());
        fields.extend(row_filter_leaves(t));
        for c in &t.columns {
            fields.extend(field_leaves(t, &c.origin, &c.ty));
            event_key |= matches!(&c.origin, Origin::Computed { name } if name == "event_key");
            for (array, key, ty) in scan_params(&c.origin) {
                params.insert((array.to_string(), key.to_string(), ty));
            }
        }
    }
    Scan {
        tables,
        events: events.into_iter().collect(),
        fields,
        event_key,
        params: param_columns(params),
    }
}

/// Names the scan's param columns after the array, key and type (`bqflat_ep_page_title_string`),
/// numbered when two keys spell the same name.
fn param_columns(params: BTreeSet<(String, String, ParamType)>) -> Vec<ScanParam> {
    let mut taken = BTreeSet::new();
    params
        .into_iter()
        .map(|(array, key, param_type)| {
            let short = if array == "user_properties" {
                "up"
            } else {
                "ep"
            };
            let word: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .take(60)
                .collect();
            let base = format!("bqflat_{short}_{word}_{}", param_type.name());
            let mut column = base.clone();
            let mut n = 2;
            while !taken.insert(column.to_lowercase()) {
                column = format!("{base}_{n}");
                n += 1;
            }
            ScanParam {
                array,
                key,
                param_type,
                column,
            }
        })
        .collect()
}
