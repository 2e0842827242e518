//! What the build does about its changes to tables that already exist: refuses breaking changes
//! to incremental tables (unless their version went up or `--allow-breaking`), numbers the
//! migrations after the previous build, and decides which tables get one. The SQL of a
//! migration is the renderer's business.

use camino::{Utf8Path, Utf8PathBuf};

use super::change::{Change, ChangeKind, Impact};
use super::compare::compare;
use super::previous::Previous;
use crate::compiler::Compiled;
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::emit::manifest::TableEntry;
use crate::render::bigquery::Migration;
use crate::render::{self, Artifact};
use crate::spec::{Mode, Target};

/// The build's files plus the migrations its changes need against the previous build.
pub(crate) struct Evolution {
    pub artifacts: Vec<Artifact>,
    /// The migrations this build writes (path, index of the table in the build).
    pub migrations: Vec<(String, usize)>,
    /// Breaking changes to existing incremental tables that the build refuses: their spec version
    /// did not go up and `--allow-breaking` was not given.
    pub refused: Diagnostics,
}

/// Adds the migrations the build's changes need against `previous`; a breaking change to an
/// existing incremental table is refused unless its spec version went up or `allow_breaking` is
/// set. Migrations of earlier builds still on disk are kept.
pub(crate) fn with_migrations(
    compiled: &Compiled,
    previous: &Previous,
    allow_breaking: bool,
) -> Result<Evolution, Diagnostics> {
    let mut artifacts = compiled.artifacts.clone();
    // Migrations are BigQuery scripts; dbt and Dataform add columns themselves, and breaking
    // changes are refused for every target alike.
    let bigquery = compiled.build.targets.contains(&Target::Bigquery);
    let Some(old) = &previous.manifest else {
        return Ok(Evolution {
            artifacts,
            migrations: Vec::new(),
            refused: Diagnostics::default(),
        });
    };
    let mut refused = Diagnostics::default();
    let mut migrations = Vec::new();
    let build_number = old.build + 1;
    let mut diagnostics = Diagnostics::default();
    let old_tables: std::collections::BTreeMap<&str, &TableEntry> = old
        .artifacts
        .iter()
        .filter_map(|e| e.table.as_ref())
        .map(|t| (t.table.as_str(), t))
        .collect();
    for (index, table) in compiled.build.tables.iter().enumerate() {
        let Some(before) = old_tables.get(table.full_name().as_str()).copied() else {
            continue;
        };
        let name = &before.table;
        if table.mode != Mode::Incremental {
            continue;
        }
        let changes = compare(before, &TableEntry::of(table));
        let breaking: Vec<&Change> = changes
            .iter()
            .filter(|c| c.impact == Impact::Breaking)
            .collect();
        let kind = if breaking.is_empty() {
            let altering = changes.iter().filter(|c| c.kind.alters_table());
            let added: Vec<&str> = altering
                .clone()
                .filter(|c| c.kind == ChangeKind::ColumnAdded)
                .filter_map(|c| c.column.as_deref())
                .collect();
            let options = altering.clone().any(|c| c.kind != ChangeKind::ColumnAdded);
            if added.is_empty() && !options {
                continue;
            }
            Migration::Alter { added, options }
        } else if allow_breaking || table.version > before.version {
            Migration::Rebuild
        } else {
            let list: Vec<String> = breaking.iter().map(|c| c.detail.clone()).collect();
            let location = table
                .spec_file
                .as_ref()
                .map(|f| Location::file(project_path(&compiled.dir, f)));
            let d = Diagnostic::new(format!(
                "event `{}`: breaking change to the existing incremental table `{name}`: {}",
                table.event,
                list.join("; ")
            ))
            .hint(format!(
                "bump `version` (to {}; with `{{version}}` in the table name the new table is built beside the old one), or pass --allow-breaking to emit a one-off full rebuild under bigquery/migrations/",
                before.version + 1
            ));
            refused.push(match location {
                Some(at) => d.at(at),
                None => d,
            });
            continue;
        };
        if !bigquery {
            continue;
        }
        let renderer = compiled.migration_renderer();
        match render::bigquery::render_migration(
            &compiled.build,
            index,
            &kind,
            build_number,
            &renderer,
        ) {
            Ok(artifact) => {
                migrations.push((artifact.path.clone(), index));
                artifacts.push(artifact);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    // Earlier migrations stay until their user deletes them: they may not have run yet.
    for entry in &old.artifacts {
        if entry.path.starts_with(render::bigquery::MIGRATIONS_DIR)
            && !artifacts.iter().any(|a| a.path == entry.path)
        {
            if let Some(text) = previous.files.get(&entry.path) {
                artifacts.push(Artifact::new(entry.path.clone(), text.clone()));
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics.sorted());
    }
    crate::compiler::verify_all(&artifacts, &compiled.build)?;
    Ok(Evolution {
        artifacts,
        migrations,
        refused,
    })
}

/// `file` (relative to the project) as users see it: without a leading `./`.
fn project_path(dir: &Utf8Path, file: &str) -> Utf8PathBuf {
    if dir == "." {
        file.into()
    } else {
        dir.join(file)
    }
}
