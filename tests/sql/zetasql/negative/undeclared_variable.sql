-- A script variable used without DECLARE (what a custom template gets when it skips the bounds).
-- expect: Unrecognized name: bqflat_shard_from
SELECT COUNT(*)
FROM `my-gcp-project.raw_events.events_*` AS e
WHERE _TABLE_SUFFIX BETWEEN bqflat_shard_from AND '20240131';
