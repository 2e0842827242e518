//! Writing a build to the output folder. Every check happens before the first write, so a
//! refused build changes nothing; each file is written atomically (temporary file, then rename);
//! unchanged files are left alone; only files the previous manifest lists are ever deleted.

pub(crate) mod manifest;
pub(crate) mod swap;

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{io_error, Diagnostic, Diagnostics, Location};
use crate::model::Table;
use crate::render::Artifact;
pub(crate) use manifest::Manifest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Created,
    Changed,
    Unchanged,
    Removed,
}

impl Status {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::Removed => "removed",
        }
    }
}

/// What a build did to one file.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub path: String,
    pub status: Status,
    pub table: Option<usize>,
}

/// The previous build's manifest in `out`, if there is one.
pub(crate) fn read_manifest(out: &Utf8Path) -> Result<Option<Manifest>, Diagnostic> {
    let path = out.join(manifest::FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, "read", &e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Diagnostic::new(format!("{path} is not a bqflat manifest: {e}"))
            .at(Location::new(&path, e.line().max(1), e.column().max(1)))
            .hint("restore it from version control, or delete the output folder to start afresh")
    })
}

/// How the output folder differs from what a build would write. Nothing is written to compute it.
#[derive(Debug)]
pub(crate) struct Comparison {
    /// One per generated file, in order, then one per file the previous build wrote that is no
    /// longer made.
    pub outcomes: Vec<Outcome>,
    /// Files that may not be replaced or deleted without `--force`, and why.
    pub foreign: Vec<(Utf8PathBuf, &'static str)>,
    pub manifest: Manifest,
    /// Whether the manifest itself would change, its input digest aside.
    pub manifest_changed: bool,
    /// Whether the input digest differs from the previous build's.
    pub digest_changed: bool,
}

impl Comparison {
    /// Whether writing the build would change any file, the manifest included.
    pub(crate) fn is_stale(&self) -> bool {
        self.outcomes.iter().any(|o| o.status != Status::Unchanged) || self.manifest_changed
    }
}

/// Compares `artifacts` with the files in `out` and the previous manifest.
pub(crate) fn compare(
    out: &Utf8Path,
    previous: Option<&Manifest>,
    artifacts: &[Artifact],
    kept: &[manifest::Entry],
    tables: &[Table],
    inputs: Option<&str>,
) -> Result<Comparison, Diagnostics> {
    let known = previous.map(Manifest::hashes).unwrap_or_default();
    let mut diagnostics = Diagnostics::default();
    let mut outcomes = Vec::new();
    let mut foreign = Vec::new();

    for artifact in artifacts {
        let path = out.join(&artifact.path);
        if artifact.reused.is_some() {
            outcomes.push(Outcome {
                path: artifact.path.clone(),
                status: Status::Unchanged,
                table: artifact.table,
            });
            continue;
        }
        let status = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Status::Created,
            Err(e) => {
                diagnostics.push(io_error(&path, "read", &e));
                continue;
            }
            Ok(bytes) if bytes == artifact.contents.as_bytes() => Status::Unchanged,
            Ok(bytes) => {
                if let Some(problem) =
                    foreign_edit(&bytes, known.get(artifact.path.as_str()).copied())
                {
                    foreign.push((path, problem));
                }
                Status::Changed
            }
        };
        outcomes.push(Outcome {
            path: artifact.path.clone(),
            status,
            table: artifact.table,
        });
    }

    let made: std::collections::BTreeSet<&str> = artifacts
        .iter()
        .map(|a| a.path.as_str())
        .chain(kept.iter().map(|e| e.path.as_str()))
        .collect();
    for (old, hash) in &known {
        if made.contains(old) {
            continue;
        }
        let path = out.join(old);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => diagnostics.push(io_error(&path, "read", &e)),
            Ok(bytes) => {
                if let Some(problem) = foreign_edit(&bytes, Some(hash)) {
                    foreign.push((path, problem));
                }
                outcomes.push(Outcome {
                    path: old.to_string(),
                    status: Status::Removed,
                    table: None,
                });
            }
        }
    }
    let manifest = Manifest::new(artifacts, kept, tables, previous, inputs);
    // A new input digest alone is not a stale output: the files are what the inputs make.
    let digest_changed = previous.is_none_or(|p| p.inputs != manifest.inputs);
    let manifest_changed = previous.is_none_or(|p| {
        let m = &manifest;
        (&p.bqflat_version, p.build, &p.outputs, &p.artifacts)
            != (&m.bqflat_version, m.build, &m.outputs, &m.artifacts)
    });
    diagnostics.into_result(Comparison {
        outcomes,
        foreign,
        manifest,
        manifest_changed,
        digest_changed,
    })
}

/// What a build writes, and what a selective build leaves as the previous build wrote it.
#[derive(Clone, Copy)]
pub(crate) struct Files<'a> {
    pub artifacts: &'a [Artifact],
    pub kept: &'a [manifest::Entry],
}

/// Writes `artifacts` and their manifest into `out`. Files edited since the last build (their hash
/// differs from the manifest) and files bqflat did not write are refused unless `force`.
pub(crate) fn emit(
    out: &Utf8Path,
    previous: Option<&Manifest>,
    files: Files<'_>,
    tables: &[Table],
    inputs: Option<&str>,
    force: bool,
    lock: &swap::Lock,
) -> Result<Vec<Outcome>, Diagnostics> {
    let Files { artifacts, kept } = files;
    let written = artifacts.iter().map(|a| a.path.as_str());
    let known = previous.map(Manifest::hashes).unwrap_or_default();
    let removed = known.keys().map(|p| &**p);
    links(
        out,
        written
            .chain(removed)
            .chain(std::iter::once(manifest::FILE)),
    )?;
    let comparison = compare(out, previous, artifacts, kept, tables, inputs)?;
    if !force && !comparison.foreign.is_empty() {
        return Err(Diagnostics(
            comparison
                .foreign
                .iter()
                .map(|(path, problem)| refusal(path, problem))
                .collect(),
        ));
    }
    if !comparison.is_stale() && !comparison.digest_changed {
        return Ok(comparison.outcomes);
    }
    // The first outcomes are the artifacts' own, in order; the rest are removals.
    let (made, removed) = comparison.outcomes.split_at(artifacts.len());
    let manifest = comparison.manifest.to_json();
    let mut writes: Vec<(&str, &[u8])> = artifacts
        .iter()
        .zip(made)
        .filter(|(_, outcome)| outcome.status != Status::Unchanged)
        .map(|(artifact, _)| (artifact.path.as_str(), artifact.contents.as_bytes()))
        .collect();
    writes.push((manifest::FILE, manifest.as_bytes()));
    let removals = removed.iter().map(|o| o.path.as_str()).collect();
    swap::replace(out, &swap::Staged { writes, removals }, lock)?;
    Ok(comparison.outcomes)
}

/// Refuses a build that would write or delete through a symbolic link: the output folder itself,
/// a folder inside it, or a file bqflat writes or deletes (even with `--force`). Following the link
/// would change files outside the output folder.
pub(crate) fn links<'a>(
    out: &Utf8Path,
    paths: impl Iterator<Item = &'a str>,
) -> Result<(), Diagnostics> {
    let is_link =
        |path: &Utf8Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(out) {
        return Err(Diagnostic::new(format!(
            "the output folder {out} is a symbolic link; bqflat does not write through links"
        ))
        .at(Location::file(out))
        .hint(format!(
            "remove the link (`rm {out}`) and build again, or pass the folder it points to with --out"
        ))
        .into());
    }
    let mut found = std::collections::BTreeSet::new();
    for rel in paths {
        let mut at = out.to_owned();
        for part in Utf8Path::new(rel).components() {
            at.push(part);
            if is_link(&at) {
                found.insert(at);
                break;
            }
        }
    }
    let diagnostics = found.into_iter().map(|path| {
        Diagnostic::new(format!(
            "{path} is a symbolic link; bqflat does not write through links, not even with --force"
        ))
        .at(Location::file(&path))
        .hint(format!("remove the link (`rm {path}`) and build again"))
    });
    Diagnostics(diagnostics.collect()).into_result(())
}

/// Why a file on disk may not be replaced: edited since bqflat wrote it, or never written by it.
fn foreign_edit(on_disk: &[u8], recorded: Option<&str>) -> Option<&'static str> {
    match recorded {
        Some(hash) if manifest::sha256(on_disk) == hash => None,
        Some(_) => Some("was edited by hand since the last build"),
        None => Some("exists but was not written by bqflat"),
    }
}

fn refusal(path: &Utf8Path, problem: &str) -> Diagnostic {
    Diagnostic::new(format!("{path} {problem}; not overwriting it"))
        .at(Location::file(path))
        .hint("move your changes into the spec or a template override, then rerun with --force to replace the file")
}

/// Writes through a temporary file in the same folder and renames it over `path`, so readers see
/// the old file or the new one, never a part.
pub(crate) fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create", &e))?;
    // 0666 less the umask, as any file a program creates (a temporary file alone would be 0600).
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut file = tempfile::Builder::new()
        .prefix(".bqflat-")
        .permissions(mode)
        .tempfile_in(dir)
        .map_err(|e| io_error(dir, "write in", &e))?;
    file.write_all(bytes)
        .map_err(|e| io_error(path, "write", &e))?;
    file.as_file()
        .sync_all()
        .map_err(|e| io_error(path, "write", &e))?;
    file.persist(path)
        .map_err(|e| io_error(path, "write", &e.error))?;
    Ok(())
}
