{#- Window bounds: which days a run reads, written once for every target. Script variables carry
    the bounds so the `_TABLE_SUFFIX` filter is a constant and BigQuery reads only the shards
    inside them. -#}

{#- The first day of the window; without a start, the first shard (or, for discovery, the last
    30 days). -#}
{% macro window_start(window, recent=false) -%}
{% if window.start %}DATE {{ window.start|literal }}{% elif recent %}DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY){% else %}DATE '1970-01-01'{% endif +%}
{%- endmacro %}

{#- The last day of the window; without an end, tomorrow (UTC), so today's shard is read whatever
    the property's time zone. -#}
{% macro window_end(window) -%}
{% if window.end %}DATE {{ window.end|literal }}{% else %}DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY){% endif +%}
{%- endmacro %}

{#- The condition that keeps the source's rows between two days: `lead` (`AND`, `WHERE`) first.
    Without `from`/`to` it reads the script variables (`bqflat_day_from`, `bqflat_shard_from`, …);
    with them (SQL expressions of type DATE) it computes the shard names inline. `grouped` reads
    the intraday shards too, when the source has them. -#}
{% macro source_days(source, lead, from=none, to=none, grouped=true) -%}
{% if from is none %}
{% set day_from %}bqflat_day_from{% endset %}
{% set day_to %}bqflat_day_to{% endset %}
{% set shard_from %}bqflat_shard_from{% endset %}
{% set shard_to %}bqflat_shard_to{% endset %}
{% set intraday_from %}bqflat_intraday_from{% endset %}
{% set intraday_to %}bqflat_intraday_to{% endset %}
{% else %}
{% set day_from %}{{ from }}{% endset %}
{% set day_to %}{{ to }}{% endset %}
{% set shard_from %}FORMAT_DATE('%Y%m%d', {{ from }}){% endset %}
{% set shard_to %}FORMAT_DATE('%Y%m%d', {{ to }}){% endset %}
{% set intraday_from %}CONCAT('intraday_', FORMAT_DATE('%Y%m%d', {{ from }})){% endset %}
{% set intraday_to %}CONCAT('intraday_', FORMAT_DATE('%Y%m%d', {{ to }})){% endset %}
{% endif %}
{% if source.sharded -%}
{{ lead|keyword }} {% if grouped %}({% endif %}_TABLE_SUFFIX BETWEEN {{ shard_from }} AND {{ shard_to }}{% if grouped and source.intraday %}

      OR _TABLE_SUFFIX BETWEEN {{ intraday_from }} AND {{ intraday_to }}{% endif %}{% if grouped %}){% endif %}
{%- elif source.date_column -%}
{{ lead|keyword }} e.{{ source.date_column|ident }} BETWEEN {{ day_from }} AND {{ day_to }}
{%- else -%}
{{ lead|keyword }} PARSE_DATE('%Y%m%d', e.event_date) BETWEEN {{ day_from }} AND {{ day_to }}
{%- endif %}
{%- endmacro %}

{#- Sets the shard (or partition) bounds of one read from the day variables. -#}
{% macro set_shards(t) -%}
{% if t.source.sharded %}
SET bqflat_shard_from = FORMAT_DATE('%Y%m%d', bqflat_day_from);
SET bqflat_shard_to = FORMAT_DATE('%Y%m%d', bqflat_day_to);
{%- if t.source.intraday %}

SET bqflat_intraday_from = CONCAT('intraday_', bqflat_shard_from);
SET bqflat_intraday_to = CONCAT('intraday_', bqflat_shard_to);
{%- endif %}
{% else %}
-- A partitioned source is read between bqflat_day_from and bqflat_day_to.
{%- endif %}
{%- endmacro %}

{#- The lower bound of target partitions a merge can touch: one day before the earliest event
    read, since the export's shard dates and the partition dates may be in different zones. -#}
{% macro partition_lower_bound(t) -%}
{% if t.partition.type == "DATE" -%}
DATE_SUB(DATE(bqflat_ts_from), INTERVAL 1 DAY)
{%- else -%}
TIMESTAMP_SUB(bqflat_ts_from, INTERVAL 1 DAY)
{%- endif %}
{%- endmacro %}

{% macro epoch(t) -%}
{% if t.partition.type == "DATE" %}DATE '1970-01-01'{% else %}TIMESTAMP '1970-01-01 00:00:00+00'{% endif +%}
{%- endmacro %}
