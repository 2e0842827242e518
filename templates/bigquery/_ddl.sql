{#- DDL: the tables' columns, partitioning, clustering and options, and bqflat's own tables. -#}

{% macro column_list(t) -%}
{% for c in t.columns %}
  {{ c.name|ident }} {{ c.type|sql_type }}{% if not loop.last %},
{% endif %}
{%- endfor %}
{%- endmacro %}

{% macro table_options(t) -%}
PARTITION BY {% if t.partition.type == "DATE" %}{{ t.partition.column|ident }}{% else %}DATE({{ t.partition.column|ident }}){% endif %}

{% if t.cluster_by %}
CLUSTER BY {% for c in t.cluster_by %}{{ c|ident }}{% if not loop.last %}, {% endif %}{% endfor %}

{% endif %}
OPTIONS (
{{ options_list(t) }}
)
{%- endmacro %}

{#- The table's options, one per line; with `explicit`, unset ones are written as their defaults
    so ALTER TABLE … SET OPTIONS also clears what a spec no longer sets. -#}
{% macro options_list(t, explicit=false) -%}
{% if t.description %}
  description = {{ t.description|literal }},
{% elif explicit %}
  description = NULL,
{% endif %}
{% if t.partition.expiration_days %}
  partition_expiration_days = {{ t.partition.expiration_days }},
{% elif explicit %}
  partition_expiration_days = NULL,
{% endif %}
{% if t.partition.require_filter %}
  require_partition_filter = TRUE,
{% elif explicit %}
  require_partition_filter = FALSE,
{% endif %}
  labels = [{% for k, v in t.labels|items %}({{ k|literal }}, {{ v|literal }}){% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- New datasets go where the project says; otherwise BigQuery picks the job's location. -#}
{% macro location_option(location) -%}
{% if location %} OPTIONS (location = {{ location|literal }}){% endif %}
{%- endmacro %}

{% macro metadata_tables(m) -%}
CREATE TABLE IF NOT EXISTS {{ m.watermarks_full|ident }} (
  table_name STRING NOT NULL OPTIONS (description = 'Flattened table, as project.dataset.table'),
  watermark TIMESTAMP OPTIONS (description = 'Greatest event_ts the run wrote'),
  updated_at TIMESTAMP,
  run_id STRING
)
OPTIONS (description = 'bqflat: one row per run (per day of a batched run) of each flattened table; the latest counts');

CREATE TABLE IF NOT EXISTS {{ m.runs_full|ident }} (
  run_id STRING NOT NULL,
  table_name STRING NOT NULL,
  event_name STRING,
  mode STRING,
  started_at TIMESTAMP,
  ended_at TIMESTAMP,
  rows_affected INT64,
  watermark_before TIMESTAMP,
  watermark_after TIMESTAMP,
  spec_version INT64,
  bqflat_version STRING
)
PARTITION BY DATE(started_at)
OPTIONS (description = 'bqflat: one row per run of a flattening script');
{%- endmacro %}

{#- The view `v` over its tables of every source. -#}
{% macro sources_view(v) -%}
CREATE OR REPLACE VIEW {{ v.full_name|ident }}
OPTIONS (
{% if v.description %}
  description = {{ v.description|literal }},
{% endif %}
  labels = [{% for k, val in v.labels|items %}({{ k|literal }}, {{ val|literal }}){% if not loop.last %}, {% endif %}{% endfor %}]
)
AS
{{ sources_select(v) }}
{%- endmacro %}

{#- One SELECT of the same columns per table, so a table added later (its columns in the
    spec's order, where older tables had columns added at the end) reads the same. A filter on
    the partition column prunes every table. `refs` (`dbt`, `dataform`): the tables as that
    tool's `ref()`s. -#}
{% macro sources_select(v, refs=none) -%}
{% for t in v.tables %}
{% if not loop.first %}
UNION ALL
{% endif %}
SELECT {% for c in v.columns %}{{ c|ident }}{% if not loop.last %}, {% endif %}{% endfor %}

FROM {% if refs == "dbt" %}{% raw %}{{ ref({% endraw %}{{ t.model|json }}{% raw %}) }}{% endraw %}{% elif refs == "dataform" %}${ref({{ t.model|js_string }})}{% else %}{{ t.full_name|ident }}{% endif %}{% if not loop.last %}

{% endif %}
{% endfor %}
{%- endmacro %}
