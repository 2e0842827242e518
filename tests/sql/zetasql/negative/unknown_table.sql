-- A table that is neither the GA4 source nor created by the script.
-- expect: Table not found: `my-gcp-project.raw_events.events_typo`
SELECT 1 FROM `my-gcp-project.raw_events.events_typo`;
