//! What build, check and plan tell their user. The commands decide what happened; this module
//! decides how it reads, so wording and layout change in one place and can be tested without
//! running a command.

pub(crate) mod annotations;
pub(crate) mod cost;
pub(crate) mod plan;
pub(crate) mod style;

use std::fmt::Write as _;

use camino::Utf8Path;

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::emit::{self, Comparison, Outcome, Status};
use crate::model::Build;
use crate::plan::mode_word;
use crate::spec::Target;

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

/// One line per file the build wrote or removed (`verbose`: kept too), the totals, then the
/// migrations it wrote and what each must run before.
pub(crate) fn built(
    outcomes: &[Outcome],
    build: &Build,
    out: &Utf8Path,
    migrations: &[(String, usize)],
    in_run: &dyn Fn(&crate::model::Table) -> bool,
    verbose: bool,
) -> String {
    use crate::render::bigquery::{table_path, DIR, ORDER_FILE, RUN_FILE};
    let tables = &build.tables;
    let mut text = String::new();
    let listed = |o: &&Outcome| verbose || o.status != Status::Unchanged;
    let width = outcomes.iter().filter(listed).map(|o| o.path.len()).max();
    let mut counts = [0usize; 4];
    for outcome in outcomes {
        let detail = match outcome.table.map(|i| &tables[i]) {
            Some(t) => {
                counts[outcome.status as usize] += 1;
                format!("  {} ({})", t.full_name(), mode_word(t.mode))
            }
            None => String::new(),
        };
        if listed(&outcome) {
            let width = width.unwrap_or(0);
            let line = format!(
                "{:<9} {:<width$}{detail}",
                outcome.status.word(),
                outcome.path
            );
            let _ = writeln!(text, "{}", line.trim_end());
        }
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
    let written: Vec<&(String, usize)> = migrations
        .iter()
        .filter(|(path, _)| {
            outcomes
                .iter()
                .any(|o| &o.path == path && o.status == Status::Created)
        })
        .collect();
    if !written.is_empty() {
        let _ = writeln!(
            text,
            "\nmigrations to run once, before the tables' next runs (`sh {}` runs them first, and skips those that ran):",
            out.join(DIR).join(ORDER_FILE)
        );
        for (path, table) in written {
            let table = &tables[*table];
            let or_run = if in_run(table) {
                format!(" or {DIR}/{RUN_FILE}")
            } else {
                String::new()
            };
            let _ = writeln!(
                text,
                "  bq query --use_legacy_sql=false < {}\n      before {}{or_run}",
                out.join(path),
                table_path(table, build),
            );
        }
    }
    text
}

/// `check`'s verdict on the output folder `out`: the "ok" line, or one problem per file out of
/// step with the specs.
pub(crate) fn checked(
    comparison: &Comparison,
    out: &Utf8Path,
    targets: &[Target],
) -> Result<String, Diagnostics> {
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
        let folder = outcome.path.split('/').next().unwrap_or_default();
        let dropped = [Target::Bigquery, Target::Dbt, Target::Dataform]
            .into_iter()
            .find(|t| t.dir() == folder && !targets.contains(t));
        let what = match (outcome.status, dropped) {
            (Status::Created, _) => "is missing".to_string(),
            (Status::Removed, Some(target)) => format!(
                "is left from target `{}`, which the project no longer builds",
                target.dir()
            ),
            (Status::Removed, None) => {
                "is left from an event or table the project no longer builds".to_string()
            }
            _ => "is out of date".to_string(),
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
