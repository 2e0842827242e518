//! The output columns: standard ones by name or GA4 path, and names that collide.

use std::collections::BTreeMap;

use crate::diagnostics::did_you_mean;
use crate::ga4::{self, COMPUTED, DEFAULT_COLUMNS};
use crate::model::{Column, Origin};
use crate::names;
use crate::spec;

use super::event::EventCtx;

impl EventCtx<'_> {
    pub(super) fn standard_columns(
        &mut self,
        wanted: &Option<Vec<spec::Column>>,
        columns: &mut Columns,
    ) {
        let default: Vec<spec::Column> = DEFAULT_COLUMNS
            .iter()
            .map(|c| spec::Column::Name(c.to_string()))
            .collect();
        for (i, column) in wanted.as_ref().unwrap_or(&default).iter().enumerate() {
            let (field, alias) = match column {
                spec::Column::Name(n) => (n.as_str(), None),
                spec::Column::Renamed { field, alias } => (field.as_str(), Some(alias.as_str())),
            };
            let path = format!("columns[{i}]");
            match standard_column(field) {
                Some(mut column) => {
                    if let Some(alias) = alias {
                        column.name = alias.to_string();
                    }
                    self.add(columns, column, &path, format!("column `{field}`"));
                }
                None => {
                    let hint = match did_you_mean(field, ga4::catalog().column_paths()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "name a GA4 export field (`device.category`) or event_date, event_ts, event_key; params go under `params:`".into(),
                    };
                    self.error(&path, format!("unknown column `{field}`"), hint);
                }
            }
        }
    }

    /// The output column `name`, adding the standard column of that name when the spec did not
    /// list it (a partition, cluster or key column the user named but did not select).
    pub(super) fn require_column<'c>(
        &mut self,
        name: &str,
        columns: &'c mut Columns,
    ) -> Option<&'c Column> {
        if columns.get(name).is_none() {
            let column = standard_column(name)?;
            columns.list.push(column);
        }
        columns.get(name)
    }

    /// Adds a column; a name already taken is an error naming both columns.
    pub(super) fn add(&mut self, columns: &mut Columns, column: Column, path: &str, what: String) {
        if let Err(problem) = names::check_column(&column.name) {
            let hint = if problem.contains("BigQuery allows at most") {
                "set a shorter name with `as:`"
            } else {
                "set another name with `as:`"
            };
            self.error(path, format!("{what}: {problem}"), hint);
            return;
        }
        if let Some(other) = columns.what.get(&column.name.to_ascii_lowercase()) {
            self.error(
                path,
                format!("{what} and {other} both become column `{}`", column.name),
                "give one of them another name with `as:`",
            );
            return;
        }
        columns.what.insert(column.name.to_ascii_lowercase(), what);
        columns.list.push(column);
    }
}

#[derive(Default)]
pub(super) struct Columns {
    pub(super) list: Vec<Column>,
    /// Lowercased name → what produced it, for collision messages (BigQuery names are case-insensitive).
    pub(super) what: BTreeMap<String, String>,
    /// Columns the spec marks `required: true`, in the order listed.
    pub(super) required: Vec<String>,
}

impl Columns {
    /// The column called `name`, or the one a GA4 field path (`device.language`) produces.
    pub(super) fn get(&self, name: &str) -> Option<&Column> {
        let find = |n: &str| self.list.iter().find(|c| c.name.eq_ignore_ascii_case(n));
        find(name).or_else(|| standard_column(name).and_then(|c| find(&c.name)))
    }

    /// The column's name as declared (case may differ from a reference to it).
    pub(super) fn canonical(&self, name: &str) -> String {
        self.get(name)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| name.to_string())
    }
}

/// A computed column or export field, by name or dotted path.
pub(super) fn standard_column(name: &str) -> Option<Column> {
    if let Some((computed, ty)) = COMPUTED.iter().find(|(n, _)| *n == name) {
        return Some(Column {
            name: computed.to_string(),
            ty: ty.clone(),
            origin: Origin::Computed {
                name: computed.to_string(),
            },
        });
    }
    let catalog = ga4::catalog();
    let field = catalog
        .field(name)
        .or_else(|| catalog.fields.iter().find(|f| f.column_name() == name))?;
    Some(Column {
        name: field.column_name(),
        ty: field.ty.clone(),
        origin: Origin::Field {
            path: field.path.clone(),
        },
    })
}

pub(super) fn missing_column_hint(name: &str, columns: &Columns) -> String {
    let names: Vec<&str> = columns.list.iter().map(|c| c.name.as_str()).collect();
    match did_you_mean(name, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("output columns are: {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::resolve;
    use super::super::test_support::{project, FILE};
    use crate::load::Overrides;

    #[test]
    fn referenced_standard_columns_are_added() {
        let p = project(FILE, &["event: a\ncolumns: [event_date]\ncluster_by: [device.language]\ndedupe: {order_by: event_timestamp}\n"]);
        let t = &resolve(&p, &Overrides::default()).unwrap().tables[0];
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["event_date", "device_language", "event_key", "event_ts"]
        );
        assert_eq!(t.cluster_by, ["device_language"]);
        assert_eq!(t.dedupe.order_by, "event_ts");
    }

    #[test]
    fn column_names_collide_case_insensitively() {
        let p = project(FILE, &["event: a\nparams: [{key: Value}, {key: value}]\n"]);
        let errors = resolve(&p, &Overrides::default()).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert!(
            errors.0[0].message.contains("both become column `value`"),
            "{}",
            errors.0[0].message
        );
    }
}
