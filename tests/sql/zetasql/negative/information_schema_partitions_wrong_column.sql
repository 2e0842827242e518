-- INFORMATION_SCHEMA.PARTITIONS counts rows in total_rows, not row_count.
-- expect: Unrecognized name: row_count
DECLARE bqflat_newest_day DATE;
SET bqflat_newest_day = (
  SELECT MAX(PARSE_DATE('%Y%m%d', partition_id))
  FROM `my-gcp-project.analytics_flat.INFORMATION_SCHEMA.PARTITIONS`
  WHERE table_name = 'event_purchase_flat' AND row_count > 0
    AND partition_id NOT IN ('__NULL__', '__UNPARTITIONED__')
);
