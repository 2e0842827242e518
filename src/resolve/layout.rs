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
