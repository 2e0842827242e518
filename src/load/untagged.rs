//! serde reports a value that fits no variant of an untagged enum at the start of the mapping
//! that holds it (often the file's first key), without the key's name: this finds the key.

use serde_yaml::Value;

/// The settings that take a column name or a list of names ([`crate::spec::Names`]).
const NAMES: &[&str] = &["cluster_by", "dedupe.key"];

/// The first of [`NAMES`] set in `text` to something that is neither a string nor a list of
/// strings.
pub(super) fn misfit_names(text: &str) -> Option<&'static str> {
    let document: Value = serde_yaml::from_str(text).ok()?;
    NAMES.iter().copied().find(|path| {
        let value = path
            .split('.')
            .try_fold(&document, |value, key| value.get(key));
        match value {
            None | Some(Value::String(_)) => false,
            Some(Value::Sequence(items)) => !items.iter().all(Value::is_string),
            Some(_) => true,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::misfit_names;

    #[test]
    fn finds_the_key_whose_value_is_not_names() {
        assert_eq!(
            misfit_names("event: a\ncluster_by: 5\n"),
            Some("cluster_by")
        );
        assert_eq!(
            misfit_names("event: a\ncluster_by: [a]\ndedupe: {key: [1]}\n"),
            Some("dedupe.key")
        );
        assert_eq!(misfit_names("cluster_by: a, b\n"), None);
    }
}
