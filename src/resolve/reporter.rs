//! Which file or flag set a value, and the diagnostic that points there: for an event's
//! settings (flag, then spec, then project file) and for the project-wide ones (flag, then file).

use crate::diagnostics::{Diagnostic, Location};
use crate::load::Loaded;
use crate::spec::ProjectFile;

use super::event::EventCtx;

/// A required project-wide `key` that neither its flag nor the project file gave; located at the
/// project file when there is one.
pub(super) fn missing_setting(
    key: &str,
    flag: &str,
    file: Option<&Loaded<ProjectFile>>,
) -> Diagnostic {
    let d = Diagnostic::new(format!("no `{key}` given"));
    let d = match file {
        Some(file) => d.at(Location::file(file.path.clone())),
        None => d,
    };
    d.hint(format!("set `{key}:` in bqflat.yaml or pass {flag}"))
}

/// A project-wide `key` that fails its check: located in the project file `at` that set it, or,
/// when no file did, blamed on its flag.
pub(super) fn invalid_setting(
    key: &str,
    flag: &str,
    at: Option<&Loaded<ProjectFile>>,
    problem: String,
) -> Diagnostic {
    match at {
        Some(file) => file.error_at(key, problem),
        None => Diagnostic::new(format!("{problem} (in {flag})")),
    }
}

impl EventCtx<'_> {
    /// Reports a problem with the setting at `path` (`cluster_by[4]`), located in the most specific
    /// place that set it: the flag, the event spec, or the project file.
    pub(super) fn error(
        &mut self,
        path: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let diagnostic = self.diagnostic(path, message.into(), hint.into());
        // The project file's params are checked once per event: say a problem there once.
        if !(self.shared && self.diagnostics.0.contains(&diagnostic)) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// A problem that does not stop the build, located like an error.
    pub(super) fn warn(&mut self, path: &str, message: String, hint: String) {
        let diagnostic = self.diagnostic(path, message, hint);
        // A setting of the project file is checked once per event: say it once.
        if !self.warnings.contains(&diagnostic) {
            self.warnings.push(diagnostic);
        }
    }

    pub(super) fn diagnostic(&self, path: &str, message: String, hint: String) -> Diagnostic {
        let setting = path.split(['.', '[']).next().unwrap_or(path);
        let diagnostic = if let Some(file) = self.file.filter(|_| self.shared) {
            file.error_at(path, message)
        } else if let Some(flag) = self.flags.flag_for(setting) {
            Diagnostic::new(format!("event `{}`: {message} (in {flag})", self.event))
        } else if let Some(spec) = self.spec.filter(|s| s.has(setting)) {
            spec.error_at(path, message)
        } else if let Some(file) = self.file.filter(|f| f.has(setting)) {
            file.error_at(path, message)
        } else if let Some(spec) = self.spec {
            spec.error_at(path, message)
        } else {
            Diagnostic::new(message)
        };
        if hint.is_empty() {
            diagnostic
        } else {
            diagnostic.hint(hint)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::resolve;
    use super::super::test_support::{error, project, FILE};
    use crate::diagnostics::{Diagnostic, Diagnostics};
    use crate::load::Overrides;
    use crate::spec::Settings;

    #[test]
    fn a_value_set_by_a_flag_is_blamed_on_the_flag() {
        let flags = Overrides {
            settings: Settings {
                lookback: Some("soon".into()),
                ..Settings::default()
            },
            flags: [("lookback", "--lookback")].into(),
            ..Overrides::default()
        };
        let p = project(&format!("{FILE}lookback: 2d\n"), &["event: a\n"]);
        let errors = resolve(&p, &flags).unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.ends_with("(in --lookback)"), "{errors:?}");
        assert_eq!(errors[0].location, None);
    }

    #[test]
    fn a_value_is_blamed_on_the_spec_before_the_project_file() {
        let in_spec = error(FILE, "event: a\nlookback: soon\n");
        let in_spec = in_spec.location.unwrap();
        assert_eq!((in_spec.file.as_str(), in_spec.line), ("events/0.yaml", 2));
        let in_file = error(&format!("{FILE}lookback: soon\n"), "event: a\n");
        let in_file = in_file.location.unwrap();
        assert_eq!((in_file.file.as_str(), in_file.line), ("bqflat.yaml", 4));
    }

    #[test]
    fn an_empty_hint_is_left_out_and_warnings_are_kept_apart_and_said_once() {
        let flags = Overrides::default();
        let (mut diagnostics, mut warnings) = (Diagnostics::default(), Vec::<Diagnostic>::new());
        let mut ctx = super::EventCtx {
            templates: None,
            catalog: None,
            warnings: &mut warnings,
            spec: None,
            file: None,
            flags: &flags,
            diagnostics: &mut diagnostics,
            event: "purchase",
            shared: false,
        };
        ctx.error("window.start", "bad", "");
        ctx.warn("window.end", "odd".into(), "look".into());
        ctx.warn("window.end", "odd".into(), "look".into());
        assert_eq!(diagnostics.0, [Diagnostic::new("bad")]);
        assert_eq!(warnings, [Diagnostic::new("odd").hint("look")]);
    }

    #[test]
    fn a_project_wide_value_is_blamed_on_its_flag_or_the_file() {
        let flags = Overrides {
            project: Some("Bad Project".into()),
            ..Overrides::default()
        };
        let errors = resolve(&project(FILE, &["event: a\n"]), &flags)
            .unwrap_err()
            .0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.ends_with("(in --project)"), "{errors:?}");
        assert_eq!(errors[0].location, None);
        let d = error(
            "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: my flat\n",
            "event: a\n",
        );
        let at = d.location.unwrap();
        assert_eq!((at.file.as_str(), at.line), ("bqflat.yaml", 3));
    }
}
