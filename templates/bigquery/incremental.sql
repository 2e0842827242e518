{% import "bigquery/_macros.sql" as m %}
{{ m.header(t, run_path) }}

{{ m.declare_bounds(t) }}

CREATE SCHEMA IF NOT EXISTS {{ t.dataset_full_name|ident }}{{ m.location_option(t.location) }};

{{ m.metadata_tables(t.metadata) }}

CREATE TABLE IF NOT EXISTS {{ t.full_name|ident }} (
{{ m.column_list(t) }}
)
{{ m.table_options(t) }};

{{ m.read_watermark(t) }}

{% if t.daily_batches %}
-- Daily batches: one transaction per day, so a failure keeps the days already merged.
SET bqflat_day_to = bqflat_day_from;
WHILE bqflat_day_from <= bqflat_window_end DO
{{ m.set_shards(t)|indent(2, true) }}
  BEGIN
    BEGIN TRANSACTION;
{{ m.merge(t)|indent(4, true) }}
    SET bqflat_rows = bqflat_rows + @@row_count;
{{ m.set_watermark_after(t)|indent(4, true) }}
{{ m.record_run(t)|indent(4, true) }}
    COMMIT TRANSACTION;
  EXCEPTION WHEN ERROR THEN
    ROLLBACK TRANSACTION;
    RAISE USING MESSAGE = @@error.message;
  END;
  SET bqflat_watermark_before = bqflat_watermark_after;
  SET bqflat_day_from = DATE_ADD(bqflat_day_from, INTERVAL 1 DAY);
  SET bqflat_day_to = bqflat_day_from;
END WHILE;
{% else %}
{{ m.set_shards(t) }}

-- The merge, the watermark and the run row commit together or not at all.
BEGIN
  BEGIN TRANSACTION;
{{ m.merge(t)|indent(2, true) }}
  SET bqflat_rows = @@row_count;
{{ m.set_watermark_after(t)|indent(2, true) }}
{{ m.record_run(t)|indent(2, true) }}
  COMMIT TRANSACTION;
EXCEPTION WHEN ERROR THEN
  ROLLBACK TRANSACTION;
  RAISE USING MESSAGE = @@error.message;
END;
{% endif %}
