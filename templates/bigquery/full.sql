{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_ddl.sql" as ddl %}
{% import "bigquery/_rows.sql" as rows %}
{% import "bigquery/_window.sql" as win %}
{{ state.prelude(t, run_path) }}

{{ state.read_stored_watermark(t) }}

{% if t.daily_batches %}
-- Daily batches: create the table empty, then merge one day at a time.
CREATE OR REPLACE TABLE {{ t.full_name|ident }} (
{{ ddl.column_list(t) }}
)
{{ ddl.table_options(t) }};

SET bqflat_day_to = bqflat_day_from;
WHILE bqflat_day_from <= bqflat_window_end DO
{{ win.set_shards(t)|indent(2, true) }}
  SET bqflat_partition_from = {% if t.partition.type == "DATE" %}DATE_SUB(bqflat_day_from, INTERVAL 1 DAY){% else %}TIMESTAMP(DATE_SUB(bqflat_day_from, INTERVAL 1 DAY)){% endif %};
{{ rows.merge(t)|indent(2, true) }}
  SET bqflat_rows = bqflat_rows + @@row_count;
  SET bqflat_day_from = DATE_ADD(bqflat_day_from, INTERVAL 1 DAY);
  SET bqflat_day_to = bqflat_day_from;
END WHILE;
SET bqflat_partition_from = {{ win.epoch(t) }};
{% else %}
{{ win.set_shards(t) }}

CREATE OR REPLACE TABLE {{ t.full_name|ident }}
{{ ddl.table_options(t) }}
AS
{{ rows.flat_rows(t, false) }};

SET bqflat_rows = (
  SELECT COUNT(*) FROM {{ t.full_name|ident }} WHERE {{ t.partition.column|ident }} >= bqflat_partition_from
);
{% endif %}
{{ state.set_watermark_after(t) }}

-- The watermark and the run row are recorded together.
BEGIN TRANSACTION;
{{ state.record_run(t) }}
COMMIT TRANSACTION;
