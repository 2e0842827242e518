//! `bqflat cost`: the bytes a run of the project will be billed, before it runs. Resolves the
//! project (nothing is rendered or written), then asks the cost model.

use crate::config::{Cost, CostAction};
use crate::cost::{estimate, profile, queries, Profile};
use crate::diagnostics::Diagnostics;
use crate::emit::manifest::TableEntry;
use crate::load::Project;
use crate::{report, resolve};

pub(crate) fn run(config: &Cost) -> Result<(), Diagnostics> {
    if let CostAction::ProfileFromRows(rows) = &config.action {
        print!("{}", profile::from_rows(rows)?.to_json());
        return Ok(());
    }
    // The profile is checked first: a bad one is reported before the project is read.
    let profile = match &config.profile {
        Some(path) => Profile::load(path)?,
        None => Profile::builtin(),
    };
    let inputs = &config.project;
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let build = resolve::resolve(&project, &inputs.overrides)?;
    for warning in &build.warnings {
        crate::diagnostics::warn(warning);
    }
    if let CostAction::ProfileQueries { day } = &config.action {
        let overridden = crate::render::bigquery::overridden(project.templates.as_deref());
        print!("{}", queries::script(&build, day.as_deref(), &overridden));
        return Ok(());
    }
    // `--events` picks the tables to estimate, as if the project had only them.
    let entries: Vec<TableEntry> = build
        .tables
        .iter()
        .filter(|t| {
            build
                .selection
                .as_ref()
                .is_none_or(|s| s.contains(&t.event))
        })
        .map(TableEntry::of)
        .collect();
    let refs: Vec<&TableEntry> = entries.iter().collect();
    let tables = estimate::costed(&refs).expect("a resolved table records its reads");
    let estimates = estimate::estimate(&tables, &profile);
    let text = if config.json {
        report::cost::json(&estimates, &profile, config.price_per_tib)
    } else {
        report::cost::text(&estimates, &profile, config.price_per_tib)
    };
    print!("{text}");
    Ok(())
}
