//! The kinds of change a table can go through between two builds, and what each one means for
//! the table that already exists in BigQuery. The policy lives on the kind, so classifying a
//! change (in `compare`) and acting on it (in `migrate`) cannot disagree.

use serde::Serialize;

use crate::spec::Mode;

/// One kind of structural change to a table. Serialized as the snake_case names plan documents
/// have always used (`column_added`, `cluster_by`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChangeKind {
    /// The spec's `version` changed.
    Version,
    /// Full ↔ incremental.
    Mode,
    ColumnAdded,
    ColumnRemoved,
    /// Same name, another type.
    ColumnRetyped,
    /// Same name, filled from another param or field.
    ColumnSource,
    /// A column gone and a new one with the same source and type.
    ColumnRenamed,
    /// The partitioning column or its type.
    Partition,
    /// Partition expiration or the partition-filter requirement.
    PartitionOptions,
    ClusterBy,
    DedupeKey,
    /// Which duplicate is kept: the strategy or its order.
    DedupeOrder,
    /// The table's scripts work another way (a newer bqflat): the next run follows the new way.
    Scripts,
    /// The table's description or labels.
    Options,
    /// The template changed, where either side is a custom one.
    Template,
    /// No script builds the table any more.
    TableRemoved,
}

/// What a change means for the table that already exists in BigQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Impact {
    /// Nothing happens to the table: it stays in BigQuery as it is (its script was removed).
    Untouched,
    /// The next run of a full-mode script replaces the table anyway.
    Rebuilt,
    /// An existing incremental table takes it in place (new nullable column, new options).
    Additive,
    /// An existing incremental table cannot take it: the table needs a rebuild.
    Breaking,
}

impl Impact {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Impact::Untouched => "untouched",
            Impact::Rebuilt => "rebuilt",
            Impact::Additive => "additive",
            Impact::Breaking => "breaking",
        }
    }
}

impl ChangeKind {
    #[cfg(test)]
    pub(crate) const ALL: [ChangeKind; 16] = [
        ChangeKind::Version,
        ChangeKind::Mode,
        ChangeKind::ColumnAdded,
        ChangeKind::ColumnRemoved,
        ChangeKind::ColumnRetyped,
        ChangeKind::ColumnSource,
        ChangeKind::ColumnRenamed,
        ChangeKind::Partition,
        ChangeKind::PartitionOptions,
        ChangeKind::ClusterBy,
        ChangeKind::DedupeKey,
        ChangeKind::DedupeOrder,
        ChangeKind::Scripts,
        ChangeKind::Options,
        ChangeKind::Template,
        ChangeKind::TableRemoved,
    ];

    /// The name plan documents use for the kind.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ChangeKind::Version => "version",
            ChangeKind::Mode => "mode",
            ChangeKind::ColumnAdded => "column_added",
            ChangeKind::ColumnRemoved => "column_removed",
            ChangeKind::ColumnRetyped => "column_retyped",
            ChangeKind::ColumnSource => "column_source",
            ChangeKind::ColumnRenamed => "column_renamed",
            ChangeKind::Partition => "partition",
            ChangeKind::PartitionOptions => "partition_options",
            ChangeKind::ClusterBy => "cluster_by",
            ChangeKind::DedupeKey => "dedupe_key",
            ChangeKind::DedupeOrder => "dedupe_order",
            ChangeKind::Scripts => "scripts",
            ChangeKind::Options => "options",
            ChangeKind::Template => "template",
            ChangeKind::TableRemoved => "table_removed",
        }
    }

    /// What the change means for an existing incremental table.
    pub(crate) fn policy(self) -> Impact {
        match self {
            // Rows already written cannot be retyped, refilled, renamed, repartitioned,
            // reclustered or deduplicated on another key in place.
            ChangeKind::ColumnRemoved
            | ChangeKind::ColumnRetyped
            | ChangeKind::ColumnSource
            | ChangeKind::ColumnRenamed
            | ChangeKind::Partition
            | ChangeKind::ClusterBy
            | ChangeKind::DedupeKey => Impact::Breaking,
            // A full build records the watermark an incremental run starts from, so a mode
            // change needs nothing from the existing table.
            ChangeKind::Version
            | ChangeKind::Mode
            | ChangeKind::ColumnAdded
            | ChangeKind::PartitionOptions
            | ChangeKind::DedupeOrder
            | ChangeKind::Scripts
            | ChangeKind::Options
            | ChangeKind::Template => Impact::Additive,
            ChangeKind::TableRemoved => Impact::Untouched,
        }
    }

    /// What the change means for a table whose script now has `mode`.
    pub(crate) fn impact(self, mode: Mode) -> Impact {
        match (self, mode) {
            // The table stays in BigQuery untouched, whatever its mode was.
            (ChangeKind::TableRemoved, _) => Impact::Untouched,
            // In full mode every run rebuilds the table, so nothing is at risk.
            (_, Mode::Full) => Impact::Rebuilt,
            (kind, Mode::Incremental) => kind.policy(),
        }
    }

    /// Whether an additive change of this kind is applied to the existing table by an `ALTER`
    /// migration (a new column, new table or partition options); the rest need no migration.
    pub(crate) fn alters_table(self) -> bool {
        matches!(
            self,
            ChangeKind::ColumnAdded | ChangeKind::Options | ChangeKind::PartitionOptions
        )
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    pub kind: ChangeKind,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_policy() {
        use ChangeKind::*;
        let expected = [
            (Version, Impact::Additive),
            (Mode, Impact::Additive),
            (ColumnAdded, Impact::Additive),
            (ColumnRemoved, Impact::Breaking),
            (ColumnRetyped, Impact::Breaking),
            (ColumnSource, Impact::Breaking),
            (ColumnRenamed, Impact::Breaking),
            (Partition, Impact::Breaking),
            (PartitionOptions, Impact::Additive),
            (ClusterBy, Impact::Breaking),
            (DedupeKey, Impact::Breaking),
            (DedupeOrder, Impact::Additive),
            (Scripts, Impact::Additive),
            (Options, Impact::Additive),
            (Template, Impact::Additive),
            (TableRemoved, Impact::Untouched),
        ];
        assert_eq!(expected.len(), ChangeKind::ALL.len());
        for (kind, impact) in expected {
            assert_eq!(kind.policy(), impact, "{kind}");
            assert_eq!(
                kind.impact(crate::spec::Mode::Incremental),
                impact,
                "{kind}"
            );
        }
    }

    #[test]
    fn full_mode_tables_are_rebuilt_but_a_removed_table_is_left_alone() {
        for kind in ChangeKind::ALL {
            let expected = if kind == ChangeKind::TableRemoved {
                Impact::Untouched
            } else {
                Impact::Rebuilt
            };
            assert_eq!(kind.impact(Mode::Full), expected, "{kind}");
        }
    }

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in ChangeKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.name())
            );
        }
    }

    #[test]
    fn only_columns_added_and_options_alter_a_table() {
        let altering: Vec<ChangeKind> = ChangeKind::ALL
            .into_iter()
            .filter(|k| k.alters_table())
            .collect();
        assert_eq!(
            altering,
            [
                ChangeKind::ColumnAdded,
                ChangeKind::PartitionOptions,
                ChangeKind::Options
            ]
        );
    }
}
