//! The command line as users run it: the seed's flags and config, dry runs, rebuilds, output safety.

mod common;

use common::*;

const SEED_CONFIG: &str = include_str!("fixtures/seed/config.yaml");

#[test]
fn seed_tldr_flags_build_three_scripts() {
    let p = TempProject::new();
    let run = p.run(&[
        "build",
        "--project",
        "my-gcp-project",
        "--source-dataset",
        "raw_events",
        "--target-dataset",
        "analytics_flat",
        "--events",
        "purchase,signup,level_up",
        "--mode",
        "incremental",
        "--partition-by",
        "event_date",
        "--cluster-by",
        "user_pseudo_id,event_name",
        "--dedupe-key",
        "event_id",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for event in ["purchase", "signup", "level_up"] {
        let sql = p.read(&format!("build/bigquery/event_{event}_flat.sql"));
        assert!(
            sql.contains(&format!(
                "`my-gcp-project.analytics_flat.event_{event}_flat`"
            )),
            "{sql}"
        );
        assert!(sql.contains("FROM `my-gcp-project.raw_events.events_*` AS e"));
        assert!(sql.contains("CLUSTER BY user_pseudo_id, event_name"));
        assert!(sql.contains(
            "PARTITION BY flat.event_id, IF(flat.event_id IS NULL, flat.event_key, NULL)"
        ));
        assert!(sql.contains("INSERT INTO `my-gcp-project.analytics_flat._metadata`"));
    }
    assert!(
        run.stdout
            .contains("3 tables; their files: 3 created, 0 changed, 0 unchanged"),
        "{}",
        run.stdout
    );
    let manifest: serde_json::Value = serde_json::from_str(&p.read("build/manifest.json")).unwrap();
    // Three table scripts, _setup.sql, _run.sql, run.sh, _checks.sql and tables.md.
    assert_eq!(manifest["artifacts"].as_array().unwrap().len(), 8);
}

#[test]
fn seed_config_is_accepted_verbatim() {
    let p = TempProject::new().file("config.yaml", SEED_CONFIG);
    let run = p.run(&["build", "--config", "config.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql = p.read("build/bigquery/event_signup_flat.sql");
    assert!(sql.contains("DECLARE bqflat_window_start DATE DEFAULT DATE '2025-07-01';"));
    assert!(sql.contains("DECLARE bqflat_window_end DATE DEFAULT DATE '2025-08-01';"));
    assert!(
        sql.contains("ORDER BY flat.event_ts DESC"),
        "order_by event_timestamp orders by event_ts"
    );
    assert!(sql.contains("WHERE p.key = 'event_id'"));
}

#[test]
fn flags_override_the_config() {
    let p = TempProject::new().file("config.yaml", SEED_CONFIG);
    let run = p.run(&[
        "build",
        "--config",
        "config.yaml",
        "--mode",
        "full",
        "--events",
        "purchase",
        "--cluster-by",
        "event_name",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql = p.read("build/bigquery/event_purchase_flat.sql");
    assert!(
        sql.contains("CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.event_purchase_flat`")
    );
    assert!(sql.contains("CLUSTER BY event_name\n"));
    assert!(!p
        .path()
        .join("build/bigquery/event_signup_flat.sql")
        .exists());
}

#[test]
fn dry_run_prints_sql_and_writes_nothing() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    let run = p.run(&["build", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("-- ==> bigquery/event_purchase_flat.sql <=="));
    assert!(run
        .stdout
        .contains("CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.event_purchase_flat`"));
    assert!(!p.path().join("build").exists());
}

#[test]
fn rebuilding_is_byte_identical_and_reports_unchanged() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file(
            "events/a.yaml",
            "event: purchase\nitems: explode\nparams: [{key: value, type: number}]\n",
        )
        .file("events/b.yaml", "event: level_up\nmode: incremental\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let first = tree(&p.path().join("build"));
    let mtime = std::fs::metadata(p.path().join("build/bigquery/event_purchase_flat.sql"))
        .unwrap()
        .modified()
        .unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0);
    assert_eq!(tree(&p.path().join("build")), first);
    assert!(
        run.stdout
            .contains("no changes: the inputs are those of build 1"),
        "{}",
        run.stdout
    );
    // Past the shortcut (--force renders everything), the build finds every file unchanged.
    let forced = p.run(&["build", "--force"]);
    assert!(
        forced
            .stdout
            .contains("2 tables; their files: 0 created, 0 changed, 2 unchanged"),
        "{}",
        forced.stdout
    );
    assert_eq!(tree(&p.path().join("build")), first);
    let again = std::fs::metadata(p.path().join("build/bigquery/event_purchase_flat.sql"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(mtime, again, "unchanged files are not rewritten");
}

#[test]
fn a_changed_spec_rewrites_its_file_and_bumps_the_build_number() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "events/a.yaml",
        "event: purchase\nparams: [{key: coupon}]\n",
    );
    let run = p.run(&["build"]);
    assert!(
        run.stdout
            .contains("changed   bigquery/event_purchase_flat.sql"),
        "{}",
        run.stdout
    );
    // Unchanged files are listed with -v only.
    assert!(
        !run.stdout.contains("unchanged bigquery/_setup.sql"),
        "{}",
        run.stdout
    );
    let manifest: serde_json::Value = serde_json::from_str(&p.read("build/manifest.json")).unwrap();
    assert_eq!(manifest["build"], 2);
    assert_eq!(p.run(&["build"]).code, 0);
    let manifest: serde_json::Value = serde_json::from_str(&p.read("build/manifest.json")).unwrap();
    assert_eq!(
        manifest["build"], 2,
        "a build that changes nothing keeps the number"
    );
}

#[test]
fn hand_edited_output_is_kept_unless_forced() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p
        .file(
            "build/bigquery/event_purchase_flat.sql",
            "-- my local fix\n",
        )
        .file("events/a.yaml", "event: purchase\nmode: incremental\n");
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "event_purchase_flat.sql was edited by hand since the last build; not overwriting it"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        p.read("build/bigquery/event_purchase_flat.sql"),
        "-- my local fix\n"
    );
    let run = p.run(&["build", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p
        .read("build/bigquery/event_purchase_flat.sql")
        .contains("BEGIN TRANSACTION"));
}

#[test]
fn removed_events_lose_their_script_and_user_files_stay() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n")
        .file("events/b.yaml", "event: refund\n")
        .file("build/bigquery/my_notes.sql", "-- mine\n");
    assert_eq!(p.run(&["build"]).code, 0);
    std::fs::remove_file(p.path().join("events/b.yaml")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("removed   bigquery/event_refund_flat.sql"),
        "{}",
        run.stdout
    );
    assert!(!p
        .path()
        .join("build/bigquery/event_refund_flat.sql")
        .exists());
    assert_eq!(p.read("build/bigquery/my_notes.sql"), "-- mine\n");
}

#[test]
fn a_file_bqflat_did_not_write_is_not_overwritten() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n")
        .file(
            "build/bigquery/event_purchase_flat.sql",
            "-- someone else's\n",
        );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("exists but was not written by bqflat"),
        "{}",
        run.stderr
    );
    assert!(
        !p.path().join("build/manifest.json").exists(),
        "nothing is written when the build is refused"
    );
    assert!(!p.path().join("build/bigquery/_setup.sql").exists());
}

#[test]
fn init_scaffolds_a_project_that_builds() {
    let p = TempProject::new();
    let run = p.run(&["init", "my-events"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = p.run(&["build", "my-events"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p
        .path()
        .join("my-events/build/bigquery/event_purchase_flat.sql")
        .exists());
    assert!(p
        .path()
        .join("my-events/build/bigquery/event_page_view_flat.sql")
        .exists());
    let again = p.run(&["init", "my-events"]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("my-events/bqflat.yaml already exists"),
        "{}",
        again.stderr
    );
}

#[test]
fn schema_prints_the_committed_schemas() {
    let run = bqflat(&root(), &["schema"]);
    assert_eq!(run.code, 0);
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for name in ["bqflat.event.schema.json", "bqflat.project.schema.json"] {
        let committed: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("schemas").join(name)).unwrap(),
        )
        .unwrap();
        assert_eq!(
            printed[name], committed,
            "{name}: run `bqflat schema --out schemas`"
        );
    }
}

#[test]
fn errors_exit_1_and_write_nothing() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT).file(
        "events/a.yaml",
        "event: purchase\ncluster_by: [a, b, c, d, e]\n",
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cluster_by has 5 columns; BigQuery allows at most 4"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("build").exists());
}

#[test]
fn flag_errors_name_the_flag() {
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
        "--cluster-by",
        "a,b,c,d,e",
        "--start-date",
        "2025-13-01",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cluster_by has 5 columns; BigQuery allows at most 4 (in --cluster-by)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "invalid date \"2025-13-01\": month 13 does not exist (in --start-date/--end-date)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn check_passes_on_a_fresh_build_and_fails_on_drift() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1, "no build yet");
    assert!(
        run.stderr
            .contains("build/bigquery/event_purchase_flat.sql is missing"),
        "{}",
        run.stderr
    );

    assert_eq!(p.run(&["build"]).code, 0);
    let run = p.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("ok: 6 files"), "{}", run.stdout);

    let p = p.file("events/a.yaml", "event: purchase\nmode: incremental\n");
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("build/bigquery/event_purchase_flat.sql is out of date"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("_setup.sql"), "{}", run.stderr);
}

#[test]
fn check_reports_hand_edits_and_invalid_specs() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let before = tree(&p.path().join("build"));
    let p = p.file("build/bigquery/_setup.sql", "-- tweaked\n");
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("_setup.sql was edited by hand since the last build"),
        "{}",
        run.stderr
    );
    assert_eq!(
        p.read("build/bigquery/_setup.sql"),
        "-- tweaked\n",
        "check writes nothing"
    );
    assert_ne!(tree(&p.path().join("build")), before);

    let p = p.file("events/a.yaml", "event: purchase\nmode: sometimes\n");
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown variant `sometimes`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_build_killed_at_any_point_leaves_the_old_build() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n")
        .file("events/b.yaml", "event: refund\n")
        .file("build/notes.txt", "mine\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let old = tree(&p.path().join("build"));
    let p = p
        .file("events/a.yaml", "event: purchase\nmode: incremental\n")
        .file("events/c.yaml", "event: sign_up\n");
    std::fs::remove_file(p.path().join("events/b.yaml")).unwrap();
    // The new build writes 3 files (2 scripts and the manifest): stop it before each, and after all.
    for crash_after in 0..=3 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bqflat"))
            .arg("build")
            .current_dir(p.path())
            .env("BQFLAT_TEST_CRASH_AFTER_WRITES", crash_after.to_string())
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "the build was stopped after {crash_after} writes"
        );
        assert_eq!(
            tree(&p.path().join("build")),
            old,
            "stopped after {crash_after} writes: the old build is intact"
        );
    }
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(p.run(&["check"]).code, 0, "the new build is complete");
    assert_eq!(p.read("build/notes.txt"), "mine\n");
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("bqflat-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folders of stopped builds are cleaned up: {leftovers:?}"
    );
}

#[test]
fn concurrent_builds_do_not_interleave() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT);
    let mut p = p;
    for i in 0..20 {
        p = p.file(
            &format!("events/e{i}.yaml"),
            &format!("event: event_{i}\nmode: incremental\n"),
        );
    }
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_bqflat"))
            .arg("build")
            .current_dir(p.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..4).map(|_| spawn()).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let run = p.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_10_mb_spec_is_refused_quickly() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT);
    let huge = format!(
        "event: purchase\ndescription: \"{}\"\n",
        "x".repeat(10 << 20)
    );
    let p = p.file("events/huge.yaml", &huge);
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "events/huge.yaml is 10485792 bytes; bqflat reads YAML files of up to 1048576 bytes"
        ),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("build").exists());
}

#[test]
fn a_changed_project_template_rebuilds_the_tables_that_use_it() {
    let template = "{% import \"bigquery/_macros.sql\" as m %}\n-- v1\n{{ m.declare_bounds(t) }}\n\n{{ m.set_shards(t) }}\n\nCREATE OR REPLACE TABLE {{ t.full_name|ident }} AS\n{{ m.flat_rows(t, false) }};\n";
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n")
        .file("templates/bigquery/full.sql", template);
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "templates/bigquery/full.sql",
        &template.replace("-- v1", "-- v2"),
    );
    let run = p.run(&["build"]);
    assert!(
        run.stdout
            .contains("changed   bigquery/event_purchase_flat.sql"),
        "{}",
        run.stdout
    );
    assert!(p
        .read("build/bigquery/event_purchase_flat.sql")
        .contains("-- v2"));
}

#[test]
fn force_restores_a_same_size_hand_edit_that_a_plain_build_keeps() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let original = p.read("build/bigquery/event_purchase_flat.sql");
    let edited = original.replacen("Do not edit", "Do NOT edit", 1);
    assert_eq!(edited.len(), original.len());
    let p = p.file("build/bigquery/event_purchase_flat.sql", &edited);
    assert_eq!(p.run(&["build"]).code, 0);
    assert_eq!(
        p.read("build/bigquery/event_purchase_flat.sql"),
        edited,
        "inputs unchanged: the file is left alone"
    );
    assert_eq!(p.run(&["check"]).code, 1, "check still sees the edit");
    assert_eq!(p.run(&["build", "--force"]).code, 0);
    assert_eq!(p.read("build/bigquery/event_purchase_flat.sql"), original);
}

#[test]
fn discover_sql_prints_the_catalog_query_for_the_projects_source() {
    let run = bqflat(
        &root(),
        &[
            "discover-sql",
            "examples/ga4_ecommerce",
            "--start-date",
            "2025-07-01",
            "--end-date",
            "2025-07-31",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let flags = TempProject::new().run(&[
        "discover-sql",
        "--project",
        "my-gcp-project",
        "--source-dataset",
        "analytics_1",
    ]);
    assert_eq!(flags.code, 0, "{}", flags.stderr);
    assert!(
        flags
            .stdout
            .contains("FROM `my-gcp-project.analytics_1.events_*` AS e"),
        "{}",
        flags.stdout
    );
    assert!(flags
        .stdout
        .contains("DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)"));
    // Every source of `sources:`, over the same days.
    let sources = bqflat(
        &root(),
        &[
            "discover-sql",
            "examples/ga4_web_and_app",
            "--start-date",
            "2025-07-01",
        ],
    );
    assert_eq!(sources.code, 0, "{}", sources.stderr);
    for from in [
        "FROM `acme-analytics-prod.analytics_287163560.events_*` AS e",
        "FROM `acme-app-prod.analytics_310000001.events_*` AS e",
    ] {
        assert_eq!(
            sources.stdout.matches(from).count(),
            1,
            "{}",
            sources.stdout
        );
    }
    let missing = TempProject::new().run(&["discover-sql"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no `project` given"),
        "{}",
        missing.stderr
    );
}

#[test]
fn init_from_a_catalog_scaffolds_typed_specs_that_build() {
    let p = TempProject::new();
    let catalog = root().join("examples/ga4_ecommerce/catalog.json");
    let run = p.run(&[
        "init",
        "from-catalog",
        "--catalog",
        catalog.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = p.path().join("from-catalog");
    assert!(dir.join("catalog.json").is_file(), "the catalog is copied");
    let cart = std::fs::read_to_string(dir.join("events/add_to_cart.yaml")).unwrap();
    // Typed from the values seen: int only, text only, int and double together.
    assert!(
        cart.contains("- key: ga_session_id\n  type: int64\n"),
        "{cart}"
    );
    assert!(cart.contains("- key: currency\n- key"), "{cart}");
    assert!(cart.contains("- key: value\n  type: float64\n"), "{cart}");
    assert!(cart.contains("items: explode"), "{cart}");
    assert!(
        !cart.contains("# Check: event_params key \"value\""),
        "{cart}"
    );
    let build = p.run(&["build", "from-catalog"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stdout.contains("5 tables;"), "{}", build.stdout);
}

#[test]
fn a_key_seen_with_text_and_numbers_is_typed_loosely_with_a_warning() {
    let run = bqflat(
        &root().join("tests/fixtures"),
        &["build", "projects/catalog_globs", "--dry-run"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "warning: event `add_to_cart`: event_params key `promo` was seen with string and int values; typed any\n  --> projects/catalog_globs/events/add_to_cart.yaml:4:12"
        ),
        "{}",
        run.stderr
    );
    // Ints and doubles read as float64 lose nothing: no warning.
    assert!(!run.stderr.contains("`value`"), "{}", run.stderr);
    // `typed` wins over the catalog: `engaged` (text and int values) is a bool, without a warning.
    assert!(!run.stderr.contains("`engaged`"), "{}", run.stderr);
    assert!(run.stdout.contains("AS engaged"), "{}", run.stdout);
    assert!(!run.stdout.contains("ga_session_number"), "excluded");
}

#[test]
fn targets_write_their_own_folders_and_check_sees_them() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n",
        )
        .file("events/a.yaml", "event: purchase\nmode: incremental\n");
    let run = p.run(&["build", "--target", "dbt", "--target", "dataform"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = p.path().join("build");
    assert!(out.join("dbt/models/event_purchase_flat.sql").is_file());
    assert!(out
        .join("dataform/definitions/event_purchase_flat.sqlx")
        .is_file());
    assert!(!out.join("bigquery").exists(), "bigquery was not selected");
    let check = p.run(&["check", "--target", "dbt,dataform"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    // Without the targets, the default (bigquery) differs from what is on disk.
    assert_eq!(p.run(&["check"]).code, 1);
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert_eq!(
        manifest
            .matches("\"table\": \"my-gcp-project.flat.event_purchase_flat\"")
            .count(),
        1,
        "one table entry per table, whatever the number of targets:\n{manifest}"
    );
}

#[test]
fn completions_cover_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let run = bqflat(&root(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for word in ["discover-sql", "target", "catalog", "dataform"] {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
    }
}

#[test]
fn a_build_with_unchanged_inputs_stops_early_but_restores_what_is_missing() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\nmode: incremental\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let manifest = p.path().join("build/manifest.json");
    let written = std::fs::metadata(&manifest).unwrap().modified().unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("no changes: the inputs are those of build 1"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::metadata(&manifest).unwrap().modified().unwrap(),
        written,
        "nothing is written"
    );

    // A missing file is not "unchanged": the build runs and writes it again.
    let script = p.path().join("build/bigquery/event_purchase_flat.sql");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::remove_file(&script).unwrap();
    let run = p.run(&["build"]);
    assert!(!run.stdout.contains("no changes"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&script).unwrap(), text);

    // A file of the user's in the output folder: the shortcut does not apply, the build does.
    std::fs::write(p.path().join("build/NOTES.md"), "mine\n").unwrap();
    let run = p.run(&["build"]);
    assert!(
        run.stdout.contains("0 created, 0 changed, 1 unchanged"),
        "{}",
        run.stdout
    );
    std::fs::remove_file(p.path().join("build/NOTES.md")).unwrap();

    // A comment in a spec changes the inputs but no script: the full build runs and rewrites only
    // the manifest (which records the inputs); then `check` is clean.
    let p = p.file(
        "events/a.yaml",
        "# the purchase table\nevent: purchase\nmode: incremental\n",
    );
    let script_written = std::fs::metadata(&script).unwrap().modified().unwrap();
    let run = p.run(&["build"]);
    assert_eq!(
        std::fs::metadata(&script).unwrap().modified().unwrap(),
        script_written
    );
    assert_eq!(p.run(&["check"]).code, 0);
    assert!(
        run.stdout.contains("0 created, 0 changed, 1 unchanged"),
        "{}",
        run.stdout
    );
    // The manifest changed (it records the inputs), so it is build 2.
    assert!(p
        .run(&["build"])
        .stdout
        .contains("no changes: the inputs are those of build 2"));

    // A template override is an input too.
    let p = p.file(
        "templates/bigquery/incremental.sql",
        "-- {{ t.event|comment }}\nSELECT 1;\n",
    );
    let run = p.run(&["build"]);
    assert!(run.stdout.contains("1 changed"), "{}", run.stdout);
}

#[test]
fn dbt_and_dataform_read_the_export_in_their_base_models_only() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n",
        )
        .file("events/a.yaml", "event: purchase\nmode: incremental\n")
        .file("events/b.yaml", "event: sign_up\nmode: full\n")
        .file("events/c.yaml", "event: refund\ntemplate: own.sql\n")
        .file(
            "templates/bigquery/own.sql",
            "SELECT 1 FROM {{ t.source.full_name|ident }};\n",
        );
    let run = p.run(&["build", "--target", "bigquery,dbt,dataform"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let base = "bqflat_base__raw";
    let dbt_base = p.read(&format!("build/dbt/models/bqflat/{base}.sql"));
    assert!(
        dbt_base.contains("FROM {{ source(\"ga4\", 'events') }} AS e"),
        "{dbt_base}"
    );
    assert!(
        dbt_base.contains("materialized=\"incremental\""),
        "{dbt_base}"
    );
    assert!(dbt_base.contains("\"field\":\"bqflat_day\""), "{dbt_base}");
    assert!(
        dbt_base.contains("cluster_by=[\"event_name\"]"),
        "{dbt_base}"
    );
    // Each event's rows: its base's partitions of its days and its chosen shards, the params the
    // base computed.
    for model in ["event_purchase_flat", "event_sign_up_flat"] {
        let sql = p.read(&format!("build/dbt/models/{model}.sql"));
        assert!(
            sql.contains(&format!("FROM {{{{ ref(\"{base}\") }}}} AS e")),
            "{sql}"
        );
        assert!(!sql.contains("source("), "{model} reads the export:\n{sql}");
        assert!(!sql.contains("UNNEST(e.event_params)"), "{sql}");
        assert!(sql.contains("AND e.bqflat_day BETWEEN bqflat_read_from AND bqflat_read_to"));
        assert!(
            sql.contains("AND e.bqflat_suffix IN UNNEST(bqflat_suffixes)"),
            "{sql}"
        );
        assert!(sql.contains("e.bqflat_event_key AS event_key"), "{sql}");
        let sqlx = p.read(&format!("build/dataform/definitions/{model}.sqlx"));
        assert!(
            sqlx.contains(&format!("FROM ${{ref(\"flat\", \"{base}\")}} AS e")),
            "{sqlx}"
        );
        assert!(
            !sqlx.contains("events_*"),
            "{model} reads the export:\n{sqlx}"
        );
    }
    // A table with a template of the project's own reads the export itself, and the base
    // leaves its event out.
    let own = p.read("build/dbt/models/event_refund_flat.sql");
    assert!(own.contains("{{ source('ga4', 'events') }}"), "{own}");
    assert!(!dbt_base.contains("'refund'"), "{dbt_base}");
    let dataform_base = p.read(&format!("build/dataform/definitions/bqflat/{base}.sqlx"));
    assert!(
        dataform_base.contains("FROM ${ref(\"raw\", \"events_*\")} AS e"),
        "{dataform_base}"
    );
    assert!(
        dataform_base.contains("type: \"incremental\""),
        "{dataform_base}"
    );
    assert!(
        dataform_base.contains("partitionBy: \"bqflat_day\""),
        "{dataform_base}"
    );
    assert!(
        dataform_base.contains("clusterBy: [\"event_name\"]"),
        "{dataform_base}"
    );
    let schema = p.read("build/dbt/models/schema.yml");
    assert!(
        schema.contains(&format!("  - name: \"{base}\"")),
        "{schema}"
    );
}
