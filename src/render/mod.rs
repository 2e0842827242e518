//! Turning the resolved model into SQL text with minijinja. The SQL lives in `templates/`
//! (embedded here, overridable per project); this module owns quoting and the template context.

pub mod bigquery;
pub mod dataform;
pub mod dbt;
pub mod docs;
mod filters;
mod markdown;
pub mod quote;

use camino::{Utf8Path, Utf8PathBuf};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::model::{Build, Table};
use crate::reuse::fingerprint;
use crate::BQFLAT_VERSION;

/// Template instructions one render may run: finite for a template stuck in a loop, ample for any
/// table (the built-in templates use under 1,000 per column, and BigQuery allows 10,000 columns).
pub const TEMPLATE_FUEL: u64 = 10_000_000;

/// A built-in template, by its path under `templates/`.
macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// The built-in templates, by name: `<target>/<file>`.
pub const BUILTIN: &[(&str, &str)] = builtin![
    "bigquery/_ddl.sql",
    "bigquery/_macros.sql",
    "bigquery/_expressions.sql",
    "bigquery/_rows.sql",
    "bigquery/_scan.sql",
    "bigquery/_state.sql",
    "bigquery/_window.sql",
    "bigquery/checks.sql",
    "bigquery/discover.sql",
    "bigquery/full.sql",
    "bigquery/incremental.sql",
    "bigquery/migration.sql",
    "bigquery/run.sh",
    "bigquery/run.sql",
    "bigquery/setup.sql",
    "bigquery/view.sql",
    "dataform/base.sqlx",
    "docs/tables.md",
    "dataform/declaration.sqlx",
    "dataform/table.sqlx",
    "dataform/view.sqlx",
    "dataform/workflow_settings.yaml",
    "dbt/base.sql",
    "dbt/dbt_project.yml",
    "dbt/generate_schema_name.sql",
    "dbt/model.sql",
    "dbt/profiles.yml",
    "dbt/schema.yml",
    "dbt/sources.yml",
    "dbt/view.sql",
];

/// Templates are looked up in the project's `templates/` folder first, then among the built-ins.
/// Each template is compiled once per run and reused for every event.
pub fn environment(project_templates: Option<&Utf8Path>) -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("static syntax config is valid");
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_recursion_limit(100);
    // A user template that loops without end fails instead of hanging the build.
    env.set_fuel(Some(TEMPLATE_FUEL));
    filters::install(&mut env);
    let dir: Option<Utf8PathBuf> = project_templates.map(Utf8Path::to_owned);
    let real_dir = project_templates.and_then(|d| d.canonicalize_utf8().ok());
    env.set_loader(move |name| {
        if let Some(dir) = &dir {
            let path = dir.join(name);
            if crate::names::check_template_name(name).is_ok() && path.is_file() {
                // A link out of the templates folder would render (and quote, in errors) a
                // file that is not the project's.
                let inside = match (&real_dir, path.canonicalize_utf8()) {
                    (Some(real_dir), Ok(real)) => real.starts_with(real_dir),
                    _ => false,
                };
                if !inside {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("template {path} links to a file outside the templates folder; replace the link with the template itself"),
                    ));
                }
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("cannot read template {path}: {e}"),
                    )
                });
            }
        }
        Ok(BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, source)| source.to_string()))
    });
    env
}

/// A template failure as a diagnostic pointing into the template, for the event being rendered.
pub fn template_error(err: &Error, templates: Option<&Utf8Path>, what: &str) -> Diagnostic {
    let mut message = format!("template error while rendering {what}: {}", err.kind());
    if let Some(detail) = err.detail() {
        message.push_str(&format!(": {detail}"));
    }
    let mut diagnostic = Diagnostic::new(message);
    if let (Some(name), Some(line)) = (err.name(), err.line()) {
        let in_project = templates.map(|dir| dir.join(name)).filter(|p| p.is_file());
        let file = in_project.unwrap_or_else(|| Utf8PathBuf::from(format!("<built-in>/{name}")));
        diagnostic = diagnostic.at(Location::new(file, line, 1));
        if let Some(source) = err.template_source() {
            diagnostic = diagnostic.with_source(source);
        }
    }
    diagnostic.hint("fix the template, or delete the project's copy to use the built-in one")
}

/// One generated file, with its path relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    /// Empty when `reused`.
    pub contents: String,
    /// Index into `Build::tables` of the table this file builds, if any.
    pub table: Option<usize>,
    /// `project.dataset.name` of the view over an event's sources this file creates, if any.
    pub view: Option<String>,
    /// A BigQuery script, parsed before it is written. dbt and Dataform files hold those tools'
    /// own syntax; the test suite compiles them with the real tools.
    pub script: bool,
    /// Fingerprint of everything the file is made from (its spec and the project file as text,
    /// the flags, the templates, bqflat's version).
    pub inputs: Option<String>,
    /// The sha256 and size of the file already on disk, when its inputs have not changed since
    /// the build that wrote it: it is neither rendered nor rewritten.
    pub reused: Option<(String, u64)>,
}

impl Artifact {
    /// The file's sha256 and size: the kept file's when `reused`, else its contents'.
    pub(crate) fn digest(&self) -> (String, u64) {
        match &self.reused {
            Some(kept) => kept.clone(),
            None => (
                crate::emit::manifest::sha256(self.contents.as_bytes()),
                self.contents.len() as u64,
            ),
        }
    }

    /// A BigQuery script not tied to one table's inputs.
    pub fn new(path: String, contents: String) -> Artifact {
        Artifact {
            path,
            contents,
            table: None,
            view: None,
            script: true,
            inputs: None,
            reused: None,
        }
    }

    /// A file in another tool's syntax.
    pub fn other(path: String, contents: String) -> Artifact {
        Artifact {
            script: false,
            ..Artifact::new(path, contents)
        }
    }
}

/// Decides whether a table's file can be kept as it is on disk: given its path and input
/// fingerprint, the sha256 and size of the file to keep.
pub type Reuse<'a> = &'a (dyn Fn(&str, &str) -> Option<(String, u64)> + Sync);

/// What every target renders with.
pub struct Renderer<'a> {
    pub env: &'a Environment<'static>,
    /// The project's `templates/` folder, for error locations.
    pub templates: Option<&'a Utf8Path>,
    /// The output folder as users see it (`build/`), for the "Run:" lines of headers.
    pub run_prefix: &'a str,
    /// Of every template a build may use.
    pub templates_fingerprint: &'a str,
    /// Per table (by index), a digest of what its model is made from: the project file, the
    /// flags, the catalog and its spec, as text. Empty when nothing is reused.
    pub seeds: &'a [String],
    pub reuse: Option<Reuse<'a>>,
}

/// One table's file: where it goes, which template renders it, and the template's context,
/// built only when the file is rendered.
pub struct TableFile<'a> {
    pub path: String,
    pub template: String,
    /// What else the file is made from (beyond its table, template and the project's templates),
    /// as text: part of its fingerprint. Empty for most files.
    pub inputs: String,
    pub context: Box<dyn FnOnce() -> minijinja::Value + 'a>,
}

impl Renderer<'_> {
    /// Renders one file per table, on every core. A table whose inputs (its seed, the file's
    /// path and template, the templates and the bqflat version) match what `reuse` accepts is
    /// kept as it is on disk, without building its context.
    pub fn per_table<'b>(
        &self,
        build: &'b Build,
        script: bool,
        file: impl Fn(&'b Table) -> TableFile<'b> + Sync,
    ) -> Vec<Result<Artifact, Diagnostic>> {
        crate::parallel::map(&build.tables, |index, _| {
            let table: &'b Table = &build.tables[index];
            let TableFile {
                path,
                template,
                inputs: extra,
                context,
            } = file(table);
            let seed = self.seeds.get(index).map_or("", String::as_str);
            let mut parts = vec![
                BQFLAT_VERSION,
                self.templates_fingerprint,
                &path,
                &template,
                seed,
            ];
            if !extra.is_empty() {
                parts.push(&extra);
            }
            let inputs = fingerprint(&parts);
            let mut artifact = Artifact {
                script,
                table: Some(index),
                inputs: Some(inputs),
                ..Artifact::new(path, String::new())
            };
            if let Some(kept) = self
                .reuse
                .and_then(|reuse| reuse(&artifact.path, artifact.inputs.as_deref().unwrap_or("")))
            {
                artifact.reused = Some(kept);
                return Ok(artifact);
            }
            let what = format!("event `{}` ({template})", table.event);
            artifact.contents = self.render(&template, &context(), &what)?;
            Ok(artifact)
        })
    }

    /// A target's files that are not per table: `(path, template)` pairs under `dir`, all
    /// rendered with one context.
    pub fn project_files(
        &self,
        dir: &str,
        files: &[(&str, &str)],
        context: &minijinja::Value,
    ) -> Vec<Result<Artifact, Diagnostic>> {
        files
            .iter()
            .map(|(path, template)| {
                self.render(
                    &format!("{dir}/{template}"),
                    context,
                    &format!("{dir}/{path}"),
                )
                .map(|contents| Artifact::other(format!("{dir}/{path}"), contents))
            })
            .collect()
    }

    /// Renders `template` with `context` (a `crate::view` context); `what` names it in errors.
    pub fn render(
        &self,
        template: &str,
        context: &minijinja::Value,
        what: &str,
    ) -> Result<String, Diagnostic> {
        self.env
            .get_template(template)
            .and_then(|t| t.render(context))
            .map_err(|err| template_error(&err, self.templates, what))
    }
}

/// Collects per-file results: the files, or every error.
pub fn collect(
    results: impl IntoIterator<Item = Result<Artifact, Diagnostic>>,
) -> Result<Vec<Artifact>, Diagnostics> {
    let mut artifacts = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for result in results {
        match result {
            Ok(artifact) => artifacts.push(artifact),
            Err(d) => diagnostics.push(d),
        }
    }
    diagnostics.into_result(artifacts)
}
