//! The naming rules of GA4 and BigQuery, and the small value formats specs use (dates, durations).
//! Each check returns what is wrong, in words a user can act on.

use std::str::FromStr;

use crate::model::IntervalUnit;

pub(crate) fn check_event(name: &str) -> Result<(), String> {
    let ok = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid event name {name:?}: GA4 event names use letters, digits and underscores, start with a letter and have at most 40 characters"
        ))
    }
}

/// GCP project ids: 6–30 lowercase letters, digits and hyphens, starting with a letter; older
/// domain-scoped ids (`example.com:project`) too.
pub(crate) fn check_project(id: &str) -> Result<(), String> {
    let (domain, id_part) = match id.rsplit_once(':') {
        Some((domain, rest)) => (Some(domain), rest),
        None => (None, id),
    };
    let domain_ok = domain.is_none_or(|d| {
        !d.is_empty()
            && d.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    });
    let ok = domain_ok
        && (6..=30).contains(&id_part.len())
        && id_part.starts_with(|c: char| c.is_ascii_lowercase())
        && !id_part.ends_with('-')
        && id_part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid GCP project id {id:?}: 6 to 30 lowercase letters, digits and hyphens, starting with a letter"
        ))
    }
}

/// BigQuery locations: `US`, `EU`, or a region such as `europe-west3`.
pub(crate) fn check_location(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid BigQuery location {name:?}: `US`, `EU` or a region such as `europe-west3`"
        ))
    }
}

pub(crate) fn check_dataset(name: &str) -> Result<(), String> {
    plain_name("dataset", name)
}

pub(crate) fn check_table(name: &str) -> Result<(), String> {
    plain_name("table", name)
}

/// Dataset and table names: letters, digits and underscores, at most 1024 bytes (BigQuery's
/// limit for both). BigQuery allows more characters in table names; keeping to these makes them
/// safe as file names too.
fn plain_name(kind: &str, name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "invalid {kind} name `{}` ({} bytes): BigQuery allows at most {MAX_NAME_BYTES}",
            prefix(name, 40),
            name.len()
        ));
    }
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {kind} name {name:?}: use letters, digits and underscores"
        ))
    }
}

/// The first `chars` characters of `text`, and `…` when some were cut: enough to recognise a
/// name too long to print.
pub(crate) fn prefix(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// BigQuery's documented limits (cloud.google.com/bigquery/quotas, /docs/tables, /docs/schemas,
/// /docs/labels): what BigQuery would refuse when the script runs is refused at compile time.
pub(crate) const MAX_NAME_BYTES: usize = 1024;
pub(crate) const MAX_COLUMN_CHARS: usize = 300;
pub(crate) const MAX_COLUMNS: usize = 10_000;
pub(crate) const MAX_LABELS: usize = 64;
pub(crate) const MAX_LABEL_CHARS: usize = 63;
pub(crate) const MAX_TABLE_DESCRIPTION_CHARS: usize = 16_384;

/// A source table: a name, or a wildcard prefix ending in `*` (`events_*`).
pub(crate) fn check_source_table(name: &str) -> Result<(), String> {
    check_table(name.strip_suffix('*').unwrap_or(name))
        .map_err(|_| format!("invalid source table {name:?}: a table name, or a prefix ending in `*` such as `events_*`"))
}

/// The column dbt and Dataform tables merge on when the dedupe key may be NULL: their merges
/// compare keys with `=`, which never matches NULL.
pub(crate) const ROW_KEY: &str = "bqflat_row_key";

/// BigQuery column names: letters, digits, underscores, not starting with a digit, at most 300
/// characters, and none of the prefixes BigQuery reserves.
pub(crate) fn check_column(name: &str) -> Result<(), String> {
    const RESERVED_PREFIXES: &[&str] = &[
        "_table_",
        "_file_",
        "_partition",
        "_row_timestamp",
        "__root__",
        "_colidentifier",
    ];
    let lower = name.to_ascii_lowercase();
    let length = name.chars().count();
    if length > MAX_COLUMN_CHARS {
        return Err(format!(
            "invalid column name `{}` ({length} characters): BigQuery allows at most {MAX_COLUMN_CHARS}",
            prefix(name, 40)
        ));
    }
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "invalid column name {name:?}: use letters, digits and underscores, not starting with a digit"
        ));
    }
    if lower == ROW_KEY {
        return Err(format!(
            "invalid column name {name:?}: bqflat names the merge key of dbt and Dataform tables so"
        ));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| lower.starts_with(**p)) {
        return Err(format!(
            "invalid column name {name:?}: BigQuery reserves the prefix `{prefix}`"
        ));
    }
    Ok(())
}

/// The column name derived from a param key: every character that is not an ASCII letter, digit
/// or `_` becomes `_`; a leading digit gets a `_` in front.
pub(crate) fn column_from_key(key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub(crate) fn check_date(text: &str) -> Result<(), String> {
    let bad = || Err(format!("invalid date {text:?}: expected YYYY-MM-DD"));
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return bad();
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return bad();
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return bad();
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("invalid date {text:?}: month {m} does not exist")),
    };
    if (1..=days).contains(&d) && y >= 1 {
        Ok(())
    } else {
        Err(format!(
            "invalid date {text:?}: day {d} does not exist in that month"
        ))
    }
}

/// `90m`, `6h`, `3d` → (amount, GoogleSQL interval unit).
pub(crate) fn parse_lookback(text: &str) -> Result<(u32, IntervalUnit), String> {
    let bad = || format!("invalid lookback {text:?}: expected a number and a unit (m, h or d)");
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let amount: u32 = number.parse().map_err(|_| bad())?;
    let unit = match unit.trim() {
        "m" | "min" | "minute" | "minutes" => IntervalUnit::Minute,
        "h" | "hour" | "hours" => IntervalUnit::Hour,
        "d" | "day" | "days" => IntervalUnit::Day,
        _ => return Err(bad()),
    };
    let days = amount / (24 * 60 / unit.minutes());
    if days > 366 {
        return Err(format!(
            "lookback {text:?} is over a year; an incremental run would reread most of the table"
        ));
    }
    Ok((amount, unit))
}

/// An IANA time zone name, `UTC`, or a fixed offset (`+05:30`).
pub(crate) fn check_timezone(tz: &str) -> Result<(), String> {
    let offset = tz.strip_prefix(['+', '-']).is_some_and(|rest| {
        let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
        h.len() == 2
            && m.len() == 2
            && h.parse::<u32>().is_ok_and(|h| h <= 14)
            && m.parse::<u32>().is_ok_and(|m| m < 60)
    });
    if offset || chrono_tz::Tz::from_str(tz).is_ok() {
        Ok(())
    } else {
        Err(format!("unknown time zone {tz:?}"))
    }
}

pub(crate) fn check_label(key: &str, value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    let key_problem = if key.is_empty() {
        Some("a key cannot be empty".to_string())
    } else if key.chars().count() > MAX_LABEL_CHARS {
        Some(format!(
            "{} characters, BigQuery allows at most {MAX_LABEL_CHARS}",
            key.chars().count()
        ))
    } else if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("a key starts with a lowercase letter".to_string())
    } else if !key.chars().all(allowed) {
        Some("use lowercase letters, digits, `_` and `-`".to_string())
    } else {
        None
    };
    if let Some(problem) = key_problem {
        return Err(format!("invalid label key {key:?}: {problem}"));
    }
    if value.chars().count() > MAX_LABEL_CHARS {
        return Err(format!(
            "invalid label value for `{key}` ({} characters): BigQuery allows at most {MAX_LABEL_CHARS}",
            value.chars().count()
        ));
    }
    if !value.chars().all(allowed) {
        return Err(format!(
            "invalid label value {value:?} for `{key}`: use lowercase letters, digits, `_` and `-`"
        ));
    }
    Ok(())
}

/// A template file name: a relative path inside the templates folder.
pub(crate) fn check_template_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != ".." && part != ".");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid template name {name:?}: a file name inside the templates folder"
        ))
    }
}

/// Expands `{event}`, `{dataset}` and `{version}` in a table template.
pub(crate) fn expand_table_template(
    template: &str,
    event: &str,
    dataset: &str,
    version: u32,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in table template {template:?}"))?
            + open;
        match &rest[open + 1..close] {
            "event" => out.push_str(event),
            "dataset" => out.push_str(dataset),
            "version" => out.push_str(&version.to_string()),
            other => {
                return Err(format!(
                    "unknown placeholder `{{{other}}}` in table template {template:?}"
                ))
            }
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Characters that end a line in some reader of the file, or that make text read differently
/// from how it is stored (bidirectional overrides, zero-width marks): never written raw where
/// they could hide code from a reviewer.
pub(crate) fn is_hidden_or_breaking(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_follow_ga4() {
        assert!(check_event("level_up").is_ok());
        assert!(check_event("a".repeat(40).as_str()).is_ok());
        for bad in ["", "1st", "_x", "a-b", "a b", "../x", &"a".repeat(41), "é"] {
            assert!(check_event(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_become_safe_columns() {
        assert_eq!(column_from_key("page-title"), "page_title");
        assert_eq!(column_from_key("it's \"x\"\n"), "it_s__x__");
        assert_eq!(column_from_key("1st_visit"), "_1st_visit");
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(check_date("2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2025-13-01",
            "2025-7-1",
            "20250701",
            "2025-04-31",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lookbacks() {
        assert_eq!(parse_lookback("6h"), Ok((6, IntervalUnit::Hour)));
        assert_eq!(parse_lookback("3d"), Ok((3, IntervalUnit::Day)));
        assert_eq!(parse_lookback("90m"), Ok((90, IntervalUnit::Minute)));
        for bad in ["", "h", "6", "6w", "-1d", "1.5h", "400d"] {
            assert!(parse_lookback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Los_Angeles",
            "+05:30",
            "-08:00",
        ] {
            assert!(check_timezone(ok).is_ok(), "{ok}");
        }
        for bad in ["Mars/Olympus", "+25:00", "Europe/berlin x", ""] {
            assert!(check_timezone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn table_templates() {
        assert_eq!(
            expand_table_template("event_{event}_flat", "purchase", "d", 1).unwrap(),
            "event_purchase_flat"
        );
        assert_eq!(
            expand_table_template("{dataset}.{event}_flat_v{version}", "a", "ds", 2).unwrap(),
            "ds.a_flat_v2"
        );
        assert!(expand_table_template("{evnt}", "a", "d", 1).is_err());
        assert!(expand_table_template("x_{event", "a", "d", 1).is_err());
    }

    #[test]
    fn project_ids() {
        assert!(check_project("my-gcp-project").is_ok());
        assert!(check_project("example.com:my-project").is_ok());
        for bad in ["My-Project", "short", "ends-", "a`b-project", "p.d-project"] {
            assert!(check_project(bad).is_err(), "{bad}");
        }
    }
}
