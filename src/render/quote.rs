//! GoogleSQL quoting. Identifiers go in backticks, string literals in single quotes with backslash
//! escapes (GoogleSQL has no `''` doubling). Templates reach these through the `ident` and
//! `literal` filters, so no user text reaches the SQL unquoted.

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
            // Nothing invisible inside a literal: controls, line separators, bidi and
            // zero-width characters are written as escapes a reviewer can see.
            c if crate::names::is_hidden_or_breaking(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
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
        assert_eq!(
            string_literal("a\u{202e}b\u{200b}c\u{2066}d\u{feff}e\u{2028}"),
            r"'a\u202eb\u200bc\u2066d\ufeffe\u2028'"
        );
        assert_eq!(string_literal("é日本"), "'é日本'");
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
