//! The names of a build's tables and views as files of the dbt and Dataform projects.

use crate::model::{Build, Table};

/// The file name (and dbt model name) of a table in the dbt and Dataform projects: the table's,
/// qualified by dataset (and project) outside the default target dataset, since both tools want
/// the names unique.
pub fn file_stem(table: &Table, build: &Build) -> String {
    stem(&table.project, &table.dataset, &table.name, build)
}

/// The file name of a table or view in the dbt and Dataform projects: its name, qualified by
/// dataset (and project) when it lives outside the default target.
pub(crate) fn stem(project: &str, dataset: &str, name: &str, build: &Build) -> String {
    let target = &build.setup.metadata;
    let name = if (project, dataset) == (target.project.as_str(), target.dataset.as_str()) {
        name.to_string()
    } else if project == target.project {
        format!("{dataset}__{name}")
    } else {
        format!("{project}__{dataset}__{name}")
    };
    name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_")
}
