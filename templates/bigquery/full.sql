{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_window.sql" as win %}
{{ state.prelude(t, run_path) }}

{{ state.read_stored_watermark(t) }}

{{ win.discover_shards(t) }}
{{ state.rebuild(t) }}
