-- INFORMATION_SCHEMA.TABLES has table_name, not table_id (the REST API's name).
-- expect: Unrecognized name: table_id
DECLARE bqflat_newest_shard DATE;
SET bqflat_newest_shard = (
  SELECT MAX(PARSE_DATE('%Y%m%d', SUBSTR(table_id, LENGTH('events_') + 1)))
  FROM `my-gcp-project.raw_events.INFORMATION_SCHEMA.TABLES`
  WHERE table_type = 'BASE TABLE' AND REGEXP_CONTAINS(table_name, r'^events_[0-9]{8}$')
);
