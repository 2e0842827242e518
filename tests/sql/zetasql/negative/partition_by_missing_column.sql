-- PARTITION BY names a column the query does not produce.
-- expect: Unrecognized name: event_ts
CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.t`
PARTITION BY DATE(event_ts)
AS SELECT 1 AS a;
