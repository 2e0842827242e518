//! The pipeline from a project directory to the files of a build, in memory:
//! load → validate → render → verify. `build` writes the result; later commands compare it.

use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::load::{Overrides, Project};
use crate::model::Build;
use crate::render::{self, Artifact, Renderer, Reuse};
use crate::spec::Target;
use crate::{resolve, reuse, verify};

pub const DEFAULT_OUTPUT: &str = "build";

/// Where a build reads from and writes to.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub dir: Utf8PathBuf,
    pub config: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub overrides: Overrides,
}

pub struct Compiled {
    pub build: Build,
    pub artifacts: Vec<Artifact>,
    pub out: Utf8PathBuf,
    /// The project directory (spec paths in the model are relative to it).
    pub dir: Utf8PathBuf,
    templates: Option<Utf8PathBuf>,
    env: minijinja::Environment<'static>,
    run_prefix: String,
}

impl Compiled {
    /// What migrations render with: the build's templates, without reuse (a migration is new
    /// text every time).
    pub(crate) fn migration_renderer(&self) -> Renderer<'_> {
        Renderer {
            env: &self.env,
            templates: self.templates.as_deref(),
            run_prefix: &self.run_prefix,
            templates_fingerprint: "",
            seeds: &[],
            reuse: None,
        }
    }

    /// Whether `_run.sql` builds the table (tables with templates of their own run from their
    /// own scripts).
    pub(crate) fn in_run(&self, table: &crate::model::Table) -> bool {
        crate::reads::shares_scans(
            table,
            &crate::render::bigquery::overridden(self.templates.as_deref()),
        )
    }

    /// Prints the build's warnings on stderr.
    pub fn warn(&self) {
        for warning in &self.build.warnings {
            crate::diagnostics::warn(warning);
        }
    }
}

pub fn compile(inputs: &Inputs) -> Result<Compiled, Diagnostics> {
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let out = output_folder(&project, inputs.out.as_ref());
    compile_project(&project, &inputs.overrides, out, None)
}

/// Compiles one event spec given as bytes against a fixed minimal project, in memory: the path the
/// fuzzer drives (spec bytes → load → validate → render → verify).
pub fn compile_spec_bytes(bytes: &[u8]) -> Result<Compiled, Diagnostics> {
    use crate::load::yaml::{parse_yaml, parse_yaml_bytes};
    use crate::spec::{EventSpec, ProjectFile};
    const PROJECT: &str =
        "project: my-gcp-project\nsource_dataset: raw_events\ntarget_dataset: analytics_flat\n";
    let file = parse_yaml(
        Utf8Path::new("bqflat.yaml"),
        PROJECT.to_string(),
        Some(ProjectFile::default()),
        "",
    )?;
    let spec =
        parse_yaml_bytes::<EventSpec>(Utf8Path::new("events/spec.yaml"), bytes.to_vec(), None, "")?;
    let project = Project {
        dir: ".".into(),
        file: Some(file),
        specs: vec![spec],
        templates: None,
        catalog: None,
    };
    compile_project(&project, &Overrides::default(), DEFAULT_OUTPUT.into(), None)
}

/// Compiles a project whose `bqflat.yaml` and `catalog.json` are given as bytes (either may be
/// absent, for the built-in ones), with one fixed spec that takes typed params and every key the
/// catalog lists: the paths the project and catalog fuzzers drive.
pub fn compile_project_bytes(
    project_file: Option<&[u8]>,
    catalog: Option<&[u8]>,
) -> Result<Compiled, Diagnostics> {
    use crate::load::yaml::{parse_yaml, parse_yaml_bytes};
    use crate::load::Catalog;
    use crate::spec::{EventSpec, ProjectFile};
    const PROJECT: &str =
        "project: my-gcp-project\nsource_dataset: raw_events\ntarget_dataset: analytics_flat\n";
    const SPEC: &str =
        "event: purchase\nparams:\n  include: [\"*\"]\nuser_properties:\n  include: [\"*\"]\n";
    const TYPED: &str =
        "event: page_view\nparams:\n  - key: page_title\n  - key: value\n    type: float64\n";
    let path = Utf8Path::new("bqflat.yaml");
    let file = match project_file {
        Some(bytes) => parse_yaml_bytes(path, bytes.to_vec(), Some(ProjectFile::default()), "")?,
        None => parse_yaml(path, PROJECT.into(), Some(ProjectFile::default()), "")?,
    };
    let catalog = match catalog {
        Some(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                Diagnostic::new("catalog.json is not UTF-8 text").at(Location::file("catalog.json"))
            })?;
            Some(Catalog::parse(Utf8Path::new("catalog.json"), text)?)
        }
        None => None,
    };
    let mut specs = vec![parse_yaml::<EventSpec>(
        Utf8Path::new("events/page_view.yaml"),
        TYPED.into(),
        None,
        "",
    )?];
    if catalog.is_some() {
        specs.push(parse_yaml::<EventSpec>(
            Utf8Path::new("events/purchase.yaml"),
            SPEC.into(),
            None,
            "",
        )?);
    }
    let project = Project {
        dir: ".".into(),
        file: Some(file),
        specs,
        templates: None,
        catalog,
    };
    compile_project(&project, &Overrides::default(), DEFAULT_OUTPUT.into(), None)
}

/// Where a project's build goes: `--out`, else the project file's `output:`, else `build/`.
pub fn output_folder(project: &Project, out: Option<&Utf8PathBuf>) -> Utf8PathBuf {
    let output = project
        .file
        .as_ref()
        .and_then(|f| f.value.output.as_deref());
    output_folder_of(&project.dir, out, output)
}

/// [`output_folder`] from the project directory, `--out` and the project file's `output:`.
pub(crate) fn output_folder_of(
    dir: &Utf8Path,
    out: Option<&Utf8PathBuf>,
    output: Option<&str>,
) -> Utf8PathBuf {
    match (out, output) {
        (Some(out), _) => out.clone(),
        (None, Some(output)) => dir.join(output),
        (None, None) => dir.join(DEFAULT_OUTPUT),
    }
}

/// Compiles a project already read (from disk, or built in memory by tests and fuzzers). Table
/// scripts that `reuse` accepts are kept as they are on disk instead of being rendered.
pub fn compile_project(
    project: &Project,
    overrides: &Overrides,
    out: Utf8PathBuf,
    reuse: Option<Reuse<'_>>,
) -> Result<Compiled, Diagnostics> {
    let build = resolve::resolve(project, overrides)?;
    // Headers say how to run each script from the project directory when the output is inside it.
    let run_prefix = run_prefix(&project.dir, &out);
    let templates = project.templates.as_deref();
    let env = render::environment(templates);
    let fingerprint = reuse::templates_fingerprint(templates);
    let seeds = reuse::table_seeds(project, overrides, &run_prefix, &build);
    let renderer = Renderer {
        env: &env,
        templates,
        run_prefix: &run_prefix,
        templates_fingerprint: &fingerprint,
        seeds: &seeds,
        reuse,
    };
    let mut results = Vec::new();
    for target in &build.targets {
        results.extend(match target {
            Target::Bigquery => render::bigquery::render(&build, &renderer),
            Target::Dbt => render::dbt::render(&build, &renderer),
            Target::Dataform => render::dataform::render(&build, &renderer),
        });
    }
    results.push(render::docs::render(&build, &renderer));
    let artifacts = render::collect(results)?;
    verify_all(&artifacts, &build)?;
    Ok(Compiled {
        build,
        artifacts,
        out,
        dir: project.dir.clone(),
        templates: project.templates.clone(),
        env,
        run_prefix,
    })
}

/// The output folder as users see it from the project directory (`build/`), for the "Run:" line
/// of each script's header; empty when the output is elsewhere.
pub(crate) fn run_prefix(dir: &Utf8Path, out: &Utf8Path) -> String {
    match out.strip_prefix(dir) {
        Ok(rel) if !rel.as_str().is_empty() => format!("{rel}/"),
        _ => String::new(),
    }
}

/// Parses every script; a failure names the event, the template and the position in the output.
pub(crate) fn verify_all(artifacts: &[Artifact], build: &Build) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    // A reused file was parsed by the build that wrote it.
    let parsed = crate::parallel::map(artifacts, |_, a| match a.reused {
        None if a.script => verify::parse_script(&a.contents),
        _ => Ok(0),
    });
    for (artifact, parsed) in artifacts.iter().zip(parsed) {
        if let Err(problem) = parsed {
            let what = match artifact.table.map(|i| &build.tables[i]) {
                Some(t) => format!("event `{}` (template {})", t.event, t.template),
                None => artifact.path.clone(),
            };
            // The position is in the generated text, which is shown since it is never written.
            let (line, col) = sql_position(&problem).unwrap_or((1, 1));
            diagnostics.push(
                Diagnostic::new(format!("the SQL generated for {what} does not parse as BigQuery SQL: {problem}"))
                    .at(Location::new(format!("{} (generated)", artifact.path), line, col))
                    .with_source(&artifact.contents)
                    .hint("fix the template that produced this line; `bqflat build --dry-run` shows the whole script"),
            );
        }
    }
    diagnostics.into_result(())
}

/// The `Line: L, Column: C` that sqlparser's messages end with.
fn sql_position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.rfind("Line: ")? + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}
