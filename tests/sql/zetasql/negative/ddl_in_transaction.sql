-- BigQuery runs only queries, DML and DDL on temporary entities inside a transaction.
-- expect: CREATE TABLE of a permanent object is not supported inside a transaction
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t__bqflat_build` (event_name STRING, event_date DATE) PARTITION BY event_date;
BEGIN TRANSACTION;
CREATE OR REPLACE TABLE `my-gcp-project.analytics_flat.t` COPY `my-gcp-project.analytics_flat.t__bqflat_build`;
COMMIT TRANSACTION;
