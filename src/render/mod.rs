//! Turning the resolved model into SQL text with minijinja. The SQL lives in `templates/`
//! (embedded here, overridable per project); this module owns quoting and the template context.

pub mod bigquery;
pub mod quote;

use camino::{Utf8Path, Utf8PathBuf};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use crate::diagnostics::{Diagnostic, Location};

pub const BQFLAT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Template instructions one render may run: finite for a template stuck in a loop, ample for any
/// table (the built-in templates use under 1,000 per column, and BigQuery allows 10,000 columns).
pub const TEMPLATE_FUEL: u64 = 10_000_000;

/// The built-in templates, by name: `<target>/<file>`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "bigquery/_macros.sql",
        include_str!("../../templates/bigquery/_macros.sql"),
    ),
    (
        "bigquery/discover.sql",
        include_str!("../../templates/bigquery/discover.sql"),
    ),
    (
        "bigquery/full.sql",
        include_str!("../../templates/bigquery/full.sql"),
    ),
    (
        "bigquery/incremental.sql",
        include_str!("../../templates/bigquery/incremental.sql"),
    ),
    (
        "bigquery/migration.sql",
        include_str!("../../templates/bigquery/migration.sql"),
    ),
    (
        "bigquery/setup.sql",
        include_str!("../../templates/bigquery/setup.sql"),
    ),
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
