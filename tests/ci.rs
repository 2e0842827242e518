//! What CI runs: `check` reporting to GitHub Actions as annotations and to tools as JSON.

mod common;

use common::*;

#[test]
fn check_reports_for_github_and_for_tools_at_the_file_and_line() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT).file(
        "events/purchase.yaml",
        "event: purchase\ndedupe: {key: transacton_id}\n",
    );
    let run = p.run(&["check", "--format", "github"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("::error file=events/purchase.yaml,line=2,col=15,title=bqflat::dedupe key `transacton_id` is not an output column%0Ahelp: did you mean `transaction_id`?"),
        "{}",
        run.stdout
    );
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["errors"][0]["file"], "events/purchase.yaml");
    assert_eq!(doc["errors"][0]["line"], 2);
    assert_eq!(doc["errors"][0]["col"], 15);
    assert_eq!(doc["warnings"], serde_json::json!([]));

    // A fixed spec and a fresh build: ok, and an out-of-date file has no line.
    let p = p.file("events/purchase.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["ok"],
        true
    );
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\nmode: incremental\n",
    );
    let run = p.run(&["check", "--format", "github"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("::error title=bqflat::./build/bigquery/event_purchase_flat.sql is out of date%0Ahelp: run `bqflat build` and commit the result"), "{}", run.stdout);
}

#[test]
fn a_markdown_plan_always_fits_a_github_comment() {
    let mut p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT);
    for i in 0..300 {
        p = p.file(
            &format!("events/e{i:03}.yaml"),
            &format!("event: event_{i:03}\nmode: incremental\n"),
        );
    }
    assert_eq!(p.run(&["build"]).code, 0);
    for i in 300..320 {
        p = p.file(
            &format!("events/e{i:03}.yaml"),
            &format!("event: event_{i:03}\nmode: incremental\n"),
        );
    }
    let run = p.run(&["plan", "--format", "markdown", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let md = run.stdout;
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(
        md.starts_with("### bqflat plan: 20 to add, 0 to change, 0 to remove, 300 unchanged"),
        "{}",
        &md[..200]
    );
    assert!(
        md.contains("| `my-gcp-project.analytics_flat.event_event_319_flat` | add |"),
        "every new table is listed"
    );
    assert!(md.contains("more file(s) are left out: a GitHub comment holds 65536 characters. `bqflat plan` (or `--format json`) shows the whole plan."), "{}", &md[md.len() - 500..]);
}

#[test]
fn plan_stat_lists_lines_added_and_removed_per_file_instead_of_diffs() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT).file(
        "events/purchase.yaml",
        "event: purchase\nmode: incremental\n",
    );
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\nmode: incremental\nparams:\n  - {key: value, type: float64}\n",
    );
    for format in ["text", "markdown"] {
        let run = p.run(&["plan", "--stat", "--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("@@"), "no diff: {}", run.stdout);
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(" bigquery/event_purchase_flat.sql"))
            .unwrap_or_else(|| panic!("{}", run.stdout));
        let (added, removed) = line
            .rsplit_once(" | +")
            .unwrap()
            .1
            .split_once(" -")
            .unwrap();
        assert!(
            added.parse::<usize>().unwrap() > 0 && removed.parse::<usize>().unwrap() > 0,
            "{line}"
        );
    }
}

#[test]
fn a_new_table_is_planned_as_its_columns_not_its_sql() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "events/sign_up.yaml",
        "event: sign_up\nparams: [{key: method}]\n",
    );
    let run = p.run(&["plan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("+ my-gcp-project.analytics_flat.event_sign_up_flat (full, version 1)\n    event_date DATE\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("\n    method STRING\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("+ new file bigquery/event_sign_up_flat.sql ("),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("+++ b/bigquery/event_sign_up_flat.sql"),
        "no diff of the new script"
    );
    let md = p.run(&["plan", "--format", "markdown"]).stdout;
    assert!(
        md.contains("| add | full | columns: `event_date DATE`, "),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&p.run(&["plan", "--format", "json"]).stdout).unwrap();
    let added = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["action"] == "add")
        .unwrap();
    assert_eq!(
        added["columns"].as_array().unwrap().last().unwrap(),
        "method STRING"
    );
}
