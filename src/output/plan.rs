//! What a build would change, compared with a previous build: per table the structural changes
//! (from the manifests' typed columns, never from the SQL text), each classified by what it means
//! for an existing table; per file the old and new text for diffs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::manifest::{ColumnEntry, Manifest, TableEntry};
use crate::render::Artifact;
use crate::spec::Mode;

/// The previous build: its manifest and the text of the files it lists.
#[derive(Debug, Default)]
pub struct Previous {
    pub manifest: Option<Manifest>,
    pub files: BTreeMap<String, String>,
    /// Files whose text differs from what the manifest recorded: edited by hand.
    pub edited: Vec<String>,
    /// The output folder the build was read from; `None` for a git revision.
    pub out: Option<camino::Utf8PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Add,
    Change,
    Remove,
    Unchanged,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change => "change",
            Action::Remove => "remove",
            Action::Unchanged => "unchanged",
        }
    }
}

/// What a change means for the table that already exists in BigQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// The next run of a full-mode script replaces the table anyway.
    Rebuilt,
    /// An existing incremental table takes it in place (new nullable column, new options).
    Additive,
    /// An existing incremental table cannot take it: the table needs a rebuild.
    Breaking,
}

impl Impact {
    pub fn word(self) -> &'static str {
        match self {
            Impact::Rebuilt => "rebuilt",
            Impact::Additive => "additive",
            Impact::Breaking => "breaking",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `column_added`, `column_removed`, `column_retyped`, `column_renamed`, `column_source`,
    /// `partition`, `partition_options`, `cluster_by`, `dedupe_key`, `dedupe_order`, `mode`,
    /// `version`, `options`, `template`, `table_removed`.
    pub kind: &'static str,
    /// One line for people: "column `value` FLOAT64 → STRING".
    pub detail: String,
    pub impact: Impact,
    /// The column a column change is about (its new name when renamed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    pub table: String,
    pub event: String,
    pub action: Action,
    pub mode: Mode,
    pub version: u32,
    pub changes: Vec<Change>,
}

impl TablePlan {
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.impact == Impact::Breaking)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FilePlan {
    pub path: String,
    pub action: Action,
    #[serde(skip)]
    pub before: Option<String>,
    #[serde(skip)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    pub files: Vec<FilePlan>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.files.iter().any(|f| f.action != Action::Unchanged)
    }

    pub fn count(&self, action: Action) -> usize {
        self.tables.iter().filter(|t| t.action == action).count()
    }
}

/// Compares the new build (`artifacts` and the manifest they make) with `previous`.
pub fn plan(previous: &Previous, artifacts: &[Artifact], manifest: &Manifest) -> Plan {
    let old_tables = tables_of(previous.manifest.as_ref());
    let new_tables = tables_of(Some(manifest));
    let mut tables = Vec::new();
    for (name, (new, new_hash)) in &new_tables {
        let (action, changes) = match old_tables.get(name) {
            None => (Action::Add, Vec::new()),
            Some((old, old_hash)) => {
                let changes = compare(old, new);
                let action = if changes.is_empty() && old_hash == new_hash {
                    Action::Unchanged
                } else {
                    Action::Change
                };
                (action, changes)
            }
        };
        tables.push(TablePlan {
            table: name.to_string(),
            event: new.event.clone(),
            action,
            mode: new.mode,
            version: new.version,
            changes,
        });
    }
    for (name, (old, _)) in &old_tables {
        if !new_tables.contains_key(name) {
            tables.push(TablePlan {
                table: name.to_string(),
                event: old.event.clone(),
                action: Action::Remove,
                mode: old.mode,
                version: old.version,
                changes: vec![Change {
                    kind: "table_removed",
                    detail: "script removed; the table stays in BigQuery until you drop it".into(),
                    impact: Impact::Additive,
                    column: None,
                    before: None,
                    after: None,
                }],
            });
        }
    }
    tables.sort_by(|a, b| a.table.cmp(&b.table));

    let mut files: BTreeMap<&str, FilePlan> = BTreeMap::new();
    for artifact in artifacts {
        let before = previous.files.get(&artifact.path).cloned();
        let action = match &before {
            None => Action::Add,
            Some(text) if *text == artifact.contents => Action::Unchanged,
            Some(_) => Action::Change,
        };
        let after = Some(artifact.contents.clone());
        files.insert(
            &artifact.path,
            FilePlan {
                path: artifact.path.clone(),
                action,
                before,
                after,
            },
        );
    }
    for (path, text) in &previous.files {
        files.entry(path).or_insert_with(|| FilePlan {
            path: path.clone(),
            action: Action::Remove,
            before: Some(text.clone()),
            after: None,
        });
    }
    Plan {
        tables,
        files: files.into_values().collect(),
    }
}

/// Table name → (table entry, hash of its script).
fn tables_of(manifest: Option<&Manifest>) -> BTreeMap<&str, (&TableEntry, &str)> {
    manifest
        .into_iter()
        .flat_map(|m| &m.artifacts)
        .filter_map(|e| {
            e.table
                .as_ref()
                .map(|t| (t.table.as_str(), (t, e.sha256.as_str())))
        })
        .collect()
}

fn find_column<'a>(columns: &'a [ColumnEntry], name: &str) -> Option<&'a ColumnEntry> {
    columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The structural changes from `old` to `new` of one table.
pub fn compare(old: &TableEntry, new: &TableEntry) -> Vec<Change> {
    let incremental = new.mode == Mode::Incremental;
    // In full mode every run rebuilds the table, so nothing is at risk.
    let impact = |i: Impact| if incremental { i } else { Impact::Rebuilt };
    let mut changes = Vec::new();
    let mut push = |kind: &'static str,
                    detail: String,
                    i: Impact,
                    column: Option<&str>,
                    before: Option<String>,
                    after: Option<String>| {
        changes.push(Change {
            kind,
            detail,
            impact: impact(i),
            column: column.map(String::from),
            before,
            after,
        });
    };

    if old.version != new.version {
        push(
            "version",
            format!("spec version {} → {}", old.version, new.version),
            Impact::Additive,
            None,
            Some(old.version.to_string()),
            Some(new.version.to_string()),
        );
    }
    if old.mode != new.mode {
        let (a, b) = (mode_word(old.mode), mode_word(new.mode));
        // A full build records the watermark an incremental run starts from.
        push(
            "mode",
            format!("mode {a} → {b}"),
            Impact::Additive,
            None,
            Some(a.into()),
            Some(b.into()),
        );
    }

    let removed: Vec<&ColumnEntry> = old
        .columns
        .iter()
        .filter(|c| find_column(&new.columns, &c.name).is_none())
        .collect();
    let mut renamed_from: Vec<&str> = Vec::new();
    for column in &new.columns {
        match find_column(&old.columns, &column.name) {
            Some(before) if before.ty != column.ty => push(
                "column_retyped",
                format!("column `{}` {} → {}", column.name, before.ty, column.ty),
                Impact::Breaking,
                Some(&column.name),
                Some(before.ty.clone()),
                Some(column.ty.clone()),
            ),
            Some(before) if !before.source.is_empty() && before.source != column.source => push(
                "column_source",
                format!(
                    "column `{}` now comes from {} (was {})",
                    column.name, column.source, before.source
                ),
                Impact::Breaking,
                Some(&column.name),
                Some(before.source.clone()),
                Some(column.source.clone()),
            ),
            Some(_) => {}
            None => match removed
                .iter()
                .find(|r| r.source == column.source && r.ty == column.ty)
            {
                Some(r) => {
                    renamed_from.push(&r.name);
                    push(
                        "column_renamed",
                        format!("column `{}` renamed to `{}`", r.name, column.name),
                        Impact::Breaking,
                        Some(&column.name),
                        Some(r.name.clone()),
                        Some(column.name.clone()),
                    );
                }
                None => push(
                    "column_added",
                    format!("column `{}` {} added", column.name, column.ty),
                    Impact::Additive,
                    Some(&column.name),
                    None,
                    Some(column.ty.clone()),
                ),
            },
        }
    }
    for column in removed
        .iter()
        .filter(|c| !renamed_from.contains(&c.name.as_str()))
    {
        push(
            "column_removed",
            format!("column `{}` {} removed", column.name, column.ty),
            Impact::Breaking,
            Some(&column.name),
            Some(column.ty.clone()),
            None,
        );
    }

    let (op, np) = (&old.partition, &new.partition);
    if (&op.column, &op.ty) != (&np.column, &np.ty) {
        push(
            "partition",
            format!("partitioned by `{}` → `{}`", op.column, np.column),
            Impact::Breaking,
            None,
            Some(op.column.clone()),
            Some(np.column.clone()),
        );
    }
    if (op.expiration_days, op.require_filter) != (np.expiration_days, np.require_filter) {
        push(
            "partition_options",
            "partition expiration or filter requirement changed".into(),
            Impact::Additive,
            None,
            None,
            None,
        );
    }
    if old.cluster_by != new.cluster_by {
        let (a, b) = (old.cluster_by.join(", "), new.cluster_by.join(", "));
        push(
            "cluster_by",
            format!("clustered by [{a}] → [{b}]"),
            Impact::Breaking,
            None,
            Some(a),
            Some(b),
        );
    }
    if old.dedupe.key != new.dedupe.key {
        let (a, b) = (old.dedupe.key.join(", "), new.dedupe.key.join(", "));
        push(
            "dedupe_key",
            format!("dedupe key [{a}] → [{b}]"),
            Impact::Breaking,
            None,
            Some(a),
            Some(b),
        );
    }
    if (old.dedupe.strategy, &old.dedupe.order_by) != (new.dedupe.strategy, &new.dedupe.order_by) {
        push(
            "dedupe_order",
            "which duplicate is kept changed (strategy or order_by)".into(),
            Impact::Additive,
            None,
            None,
            None,
        );
    }
    // Manifests of older builds carry no labels (every table has `managed_by` now): unknown.
    if !old.labels.is_empty() && (&old.description, &old.labels) != (&new.description, &new.labels)
    {
        push(
            "options",
            "description or labels changed".into(),
            Impact::Additive,
            None,
            None,
            None,
        );
    }
    // A mode change switches between the two built-in templates; only a custom one is news.
    let custom = |t: &str| t != "full.sql" && t != "incremental.sql";
    if old.template != new.template && (custom(&old.template) || custom(&new.template)) {
        push(
            "template",
            format!("template {} → {}", old.template, new.template),
            Impact::Additive,
            None,
            Some(old.template.clone()),
            Some(new.template.clone()),
        );
    }
    changes
}

pub fn mode_word(mode: Mode) -> &'static str {
    match mode {
        Mode::Full => "full",
        Mode::Incremental => "incremental",
    }
}

impl Previous {
    /// The build in the output folder `out`, as it is on disk.
    pub fn from_dir(out: &camino::Utf8Path) -> Result<Previous, crate::diagnostics::Diagnostic> {
        Previous::read(out, |_| true)
    }

    /// The previous manifest, and the text of the files a build needs (its migrations); the
    /// table scripts are compared as the build writes.
    pub fn for_build(out: &camino::Utf8Path) -> Result<Previous, crate::diagnostics::Diagnostic> {
        Previous::read(out, |path| {
            path.starts_with(crate::render::bigquery::MIGRATIONS_DIR)
        })
    }

    fn read(
        out: &camino::Utf8Path,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Previous, crate::diagnostics::Diagnostic> {
        let manifest = super::read_manifest(out)?;
        let mut files = BTreeMap::new();
        let mut edited = Vec::new();
        for entry in manifest
            .iter()
            .flat_map(|m| &m.artifacts)
            .filter(|e| wanted(&e.path))
        {
            if let Ok(text) = std::fs::read_to_string(out.join(&entry.path)) {
                if super::manifest::sha256(text.as_bytes()) != entry.sha256 {
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
    pub fn from_git(
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
        let manifest: Option<Manifest> = match show(super::manifest::FILE)? {
            None => None,
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                Diagnostic::new(format!(
                    "{}/{} at {rev} is not a bqflat manifest: {e}",
                    relative,
                    super::manifest::FILE
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
