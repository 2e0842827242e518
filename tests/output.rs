//! What the commands say: `-q`/`-v`/`--color`, the migrations a build names and the order they
//! run in, `check` and `plan` wording, and the flags `discover-sql` takes.

mod common;

use common::*;

const INCREMENTAL: &str =
    "event: purchase\nmode: incremental\nparams: [{key: value, type: number}]\n";

fn built(p: &TempProject) {
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A project built once, then again with a param added to its incremental table: the second
/// build writes migration 0002.
fn with_an_added_param() -> (TempProject, Run) {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", INCREMENTAL);
    built(&p);
    let p = p.file(
        "events/a.yaml",
        &INCREMENTAL.replace("number}]", "number}, {key: tax, type: number}]"),
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (p, run)
}

#[test]
fn quiet_verbose_and_color() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", INCREMENTAL)
        .file("events/b.yaml", "event: level_up\n");
    let run = p.run(&["build", "-q"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let p = p.file("events/a.yaml", &INCREMENTAL.replace("number", "string"));
    // A changed file is listed; the unchanged ones only with -v.
    let run = p.run(&["plan", "-q"]);
    assert!(run.stdout.contains("breaking"), "{}", run.stdout);
    assert!(
        run.stderr.is_empty(),
        "-q prints no warnings: {}",
        run.stderr
    );
    let p = p
        .file("events/a.yaml", INCREMENTAL)
        .file("events/b.yaml", "event: level_up\nparams: [{key: score}]\n");
    let run = p.run(&["build"]);
    assert!(
        run.stdout
            .contains("changed   bigquery/event_level_up_flat.sql"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("unchanged")),
        "{}",
        run.stdout
    );
    let run = p.run(&["build", "-v", "--force"]);
    assert!(
        run.stdout.contains("unchanged bigquery/_setup.sql"),
        "{}",
        run.stdout
    );
    // Errors in colour when asked, plain when not (and by default off a terminal).
    let p = p.file("events/c.yaml", "event: x\nmode: ful\n");
    let red = p.run(&["check", "--color", "always"]);
    assert_eq!(red.code, 1);
    assert!(
        red.stderr.contains("\x1b[1;31merror\x1b[0m: "),
        "{}",
        red.stderr
    );
    for args in [&["check", "--color", "never"][..], &["check"]] {
        let plain = p.run(args);
        assert!(!plain.stderr.contains('\x1b'), "{args:?}: {}", plain.stderr);
        assert!(plain.stderr.contains("error: "), "{}", plain.stderr);
    }
    assert_eq!(p.run(&["build", "-q", "-v"]).code, 1, "-q and -v conflict");
}

#[test]
fn a_migration_of_a_table_with_its_own_template_runs_before_its_own_script_only() {
    // _run.sql leaves such a table to its own script: the line names that script alone.
    let template = "-- {{ t.full_name|comment }}\nSELECT 1;\n";
    let spec = INCREMENTAL.replace("event: purchase\n", "event: purchase\ntemplate: own.sql\n");
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", &spec)
        .file("templates/bigquery/own.sql", template);
    built(&p);
    let p = p.file(
        "events/a.yaml",
        &spec.replace("number}]", "number}, {key: tax, type: number}]"),
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("      before bigquery/event_purchase_flat.sql\n"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("or bigquery/_run.sql"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_build_names_its_migrations_and_run_sh_runs_them_in_order() {
    let (p, run) = with_an_added_param();
    let migration = "bigquery/migrations/0002_event_purchase_flat.sql";
    assert!(
        run.stdout.contains(&format!("created   {migration}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "  bq query --use_legacy_sql=false < ./build/{migration}\n      before bigquery/event_purchase_flat.sql or bigquery/_run.sql"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("`sh ./build/bigquery/run.sh` runs them first"),
        "{}",
        run.stdout
    );
    // The migration guards itself: it stops when its own run is recorded.
    let sql = p.read(&format!("build/{migration}"));
    assert!(
        sql.contains("DECLARE bqflat_run_id STRING DEFAULT 'migration 0002_event_purchase_flat';"),
        "{sql}"
    );
    assert!(sql.contains("WHERE run_id = bqflat_run_id AND table_name = 'my-gcp-project.analytics_flat.event_purchase_flat') THEN\n  RETURN;"), "{sql}");
    // run.sh runs setup, every migration (a glob, so earlier ones and deleted ones are right),
    // then _run.sql; sh parses it.
    let order = p.read("build/bigquery/run.sh");
    let setup = order.find("run '_setup.sql'").expect("setup");
    let migrations = order
        .find("for migration in migrations/*.sql")
        .expect("migrations");
    let all = order.find("run '_run.sql'").expect("_run.sql");
    assert!(setup < migrations && migrations < all, "{order}");
    let sh = std::process::Command::new("sh")
        .args(["-n", "build/bigquery/run.sh"])
        .current_dir(p.path())
        .status()
        .unwrap();
    assert!(sh.success());
    // A fake `bq` shows what run.sh runs, in order.
    let log = p.path().join("bq.log");
    let fake = p.path().join("fake-bq");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nhead -n 1 >> '{}'\n", log.display()),
    )
    .unwrap();
    let out = std::process::Command::new("sh")
        .arg("build/bigquery/run.sh")
        .env("BQ", format!("sh {}", fake.display()))
        .current_dir(p.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran = std::fs::read_to_string(&log).unwrap();
    let heads: Vec<&str> = ran.lines().collect();
    assert_eq!(heads.len(), 3, "{ran}");
    assert!(
        heads[0].contains("Do not edit") || heads[0].starts_with("-- Generated"),
        "{ran}"
    );
    assert!(
        heads[1].contains("(build 2)"),
        "the migration second: {ran}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("running _setup.sql")
            && stderr.contains("running migrations/0002_event_purchase_flat.sql")
            && stderr.contains("running _run.sql"),
        "{stderr}"
    );
}

#[test]
fn plan_says_what_happens_to_removed_and_version_bumped_tables() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", INCREMENTAL)
        .file("events/b.yaml", "event: level_up\n");
    built(&p);
    std::fs::remove_file(p.path().join("events/b.yaml")).unwrap();
    let run = p.run(&["plan"]);
    assert!(
        run.stdout
            .contains("script removed; the table stays in BigQuery until you drop it  untouched"),
        "{}",
        run.stdout
    );
    let bumped = format!("version: 2\n{}", INCREMENTAL.replace("number", "string"));
    let p = p.file("events/a.yaml", &bumped);
    let run = p.run(&["plan", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let table = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["event"] == "purchase")
        .unwrap()
        .clone();
    let impacts: Vec<&str> = table["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["impact"].as_str().unwrap())
        .collect();
    assert_eq!(impacts, ["rebuilt", "rebuilt"], "{table}");
    assert!(
        table["changes"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("rebuilds it in place"),
        "{table}"
    );
}

#[test]
fn check_after_a_target_change_names_the_target() {
    let p = TempProject::new()
        .file(
            "bqflat.yaml",
            &format!("{BASIC_PROJECT}targets: [bigquery, dbt]\n"),
        )
        .file("events/a.yaml", INCREMENTAL);
    built(&p);
    let p = p.file(
        "bqflat.yaml",
        &format!("{BASIC_PROJECT}targets: [bigquery]\n"),
    );
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("build/dbt/models/event_purchase_flat.sql is left from target `dbt`, which the project no longer builds"),
        "{}",
        run.stderr
    );
}

#[test]
fn discover_sql_takes_only_the_flags_it_uses() {
    let p = TempProject::new().file("bqflat.yaml", BASIC_PROJECT);
    let run = p.run(&["discover-sql", "--start-date", "2025-01-01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("DATE '2025-01-01'"), "{}", run.stdout);
    for flag in ["--mode", "--out", "--events", "--cluster-by"] {
        let run = p.run(&["discover-sql", flag, "x"]);
        assert_eq!(run.code, 1, "{flag}");
        assert!(
            run.stderr.contains("unexpected argument"),
            "{flag}: {}",
            run.stderr
        );
    }
}

#[test]
fn init_writes_the_schemas_its_files_name() {
    let p = TempProject::new();
    assert_eq!(p.run(&["init", "x"]).code, 0);
    let project = p.read("x/bqflat.yaml");
    assert!(
        project.starts_with("# yaml-language-server: $schema=schemas/bqflat.project.schema.json\n")
    );
    assert!(
        project.contains("cluster_by: [user_pseudo_id]"),
        "one event per table: {project}"
    );
    let purchase = p.read("x/events/purchase.yaml");
    assert!(purchase
        .starts_with("# yaml-language-server: $schema=../schemas/bqflat.event.schema.json\n"));
    assert!(
        purchase.contains("repeat on each of its item rows"),
        "{purchase}"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&p.read("x/schemas/bqflat.event.schema.json")).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/bqflat.event.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(schema, committed);
}

/// The shipped Airflow DAG, run by Python with stand-ins for Airflow's two classes: its tasks
/// follow run.sh's order, migrations included, then the data checks.
#[test]
fn the_airflow_dag_follows_run_sh() {
    let (p, _) = with_an_added_param();
    std::fs::copy(
        root().join("examples/ci/airflow_dag.py"),
        p.path().join("dag.py"),
    )
    .unwrap();
    let stub = r#"
import sys, types
tasks = []
class DAG:
    def __init__(self, *a, **k): pass
    def __enter__(self): return self
    def __exit__(self, *a): pass
class Op:
    def __init__(self, task_id, configuration): tasks.append(task_id); self.task_id = task_id; self.after = None
    def __rshift__(self, other): other.after = self.task_id; return other
airflow = types.ModuleType("airflow"); airflow.DAG = DAG
ops = types.ModuleType("airflow.providers.google.cloud.operators.bigquery"); ops.BigQueryInsertJobOperator = Op
sys.modules.update({"airflow": airflow, "airflow.providers.google.cloud.operators.bigquery": ops})
import dag
print(",".join(tasks))
"#;
    let out = std::process::Command::new("python3")
        .args(["-B", "-c", stub])
        .current_dir(p.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "setup,migrations__0002_event_purchase_flat,run,checks"
    );
}
