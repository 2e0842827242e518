//! The pipeline from a project directory to the files of a build, in memory:
//! load → validate → render → verify. `build` writes the result; later commands compare it.

use camino::Utf8PathBuf;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::Build;
use crate::project::{Overrides, Project};
use crate::render::{self, bigquery::Artifact};
use crate::{validate, verify};

pub const DEFAULT_OUTPUT: &str = "build";

/// Where a build reads from and writes to.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub dir: Utf8PathBuf,
    pub config: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub overrides: Overrides,
}

#[derive(Debug)]
pub struct Compiled {
    pub build: Build,
    pub artifacts: Vec<Artifact>,
    pub out: Utf8PathBuf,
}

pub fn compile(inputs: &Inputs) -> Result<Compiled, Diagnostics> {
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let build = validate::resolve(&project, &inputs.overrides)?;
    let out = match (
        &inputs.out,
        project.file.as_ref().and_then(|f| f.value.output.as_ref()),
    ) {
        (Some(out), _) => out.clone(),
        (None, Some(output)) => project.dir.join(output),
        (None, None) => project.dir.join(DEFAULT_OUTPUT),
    };
    // Headers say how to run each script from the project directory when the output is inside it.
    let run_prefix = match out.strip_prefix(&project.dir) {
        Ok(rel) if !rel.as_str().is_empty() => format!("{rel}/"),
        _ => String::new(),
    };
    let templates = project.templates.as_deref();
    let env = render::environment(templates);
    let artifacts = render::bigquery::render(&build, &env, templates, &run_prefix)?;
    verify_all(&artifacts, &build)?;
    Ok(Compiled {
        build,
        artifacts,
        out,
    })
}

/// Parses every script; a failure names the event, the template and the position in the output.
fn verify_all(artifacts: &[Artifact], build: &Build) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    for artifact in artifacts {
        if let Err(problem) = verify::parse_script(&artifact.contents) {
            let what = match artifact.table.map(|i| &build.tables[i]) {
                Some(t) => format!("event `{}` (template {})", t.event, t.template),
                None => artifact.path.clone(),
            };
            diagnostics.push(
                Diagnostic::new(format!(
                    "the SQL generated for {what} does not parse as BigQuery SQL: {problem}"
                ))
                .hint(format!(
                    "run with --dry-run to see {}; fix the template that produced it",
                    artifact.path
                )),
            );
        }
    }
    diagnostics.into_result(())
}
