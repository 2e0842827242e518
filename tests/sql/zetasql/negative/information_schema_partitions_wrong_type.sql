-- partition_id is a STRING ('20250704'): it is not a DATE to compare with a date.
-- expect: No matching signature for operator >=
SELECT partition_id
FROM `my-gcp-project.analytics_flat.INFORMATION_SCHEMA.PARTITIONS`
WHERE table_name = 'event_purchase_flat' AND partition_id >= DATE '2025-07-01';
