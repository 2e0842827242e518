//! Finding and reading a project: `bqflat.yaml` (or the seed's `--config` file), `events/*.yaml`,
//! and the optional `templates/` folder.

pub mod catalog;
mod every;
mod suggest;
mod untagged;
pub mod yaml;

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::spec::{EventSpec, ProjectFile, Settings, Target};
pub use catalog::Catalog;
pub use yaml::Loaded;

pub const PROJECT_FILE: &str = "bqflat.yaml";
pub const EVENTS_DIR: &str = "events";
pub const TEMPLATES_DIR: &str = "templates";

/// A project as read from disk, before any semantic check.
#[derive(Debug)]
pub struct Project {
    pub dir: Utf8PathBuf,
    pub file: Option<Loaded<ProjectFile>>,
    /// Sorted by path.
    pub specs: Vec<Loaded<EventSpec>>,
    /// The project's `templates/` folder, when it exists.
    pub templates: Option<Utf8PathBuf>,
    /// The discovery result param globs are resolved against: `catalog:` in the project file,
    /// else `catalog.json` when it exists.
    pub catalog: Option<Catalog>,
}

/// What the command line says, on top of every file: the seed's flags.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub project: Option<String>,
    pub source_dataset: Option<String>,
    pub target_dataset: Option<String>,
    pub table_template: Option<String>,
    /// Build exactly these events (with their spec when one exists, the defaults otherwise).
    pub events: Option<Vec<String>>,
    /// `--target`: what to generate instead of the project file's `targets:`.
    pub targets: Option<Vec<Target>>,
    pub settings: Settings,
    /// The flag that set each setting, by setting name, for error messages.
    pub flags: BTreeSet<(&'static str, &'static str)>,
}

impl Overrides {
    /// The flag that set `setting`, if one did.
    pub fn flag_for(&self, setting: &str) -> Option<&'static str> {
        self.flags
            .iter()
            .find(|(s, _)| *s == setting)
            .map(|(_, f)| *f)
    }
}

impl Project {
    /// Reads the project in `dir`. The project file is `config` when given, else `dir/bqflat.yaml`
    /// if it exists. Every file is read; all their errors are returned together.
    pub fn load(dir: &Utf8Path, config: Option<&Utf8Path>) -> Result<Project, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        if !dir.is_dir() {
            return Err(Diagnostic::new(format!("project directory {dir} does not exist"))
                .hint("pass the folder that holds bqflat.yaml, or run `bqflat init DIR` to create one")
                .into());
        }
        let file_path = match config {
            Some(path) => {
                if path.is_dir() {
                    return Err(Diagnostic::new(format!(
                        "config file {path} is a folder, not a file"
                    ))
                    .hint("pass the project file itself, e.g. `--config bqflat.yaml`")
                    .into());
                }
                if !path.is_file() {
                    return Err(
                        Diagnostic::new(format!("config file {path} does not exist")).into(),
                    );
                }
                Some(path.to_owned())
            }
            None => default_project_file(dir),
        };
        if let Some(path) = file_path
            .as_deref()
            .filter(|p| config.is_none() && !inside(dir, p))
        {
            // Its text would be quoted in errors: only the project's own file is read.
            return Err(Diagnostic::new(format!(
                "{path} links to a file outside the project folder"
            ))
            .at(crate::diagnostics::Location::file(path))
            .hint("replace the link with the project file itself, or pass the file with --config")
            .into());
        }
        let file = file_path.and_then(|path| {
            yaml::load_yaml(&path, Some(ProjectFile::default()), "")
                .map_err(|d| diagnostics.extend(d))
                .ok()
        });

        let mut specs = Vec::new();
        for path in spec_paths(dir, &mut diagnostics) {
            let hint =
                "an event spec needs at least `event: <name>`; delete the file if it is unused";
            match yaml::load_yaml::<EventSpec>(&path, None, hint) {
                Ok(spec) => specs.push(spec),
                Err(d) => diagnostics.extend(d),
            }
        }
        if let Some(file) = &file {
            if let Some(output) = file.value.output.as_deref() {
                if let Some(problem) = output_problem(dir, output) {
                    diagnostics.push(
                        file.error_at("output", problem)
                            .hint("name a folder inside the project for the generated files, e.g. `output: build`; `--out` may point anywhere"),
                    );
                }
            }
        }
        let templates = Some(within(dir, TEMPLATES_DIR)).filter(|p| p.is_dir());
        if let Some(path) = templates.as_deref().filter(|p| !inside(dir, p)) {
            diagnostics.push(
                Diagnostic::new(format!(
                    "{path} links to a folder outside the project folder"
                ))
                .at(crate::diagnostics::Location::file(path))
                .hint("replace the link with the templates folder itself"),
            );
        }
        let catalog = match file
            .as_ref()
            .and_then(|f| Some((f, f.value.catalog.as_ref()?)))
        {
            Some((file, named)) => {
                let path = catalog_path(dir, Some(named));
                if escapes(named) || (path.exists() && !inside(dir, &path)) {
                    // Never read (and so never quote) a file outside the project.
                    diagnostics.push(
                        file.error_at("catalog", format!("catalog {named} is outside the project folder"))
                            .hint("move the catalog into the project folder and name it relative to bqflat.yaml, e.g. `catalog: catalog.json`"),
                    );
                    None
                } else if path.is_file() {
                    Some(path)
                } else {
                    diagnostics.push(
                        file.error_at("catalog", format!("catalog file {path} does not exist"))
                            .hint("run the query `bqflat discover-sql` prints and save its JSON result there"),
                    );
                    None
                }
            }
            None => {
                let path = catalog_path(dir, None);
                if path.is_file() && !inside(dir, &path) {
                    diagnostics.push(
                        Diagnostic::new(format!(
                            "{path} links to a file outside the project folder"
                        ))
                        .at(crate::diagnostics::Location::file(&path))
                        .hint("replace the link with the catalog file itself"),
                    );
                    None
                } else {
                    Some(path).filter(|p| p.is_file())
                }
            }
        };
        let catalog =
            catalog.and_then(|path| Catalog::load(&path).map_err(|d| diagnostics.push(d)).ok());
        diagnostics.into_result(Project {
            dir: dir.to_owned(),
            file,
            specs,
            templates,
            catalog,
        })
    }

    /// A spec file's path as shown to users and written into headers: relative to the project.
    pub fn relative<'a>(&self, path: &'a Utf8Path) -> &'a Utf8Path {
        path.strip_prefix(&self.dir).unwrap_or(path)
    }
}

/// `dir/bqflat.yaml`, when it exists.
pub(crate) fn default_project_file(dir: &Utf8Path) -> Option<Utf8PathBuf> {
    Some(within(dir, PROJECT_FILE)).filter(|p| p.is_file())
}

/// The catalog: the project file's `catalog:`, else `catalog.json`, in the project directory.
pub(crate) fn catalog_path(dir: &Utf8Path, named: Option<&str>) -> Utf8PathBuf {
    within(dir, named.unwrap_or(catalog::FILE))
}

/// Whether a path written in the project file may leave the project folder: absolute, or with
/// a `..` component.
pub(crate) fn escapes(named: &str) -> bool {
    let path = Utf8Path::new(named);
    path.has_root()
        || path.components().any(|c| {
            !matches!(
                c,
                camino::Utf8Component::Normal(_) | camino::Utf8Component::CurDir
            )
        })
}

/// Why the project file's `output:` may not be the output folder: it must be a folder inside the
/// project that holds nothing else of the project (a build replaces the whole folder).
pub(crate) fn output_problem(dir: &Utf8Path, output: &str) -> Option<String> {
    let parts: Vec<&str> = Utf8Path::new(output)
        .components()
        .filter(|c| !matches!(c, camino::Utf8Component::CurDir))
        .map(|c| c.as_str())
        .collect();
    if escapes(output) {
        return Some(format!(
            "output `{output}` leads out of the project folder (an absolute path or `..`)"
        ));
    }
    let Some(first) = parts.first() else {
        let shown = if output.is_empty() { "\"\"" } else { output };
        return Some(format!(
            "output `{shown}` is the project folder itself; a build replaces its output folder whole"
        ));
    };
    if [EVENTS_DIR, TEMPLATES_DIR].contains(first) {
        return Some(format!(
            "output `{output}` would replace the project's own `{first}/` folder or a folder in it"
        ));
    }
    // The last part may be a link (the build refuses it, naming it); a folder on the way may not.
    let mut on_the_way = dir.to_owned();
    for part in &parts[..parts.len() - 1] {
        on_the_way.push(part);
        if std::fs::symlink_metadata(&on_the_way).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(format!(
                "output `{output}` goes through the link {on_the_way}; bqflat does not write through links"
            ));
        }
    }
    let path = within(dir, output);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir() && !m.file_type().is_symlink()) {
        return Some(format!("output `{output}` is a file, not a folder"));
    }
    None
}

/// Whether `path`, with every link followed, is inside the project folder `dir`.
pub(crate) fn inside(dir: &Utf8Path, path: &Utf8Path) -> bool {
    match (dir.canonicalize(), path.canonicalize()) {
        (Ok(dir), Ok(path)) => path.starts_with(dir),
        _ => false,
    }
}

/// `dir/name`, without a leading `./` when `dir` is the current folder, so messages show the
/// paths users typed.
pub(crate) fn within(dir: &Utf8Path, name: &str) -> Utf8PathBuf {
    if dir == "." {
        name.into()
    } else {
        dir.join(name)
    }
}

/// Whether a link under `events/` is read as a spec (it names a file inside the project);
/// an error naming the link when it is broken, loops, or leads out of the project or to a folder.
fn spec_link(dir: &Utf8Path, link: &std::path::Path) -> Result<bool, Diagnostic> {
    let shown = link.to_string_lossy();
    let at = crate::diagnostics::Location::file(Utf8PathBuf::from(shown.as_ref()));
    let target = std::fs::read_link(link)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = match std::fs::metadata(link) {
        Ok(meta) => meta,
        Err(err) => {
            return Err(Diagnostic::new(format!(
                "cannot follow the link {shown} (to {target}): {err}"
            ))
            .at(at)
            .hint("remove the link, or make it point at a spec file inside the project"))
        }
    };
    let inside_project = Utf8Path::from_path(link).is_some_and(|l| inside(dir, l));
    if !inside_project {
        return Err(Diagnostic::new(format!(
            "{shown} links to {target}, outside the project folder; bqflat reads only the project's own files"
        ))
        .at(at)
        .hint("copy the spec into events/ instead of linking to it, or remove the link"));
    }
    if meta.is_dir() {
        return Err(Diagnostic::new(format!(
            "{shown} links to the folder {target}; bqflat does not follow links to folders"
        ))
        .at(at)
        .hint("move the specs into events/, or link each spec file on its own"));
    }
    Ok(meta.is_file())
}

/// Every `*.yaml` / `*.yml` under `dir/events`, sorted, so builds do not depend on directory order.
pub(crate) fn spec_paths(dir: &Utf8Path, diagnostics: &mut Diagnostics) -> Vec<Utf8PathBuf> {
    let events = within(dir, EVENTS_DIR);
    if !events.is_dir() {
        return Vec::new();
    }
    let mut paths = Vec::new();
    for entry in WalkDir::new(&events)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let at = err
                    .path()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                diagnostics.push(Diagnostic::new(format!("cannot read {at}: {err}")));
                continue;
            }
        };
        if entry.file_type().is_symlink() {
            match spec_link(dir, entry.path()) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(d) => {
                    diagnostics.push(d);
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            // A pipe or device named like a spec would block or mislead the read: say so
            // rather than leave its table out without a word.
            let spec_like = entry
                .path()
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml");
            if spec_like && !entry.file_type().is_dir() {
                diagnostics.push(
                    Diagnostic::new(format!(
                        "{} is not a regular file, so it is not read as a spec",
                        entry.path().display()
                    ))
                    .hint("replace it with a YAML file, or rename it so it does not end in .yaml"),
                );
            }
            continue;
        }
        let Some(path) = Utf8Path::from_path(entry.path()) else {
            diagnostics.push(
                Diagnostic::new(format!("{} is not a UTF-8 path", entry.path().display()))
                    .hint("rename the file with UTF-8 characters"),
            );
            continue;
        };
        // Other files (notes, backups) may live beside the specs.
        if !matches!(path.extension(), Some("yaml" | "yml")) {
            continue;
        }
        // The path is written into every generated header: a line break in it would start a
        // line of SQL of its own.
        if path
            .as_str()
            .chars()
            .any(crate::names::is_hidden_or_breaking)
        {
            let shown: String = path
                .as_str()
                .chars()
                .map(|c| {
                    if crate::names::is_hidden_or_breaking(c) {
                        '?'
                    } else {
                        c
                    }
                })
                .collect();
            diagnostics.push(
                Diagnostic::new(
                    "the spec's file name holds a line break, control or invisible character",
                )
                .at(crate::diagnostics::Location::new(
                    Utf8PathBuf::from(shown),
                    1,
                    1,
                ))
                .hint("rename the file with letters, digits, `_`, `-` and `.` only"),
            );
            continue;
        }
        {
            paths.push(path.to_owned());
        }
    }
    paths
}
