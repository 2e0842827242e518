//! Event params and user properties: listed one by one, or chosen by glob from the catalog.

use crate::model::{Column, Origin};
use crate::names;
use crate::spec::{Param, ParamSelect, ParamType, Params};

use super::columns::Columns;
use super::event::EventCtx;
use super::types::param_sql_type;

/// The keys a list of params names; none for globs.
fn listed_keys(params: &Params) -> Vec<&str> {
    match params {
        Params::List(list) => list.iter().map(|p| p.key.as_str()).collect(),
        Params::Select(_) => Vec::new(),
    }
}

/// `41873` as `41,873`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl EventCtx<'_> {
    pub(super) fn params(
        &mut self,
        setting: &str,
        array: &str,
        params: &Params,
        event: &str,
        columns: &mut Columns,
    ) {
        match params {
            Params::List(list) => self.listed_params(setting, array, list, event, columns),
            Params::Select(select) => {
                let typed = format!("{setting}.typed");
                self.listed_params(&typed, array, &select.typed, event, columns);
                self.select_params(setting, array, select, event, columns);
            }
        }
    }

    /// The project file's `params` (or `user_properties`) for this event: every entry whose key
    /// the event's own list does not name, before the event's own.
    pub(super) fn shared_params(
        &mut self,
        setting: &str,
        array: &str,
        own: &Params,
        event: &str,
        columns: &mut Columns,
    ) {
        let Some(file) = self.file else { return };
        let shared = match setting {
            "params" => &file.value.params,
            _ => &file.value.user_properties,
        };
        let Params::List(list) = shared else {
            self.shared = true;
            self.error(
                setting,
                format!("`{setting}` in the project file is a list: globs choose keys per event"),
                "list the keys every event gets here, and keep `include`/`exclude` in the event specs",
            );
            self.shared = false;
            return;
        };
        let own_keys: Vec<&str> = match own {
            Params::List(l) => l.iter().map(|p| p.key.as_str()).collect(),
            Params::Select(s) => s.typed.iter().map(|p| p.key.as_str()).collect(),
        };
        self.shared = true;
        self.listed_params_except(setting, array, list, &own_keys, event, columns);
        self.shared = false;
    }

    /// Params listed one by one; `at` is where the list is (`params`, `params.typed`).
    pub(super) fn listed_params(
        &mut self,
        at: &str,
        array: &str,
        params: &[Param],
        event: &str,
        columns: &mut Columns,
    ) {
        self.listed_params_except(at, array, params, &[], event, columns);
    }

    /// Like `listed_params`, leaving out the keys in `except` (those an event lists itself).
    fn listed_params_except(
        &mut self,
        at: &str,
        array: &str,
        params: &[Param],
        except: &[&str],
        event: &str,
        columns: &mut Columns,
    ) {
        for (i, param) in params.iter().enumerate() {
            if except.contains(&param.key.as_str()) {
                continue;
            }
            let path = format!("{at}[{i}]");
            if param.key.is_empty() {
                self.error(
                    &format!("{path}.key"),
                    "a param `key` cannot be empty",
                    "write the key exactly as in the export",
                );
                continue;
            }
            self.against_catalog(&path, array, event, param);
            let name = param
                .alias
                .clone()
                .unwrap_or_else(|| names::column_from_key(&param.key));
            let column = Column {
                name,
                ty: param_sql_type(param.ty.unwrap_or(ParamType::String)),
                origin: Origin::Param {
                    array: array.into(),
                    key: param.key.clone(),
                    param_type: param.ty.unwrap_or(ParamType::String),
                },
            };
            let alias_path = if param.alias.is_some() {
                format!("{path}.as")
            } else {
                format!("{path}.key")
            };
            let name = column.name.clone();
            let added = columns.list.len();
            self.add(
                columns,
                column,
                &alias_path,
                format!("{at} key `{}`", names::prefix(&param.key, 40)),
            );
            if param.required == Some(true) && columns.list.len() > added {
                columns.required.push(name);
            }
        }
    }

    /// What the catalog says of a listed key, as warnings at its line: a key it never saw for the
    /// event (a typo gives a column that is always NULL), and a numeric type for a key it saw
    /// only text values for (every value would be NULL).
    fn against_catalog(&mut self, path: &str, array: &str, event: &str, param: &Param) {
        let Some(catalog) = self.catalog else { return };
        // A key every event gets is missing on some of them by nature: only a key no event has
        // is a typo.
        let seen_anywhere = || {
            catalog
                .events()
                .iter()
                .any(|e| catalog.keys(e, array).iter().any(|k| k.key == param.key))
        };
        if self.shared && seen_anywhere() {
            return;
        }
        let keys = catalog.keys(event, array);
        if keys.is_empty() {
            return; // the catalog does not cover this event's array: nothing to compare
        }
        let Some(seen) = keys.iter().find(|k| k.key == param.key) else {
            let close =
                crate::diagnostics::did_you_mean(&param.key, keys.iter().map(|k| k.key.as_str()))
                    .and_then(|close| keys.iter().find(|k| k.key == close))
                    .map(|k| {
                        format!(
                            "did you mean `{}` ({} events)?",
                            k.key,
                            thousands(k.occurrences)
                        )
                    })
                    .unwrap_or_else(|| {
                        "check the key's spelling in the export, or refresh the catalog".into()
                    });
            self.warn(
                &format!("{path}.key"),
                format!("{array} key `{}` is not in the catalog for event `{event}`: its column would always be NULL", names::prefix(&param.key, 40)),
                close,
            );
            return;
        };
        let numeric = matches!(
            param.ty,
            Some(ParamType::Int64 | ParamType::Float64 | ParamType::Number)
        );
        let numbers = seen.int_values + seen.float_values + seen.double_values;
        if numeric && numbers == 0 && seen.string_values > 0 {
            self.warn(
                &format!("{path}.type"),
                format!(
                    "{array} key `{}` is typed {}, but the catalog saw only text values for it ({} events): every value would be NULL",
                    names::prefix(&param.key, 40),
                    param.ty.map(|t| t.name()).unwrap_or_default(),
                    thousands(seen.string_values)
                ),
                "use `type: string`, or leave the type out".into(),
            );
        }
    }

    /// The keys of the catalog that `select` chooses, typed by the values the catalog saw.
    pub(super) fn select_params(
        &mut self,
        setting: &str,
        array: &str,
        select: &ParamSelect,
        event: &str,
        columns: &mut Columns,
    ) {
        let Some(catalog) = self.catalog else {
            self.error(
                setting,
                format!("`{setting}` chooses keys by glob, but the project has no catalog"),
                "print the discovery query with `bqflat discover-sql`, run it with `bq query --format=json` and save the result as catalog.json in the project",
            );
            return;
        };
        let mut globs = |list: &[String], part: &str| -> Vec<globset::GlobMatcher> {
            let mut matchers = Vec::new();
            for (i, pattern) in list.iter().enumerate() {
                match globset::Glob::new(pattern) {
                    Ok(glob) => matchers.push(glob.compile_matcher()),
                    Err(e) => self.error(
                        &format!("{setting}.{part}[{i}]"),
                        format!("invalid glob {pattern:?}: {}", e.kind()),
                        "use `*` for any run of characters, `?` for one, `[abc]` for a set",
                    ),
                }
            }
            matchers
        };
        let include = globs(&select.include, "include");
        let exclude = globs(&select.exclude, "exclude");
        if include.len() + exclude.len() < select.include.len() + select.exclude.len() {
            // An invalid glob is reported; what the others match would only add noise.
            return;
        }
        let keys = catalog.keys(event, array);
        if keys.is_empty() {
            self.error(
                setting,
                format!("the catalog {} lists no {array} keys for event `{event}`", catalog.path),
                "check the event name, or run the discovery query again over a window in which the event occurs",
            );
            return;
        }
        // The project file's list already gave every event its keys: a glob that matches one
        // leaves it to that entry.
        let shared: Vec<&str> = match (self.file, setting) {
            (Some(f), "params") => listed_keys(&f.value.params),
            (Some(f), "user_properties") => listed_keys(&f.value.user_properties),
            _ => Vec::new(),
        };
        let at = format!("{setting}.include");
        let chosen: Vec<&crate::load::catalog::Key> = keys
            .iter()
            .filter(|k| !shared.contains(&k.key.as_str()))
            .filter(|k| include.iter().any(|g| g.is_match(&k.key)))
            .filter(|k| !exclude.iter().any(|g| g.is_match(&k.key)))
            .filter(|k| !select.typed.iter().any(|p| p.key == k.key))
            .collect();
        if chosen.is_empty() {
            let known: Vec<&str> = keys.iter().take(10).map(|k| k.key.as_str()).collect();
            self.error(
                &at,
                format!("no {array} key of event `{event}` in the catalog matches these globs"),
                format!("the catalog has: {}", known.join(", ")),
            );
        }
        for key in chosen {
            let (param_type, mixed) = key.param_type();
            if mixed {
                let kinds: Vec<&str> = [
                    (key.string_values, "string"),
                    (key.int_values, "int"),
                    (key.float_values, "float"),
                    (key.double_values, "double"),
                ]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(_, kind)| *kind)
                .collect();
                let ty = serde_json::to_value(param_type).unwrap_or_default();
                self.warn(
                    &at,
                    format!(
                        "event `{event}`: {array} key `{}` was seen with {} values; typed {}",
                        key.key,
                        kinds.join(" and "),
                        ty.as_str().unwrap_or_default()
                    ),
                    format!(
                        "to choose the type, list the key under `{setting}.typed` with a `type`"
                    ),
                );
            }
            let column = Column {
                name: names::column_from_key(&key.key),
                ty: param_sql_type(param_type),
                origin: Origin::Param {
                    array: array.into(),
                    key: key.key.clone(),
                    param_type,
                },
            };
            self.add(
                columns,
                column,
                &at,
                format!("{array} key `{}`", names::prefix(&key.key, 40)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::resolve;
    use super::super::test_support::{error, project, table, FILE};
    use crate::load::{Catalog, Overrides};
    use crate::model::{Origin, SqlType};
    use crate::spec::ParamType;

    const CATALOG: &str = r#"[
{"event_name":"a","array_name":"event_params","key":"ga_session_id","occurrences":"5","string_values":"0","int_values":"5","float_values":"0","double_values":"0"},
{"event_name":"a","array_name":"event_params","key":"ga_session_number","occurrences":"5","string_values":"0","int_values":"5","float_values":"0","double_values":"0"},
{"event_name":"a","array_name":"event_params","key":"page-location","occurrences":"5","string_values":"5","int_values":"0","float_values":"0","double_values":"0"}
]"#;

    fn with_catalog(spec: &str) -> Vec<(String, SqlType)> {
        let mut p = project(FILE, &[spec]);
        p.catalog = Some(Catalog::parse("catalog.json".into(), CATALOG).unwrap());
        let build = resolve(&p, &Overrides::default()).unwrap();
        let t = &build.tables[0];
        t.columns
            .iter()
            .filter(|c| matches!(c.origin, Origin::Param { .. }))
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect()
    }

    #[test]
    fn a_glob_leaves_the_project_files_keys_to_its_entries() {
        let file = format!("{FILE}params:\n  - {{key: ga_session_id, type: int64}}\n");
        let mut p = project(&file, &["event: a\nparams: {include: [\"*\"]}\n"]);
        p.catalog = Some(Catalog::parse("catalog.json".into(), CATALOG).unwrap());
        let build = resolve(&p, &Overrides::default()).unwrap();
        let t = &build.tables[0];
        let sessions: Vec<_> = t
            .columns
            .iter()
            .filter(|c| c.name == "ga_session_id")
            .collect();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].ty, SqlType::Int64);
        assert!(
            t.column("ga_session_number").is_some(),
            "the glob still adds the others"
        );
    }

    #[test]
    fn required_params_are_listed_by_column_name_from_either_file() {
        let file =
            format!("{FILE}params:\n  - {{key: ga_session_id, type: int64, required: true}}\n");
        let t = table(
            &file,
            "event: a\nparams: [{key: n, as: count, required: true}, {key: m, required: false}]\n",
        );
        assert_eq!(t.required, ["ga_session_id", "count"]);
        // An event's own entry replaces the project's, `required` included.
        let t = table(&file, "event: a\nparams: [{key: ga_session_id}]\n");
        assert!(t.required.is_empty(), "{:?}", t.required);
    }

    #[test]
    fn a_listed_param_takes_its_type_and_alias() {
        let t = table(
            FILE,
            "event: a\nparams: [{key: page-location}, {key: n, type: int64, as: count}]\n",
        );
        let page = t.column("page_location").unwrap();
        assert_eq!(page.ty, SqlType::String);
        let count = t.column("count").unwrap();
        assert_eq!(count.ty, SqlType::Int64);
        assert_eq!(
            count.origin,
            Origin::Param {
                array: "event_params".into(),
                key: "n".into(),
                param_type: ParamType::Int64
            }
        );
        let d = error(FILE, "event: a\nparams: [{key: \"\"}]\n");
        assert_eq!(d.message, "a param `key` cannot be empty");
    }

    #[test]
    fn a_glob_picks_catalog_keys() {
        let chosen = with_catalog(
            "event: a\nparams: {include: [\"ga_*\", \"page*\"], exclude: [\"*_number\"]}\n",
        );
        assert_eq!(
            chosen,
            [
                ("ga_session_id".to_string(), SqlType::Int64),
                ("page_location".to_string(), SqlType::String)
            ]
        );
        let typed = with_catalog(
            "event: a\nparams: {include: [\"ga_*\"], typed: [{key: ga_session_id, type: string}]}\n",
        );
        assert_eq!(
            typed,
            [
                ("ga_session_id".to_string(), SqlType::String),
                ("ga_session_number".to_string(), SqlType::Int64)
            ]
        );
    }

    #[test]
    fn a_glob_needs_a_catalog() {
        let d = error(FILE, "event: a\nparams: {include: [\"*\"]}\n");
        assert_eq!(
            d.message,
            "`params` chooses keys by glob, but the project has no catalog"
        );
    }
}
