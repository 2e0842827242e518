//! The fuzz target's path (spec bytes → load → validate → render → verify) over its seed corpus
//! and every regression input kept in `fuzz/regressions/`: nothing panics, and whatever compiles
//! renders every file. `scripts/fuzz.sh` explores further.

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
                    compiled.build.tables.len() + 1,
                    "{}",
                    path.display()
                );
            }
            inputs += 1;
        }
    }
    assert!(inputs >= 90, "the seed corpus is missing: {inputs} inputs");
}
