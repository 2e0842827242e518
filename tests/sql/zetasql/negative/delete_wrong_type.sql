-- DELETE is analyzed like any statement: its condition is typed against the table.
-- expect: No matching signature for operator BETWEEN
DECLARE bqflat_day_from DATE DEFAULT DATE '2025-07-01';
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t` (event_name STRING, event_ts TIMESTAMP) PARTITION BY DATE(event_ts);
BEGIN TRANSACTION;
DELETE FROM `my-gcp-project.analytics_flat.t` WHERE event_ts BETWEEN bqflat_day_from AND 20250702;
COMMIT TRANSACTION;
