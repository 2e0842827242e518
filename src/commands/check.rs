//! `bqflat check`: the CI gate. Like `cargo fmt --check`, it compiles in memory, compares with the
//! output folder, and writes nothing. Its findings go to people (stderr), to GitHub Actions as
//! annotations at the file and line, or to tools as JSON.

use std::process::ExitCode;

use crate::config::{Check, CheckFormat};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::pipeline::{self, Options, Ran, Source};
use crate::report;

pub(crate) fn run(c: &Check) -> ExitCode {
    let text = c.format == CheckFormat::Text;
    let mut warnings = Vec::new();
    let result = check(c, text, &mut warnings);
    let ok = result.is_ok();
    match (c.format, result) {
        (CheckFormat::Text, Ok(summary)) => {
            if !crate::report::style::quiet() {
                print!("{summary}");
            }
        }
        (CheckFormat::Text, Err(errors)) => eprintln!("{errors}"),
        (CheckFormat::Github, result) => {
            print!(
                "{}",
                report::annotations::github(errors(&result), &warnings)
            );
            if let Ok(summary) = result {
                print!("{summary}");
            }
        }
        (CheckFormat::Json, result) => {
            print!("{}", report::annotations::json(errors(&result), &warnings));
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn errors(result: &Result<String, Diagnostics>) -> &[Diagnostic] {
    match result {
        Ok(_) => &[],
        Err(d) => &d.0,
    }
}

fn check(c: &Check, warn: bool, warnings: &mut Vec<Diagnostic>) -> Result<String, Diagnostics> {
    let options = Options {
        previous: Source::Dir,
        // Every file is rendered, so a hand edit cannot pass for the build's output.
        reuse: false,
        write: false,
        allow_breaking: false,
        previous_last: true,
        warn,
    };
    let Ran::Compiled(mut run) = pipeline::run(&c.project, &options)? else {
        unreachable!("only a writing run stops early");
    };
    warnings.extend(run.compiled.build.warnings.iter().cloned());
    run.refusals()?;
    let comparison = run.compare()?;
    report::checked(&comparison, &run.compiled.out, &run.compiled.build.targets)
}
