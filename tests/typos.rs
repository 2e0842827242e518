//! Typos that would quietly cost data are caught before anything is written: a dedupe key that is
//! neither a column nor a param the project or its catalog knows.

mod common;

use common::*;

const CATALOG: &str = r#"[
{"event_name":"purchase","array_name":"event_params","key":"transaction_id","occurrences":"41","string_values":"41","int_values":"0","float_values":"0","double_values":"0"}
]"#;

#[test]
fn a_misspelt_dedupe_key_is_an_error_at_its_line_with_the_key_meant() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT).file(
        "events/purchase.yaml",
        "event: purchase\nmode: incremental\ndedupe: {key: transacton_id}\n",
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: dedupe key `transacton_id` is not an output column"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> events/purchase.yaml:3:15"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `transaction_id`?"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("build").exists(), "nothing is written");
}

#[test]
fn a_dedupe_key_the_catalog_saw_or_the_flag_names_is_read_as_a_param() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            &format!("{BASIC_PROJECT}catalog: catalog.json\n"),
        )
        .file("catalog.json", CATALOG)
        .file(
            "events/purchase.yaml",
            "event: purchase\ndedupe: {key: transaction_id}\n",
        );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql = p.read("build/bigquery/event_purchase_flat.sql");
    assert!(
        sql.contains("WHERE p.key = 'transaction_id' ORDER BY o LIMIT 1) AS transaction_id"),
        "{sql}"
    );

    // The original command line's `--dedupe-key event_id` names an event param of its own.
    let p = TempProject::new();
    let run = p.run(&[
        "build",
        "--project",
        "my-gcp-project",
        "--source-dataset",
        "raw",
        "--target-dataset",
        "flat",
        "--events",
        "purchase",
        "--dedupe-key",
        "event_id",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql = p.read("build/bigquery/event_purchase_flat.sql");
    assert!(
        sql.contains("WHERE p.key = 'event_id' ORDER BY o LIMIT 1) AS event_id"),
        "{sql}"
    );
}

#[test]
fn a_param_the_catalog_never_saw_or_types_otherwise_is_a_warning_at_its_line() {
    let catalog = r#"[
{"event_name":"page_view","array_name":"event_params","key":"page_location","occurrences":"41873","string_values":"41873","int_values":"0","float_values":"0","double_values":"0"},
{"event_name":"page_view","array_name":"event_params","key":"page_title","occurrences":"900","string_values":"900","int_values":"0","float_values":"0","double_values":"0"}
]"#;
    let p = TempProject::new()
        .file("bqflat.yaml", &format!("{BASIC_PROJECT}catalog: catalog.json\n"))
        .file("catalog.json", catalog)
        .file(
            "events/page_view.yaml",
            "event: page_view\nparams:\n  - key: page_locaton\n  - {key: page_title, type: int64}\n",
        );
    let run = p.run(&["build"]);
    assert_eq!(
        run.code, 0,
        "warnings do not stop the build: {}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: event_params key `page_locaton` is not in the catalog for event `page_view`: its column would always be NULL\n  --> events/page_view.yaml:3:10"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("did you mean `page_location` (41,873 events)?"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: event_params key `page_title` is typed int64, but the catalog saw only text values for it (900 events): every value would be NULL\n  --> events/page_view.yaml:4:29"), "{}", run.stderr);
}

#[test]
fn params_every_event_gets_come_first_and_an_event_overrides_them_by_key() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            &format!("{BASIC_PROJECT}params:\n  - {{key: ga_session_id, type: int64}}\n  - {{key: page_location}}\nuser_properties:\n  - {{key: plan}}\n"),
        )
        .file("events/purchase.yaml", "event: purchase\nparams:\n  - {key: value, type: float64}\n  - {key: page_location, as: url}\n")
        .file("events/sign_up.yaml", "event: sign_up\n");
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest: serde_json::Value = serde_json::from_str(&p.read("build/manifest.json")).unwrap();
    let columns = |table: &str| -> Vec<String> {
        let a = manifest["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["table"]["table"] == table)
            .unwrap();
        a["table"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let purchase = columns("my-gcp-project.analytics_flat.event_purchase_flat");
    let tail: Vec<&str> = purchase
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["ga_session_id", "value", "url", "plan"],
        "{purchase:?}"
    );
    let sign_up = columns("my-gcp-project.analytics_flat.event_sign_up_flat");
    assert!(
        sign_up.ends_with(&[
            "ga_session_id".into(),
            "page_location".into(),
            "plan".into()
        ]),
        "{sign_up:?}"
    );

    // A problem in the shared list is reported at its line in bqflat.yaml.
    let p = p.file(
        "bqflat.yaml",
        &format!("{BASIC_PROJECT}params:\n  - {{key: \"\"}}\n"),
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--> bqflat.yaml:5:"), "{}", run.stderr);
    assert!(
        run.stderr.ends_with("1 error\n"),
        "said once for both events: {}",
        run.stderr
    );
}
