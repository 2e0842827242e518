{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_ddl.sql" as ddl %}
{% import "bigquery/_rows.sql" as rows %}
{% import "bigquery/_window.sql" as win %}
{{ state.prelude(t, run_path) }}

CREATE TABLE IF NOT EXISTS {{ t.full_name|ident }} (
{{ ddl.column_list(t) }}
)
{{ ddl.table_options(t) }};

{{ state.read_watermark(t) }}

{% if t.daily_batches %}
-- Daily batches: one transaction per day, so a failure keeps the days already merged.
SET bqflat_day_to = bqflat_day_from;
WHILE bqflat_day_from <= bqflat_window_end DO
{{ win.set_shards(t)|indent(2, true) }}
  BEGIN
    BEGIN TRANSACTION;
{{ rows.merge(t)|indent(4, true) }}
    SET bqflat_rows = bqflat_rows + @@row_count;
{{ state.set_watermark_after(t)|indent(4, true) }}
{{ state.record_run(t)|indent(4, true) }}
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
{{ win.set_shards(t) }}

-- The merge, the watermark and the run row commit together or not at all.
BEGIN
  BEGIN TRANSACTION;
{{ rows.merge(t)|indent(2, true) }}
  SET bqflat_rows = @@row_count;
{{ state.set_watermark_after(t)|indent(2, true) }}
{{ state.record_run(t)|indent(2, true) }}
  COMMIT TRANSACTION;
EXCEPTION WHEN ERROR THEN
  ROLLBACK TRANSACTION;
  RAISE USING MESSAGE = @@error.message;
END;
{% endif %}
