-- BigQuery partitions on DATE(timestamp_col) only, without a time zone argument.
-- expect: PARTITION BY must be a DATE column, DATE(<TIMESTAMP or DATETIME column>)
CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.t` (event_ts TIMESTAMP)
PARTITION BY DATE(event_ts, 'Europe/Paris');
