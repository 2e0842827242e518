{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_ddl.sql" as ddl %}
{{ state.prelude(t, run_path) }}

CREATE TABLE IF NOT EXISTS {{ t.full_name|ident }} (
{{ ddl.column_list(t) }}
)
{{ ddl.table_options(t) }};

{{ state.read_stored_watermark(t) }}

-- The table decides where the run resumes: a missing or empty table is backfilled.
{{ state.plan_days(t) }}

{{ state.steps(t, t.full_name) }}
