//! Which file or flag set a value, and the diagnostic that points there.

use crate::diagnostics::Diagnostic;

use super::event::EventCtx;

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
        self.diagnostics.push(diagnostic);
    }

    /// A problem that does not stop the build, located like an error.
    pub(super) fn warn(&mut self, path: &str, message: String, hint: String) {
        let diagnostic = self.diagnostic(path, message, hint);
        self.warnings.push(diagnostic);
    }

    pub(super) fn diagnostic(&self, path: &str, message: String, hint: String) -> Diagnostic {
        let setting = path.split(['.', '[']).next().unwrap_or(path);
        let diagnostic = if let Some(flag) = self.flags.flag_for(setting) {
            Diagnostic::new(format!("{message} (in {flag})"))
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
