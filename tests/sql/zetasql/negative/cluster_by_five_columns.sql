-- BigQuery clusters on at most four columns.
-- expect: CLUSTER BY takes at most 4 columns, got 5
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t` (a STRING, b STRING, c STRING, d STRING, e STRING)
CLUSTER BY a, b, c, d, e;
