//! `check`'s findings for machines: GitHub Actions workflow commands, which GitHub shows as
//! annotations at the file and line of a pull request, and a JSON document for other tools.

use serde::Serialize;

use crate::diagnostics::Diagnostic;

/// One `::error …::` or `::warning …::` line per finding.
pub(crate) fn github(errors: &[Diagnostic], warnings: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (kind, list) in [("error", errors), ("warning", warnings)] {
        for d in list {
            let mut properties = Vec::new();
            if let Some(loc) = &d.location {
                properties.push(format!("file={}", property(loc.file.as_str())));
                if loc.line > 0 {
                    properties.push(format!("line={},col={}", loc.line, loc.col.max(1)));
                }
            }
            properties.push("title=bqflat".to_string());
            out.push_str(&format!("::{kind} {}::", properties.join(",")));
            out.push_str(&data(&message(d)));
            out.push('\n');
        }
    }
    out
}

#[derive(Serialize)]
struct Document<'a> {
    ok: bool,
    errors: Vec<Finding<'a>>,
    warnings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct Finding<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    col: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
}

/// `{ok, errors, warnings}`, each finding with its file, line, column (null when the finding is
/// about no place in a file), message and hint.
pub(crate) fn json(errors: &[Diagnostic], warnings: &[Diagnostic]) -> String {
    let doc = Document {
        ok: errors.is_empty(),
        errors: findings(errors),
        warnings: findings(warnings),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("findings serialize");
    text.push('\n');
    text
}

fn findings(list: &[Diagnostic]) -> Vec<Finding<'_>> {
    list.iter()
        .map(|d| {
            let at = d.location.as_ref();
            let placed = at.filter(|l| l.line > 0);
            Finding {
                file: at.map(|l| l.file.as_str()),
                line: placed.map(|l| l.line),
                col: placed.map(|l| l.col.max(1)),
                message: &d.message,
                hint: d.hint.as_deref(),
            }
        })
        .collect()
}

fn message(d: &Diagnostic) -> String {
    match &d.hint {
        Some(hint) => format!("{}\nhelp: {hint}", d.message),
        None => d.message.clone(),
    }
}

/// A workflow command's message: `%`, CR and LF escaped.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
