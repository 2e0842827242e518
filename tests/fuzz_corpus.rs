//! The fuzz target's path (spec bytes → load → validate → render → verify) over its seed corpus
//! and every regression input kept in `fuzz/regressions/`: nothing panics, and whatever compiles
//! renders every file (one per table, `_setup.sql`, `_run.sql` and `tables.md`); the same for the bqflat.yaml and catalog.json corpora. `scripts/fuzz.sh`
//! explores further.

mod common;

use common::root;

#[test]
fn fuzz_corpus_and_regressions_compile_or_fail_cleanly() {
    let mut inputs = 0;
    for dir in ["fuzz/corpus/spec", "fuzz/regressions"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(compiled) = bqflat::compiler::compile_spec_bytes(&bytes) {
                assert_eq!(
                    compiled.artifacts.len(),
                    compiled.build.tables.len() + 5,
                    "{}",
                    path.display()
                );
            }
            inputs += 1;
        }
    }
    assert!(inputs >= 90, "the seed corpus is missing: {inputs} inputs");
}

/// Whatever the project file or catalog says, a build writes a file per table and target, and
/// only inside its output folder.
fn assert_contained(compiled: &bqflat::compiler::Compiled, input: &std::path::Path) {
    assert!(
        compiled.artifacts.len() > compiled.build.tables.len(),
        "{}",
        input.display()
    );
    for artifact in &compiled.artifacts {
        let path = camino::Utf8Path::new(&artifact.path);
        assert!(
            path.components()
                .all(|c| matches!(c, camino::Utf8Component::Normal(_))),
            "{}: {}",
            input.display(),
            artifact.path
        );
    }
}

/// Every file of `dir` (relative to the crate), as bytes.
fn inputs(dir: &str) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join(dir)).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        found.push((path, bytes));
    }
    found
}

#[test]
fn project_file_corpus_compiles_or_fails_cleanly() {
    let corpus = inputs("fuzz/corpus/project");
    assert!(corpus.len() >= 100, "the seed corpus is missing");
    let mut compiled_any = false;
    for (path, bytes) in corpus {
        if let Ok(compiled) = bqflat::compiler::compile_project_bytes(Some(&bytes), None) {
            assert_contained(&compiled, &path);
            compiled_any = true;
        }
    }
    assert!(compiled_any, "no project file of the corpus compiles");
}

#[test]
fn catalog_corpus_compiles_or_fails_cleanly() {
    let corpus = inputs("fuzz/corpus/catalog");
    assert!(corpus.len() >= 8, "the seed corpus is missing");
    let mut compiled_any = false;
    for (path, bytes) in corpus {
        if let Ok(compiled) = bqflat::compiler::compile_project_bytes(None, Some(&bytes)) {
            assert_contained(&compiled, &path);
            compiled_any = true;
        }
    }
    assert!(compiled_any, "no catalog of the corpus compiles");
}
