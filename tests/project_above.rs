//! Like cargo, bqflat run inside a project's subfolder builds the project above it.

mod common;

use common::*;

#[test]
fn a_build_in_a_subfolder_finds_the_project_above() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n",
        )
        .file("events/purchase.yaml", "event: purchase\nmode: ful\n");
    let run = bqflat(&p.path().join("events"), &["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("  --> ../events/purchase.yaml:2:7\n"),
        "{}",
        run.stderr
    );
    let p = p.file("events/purchase.yaml", "event: purchase\n");
    let run = bqflat(&p.path().join("events"), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p
        .path()
        .join("build/bigquery/event_purchase_flat.sql")
        .is_file());
}

#[test]
fn without_a_project_one_error_says_so() {
    let p = TempProject::new();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: no bqflat.yaml here or in a folder above\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.ends_with("1 error\n"), "{}", run.stderr);
}
