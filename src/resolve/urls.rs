//! The page URL settings: `url_params` columns, and `url_exclude_params` checked.

use std::collections::BTreeMap;

use crate::model::{Column, Origin, SqlType};
use crate::names;
use crate::spec::{Settings, UrlParam, UrlParamType};

use super::columns::Columns;
use super::event::EventCtx;

/// The URL whose query `url_params` reads.
const QUERY_URL: &str = "page_location";

/// What a name of a query parameter may hold: RFC 3986's unreserved characters, so a name in a
/// spec means one thing however a browser encodes it.
fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a query parameter name cannot be empty".into());
    }
    if key.len() > 128 {
        return Err(format!(
            "query parameter name `{}` is longer than 128 characters",
            names::prefix(key, 40)
        ));
    }
    match key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~')))
    {
        Some(c) => Err(format!(
            "query parameter name `{}` holds `{c}`",
            names::prefix(key, 40)
        )),
        None => Ok(()),
    }
}

const KEY_HINT: &str =
    "name the parameter decoded, with letters, digits, `_`, `-`, `.` and `~` (`utm_source`)";

impl EventCtx<'_> {
    /// Adds a column per `url_params` entry; returns the `url_exclude_params` list.
    pub(super) fn url_settings(
        &mut self,
        settings: &Settings,
        columns: &mut Columns,
    ) -> Vec<String> {
        let exclude = settings.url_exclude_params.clone().unwrap_or_default();
        let mut seen = BTreeMap::new();
        for (i, key) in exclude.iter().enumerate() {
            let path = format!("url_exclude_params[{i}]");
            if let Err(problem) = check_key(key) {
                self.error(&path, problem, KEY_HINT);
            } else if seen.insert(key.as_str(), i).is_some() {
                self.error(&path, format!("`{key}` is listed twice"), "list it once");
            }
        }
        let mut taken = BTreeMap::new();
        for (i, param) in settings.url_params.iter().flatten().enumerate() {
            let key = param.key();
            let path = match param {
                UrlParam::Name(_) => format!("url_params[{i}]"),
                UrlParam::Typed(_) => format!("url_params[{i}].key"),
            };
            if let Err(problem) = check_key(key) {
                self.error(&path, problem, KEY_HINT);
                continue;
            }
            if taken.insert(key.to_string(), i).is_some() {
                self.error(&path, format!("`{key}` is listed twice"), "list it once");
                continue;
            }
            if exclude.iter().any(|x| x == key) {
                self.error(
                    &path,
                    format!("`{key}` is in both `url_params` and `url_exclude_params`"),
                    "a parameter removed from the stored URLs is not taken as a column either: keep one",
                );
                continue;
            }
            let (ty, alias) = match param {
                UrlParam::Name(_) => (UrlParamType::String, None),
                UrlParam::Typed(spec) => {
                    (spec.ty.unwrap_or(UrlParamType::String), spec.alias.clone())
                }
            };
            let column_path = if alias.is_some() {
                format!("url_params[{i}].as")
            } else {
                path
            };
            let column = Column {
                name: alias.unwrap_or_else(|| names::column_from_key(&format!("url_{key}"))),
                ty: match ty {
                    UrlParamType::String => SqlType::String,
                    UrlParamType::Int64 => SqlType::Int64,
                    UrlParamType::Float64 => SqlType::Float64,
                    UrlParamType::Bool => SqlType::Bool,
                },
                origin: Origin::UrlParam {
                    url: QUERY_URL.into(),
                    key: key.to_string(),
                    param_type: ty,
                },
            };
            self.add(columns, column, &column_path, format!("url_params `{key}`"));
        }
        exclude
    }
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn keys_are_unreserved_characters() {
        assert!(check_key("utm_source").is_ok());
        assert!(check_key("a.b-c~d").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("a b").unwrap_err().contains("holds ` `"));
        assert!(check_key("a=b").is_err());
        assert!(check_key(&"x".repeat(129)).is_err());
    }
}

#[cfg(test)]
mod resolved {
    use super::super::resolve;
    use super::super::test_support::{project, FILE};
    use crate::load::Overrides;
    use crate::model::{Origin, SqlType};
    use crate::spec::UrlParamType;

    #[test]
    fn an_events_url_params_replace_the_project_files() {
        let file = format!("{FILE}url_params: [gclid]\nurl_exclude_params: [email]\n");
        let p = project(
            &file,
            &[
                "event: a\nurl_params: [utm_source, {key: page, type: int64, as: n}]\n",
                "event: b\n",
            ],
        );
        let build = resolve(&p, &Overrides::default()).unwrap();
        let url_columns = |i: usize| -> Vec<(String, SqlType)> {
            build.tables[i]
                .columns
                .iter()
                .filter(|c| matches!(c.origin, Origin::UrlParam { .. }))
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect()
        };
        assert_eq!(
            url_columns(0),
            [
                ("url_utm_source".to_string(), SqlType::String),
                ("n".to_string(), SqlType::Int64)
            ]
        );
        assert_eq!(url_columns(1), [("url_gclid".to_string(), SqlType::String)]);
        assert!(build
            .tables
            .iter()
            .all(|t| t.url_exclude_params == ["email"]));
        assert!(build.tables[0].columns.iter().any(|c| c.origin
            == Origin::UrlParam {
                url: "page_location".into(),
                key: "page".into(),
                param_type: UrlParamType::Int64
            }));
    }

    #[test]
    fn url_columns_read_the_string_value_of_their_param_only() {
        let p = project(
            FILE,
            &["event: a\ncolumns: [event_date, page_host, referrer_path]\nurl_params: [utm_source]\n"],
        );
        let mut table = resolve(&p, &Overrides::default()).unwrap().tables.remove(0);
        // event_key, the default dedupe key, hashes every param.
        table
            .columns
            .retain(|c| !matches!(&c.origin, Origin::Computed { name } if name == "event_key"));
        let leaves = crate::reads::table_leaves(&table);
        let params: Vec<&str> = leaves
            .iter()
            .filter(|l| l.starts_with("event_params"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            params,
            ["event_params.key", "event_params.value.string_value"]
        );
    }
}
