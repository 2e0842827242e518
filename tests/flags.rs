//! Every flag problem names the flag, instead of failing later at a spec or an internal path.

mod common;

use common::*;

fn project() -> TempProject {
    TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", "event: purchase\n")
}

fn assert_flag_error(args: &[&str], message: &str) {
    let p = project();
    let run = p.run(args);
    assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
    assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    assert!(!p.path().join("build").exists(), "{args:?}");
}

#[test]
fn a_table_template_that_is_a_path_names_the_flag() {
    assert_flag_error(
        &["build", "--table-template", "../{event}"],
        "error: event `purchase`: table name `../purchase` has an empty part: a leading, trailing or doubled dot (in --table-template)",
    );
    let p = project().file(
        "bqflat.yaml",
        &format!("{BASIC_PROJECT}table_template: \"a..{{event}}\"\n"),
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("bqflat.yaml:4:17"), "{}", run.stderr);
}

#[test]
fn empty_paths_and_empty_names_in_lists_are_usage_errors_naming_the_flag() {
    assert_flag_error(
        &["build", "--out", ""],
        "invalid value '' for '--out <OUT>': the path is empty",
    );
    assert_flag_error(
        &["build", "--config="],
        "invalid value '' for '--config <CONFIG>': the path is empty",
    );
    assert_flag_error(
        &["build", "--cluster-by", ","],
        "invalid value ',' for '--cluster-by <CLUSTER_BY>': \",\" has an empty column name",
    );
    assert_flag_error(
        &["build", "--cluster-by", "event_name,,platform"],
        "for '--cluster-by <CLUSTER_BY>'",
    );
    assert_flag_error(
        &["build", "--dedupe-key", ""],
        "invalid value '' for '--dedupe-key <DEDUPE_KEY>'",
    );
    let run = project().run(&["build", "--cluster-by", "event_name, platform"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_flag_error_names_each_event_it_breaks() {
    let p = project().file("events/level_up.yaml", "event: level_up\n");
    let run = p.run(&["build", "--cluster-by", "foo"]);
    assert_eq!(run.code, 1);
    for event in ["level_up", "purchase"] {
        assert!(
            run.stderr.contains(&format!(
                "error: event `{event}`: cannot cluster by `foo`: no such output column (in --cluster-by)"
            )),
            "{}",
            run.stderr
        );
    }
}
