//! The one error type: what went wrong, where (file, line, column) and how to fix it.
//! A run collects every diagnostic it can before failing, so a user fixes all of them at once.

use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

/// A position in a file the user wrote. Lines and columns start at 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: Utf8PathBuf,
    pub line: usize,
    pub col: usize,
}

impl Location {
    pub fn new(file: impl Into<Utf8PathBuf>, line: usize, col: usize) -> Self {
        Location {
            file: file.into(),
            line,
            col,
        }
    }

    /// The start of a file, for errors about the file as a whole.
    pub fn file(file: impl Into<Utf8PathBuf>) -> Self {
        Location::new(file, 1, 1)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// The line of source the location points into, shown under the message.
    pub source_line: Option<String>,
    /// Column of the caret within `source_line`.
    caret: usize,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            location: None,
            message: message.into(),
            hint: None,
            source_line: None,
            caret: 0,
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the source line the location points at, so the report can show it.
    pub fn with_source(mut self, text: &str) -> Self {
        if let Some(loc) = &self.location {
            if let Some(line) = text.lines().nth(loc.line.saturating_sub(1)) {
                // Control characters (terminal escapes, NUL) are never printed as they are.
                let line: String = line
                    .chars()
                    .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
                    .collect();
                let (shown, caret) = window(&line, loc.col);
                self.source_line = Some(shown);
                // The caret follows the shown text; the reported column stays the real one.
                self.caret = caret;
            }
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "error")
    }
}

/// A diagnostic that does not stop the run, shown as `warning:`.
pub(crate) struct Warning<'a>(pub &'a Diagnostic);

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, "warning")
    }
}

/// Prints `d` on stderr as a warning, unless `-q` asked for errors only.
pub(crate) fn warn(d: &Diagnostic) {
    if !crate::report::style::quiet() {
        eprint!("{}", Warning(d));
    }
}

impl Diagnostic {
    fn write(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        let color = crate::report::style::get().stderr_color;
        let paint = |text: &str, code: &str| crate::report::style::paint(text, code, color);
        let code = if label == "error" { "1;31" } else { "1;33" };
        writeln!(f, "{}: {}", paint(label, code), self.message)?;
        if let Some(loc) = &self.location {
            writeln!(f, "  {} {loc}", paint("-->", "1;34"))?;
            if let Some(line) = &self.source_line {
                let number = loc.line.to_string();
                let pad = " ".repeat(number.len());
                let caret_pad: String = line
                    .chars()
                    .take(self.caret.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {line}")?;
                writeln!(f, "{pad} | {caret_pad}{}", paint("^", code))?;
            }
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = {}: {hint}", paint("help", "1;36"))?;
        }
        Ok(())
    }
}

/// At most `WIDTH` characters of `line` around column `col`, and the column within them, so a
/// minified or generated file does not flood the terminal.
fn window(line: &str, col: usize) -> (String, usize) {
    const WIDTH: usize = 120;
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(WIDTH / 2).min(chars.len() - WIDTH);
    let mut shown: String = chars[start..start + WIDTH].iter().collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if start + WIDTH < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// Every problem found in one run. Returned as the error of the whole pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// `Ok(value)` when nothing was reported, the collected diagnostics otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Orders the report by file and position so output is stable.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            a.location
                .cmp(&b.location)
                .then_with(|| a.message.cmp(&b.message))
        });
        self.0.dedup();
        self
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            write!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} error{}", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// An I/O failure on a path, as a diagnostic.
/// A file that cannot be read or written: the message names it (no line: the file itself is the
/// problem) and the hint says what to check for the kind of failure.
pub(crate) fn io_error(path: &Utf8Path, action: &str, err: &std::io::Error) -> Diagnostic {
    use std::io::ErrorKind;
    let hint = match err.kind() {
        ErrorKind::PermissionDenied => {
            format!("check that you may {action} `{path}` (its permissions and owner)")
        }
        ErrorKind::NotFound => {
            format!("`{path}` went away while bqflat ran: check the path and run again")
        }
        ErrorKind::IsADirectory | ErrorKind::NotADirectory => {
            format!("`{path}` or a folder above it is not what bqflat expects: a file where a folder should be, or a folder where a file should be")
        }
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            "free space on that disk, or pass `--out` to build elsewhere".to_string()
        }
        ErrorKind::ReadOnlyFilesystem => {
            "remount the file system writable, or pass `--out` to build elsewhere".to_string()
        }
        _ => format!("check that `{path}` is readable and the disk has room"),
    };
    Diagnostic::new(format!("cannot {action} {path}: {err}")).hint(hint)
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_name_the_file_without_a_line_and_say_what_to_check() {
        let err = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let d = io_error(Utf8Path::new("build/manifest.json"), "read", &err);
        assert!(d.location.is_none());
        assert!(d.message.starts_with("cannot read build/manifest.json: "));
        assert_eq!(
            d.hint.as_deref(),
            Some("check that you may read `build/manifest.json` (its permissions and owner)")
        );
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let d = io_error(Utf8Path::new("build/x.sql"), "write", &full);
        assert_eq!(
            d.hint.as_deref(),
            Some("free space on that disk, or pass `--out` to build elsewhere")
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (shown, caret) = window(&line, 501);
        assert!(shown.chars().count() <= 122, "{}", shown.len());
        assert_eq!(shown.chars().nth(caret - 1), Some('X'));
        assert_eq!(window("short", 3), ("short".to_string(), 3));
    }

    #[test]
    fn report_shows_line_caret_and_hint() {
        let d = Diagnostic::new("bad")
            .at(Location::new("a.yaml", 2, 5))
            .with_source("x: 1\nkey: value\n")
            .hint("fix it");
        assert_eq!(
            d.to_string(),
            "error: bad\n  --> a.yaml:2:5\n  |\n2 | key: value\n  |     ^\n  = help: fix it\n"
        );
    }
}
