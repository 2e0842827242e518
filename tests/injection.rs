//! Text a user controls never becomes a statement of its own in what bqflat writes: not from a
//! file name, not from any value in a spec or the project file, on any target; and a template
//! that prints text without a filter does not render.

mod common;

use common::{tree, TempProject, BASIC_PROJECT};

const PAYLOAD: &str = "x\nDROP TABLE x.y.z; --";

/// Every line of every file under `build/`, for the assertion below.
fn statement_lines(p: &TempProject) -> Vec<(String, String)> {
    let build = p.path().join("build");
    if !build.exists() {
        return Vec::new();
    }
    tree(&build)
        .into_iter()
        .flat_map(|(path, bytes)| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let path = path.display().to_string();
            text.lines()
                .map(|line| (path.clone(), line.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_no_injected_statement(p: &TempProject) {
    for (path, line) in statement_lines(p) {
        assert!(
            !line.trim_start().starts_with("DROP TABLE"),
            "{path} has an injected statement: {line:?}"
        );
    }
}

#[test]
fn a_spec_file_name_with_a_line_break_is_refused_naming_the_file() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/ok.yaml", "event: purchase\n")
        .file("events/a\nDROP TABLE x.y.z; --.yaml", "event: sign_up\n");
    let run = p.run(&["build", "--target", "bigquery,dbt,dataform"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("events/a?DROP TABLE x.y.z; --.yaml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rename the file"), "{}", run.stderr);
    // The error itself keeps the break out of the terminal and the CI log.
    assert!(!run.stderr.contains("\nDROP TABLE"), "{}", run.stderr);
    assert!(!p.path().join("build").exists());
}

#[test]
fn invisible_characters_in_a_spec_file_name_are_refused() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/pur\u{202e}chase.yaml", "event: purchase\n");
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("events/pur?chase.yaml"),
        "{}",
        run.stderr
    );
}

/// A line break and a statement in every free text a spec or the project file holds. Values the
/// validation refuses fail the build; the rest are built for every target, and no line of any
/// generated file starts the injected statement.
#[test]
fn a_line_break_and_a_statement_in_any_user_text_stays_inside_its_quotes() {
    let quoted = serde_json::to_string(PAYLOAD).unwrap();
    let texts: Vec<(&str, String, String)> = vec![
        (
            "description",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\ndescription: {quoted}\n"),
        ),
        (
            "param key",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nparams:\n  - {{key: {quoted}, as: p}}\n"),
        ),
        (
            "user property key",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nuser_properties:\n  - {{key: {quoted}, as: u}}\n"),
        ),
        (
            "item param key",
            BASIC_PROJECT.to_string(),
            format!(
                "event: purchase\nitems: explode\nitem_params:\n  - {{key: {quoted}, as: i}}\n"
            ),
        ),
        (
            "label value",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nlabels: {{team: {quoted}}}\n"),
        ),
        (
            "label key",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nlabels: {{{quoted}: x}}\n"),
        ),
        (
            "table name",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\ntable: {quoted}\n"),
        ),
        (
            "timezone",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\ntimezone: {quoted}\n"),
        ),
        (
            "lookback",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nmode: incremental\nlookback: {quoted}\n"),
        ),
        (
            "window start",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nwindow: {{start: {quoted}}}\n"),
        ),
        (
            "partition column",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\npartition_by: {quoted}\n"),
        ),
        (
            "column alias",
            BASIC_PROJECT.to_string(),
            format!("event: purchase\nparams:\n  - {{key: k, as: {quoted}}}\n"),
        ),
        (
            "project location",
            format!("{BASIC_PROJECT}location: {quoted}\n"),
            "event: purchase\n".to_string(),
        ),
        (
            "source dataset",
            format!("project: p\nsource_dataset: {quoted}\ntarget_dataset: t\n"),
            "event: purchase\n".to_string(),
        ),
        (
            "metadata table",
            format!("{BASIC_PROJECT}metadata: {{runs: {quoted}}}\n"),
            "event: purchase\n".to_string(),
        ),
    ];
    let mut built = Vec::new();
    for (what, project, spec) in &texts {
        let p = TempProject::new()
            .file("bqflat.yaml", project)
            .file("events/purchase.yaml", spec);
        let run = p.run(&["build", "--target", "bigquery,dbt,dataform"]);
        assert!(
            run.code == 0 || run.code == 1,
            "{what}: exit {}\n{}",
            run.code,
            run.stderr
        );
        if run.code == 0 {
            built.push(*what);
        } else {
            assert!(run.stderr.contains("error"), "{what}: {}", run.stderr);
        }
        assert_no_injected_statement(&p);
    }
    // The free texts are accepted (and quoted); the names are refused.
    for what in [
        "description",
        "param key",
        "user property key",
        "item param key",
    ] {
        assert!(built.contains(&what), "{what} was refused: built {built:?}");
    }
}

#[test]
fn a_project_template_that_prints_text_without_a_filter_does_not_render() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file(
            "events/purchase.yaml",
            &format!(
                "event: purchase\ndescription: {}\n",
                serde_json::to_string(PAYLOAD).unwrap()
            ),
        )
        .file(
            "templates/bigquery/full.sql",
            "-- {{ t.description }}\nSELECT 1;\n",
        );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("without a filter"), "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/bigquery/full.sql:1"),
        "{}",
        run.stderr
    );
    assert_no_injected_statement(&p);

    // Through `comment`, the same text stays on its comment line.
    let p = p.file(
        "templates/bigquery/full.sql",
        "-- {{ t.description|comment }}\nSELECT 1;\n",
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let script = p.read("build/bigquery/event_purchase_flat.sql");
    assert!(
        script.starts_with("-- x<U+000A>DROP TABLE x.y.z; --\nSELECT 1;"),
        "{script}"
    );
}
