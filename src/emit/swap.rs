//! All-or-nothing replacement of the output folder. The new build is assembled in a staging
//! folder beside it (unchanged and foreign files hard-linked, so their inode and modification
//! time stay), then the two folders are exchanged in one atomic rename. A crash at any moment
//! leaves the folder as the old build or as the new one, never a mix. A lock on the parent folder
//! keeps two builds from interleaving.

use std::fs::File;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use walkdir::WalkDir;

use crate::diagnostics::{io_error, Diagnostic};

/// Held while a build writes: an exclusive lock on the output folder's parent.
pub(crate) struct Lock {
    _file: File,
}

/// Waits for any other bqflat build writing into the same parent folder, then locks it.
pub(crate) fn lock(out: &Utf8Path) -> Result<Lock, Diagnostic> {
    let parent = parent_of(out);
    std::fs::create_dir_all(&parent).map_err(|e| {
        Diagnostic::new(format!("cannot create {parent}: {e}")).hint(format!(
            "the output folder {out} goes inside {parent}: make that a writable folder (not a file), or pass `--out` another folder"
        ))
    })?;
    let file = File::open(&parent).map_err(|e| io_error(&parent, "open", &e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!("waiting for another bqflat build in {parent} to finish…");
            file.lock().map_err(|e| io_error(&parent, "lock", &e))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&parent, "lock", &e)),
    }
    // Every writing build, a build with nothing to change included, clears what killed builds
    // left beside the output; no other build is swapping while the lock is held.
    clean_leftovers(out);
    Ok(Lock { _file: file })
}

/// The new contents of the output folder: files written, files removed; everything else in the
/// folder (unchanged output, the user's own files) is carried over as it is.
pub(crate) struct Staged<'a> {
    pub writes: Vec<(&'a str, &'a [u8])>,
    pub removals: Vec<&'a str>,
}

/// Replaces `out` by its staged new state in one step. Needs the lock.
pub(crate) fn replace(out: &Utf8Path, staged: &Staged<'_>, _lock: &Lock) -> Result<(), Diagnostic> {
    let staging = sibling(out, &format!("staging-{}", std::process::id()));
    let result = assemble(out, &staging, staged).and_then(|()| exchange(out, &staging));
    // After the exchange the staging path holds the old build; before it, a partial new one.
    let _ = std::fs::remove_dir_all(&staging);
    result.map_err(|e| write_failed(out, &e))
}

/// The staging folder is bqflat's own business: a failure while writing it is reported as what
/// the user sees, their output folder not being written, with what to do about the cause.
fn write_failed(out: &Utf8Path, err: &io::Error) -> Diagnostic {
    let hint = match err.kind() {
        io::ErrorKind::ReadOnlyFilesystem => {
            "the disk holding it is read-only: remount it writable, or pass `--out` a folder on a writable disk"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            "free space on that disk (a build needs room for a second copy of the output folder), or pass `--out` a folder on another disk"
        }
        io::ErrorKind::PermissionDenied => {
            "make the output folder and the folder holding it writable (`chmod u+w`), or pass `--out` another folder"
        }
        _ => "check that the output folder and the folder holding it are writable and the disk has space, or pass `--out` another folder",
    };
    Diagnostic::new(format!(
        "cannot write the build into {out}: {err}; the previous build there is unchanged"
    ))
    .hint(hint)
}

fn assemble(out: &Utf8Path, staging: &Utf8Path, staged: &Staged<'_>) -> io::Result<()> {
    std::fs::create_dir_all(staging)?;
    if out.is_dir() {
        keep_mode_and_owner(out, staging)?;
        let replaced: std::collections::BTreeSet<&str> = staged
            .removals
            .iter()
            .copied()
            .chain(staged.writes.iter().map(|(p, _)| *p))
            .collect();
        let replaced = |rel: &str| replaced.contains(rel);
        for entry in WalkDir::new(out).min_depth(1).sort_by_file_name() {
            let entry = entry.map_err(io::Error::from)?;
            let path = Utf8Path::from_path(entry.path()).ok_or_else(|| {
                let shown = entry.path().display();
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{shown} is not a UTF-8 path"),
                )
            })?;
            let rel = path.strip_prefix(out).expect("walk stays inside out");
            let target = staging.join(rel);
            let kind = entry.file_type();
            if kind.is_dir() {
                std::fs::create_dir_all(&target)?;
                keep_mode_and_owner(path, &target)?;
            } else if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(path)?, &target)?;
            } else if !replaced(rel.as_str()) {
                carry_over(path, &target)?;
            }
        }
    }
    // Crash tests stop the process after this many staged writes.
    let crash_after: Option<usize> = std::env::var("BQFLAT_TEST_CRASH_AFTER_WRITES")
        .ok()
        .and_then(|n| n.parse().ok());
    for (written, (rel, bytes)) in staged.writes.iter().enumerate() {
        if crash_after == Some(written) {
            std::process::abort();
        }
        let target = staging.join(rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, bytes)?;
        File::open(&target)?.sync_all()?;
    }
    File::open(staging)?.sync_all()?;
    if crash_after == Some(staged.writes.len()) {
        std::process::abort();
    }
    Ok(())
}

/// A file that does not change: hard-linked (same inode and modification time), copied with its
/// modification time where links are not possible.
fn carry_over(from: &Utf8Path, to: &Utf8Path) -> io::Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)?;
    let modified = std::fs::metadata(from)?.modified()?;
    File::options().write(true).open(to)?.set_modified(modified)
}

/// Puts `staging` at `out`: an atomic exchange where the system offers one, two renames otherwise.
fn exchange(out: &Utf8Path, staging: &Utf8Path) -> io::Result<()> {
    if !out.exists() {
        return std::fs::rename(staging, out);
    }
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        let nul = || io::Error::new(io::ErrorKind::InvalidInput, "NUL in path");
        let a = CString::new(staging.as_str()).map_err(|_| nul())?;
        let b = CString::new(out.as_str()).map_err(|_| nul())?;
        // SAFETY: both arguments are valid NUL-terminated paths that live across the call.
        let done = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if done == 0 {
            return Ok(());
        }
    }
    // No atomic exchange (another system, or a file system without it): the old build moves
    // aside first, so for an instant `out` is missing but never half-written.
    let aside = sibling(out, &format!("old-{}", std::process::id()));
    std::fs::rename(out, &aside)?;
    if let Err(e) = std::fs::rename(staging, out) {
        // The old build goes back, so a failed build leaves it where it was.
        let _ = std::fs::rename(&aside, out);
        return Err(e);
    }
    std::fs::rename(&aside, staging)
}

/// A folder of the new build gets the mode of the one it replaces, and its owner where the
/// system allows (only a privileged user may give a folder away).
fn keep_mode_and_owner(from: &Utf8Path, to: &Utf8Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(from)?;
    std::fs::set_permissions(to, meta.permissions())?;
    let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    Ok(())
}

/// Staging folders of builds that were killed: `.OUT.bqflat-staging-PID` and
/// `.OUT.bqflat-old-PID`, nothing else.
fn clean_leftovers(out: &Utf8Path) {
    let prefix = format!(".{}.bqflat-", out.file_name().unwrap_or("out"));
    let ours = |name: &str| {
        let Some(rest) = name.strip_prefix(&prefix) else {
            return false;
        };
        let pid = rest
            .strip_prefix("staging-")
            .or_else(|| rest.strip_prefix("old-"));
        pid.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Ok(entries) = std::fs::read_dir(parent_of(out)) {
        for entry in entries.flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && ours(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn parent_of(out: &Utf8Path) -> Utf8PathBuf {
    match out.parent() {
        Some(p) if !p.as_str().is_empty() => p.to_owned(),
        _ => Utf8PathBuf::from("."),
    }
}

fn sibling(out: &Utf8Path, what: &str) -> Utf8PathBuf {
    parent_of(out).join(format!(
        ".{}.bqflat-{what}",
        out.file_name().unwrap_or("out")
    ))
}
