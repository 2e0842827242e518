{#- Scans: one read of a source for every table that reads it, written once for `_run.sql`'s
    temporary tables and the dbt and Dataform base models. -#}
{% import "bigquery/_expressions.sql" as x %}
{% import "bigquery/_window.sql" as win %}

{#- The scan's rows: its events only, its fields copied in the export's shape (cut to the fields
    its tables read), event_key and each param computed once, and the shard a row was read from.
    From the shards the script variables choose, or from `source` (dbt's and Dataform's
    relation); `day` adds the base's partition day. -#}
{% macro scan_select(s, source=none, day=false) -%}
SELECT
{% for f in s.fields %}
  {{ x.field_copy("e." ~ f.name, f, 1) }} AS {{ f.name|ident }}{% if not loop.last %},{% endif +%}
{% endfor %}
{% if s.source.sharded %}
  , _TABLE_SUFFIX AS {{ s.suffix_column|ident }}
{% endif %}
{% if day %}
  , {{ source_day(s.source) }} AS {{ s.day_column|ident }}
{% endif %}
{% if s.event_key %}
  , {{ x.event_key() }} AS bqflat_event_key
{% endif %}
{% for p in s.params %}
  , {{ x.param_value({"origin": {"array": p.array, "key": p.key, "param_type": p.param_type}}) }} AS {{ p.column|ident }}
{% endfor %}
FROM {% if source is not none %}{{ source }}{% else %}{{ s.source.full_name|ident }}{% endif %} AS e
WHERE e.event_name IN ({% for ev in s.events %}{{ ev|literal }}{% if not loop.last %}, {% endif %}{% endfor %})
  {{ win.read_shards(s, "AND") }}
{%- endmacro %}

{#- The day of an export row as a base partitions it: its shard's (a DATE). -#}
{% macro source_day(source) -%}
{% if source.sharded %}{{ win.suffix_day("_TABLE_SUFFIX") }}{% elif source.date_column %}e.{{ source.date_column|ident }}{% else %}PARSE_DATE('%Y%m%d', e.event_date){% endif %}
{%- endmacro %}

{#- The day variables of a base, as DECLAREs (dbt's SQL header, Dataform's pre-operations): the
    same names as a table's (`declare_days`), over the union of its tables' windows. Each day
    holds the shard every list of shard kinds among its tables chooses. An incremental run
    replaces the newest day the base holds (`newest_day`, the target's own expression; none: a
    first run) and the `lookback_days` before it, up to the newest shard. -#}
{% macro declare_base_days(s, newest_day=none) -%}
-- Days and shards are script variables so the `_TABLE_SUFFIX` filter is a constant and BigQuery
-- reads only the chosen shards.
DECLARE bqflat_window_start DATE DEFAULT {{ win.window_start(s.window) }};
DECLARE bqflat_window_end DATE DEFAULT {{ win.window_end(s.window) }};
{% if s.source.sharded %}
-- The export's shards, listed before the scan: each day is read from the shard each of the
-- tables' lists of shard kinds chooses.
{% if s.choices|length == 1 %}
DECLARE bqflat_shards ARRAY<STRING> DEFAULT {{ win.shards_expr({"source": s.choices[0]}) }};
{% else %}
DECLARE bqflat_shards ARRAY<STRING> DEFAULT ARRAY(
  SELECT DISTINCT suffix
  FROM (
{% for c in s.choices %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    SELECT suffix FROM (
{{ win.chosen_shards({"source": c})|indent(6, true) }}
    )
{% endfor %}
  )
);
{% endif %}
{% endif %}
{% set t = {"source": s.source, "day_margin": 0, "lookback_days": s.lookback_days} %}
DECLARE bqflat_oldest_shard DATE DEFAULT {{ win.oldest_shard_expr(t) }};
DECLARE bqflat_newest_shard DATE DEFAULT {{ win.newest_shard_expr(t) }};
{% if newest_day is not none %}
-- The base decides where the run resumes: the newest day it holds.
DECLARE bqflat_newest_day DATE DEFAULT {{ newest_day }};
{% else %}
DECLARE bqflat_newest_day DATE DEFAULT NULL;
{% endif %}
-- The partition days the run replaces (the tables' largest lookback before the newest day the
-- base holds, and every newer shard), and the shard days it reads.
DECLARE bqflat_day_from DATE DEFAULT {{ win.first_day_expr(t) }};
DECLARE bqflat_day_to DATE DEFAULT {{ win.last_day_expr(t) }};
DECLARE bqflat_read_from DATE DEFAULT {{ win.read_from_expr(t) }};
DECLARE bqflat_read_to DATE DEFAULT {{ win.read_to_expr(t) }};
{% if s.source.sharded %}
DECLARE bqflat_suffixes ARRAY<STRING> DEFAULT {{ win.suffixes_expr(t) }};
DECLARE bqflat_shard_from STRING DEFAULT FORMAT_DATE('%Y%m%d', bqflat_read_from);
DECLARE bqflat_shard_to STRING DEFAULT FORMAT_DATE('%Y%m%d', bqflat_read_to);
{% endif %}
{%- endmacro %}

{#- The newest day a base holds, from its partitions' metadata; `project`, `dataset`, `name`:
    the base's table. -#}
{% macro base_newest_day(project, dataset, name, this=false) -%}
{{ win.newest_day_expr({"project": project, "dataset": dataset, "name": name, "day_margin": 0}, this) }}
{%- endmacro %}

{#- What a table's model reads of its base: the shard days of its step (the base's partitions)
    and, for a sharded source, the shards it chooses itself. -#}
{% macro base_bounds(t, base) %}
    AND e.{{ base.day_column|ident }} BETWEEN bqflat_read_from AND bqflat_read_to
{% if t.source.sharded %}
    AND e.{{ base.suffix_column|ident }} IN UNNEST(bqflat_suffixes)
{% endif %}
{%- endmacro %}
