//! Files and disks that do not behave. A disk that refuses writes: the build fails with exit 1,
//! names the user's output folder (not bqflat's staging folder) with a fix, and leaves the
//! previous build as it was. A spec path that is not a regular file is reported.

mod common;

use std::process::Command;

use common::*;

fn built() -> TempProject {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", "event: purchase\n");
    assert_eq!(p.run(&["build"]).code, 0);
    p.file(
        "events/purchase.yaml",
        "event: purchase\nmode: incremental\n",
    )
}

fn assert_names_the_output_folder(run: &Run) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write the build into ./build: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the previous build there is unchanged"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("staging"), "{}", run.stderr);
    assert!(run.stderr.contains("or pass `--out`"), "{}", run.stderr);
}

/// A full disk, as a file size limit of 0: every write of a non-empty file fails (EFBIG) like
/// on a full disk (ENOSPC), and it stops root too, which file modes do not. SIGXFSZ is ignored
/// (inherited across exec) so the write fails instead of killing the process.
#[test]
fn a_full_disk_names_the_output_folder_and_keeps_the_previous_build() {
    let p = built();
    let before = tree(&p.path().join("build"));
    let script = format!(
        "trap '' XFSZ; ulimit -f 0; exec '{}' build",
        env!("CARGO_BIN_EXE_bqflat")
    );
    let run: Run = Command::new("sh")
        .args(["-c", &script])
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
        .into();
    assert_names_the_output_folder(&run);
    assert!(
        run.stderr.contains("free space on that disk"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&p.path().join("build")), before);
}

/// A read-only project folder. Root writes through file modes, so there the check cannot be
/// made this way; the full-disk test above covers the same path for every user.
#[test]
fn a_read_only_folder_names_the_output_folder_and_keeps_the_previous_build() {
    use std::os::unix::fs::PermissionsExt;
    let p = built();
    let before = tree(&p.path().join("build"));
    let mode = |m: u32| std::fs::set_permissions(p.path(), std::fs::Permissions::from_mode(m));
    mode(0o555).unwrap();
    let privileged = std::fs::write(p.path().join("probe"), "").is_ok();
    let run = p.run(&["build"]);
    mode(0o755).unwrap();
    if privileged {
        eprintln!("skipped: file modes do not stop this user's writes");
        return;
    }
    assert_names_the_output_folder(&run);
    assert!(run.stderr.contains("`chmod u+w`"), "{}", run.stderr);
    assert_eq!(tree(&p.path().join("build")), before);
}

#[test]
fn an_output_folder_under_a_file_names_it_with_a_fix() {
    let p = built().file("notes.txt", "mine\n");
    let run = p.run(&["build", "--out", "notes.txt/build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the output folder notes.txt/build goes inside notes.txt: make that a writable folder (not a file)"),
        "{}",
        run.stderr
    );
    assert_eq!(p.read("notes.txt"), "mine\n");
}

/// A pipe named like a spec is reported, not read (it would block) and not left out silently.
#[test]
fn a_pipe_named_like_a_spec_is_reported() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("events/purchase.yaml", "event: purchase\n");
    let fifo = p.path().join("events/refund.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let run = p.run(&["build"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("refund.yaml is not a regular file, so it is not read as a spec"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_config_that_is_a_folder_says_so() {
    let p = TempProject::new()
        .file("bqflat.yaml", BASIC_PROJECT)
        .file("conf/x.txt", "");
    let run = p.run(&["build", "--config", "conf"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("config file conf is a folder, not a file"),
        "{}",
        run.stderr
    );
}
