//! `bqflat plan`: what `build` would change, for review. Renders in memory, reads the previous
//! build from the output folder (or from git with `--against`), and never writes.

use std::fmt::Write as _;
use std::io::IsTerminal;

use similar::{Algorithm, ChangeTag, TextDiff};

use crate::cli::{PlanArgs, PlanFormat};
use crate::compiler;
use crate::diagnostics::Diagnostics;
use crate::output::Manifest;
use crate::plan::{mode_word, plan, Action, FilePlan, Impact, Plan, Previous};
use crate::project::Project;
use crate::BQFLAT_VERSION;

/// Exit code of `--detailed-exitcode` when the plan has changes (Terraform's convention).
pub const CHANGES_EXIT_CODE: u8 = 2;

/// Returns whether the plan has changes.
pub fn run(args: &PlanArgs) -> Result<bool, Diagnostics> {
    let inputs = args.project.inputs();
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let out = compiler::output_folder(&project, inputs.out.as_ref());
    let previous = match &args.against {
        Some(rev) => Previous::from_git(&out, rev)?,
        None => Previous::from_dir(&out)?,
    };
    // A table whose inputs match the previous build is not rendered again: its previous text
    // (as long as nobody edited it) is what the build would write.
    let keep = |path: &str, inputs: &str| previous.keep(path, inputs);
    let compiled = compiler::compile_project(&project, &inputs.overrides, out, Some(&keep))?;
    compiled.warn();
    let evolution =
        crate::plan::migrate::with_migrations(&compiled, &previous, args.allow_breaking)?;
    let mut artifacts = evolution.artifacts;
    for artifact in artifacts.iter_mut().filter(|a| a.reused.is_some()) {
        artifact.contents = previous.files[&artifact.path].clone();
    }
    let manifest = Manifest::new(
        &artifacts,
        &compiled.build.tables,
        previous.manifest.as_ref(),
        crate::reuse::input_digest(&inputs)
            .map(|(d, _)| d)
            .as_deref(),
    );
    let plan = plan(&previous, &artifacts, &manifest);
    let edited = &previous.edited;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        PlanFormat::Text => text(&plan, edited, color),
        PlanFormat::Markdown => markdown(&plan, edited),
        PlanFormat::Json => json(&plan, edited),
    };
    print!("{text}");
    // The plan is shown either way; a build that would be refused makes the plan fail too.
    evolution.refused.into_result(plan.has_changes())
}

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

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

const EDITED: &str =
    "was edited by hand since the last build; `bqflat build` keeps it unless run with --force";

fn text(plan: &Plan, edited: &[String], color: bool) -> String {
    let mut out = format!("Plan: {}\n", summary(plan));
    for path in edited {
        let _ = writeln!(out, "{} {path} {EDITED}", paint("warning:", "1;33", color));
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
    }
    for file in plan.files.iter().filter(|f| f.action != Action::Unchanged) {
        out.push('\n');
        out.push_str(&unified_diff(file, color));
    }
    out
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

fn markdown(plan: &Plan, edited: &[String]) -> String {
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
    out.push_str("| table | action | mode | changes |\n|---|---|---|---|\n");
    for t in changed {
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
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            t.table,
            t.action.word(),
            mode_word(t.mode),
            changes.join("<br>")
        );
    }
    for file in plan.files.iter().filter(|f| f.action != Action::Unchanged) {
        let diff = unified_diff(file, false);
        // A fence longer than any backtick run inside keeps the diff intact.
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        let _ = write!(out, "\n<details><summary>{} <code>{}</code></summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n", file.action.word(), file.path);
    }
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn json(plan: &Plan, edited: &[String]) -> String {
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
    });
    let mut text = serde_json::to_string_pretty(&document).expect("the plan serializes");
    text.push('\n');
    text
}
