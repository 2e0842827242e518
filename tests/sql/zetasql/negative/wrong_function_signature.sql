-- PARSE_DATE takes a STRING, event_timestamp is INT64.
-- expect: No matching signature for function PARSE_DATE
SELECT PARSE_DATE('%Y%m%d', e.event_timestamp) AS event_date
FROM `my-gcp-project.raw_events.events_*` AS e;
