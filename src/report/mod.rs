//! What build, check and plan tell their user. The commands decide what happened; this module
//! decides how it reads, so wording and layout change in one place and can be tested without
//! running a command.

pub(crate) mod annotations;
pub(crate) mod cost;
pub(crate) mod plan;

use std::fmt::Write as _;

use camino::Utf8Path;

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::emit::{self, Comparison, Outcome, Status};
use crate::model::Table;
use crate::plan::mode_word;

/// The line of a build that found its inputs unchanged and did nothing.
pub(crate) fn up_to_date(build: u64, out: &Utf8Path) -> String {
    format!("no changes: the inputs are those of build {build}; output in {out}\n")
}

/// `--dry-run`: every file, headed by its path.
pub(crate) fn dry_run(artifacts: &[crate::render::Artifact]) -> String {
    let mut text = String::new();
    for artifact in artifacts {
        let _ = writeln!(text, "-- ==> {} <==", artifact.path);
        text.push_str(&artifact.contents);
        text.push('\n');
    }
    text
}

/// One line per file the build wrote or kept, then the totals.
pub(crate) fn built(outcomes: &[Outcome], tables: &[Table], out: &Utf8Path) -> String {
    let mut text = String::new();
    let width = outcomes.iter().map(|o| o.path.len()).max().unwrap_or(0);
    let mut counts = [0usize; 4];
    for outcome in outcomes {
        let detail = match outcome.table.map(|i| &tables[i]) {
            Some(t) => {
                counts[outcome.status as usize] += 1;
                format!("  {} ({})", t.full_name(), mode_word(t.mode))
            }
            None => String::new(),
        };
        let _ = writeln!(
            text,
            "{:<9} {:<width$}{detail}",
            outcome.status.word(),
            outcome.path
        );
    }
    let removed = outcomes
        .iter()
        .filter(|o| o.status == Status::Removed)
        .count();
    let n = tables.len();
    let _ = writeln!(
        text,
        "{n} table{}; their files: {} created, {} changed, {} unchanged; {removed} file{} removed; output in {}",
        if n == 1 { "" } else { "s" },
        counts[Status::Created as usize],
        counts[Status::Changed as usize],
        counts[Status::Unchanged as usize],
        if removed == 1 { "" } else { "s" },
        out,
    );
    text
}

/// `check`'s verdict on the output folder `out`: the "ok" line, or one problem per file out of
/// step with the specs.
pub(crate) fn checked(comparison: &Comparison, out: &Utf8Path) -> Result<String, Diagnostics> {
    let mut problems = Diagnostics::default();
    for (path, problem) in &comparison.foreign {
        problems.push(
            Diagnostic::new(format!("{path} {problem}"))
                .at(Location::file(path))
                .hint("move the change into the spec or a template override; `bqflat build --force` restores the file"),
        );
    }
    for outcome in comparison
        .outcomes
        .iter()
        .filter(|o| o.status != Status::Unchanged)
    {
        let path = out.join(&outcome.path);
        if comparison.foreign.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let what = match outcome.status {
            Status::Created => "is missing",
            Status::Removed => "is left from an event that no longer exists",
            _ => "is out of date",
        };
        problems.push(
            Diagnostic::new(format!("{path} {what}"))
                .hint("run `bqflat build` and commit the result"),
        );
    }
    if problems.is_empty() && comparison.is_stale() {
        let path = out.join(emit::manifest::FILE);
        problems.push(
            Diagnostic::new(format!("{path} is out of date"))
                .hint("run `bqflat build` and commit the result"),
        );
    }
    problems.into_result(format!(
        "ok: {} files in {} are up to date\n",
        comparison.outcomes.len(),
        out
    ))
}
