-- A misspelt field of a GA4 STRUCT column.
-- expect: Field name categry does not exist in STRUCT
SELECT e.device.categry AS device_category
FROM `my-gcp-project.raw_events.events_*` AS e
WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240131';
