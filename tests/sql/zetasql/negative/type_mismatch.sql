-- An INT64 column compared with a STRING.
-- expect: No matching signature for operator = for argument types: INT64, STRING
SELECT e.event_name
FROM `my-gcp-project.raw_events.events_*` AS e
WHERE e.event_timestamp = 'x';
