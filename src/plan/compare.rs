//! Manifest-to-manifest classification of one table's changes. It reads the manifests' typed
//! columns, never the SQL text, so a reformatted template is not mistaken for a schema change;
//! what each kind means is [`ChangeKind::impact`]'s decision.

use super::change::{Change, ChangeKind};
use super::mode_word;
use crate::emit::manifest::{ColumnEntry, TableEntry};

fn find_column<'a>(columns: &'a [ColumnEntry], name: &str) -> Option<&'a ColumnEntry> {
    columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The structural changes from `old` to `new` of one table.
pub(crate) fn compare(old: &TableEntry, new: &TableEntry) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |kind: ChangeKind,
                    detail: String,
                    column: Option<&str>,
                    before: Option<String>,
                    after: Option<String>| {
        changes.push(Change {
            kind,
            detail,
            impact: kind.impact(new.mode),
            column: column.map(String::from),
            before,
            after,
        });
    };

    if old.version != new.version {
        push(
            ChangeKind::Version,
            format!("spec version {} → {}", old.version, new.version),
            None,
            Some(old.version.to_string()),
            Some(new.version.to_string()),
        );
    }
    if old.mode != new.mode {
        let (a, b) = (mode_word(old.mode), mode_word(new.mode));
        // A full build records the watermark an incremental run starts from.
        push(
            ChangeKind::Mode,
            format!("mode {a} → {b}"),
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
                ChangeKind::ColumnRetyped,
                format!("column `{}` {} → {}", column.name, before.ty, column.ty),
                Some(&column.name),
                Some(before.ty.clone()),
                Some(column.ty.clone()),
            ),
            Some(before) if !before.source.is_empty() && before.source != column.source => push(
                ChangeKind::ColumnSource,
                format!(
                    "column `{}` now comes from {} (was {})",
                    column.name, column.source, before.source
                ),
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
                        ChangeKind::ColumnRenamed,
                        format!("column `{}` renamed to `{}`", r.name, column.name),
                        Some(&column.name),
                        Some(r.name.clone()),
                        Some(column.name.clone()),
                    );
                }
                None => push(
                    ChangeKind::ColumnAdded,
                    format!("column `{}` {} added", column.name, column.ty),
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
            ChangeKind::ColumnRemoved,
            format!("column `{}` {} removed", column.name, column.ty),
            Some(&column.name),
            Some(column.ty.clone()),
            None,
        );
    }

    let (op, np) = (&old.partition, &new.partition);
    if (&op.column, &op.ty) != (&np.column, &np.ty) {
        push(
            ChangeKind::Partition,
            format!("partitioned by `{}` → `{}`", op.column, np.column),
            None,
            Some(op.column.clone()),
            Some(np.column.clone()),
        );
    }
    if (op.expiration_days, op.require_filter) != (np.expiration_days, np.require_filter) {
        push(
            ChangeKind::PartitionOptions,
            "partition expiration or filter requirement changed".into(),
            None,
            None,
            None,
        );
    }
    if old.cluster_by != new.cluster_by {
        let (a, b) = (old.cluster_by.join(", "), new.cluster_by.join(", "));
        push(
            ChangeKind::ClusterBy,
            format!("clustered by [{a}] → [{b}]"),
            None,
            Some(a),
            Some(b),
        );
    }
    if old.dedupe.key != new.dedupe.key {
        let (a, b) = (old.dedupe.key.join(", "), new.dedupe.key.join(", "));
        push(
            ChangeKind::DedupeKey,
            format!("dedupe key [{a}] → [{b}]"),
            None,
            Some(a),
            Some(b),
        );
    }
    if (old.dedupe.strategy, &old.dedupe.order_by) != (new.dedupe.strategy, &new.dedupe.order_by) {
        push(
            ChangeKind::DedupeOrder,
            "which duplicate is kept changed (strategy or order_by)".into(),
            None,
            None,
            None,
        );
    }
    // Manifests of older builds carry no labels (every table has `managed_by` now): unknown.
    if !old.labels.is_empty() && (&old.description, &old.labels) != (&new.description, &new.labels)
    {
        push(
            ChangeKind::Options,
            "description or labels changed".into(),
            None,
            None,
            None,
        );
    }
    if old.scripts < new.scripts {
        push(
            ChangeKind::Scripts,
            "scripts: incremental runs replace whole days, resuming from the table's own partitions; _metadata and _runs become append-only".into(),
            None,
            Some(old.scripts.to_string()),
            Some(new.scripts.to_string()),
        );
    }
    // A mode change switches between the two built-in templates; only a custom one is news.
    let custom = |t: &str| t != "full.sql" && t != "incremental.sql";
    if old.template != new.template && (custom(&old.template) || custom(&new.template)) {
        push(
            ChangeKind::Template,
            format!("template {} → {}", old.template, new.template),
            None,
            Some(old.template.clone()),
            Some(new.template.clone()),
        );
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::change::Impact;

    #[test]
    fn a_table_built_by_older_scripts_shows_the_move_to_whole_days() {
        let old: TableEntry = serde_json::from_value(serde_json::json!({
            "event": "purchase",
            "table": "p.d.event_purchase_flat",
            "spec": "events/purchase.yaml",
            "version": 1,
            "mode": "incremental",
            "columns": [{"name": "event_ts", "type": "TIMESTAMP", "source": "computed:event_ts"}],
            "partition": {"column": "event_ts", "type": "TIMESTAMP", "expiration_days": null, "require_filter": false},
            "cluster_by": [],
            "dedupe": {"key": ["event_key"], "nullable": [], "strategy": "keep_latest", "order_by": "event_ts"},
            "template": "incremental.sql"
        }))
        .unwrap();
        assert_eq!(
            old.scripts, 1,
            "a manifest without the field is the first generation"
        );
        let new = TableEntry {
            scripts: crate::emit::manifest::SCRIPTS,
            ..old.clone()
        };
        let changes = compare(&old, &new);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].kind, ChangeKind::Scripts);
        assert_eq!(changes[0].impact, Impact::Additive);
        assert!(compare(&new, &new).is_empty());
    }
}
