//! `bqflat build`: compile, then print the SQL (`--dry-run`) or write it.

use crate::config::Build;
use crate::diagnostics::Diagnostics;
use crate::pipeline::{self, Options, Ran, Source};
use crate::report;
use crate::report::style::{self, Verbosity};

pub(crate) fn run(config: &Build) -> Result<(), Diagnostics> {
    let style = style::get();
    let options = Options {
        previous: Source::ForBuild,
        // --force rebuilds everything.
        reuse: !config.dry_run && !config.force,
        write: !config.dry_run,
        allow_breaking: config.allow_breaking,
        previous_last: false,
        warn: true,
    };
    let mut run = match pipeline::run(&config.project, &options)? {
        Ran::UpToDate { build, out } => {
            if style.verbosity > Verbosity::Quiet {
                print!("{}", report::up_to_date(build, &out));
            }
            return Ok(());
        }
        Ran::Compiled(run) => run,
    };
    run.refusals()?;
    if config.dry_run {
        print!("{}", report::dry_run(&run.evolution.artifacts));
        return Ok(());
    }
    let outcomes = run.emit(config.force)?;
    if style.verbosity > Verbosity::Quiet {
        print!(
            "{}",
            report::built(
                &outcomes,
                &run.compiled.build,
                &run.compiled.out,
                &run.evolution.migrations,
                &|t| run.compiled.in_run(t),
                style.verbosity == Verbosity::Verbose,
            )
        );
    }
    Ok(())
}
