-- A bare TIMESTAMP column is not a BigQuery partitioning expression.
-- expect: PARTITION BY column event_ts has type TIMESTAMP
CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.t`
PARTITION BY event_ts
AS SELECT CURRENT_TIMESTAMP() AS event_ts;
