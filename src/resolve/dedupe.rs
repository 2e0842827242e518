//! The dedupe key, which of its columns may be NULL, and the order that picks the row kept.

use crate::model::{self, Column, Origin, SqlType};
use crate::names;
use crate::spec::{self, Items, ParamType, Strategy};

use super::columns::{missing_column_hint, Columns};
use super::event::EventCtx;
use super::types::is_scalar;
use super::{DEFAULT_KEY, DEFAULT_ORDER_BY};

impl EventCtx<'_> {
    /// Why a dedupe key that is no column cannot be read as an event param, as a hint: set in
    /// the event's spec and not an event param the catalog saw for the event. None when it can:
    /// `--dedupe-key` and the project file name a param directly, as the original command line
    /// and its config file do.
    fn unknown_key(&self, event: &str, name: &str, columns: &Columns) -> Option<String> {
        let from_spec =
            self.flags.flag_for("dedupe").is_none() && self.spec.is_some_and(|s| s.has("dedupe"));
        let seen: Vec<&str> = self
            .catalog
            .map(|c| {
                c.keys(event, "event_params")
                    .iter()
                    .map(|k| k.key.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if !from_spec || seen.contains(&name) {
            return None;
        }
        let known = columns
            .list
            .iter()
            .map(|c| c.name.as_str())
            .chain(seen.iter().copied())
            .chain(crate::ga4::KNOWN_PARAMS.iter().copied())
            .chain(crate::ga4::catalog().column_paths());
        let close = crate::diagnostics::did_you_mean(name, known)
            .map(|close| format!("did you mean `{close}`? To dedupe on an event param, "))
            .unwrap_or_else(|| "to dedupe on an event param, ".to_string());
        Some(match names::check_column(name) {
            Ok(()) => format!(
                "{close}list it under `params:` (`- {{key: {name}}}`) and name its column here"
            ),
            Err(_) => format!(
                "{close}list it under `params:` with a column name (`- {{key: \"{name}\", as: my_key}}`) and name that column here"
            ),
        })
    }

    pub(super) fn dedupe(
        &mut self,
        event: &str,
        settings: &spec::Settings,
        items: Items,
        columns: &mut Columns,
    ) -> model::Dedupe {
        let dedupe = settings.dedupe.clone().unwrap_or_default();
        let mut key = Vec::new();
        let names = dedupe
            .key
            .as_ref()
            .map(spec::Names::to_vec)
            .unwrap_or_else(|| vec![DEFAULT_KEY.into()]);
        if names.is_empty() {
            self.error(
                "dedupe.key",
                "`dedupe.key` is empty",
                "name at least one column, or remove `key` for the default",
            );
        }
        for (i, name) in names.iter().enumerate() {
            let path = if matches!(dedupe.key, Some(spec::Names::Many(_))) {
                format!("dedupe.key[{i}]")
            } else {
                "dedupe.key".into()
            };
            if self.require_column(name, columns).is_none() {
                // Not a column: the seed's `--dedupe-key event_id` names an event param, and so
                // does a key the catalog saw for the event. Anything else in a file is a typo
                // (a key always NULL would quietly dedupe on event_key), or a key that needs
                // `params:`; only a name that is also a valid column is taken as a param.
                if let Some(hint) = self.unknown_key(event, name, columns) {
                    self.error(
                        &path,
                        format!("dedupe key `{name}` is not an output column"),
                        hint,
                    );
                    continue;
                }
                match names::check_column(name) {
                    Ok(()) => {
                        let column = Column {
                            name: name.clone(),
                            ty: SqlType::String,
                            origin: Origin::Param {
                                array: "event_params".into(),
                                key: name.clone(),
                                param_type: ParamType::Any,
                            },
                        };
                        self.add(columns, column, &path, format!("dedupe key param `{name}`"));
                    }
                    Err(problem) => {
                        self.error(
                            &path,
                            format!("dedupe key `{name}` is not an output column ({problem})"),
                            "name an output column, or declare the param under `params:` with `as:` and use that name",
                        );
                        continue;
                    }
                }
            }
            key.push(columns.canonical(name));
        }
        // A chosen key can be NULL (a param the event lacks, a user_id not set): a row with a NULL
        // in it falls back to the event's identity rather than collapsing with others.
        let nullable = if dedupe.key.is_some() && key != [DEFAULT_KEY] {
            self.require_column(DEFAULT_KEY, columns);
            key.clone()
        } else {
            Vec::new()
        };
        // Exploded rows of one event share its key; the item position tells them apart.
        if items == Items::Explode && !key.iter().any(|k| k == "item_index") {
            key.push("item_index".into());
        }
        let order_by = dedupe
            .order_by
            .clone()
            .unwrap_or_else(|| DEFAULT_ORDER_BY.into());
        // `event_timestamp` (the seed's word) orders exactly like `event_ts`.
        let order_by = if order_by == "event_timestamp" && columns.get("event_timestamp").is_none()
        {
            "event_ts".to_string()
        } else {
            order_by
        };
        match self
            .require_column(&order_by, columns)
            .map(|c| c.ty.clone())
        {
            Some(ty) if is_scalar(&ty) => {}
            Some(ty) => self.error(
                "dedupe.order_by",
                format!("cannot order by `{order_by}`: it is {ty}"),
                "order by a scalar column such as `event_ts`",
            ),
            None => self.error(
                "dedupe.order_by",
                format!("cannot order by `{order_by}`: no such output column"),
                missing_column_hint(&order_by, columns),
            ),
        }
        model::Dedupe {
            key,
            nullable,
            strategy: dedupe.strategy.unwrap_or(Strategy::KeepLatest),
            order_by: columns.canonical(&order_by),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::resolve;
    use super::super::test_support::error;
    use super::super::test_support::{project, FILE};
    use crate::load::Overrides;
    use crate::model::Origin;
    use crate::spec::ParamType;

    #[test]
    fn a_param_key_from_the_flag_becomes_a_nullable_dedupe_key() {
        let p = project(FILE, &["event: a\nitems: explode\n"]);
        let flags = Overrides {
            settings: crate::spec::Settings {
                dedupe: Some(crate::spec::Dedupe {
                    key: Some(crate::spec::Names::One("event_id".into())),
                    ..Default::default()
                }),
                ..Default::default()
            },
            flags: [("dedupe", "--dedupe-key")].into_iter().collect(),
            ..Overrides::default()
        };
        let t = &resolve(&p, &flags).unwrap().tables[0];
        assert_eq!(t.dedupe.key, ["event_id", "item_index"]);
        assert_eq!(t.dedupe.nullable, ["event_id"]);
        let event_id = t.column("event_id").unwrap();
        assert_eq!(
            event_id.origin,
            Origin::Param {
                array: "event_params".into(),
                key: "event_id".into(),
                param_type: ParamType::Any
            }
        );
    }

    #[test]
    fn a_key_in_a_file_that_is_no_column_is_a_typo_or_needs_params() {
        let d = error(FILE, "event: a\ndedupe: {key: transacton_id}\n");
        assert_eq!(
            d.message,
            "dedupe key `transacton_id` is not an output column"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `transaction_id`? To dedupe on an event param, list it under `params:` (`- {key: transacton_id}`) and name its column here")
        );
        let p = project(
            FILE,
            &["event: a\nparams: [{key: transaction_id}]\ndedupe: {key: transaction_id}\n"],
        );
        let t = &resolve(&p, &Overrides::default()).unwrap().tables[0];
        assert_eq!(t.dedupe.key, ["transaction_id"]);
    }

    #[test]
    fn ordering_by_an_unknown_column_suggests_a_close_one() {
        let d = error(FILE, "event: a\ndedupe: {order_by: event_tss}\n");
        assert_eq!(
            d.message,
            "cannot order by `event_tss`: no such output column"
        );
        assert_eq!(d.hint.as_deref(), Some("did you mean `event_ts`?"));
    }
}
