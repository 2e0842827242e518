//! The export a cost estimate is made for: how many rows a day, of which events, and how many
//! bytes BigQuery bills per day for each leaf column. Measured for free with the script
//! `bqflat cost --profile-queries` prints (dry runs), counted from sample rows with
//! `--profile-from-rows`, or the built-in generic profile.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Location};
use crate::ga4;
use crate::model::SqlType;

/// The built-in profile: a generic GA4 web property.
const DEFAULT: &str = include_str!("default_profile.json");

/// Bytes a STRING value is billed beyond its UTF-8 length (BigQuery's data size calculation).
pub(crate) const STRING_OVERHEAD: f64 = 2.0;
/// Bytes per row assumed for a STRING leaf the profile does not list.
const UNLISTED_STRING_BYTES: f64 = 16.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// Always 1.
    pub format: u32,
    /// What the profile describes (shown in the output).
    #[serde(default)]
    pub description: String,
    /// Rows of one daily shard.
    pub rows_per_day: f64,
    /// Daily shards the export holds: what a first run (or a full rebuild) reads.
    pub history_days: f64,
    /// Rows per day of each event name.
    #[serde(default)]
    pub events_per_day: BTreeMap<String, f64>,
    /// Rows per day of an event `events_per_day` does not list.
    #[serde(default)]
    pub unlisted_event_rows_per_day: f64,
    /// Average bytes of one STRING param value (2 + its UTF-8 length).
    #[serde(default = "default_string_param_bytes")]
    pub string_param_bytes: f64,
    /// Average items per event, for tables that explode items (1 when not listed).
    #[serde(default)]
    pub items_per_event: BTreeMap<String, f64>,
    /// Bytes billed per day for each export leaf column (`event_params.value.int_value`).
    #[serde(default)]
    pub leaf_bytes_per_day: BTreeMap<String, f64>,
    /// Whether this is the built-in profile (never read from a file).
    #[serde(skip)]
    pub generic: bool,
}

fn default_string_param_bytes() -> f64 {
    32.0
}

impl Profile {
    pub(crate) fn builtin() -> Profile {
        let mut profile: Profile =
            serde_json::from_str(DEFAULT).expect("the built-in profile is valid");
        profile.generic = true;
        profile
    }

    /// Reads and checks a profile file; every problem names the file, the place and the fix.
    pub(crate) fn load(path: &Utf8Path) -> Result<Profile, Diagnostic> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| crate::diagnostics::io_error(path, "read the profile", &err))?;
        Profile::parse(path, &text)
    }

    pub(crate) fn parse(path: &Utf8Path, text: &str) -> Result<Profile, Diagnostic> {
        let profile: Profile = serde_json::from_str(text).map_err(|err| {
            Diagnostic::new(format!("the cost profile is not valid: {err}"))
                .at(Location::new(path, err.line().max(1), err.column().max(1)))
                .with_source(text)
                .hint("write the profile as `bqflat cost --profile-queries` makes it (see README, \"The cost profile\")")
        })?;
        let at = |needle: &str| {
            let found = text.find(&format!("\"{needle}\""));
            let (line, col) = found
                .map(|i| {
                    let before = &text[..i];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
                    (line, col)
                })
                .unwrap_or((1, 1));
            Location::new(path, line, col)
        };
        let fail = |key: &str, message: String, hint: &str| {
            Err(Diagnostic::new(message)
                .at(at(key))
                .with_source(text)
                .hint(hint.to_string()))
        };
        if profile.format != 1 {
            return fail(
                "format",
                format!("profile format {} is not known", profile.format),
                "set `\"format\": 1`",
            );
        }
        for (key, value) in [
            ("rows_per_day", profile.rows_per_day),
            ("history_days", profile.history_days),
            (
                "unlisted_event_rows_per_day",
                profile.unlisted_event_rows_per_day,
            ),
            ("string_param_bytes", profile.string_param_bytes),
        ] {
            if !value.is_finite() || value < 0.0 {
                return fail(
                    key,
                    format!("`{key}` is {value}; it must be a number of zero or more"),
                    "write a count, e.g. `\"rows_per_day\": 1000000`",
                );
            }
        }
        if profile.history_days < 1.0 {
            return fail(
                "history_days",
                "`history_days` must be at least 1".into(),
                "write how many daily shards the export holds, e.g. `\"history_days\": 400`",
            );
        }
        let maps = [
            ("events_per_day", &profile.events_per_day),
            ("items_per_event", &profile.items_per_event),
            ("leaf_bytes_per_day", &profile.leaf_bytes_per_day),
        ];
        for (map, values) in maps {
            for (key, value) in values {
                if !value.is_finite() || *value < 0.0 {
                    return fail(
                        key,
                        format!("{map}: `{key}` is {value}; it must be a number of zero or more"),
                        "write bytes or rows as a plain number",
                    );
                }
            }
        }
        for leaf in profile.leaf_bytes_per_day.keys() {
            if ga4::catalog().leaf_type(leaf).is_none() {
                let paths: Vec<String> = all_leaves();
                let hint = match crate::diagnostics::did_you_mean(leaf, paths.iter().map(String::as_str)) {
                    Some(meant) => format!("did you mean `{meant}`? Keys are the export's dotted leaf paths"),
                    None => "keys are the export's dotted leaf paths, e.g. `event_params.value.string_value` or `device.category`".into(),
                };
                return fail(
                    leaf,
                    format!("leaf_bytes_per_day: `{leaf}` is not a leaf column of the GA4 export"),
                    &hint,
                );
            }
        }
        Ok(profile)
    }

    /// Rows per day of an event.
    pub(crate) fn event_rows(&self, event: &str) -> f64 {
        self.events_per_day
            .get(event)
            .copied()
            .unwrap_or(self.unlisted_event_rows_per_day)
    }

    /// Items per row of an event (for exploded items).
    pub(crate) fn items_per_event(&self, event: &str) -> f64 {
        self.items_per_event.get(event).copied().unwrap_or(1.0)
    }

    /// Bytes per day of a leaf: measured, or (a leaf the profile does not list) its type's size
    /// on every row.
    pub(crate) fn leaf_per_day(&self, leaf: &str) -> f64 {
        if let Some(bytes) = self.leaf_bytes_per_day.get(leaf) {
            return *bytes;
        }
        let width = match ga4::catalog().leaf_type(leaf) {
            Some(SqlType::String) | None => STRING_OVERHEAD + UNLISTED_STRING_BYTES,
            Some(ty) => type_width(&ty, self),
        };
        width * self.rows_per_day
    }

    /// Average bytes of a leaf on one row of the export.
    pub(crate) fn leaf_per_row(&self, leaf: &str) -> f64 {
        if self.rows_per_day == 0.0 {
            0.0
        } else {
            self.leaf_per_day(leaf) / self.rows_per_day
        }
    }

    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a profile serializes");
        text.push('\n');
        text
    }
}

/// The billed size of one value of a scalar type; a STRING's is the profile's average param
/// value.
pub(crate) fn type_width(ty: &SqlType, profile: &Profile) -> f64 {
    match ty {
        SqlType::Bool => 1.0,
        SqlType::Int64 | SqlType::Float64 | SqlType::Date | SqlType::Timestamp => 8.0,
        SqlType::String => profile.string_param_bytes,
        SqlType::Array(_) | SqlType::Struct(_) => 0.0,
    }
}

/// The billed size of one JSON value of a leaf of type `ty`: NULL is free, a STRING is 2 bytes
/// plus its UTF-8 length, INT64, FLOAT64, DATE and TIMESTAMP 8, BOOL 1.
pub(crate) fn value_bytes(ty: &SqlType, value: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match (ty, value) {
        (_, Value::Null) => 0,
        (SqlType::String, Value::String(s)) => 2 + s.len() as u64,
        (SqlType::String, other) => 2 + other.to_string().len() as u64,
        (SqlType::Bool, _) => 1,
        (SqlType::Int64 | SqlType::Float64 | SqlType::Date | SqlType::Timestamp, _) => 8,
        (SqlType::Array(_) | SqlType::Struct(_), _) => 0,
    }
}

/// Every leaf path of the export, for hints.
fn all_leaves() -> Vec<String> {
    let mut out = Vec::new();
    collect_leaves(
        &serde_json::from_str::<serde_json::Value>(ga4::EXPORT_SCHEMA).unwrap_or_default(),
        "",
        &mut out,
    );
    out
}

fn collect_leaves(fields: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    for f in fields.as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or_default();
        let path = format!("{prefix}{name}");
        if f["type"] == "RECORD" {
            collect_leaves(&f["fields"], &format!("{path}."), out);
        } else {
            out.push(path);
        }
    }
}

/// A profile counted from export rows (JSON lines, one row each, shaped like the export): each
/// leaf's bytes by BigQuery's size rules, divided by the number of distinct `event_date`s.
pub(crate) fn from_rows(path: &Utf8Path) -> Result<Profile, Diagnostic> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| crate::diagnostics::io_error(path, "read the rows", &err))?;
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    let mut strings = (0u64, 0u64);
    let mut days = std::collections::BTreeSet::new();
    let mut rows = 0u64;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(line).map_err(|err| {
            Diagnostic::new(format!("row {} is not a JSON object: {err}", n + 1))
                .at(Location::new(path, n + 1, err.column().max(1)))
                .hint(
                    "write one export row per line, as `bq query --format=json` rows or JSON lines",
                )
        })?;
        rows += 1;
        let name = row["event_name"].as_str().unwrap_or_default().to_string();
        *events.entry(name).or_default() += 1;
        days.insert(row["event_date"].to_string());
        add_leaves(&row, "", &mut totals);
        for array in ["event_params", "user_properties"] {
            for p in row[array].as_array().into_iter().flatten() {
                if let Some(s) = p["value"]["string_value"].as_str() {
                    strings.0 += 2 + s.len() as u64;
                    strings.1 += 1;
                }
            }
        }
    }
    let days = days.len().max(1) as f64;
    Ok(Profile {
        format: 1,
        description: format!("counted from {} rows of {path}", rows),
        rows_per_day: rows as f64 / days,
        history_days: days,
        events_per_day: events
            .into_iter()
            .map(|(k, v)| (k, v as f64 / days))
            .collect(),
        unlisted_event_rows_per_day: 0.0,
        string_param_bytes: if strings.1 == 0 {
            default_string_param_bytes()
        } else {
            strings.0 as f64 / strings.1 as f64
        },
        items_per_event: BTreeMap::new(),
        leaf_bytes_per_day: totals
            .into_iter()
            .map(|(k, v)| (k, v as f64 / days))
            .collect(),
        generic: false,
    })
}

/// Adds the billed bytes of every leaf under `value` (at dotted `prefix`) to `totals`; arrays
/// count each element, a leaf the export does not have is left out.
fn add_leaves(value: &serde_json::Value, prefix: &str, totals: &mut BTreeMap<String, u64>) {
    use serde_json::Value;
    match value {
        Value::Object(fields) => {
            for (name, v) in fields {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                add_leaves(v, &path, totals);
            }
        }
        Value::Array(items) => {
            for item in items {
                add_leaves(item, prefix, totals);
            }
        }
        scalar => {
            if let Some(ty) = ga4::catalog().leaf_type(prefix) {
                *totals.entry(prefix.to_string()).or_default() += value_bytes(&ty, scalar);
            }
        }
    }
}
