//! `bqflat cost` and the estimates in `plan`: properties of the cost model, run through the real
//! binary.

mod common;

use common::TempProject;
use serde_json::Value;

const PROJECT: &str =
    "project: proj-test\nsource_dataset: raw\ntarget_dataset: flat\nmode: incremental\n";

/// A profile big enough that BigQuery's 10 MiB minimums are small beside the reads.
const PROFILE: &str = r#"{
  "format": 1,
  "description": "test profile",
  "rows_per_day": 100000000,
  "history_days": 100,
  "events_per_day": {"e1": 1000000, "e2": 1000000, "e3": 1000000, "e4": 1000000, "e5": 1000000},
  "string_param_bytes": 20,
  "leaf_bytes_per_day": {
    "event_name": 1000000000,
    "event_date": 1000000000,
    "event_timestamp": 800000000,
    "event_params.key": 5000000000,
    "event_params.value.string_value": 7000000000,
    "event_params.value.int_value": 1000000000,
    "event_params.value.float_value": 0,
    "event_params.value.double_value": 100000000,
    "user_properties.key": 300000000,
    "user_properties.value.string_value": 200000000,
    "user_properties.value.int_value": 50000000,
    "user_properties.value.float_value": 0,
    "user_properties.value.double_value": 7000000
  }
}"#;

/// A project of `n` tables of one source, each its own event with a few params.
fn project(n: usize, lookback: &str) -> TempProject {
    let mut p = TempProject::new()
        .file("bqflat.yaml", &format!("{PROJECT}lookback: {lookback}\n"))
        .file("profile.json", PROFILE);
    for i in 1..=n {
        p = p.file(
            &format!("events/e{i}.yaml"),
            &format!(
                "event: e{i}\ncolumns: [event_date, event_ts, event_name, event_key]\nparams:\n  - {{key: a{i}, type: string}}\n  - {{key: b{i}, type: int64}}\n"
            ),
        );
    }
    p
}

fn estimate(p: &TempProject) -> Value {
    let run = p.run(&["cost", "--profile", "profile.json", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON")
}

fn bytes(doc: &Value, scenario: &str, way: &str) -> f64 {
    doc["scenarios"][scenario][way]["bytes"].as_f64().unwrap()
}

fn one_pass(doc: &Value, scenario: &str) -> f64 {
    doc["scenarios"][scenario]["one_pass_bytes"]
        .as_f64()
        .unwrap()
}

#[test]
fn per_table_scripts_read_the_source_once_per_table_and_the_run_once() {
    for n in [1, 3, 5] {
        let doc = estimate(&project(n, "3d"));
        for scenario in ["typical", "first"] {
            let pass = one_pass(&doc, scenario);
            let tables = bytes(&doc, scenario, "table_scripts");
            let run = bytes(&doc, scenario, "run");
            let per_table = tables / pass;
            assert!(
                per_table > 0.95 * n as f64 && per_table < 1.15 * n as f64,
                "{n} tables, {scenario}: per-table scripts {per_table:.3}× one pass"
            );
            assert!(
                run / pass < 1.1 && run / pass >= 1.0,
                "{n} tables, {scenario}: _run.sql {:.3}× one pass",
                run / pass
            );
        }
    }
}

#[test]
fn a_longer_lookback_raises_the_estimate_of_a_typical_run_only() {
    let short = estimate(&project(2, "3d"));
    let long = estimate(&project(2, "7d"));
    for way in ["table_scripts", "run"] {
        assert!(bytes(&long, "typical", way) > bytes(&short, "typical", way) * 1.5);
        assert_eq!(bytes(&long, "first", way), bytes(&short, "first", way));
    }
}

/// The stage statement of a table's own script: its read of the export.
fn stage_read(doc: &Value, scenario: &str) -> f64 {
    let statements = doc["scenarios"][scenario]["table_scripts"]["statements"]
        .as_array()
        .unwrap();
    statements
        .iter()
        .find(|s| s["what"].as_str().unwrap().starts_with("stage"))
        .map(|s| s["reads"][0]["bytes"].as_f64().unwrap())
        .unwrap()
}

#[test]
fn a_new_param_column_raises_the_export_read_by_its_leaves() {
    let p = project(1, "3d");
    let before = estimate(&p);
    let p = p.file(
        "events/e1.yaml",
        "event: e1\ncolumns: [event_date, event_ts, event_name, event_key]\nparams:\n  - {key: a1, type: string}\n  - {key: b1, type: int64}\nuser_properties:\n  - {key: tier, type: string}\n",
    );
    let after = estimate(&p);
    // user_properties.key and its four value leaves, over the 3 + 2 days a typical run reads.
    let leaves = 300_000_000.0 + 200_000_000.0 + 50_000_000.0 + 0.0 + 7_000_000.0;
    let added = stage_read(&after, "typical") - stage_read(&before, "typical");
    assert!((added - leaves * 5.0).abs() < 1.0, "added {added}");
    let added = stage_read(&after, "first") - stage_read(&before, "first");
    assert!((added - leaves * 100.0).abs() < 1.0, "added {added}");
    assert!(bytes(&after, "typical", "run") > bytes(&before, "typical", "run"));
}

#[test]
fn the_text_says_when_the_figures_are_generic() {
    let p = project(2, "3d");
    let run = p.run(&["cost"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("the figures are generic"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("bigquery/_run.sql"));
    assert!(run.stdout.contains("proj-test.flat.event_e1_flat"));
    let run = p.run(&["cost", "--profile", "profile.json", "--price-per-tib", "5"]);
    assert!(!run.stdout.contains("generic"), "{}", run.stdout);
    assert!(run.stdout.contains("$5.00 per TiB"), "{}", run.stdout);
}

#[test]
fn a_bad_profile_fails_naming_the_file_and_the_fix() {
    let p = project(1, "3d")
        .file("bad.json", "{\"format\": 1, \"rows_per_day\": 10, \"history_days\": 3,\n  \"leaf_bytes_per_day\": {\"device.categry\": 5}}\n")
        .file("broken.json", "{\"format\": 1,\n  \"rows_per_day\": ten}\n")
        .file("negative.json", "{\"format\": 1, \"rows_per_day\": -1, \"history_days\": 3}\n");
    let run = p.run(&["cost", "--profile", "bad.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("bad.json:2:26"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `device.category`"),
        "{}",
        run.stderr
    );
    let run = p.run(&["cost", "--profile", "broken.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("broken.json:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("--profile-queries"), "{}", run.stderr);
    let run = p.run(&["cost", "--profile", "negative.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("negative.json:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    let run = p.run(&["cost", "--profile", "missing.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("missing.json"), "{}", run.stderr);
}

#[test]
fn plan_shows_how_a_change_moves_the_bytes_of_a_run() {
    let p = project(2, "3d");
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "events/e1.yaml",
        "event: e1\ncolumns: [event_date, event_ts, event_name, event_key]\nparams:\n  - {key: a1, type: string}\n  - {key: b1, type: int64}\nuser_properties:\n  - {key: tier, type: string}\n",
    );
    let run = p.run(&["plan", "--profile", "profile.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "Estimated bytes billed per typical incremental run (profile: test profile):"
        ),
        "{}",
        run.stdout
    );
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name}: {}", run.stdout))
            .to_string()
    };
    assert!(line("bigquery/_run.sql").contains(" → ") && line("bigquery/_run.sql").contains("(+"));
    assert!(line("proj-test.flat.event_e1_flat").contains("(+"));
    assert!(
        !run.stdout.contains("proj-test.flat.event_e2_flat  "),
        "{}",
        run.stdout
    );
    let json = p.run(&["plan", "--profile", "profile.json", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let cost = &doc["cost"];
    assert!(cost["run"]["after"].as_u64() > cost["run"]["before"].as_u64());
    assert_eq!(cost["tables"][0]["table"], "proj-test.flat.event_e1_flat");

    // A manifest written before runs' reads were recorded: no previous estimate.
    let manifest = p.read("build/manifest.json");
    let mut doc: Value = serde_json::from_str(&manifest).unwrap();
    for a in doc["artifacts"].as_array_mut().unwrap() {
        if let Some(t) = a.get_mut("table").and_then(Value::as_object_mut) {
            t.remove("reads");
        }
    }
    let p = p.file(
        "build/manifest.json",
        &serde_json::to_string_pretty(&doc).unwrap(),
    );
    let run = p.run(&["plan"]);
    assert!(
        run.stdout.contains("previous estimate unknown →"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("the figures are generic"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_plan_without_changes_shows_no_estimate() {
    let p = project(2, "3d");
    assert_eq!(p.run(&["build"]).code, 0);
    let run = p.run(&["plan"]);
    assert!(!run.stdout.contains("Estimated bytes"), "{}", run.stdout);
}

#[test]
fn profile_queries_measure_every_leaf_the_project_reads() {
    let p = project(2, "3d");
    let run = p.run(&["cost", "--profile-queries", "--day", "20250101"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("#!/bin/sh\n"));
    assert!(run.stdout.contains("day=\"${1:-20250101}\""));
    assert!(run.stdout.contains("--dry_run --format=json 'SELECT COUNT(u1.key) FROM `proj-test.raw.events_'\"$day\"'` AS e, UNNEST(e.event_params) AS u1'"), "{}", run.stdout);
    // Exactly one query that is not a dry run: the rows per event.
    let billed = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("bq query") && !l.contains("--dry_run"))
        .count();
    assert_eq!(billed, 1);
    let bad = p.run(&["cost", "--profile-queries", "--day", "2025-01-01"]);
    assert_eq!(bad.code, 1);
}

#[test]
fn a_profile_from_rows_counts_bigquerys_sizes() {
    let p = TempProject::new().file(
        "rows.jsonl",
        concat!(
            r#"{"event_date": "20250101", "event_name": "page_view", "event_timestamp": 1, "event_params": [{"key": "a", "value": {"string_value": "héllo", "int_value": null}}, {"key": "bc", "value": {"int_value": 5}}], "device": {"category": "mobile"}, "is_active_user": true}"#,
            "\n",
            r#"{"event_date": "20250102", "event_name": "purchase", "event_timestamp": 2, "event_params": [], "device": {"category": null}}"#,
            "\n"
        ),
    );
    let run = p.run(&["cost", "--profile-from-rows", "rows.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let leaf = |k: &str| doc["leaf_bytes_per_day"][k].as_f64().unwrap();
    assert_eq!(doc["history_days"], 2.0);
    assert_eq!(doc["rows_per_day"], 1.0);
    // Per day over two days: "a" 3 + "bc" 4; "héllo" is 6 bytes of UTF-8 + 2.
    assert_eq!(leaf("event_params.key"), 3.5);
    assert_eq!(leaf("event_params.value.string_value"), 4.0);
    assert_eq!(leaf("event_params.value.int_value"), 4.0);
    assert_eq!(leaf("event_date"), 10.0);
    assert_eq!(leaf("event_timestamp"), 8.0);
    assert_eq!(leaf("device.category"), 4.0);
    assert_eq!(leaf("is_active_user"), 0.5);
}

/// The bytes a statement of the table's own typical run is billed.
fn statement(doc: &Value, prefix: &str) -> f64 {
    doc["scenarios"]["typical"]["table_scripts"]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["what"].as_str().unwrap().starts_with(prefix))
        .map(|s| s["billed"].as_f64().unwrap())
        .unwrap()
}

#[test]
fn a_param_of_an_array_already_read_costs_only_its_column() {
    let p = project(1, "3d");
    let before = estimate(&p);
    let p = p.file(
        "events/e1.yaml",
        "event: e1\ncolumns: [event_date, event_ts, event_name, event_key]\nparams:\n  - {key: a1, type: string}\n  - {key: b1, type: int64}\n  - {key: c1, type: int64}\n",
    );
    let after = estimate(&p);
    // event_params' leaves were read already: the export read stays, the staged rows grow by
    // 8 bytes for each of e1's 1,000,000 rows on each of the 5 days.
    assert_eq!(
        stage_read(&after, "typical"),
        stage_read(&before, "typical")
    );
    let grown = statement(&after, "insert") - statement(&before, "insert");
    assert_eq!(grown, 8.0 * 1_000_000.0 * 5.0);
}

#[test]
fn the_example_projects_estimate() {
    let root = common::root();
    let run = common::bqflat(&root, &["cost", "examples/ga4_ecommerce"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn events_pick_the_tables_estimated() {
    let p = project(3, "3d");
    let all = estimate(&p);
    let run = p.run(&[
        "cost",
        "--profile",
        "profile.json",
        "--format",
        "json",
        "--events",
        "e2",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let one: Value = serde_json::from_str(&run.stdout).unwrap();
    let tables = one["scenarios"]["typical"]["table_scripts"]["tables"]
        .as_object()
        .unwrap();
    assert_eq!(
        tables.keys().collect::<Vec<_>>(),
        ["proj-test.flat.event_e2_flat"]
    );
    assert_eq!(
        tables["proj-test.flat.event_e2_flat"],
        all["scenarios"]["typical"]["table_scripts"]["tables"]["proj-test.flat.event_e2_flat"]
    );
}

/// The statements of `_checks.sql` in a scenario's estimate.
fn checks(doc: &Value) -> Vec<Value> {
    doc["scenarios"]["typical"]["checks"]["statements"]
        .as_array()
        .unwrap()
        .clone()
}

/// What each count of the export's events in `_checks.sql` is billed.
fn export_counts(statements: &[Value]) -> Vec<f64> {
    statements
        .iter()
        .filter(|s| {
            s["what"]
                .as_str()
                .unwrap()
                .starts_with("count the export's events")
        })
        .map(|s| s["billed"].as_f64().unwrap())
        .collect()
}

#[test]
fn the_checks_count_the_export_once_per_group_and_read_the_checked_days() {
    // Three tables read alike: one count of the export, one query per table.
    let doc = estimate(&project(3, "3d"));
    let statements = checks(&doc);
    // event_name, event_timestamp and event_date over the 4 days checked.
    assert_eq!(
        export_counts(&statements),
        [(1e9 + 8e8 + 1e9) * 4.0],
        "{statements:#?}"
    );
    let per_table = statements.iter().filter(|s| s["table"].is_string()).count();
    assert_eq!(per_table, 3);
    // Another lookback is another group, and more days checked.
    let p = project(3, "3d").file(
        "events/e3.yaml",
        "event: e3\nlookback: 7d\ncolumns: [event_date, event_ts, event_name, event_key]\n",
    );
    let statements = checks(&estimate(&p));
    assert_eq!(
        export_counts(&statements),
        [(1e9 + 8e8 + 1e9) * 4.0, (1e9 + 8e8 + 1e9) * 8.0]
    );
}

#[test]
fn a_key_that_recurs_across_days_is_checked_over_the_whole_table() {
    let table = |doc: &Value| -> f64 {
        checks(doc)
            .iter()
            .find(|s| s["table"].is_string())
            .map(|s| s["billed"].as_f64().unwrap())
            .unwrap()
    };
    let p = project(1, "3d");
    let by_event = table(&estimate(&p));
    let p = p.file(
        "events/e1.yaml",
        "event: e1\ncolumns: [event_date, event_ts, event_name, event_key]\nparams:\n  - {key: a1, type: string}\ndedupe: {key: a1}\n",
    );
    let across = table(&estimate(&p));
    // e1's 1,000,000 rows a day: the key's 20-byte strings over 100 days instead of 4.
    assert!(
        across > by_event + 20.0 * 1e6 * 90.0,
        "{by_event} → {across}"
    );
}
