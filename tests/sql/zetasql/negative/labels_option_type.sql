-- labels must be an ARRAY of (STRING, STRING) pairs.
-- expect: Option labels value has type ARRAY<STRUCT<STRING, INT64>>
CREATE TABLE IF NOT EXISTS `my-gcp-project.analytics_flat.t` (a INT64)
OPTIONS (labels = [('managed_by', 1)]);
