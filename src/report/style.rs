//! How much the commands say and whether in colour: chosen once, from `-q`/`-v` and `--color`,
//! before a command runs. Warnings and errors are printed from deep inside the pipeline, so the
//! choice is process-wide rather than threaded through every call; without a choice (the
//! library used from tests) output is plain and of normal length.

use std::sync::OnceLock;

/// How much a command prints besides its result and its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Verbosity {
    /// Errors only (and what was asked for: `--dry-run`'s SQL, a plan, a report).
    Quiet,
    #[default]
    Normal,
    /// Every file, unchanged ones too.
    Verbose,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Style {
    pub(crate) verbosity: Verbosity,
    /// ANSI colours on stdout (plans) and on stderr (errors and warnings).
    pub(crate) stdout_color: bool,
    pub(crate) stderr_color: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

/// Sets the style for the rest of the process; a second call changes nothing.
pub(crate) fn set(style: Style) {
    let _ = STYLE.set(style);
}

pub(crate) fn get() -> Style {
    STYLE.get().copied().unwrap_or_default()
}

/// `text` in the ANSI style `code` (`1;31` bold red) when `color`.
pub(crate) fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Whether `-q` asked for errors only.
pub(crate) fn quiet() -> bool {
    get().verbosity == Verbosity::Quiet
}
