//! `catalog.json`: the saved result of `bqflat discover-sql` (`bq query --format=json`), listing
//! every key each event carries and which value columns were set. Specs choose params from it with
//! globs instead of typing every key.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Location};
use crate::spec::ParamType;

pub const FILE: &str = "catalog.json";

/// The largest catalog read (64 MiB): a busy property has a few thousand keys, far fewer rows.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct Catalog {
    pub path: Utf8PathBuf,
    /// Of the file's text: what tables typed from it depend on.
    pub digest: String,
    /// By event name and array (`event_params`, `user_properties`, `item_params`), sorted by key.
    keys: BTreeMap<(String, String), Vec<Key>>,
}

/// One key of one event's array, with how often each value column was set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Key {
    pub key: String,
    #[serde(deserialize_with = "count")]
    pub occurrences: u64,
    #[serde(deserialize_with = "count")]
    pub string_values: u64,
    #[serde(deserialize_with = "count")]
    pub int_values: u64,
    #[serde(deserialize_with = "count")]
    pub float_values: u64,
    #[serde(deserialize_with = "count")]
    pub double_values: u64,
}

#[derive(Debug, Deserialize)]
struct Row {
    event_name: String,
    array_name: String,
    #[serde(flatten)]
    key: Key,
}

/// `bq query --format=json` writes integers as strings; other tools write numbers.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Count::deserialize(d)? {
        Count::Number(n) => Ok(n),
        Count::Text(t) => t
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("expected a count, found {t:?}"))),
    }
}

impl Catalog {
    pub fn load(path: &Utf8Path) -> Result<Catalog, Diagnostic> {
        let bytes = super::yaml::read_limited(
            path,
            MAX_BYTES,
            "catalogs",
            "run `bqflat discover-sql` over a shorter window",
        )?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Diagnostic::new(format!("{path} is not UTF-8 text"))
                .at(Location::file(path))
                .hint("save the output of `bq query --format=json` on the `bqflat discover-sql` query unchanged")
        })?;
        Catalog::parse(path, &text)
    }

    pub fn parse(path: &Utf8Path, text: &str) -> Result<Catalog, Diagnostic> {
        let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| {
            let d = Diagnostic::new(format!("{path} is not a bqflat catalog: {e}"))
                .at(Location::new(path, e.line().max(1), e.column().max(1)));
            // A line is quoted only from what is JSON text to begin with: never the start of
            // some other file the path happens to name.
            let d = if looks_like_json(text) { d.with_source(text) } else { d };
            d.hint("save the output of `bq query --format=json` on the `bqflat discover-sql` query unchanged")
        })?;
        let mut keys: BTreeMap<(String, String), Vec<Key>> = BTreeMap::new();
        for row in rows {
            keys.entry((row.event_name, row.array_name))
                .or_default()
                .push(row.key);
        }
        for list in keys.values_mut() {
            list.sort_by(|a, b| a.key.cmp(&b.key));
            list.dedup_by(|a, b| a.key == b.key);
        }
        Ok(Catalog {
            path: path.to_owned(),
            digest: crate::reuse::fingerprint(&[text]),
            keys,
        })
    }

    /// The keys of `event`'s `array`, sorted; empty when the catalog never saw them.
    pub fn keys(&self, event: &str, array: &str) -> &[Key] {
        self.keys
            .get(&(event.to_string(), array.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every event the catalog lists, sorted.
    pub fn events(&self) -> Vec<&str> {
        let mut events: Vec<&str> = self.keys.keys().map(|(e, _)| e.as_str()).collect();
        events.dedup();
        events
    }
}

/// Whether `text` starts as a JSON array or object and holds no control characters besides
/// line breaks and tabs.
fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['[', '{'])
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

impl Key {
    /// The column type for the values seen, and whether it is loose (text and numbers together
    /// become `any`). A key set as both int and double becomes `float64`, which reads both
    /// without loss: nothing to warn about.
    pub fn param_type(&self) -> (ParamType, bool) {
        let text = self.string_values > 0;
        let int = self.int_values > 0;
        let real = self.float_values > 0 || self.double_values > 0;
        match (text, int, real) {
            (true, false, false) => (ParamType::String, false),
            (false, true, false) => (ParamType::Int64, false),
            (false, false, true) => (ParamType::Float64, false),
            (false, true, true) => (ParamType::Float64, false),
            (true, _, _) => (ParamType::Any, true),
            // Never set: nothing to go by, so the value is kept whatever it turns out to be.
            (false, false, false) => (ParamType::Any, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_strings_or_numbers() {
        let text = r#"[{"event_name":"a","array_name":"event_params","key":"k","occurrences":"3","string_values":"0","int_values":3,"float_values":"0","double_values":"0"}]"#;
        let c = Catalog::parse("c.json".into(), text).unwrap();
        let k = &c.keys("a", "event_params")[0];
        assert_eq!(
            (k.occurrences, k.param_type()),
            (3, (ParamType::Int64, false))
        );
    }

    #[test]
    fn text_and_numbers_widen_with_a_flag_ints_and_doubles_do_not() {
        let key = |s, i, d| Key {
            key: "k".into(),
            occurrences: 1,
            string_values: s,
            int_values: i,
            float_values: 0,
            double_values: d,
        };
        assert_eq!(key(0, 1, 1).param_type(), (ParamType::Float64, false));
        assert_eq!(key(1, 1, 0).param_type(), (ParamType::Any, true));
        assert_eq!(key(0, 0, 2).param_type(), (ParamType::Float64, false));
        assert_eq!(key(2, 0, 0).param_type(), (ParamType::String, false));
    }
}
