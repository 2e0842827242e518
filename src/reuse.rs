//! Doing no more work than the inputs require. A build whose inputs match the previous one's
//! stops before parsing anything; a table whose inputs match keeps its file unrendered. Every
//! digest those decisions compare is made here, so what counts as "the same inputs" is decided
//! in one place.

use camino::{Utf8Path, Utf8PathBuf};

use crate::compiler::Inputs;
use crate::diagnostics::Diagnostics;
use crate::load::{Overrides, Project};
use crate::model::Build;
use crate::plan::Previous;

/// A sha256 over the parts, each length-prefixed so no two lists hash alike.
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    fingerprint_bytes(&bytes)
}

/// [`fingerprint`] over bytes.
pub(crate) fn fingerprint_bytes(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digests of a build's inputs and the output folder it writes.
pub(crate) struct Digests {
    /// Of everything the whole project's build reads.
    pub whole: String,
    /// When `--events` picks some of the project's events: of the same inputs with that pick.
    pub selective: Option<String>,
    pub out: Utf8PathBuf,
}

/// A digest of everything a build of `inputs` reads: the bqflat version, the flags, the project
/// file, every spec, the templates and the catalog, as bytes; and the output folder. `None` when
/// something cannot be read (the build then runs in full and reports it). Reading and hashing is
/// far cheaper than parsing, so a build whose digest matches the previous one can stop here.
pub(crate) fn input_digest(inputs: &Inputs) -> Option<Digests> {
    use crate::load::{self, within, PROJECT_FILE, TEMPLATES_DIR};
    let dir = &inputs.dir;
    // Paths relative to the project, so where bqflat runs from does not change the digest.
    let relative = |path: &Utf8Path| path.strip_prefix(dir).unwrap_or(path).to_string();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let project_file = inputs
        .config
        .clone()
        .or_else(|| load::default_project_file(dir));
    let mut settings = crate::spec::ProjectFile::default();
    if let Some(path) = project_file {
        let bytes = std::fs::read(&path).ok()?;
        settings = serde_yaml::from_slice(&bytes).unwrap_or_default();
        files.push((PROJECT_FILE.to_string(), bytes));
    }
    let catalog = load::catalog_path(dir, settings.catalog.as_deref());
    if settings.catalog.as_deref().is_some_and(load::escapes) {
        // Refused by the full build; never read here.
        return None;
    }
    if catalog.is_file() {
        files.push((relative(&catalog), std::fs::read(&catalog).ok()?));
    }
    let mut problems = Diagnostics::default();
    let specs = load::spec_paths(dir, &mut problems);
    for path in &specs {
        let bytes = std::fs::read(path).ok()?;
        files.push((relative(path), bytes));
    }
    if !problems.is_empty() {
        return None;
    }
    if settings
        .output
        .as_deref()
        .is_some_and(|o| load::output_problem(dir, o).is_some())
    {
        // Refused by the full build.
        return None;
    }
    // The output folder as the scripts' headers name it.
    let out =
        crate::compiler::output_folder_of(dir, inputs.out.as_ref(), settings.output.as_deref());
    // `--events` picks among the project's events unless the project has none (the seed's flags
    // alone), when it is the project's list (as `resolve` reads it).
    let picking =
        inputs.overrides.events.is_some() && !(specs.is_empty() && settings.events.is_empty());
    let templates = Some(within(dir, TEMPLATES_DIR)).filter(|p| p.is_dir());
    let fingerprint = templates_fingerprint(templates.as_deref());
    let digest = |overrides: &Overrides| {
        let context = format!(
            "{}\n{:?}\n{}",
            crate::BQFLAT_VERSION,
            overrides,
            crate::compiler::run_prefix(dir, &out)
        );
        let mut parts: Vec<&[u8]> = vec![context.as_bytes(), fingerprint.as_bytes()];
        for (path, bytes) in &files {
            parts.push(path.as_bytes());
            parts.push(bytes);
        }
        fingerprint_bytes(&parts)
    };
    Some(Digests {
        whole: digest(&whole_project(&inputs.overrides, picking)),
        selective: picking.then(|| digest(&inputs.overrides)),
        out,
    })
}

/// The flags of the whole project's build: those of a build that picks events by `--events`,
/// without the pick.
fn whole_project(overrides: &Overrides, picking: bool) -> Overrides {
    Overrides {
        events: overrides.events.clone().filter(|_| !picking),
        ..overrides.clone()
    }
}

/// Per table, a digest of the text its model is resolved from: the project file, the flags, the
/// output prefix, the catalog and the table's spec (or, for an event built from defaults, its
/// name). Hashing text is far cheaper than serializing each resolved model.
pub(crate) fn table_seeds(
    project: &Project,
    overrides: &Overrides,
    run_prefix: &str,
    build: &Build,
) -> Vec<String> {
    // A table's file is the same whichever events `--events` picks.
    let overrides = whole_project(overrides, build.selection.is_some());
    let shared = fingerprint(&[
        project.file.as_ref().map_or("", |f| f.text.as_str()),
        &format!("{overrides:?}"),
        run_prefix,
        project.catalog.as_ref().map_or("", |c| c.digest.as_str()),
    ]);
    let specs: std::collections::BTreeMap<&str, &str> = project
        .specs
        .iter()
        .map(|s| (project.relative(&s.path).as_str(), s.text.as_str()))
        .collect();
    build
        .tables
        .iter()
        .map(|t| {
            let file = t.spec_file.as_deref().unwrap_or("");
            let text = specs.get(file).copied().unwrap_or("");
            fingerprint(&[&shared, &t.event, file, text])
        })
        .collect()
}

/// One fingerprint of every template a build may use: the built-in ones and the project's.
pub(crate) fn templates_fingerprint(project_templates: Option<&Utf8Path>) -> String {
    let mut parts: Vec<String> = crate::render::BUILTIN
        .iter()
        .flat_map(|(n, t)| [n.to_string(), t.to_string()])
        .collect();
    if let Some(dir) = project_templates {
        for entry in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            // A link (to a template inside the project) is read as the file it names.
            if entry.file_type().is_file() || entry.path_is_symlink() {
                // Relative, so the fingerprint does not depend on where bqflat was run from.
                let name = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                parts.push(name.to_string_lossy().into_owned());
                parts.push(
                    String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default())
                        .into_owned(),
                );
            }
        }
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    fingerprint(&refs)
}

/// When the build in `out` was made from inputs with digest `inputs` and the folder holds exactly
/// the files it wrote, at their sizes: its build number. Nothing then needs compiling. Only the
/// manifest's first lines are read. (A file of yours in the folder, or a missing or resized one,
/// means a full build; a hand edit that keeps a file's size is left alone, as a build that renders
/// would leave it; `check` and `--force` compare contents.)
pub(crate) fn unchanged(out: &Utf8Path, inputs: &str) -> Option<u64> {
    // A link in the output is refused by the build that writes; taking the no-change exit
    // instead would hide it.
    let is_link = |m: std::fs::Metadata| m.file_type().is_symlink();
    if std::fs::symlink_metadata(out).is_ok_and(is_link) {
        return None;
    }
    let head = crate::emit::manifest::Head::read(&out.join(crate::emit::manifest::FILE))?;
    if head.inputs.as_deref() != Some(inputs) {
        return None;
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(out).min_depth(1) {
        let entry = entry.ok()?;
        if entry.path_is_symlink() {
            return None;
        }
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path().strip_prefix(out).ok()?.to_str()?.to_string();
        if path != crate::emit::manifest::FILE {
            files.push((path, entry.metadata().ok()?.len()));
        }
    }
    let on_disk =
        crate::emit::manifest::outputs_digest(files.iter().map(|(p, n)| (p.as_str(), *n)));
    (head.outputs.as_deref() == Some(on_disk.as_str())).then_some(head.build)
}

impl Previous {
    /// Whether the file at `path` can be kept without rendering it again: the previous build made
    /// it from the same `inputs`, and it is still as written (its text intact where it was read,
    /// else its size unchanged on disk). Gives its sha256 and size.
    pub(crate) fn keep(&self, path: &str, inputs: &str) -> Option<(String, u64)> {
        // Manifests list their files sorted by path; an unsorted one only costs the reuse.
        let artifacts = &self.manifest.as_ref()?.artifacts;
        let entry = &artifacts[artifacts
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()?];
        if entry.inputs.as_deref() != Some(inputs) || self.edited.iter().any(|e| e == path) {
            return None;
        }
        let size = match (self.files.get(path), &self.out) {
            (Some(text), _) => text.len() as u64,
            (None, Some(out)) => std::fs::metadata(out.join(path)).ok()?.len(),
            (None, None) => return None,
        };
        (size == entry.bytes).then(|| (entry.sha256.clone(), size))
    }
}

/// Gives kept files back the text the previous build wrote, for a plan's diffs: a kept file is
/// what the build would write.
pub(crate) fn restore(artifacts: &mut [crate::render::Artifact], previous: &Previous) {
    for artifact in artifacts.iter_mut().filter(|a| a.reused.is_some()) {
        artifact.contents = previous.files[&artifact.path].clone();
    }
}
