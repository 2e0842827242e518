//! `bqflat cost`'s two renderings of an estimate: a table for people, a document for tools.

use std::fmt::Write as _;

use crate::cost::estimate::{price, ScenarioEstimate, Way};
use crate::cost::model::Scenario;
use crate::cost::Profile;
use crate::BQFLAT_VERSION;

/// Bytes in binary units, as BigQuery's console shows them (`1.23 GiB`).
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// A signed change in bytes (`+1.20 MiB`, `-3 B`).
pub(crate) fn change(before: u64, after: u64) -> String {
    if after >= before {
        format!("+{}", bytes(after - before))
    } else {
        format!("-{}", bytes(before - after))
    }
}

fn dollars(bytes: u64, per_tib: f64) -> String {
    format!("${:.2}", price(bytes, per_tib))
}

/// The line that says which profile the figures are for.
pub(crate) fn profile_line(profile: &Profile) -> String {
    if profile.generic {
        format!(
            "profile: {} — the figures are generic; measure your export with `bqflat cost --profile-queries`",
            profile.description
        )
    } else {
        format!("profile: {}", profile.description)
    }
}

pub(crate) fn text(estimates: &[ScenarioEstimate], profile: &Profile, per_tib: f64) -> String {
    let mut out = format!(
        "Estimated bytes billed per run (on-demand, {} per TiB)\n{}\n",
        dollars(1 << 40, per_tib),
        profile_line(profile)
    );
    let typical = &estimates[0];
    let first = &estimates[1];
    let names: Vec<&String> = typical.table_scripts.tables.keys().collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .chain([34])
        .max()
        .unwrap_or(34)
        + 2;
    let row = |out: &mut String, label: &str, a: u64, b: u64| {
        let _ = writeln!(out, "  {label:<width$} {:>12}  {:>12}", bytes(a), bytes(b));
    };
    let _ = writeln!(
        out,
        "\n{:<w$} {:>12}  {:>12}",
        "",
        "typical run",
        "first run",
        w = width + 2
    );
    let _ = writeln!(out, "each table's own script (bigquery/<table>.sql):");
    for name in &names {
        row(
            &mut out,
            name,
            typical.table_scripts.tables[*name],
            first.table_scripts.tables[*name],
        );
    }
    total(
        &mut out,
        width,
        typical.table_scripts.bytes,
        first.table_scripts.bytes,
        per_tib,
    );
    let way_section =
        |out: &mut String, title: &str, shared: &str, way: fn(&ScenarioEstimate) -> &Way| {
            let _ = writeln!(out, "\n{title}:");
            row(out, shared, way(typical).shared, way(first).shared);
            for name in &names {
                let get = |e: &ScenarioEstimate| way(e).tables.get(*name).copied().unwrap_or(0);
                row(out, name, get(typical), get(first));
            }
            total(out, width, way(typical).bytes, way(first).bytes, per_tib);
        };
    way_section(
        &mut out,
        "the shared run (bigquery/_run.sql)",
        "scans and the run's log",
        |e| &e.run,
    );
    if !typical.checks.statements.is_empty() {
        way_section(
            &mut out,
            "the data checks after either (bigquery/_checks.sql)",
            "listing and counting the export",
            |e| &e.checks,
        );
    }
    let _ = writeln!(
        out,
        "\none pass over the columns the tables read, over the days a run reads: {} (typical), {} (first run)",
        bytes(typical.one_pass),
        bytes(first.one_pass)
    );
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let _ = writeln!(
        out,
        "typical run, against one pass: _run.sql {:.2}×, per-table scripts {:.2}×",
        ratio(typical.run.bytes, typical.one_pass),
        ratio(typical.table_scripts.bytes, typical.one_pass)
    );
    out.push_str("`bqflat cost --format json` lists every statement and what it reads.\n");
    out
}

fn total(out: &mut String, width: usize, a: u64, b: u64, per_tib: f64) {
    let _ = writeln!(
        out,
        "  {:<width$} {:>12}  {:>12}   ({} and {})",
        "total",
        bytes(a),
        bytes(b),
        dollars(a, per_tib),
        dollars(b, per_tib)
    );
}

pub(crate) fn json(estimates: &[ScenarioEstimate], profile: &Profile, per_tib: f64) -> String {
    let scenarios: serde_json::Map<String, serde_json::Value> = estimates
        .iter()
        .map(|e| {
            let name = match e.scenario {
                Scenario::Typical => "typical",
                Scenario::First => "first",
            };
            let way = |w: &crate::cost::estimate::Way| {
                serde_json::json!({
                    "bytes": w.bytes,
                    "usd": price(w.bytes, per_tib),
                    "shared_bytes": w.shared,
                    "tables": w.tables,
                    "statements": w.statements,
                })
            };
            (
                name.to_string(),
                serde_json::json!({
                    "table_scripts": way(&e.table_scripts),
                    "run": way(&e.run),
                    "one_pass_bytes": e.one_pass,
                    "checks": way(&e.checks),
                }),
            )
        })
        .collect();
    let document = serde_json::json!({
        "format": 1,
        "bqflat_version": BQFLAT_VERSION,
        "profile": {
            "description": profile.description,
            "generic": profile.generic,
            "rows_per_day": profile.rows_per_day,
            "history_days": profile.history_days,
        },
        "price_per_tib": per_tib,
        "min_bytes_per_table": crate::cost::model::MIN_BYTES,
        "scenarios": scenarios,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("the estimate serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(10 * 1024 * 1024), "10.00 MiB");
        assert_eq!(change(5, 3), "-2 B");
    }
}
