-- The table created earlier in the script is known, with its column types.
-- expect: which cannot be inserted into column watermark, which has type TIMESTAMP
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat._metadata` (
  table_name STRING NOT NULL,
  watermark TIMESTAMP
);
INSERT INTO `my-gcp-project.analytics_flat._metadata` (table_name, watermark)
VALUES ('t', CURRENT_DATE());
