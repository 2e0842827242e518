//! `bqflat plan`: what `build` would change, for review. Renders in memory, reads the previous
//! build from the output folder (or from git with `--against`), and never writes.

use crate::config::{Plan, PlanFormat};
use crate::diagnostics::Diagnostics;
use crate::pipeline::{self, Options, Ran, Source};
use crate::report;

/// Exit code of `--detailed-exitcode` when the plan has changes (Terraform's convention).
pub(crate) const CHANGES_EXIT_CODE: u8 = 2;

/// Returns whether the plan has changes.
pub(crate) fn run(config: &Plan) -> Result<bool, Diagnostics> {
    let options = Options {
        previous: match &config.against {
            Some(rev) => Source::Git(rev.clone()),
            None => Source::Dir,
        },
        // A table whose inputs match the previous build is not rendered again: its previous text
        // (as long as nobody edited it) is what the build would write.
        reuse: true,
        write: false,
        allow_breaking: config.allow_breaking,
        previous_last: false,
        warn: true,
    };
    let profile = match &config.profile {
        Some(path) => crate::cost::Profile::load(path)?,
        None => crate::cost::Profile::builtin(),
    };
    let Ran::Compiled(mut run) = pipeline::run(&config.project, &options)? else {
        unreachable!("only a writing run stops early");
    };
    let plan = run.plan(&profile);
    let edited = &run.previous.edited;
    let text = match config.format {
        PlanFormat::Text => report::plan::text(&plan, edited, config.color, config.stat),
        PlanFormat::Markdown => report::plan::markdown(&plan, edited, config.stat),
        PlanFormat::Json => report::plan::json(&plan, edited),
    };
    print!("{text}");
    // A breaking change is part of the plan (marked breaking), so a pull request gets its plan
    // exactly when reviewers need it: the plan exits as for any change, and says on stderr that
    // `build` and `check` refuse it until the spec says how.
    for refused in std::mem::take(&mut run.evolution.refused).0 {
        let mut d = refused.clone();
        d.message = format!("`bqflat build` would refuse this: {}", refused.message);
        crate::diagnostics::warn(&d);
    }
    Ok(plan.has_changes())
}
