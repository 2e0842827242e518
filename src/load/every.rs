//! Every error of a YAML file at once. serde stops at the first value it cannot read; the value is
//! commented out (lines keep their numbers, so later positions stay true) and the file read again,
//! as long as each new error is one a user would see on its own, further down the file.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde::de::DeserializeOwned;

use super::yaml::{parse_yaml, Loaded};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// More than any file has mistakes worth listing; each retry parses the file again.
const MAX_ERRORS: usize = 50;

/// [`parse_yaml`], reporting every independent error of the file instead of the first.
pub(super) fn parse_all<T: DeserializeOwned>(
    path: &Utf8Path,
    text: String,
    empty: Option<T>,
    empty_hint: &str,
) -> Result<Loaded<T>, Diagnostics> {
    let first = match parse_yaml(path, text.clone(), empty, empty_hint) {
        Ok(loaded) => return Ok(loaded),
        Err(d) => d,
    };
    let mut found = vec![first];
    let mut current = text.clone();
    // List items taken out so far, by list path: later errors name items as the user counts them.
    let mut removed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    while found.len() < MAX_ERRORS {
        let last = found.last().expect("one error at least");
        let Some(line) = last
            .location
            .as_ref()
            .map(|l| l.line)
            .filter(|_| stands_alone(last))
        else {
            break;
        };
        let (blanked, end) = blank(&current, line);
        let item = current
            .split('\n')
            .nth(line - 1)
            .is_some_and(|l| l.trim_start().starts_with('-'));
        if let Some((list, index)) = last_item(&last.message).filter(|_| item) {
            let list = removed.entry(list).or_default();
            list.push(index);
            list.sort_unstable();
        }
        current = blanked;
        match parse_yaml::<T>(path, current.clone(), None, empty_hint) {
            // A later error that arises from the blanking (a key now missing, a syntax error) is
            // not the user's: only ones further down are kept.
            Err(mut next)
                if stands_alone(&next) && next.location.as_ref().is_some_and(|l| l.line > end) =>
            {
                next.message = renumber(&next.message, &removed);
                found.push(next.with_source(&text));
            }
            _ => break,
        }
    }
    Err(Diagnostics(found))
}

/// The list and the item's index (as the user counts) of a message about a whole list item
/// (`params[1]: …`).
fn last_item(message: &str) -> Option<(String, usize)> {
    let (path, _) = message.split_once(": ")?;
    let (list, index) = path.strip_suffix(']')?.rsplit_once('[')?;
    Some((list.to_string(), index.parse().ok()?))
}

/// `message` with the list indices of its path (`params[1].type: …`) counted as in the user's
/// file, before the items in `removed` were taken out.
fn renumber(message: &str, removed: &BTreeMap<String, Vec<usize>>) -> String {
    let Some((path, rest)) = message.split_once(": ").filter(|(p, _)| !p.contains(' ')) else {
        return message.to_string();
    };
    let mut out = String::new();
    let mut parts = path.split('[');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let Some((index, tail)) = part.split_once(']') else {
            return message.to_string();
        };
        let Ok(mut index) = index.parse::<usize>() else {
            return message.to_string();
        };
        for gone in removed.get(&out).into_iter().flatten() {
            if *gone <= index {
                index += 1;
            }
        }
        out.push_str(&format!("[{index}]{tail}"));
    }
    format!("{out}: {rest}")
}

/// Whether the error is about one value, so the rest of the file can be read without it.
fn stands_alone(d: &Diagnostic) -> bool {
    const KINDS: &[&str] = &[
        "unknown key",
        "unknown variant",
        "invalid type",
        "invalid value",
        "is a bare name",
        "expected a column",
        "expected a mapping",
    ];
    KINDS.iter().any(|kind| d.message.contains(kind))
}

/// `text` with the node starting at `line` (1-based) commented out: that line and the more
/// indented lines under it. Also returns the last line blanked.
fn blank(text: &str, line: usize) -> (String, usize) {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let lines: Vec<&str> = text.split('\n').collect();
    let start = line.saturating_sub(1).min(lines.len().saturating_sub(1));
    let base = indent(lines[start]);
    let mut end = start;
    while end + 1 < lines.len() {
        let next = lines[end + 1];
        let trimmed = next.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && indent(next) <= base {
            break;
        }
        end += 1;
    }
    let out: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if (start..=end).contains(&i) && !l.trim().is_empty() {
                "#"
            } else {
                l
            }
        })
        .collect();
    (out.join("\n"), end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_blanked_with_what_is_under_it() {
        let text = "a: 1\nb:\n  - x\n\n  - y\nc: 2\n";
        assert_eq!(blank(text, 2), ("a: 1\n#\n#\n\n#\nc: 2\n".to_string(), 5));
        assert_eq!(blank(text, 1).1, 1);
    }

    #[test]
    fn items_after_a_removed_one_keep_their_numbers() {
        let removed: BTreeMap<String, Vec<usize>> = [("params".to_string(), vec![1, 2])].into();
        assert_eq!(renumber("params[0].type: x", &removed), "params[0].type: x");
        assert_eq!(renumber("params[1].type: x", &removed), "params[3].type: x");
        assert_eq!(renumber("mode: x y", &removed), "mode: x y");
        assert_eq!(last_item("params[2]: bare"), Some(("params".into(), 2)));
    }
}
