//! How the table is laid out: the partition column and the cluster columns.

use crate::model::{Column, Partition, PartitionType, SqlType};
use crate::spec;

use super::columns::{missing_column_hint, Columns};
use super::event::EventCtx;
use super::{DEFAULT_PARTITION, MAX_CLUSTER_COLUMNS};

impl EventCtx<'_> {
    pub(super) fn partition(
        &mut self,
        settings: &spec::Settings,
        columns: &mut Columns,
    ) -> Partition {
        let column = settings
            .partition_by
            .clone()
            .unwrap_or_else(|| DEFAULT_PARTITION.into());
        let ty = match self.require_column(&column, columns) {
            Some(Column {
                ty: SqlType::Date, ..
            }) => PartitionType::Date,
            Some(Column {
                ty: SqlType::Timestamp,
                ..
            }) => PartitionType::Timestamp,
            Some(c) => {
                let ty = c.ty.clone();
                self.error(
                    "partition_by",
                    format!("cannot partition by `{column}`: it is {ty}, not DATE or TIMESTAMP"),
                    "partition by `event_date` or `event_ts`",
                );
                PartitionType::Date
            }
            None => {
                self.error(
                    "partition_by",
                    format!("cannot partition by `{column}`: no such output column"),
                    missing_column_hint(&column, columns),
                );
                PartitionType::Date
            }
        };
        if settings.partition_expiration_days == Some(0) {
            self.error(
                "partition_expiration_days",
                "`partition_expiration_days` must be at least 1",
                "remove it to keep partitions forever",
            );
        }
        Partition {
            column: columns.canonical(&column),
            ty,
            expiration_days: settings.partition_expiration_days,
            require_filter: settings.require_partition_filter.unwrap_or(false),
        }
    }

    pub(super) fn cluster_by(
        &mut self,
        settings: &spec::Settings,
        columns: &mut Columns,
    ) -> Vec<String> {
        let wanted = settings
            .cluster_by
            .as_ref()
            .map(spec::Names::to_vec)
            .unwrap_or_default();
        if wanted.len() > MAX_CLUSTER_COLUMNS {
            self.error(
                &format!("cluster_by[{MAX_CLUSTER_COLUMNS}]"),
                format!(
                    "cluster_by has {} columns; BigQuery allows at most {MAX_CLUSTER_COLUMNS}",
                    wanted.len()
                ),
                "keep the 4 columns queries filter on most, most selective first",
            );
        }
        let mut out: Vec<String> = Vec::new();
        for (i, name) in wanted.iter().enumerate() {
            let path = format!("cluster_by[{i}]");
            match self.require_column(name, columns).map(|c| c.ty.clone()) {
                Some(ty) if is_clusterable(&ty) => {
                    let canonical = columns.canonical(name);
                    if out.contains(&canonical) {
                        self.error(
                            &path,
                            format!("`{name}` appears twice in cluster_by"),
                            "remove the second one",
                        );
                    }
                    out.push(canonical);
                }
                Some(ty) => self.error(
                    &path,
                    format!("cannot cluster by `{name}`: BigQuery cannot cluster on {ty} columns"),
                    "cluster by STRING, INT64, BOOL, DATE or TIMESTAMP columns",
                ),
                None => self.error(
                    &path,
                    format!("cannot cluster by `{name}`: no such output column"),
                    missing_column_hint(name, columns),
                ),
            }
        }
        out
    }
}

pub(super) fn is_clusterable(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::String | SqlType::Int64 | SqlType::Bool | SqlType::Date | SqlType::Timestamp
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, errors, table, FILE};
    use super::is_clusterable;
    use crate::model::{PartitionType, SqlType};

    #[test]
    fn a_cluster_on_a_float_column_is_an_error_naming_it() {
        let d = error(
            FILE,
            "event: a\nparams: [{key: value, type: float64}]\ncluster_by: [value]\n",
        );
        assert_eq!(
            d.message,
            "cannot cluster by `value`: BigQuery cannot cluster on FLOAT64 columns"
        );
        assert!(!is_clusterable(&SqlType::Float64));
        assert!(is_clusterable(&SqlType::Timestamp));
    }

    #[test]
    fn at_most_four_cluster_columns_and_no_repeats() {
        let spec = "event: a\ncluster_by: [event_name, platform, user_id, stream_id, event_date]\n";
        let messages: Vec<String> = errors(FILE, spec).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            ["cluster_by has 5 columns; BigQuery allows at most 4"]
        );
        let d = error(FILE, "event: a\ncluster_by: [platform, platform]\n");
        assert_eq!(d.message, "`platform` appears twice in cluster_by");
    }

    #[test]
    fn partitions_are_by_a_date_or_timestamp_column() {
        let t = table(
            FILE,
            "event: a\npartition_by: event_ts\npartition_expiration_days: 30\n",
        );
        assert_eq!(t.partition.column, "event_ts");
        assert_eq!(t.partition.ty, PartitionType::Timestamp);
        assert_eq!(t.partition.expiration_days, Some(30));
        let d = error(FILE, "event: a\npartition_by: platform\n");
        assert_eq!(
            d.message,
            "cannot partition by `platform`: it is STRING, not DATE or TIMESTAMP"
        );
    }
}
