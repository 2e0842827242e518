//! GoogleSQL quoting. Identifiers go in backticks, string literals in single quotes with backslash
//! escapes (GoogleSQL has no `''` doubling). Templates reach these through the `ident` and
//! `literal` filters, so no user text reaches the SQL unquoted.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

/// Words that cannot be used as bare identifiers in GoogleSQL.
const RESERVED: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "assert_rows_modified",
    "at",
    "between",
    "by",
    "case",
    "cast",
    "collate",
    "contains",
    "create",
    "cross",
    "cube",
    "current",
    "default",
    "define",
    "desc",
    "distinct",
    "else",
    "end",
    "enum",
    "escape",
    "except",
    "exclude",
    "exists",
    "extract",
    "false",
    "fetch",
    "following",
    "for",
    "from",
    "full",
    "group",
    "grouping",
    "groups",
    "hash",
    "having",
    "if",
    "ignore",
    "in",
    "inner",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "lateral",
    "left",
    "like",
    "limit",
    "lookup",
    "merge",
    "natural",
    "new",
    "no",
    "not",
    "null",
    "nulls",
    "of",
    "on",
    "or",
    "order",
    "outer",
    "over",
    "partition",
    "preceding",
    "proto",
    "qualify",
    "range",
    "recursive",
    "respect",
    "right",
    "rollup",
    "rows",
    "select",
    "set",
    "some",
    "struct",
    "tablesample",
    "then",
    "to",
    "treat",
    "true",
    "unbounded",
    "union",
    "unnest",
    "using",
    "when",
    "where",
    "window",
    "with",
    "within",
];

/// `` `a.b.c` `` for a dotted table path; a column name bare when that is unambiguous, else in
/// backticks. Text that cannot be an identifier at all is refused.
pub fn ident(name: &str) -> Result<String, String> {
    if name.is_empty() || name.contains(['`', '\\', '\n', '\r', '\0']) {
        return Err(format!("{name:?} cannot be a BigQuery identifier"));
    }
    let simple = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if simple && !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        Ok(name.to_string())
    } else {
        Ok(format!("`{name}`"))
    }
}

/// A GoogleSQL string literal holding exactly `text`.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `{`, `}`, `$` and `` ` `` inside a GoogleSQL string literal, as hex escapes.
fn escape_template_chars(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        match c {
            '{' | '}' | '$' | '`' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// JSON text of a value: a valid literal in Jinja (dbt), JavaScript (Dataform) and YAML.
pub fn json_filter(value: &Value) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// A JavaScript string for a Dataform `.sqlx` config: Dataform's reader accepts only `\\` and
/// `\"` as escapes in a quoted string, so other control characters are joined in with
/// `String.fromCharCode`.
pub fn js_string_filter(value: &Value) -> Result<String, Error> {
    if value.kind() == ValueKind::Seq {
        let parts: Result<Vec<String>, Error> =
            value.try_iter()?.map(|v| js_string_filter(&v)).collect();
        return Ok(format!("[{}]", parts?.join(", ")));
    }
    let text = value.as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("js_string expects a string or a list, got {}", value.kind()),
        )
    })?;
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\" + String.fromCharCode({}) + \"", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// Text dbt renders as Jinja (descriptions, comments): every `{` is spelled as an expression
/// that prints it, so no user text opens a tag.
pub fn jinja_text_filter(value: &str) -> String {
    value.replace('{', "{{ '{' }}")
}

pub fn ident_filter(value: &Value) -> Result<String, Error> {
    let name = value.as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("ident expects a string, got {}", value.kind()),
        )
    })?;
    ident(name).map_err(|msg| Error::new(ErrorKind::InvalidOperation, msg))
}

/// In dbt models and Dataform files the SQL is itself a template (Jinja, JavaScript): a literal
/// there spells `{`, `}`, `$` and `` ` `` as hex escapes, so no user text can open a tag or an
/// interpolation. `embed` in the template context says the SQL is embedded.
pub fn literal_filter(state: &State, value: &Value) -> Result<String, Error> {
    let embedded = state.lookup("embed").is_some_and(|v| v.is_true());
    match value.kind() {
        ValueKind::String => {
            let literal = string_literal(value.as_str().unwrap_or_default());
            Ok(if embedded {
                escape_template_chars(&literal)
            } else {
                literal
            })
        }
        ValueKind::Number => Ok(value.to_string()),
        ValueKind::Bool => Ok(if value.is_true() { "TRUE" } else { "FALSE" }.to_string()),
        ValueKind::None => Ok("NULL".to_string()),
        ValueKind::Undefined => Err(Error::new(
            ErrorKind::UndefinedError,
            "literal of an undefined value",
        )),
        kind => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("literal expects a string, number or bool, got {kind}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_with_backslashes() {
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal(r"a\b"), r"'a\\b'");
        assert_eq!(string_literal("a\nb\r\t"), r"'a\nb\r\t'");
        assert_eq!(string_literal("x\u{0}y"), r"'x\u0000y'");
        assert_eq!(string_literal("`--/*;"), "'`--/*;'");
    }

    #[test]
    fn identifiers() {
        assert_eq!(ident("user_id").unwrap(), "user_id");
        assert_eq!(ident("my-project.ds.t").unwrap(), "`my-project.ds.t`");
        assert_eq!(ident("order").unwrap(), "`order`");
        assert_eq!(ident("_1st").unwrap(), "_1st");
        assert!(ident("a`b").is_err());
        assert!(ident("a\nb").is_err());
        assert!(ident("").is_err());
    }
}
