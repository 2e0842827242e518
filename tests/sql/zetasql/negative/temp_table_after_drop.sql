-- A dropped table is gone for the statements after the DROP.
-- expect: Table not found: bqflat_staged
CREATE TEMP TABLE bqflat_staged AS SELECT event_name FROM `my-gcp-project.raw_events.events_*`;
DROP TABLE IF EXISTS bqflat_staged;
SELECT COUNT(*) FROM bqflat_staged;
