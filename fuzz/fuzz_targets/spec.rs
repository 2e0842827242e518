//! Spec bytes → load → validate → render → verify. Any input may be rejected with diagnostics;
//! none may panic, hang, or compile into SQL that does not parse (compile parses every script).
#![no_main]

use bqflat::compiler::compile_project;
use bqflat::project::load::{parse_yaml, parse_yaml_bytes};
use bqflat::project::{Overrides, Project};
use bqflat::spec::{EventSpec, ProjectFile};
use camino::Utf8Path;
use libfuzzer_sys::fuzz_target;

const PROJECT: &str = "project: my-gcp-project\nsource_dataset: raw_events\ntarget_dataset: analytics_flat\n";

fuzz_target!(|data: &[u8]| {
    let file = parse_yaml(Utf8Path::new("bqflat.yaml"), PROJECT.to_string(), Some(ProjectFile::default()), "")
        .expect("the fixed project file parses");
    let Ok(spec) = parse_yaml_bytes::<EventSpec>(Utf8Path::new("events/fuzz.yaml"), data.to_vec(), None, "") else {
        return;
    };
    let project = Project { dir: ".".into(), file: Some(file), specs: vec![spec], templates: None };
    if let Ok(compiled) = compile_project(&project, &Overrides::default(), "build".into(), None) {
        // Diagnostics aside, a compiled build always renders every file it names.
        assert_eq!(compiled.artifacts.len(), compiled.build.tables.len() + 1);
    }
});
