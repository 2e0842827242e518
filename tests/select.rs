//! `--events` and `--target` select from the project: what they leave out stays as it is, on disk
//! and in the manifest, and a name the project does not have is a typo, not a new table.

mod common;

use common::*;

const FILE: &str =
    "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\ntargets: [bigquery, dbt]\n";
const PURCHASE: &str = "build/bigquery/event_purchase_flat.sql";
const PAGE_VIEW: &str = "build/bigquery/event_page_view_flat.sql";

fn built() -> TempProject {
    let p = TempProject::new()
        .file("bqflat.yaml", FILE)
        .file("events/purchase.yaml", "event: purchase\n")
        .file("events/page_view.yaml", "event: page_view\n")
        .file("events/refund.yaml", "event: refund\n");
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    p
}

#[test]
fn a_selected_build_leaves_the_other_tables_alone() {
    let p = built();
    let purchase = p.read(PURCHASE);
    let manifest = p.read("build/manifest.json");
    let p = p
        .file(
            "events/purchase.yaml",
            "event: purchase\ncluster_by: [platform]\n",
        )
        .file(
            "events/page_view.yaml",
            "event: page_view\ncluster_by: [platform]\n",
        );
    std::fs::remove_file(p.path().join("events/refund.yaml")).unwrap();

    let plan = p.run(&["plan", "--events", "page_view"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains(", 0 to remove,"), "{}", plan.stdout);
    assert!(
        !plan.stdout.contains("event_purchase_flat.sql"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("event_page_view_flat"),
        "{}",
        plan.stdout
    );

    let run = p.run(&["build", "--events", "page_view"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("; 0 files removed;"), "{}", run.stdout);
    assert!(p.read(PAGE_VIEW).contains("CLUSTER BY platform"));
    assert_eq!(
        p.read(PURCHASE),
        purchase,
        "an unselected table is not rebuilt"
    );
    assert!(p
        .path()
        .join("build/bigquery/event_refund_flat.sql")
        .is_file());
    assert!(p
        .path()
        .join("build/dbt/models/event_refund_flat.sql")
        .is_file());
    let after = p.read("build/manifest.json");
    for file in ["event_purchase_flat.sql", "event_refund_flat.sql"] {
        assert_eq!(after.matches(file).count(), manifest.matches(file).count());
    }
    assert_eq!(after.matches("\"event\": \"refund\"").count(), 1, "{after}");

    // check looks at the selection only; the whole project is still stale.
    let check = p.run(&["check", "--events", "page_view"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(p.run(&["check"]).code, 1);
    // A build of the whole project removes what the project no longer has.
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!p
        .path()
        .join("build/bigquery/event_refund_flat.sql")
        .exists());
}

#[test]
fn a_selected_build_that_leaves_the_rest_as_the_whole_build_would_is_that_build() {
    let p = built();
    let manifest = p.read("build/manifest.json");
    for args in [
        &["build", "--events", "page_view"][..],
        &["build", "--events", "page_view", "--force"],
    ] {
        let run = p.run(args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            p.read("build/manifest.json"),
            manifest,
            "{args:?}: nothing changed"
        );
    }
    assert_eq!(p.run(&["check"]).code, 0);

    // The selected table changes: the folder is the whole project's build again.
    let p = p.file(
        "events/page_view.yaml",
        "event: page_view\ncluster_by: [platform]\n",
    );
    assert_eq!(p.run(&["build", "--events", "page_view"]).code, 0);
    let check = p.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let run = p.run(&["build"]);
    assert!(run.stdout.starts_with("no changes: "), "{}", run.stdout);

    // An unselected one changes: it is left stale, and the whole project is not up to date.
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\ncluster_by: [platform]\n",
    );
    assert_eq!(p.run(&["build", "--events", "page_view"]).code, 0);
    assert!(!p.read(PURCHASE).contains("CLUSTER BY platform"));
    assert_eq!(p.run(&["check"]).code, 1);
    let run = p.run(&["build"]);
    assert!(
        run.stdout
            .contains("changed   bigquery/event_purchase_flat.sql"),
        "{}",
        run.stdout
    );
    assert_eq!(p.run(&["check"]).code, 0);
}

#[test]
fn a_selected_target_leaves_the_other_targets_alone() {
    let p = built();
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\ncluster_by: [platform]\n",
    );
    let purchase = p.read(PURCHASE);
    let run = p.run(&["build", "--target", "dbt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("; 0 files removed;"), "{}", run.stdout);
    assert_eq!(p.read(PURCHASE), purchase);
    assert!(p
        .read("build/dbt/models/event_purchase_flat.sql")
        .contains("platform"));
    let manifest = p.read("build/manifest.json");
    assert_eq!(
        manifest
            .matches("\"table\": \"my-gcp-project.flat.event_purchase_flat\"")
            .count(),
        1,
        "{manifest}"
    );
    assert_eq!(p.run(&["check", "--target", "dbt"]).code, 0);
}

#[test]
fn an_unknown_selected_event_is_a_typo() {
    let p = built();
    for command in ["build", "plan", "check"] {
        let run = p.run(&[command, "--events", "purchse"]);
        assert_eq!(run.code, 1, "{command}: {}", run.stdout);
        assert!(
            run.stderr.contains(
                "error: no event `purchse` in the project (in --events)\n  = help: did you mean `purchase`?\n"
            ),
            "{command}: {}",
            run.stderr
        );
    }
    let run = p.run(&["plan", "--events", "zzz"]);
    assert!(
        run.stderr
            .contains("the project's events are `page_view`, `purchase`, `refund`"),
        "{}",
        run.stderr
    );
}
