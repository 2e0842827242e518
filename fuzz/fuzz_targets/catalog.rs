//! catalog.json bytes → parse → a spec taking every key the catalog lists → validate → render →
//! verify. Any input may be rejected with diagnostics; none may panic, hang, or compile into SQL
//! that does not parse.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(compiled) = bqflat::compiler::compile_project_bytes(None, Some(data)) {
        // A file per table and target, each inside the output folder.
        assert!(compiled.artifacts.len() > compiled.build.tables.len());
        for artifact in &compiled.artifacts {
            assert!(camino::Utf8Path::new(&artifact.path)
                .components()
                .all(|c| matches!(c, camino::Utf8Component::Normal(_))));
        }
    }
});
