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
        if let Some((index, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| !ARRAYS.contains(&r.array_name.as_str()))
        {
            return Err(unknown_array(path, text, index, row));
        }
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

/// The arrays `bqflat discover-sql` lists keys of: any other name is a catalog edited by hand or
/// written by another query, whose rows would otherwise be ignored without a word.
const ARRAYS: &[&str] = &["event_params", "user_properties", "item_params"];

fn unknown_array(path: &Utf8Path, text: &str, index: usize, row: &Row) -> Diagnostic {
    let shown = crate::names::prefix(&row.array_name, 40);
    let d = Diagnostic::new(format!(
        "{path}: row {} (event `{}`, key `{}`) has unknown array_name {shown:?}",
        index + 1,
        crate::names::prefix(&row.event_name, 40),
        crate::names::prefix(&row.key.key, 40),
    ));
    let d = match array_name_position(text, index) {
        Some((line, col)) if looks_like_json(text) => {
            d.at(Location::new(path, line, col)).with_source(text)
        }
        _ => d.at(Location::file(path)),
    };
    let known = ARRAYS.join("`, `");
    d.hint(match crate::diagnostics::did_you_mean(&row.array_name, ARRAYS.iter().copied()) {
        Some(close) => format!("did you mean `{close}`? array_name is one of `{known}`"),
        None => format!("array_name is one of `{known}`; save the output of the `bqflat discover-sql` query unchanged"),
    })
}

/// Line and column of the `index`-th `"array_name"` key: rows are objects in order, and a quote
/// inside a string value is escaped, so a bare `"array_name"` followed by `:` is a key.
fn array_name_position(text: &str, index: usize) -> Option<(usize, usize)> {
    let mut found = text.match_indices("\"array_name\"").filter(|(at, m)| {
        !text[..*at].ends_with('\\') && text[at + m.len()..].trim_start().starts_with(':')
    });
    let (at, _) = found.nth(index)?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some((line, col))
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
    fn an_unknown_array_name_is_an_error_at_its_row() {
        let row = |array: &str| {
            format!(
                r#"{{"event_name":"a","array_name":"{array}","key":"k","occurrences":1,"string_values":1,"int_values":0,"float_values":0,"double_values":0}}"#
            )
        };
        let text = format!("[\n{},\n{}\n]\n", row("event_params"), row("event_param"));
        let d = Catalog::parse("c.json".into(), &text).unwrap_err();
        assert_eq!(
            d.message,
            "c.json: row 2 (event `a`, key `k`) has unknown array_name \"event_param\""
        );
        let at = d.location.unwrap();
        assert_eq!((at.line, at.col), (3, 19));
        assert!(d.hint.unwrap().starts_with("did you mean `event_params`?"));
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
