//! `bqflat check`: the CI gate. Like `cargo fmt --check`, it compiles in memory, compares with the
//! output folder, and writes nothing.

use crate::cli::CheckArgs;
use crate::compiler;
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::output::{self, Status};
use crate::plan::Previous;

pub fn run(args: &CheckArgs) -> Result<(), Diagnostics> {
    let inputs = args.project.inputs();
    let compiled = compiler::compile(&inputs)?;
    compiled.warn();
    let previous = Previous::from_dir(&compiled.out)?;
    let artifacts =
        crate::plan::migrate::with_migrations(&compiled, &previous, false)?.into_result()?;
    let comparison = output::compare(
        &compiled.out,
        previous.manifest.as_ref(),
        &artifacts,
        &compiled.build.tables,
        crate::reuse::input_digest(&inputs)
            .map(|(d, _)| d)
            .as_deref(),
    )?;
    let mut problems = Diagnostics::default();
    for (path, problem) in &comparison.foreign {
        problems.push(
            Diagnostic::new(format!("{path} {problem}"))
                .at(Location::file(path))
                .hint("move the change into the spec or a template override; `bqflat build --force` restores the file"),
        );
    }
    for outcome in comparison
        .outcomes
        .iter()
        .filter(|o| o.status != Status::Unchanged)
    {
        let path = compiled.out.join(&outcome.path);
        if comparison.foreign.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let what = match outcome.status {
            Status::Created => "is missing",
            Status::Removed => "is left from an event that no longer exists",
            _ => "is out of date",
        };
        problems.push(
            Diagnostic::new(format!("{path} {what}"))
                .hint("run `bqflat build` and commit the result"),
        );
    }
    if problems.is_empty() && comparison.is_stale() {
        let path = compiled.out.join(output::manifest::FILE);
        problems.push(
            Diagnostic::new(format!("{path} is out of date"))
                .hint("run `bqflat build` and commit the result"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    println!(
        "ok: {} files in {} are up to date",
        comparison.outcomes.len(),
        compiled.out
    );
    Ok(())
}
