{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_ddl.sql" as ddl %}
{% import "bigquery/_rows.sql" as rows %}
{% import "bigquery/_window.sql" as win %}
{{ state.prelude(t, run_path) }}

{{ state.read_stored_watermark(t) }}

{% if t.daily_batches %}
{% set build = t.full_name ~ "__bqflat_build" %}
{{ win.discover_shards(t) }}
SET bqflat_first_day = {{ win.shift("bqflat_oldest_shard", "-", t.day_margin) }};
SET bqflat_last_day = {{ win.last_day_expr(t) }};

-- Daily batches build a copy day by day; readers see the old table until the copy replaces it.
CREATE OR REPLACE TABLE {{ build|ident }} (
{{ ddl.column_list(t) }}
)
{{ ddl.table_options(t) }};

{{ state.steps(t, build, record=false) }}

SET bqflat_rows = (SELECT COUNT(*) FROM {{ build|ident }} AS b WHERE {{ win.all_partitions(t, "b") }});
-- The finished copy replaces the table in one statement (it reads the copy once).
CREATE OR REPLACE TABLE {{ t.full_name|ident }}
{{ ddl.table_options(t) }}
AS
SELECT * FROM {{ build|ident }};
DROP TABLE {{ build|ident }};
{% else %}
{{ win.set_shards(t) }}

CREATE OR REPLACE TABLE {{ t.full_name|ident }}
{{ ddl.table_options(t) }}
AS
{{ rows.flat_rows(t, false) }};

SET bqflat_rows = (SELECT COUNT(*) FROM {{ t.full_name|ident }} AS stored WHERE {{ win.all_partitions(t, "stored") }});
SET bqflat_watermark_after = (SELECT MAX(event_ts) FROM {{ t.full_name|ident }} AS stored WHERE {{ win.all_partitions(t, "stored") }});
{% endif %}

-- The watermark and the run row are recorded together.
BEGIN TRANSACTION;
{{ state.record_run(t) }}
COMMIT TRANSACTION;
