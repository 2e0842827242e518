//! Spec bytes → load → validate → render → verify. Any input may be rejected with diagnostics;
//! none may panic, hang, or compile into SQL that does not parse (compile parses every script).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(compiled) = bqflat::compiler::compile_spec_bytes(data) {
        // A compiled build always renders every file it names.
        assert_eq!(compiled.artifacts.len(), compiled.build.tables.len() + 3);
    }
});
