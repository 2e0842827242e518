//! The one sequence build, check and plan run: load → resolve → render → verify → migrations,
//! then emit, compare or plan. The commands differ only in their [`Options`], so the order of the
//! steps (and which one reports first) cannot drift between them.

use camino::Utf8PathBuf;

use crate::compiler::{self, Compiled, Inputs};
use crate::diagnostics::Diagnostics;
use crate::emit::manifest::Entry;
use crate::emit::{self, swap, Comparison, Manifest, Outcome};
use crate::load::Project;
use crate::plan::migrate::{self, Evolution};
use crate::plan::{self, Plan, Previous};
use crate::render::Reuse;
use crate::reuse;

/// Where the previous build is read from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The output folder, reading only what a build needs (the manifest and migrations).
    ForBuild,
    /// The output folder, every file it lists.
    Dir,
    /// The output folder as committed at a git revision.
    Git(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub previous: Source,
    /// Keep table files whose inputs are unchanged instead of rendering them again.
    pub reuse: bool,
    /// The run writes the output folder: it holds the folder's lock throughout, and stops early
    /// when the inputs are those of the build already there (with `reuse`).
    pub write: bool,
    pub allow_breaking: bool,
    /// Read the previous build only after compiling, so the project's own errors and warnings are
    /// reported before any problem with the output folder (`check`).
    pub previous_last: bool,
    /// Print the build's warnings on stderr (a machine-readable `check` reports them itself).
    pub warn: bool,
}

/// A compiled project with the previous build it is compared with.
pub(crate) struct Run {
    pub compiled: Compiled,
    pub previous: Previous,
    pub evolution: Evolution,
    /// The previous build's files a selective build leaves as they are.
    pub kept: Vec<Entry>,
    /// The digest of the inputs, recorded in the manifest.
    pub digest: Option<String>,
    lock: Option<swap::Lock>,
}

/// How a run ended: with nothing to do, or with a compiled project.
pub(crate) enum Ran {
    /// The output folder already holds what these inputs make, as build `build`.
    UpToDate {
        build: u64,
        out: Utf8PathBuf,
    },
    Compiled(Box<Run>),
}

pub(crate) fn run(inputs: &Inputs, options: &Options) -> Result<Ran, Diagnostics> {
    // Before anything is parsed: a build whose inputs match the previous one's does nothing.
    let digests = reuse::input_digest(inputs);
    if let Some(d) = digests.as_ref().filter(|_| options.write && options.reuse) {
        if d.out.join(emit::manifest::FILE).is_file() {
            let _lock = swap::lock(&d.out)?;
            // A build that picks events compares its own digest: the names it picks are only
            // checked by compiling.
            if let Some(build) = reuse::unchanged(&d.out, d.selective.as_ref().unwrap_or(&d.whole))
            {
                return Ok(Ran::UpToDate {
                    build,
                    out: d.out.clone(),
                });
            }
        }
    }
    let project = Project::load(&inputs.dir, inputs.config.as_deref())?;
    let out = compiler::output_folder(&project, inputs.out.as_ref());
    // Taken before reading the previous build, so a concurrent build cannot change it meanwhile.
    let lock = options.write.then(|| swap::lock(&out)).transpose()?;
    let read = |out: &camino::Utf8Path| match &options.previous {
        Source::ForBuild => Previous::for_build(out),
        Source::Dir => Previous::from_dir(out),
        Source::Git(rev) => Previous::from_git(out, rev),
    };
    let (mut compiled, previous) = if options.previous_last {
        let compiled = compiler::compile_project(&project, &inputs.overrides, out, None)?;
        if options.warn {
            compiled.warn();
        }
        let previous = read(&compiled.out)?;
        (compiled, previous)
    } else {
        let previous = read(&out)?;
        // A table whose inputs match the previous build's, with its file still there as written,
        // is kept as it is: no render, no parse, no write.
        let keep = |path: &str, inputs: &str| previous.keep(path, inputs);
        let reuse: Option<Reuse<'_>> = options.reuse.then_some(&keep as Reuse<'_>);
        let compiled = compiler::compile_project(&project, &inputs.overrides, out, reuse)?;
        if options.warn {
            compiled.warn();
        }
        (compiled, previous)
    };
    let targets_picked = inputs.overrides.targets.is_some();
    let narrowed = crate::select::narrow(&mut compiled, previous.manifest.as_ref(), targets_picked);
    // The manifest records the whole project's digest when the folder is its build, so `check`
    // and the next build see a selective build that changed nothing else as that build.
    let digest = digests.map(|d| match d.selective {
        Some(selective) if !narrowed.whole => selective,
        _ => d.whole,
    });
    let kept = narrowed.kept;
    let evolution = migrate::with_migrations(&compiled, &previous, options.allow_breaking)?;
    Ok(Ran::Compiled(Box::new(Run {
        compiled,
        previous,
        evolution,
        kept,
        digest,
        lock,
    })))
}

impl Run {
    /// The breaking changes the build refuses, taken out of the run.
    pub(crate) fn refusals(&mut self) -> Result<(), Diagnostics> {
        std::mem::take(&mut self.evolution.refused).into_result(())
    }

    /// Writes the build into the output folder.
    pub(crate) fn emit(&self, force: bool) -> Result<Vec<Outcome>, Diagnostics> {
        emit::emit(
            &self.compiled.out,
            self.previous.manifest.as_ref(),
            emit::Files {
                artifacts: &self.evolution.artifacts,
                kept: &self.kept,
            },
            &self.compiled.build.tables,
            self.digest.as_deref(),
            force,
            self.lock.as_ref().expect("a writing run holds the lock"),
        )
    }

    /// How the output folder differs from what the build would write.
    pub(crate) fn compare(&self) -> Result<Comparison, Diagnostics> {
        emit::compare(
            &self.compiled.out,
            self.previous.manifest.as_ref(),
            &self.evolution.artifacts,
            &self.kept,
            &self.compiled.build.tables,
            self.digest.as_deref(),
        )
    }

    /// What the build would change, table by table and file by file.
    pub(crate) fn plan(&mut self, profile: &crate::cost::Profile) -> Plan {
        reuse::restore(&mut self.evolution.artifacts, &self.previous);
        // What the selection leaves alone is neither shown nor planned for removal.
        for entry in &self.kept {
            self.previous.files.remove(&entry.path);
        }
        let manifest = Manifest::new(
            &self.evolution.artifacts,
            &self.kept,
            &self.compiled.build.tables,
            self.previous.manifest.as_ref(),
            self.digest.as_deref(),
        );
        plan::plan(
            &self.previous,
            &self.evolution.artifacts,
            &manifest,
            profile,
        )
    }
}
