//! `bqflat discover-sql`: the query users run once in BigQuery to list events, param keys and
//! value types, so specs need not be typed from memory.

use crate::config::Inputs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::load::Project;
use crate::{model, render, resolve, verify};

pub(crate) fn run(inputs: &Inputs) -> Result<(), Diagnostics> {
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let sources = resolve::resolve_sources(&project, &inputs.overrides)?;
    let window = inputs.overrides.settings.window.clone().unwrap_or_default();
    let mut problems = Diagnostics::default();
    for date in [&window.start, &window.end].into_iter().flatten() {
        if let Err(problem) = crate::names::check_date(date) {
            problems.push(
                Diagnostic::new(format!("{problem} (in --start-date/--end-date)"))
                    .hint("write dates as YYYY-MM-DD"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let window = model::Window {
        start: window.start,
        end: window.end,
    };
    let templates = project.templates.as_deref();
    let env = render::environment(templates);
    let sql = render::bigquery::render_discovery(&sources, &window, &env, templates)?;
    verify::parse_script(&sql).map_err(|problem| {
        Diagnostic::new(format!(
            "the discovery query does not parse as BigQuery SQL: {problem}"
        ))
        .hint("fix templates/bigquery/discover.sql")
    })?;
    print!("{sql}");
    Ok(())
}
