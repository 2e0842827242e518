//! The table's project, dataset and name, from `table:` or the table template.

use crate::names;
use crate::spec::EventSpec;

use super::event::EventCtx;
use super::project::TopLevel;

impl EventCtx<'_> {
    pub(super) fn table_name(
        &mut self,
        top: &TopLevel,
        spec: &EventSpec,
        event: &str,
        version: u32,
    ) -> (String, String, String) {
        let (path, raw) = match &spec.table {
            Some(t) => ("table", t.clone()),
            None => ("table_template", top.table_template.clone()),
        };
        let expanded = match names::expand_table_template(&raw, event, &top.target_dataset, version)
        {
            Ok(e) => e,
            Err(problem) => {
                self.error(
                    path,
                    problem,
                    "placeholders are {event}, {dataset} and {version}",
                );
                return (
                    top.project.clone(),
                    top.target_dataset.clone(),
                    String::new(),
                );
            }
        };
        let parts: Vec<&str> = expanded.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            // `../x` or `a..b` would otherwise be blamed on an empty project or dataset id.
            self.error(
                path,
                format!("table name `{}` has an empty part: a leading, trailing or doubled dot", names::prefix(&expanded, 80)),
                "write `table`, `dataset.table` or `project.dataset.table`; a table name is not a file path",
            );
            return (
                top.project.clone(),
                top.target_dataset.clone(),
                String::new(),
            );
        }
        let (project, dataset, name) = match parts.as_slice() {
            [name] => (
                top.project.clone(),
                top.target_dataset.clone(),
                name.to_string(),
            ),
            [dataset, name] => (top.project.clone(), dataset.to_string(), name.to_string()),
            [project, dataset, name] => {
                (project.to_string(), dataset.to_string(), name.to_string())
            }
            _ => {
                self.error(
                    path,
                    format!("table name `{expanded}` has too many dots"),
                    "write `table`, `dataset.table` or `project.dataset.table`",
                );
                return (
                    top.project.clone(),
                    top.target_dataset.clone(),
                    String::new(),
                );
            }
        };
        let checks = [
            names::check_project(&project),
            names::check_dataset(&dataset),
            names::check_table(&name),
        ];
        let mut valid = true;
        for problem in checks.into_iter().filter_map(Result::err) {
            valid = false;
            self.error(
                path,
                format!("table name `{}`: {problem}", names::prefix(&expanded, 80)),
                "table names use letters, digits and underscores; `{event}`, `{dataset}` and `{version}` are replaced",
            );
        }
        if valid {
            self.not_a_metadata_table(top, path, [&project, &dataset, &name]);
        }
        (project, dataset, name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, table, FILE};

    #[test]
    fn table_template_placeholders_are_replaced() {
        let file = format!("{FILE}table_template: \"{{dataset}}_v{{version}}.{{event}}_flat\"\n");
        let t = table(&file, "event: purchase\nversion: 2\n");
        assert_eq!(t.full_name(), "my-gcp-project.flat_v2.purchase_flat");
        let t = table(FILE, "event: refund\ntable: other-project.sales.refunds\n");
        assert_eq!(t.full_name(), "other-project.sales.refunds");
    }

    #[test]
    fn a_name_with_too_many_dots_or_an_unknown_placeholder_is_an_error() {
        let d = error(FILE, "event: a\ntable: p.d.t.x\n");
        assert_eq!(d.message, "table name `p.d.t.x` has too many dots");
        let d = error(
            &format!("{FILE}table_template: \"{{nope}}\"\n"),
            "event: a\n",
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("placeholders are {event}, {dataset} and {version}")
        );
        assert_eq!(d.location.unwrap().file.as_str(), "bqflat.yaml");
    }
}
