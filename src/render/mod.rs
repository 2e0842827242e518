//! Turning the resolved model into SQL text with minijinja. The SQL lives in `templates/`
//! (embedded here, overridable per project); this module owns quoting and the template context.

pub mod bigquery;
pub mod dataform;
pub mod dbt;
pub mod quote;

use camino::{Utf8Path, Utf8PathBuf};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::model::{Build, Table};

pub const BQFLAT_VERSION: &str = env!("CARGO_PKG_VERSION");

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
    "bigquery/_macros.sql",
    "bigquery/discover.sql",
    "bigquery/full.sql",
    "bigquery/incremental.sql",
    "bigquery/migration.sql",
    "bigquery/setup.sql",
    "dataform/declaration.sqlx",
    "dataform/table.sqlx",
    "dataform/workflow_settings.yaml",
    "dbt/dbt_project.yml",
    "dbt/generate_schema_name.sql",
    "dbt/model.sql",
    "dbt/profiles.yml",
    "dbt/schema.yml",
    "dbt/sources.yml",
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
    // SQL is not HTML: nothing is escaped implicitly; quoting is explicit through the filters.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_recursion_limit(100);
    // A user template that loops without end fails instead of hanging the build.
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.add_filter("ident", quote::ident_filter);
    env.add_filter("literal", quote::literal_filter);
    env.add_filter("json", quote::json_filter);
    env.add_filter("jinja_text", quote::jinja_text_filter);
    env.add_filter("js_string", quote::js_string_filter);
    let dir: Option<Utf8PathBuf> = project_templates.map(Utf8Path::to_owned);
    env.set_loader(move |name| {
        if let Some(dir) = &dir {
            let path = dir.join(name);
            if crate::names::check_template_name(name).is_ok() && path.is_file() {
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
    /// A BigQuery script not tied to one table's inputs.
    pub fn new(path: String, contents: String) -> Artifact {
        Artifact {
            path,
            contents,
            table: None,
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
    pub context: Box<dyn FnOnce() -> serde_json::Value + 'a>,
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
                context,
            } = file(table);
            let seed = self.seeds.get(index).map_or("", String::as_str);
            let inputs = fingerprint(&[
                BQFLAT_VERSION,
                self.templates_fingerprint,
                &path,
                &template,
                seed,
            ]);
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
        context: &serde_json::Value,
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

    /// Renders `template` with `context` plus `bqflat_version`; `what` names it in errors.
    pub fn render(
        &self,
        template: &str,
        context: &serde_json::Value,
        what: &str,
    ) -> Result<String, Diagnostic> {
        let mut ctx = context.clone();
        ctx["bqflat_version"] = BQFLAT_VERSION.into();
        self.env
            .get_template(template)
            .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
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

/// A sha256 over the parts, each length-prefixed so no two lists hash alike.
pub fn fingerprint(parts: &[&str]) -> String {
    let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    fingerprint_bytes(&bytes)
}

/// [`fingerprint`] over bytes.
pub fn fingerprint_bytes(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file name (and dbt model name) of a table in the dbt and Dataform projects: the table's,
/// qualified by dataset (and project) outside the default target dataset, since both tools want
/// the names unique.
pub fn file_stem(table: &Table, build: &Build) -> String {
    let target = &build.setup.metadata;
    let name = if (&table.project, &table.dataset) == (&target.project, &target.dataset) {
        table.name.clone()
    } else if table.project == target.project {
        format!("{}__{}", table.dataset, table.name)
    } else {
        format!("{}__{}__{}", table.project, table.dataset, table.name)
    };
    name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_")
}

/// The project as the dbt and Dataform project files see it.
pub fn project_view(build: &Build) -> serde_json::Value {
    let m = &build.setup.metadata;
    serde_json::json!({
        "gcp_project": m.project,
        "dataset": m.dataset,
        "location": build.setup.location,
        "source": build.tables.first().map(|t| &t.source),
    })
}

/// A table as the dbt and Dataform templates see it: the BigQuery view plus its file name,
/// lookback in whole days, column descriptions and merge key.
pub fn embedded_view(table: &Table, build: &Build) -> serde_json::Value {
    let mut view = bigquery::table_view(table, build);
    view["model"] = serde_json::json!(file_stem(table, build));
    view["lookback_days"] = serde_json::json!(lookback_days(table));
    view["column_docs"] = column_docs(table);
    view["merge_key"] = merge_key(table);
    view
}

/// What dbt and Dataform merge on. Their merges compare keys with `=`, which never matches NULL,
/// so any key but `event_key` (never NULL) is spelled as one column, `bqflat_row_key`, added to
/// their tables: the whole key the way bqflat's QUALIFY groups rows.
pub fn merge_key(table: &Table) -> serde_json::Value {
    if table.dedupe.key == ["event_key"] {
        serde_json::json!({ "columns": table.dedupe.key, "row_key": null })
    } else {
        serde_json::json!({ "columns": [crate::names::ROW_KEY], "row_key": crate::names::ROW_KEY })
    }
}

/// Whole days that cover a table's lookback.
pub fn lookback_days(table: &Table) -> u32 {
    (table.lookback.amount * table.lookback.unit.minutes()).div_ceil(24 * 60)
}

/// Each column with a description of where its value comes from, for the documentation that
/// dbt and Dataform attach to the table.
pub fn column_docs(table: &Table) -> serde_json::Value {
    use crate::model::Origin;
    let docs: Vec<serde_json::Value> = table
        .columns
        .iter()
        .map(|c| {
            let description = match &c.origin {
                Origin::Computed { name } if name == "event_date" => match &table.timezone {
                    Some(zone) => format!("Date of the event in {zone}"),
                    None => "Date of the event (the export's event_date)".to_string(),
                },
                Origin::Computed { name } if name == "event_ts" => {
                    "Time of the event (event_timestamp)".to_string()
                }
                Origin::Computed { .. } => {
                    "Hash of the export fields that identify one event".to_string()
                }
                Origin::Field { path } => format!("GA4 field {path}"),
                Origin::Param {
                    array,
                    key,
                    param_type,
                } => format!(
                    "{array} key {key:?} as {}",
                    serde_json::to_value(param_type)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                ),
                Origin::ItemField { field } => format!("items.{field} of the item"),
                Origin::ItemIndex => "Position of the item in items, from 0".to_string(),
                Origin::Items => "The event's items".to_string(),
            };
            serde_json::json!({ "name": c.name, "type": c.ty, "description": description })
        })
        .collect();
    serde_json::Value::Array(docs)
}
