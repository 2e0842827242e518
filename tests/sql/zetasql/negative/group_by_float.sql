-- BigQuery does not group by FLOAT64.
-- expect: Grouping by expressions of type FLOAT64 is not allowed
SELECT e.event_value_in_usd, COUNT(*) AS n
FROM `my-gcp-project.raw_events.events_*` AS e
GROUP BY 1;
