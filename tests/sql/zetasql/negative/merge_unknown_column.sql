-- MERGE sets a column the target table does not have.
-- expect: Unrecognized name: updated_att
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat._metadata` (
  table_name STRING NOT NULL,
  watermark TIMESTAMP,
  updated_at TIMESTAMP
);
MERGE `my-gcp-project.analytics_flat._metadata` AS m
USING (SELECT 't' AS table_name) AS s
ON m.table_name = s.table_name
WHEN MATCHED THEN UPDATE SET updated_att = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (table_name) VALUES (s.table_name);
