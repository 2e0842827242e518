-- CREATE TABLE ... COPY gives the copy the columns of its source, and only those.
-- expect: Unrecognized name: event_ts
CREATE TABLE `my-gcp-project.analytics_flat.t__bqflat_build` (event_name STRING, event_date DATE) PARTITION BY event_date;
CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.t` COPY `my-gcp-project.analytics_flat.t__bqflat_build`;
DROP TABLE `my-gcp-project.analytics_flat.t__bqflat_build`;
SELECT MAX(event_ts) FROM `my-gcp-project.analytics_flat.t`;
