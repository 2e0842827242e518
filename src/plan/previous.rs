//! The previous build, which every comparison starts from: read from the output folder, or from
//! a git revision through `git show` (for `plan --against`).

use std::collections::BTreeMap;

use crate::emit::Manifest;

/// The previous build: its manifest and the text of the files it lists.
#[derive(Debug, Default)]
pub(crate) struct Previous {
    pub manifest: Option<Manifest>,
    pub files: BTreeMap<String, String>,
    /// Files whose text differs from what the manifest recorded: edited by hand.
    pub edited: Vec<String>,
    /// The output folder the build was read from; `None` for a git revision.
    pub out: Option<camino::Utf8PathBuf>,
}

impl Previous {
    /// The build in the output folder `out`, as it is on disk.
    pub(crate) fn from_dir(
        out: &camino::Utf8Path,
    ) -> Result<Previous, crate::diagnostics::Diagnostic> {
        Previous::read(out, |_| true)
    }

    /// The previous manifest, and the text of the files a build needs (its migrations); the
    /// table scripts are compared as the build writes.
    pub(crate) fn for_build(
        out: &camino::Utf8Path,
    ) -> Result<Previous, crate::diagnostics::Diagnostic> {
        Previous::read(out, |path| {
            path.starts_with(crate::render::bigquery::MIGRATIONS_DIR)
        })
    }

    fn read(
        out: &camino::Utf8Path,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Previous, crate::diagnostics::Diagnostic> {
        let manifest = crate::emit::read_manifest(out)?;
        let mut files = BTreeMap::new();
        let mut edited = Vec::new();
        for entry in manifest
            .iter()
            .flat_map(|m| &m.artifacts)
            .filter(|e| wanted(&e.path))
        {
            if let Ok(text) = std::fs::read_to_string(out.join(&entry.path)) {
                if crate::emit::manifest::sha256(text.as_bytes()) != entry.sha256 {
                    edited.push(entry.path.clone());
                }
                files.insert(entry.path.clone(), text);
            }
        }
        Ok(Previous {
            manifest,
            files,
            edited,
            out: Some(out.to_owned()),
        })
    }

    /// The build in the output folder `out` as committed at git revision `rev`, read through
    /// `git show` without touching the working tree.
    pub(crate) fn from_git(
        out: &camino::Utf8Path,
        rev: &str,
    ) -> Result<Previous, crate::diagnostics::Diagnostic> {
        use crate::diagnostics::Diagnostic;
        let ancestor = out
            .ancestors()
            .find(|p| p.as_str().is_empty() || p.is_dir())
            .unwrap_or(out);
        let rest = out.strip_prefix(ancestor).unwrap_or(out);
        let existing = if ancestor.as_str().is_empty() {
            camino::Utf8Path::new(".")
        } else {
            ancestor
        };
        let git = |args: &[&str]| -> Result<Option<String>, Diagnostic> {
            let output = std::process::Command::new("git")
                .arg("-C")
                .arg(existing)
                .args(args)
                .output()
                .map_err(|e| {
                    Diagnostic::new(format!("cannot run git: {e}"))
                        .hint("install git, or plan against the output folder without --against")
                })?;
            Ok(output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).into_owned()))
        };
        let top = git(&["rev-parse", "--show-toplevel"])?.ok_or_else(|| {
            Diagnostic::new(format!("{out} is not inside a git repository"))
                .hint("--against needs the output folder to be committed in git")
        })?;
        if git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])?
        .is_none()
        {
            return Err(Diagnostic::new(format!("unknown git revision `{rev}`"))
                .hint("pass a branch, tag or commit, e.g. --against origin/main"));
        }
        // `out` itself may not exist yet: resolve the part that does, then append the rest.
        let resolved = existing
            .canonicalize_utf8()
            .map_err(|e| Diagnostic::new(format!("cannot resolve {existing}: {e}")))?
            .join(rest);
        let top = camino::Utf8PathBuf::from(top.trim());
        let top = top.canonicalize_utf8().unwrap_or(top);
        let relative = resolved
            .strip_prefix(&top)
            .map_err(|_| Diagnostic::new(format!("{out} is outside the git repository at {top}")))?
            .to_owned();
        let show = |path: &str| git(&["show", &format!("{rev}:{}", relative.join(path))]);
        let manifest: Option<Manifest> = match show(crate::emit::manifest::FILE)? {
            None => None,
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                Diagnostic::new(format!(
                    "{}/{} at {rev} is not a bqflat manifest: {e}",
                    relative,
                    crate::emit::manifest::FILE
                ))
            })?),
        };
        let mut files = BTreeMap::new();
        for entry in manifest.iter().flat_map(|m| &m.artifacts) {
            if let Some(text) = show(&entry.path)? {
                files.insert(entry.path.clone(), text);
            }
        }
        Ok(Previous {
            manifest,
            files,
            edited: Vec::new(),
            out: None,
        })
    }
}
