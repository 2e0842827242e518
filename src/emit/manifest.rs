//! `manifest.json`: what a build wrote. It lets the next build know which files are its own, which
//! were edited by hand, and what each table looks like (for review tools and `plan`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Dedupe, Partition, Table};
use crate::render::Artifact;
use crate::spec::Mode;
use crate::BQFLAT_VERSION;

pub(crate) const FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub bqflat_version: String,
    /// Goes up by one with every build that changes some output.
    pub build: u64,
    /// Digest of everything the build read (specs, project file, templates, catalog, flags,
    /// bqflat version): a later build with the same digest and its files in place does nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// Digest of the output folder the build leaves: every file's path and size, this manifest
    /// aside. With `inputs`, it lets a later build see from the folder alone that nothing changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<String>,
    /// Sorted by path.
    pub artifacts: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Relative to the output folder, with `/` separators.
    pub path: String,
    pub sha256: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Fingerprint of what the file is made from: the next build keeps the file unrendered
    /// while it matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableEntry>,
    /// The view over an event's tables of every source the file creates (`project.dataset.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TableEntry {
    pub event: String,
    /// `project.dataset.table`.
    pub table: String,
    pub spec: Option<String>,
    pub version: u32,
    pub mode: Mode,
    pub columns: Vec<ColumnEntry>,
    pub partition: Partition,
    pub cluster_by: Vec<String>,
    pub dedupe: Dedupe,
    pub template: String,
    /// How the table's scripts work, by generation: 2 replaces whole days and resumes from the
    /// table's own partitions. Manifests from before the field read as 1 (a watermark).
    #[serde(default = "first_generation")]
    pub scripts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// What the table's runs read, for cost estimates (`bqflat cost`, `plan`); absent in
    /// manifests of older builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<crate::cost::TableReads>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// Where the value comes from (`event_params:page_title`, `field:device.category`), so a
    /// renamed column can be told from a new one. Empty in manifests of older builds.
    #[serde(default)]
    pub source: String,
}

impl Manifest {
    /// The manifest of `artifacts` and the previous build's entries a selective build `kept`,
    /// numbered after `previous`.
    pub(crate) fn new(
        artifacts: &[Artifact],
        kept: &[Entry],
        tables: &[Table],
        previous: Option<&Manifest>,
        inputs: Option<&str>,
    ) -> Manifest {
        // A table built by several targets is described once, with its first file.
        let mut described = std::collections::BTreeSet::new();
        let mut entries: Vec<Entry> = artifacts
            .iter()
            .map(|a| {
                let (sha256, bytes) = a.digest();
                Entry {
                    path: a.path.clone(),
                    sha256,
                    bytes,
                    inputs: a.inputs.clone(),
                    table: a
                        .table
                        .filter(|i| described.insert(*i))
                        .map(|i| TableEntry::of(&tables[i])),
                    view: a.view.clone(),
                }
            })
            .collect();
        // A table this build describes is not described again by a file of a target left alone.
        let described: std::collections::BTreeSet<String> =
            tables.iter().map(Table::full_name).collect();
        entries.extend(kept.iter().cloned().map(|mut e| {
            e.table = e.table.filter(|t| !described.contains(&t.table));
            e
        }));
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let build = match previous {
            Some(p) if p.artifacts == entries => p.build,
            Some(p) => p.build + 1,
            None => 1,
        };
        let outputs =
            inputs.map(|_| outputs_digest(entries.iter().map(|e| (e.path.as_str(), e.bytes))));
        Manifest {
            bqflat_version: BQFLAT_VERSION.to_string(),
            build,
            inputs: inputs.map(String::from),
            outputs,
            artifacts: entries,
        }
    }

    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the manifest serializes");
        text.push('\n');
        text
    }

    /// Hashes by path.
    pub(crate) fn hashes(&self) -> BTreeMap<&str, &str> {
        self.artifacts
            .iter()
            .map(|e| (e.path.as_str(), e.sha256.as_str()))
            .collect()
    }
}

/// A digest of an output folder's files, by path (sorted) and size.
pub(crate) fn outputs_digest<'a>(files: impl Iterator<Item = (&'a str, u64)>) -> String {
    let mut files: Vec<(&str, u64)> = files.collect();
    files.sort();
    let sizes: Vec<[u8; 8]> = files.iter().map(|(_, n)| n.to_le_bytes()).collect();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(files.len() * 2);
    for ((path, _), size) in files.iter().zip(&sizes) {
        parts.push(path.as_bytes());
        parts.push(size);
    }
    crate::reuse::fingerprint_bytes(&parts)
}

/// The fields of a manifest that come before its artifacts: read without reading the rest, which
/// for thousands of tables is tens of megabytes.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Head {
    pub build: u64,
    #[serde(default)]
    pub inputs: Option<String>,
    #[serde(default)]
    pub outputs: Option<String>,
}

impl Head {
    pub(crate) fn read(path: &camino::Utf8Path) -> Option<Head> {
        use std::io::Read;
        const KEY: &[u8] = b"\n  \"artifacts\":";
        let mut file = std::fs::File::open(path).ok()?;
        let mut text = Vec::new();
        let mut chunk = [0u8; 4096];
        // The head fields are written first, one per line, before the artifacts' key.
        let end = loop {
            let n = file.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            text.extend_from_slice(&chunk[..n]);
            if let Some(at) = text.windows(KEY.len()).position(|w| w == KEY) {
                break at;
            }
            if text.len() > 1 << 16 {
                return None;
            }
        };
        let head = std::str::from_utf8(&text[..end])
            .ok()?
            .trim_end()
            .trim_end_matches(',');
        serde_json::from_str(&format!("{head}\n}}")).ok()
    }
}

impl TableEntry {
    pub(crate) fn of(t: &Table) -> TableEntry {
        TableEntry {
            event: t.event.clone(),
            table: t.full_name(),
            spec: t.spec_file.clone(),
            version: t.version,
            mode: t.mode,
            columns: t
                .columns
                .iter()
                .map(|c| ColumnEntry {
                    name: c.name.clone(),
                    ty: c.ty.to_string(),
                    source: c.origin.describe(),
                })
                .collect(),
            partition: t.partition.clone(),
            cluster_by: t.cluster_by.clone(),
            dedupe: t.dedupe.clone(),
            template: t.template.clone(),
            scripts: SCRIPTS,
            description: t.description.clone(),
            labels: t.labels.clone(),
            reads: t.reads.clone(),
        }
    }
}

/// The generation of the scripts this bqflat writes (see [`TableEntry::scripts`]).
pub(crate) const SCRIPTS: u32 = 2;

fn first_generation() -> u32 {
    1
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
