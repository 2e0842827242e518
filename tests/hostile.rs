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

/// Bytes and modification time of every file under `dir`, to show nothing there changed.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
    tree(dir)
        .into_iter()
        .map(|(rel, bytes)| {
            let modified = std::fs::metadata(dir.join(&rel))
                .unwrap()
                .modified()
                .unwrap();
            (rel, bytes, modified)
        })
        .collect()
}

fn first_script(p: &TempProject) -> String {
    let mut scripts: Vec<String> = std::fs::read_dir(p.path().join("build/bigquery"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    scripts.sort();
    format!("build/bigquery/{}", scripts[0])
}

fn assert_refused_link(run: &Run, link: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{link} is a symbolic link")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("remove the link (`rm ") && run.stderr.contains(&format!("{link}`)")),
        "{}",
        run.stderr
    );
}

#[test]
fn an_output_file_that_is_a_link_is_not_written_through() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("precious.sql"), "keep me\n").unwrap();
    let p = project();
    assert_eq!(p.run(&["build"]).code, 0);
    let script = first_script(&p);
    std::fs::remove_file(p.path().join(&script)).unwrap();
    std::os::unix::fs::symlink(outside.path().join("precious.sql"), p.path().join(&script))
        .unwrap();
    let before = snapshot(outside.path());
    for args in [&["build"][..], &["build", "--force"]] {
        let run = p.run(args);
        assert_refused_link(&run, &script);
        assert_eq!(snapshot(outside.path()), before);
    }
}

#[test]
fn an_output_subfolder_that_is_a_link_is_not_written_into() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("mine.txt"), "mine\n").unwrap();
    let p = project();
    std::fs::create_dir(p.path().join("build")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join("build/bigquery")).unwrap();
    let before = snapshot(outside.path());
    let run = p.run(&["build"]);
    assert_refused_link(&run, "build/bigquery");
    assert_eq!(snapshot(outside.path()), before);
}

#[test]
fn a_linked_manifest_is_not_rewritten() {
    let outside = tempfile::tempdir().unwrap();
    let p = project();
    assert_eq!(p.run(&["build"]).code, 0);
    let copy = outside.path().join("manifest.json");
    std::fs::copy(p.path().join("build/manifest.json"), &copy).unwrap();
    std::fs::remove_file(p.path().join("build/manifest.json")).unwrap();
    std::os::unix::fs::symlink(&copy, p.path().join("build/manifest.json")).unwrap();
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\nparams:\n  - key: value\n    type: int64\n",
    );
    let before = snapshot(outside.path());
    let run = p.run(&["build"]);
    assert_refused_link(&run, "build/manifest.json");
    assert_eq!(snapshot(outside.path()), before);
}

#[test]
fn an_output_folder_that_is_a_link_is_refused_and_kept() {
    let outside = tempfile::tempdir().unwrap();
    let p = project();
    assert_eq!(
        p.run(&["build", "--out", outside.path().to_str().unwrap()])
            .code,
        0
    );
    std::os::unix::fs::symlink(outside.path(), p.path().join("build")).unwrap();
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\nparams:\n  - key: value\n    type: int64\n",
    );
    let before = snapshot(outside.path());
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("build is a symbolic link; bqflat does not write through links"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("build`) and build again"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(outside.path()), before);
    let link = std::fs::symlink_metadata(p.path().join("build")).unwrap();
    assert!(link.file_type().is_symlink());
}

#[test]
fn a_spec_that_links_inside_the_project_is_read() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("shared/purchase.yaml", SPEC)
        .file("events/.keep", "");
    std::os::unix::fs::symlink(
        "../shared/purchase.yaml",
        p.path().join("events/purchase.yaml"),
    )
    .unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        p.path()
            .join("build/bigquery/event_purchase_flat.sql")
            .is_file(),
        "{}",
        run.stdout
    );
    // Run twice: the link keeps its table (it is not "removed" by the next build).
    let again = p.run(&["build"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stdout.contains("removed"), "{}", again.stdout);
}

#[test]
fn links_out_of_the_project_or_in_a_loop_are_errors_whatever_their_name() {
    for (name, target) in [
        ("passwd", "/etc/passwd"),
        ("loop", "loop"),
        ("loop.yaml", "loop.yaml"),
    ] {
        let p = project();
        std::os::unix::fs::symlink(target, p.path().join("events").join(name)).unwrap();
        let run = p.run(&["build"]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("events/{name}")),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("root:"), "{}", run.stderr);
    }
}

#[test]
fn a_project_file_that_links_out_of_the_project_is_not_quoted() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("secret.yaml");
    std::fs::write(&target, "password: [hunter2\n").unwrap();
    let p = TempProject::new().file("events/purchase.yaml", SPEC);
    std::os::unix::fs::symlink(&target, p.path().join("bqflat.yaml")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the project folder"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn broken_and_looping_spec_links_are_reported() {
    // Built here: such links cannot sit in the fixture tree, which the snapshot glob walks.
    let p = project();
    std::os::unix::fs::symlink("loop.yaml", p.path().join("events/loop.yaml")).unwrap();
    std::os::unix::fs::symlink("missing.yaml", p.path().join("events/gone.yaml")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn an_output_out_of_the_project_is_refused_at_once_and_out_still_goes_anywhere() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("project");
    std::fs::create_dir_all(dir.join("events")).unwrap();
    std::fs::write(
        dir.join("bqflat.yaml"),
        format!("{BASIC_PROJECT}output: ..\n"),
    )
    .unwrap();
    std::fs::write(dir.join("events/purchase.yaml"), SPEC).unwrap();
    let run = bqflat(&dir, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("bqflat.yaml:4:9"), "{}", run.stderr);
    assert!(run.stderr.len() < 1000, "{}", run.stderr);
    // Nothing was made beside the project.
    assert_eq!(std::fs::read_dir(outer.path()).unwrap().count(), 1);
    // The command line may write anywhere, even out of the project.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("out");
    let p = project();
    let run = p.run(&["build", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn every_build_removes_staging_leftovers_of_killed_builds() {
    use std::os::unix::fs::PermissionsExt;
    let p = project();
    assert_eq!(p.run(&["build"]).code, 0);
    // What a build killed right after its swap leaves: the old build, beside the output.
    let plant = || {
        for name in [".build.bqflat-staging-4242", ".build.bqflat-old-4243"] {
            copy_tree(&p.path().join("build"), &p.path().join(name));
        }
    };
    plant();
    // Not ours: kept.
    std::fs::create_dir(p.path().join(".build.bqflat-notes")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);
    assert!(!p.path().join(".build.bqflat-staging-4242").exists());
    assert!(!p.path().join(".build.bqflat-old-4243").exists());
    assert!(p.path().join(".build.bqflat-notes").is_dir());
    // A build that changes files removes them too, and keeps the output folder's mode.
    plant();
    std::fs::set_permissions(
        p.path().join("build"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let p = p.file(
        "events/purchase.yaml",
        "event: purchase\nparams:\n  - key: value\n    type: int64\n",
    );
    let run = p.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("changed"), "{}", run.stdout);
    assert!(!p.path().join(".build.bqflat-staging-4242").exists());
    let mode = std::fs::metadata(p.path().join("build"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn init_files_honour_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 022 && exec {} init new",
            env!("CARGO_BIN_EXE_bqflat")
        ))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in ["new/bqflat.yaml", "new/events/purchase.yaml"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{file}");
    }
}

#[test]
fn usage_errors_exit_1_and_help_and_version_exit_0() {
    let p = project();
    for args in [
        &["build", "--mode", "bogus"][..],
        &["build", "--target="],
        &["build", "--no-such-flag"],
        &["no-such-command"],
        &[],
        &["plan", "--detailed-exitcode", "--format", "yaml"],
    ] {
        let run = p.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("error:") || run.stderr.contains("Usage:"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = p.run(&["build", "--mode", "bogus"]);
    assert!(
        run.stderr.contains("invalid value 'bogus' for '--mode"),
        "{}",
        run.stderr
    );
    for args in [
        &["--help"][..],
        &["--version"],
        &["build", "--help"],
        &["-h"],
    ] {
        let run = p.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn nothing_invisible_sits_inside_a_literal() {
    let p = project().file(
        "events/purchase.yaml",
        "event: purchase\ndescription: \"paid \\u202eyrev\\u202c \\u200bok\"\nparams:\n  - key: \"va\\u2066lue\\u2069\"\n    as: value\n    type: float64\n",
    );
    let run = p.run(&["build", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.chars().any(|c| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(r"va\u2066lue\u2069"), "{}", run.stdout);
}

#[test]
fn a_hundred_thousand_nested_lists_are_refused_fast() {
    let p = project().file(
        "events/deep.yaml",
        &format!("event: deep\nlabels: {}\n", "[".repeat(100_000)),
    );
    let start = std::time::Instant::now();
    let run = p.run(&["build"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("more than 64 levels deep"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("events/deep.yaml:2:73"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_template_that_links_out_of_the_project_is_not_rendered() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("full.sql");
    std::fs::write(&secret, "SELECT FROM hunter2 WHERE;\n").unwrap();
    let p = project().file("templates/bigquery/.keep", "");
    std::os::unix::fs::symlink(&secret, p.path().join("templates/bigquery/full.sql")).unwrap();
    let run = p.run(&["build", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("links to a file outside the templates folder"),
        "{}",
        run.stderr
    );
    // The templates folder itself linking out of the project is refused too.
    let p = project();
    std::fs::create_dir(outside.path().join("bigquery")).unwrap();
    std::fs::rename(&secret, outside.path().join("bigquery/full.sql")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join("templates")).unwrap();
    let run = p.run(&["build", "--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("templates links to a folder outside the project folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_output_through_a_linked_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let p = project().file(
        "bqflat.yaml",
        &format!("{BASIC_PROJECT}output: gen/build\n"),
    );
    std::os::unix::fs::symlink(outside.path(), p.path().join("gen")).unwrap();
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("goes through the link"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bqflat.yaml:4:9"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn an_output_folder_moved_away_and_linked_back_is_refused_even_unchanged() {
    let outside = tempfile::tempdir().unwrap();
    let p = project();
    assert_eq!(p.run(&["build"]).code, 0);
    let moved = outside.path().join("build");
    std::fs::rename(p.path().join("build"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, p.path().join("build")).unwrap();
    // Nothing to change: the link is refused, not taken for an up-to-date build.
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("is a symbolic link"), "{}", run.stderr);
}
