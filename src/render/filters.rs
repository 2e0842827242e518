//! What a template may print, and how. Every template renders with a formatter that refuses
//! plain text: a string reaches the output only through one of the filters below (or a macro,
//! whose output is already made of filtered parts). A template that prints `{{ t.description }}`
//! fails to render instead of putting a spec's text into SQL as code.
//!
//! | filter | for | guarantees |
//! |---|---|---|
//! | `ident` | identifiers, table paths | backticks when needed; refuses what cannot be one |
//! | `path` | a dotted field path (`geo.country`) | each part through `ident` |
//! | `literal` | values | a GoogleSQL literal (string, number, bool, NULL) |
//! | `comment` | text in a `--`, `#` or `/* */` comment | one line, cannot close the comment |
//! | `json` | config values (YAML, Jinja, JavaScript) | JSON text |
//! | `js_string` | Dataform config strings | a JavaScript string Dataform reads |
//! | `jinja_text` | dbt descriptions | no `{` opens a Jinja tag |
//! | `sql_type` | column types | letters, digits, `_ <>,` and spaces only |
//! | `keyword` | SQL keywords (`DAY`, `DATE`) | upper-case letters and `_` only |
//! | `shell` | a word of a POSIX shell script (`run.sh`) | one single-quoted word |
//! | `md`, `code`, `mermaid` | the data dictionary (`markdown.rs`) | text, a code span, a Mermaid label |

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Output, State};

use super::quote::{ident, string_literal};
use crate::names::is_hidden_or_breaking;
use crate::view::Embed;

/// Registers the filters and the formatter that enforces them.
pub(crate) fn install(env: &mut Environment<'_>) {
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Custom("bqflat".into()));
    env.set_formatter(format_value);
    env.add_filter("ident", ident_filter);
    env.add_filter("path", path_filter);
    env.add_filter("literal", literal_filter);
    env.add_filter("comment", comment_filter);
    env.add_filter("json", json_filter);
    env.add_filter("js_string", js_string_filter);
    env.add_filter("jinja_text", jinja_text_filter);
    env.add_filter("sql_type", sql_type_filter);
    env.add_filter("keyword", keyword_filter);
    env.add_filter("shell", shell_filter);
    env.add_filter("md", super::markdown::md_filter);
    env.add_filter("code", super::markdown::code_filter);
    env.add_filter("mermaid", super::markdown::mermaid_filter);
    env.add_function("require_context_version", require_context_version);
}

/// Filter output and macro output (marked safe) is written as is; numbers, booleans and nothing
/// cannot break out of anything; any other string is an error naming the fix.
fn format_value(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    let printable = value.is_safe()
        || matches!(
            value.kind(),
            ValueKind::Number | ValueKind::Bool | ValueKind::None | ValueKind::Undefined
        );
    if !printable {
        let shown: String = value.to_string().chars().take(40).collect();
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "{{{{ … }}}} prints {shown:?} without a filter; pass it through `ident`, `literal`, \
                 `comment`, `json`, `js_string`, `jinja_text`, `path`, `sql_type`, `keyword`, \
                 `shell`, `md`, `code` or `mermaid` \
                 (a `{{% if %}}` block for fixed text)"
            ),
        ));
    }
    if value.is_undefined() {
        return Ok(());
    }
    let written = if value.is_safe() {
        out.write_str(value.as_str().unwrap_or_default())
    } else {
        std::fmt::Write::write_fmt(out, format_args!("{value}"))
    };
    written.map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write the output"))
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

pub(super) fn text<'v>(value: &'v Value, filter: &str) -> Result<&'v str, Error> {
    value
        .as_str()
        .ok_or_else(|| invalid(format!("{filter} expects a string, got {}", value.kind())))
}

fn ident_filter(value: &Value) -> Result<Value, Error> {
    ident(text(value, "ident")?)
        .map(Value::from_safe_string)
        .map_err(invalid)
}

fn path_filter(value: &Value) -> Result<Value, Error> {
    let parts: Result<Vec<String>, String> = text(value, "path")?.split('.').map(ident).collect();
    parts
        .map(|p| Value::from_safe_string(p.join(".")))
        .map_err(invalid)
}

/// One word of a POSIX shell script: single-quoted, so nothing in it is expanded; a `'` inside
/// closes the quote, is escaped, and reopens it.
fn shell_filter(value: &Value) -> Result<Value, Error> {
    let raw = text(value, "shell")?;
    if raw.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{raw:?} has a control character; a shell word cannot"
        )));
    }
    Ok(Value::from_safe_string(format!(
        "'{}'",
        raw.replace('\'', r"'\''")
    )))
}

/// Which other tool reads the file as a template of its own: `embed` in the context names it.
fn embed(state: &State) -> Option<Embed> {
    match state.lookup("embed")?.as_str()? {
        "dbt" => Some(Embed::Dbt),
        "dataform" => Some(Embed::Dataform),
        _ => None,
    }
}

/// In dbt models and Dataform files the SQL is itself a template (Jinja, JavaScript): a literal
/// there spells `{`, `}`, `$` and `` ` `` as hex escapes, so no user text can open a tag or an
/// interpolation.
fn literal_filter(state: &State, value: &Value) -> Result<Value, Error> {
    let literal = match value.kind() {
        ValueKind::String => {
            let literal = string_literal(value.as_str().unwrap_or_default());
            if embed(state).is_none() {
                literal
            } else {
                escape_template_chars(&literal)
            }
        }
        ValueKind::Number => value.to_string(),
        ValueKind::Bool => if value.is_true() { "TRUE" } else { "FALSE" }.to_string(),
        ValueKind::None => "NULL".to_string(),
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "literal of an undefined value",
            ))
        }
        kind => {
            return Err(invalid(format!(
                "literal expects a string, number or bool, got {kind}"
            )))
        }
    };
    Ok(Value::from_safe_string(literal))
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

/// Text for a comment: one line whatever it holds (line breaks and invisible characters spelled
/// `<U+000A>`), never `*/`, and in dbt and Dataform files nothing their own template syntax reads.
pub(crate) fn comment_text(text: &str, embed_in: Option<Embed>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = '\0';
    for c in text.chars() {
        let spelled = is_hidden_or_breaking(c)
            || match embed_in {
                Some(Embed::Dataform) => matches!(c, '$' | '`' | '\\' | '{' | '}'),
                _ => false,
            };
        if spelled {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else if c == '/' && previous == '*' {
            out.push_str(" /");
        } else if c == '{' && embed_in == Some(Embed::Dbt) {
            out.push_str("{{ '{' }}");
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

fn comment_filter(state: &State, value: &Value) -> Result<Value, Error> {
    let raw = match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        ValueKind::Number | ValueKind::Bool => value.to_string(),
        kind => return Err(invalid(format!("comment expects text, got {kind}"))),
    };
    Ok(Value::from_safe_string(comment_text(&raw, embed(state))))
}

/// JSON text of a value: a valid literal in Jinja (dbt), JavaScript (Dataform) and YAML.
fn json_filter(value: &Value) -> Result<Value, Error> {
    serde_json::to_string(value)
        .map(Value::from_safe_string)
        .map_err(|e| invalid(e.to_string()))
}

/// A JavaScript string for a Dataform `.sqlx` config: Dataform's reader accepts only `\\` and
/// `\"` as escapes in a quoted string, so other control characters are joined in with
/// `String.fromCharCode`.
fn js_string_filter(value: &Value) -> Result<Value, Error> {
    js_string(value).map(Value::from_safe_string)
}

fn js_string(value: &Value) -> Result<String, Error> {
    if value.kind() == ValueKind::Seq {
        let parts: Result<Vec<String>, Error> = value.try_iter()?.map(|v| js_string(&v)).collect();
        return Ok(format!("[{}]", parts?.join(", ")));
    }
    let text = value.as_str().ok_or_else(|| {
        invalid(format!(
            "js_string expects a string or a list, got {}",
            value.kind()
        ))
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

/// Text dbt renders as Jinja (descriptions in YAML): every `{` is spelled as an expression that
/// prints it, so no user text opens a tag.
fn jinja_text_filter(value: &Value) -> Result<Value, Error> {
    Ok(Value::from_safe_string(
        text(value, "jinja_text")?.replace('{', "{{ '{' }}"),
    ))
}

/// A column type as the model spells it (`STRING`, `ARRAY<STRUCT<item_id STRING, …>>`): made of
/// words, `<>`, commas and spaces, so it cannot end a statement, a line or a literal.
fn sql_type_filter(value: &Value) -> Result<Value, Error> {
    let ty = text(value, "sql_type")?;
    let ok = !ty.is_empty()
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '<' | '>' | ',' | ' '));
    if ok {
        Ok(Value::from_safe_string(ty.to_string()))
    } else {
        Err(invalid(format!("{ty:?} is not a SQL type")))
    }
}

/// One SQL keyword (`DAY`, `DATE`, `TIMESTAMP`).
fn keyword_filter(value: &Value) -> Result<Value, Error> {
    let word = text(value, "keyword")?;
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        Ok(Value::from_safe_string(word.to_string()))
    } else {
        Err(invalid(format!("{word:?} is not a SQL keyword")))
    }
}

/// `{{ require_context_version(1) }}` at the top of a project's template: the build fails with
/// a clear message when bqflat's context is of another version than the template was written for.
fn require_context_version(state: &State, wanted: u32) -> Result<Value, Error> {
    let current = crate::view::CONTEXT_VERSION;
    if wanted == current {
        return Ok(Value::from_safe_string(String::new()));
    }
    let name = state.name();
    Err(invalid(format!(
        "template {name} was written for template context version {wanted}; this bqflat provides \
         version {current}: see docs/template-context.md for what changed"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, ctx: serde_json::Value) -> Result<String, Error> {
        let mut env = Environment::new();
        install(&mut env);
        env.add_template("t.sql", source)?;
        env.get_template("t.sql")?
            .render(minijinja::value::Serde(&ctx))
    }

    #[test]
    fn plain_text_is_refused() {
        let ctx = serde_json::json!({ "x": "a\nDROP TABLE t; --" });
        let err = render("SELECT {{ x }}", ctx.clone()).unwrap_err();
        assert!(err.to_string().contains("without a filter"), "{err}");
        assert_eq!(
            render("SELECT {{ x|literal }}", ctx).unwrap(),
            r"SELECT 'a\nDROP TABLE t; --'"
        );
    }

    #[test]
    fn numbers_macros_and_captures_print() {
        let ctx = serde_json::json!({ "n": 3, "b": true, "name": "user_id" });
        let source = "{% macro col(c) %}{{ c|ident }}{% endmacro %}\
            {% set s %}x{% endset %}{{ n }} {{ b }} {{ col(name) }} {{ s }} {{ nothing }}";
        assert_eq!(render(source, ctx).unwrap(), "3 True user_id x ");
    }

    #[test]
    fn comments_stay_on_one_line_and_open() {
        assert_eq!(
            comment_text("a\nDROP TABLE x; */ y", None),
            "a<U+000A>DROP TABLE x; * / y"
        );
        assert_eq!(
            comment_text("a\u{202e}b\u{200b}", None),
            "a<U+202E>b<U+200B>"
        );
        assert_eq!(comment_text("{x}", Some(Embed::Dbt)), "{{ '{' }}x}");
        assert_eq!(
            comment_text("${x}\\", Some(Embed::Dataform)),
            "<U+0024><U+007B>x<U+007D><U+005C>"
        );
        assert_eq!(
            comment_text("events/purchase.yaml", None),
            "events/purchase.yaml"
        );
    }

    #[test]
    fn typed_words_refuse_anything_else() {
        let ok = serde_json::json!({ "t": "ARRAY<STRUCT<a STRING, b INT64>>", "k": "DAY" });
        assert_eq!(
            render("{{ t|sql_type }} {{ k|keyword }}", ok).unwrap(),
            "ARRAY<STRUCT<a STRING, b INT64>> DAY"
        );
        let bad = serde_json::json!({ "t": "STRING;", "k": "day" });
        assert!(render("{{ t|sql_type }}", bad.clone()).is_err());
        assert!(render("{{ k|keyword }}", bad).is_err());
    }

    #[test]
    fn shell_words_are_single_quoted() {
        let ctx = serde_json::json!({ "p": "a b$(x)'c" });
        assert_eq!(render("{{ p|shell }}", ctx).unwrap(), r"'a b$(x)'\''c'");
        assert!(render("{{ p|shell }}", serde_json::json!({ "p": "a\nb" })).is_err());
    }

    #[test]
    fn paths_quote_each_part() {
        let ctx = serde_json::json!({ "p": "geo.country", "q": "a.order" });
        assert_eq!(
            render("{{ p|path }} {{ q|path }}", ctx).unwrap(),
            "geo.country a.`order`"
        );
    }
}
