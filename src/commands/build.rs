//! `bqflat build`: compile, then print the SQL (`--dry-run`) or write it.

use crate::cli::BuildArgs;
use crate::compiler;
use crate::diagnostics::Diagnostics;
use crate::output;
use crate::plan::Previous;
use crate::project::Project;
use crate::render::Reuse;

pub fn run(args: &BuildArgs) -> Result<(), Diagnostics> {
    let inputs = args.project.inputs();
    // Before anything is parsed: a build whose inputs match the previous one's does nothing.
    let digest = crate::reuse::input_digest(&inputs);
    if let Some((digest, out)) = digest.as_ref().filter(|_| !args.dry_run && !args.force) {
        if out.join(output::manifest::FILE).is_file() {
            let _lock = output::swap::lock(out)?;
            if let Some(build) = crate::reuse::unchanged(out, digest) {
                print!("{}", crate::report::up_to_date(build, out));
                return Ok(());
            }
        }
    }
    let digest = digest.map(|(digest, _)| digest);
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let out = compiler::output_folder(&project, inputs.out.as_ref());
    // Taken before reading the previous build, so a concurrent build cannot change it meanwhile.
    let lock = (!args.dry_run)
        .then(|| output::swap::lock(&out))
        .transpose()?;
    let previous = Previous::for_build(&out)?;
    // A table whose inputs match the previous build's, with its file still there as written, is
    // kept as it is: no render, no parse, no write. --force rebuilds everything.
    let keep = |path: &str, inputs: &str| previous.keep(path, inputs);
    let reuse: Option<Reuse<'_>> = (!args.dry_run && !args.force).then_some(&keep as Reuse<'_>);
    let compiled = compiler::compile_project(&project, &inputs.overrides, out.clone(), reuse)?;
    compiled.warn();
    let artifacts =
        crate::plan::migrate::with_migrations(&compiled, &previous, args.allow_breaking)?
            .into_result()?;
    if args.dry_run {
        print!("{}", crate::report::dry_run(&artifacts));
        return Ok(());
    }
    let outcomes = output::emit(
        &out,
        previous.manifest.as_ref(),
        &artifacts,
        &compiled.build.tables,
        digest.as_deref(),
        args.force,
        lock.as_ref().expect("a writing build holds the lock"),
    )?;
    print!(
        "{}",
        crate::report::built(&outcomes, &compiled.build.tables, &out)
    );
    Ok(())
}
