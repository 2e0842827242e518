-- _TABLE_SUFFIX exists only on a wildcard table, not on a partitioned source table.
-- expect: Unrecognized name: _TABLE_SUFFIX
SELECT e.event_name
FROM `my-gcp-project.raw_events.events_all` AS e
WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240131';
