//! `plan`'s three renderings of a [`Plan`]: text for a terminal (ANSI colours when asked),
//! markdown for a pull-request comment, JSON for tools. All three show the same facts, so they
//! share the summary and the diffs.

use std::fmt::Write as _;

use similar::{Algorithm, ChangeTag, TextDiff};

use super::style::paint;
use crate::plan::cost::Delta;
use crate::plan::{mode_word, Action, FilePlan, Impact, Plan};
use crate::BQFLAT_VERSION;

fn summary(plan: &Plan) -> String {
    let breaking: usize = plan.tables.iter().map(|t| t.breaking().count()).sum();
    let mut line = format!(
        "{} to add, {} to change, {} to remove, {} unchanged",
        plan.count(Action::Add),
        plan.count(Action::Change),
        plan.count(Action::Remove),
        plan.count(Action::Unchanged)
    );
    if breaking > 0 {
        let _ = write!(
            line,
            " ({breaking} breaking change{})",
            if breaking == 1 { "" } else { "s" }
        );
    }
    line
}

fn sign(action: Action) -> char {
    match action {
        Action::Add => '+',
        Action::Change => '~',
        Action::Remove => '-',
        Action::Unchanged => ' ',
    }
}

const EDITED: &str =
    "was edited by hand since the last build; `bqflat build` keeps it unless run with --force";

/// The estimated bytes of a typical incremental run before and after, when the change moves
/// them: one line per way of running and per table whose script's estimate moves.
fn cost_lines(plan: &Plan) -> Vec<String> {
    let cost = &plan.cost;
    if !cost.changed() {
        return Vec::new();
    }
    let mut rows: Vec<(String, Delta)> = vec![
        ("bigquery/_run.sql".into(), cost.run),
        ("every bigquery/<table>.sql".into(), cost.table_scripts),
    ];
    rows.extend(cost.tables.iter().map(|t| (t.table.clone(), t.bytes)));
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines = vec![format!(
        "Estimated bytes billed per typical incremental run ({}):",
        crate::report::cost::profile_line(&crate::cost::Profile {
            description: cost.profile.clone(),
            generic: cost.generic,
            ..crate::cost::Profile::builtin()
        })
    )];
    lines.extend(
        rows.into_iter()
            .map(|(name, d)| format!("  {name:<width$}  {}", delta_text(d))),
    );
    lines
}

fn delta_text(d: Delta) -> String {
    use crate::report::cost::{bytes, change};
    match (d.before, d.after) {
        (Some(b), Some(a)) => format!("{} → {} ({})", bytes(b), bytes(a), change(b, a)),
        (None, Some(a)) => format!("previous estimate unknown → {}", bytes(a)),
        (Some(b), None) => format!("{} → unknown", bytes(b)),
        (None, None) => "previous estimate unknown".into(),
    }
}

pub(crate) fn text(plan: &Plan, edited: &[String], color: bool, stat: bool) -> String {
    let mut out = format!("Plan: {}\n", summary(plan));
    for path in edited {
        let _ = writeln!(out, "{} {path} {EDITED}", paint("warning:", "1;33", color));
    }
    let cost = cost_lines(plan);
    if !cost.is_empty() {
        out.push('\n');
        for line in cost {
            let _ = writeln!(out, "{line}");
        }
    }
    for t in plan.tables.iter().filter(|t| t.action != Action::Unchanged) {
        let code = match t.action {
            Action::Add => "32",
            Action::Remove => "31",
            _ => "33",
        };
        let head = format!("{} {}", sign(t.action), t.table);
        let _ = writeln!(
            out,
            "\n{} ({}, version {})",
            paint(&head, code, color),
            mode_word(t.mode),
            t.version
        );
        let width = t
            .changes
            .iter()
            .map(|c| c.detail.chars().count())
            .max()
            .unwrap_or(0);
        for c in &t.changes {
            let impact = match c.impact {
                Impact::Breaking => paint("breaking", "1;31", color),
                other => other.word().to_string(),
            };
            let _ = writeln!(out, "    {:<width$}  {impact}", c.detail);
        }
        for column in &t.columns {
            let _ = writeln!(out, "    {column}");
        }
    }
    if stat {
        out.push('\n');
        out.push_str(&stat_lines(plan));
        return out;
    }
    for file in plan.files.iter().filter(|f| f.action != Action::Unchanged) {
        out.push('\n');
        match new_file(file) {
            Some(line) => {
                let _ = writeln!(out, "{}", paint(&line, "32", color));
            }
            None => out.push_str(&unified_diff(file, color)),
        }
    }
    out
}

/// A created file as one line instead of its whole text: what it is for is in the table's
/// columns above, and `bqflat build --dry-run` prints it.
fn new_file(file: &FilePlan) -> Option<String> {
    match (&file.before, &file.after) {
        (None, Some(after)) => Some(format!(
            "+ new file {} ({} lines)",
            file.path,
            after.lines().count()
        )),
        _ => None,
    }
}

/// ` path | +added -removed`, one line per changed file, like `git diff --stat`.
fn stat_lines(plan: &Plan) -> String {
    let changed: Vec<&FilePlan> = plan
        .files
        .iter()
        .filter(|f| f.action != Action::Unchanged)
        .collect();
    let width = changed
        .iter()
        .map(|f| f.path.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for file in changed {
        let (added, removed) = line_counts(file);
        let _ = writeln!(out, " {:<width$} | +{added} -{removed}", file.path);
    }
    out
}

fn line_counts(file: &FilePlan) -> (usize, usize) {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(
            file.before.as_deref().unwrap_or(""),
            file.after.as_deref().unwrap_or(""),
        );
    let mut counts = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => counts.0 += 1,
            similar::ChangeTag::Delete => counts.1 += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    counts
}

fn unified_diff(file: &FilePlan, color: bool) -> String {
    let before = file.before.as_deref().unwrap_or("");
    let after = file.after.as_deref().unwrap_or("");
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(before, after);
    let old_name = if file.before.is_some() {
        format!("a/{}", file.path)
    } else {
        "/dev/null".into()
    };
    let new_name = if file.after.is_some() {
        format!("b/{}", file.path)
    } else {
        "/dev/null".into()
    };
    if !color {
        return diff
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string();
    }
    let mut out = paint(&format!("--- {old_name}\n+++ {new_name}"), "1", true);
    out.push('\n');
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&paint(&hunk.header().to_string(), "36", true));
        out.push('\n');
        for change in hunk.iter_changes() {
            let (prefix, code) = match change.tag() {
                ChangeTag::Delete => ('-', "31"),
                ChangeTag::Insert => ('+', "32"),
                ChangeTag::Equal => (' ', ""),
            };
            let line = format!("{prefix}{}", change.value().trim_end_matches('\n'));
            out.push_str(&if code.is_empty() {
                line
            } else {
                paint(&line, code, true)
            });
            out.push('\n');
        }
    }
    out
}

pub(crate) fn markdown(plan: &Plan, edited: &[String], stat: bool) -> String {
    let mut out = format!("### bqflat plan: {}\n\n", summary(plan));
    for path in edited {
        let _ = writeln!(out, "> **Warning:** `{path}` {}\n", EDITED.replace('`', ""));
    }
    let changed: Vec<_> = plan
        .tables
        .iter()
        .filter(|t| t.action != Action::Unchanged)
        .collect();
    if changed.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let cost = cost_lines(plan);
    if !cost.is_empty() {
        let _ = writeln!(out, "```\n{}\n```\n", cost.join("\n"));
    }
    out.push_str("| table | action | mode | changes |\n|---|---|---|---|\n");
    let rows = changed.len();
    for (shown, t) in changed.into_iter().enumerate() {
        // Half the comment for the table at most: the rest for the diffs and the pointer.
        if out.len() > COMMENT_LIMIT / 2 {
            let _ = writeln!(out, "| … | {} more tables | | |", rows - shown);
            break;
        }
        let changes: Vec<String> = t
            .changes
            .iter()
            .map(|c| {
                let detail = c.detail.replace('|', "\\|");
                match c.impact {
                    Impact::Breaking => format!("**breaking**: {detail}"),
                    other => format!("{}: {detail}", other.word()),
                }
            })
            .collect();
        let mut changes = changes;
        if !t.columns.is_empty() {
            let list: Vec<String> = t.columns.iter().map(|c| format!("`{c}`")).collect();
            changes.push(format!("columns: {}", list.join(", ")));
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            t.table,
            t.action.word(),
            mode_word(t.mode),
            changes.join("<br>")
        );
    }
    if stat {
        let _ = write!(out, "\n```\n{}```\n", stat_lines(plan));
        return out;
    }
    let mut left_out = 0;
    for file in plan.files.iter().filter(|f| f.action != Action::Unchanged) {
        if let Some(line) = new_file(file) {
            let _ = writeln!(out, "\n{line}");
            continue;
        }
        let diff = unified_diff(file, false);
        // A fence longer than any backtick run inside keeps the diff intact.
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        let block = format!("\n<details><summary>{} <code>{}</code></summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n", file.action.word(), file.path);
        if left_out > 0 || out.len() + block.len() > COMMENT_LIMIT - POINTER_ROOM {
            left_out += 1;
            continue;
        }
        out.push_str(&block);
    }
    if left_out > 0 {
        let _ = write!(out, "\n_The diffs of {left_out} more file(s) are left out: a GitHub comment holds {COMMENT_LIMIT} characters. `bqflat plan` (or `--format json`) shows the whole plan._\n");
    }
    out
}

/// GitHub's limit on a comment's body, in characters (the text is measured in bytes, which are
/// never fewer).
pub(crate) const COMMENT_LIMIT: usize = 65_536;
/// Kept free for the line that says what was left out.
const POINTER_ROOM: usize = 400;

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

pub(crate) fn json(plan: &Plan, edited: &[String]) -> String {
    let files: Vec<serde_json::Value> = plan
        .files
        .iter()
        .map(|f| {
            let diff = (f.action != Action::Unchanged).then(|| unified_diff(f, false));
            serde_json::json!({ "path": f.path, "action": f.action, "diff": diff })
        })
        .collect();
    let document = serde_json::json!({
        "format": 1,
        "bqflat_version": BQFLAT_VERSION,
        "changes": plan.has_changes(),
        "summary": {
            "add": plan.count(Action::Add),
            "change": plan.count(Action::Change),
            "remove": plan.count(Action::Remove),
            "unchanged": plan.count(Action::Unchanged),
            "breaking": plan.tables.iter().map(|t| t.breaking().count()).sum::<usize>(),
        },
        "tables": plan.tables,
        "files": files,
        "edited_by_hand": edited,
        "cost": plan.cost,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("the plan serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_file(action: Action, before: Option<&str>, after: Option<&str>) -> Plan {
        Plan {
            tables: Vec::new(),
            cost: Default::default(),
            files: vec![FilePlan {
                path: "bigquery/a.sql".into(),
                action,
                before: before.map(String::from),
                after: after.map(String::from),
            }],
        }
    }

    #[test]
    fn an_empty_plan_reads_as_no_changes() {
        let plan = Plan {
            tables: Vec::new(),
            files: Vec::new(),
            cost: Default::default(),
        };
        assert_eq!(
            text(&plan, &[], false, false),
            "Plan: 0 to add, 0 to change, 0 to remove, 0 unchanged\n"
        );
        assert!(markdown(&plan, &[], false).ends_with("\n\nNo changes.\n"));
        let doc: serde_json::Value = serde_json::from_str(&json(&plan, &[])).unwrap();
        assert_eq!(doc["changes"], false);
        assert_eq!(doc["format"], 1);
    }

    #[test]
    fn diffs_are_plain_without_colour_and_painted_with_it() {
        let plan = one_file(Action::Change, Some("a\n"), Some("b\n"));
        let plain = text(&plan, &[], false, false);
        assert!(plain.contains("--- a/bigquery/a.sql\n+++ b/bigquery/a.sql\n"));
        assert!(plain.contains("-a\n+b\n"));
        assert!(!plain.contains('\x1b'));
        let painted = text(&plan, &[], true, false);
        assert!(painted.contains("\x1b[31m-a\x1b[0m\n\x1b[32m+b\x1b[0m\n"));
    }

    #[test]
    fn a_new_file_diffs_against_dev_null() {
        let plan = one_file(Action::Add, None, Some("x\n"));
        assert!(unified_diff(&plan.files[0], false).starts_with("--- /dev/null\n+++ b/"));
    }

    #[test]
    fn markdown_fences_outlast_backticks_in_the_diff() {
        assert_eq!(longest_backtick_run("a ``` b ` c"), 3);
    }
}
