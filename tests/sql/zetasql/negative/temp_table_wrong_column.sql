-- A temp table created in the script is seen by the statements after it, with its columns.
-- expect: Unrecognized name: event_timestamp
DECLARE bqflat_suffixes ARRAY<STRING> DEFAULT ['20250701', 'intraday_20250702'];
CREATE TEMP TABLE bqflat_staged AS
SELECT event_name, TIMESTAMP_MICROS(event_timestamp) AS event_ts, PARSE_DATE('%Y%m%d', event_date) AS event_date
FROM `my-gcp-project.raw_events.events_*`
WHERE _TABLE_SUFFIX IN UNNEST(bqflat_suffixes);
SELECT MAX(event_timestamp) FROM bqflat_staged;
