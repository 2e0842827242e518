//! BigQuery's documented limits, refused at compile time at the line that breaks them, and
//! values too large to print shown by their start only.

mod common;

use common::*;

fn build(spec: &str) -> Run {
    TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", spec)
        .run(&["build", "--dry-run"])
}

fn assert_error(run: &Run, message: &str, at: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(message), "{}", run.stderr);
    assert!(run.stderr.contains(at), "{}", run.stderr);
}

#[test]
fn more_than_ten_thousand_columns_is_refused_at_the_params() {
    let params: String = (0..10_000)
        .map(|i| format!("  - {{key: p{i}, type: string}}\n"))
        .collect();
    let run = build(&format!("event: purchase\nparams:\n{params}"));
    assert_error(
        &run,
        "table `my-gcp-project.analytics_flat.event_purchase_flat` would have 10012 columns; BigQuery allows at most 10000",
        "events/purchase.yaml:3:3",
    );
    assert!(run.stderr.contains("keep fewer params"), "{}", run.stderr);
}

#[test]
fn names_and_descriptions_over_the_limits_are_refused_without_printing_them_whole() {
    let long = "t".repeat(1025);
    let run = build(&format!("event: purchase\ntable: {long}\n"));
    assert_error(
        &run,
        "(1025 bytes): BigQuery allows at most 1024",
        "events/purchase.yaml:2:8",
    );
    assert!(!run.stderr.contains(&long), "{}", run.stderr);
    let run = build(&format!("event: purchase\ntable: {long}.t\n"));
    assert_error(&run, "invalid dataset name", "events/purchase.yaml:2:8");
    let run = build(&format!(
        "event: purchase\ndescription: {}\n",
        "d".repeat(16_385)
    ));
    assert_error(
        &run,
        "the table description has 16385 characters; BigQuery allows at most 16384",
        "events/purchase.yaml:2:14",
    );
    let ok = build(&format!(
        "event: purchase\ndescription: {}\n",
        "d".repeat(16_384)
    ));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn label_rules_say_which_rule_is_broken() {
    let run = build(&format!(
        "event: purchase\nlabels: {{{}: x}}\n",
        "k".repeat(64)
    ));
    assert_error(
        &run,
        "64 characters, BigQuery allows at most 63",
        "purchase.yaml:2:",
    );
    let run = build("event: purchase\nlabels: {team: Data}\n");
    assert_error(
        &run,
        "invalid label value \"Data\" for `team`: use lowercase letters, digits, `_` and `-`",
        "purchase.yaml:2:",
    );
    let run = build("event: purchase\nlabels: {1team: data}\n");
    assert_error(
        &run,
        "a key starts with a lowercase letter",
        "purchase.yaml:2:",
    );
}
