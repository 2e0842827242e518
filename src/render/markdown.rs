//! The data dictionary's filters: text in GitHub Markdown, code spans, and Mermaid labels. A
//! spec's description or a param key with `|`, `*`, `<` or a line break must stay text, not
//! become a table cell, emphasis, HTML or a new line.

use minijinja::value::Value;
use minijinja::Error;

use super::filters::text;
use crate::names::is_hidden_or_breaking;

/// An invisible or direction-changing character, spelled out so it cannot hide or reorder text.
fn spelled(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Inline Markdown text: one line, with every character Markdown (and the HTML it allows) reads
/// as syntax escaped.
pub(super) fn md_filter(value: &Value) -> Result<Value, Error> {
    let raw = text(value, "md")?;
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c if is_hidden_or_breaking(c) => out.push_str(&spelled(c)),
            c => out.push(c),
        }
    }
    Ok(Value::from_safe_string(out))
}

/// An inline code span (names, types): fenced with more backticks than any run inside, on one
/// line, and with `|` escaped so it stays in its table cell.
pub(super) fn code_filter(value: &Value) -> Result<Value, Error> {
    let raw: String = text(value, "code")?
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .map(|c| {
            if is_hidden_or_breaking(c) {
                spelled(c)
            } else {
                c.to_string()
            }
        })
        .collect();
    let longest = raw.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if raw.starts_with('`') || raw.ends_with('`') {
        " "
    } else {
        ""
    };
    Ok(Value::from_safe_string(format!(
        "{fence}{pad}{}{pad}{fence}",
        raw.replace('|', "\\|")
    )))
}

/// Text inside a quoted Mermaid label (`["…"]`): quotes and angle brackets as Mermaid's entity
/// codes, one line.
pub(super) fn mermaid_filter(value: &Value) -> Result<Value, Error> {
    let raw = text(value, "mermaid")?;
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c if is_hidden_or_breaking(c) => out.push_str(&spelled(c)),
            c => out.push(c),
        }
    }
    Ok(Value::from_safe_string(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&Value) -> Result<Value, Error>, s: &str) -> String {
        f(&Value::from(s)).unwrap().to_string()
    }

    #[test]
    fn text_stays_text_in_a_table_cell() {
        assert_eq!(
            run(md_filter, "a|b *c* <script>\nd"),
            "a\\|b \\*c\\* &lt;script&gt; d"
        );
        assert_eq!(run(code_filter, "x`y|z"), "``x`y\\|z``");
        assert_eq!(run(code_filter, "`a"), "`` `a ``");
        assert_eq!(
            run(mermaid_filter, "say \"hi\" <b>#1"),
            "say #quot;hi#quot; #lt;b#gt;#35;1"
        );
        assert_eq!(run(md_filter, "paid \u{202e}yrev"), "paid U+202Eyrev");
        assert_eq!(run(code_filter, "va\u{2066}lue"), "`vaU+2066lue`");
    }
}
