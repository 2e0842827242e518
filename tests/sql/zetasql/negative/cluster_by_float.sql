-- BigQuery cannot cluster on FLOAT64 (the analyzer knows this one itself).
-- expect: CLUSTER BY expression may not be a floating point type
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t` (event_date DATE, value FLOAT64)
PARTITION BY event_date
CLUSTER BY value;
