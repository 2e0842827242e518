//! Plans between two states of a project: each fixture under `fixtures/plans/` holds a `before`
//! and an `after` project. `before` is built, `after` replaces its specs, and the text, markdown
//! and JSON plans, the exit codes and what `build` then does are pinned.

mod common;

use std::path::Path;

use common::*;

fn copy_project(from: &Path, to: &Path) {
    // The new state replaces the specs and the project file; the output folder stays.
    let _ = std::fs::remove_dir_all(to.join("events"));
    copy_tree(from, to);
}

#[test]
fn plans_between_two_project_states() {
    insta::glob!("fixtures/plans/*/before/bqflat.yaml", |path| {
        let fixture = path.parent().unwrap().parent().unwrap();
        let work = tempfile::tempdir().unwrap();
        copy_project(&fixture.join("before"), work.path());
        let built = bqflat(work.path(), &["build"]);
        assert_eq!(built.code, 0, "{}", built.stderr);
        copy_project(&fixture.join("after"), work.path());

        let text = bqflat(work.path(), &["plan"]);
        let markdown = bqflat(work.path(), &["plan", "--format", "markdown"]);
        let json = bqflat(
            work.path(),
            &["plan", "--format", "json", "--detailed-exitcode"],
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&json.stdout).expect("the JSON plan parses");
        let expected_code = match (parsed["changes"].as_bool().unwrap(), text.code) {
            (_, 1) => 1,
            (true, _) => 2,
            (false, _) => 0,
        };
        assert_eq!(json.code, expected_code, "--detailed-exitcode");
        assert_eq!(markdown.code, text.code);
        let build = bqflat(work.path(), &["build"]);
        let report = format!(
            "== plan (exit {}) ==\n{}{}\n== markdown ==\n{}\n== json (exit {}) ==\n{}\n== build (exit {}) ==\n{}{}",
            text.code, text.stdout, text.stderr, markdown.stdout, json.code, json.stdout, build.code, build.stdout, build.stderr
        );
        insta::assert_snapshot!(report);
        if build.code == 0 {
            let again = bqflat(work.path(), &["plan", "--detailed-exitcode"]);
            assert_eq!(
                again.code, 0,
                "after building, the plan is empty:\n{}",
                again.stdout
            );
            assert_eq!(bqflat(work.path(), &["check"]).code, 0);
        }
    });
}

#[test]
fn allow_breaking_emits_a_rebuild_migration() {
    let fixture = root().join("tests/fixtures/plans/breaking_retype");
    let work = tempfile::tempdir().unwrap();
    copy_project(&fixture.join("before"), work.path());
    assert_eq!(bqflat(work.path(), &["build"]).code, 0);
    copy_project(&fixture.join("after"), work.path());
    let refused = bqflat(work.path(), &["build"]);
    assert_eq!(refused.code, 1);
    let run = bqflat(work.path(), &["build", "--allow-breaking"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let migration = std::fs::read_to_string(
        work.path()
            .join("build/bigquery/migrations/0002_event_page_view_flat.sql"),
    )
    .unwrap();
    assert!(
        migration.contains(
            "CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.event_page_view_flat`"
        ),
        "{migration}"
    );
    assert!(
        migration.contains("ga_session_id STRING") || migration.contains("AS ga_session_id"),
        "{migration}"
    );
    // The migration stays through later builds until the user deletes it.
    let later = bqflat(work.path(), &["build"]);
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert!(work
        .path()
        .join("build/bigquery/migrations/0002_event_page_view_flat.sql")
        .exists());
    std::fs::remove_file(
        work.path()
            .join("build/bigquery/migrations/0002_event_page_view_flat.sql"),
    )
    .unwrap();
    assert_eq!(bqflat(work.path(), &["build"]).code, 0);
    assert_eq!(bqflat(work.path(), &["check"]).code, 0);
}

#[test]
fn plan_against_a_git_revision() {
    let work = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(work.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(work.path().join("bqflat.yaml"), BASIC_PROJECT).unwrap();
    std::fs::create_dir_all(work.path().join("events")).unwrap();
    std::fs::write(work.path().join("events/a.yaml"), "event: purchase\n").unwrap();
    assert_eq!(bqflat(work.path(), &["build"]).code, 0);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "first"]);
    std::fs::write(
        work.path().join("events/a.yaml"),
        "event: purchase\nparams: [{key: coupon}]\n",
    )
    .unwrap();
    assert_eq!(bqflat(work.path(), &["build"]).code, 0);

    let against_disk = bqflat(work.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(
        against_disk.code, 0,
        "the folder on disk is current:\n{}",
        against_disk.stdout
    );
    let against_main = bqflat(
        work.path(),
        &["plan", "--against", "main", "--detailed-exitcode"],
    );
    assert_eq!(
        against_main.code, 2,
        "{}{}",
        against_main.stdout, against_main.stderr
    );
    assert!(
        against_main.stdout.contains("column `coupon` STRING added"),
        "{}",
        against_main.stdout
    );
    let bad = bqflat(work.path(), &["plan", "--against", "no-such-branch"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("unknown git revision `no-such-branch`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn plan_warns_about_hand_edited_output() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    let p = p.file(
        "build/bigquery/event_purchase_flat.sql",
        "-- patched in place\n",
    );
    let run = p.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the build would restore the file: a change");
    assert!(
        run.stdout.contains(
            "warning: bigquery/event_purchase_flat.sql was edited by hand since the last build"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("--- a/bigquery/event_purchase_flat.sql"),
        "{}",
        run.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&p.run(&["plan", "--format", "json"]).stdout).unwrap();
    assert_eq!(
        json["edited_by_hand"][0],
        "bigquery/event_purchase_flat.sql"
    );
}

#[test]
fn plan_on_a_stale_output_folder_lists_what_build_would_write() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/a.yaml", "event: purchase\n");
    let run = p.run(&["plan", "--detailed-exitcode", "--format", "json"]);
    assert_eq!(run.code, 2);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["summary"]["add"], 1);
    // _setup.sql, _run.sql, run.sh, _checks.sql, the table's script and tables.md.
    assert_eq!(json["files"].as_array().unwrap().len(), 6);
    // Without a previous build, the estimate starts from nothing.
    assert_eq!(json["cost"]["run"]["before"], 0);
    assert!(json["cost"]["run"]["after"].as_u64().unwrap() > 0);
    assert!(!p.path().join("build").exists(), "plan writes nothing");
}
