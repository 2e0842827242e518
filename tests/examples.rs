//! The shipped examples: their committed output is what a build produces today, and every YAML
//! file in them validates against the committed JSON schemas (checked by an independent validator).

mod common;

use std::path::Path;

use common::*;

/// Example folders and their project file: `bqflat.yaml`, or the original tool's `config.yaml`.
fn examples() -> Vec<(std::path::PathBuf, &'static str)> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let file = ["bqflat.yaml", "config.yaml"]
                .into_iter()
                .find(|f| p.join(f).is_file())?;
            Some((p, file))
        })
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    dirs
}

#[test]
fn committed_example_output_is_up_to_date() {
    for (example, file) in examples() {
        let work = tempfile::tempdir().unwrap();
        copy_tree(&example, work.path());
        let before = tree(&work.path().join("build"));
        assert!(
            !before.is_empty(),
            "{}: build/ is not committed",
            example.display()
        );
        // --force renders every file, so output that changed with the code is caught too.
        let run = bqflat(work.path(), &["build", "--force", "--config", file]);
        assert_eq!(run.code, 0, "{}: {}", example.display(), run.stderr);
        assert_eq!(
            tree(&work.path().join("build")),
            before,
            "{}: committed output is stale; run `cargo run -- build --config {}/{file}`",
            example.display(),
            example.display()
        );
        assert!(
            run.stdout.contains(" 0 created, 0 changed,"),
            "{}",
            run.stdout
        );
    }
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(schema_file)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("committed schema is a valid JSON schema")
}

fn yaml_as_json(path: &Path) -> serde_json::Value {
    let value: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn example_specs_validate_against_the_committed_schemas() {
    let project = validator("bqflat.project.schema.json");
    let event = validator("bqflat.event.schema.json");
    let mut checked = 0;
    for (example, file) in examples() {
        let value = yaml_as_json(&example.join(file));
        let errors: Vec<String> = project.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{}/{file}: {errors:?}",
            example.display()
        );
        let Ok(specs) = std::fs::read_dir(example.join("events")) else {
            continue;
        };
        for spec in specs {
            let path = spec.unwrap().path();
            let value = yaml_as_json(&path);
            let errors: Vec<String> = event.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 4);
}

#[test]
fn the_schemas_reject_what_the_compiler_rejects() {
    let event = validator("bqflat.event.schema.json");
    for bad in [
        serde_json::json!({"event": "purchase", "clustr_by": ["a"]}),
        serde_json::json!({"mode": "full"}),
        serde_json::json!({"event": "purchase", "mode": "streaming"}),
        serde_json::json!({"event": "purchase", "params": [{"key": "x", "type": "text"}]}),
    ] {
        assert!(!event.is_valid(&bad), "{bad}");
    }
}
