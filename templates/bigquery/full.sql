{% import "bigquery/_state.sql" as state %}
{% import "bigquery/_window.sql" as win %}
{{ state.prelude(t, run_path) }}
{% if migration is defined %}

-- A one-off rebuild: it runs once, recorded in _runs under this run id.
SET bqflat_run_id = {{ ("migration " ~ migration)|literal }};
{{ state.skip_if_migrated(t) }}
{% endif %}

{{ state.read_stored_watermark(t) }}

{{ win.discover_shards(t) }}
{{ state.rebuild(t) }}
