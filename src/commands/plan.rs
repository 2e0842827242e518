//! `bqflat plan`: what `build` would change, for review. Renders in memory, reads the previous
//! build from the output folder (or from git with `--against`), and never writes.

use std::io::IsTerminal;

use crate::cli::{PlanArgs, PlanFormat};
use crate::compiler;
use crate::diagnostics::Diagnostics;
use crate::output::Manifest;
use crate::plan::{plan, Previous};
use crate::project::Project;
use crate::report;

/// Exit code of `--detailed-exitcode` when the plan has changes (Terraform's convention).
pub const CHANGES_EXIT_CODE: u8 = 2;

/// Returns whether the plan has changes.
pub fn run(args: &PlanArgs) -> Result<bool, Diagnostics> {
    let inputs = args.project.inputs();
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let out = compiler::output_folder(&project, inputs.out.as_ref());
    let previous = match &args.against {
        Some(rev) => Previous::from_git(&out, rev)?,
        None => Previous::from_dir(&out)?,
    };
    // A table whose inputs match the previous build is not rendered again: its previous text
    // (as long as nobody edited it) is what the build would write.
    let keep = |path: &str, inputs: &str| previous.keep(path, inputs);
    let compiled = compiler::compile_project(&project, &inputs.overrides, out, Some(&keep))?;
    compiled.warn();
    let evolution =
        crate::plan::migrate::with_migrations(&compiled, &previous, args.allow_breaking)?;
    let mut artifacts = evolution.artifacts;
    for artifact in artifacts.iter_mut().filter(|a| a.reused.is_some()) {
        artifact.contents = previous.files[&artifact.path].clone();
    }
    let manifest = Manifest::new(
        &artifacts,
        &compiled.build.tables,
        previous.manifest.as_ref(),
        crate::reuse::input_digest(&inputs)
            .map(|(d, _)| d)
            .as_deref(),
    );
    let plan = plan(&previous, &artifacts, &manifest);
    let edited = &previous.edited;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        PlanFormat::Text => report::plan::text(&plan, edited, color),
        PlanFormat::Markdown => report::plan::markdown(&plan, edited),
        PlanFormat::Json => report::plan::json(&plan, edited),
    };
    print!("{text}");
    // The plan is shown either way; a build that would be refused makes the plan fail too.
    evolution.refused.into_result(plan.has_changes())
}
