-- The views exist for the datasets the project uses (source, target, metadata), not for a typo.
-- expect: Table not found: `my-gcp-project.analytics_flt.INFORMATION_SCHEMA.PARTITIONS`
SELECT partition_id FROM `my-gcp-project.analytics_flt.INFORMATION_SCHEMA.PARTITIONS`;
