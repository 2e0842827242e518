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
        for problem in checks.into_iter().filter_map(Result::err) {
            self.error(
                path,
                format!("table name `{expanded}`: {problem}"),
                "table names use letters, digits and underscores; `{event}`, `{dataset}` and `{version}` are replaced",
            );
        }
        (project, dataset, name)
    }
}
