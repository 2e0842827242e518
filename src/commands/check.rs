//! `bqflat check`: the CI gate. Like `cargo fmt --check`, it compiles in memory, compares with the
//! output folder, and writes nothing.

use crate::cli::CheckArgs;
use crate::compiler;
use crate::diagnostics::Diagnostics;
use crate::output;
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
    print!("{}", crate::report::checked(&comparison, &compiled.out)?);
    Ok(())
}
