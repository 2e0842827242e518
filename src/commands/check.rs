//! `bqflat check`: the CI gate. Like `cargo fmt --check`, it compiles in memory, compares with the
//! output folder, and writes nothing.

use crate::config::Inputs;
use crate::diagnostics::Diagnostics;
use crate::pipeline::{self, Options, Ran, Source};
use crate::report;

pub(crate) fn run(inputs: &Inputs) -> Result<(), Diagnostics> {
    let options = Options {
        previous: Source::Dir,
        // Every file is rendered, so a hand edit cannot pass for the build's output.
        reuse: false,
        write: false,
        allow_breaking: false,
        previous_last: true,
    };
    let Ran::Compiled(mut run) = pipeline::run(inputs, &options)? else {
        unreachable!("only a writing run stops early");
    };
    run.refusals()?;
    let comparison = run.compare()?;
    print!("{}", report::checked(&comparison, &run.compiled.out)?);
    Ok(())
}
