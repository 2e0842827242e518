//! One fixture project per behaviour. `fixtures/projects/*` must build: the snapshot is every
//! generated file. `fixtures/errors/*` must fail: the snapshot is the exact error report, and the
//! output folder must stay untouched.

mod common;

use std::path::Path;

use common::*;

fn fixture_name(project_file: &Path) -> String {
    let dir = project_file.parent().unwrap();
    let kind = dir
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    format!("{kind}/{}", dir.file_name().unwrap().to_string_lossy())
}

#[test]
fn projects_render() {
    insta::glob!("fixtures/projects/*/bqflat.yaml", |path| {
        let name = fixture_name(path);
        let run = bqflat(
            &root().join("tests/fixtures"),
            &["build", &name, "--dry-run"],
        );
        assert_eq!(run.code, 0, "{name} failed:\n{}", run.stderr);
        insta::assert_snapshot!(run.stdout);
    });
}

#[test]
fn projects_render_identically_twice() {
    insta::glob!("fixtures/projects/*/bqflat.yaml", |path| {
        let name = fixture_name(path);
        let first = bqflat(
            &root().join("tests/fixtures"),
            &["build", &name, "--dry-run"],
        );
        let second = bqflat(
            &root().join("tests/fixtures"),
            &["build", &name, "--dry-run"],
        );
        assert_eq!(first.stdout, second.stdout, "{name}");
    });
}

#[test]
fn errors_are_reported() {
    insta::glob!("fixtures/errors/*/bqflat.yaml", |path| {
        let name = fixture_name(path);
        let out = tempfile::tempdir().unwrap();
        let out_arg = out.path().join("build");
        let run = bqflat(
            &root().join("tests/fixtures"),
            &["build", &name, "--out", out_arg.to_str().unwrap()],
        );
        assert_eq!(run.code, 1, "{name} should fail:\n{}", run.stdout);
        assert!(run.stdout.is_empty(), "{name} printed {}", run.stdout);
        assert!(!out_arg.exists(), "{name} wrote output despite errors");
        // Every error names where it is and what to do.
        for report in run
            .stderr
            .split("\nerror: ")
            .filter(|r| !r.trim().is_empty())
        {
            assert!(
                report.contains("  --> "),
                "{name}: an error without a location:\n{report}"
            );
            assert!(
                report.contains("  = help: "),
                "{name}: an error without a fix:\n{report}"
            );
        }
        insta::assert_snapshot!(run.stderr);
    });
}
