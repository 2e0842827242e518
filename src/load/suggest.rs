//! Fixes for the serde messages that name a value bqflat does not take: an enum value with a
//! typo or another tool's spelling (`ful`, `INT64`, `integer`, `double`), a param written as a
//! bare name.

use crate::diagnostics::did_you_mean;

/// What other SQL dialects and tools call bqflat's param types.
const SYNONYMS: &[(&str, &str)] = &[
    ("integer", "int64"),
    ("int", "int64"),
    ("bigint", "int64"),
    ("long", "int64"),
    ("double", "float64"),
    ("float", "float64"),
    ("numeric", "number"),
    ("decimal", "number"),
    ("boolean", "bool"),
    ("str", "string"),
    ("text", "string"),
    ("varchar", "string"),
];

/// The value to write for `unknown variant `X`, expected …`, when one is close.
pub(super) fn variant(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let lower = unknown.to_ascii_lowercase();
    let synonym = SYNONYMS
        .iter()
        .find(|(other, _)| *other == lower)
        .map(|(_, ours)| *ours)
        .filter(|ours| known.contains(ours));
    let close = synonym.or_else(|| did_you_mean(&lower, known.iter().copied()))?;
    Some(format!("did you mean `{close}`?"))
}

/// The message and hint for a param written as a bare key (`- percent_scrolled`).
pub(super) fn bare_param(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("invalid type: string \"")?;
    let key = rest.strip_suffix("\", expected struct Param")?;
    Some((
        format!("param `{key}` is a bare name; a param is a mapping with a `key`"),
        format!("write `- key: {key}` (and `type:` when it is not a string)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_get_the_value_meant() {
        let types = "expected one of `string`, `int64`, `float64`, `bool`, `number`, `any`";
        for (written, meant) in [
            ("integer", "int64"),
            ("INT64", "int64"),
            ("double", "float64"),
            ("Float64", "float64"),
            ("boolean", "bool"),
        ] {
            let message = format!("unknown variant `{written}`, {types}");
            assert_eq!(
                variant(&message),
                Some(format!("did you mean `{meant}`?")),
                "{written}"
            );
        }
        let mode = "unknown variant `ful`, expected `full` or `incremental`";
        assert_eq!(variant(mode).as_deref(), Some("did you mean `full`?"));
        assert_eq!(
            variant("unknown variant `zzz`, expected `full` or `incremental`"),
            None
        );
    }

    #[test]
    fn a_bare_param_says_how_to_write_it() {
        let (message, hint) =
            bare_param("invalid type: string \"percent_scrolled\", expected struct Param").unwrap();
        assert!(message.contains("`percent_scrolled`"));
        assert_eq!(
            hint,
            "write `- key: percent_scrolled` (and `type:` when it is not a string)"
        );
    }
}
