//! Hostile files, links and paths: nothing is written where it does not belong, nothing outside
//! the project is quoted, nothing is skipped silently.

mod common;

use common::*;

const SPEC: &str = "event: purchase\nparams:\n  - key: value\n    type: float64\n";

fn project() -> TempProject {
    TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", SPEC)
}

#[test]
fn a_catalog_outside_the_project_is_refused_without_quoting_it() {
    let secret = "BQFLAT_TEST_SECRET=do-not-print-me";
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("passwd");
    std::fs::write(&target, format!("{secret}\nroot:x:0:0\n")).unwrap();
    for catalog in [target.to_str().unwrap(), "/proc/self/environ", "../passwd"] {
        let p = project().file(
            "bqflat.yaml",
            &format!("{BASIC_PROJECT}catalog: {catalog}\n"),
        );
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_bqflat"))
            .args(["build"])
            .current_dir(p.path())
            .env("BQFLAT_TEST_SECRET", "do-not-print-me")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{catalog}: {stderr}");
        assert!(!stderr.contains("do-not-print-me"), "{catalog}: {stderr}");
        assert!(stderr.contains("is outside the project folder"), "{stderr}");
        assert!(stderr.contains("bqflat.yaml:4:10"), "{stderr}");
    }
    // A link inside the project to a file outside it is refused the same way.
    let p = project();
    std::os::unix::fs::symlink(&target, p.path().join("catalog.json")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("do-not-print-me"), "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the project folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_catalog_that_is_not_json_is_not_quoted() {
    let p = project().file("catalog.json", "SECRET=1\0OTHER=2\0");
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not a bqflat catalog"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}
