//! The pipeline from a project directory to the files of a build, in memory:
//! load → validate → render → verify. `build` writes the result; later commands compare it.

use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::model::Build;
use crate::output::manifest::TableEntry;
use crate::output::plan::{compare, Change, Impact, Previous};
use crate::project::{Overrides, Project};
use crate::render::bigquery::Migration;
use crate::render::{self, Artifact, Renderer, Reuse};
use crate::spec::{Mode, Target};
use crate::{reuse, validate, verify};

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
    /// Prints the build's warnings on stderr.
    pub fn warn(&self) {
        for warning in &self.build.warnings {
            eprint!("{}", crate::diagnostics::Warning(warning));
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
    use crate::project::load::{parse_yaml, parse_yaml_bytes};
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
    let build = validate::resolve(project, overrides)?;
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

/// The build's files plus the migrations its changes need against the previous build.
pub struct Evolution {
    pub artifacts: Vec<Artifact>,
    /// Breaking changes to existing incremental tables that the build refuses: their spec version
    /// did not go up and `--allow-breaking` was not given.
    pub refused: Diagnostics,
}

impl Evolution {
    /// The files to write, or the refusals.
    pub fn into_result(self) -> Result<Vec<Artifact>, Diagnostics> {
        self.refused.into_result(self.artifacts)
    }
}

/// Adds the migrations the build's changes need against `previous`; a breaking change to an
/// existing incremental table is refused unless its spec version went up or `allow_breaking` is
/// set. Migrations of earlier builds still on disk are kept.
pub fn with_migrations(
    compiled: &Compiled,
    previous: &Previous,
    allow_breaking: bool,
) -> Result<Evolution, Diagnostics> {
    let mut artifacts = compiled.artifacts.clone();
    // Migrations are BigQuery scripts; dbt and Dataform add columns themselves, and breaking
    // changes are refused for every target alike.
    let bigquery = compiled.build.targets.contains(&Target::Bigquery);
    let Some(old) = &previous.manifest else {
        return Ok(Evolution {
            artifacts,
            refused: Diagnostics::default(),
        });
    };
    let mut refused = Diagnostics::default();
    let build_number = old.build + 1;
    let mut diagnostics = Diagnostics::default();
    let old_tables: std::collections::BTreeMap<&str, &TableEntry> = old
        .artifacts
        .iter()
        .filter_map(|e| e.table.as_ref())
        .map(|t| (t.table.as_str(), t))
        .collect();
    for (index, table) in compiled.build.tables.iter().enumerate() {
        let Some(before) = old_tables.get(table.full_name().as_str()).copied() else {
            continue;
        };
        let name = &before.table;
        if table.mode != Mode::Incremental {
            continue;
        }
        let changes = compare(before, &TableEntry::of(table));
        let breaking: Vec<&Change> = changes
            .iter()
            .filter(|c| c.impact == Impact::Breaking)
            .collect();
        let kind = if breaking.is_empty() {
            let added: Vec<&str> = changes
                .iter()
                .filter(|c| c.kind == "column_added")
                .filter_map(|c| c.column.as_deref())
                .collect();
            let options = changes
                .iter()
                .any(|c| c.kind == "options" || c.kind == "partition_options");
            if added.is_empty() && !options {
                continue;
            }
            Migration::Alter { added, options }
        } else if allow_breaking || table.version > before.version {
            Migration::Rebuild
        } else {
            let list: Vec<String> = breaking.iter().map(|c| c.detail.clone()).collect();
            let location = table
                .spec_file
                .as_ref()
                .map(|f| Location::file(project_path(&compiled.dir, f)));
            let d = Diagnostic::new(format!(
                "event `{}`: breaking change to the existing incremental table `{name}`: {}",
                table.event,
                list.join("; ")
            ))
            .hint(format!(
                "bump `version` (to {}; with `{{version}}` in the table name the new table is built beside the old one), or pass --allow-breaking to emit a one-off full rebuild under bigquery/migrations/",
                before.version + 1
            ));
            refused.push(match location {
                Some(at) => d.at(at),
                None => d,
            });
            continue;
        };
        if !bigquery {
            continue;
        }
        let renderer = Renderer {
            env: &compiled.env,
            templates: compiled.templates.as_deref(),
            run_prefix: &compiled.run_prefix,
            templates_fingerprint: "",
            seeds: &[],
            reuse: None,
        };
        match render::bigquery::render_migration(
            &compiled.build,
            index,
            &kind,
            build_number,
            &renderer,
        ) {
            Ok(artifact) => artifacts.push(artifact),
            Err(d) => diagnostics.push(d),
        }
    }
    // Earlier migrations stay until their user deletes them: they may not have run yet.
    for entry in &old.artifacts {
        if entry.path.starts_with(render::bigquery::MIGRATIONS_DIR)
            && !artifacts.iter().any(|a| a.path == entry.path)
        {
            if let Some(text) = previous.files.get(&entry.path) {
                artifacts.push(Artifact::new(entry.path.clone(), text.clone()));
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics.sorted());
    }
    verify_all(&artifacts, &compiled.build)?;
    Ok(Evolution { artifacts, refused })
}

/// `file` (relative to the project) as users see it: without a leading `./`.
fn project_path(dir: &Utf8Path, file: &str) -> Utf8PathBuf {
    if dir == "." {
        file.into()
    } else {
        dir.join(file)
    }
}

/// Parses every script; a failure names the event, the template and the position in the output.
fn verify_all(artifacts: &[Artifact], build: &Build) -> Result<(), Diagnostics> {
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
