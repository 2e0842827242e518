{#- Days: which shards a run reads and which partition days it replaces, written once for every
    target. The export's shards are listed before the scan, so the `_TABLE_SUFFIX` filter is a
    constant and BigQuery reads only the chosen shards. -#}

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
    the other shard kinds the table reads too. dbt, Dataform and discovery read by these bounds. -#}
{% macro source_days(source, lead, from=none, to=none, grouped=true) -%}
{% if from is none %}
{% set day_from %}bqflat_day_from{% endset %}
{% set day_to %}bqflat_day_to{% endset %}
{% set shard_from %}bqflat_shard_from{% endset %}
{% set shard_to %}bqflat_shard_to{% endset %}
{% else %}
{% set day_from %}{{ from }}{% endset %}
{% set day_to %}{{ to }}{% endset %}
{% set shard_from %}FORMAT_DATE('%Y%m%d', {{ from }}){% endset %}
{% set shard_to %}FORMAT_DATE('%Y%m%d', {{ to }}){% endset %}
{% endif %}
{% if source.sharded -%}
{% set kinds = source.shards if grouped else source.shards[:1] %}
{{ lead|keyword }} {% if kinds|length > 1 %}({% endif %}{% for s in kinds %}{% if not loop.first %}

      OR {% endif %}_TABLE_SUFFIX BETWEEN {% if s.suffix_prefix %}CONCAT({{ s.suffix_prefix|literal }}, {{ shard_from }}) AND CONCAT({{ s.suffix_prefix|literal }}, {{ shard_to }}){% else %}{{ shard_from }} AND {{ shard_to }}{% endif %}{% endfor %}{% if kinds|length > 1 %}){% endif %}
{%- elif source.date_column -%}
{{ lead|keyword }} e.{{ source.date_column|ident }} BETWEEN {{ day_from }} AND {{ day_to }}
{%- else -%}
{{ lead|keyword }} PARSE_DATE('%Y%m%d', e.event_date) BETWEEN {{ day_from }} AND {{ day_to }}
{%- endif %}
{%- endmacro %}

{#- One row per shard day of the export, with the suffix of the shard that day is read from: the
    first kind in `t.source.shards` that has a shard for it. `listed` reads the dataset's table
    names from the array variable `bqflat_source_tables` instead of its metadata. -#}
{% macro chosen_shards(t, listed=false) -%}
SELECT suffix
FROM (
  SELECT
    SUBSTR(table_name, {{ t.source.prefix|length + 1 }}) AS suffix,
    SAFE.PARSE_DATE('%Y%m%d', RIGHT(table_name, 8)) AS day,
    CASE
{% for s in t.source.shards %}
      WHEN table_name = CONCAT({{ (t.source.prefix ~ s.suffix_prefix)|literal }}, RIGHT(table_name, 8)) THEN {{ loop.index }}
{% endfor %}
    END AS preference
  FROM {% if listed %}UNNEST(bqflat_source_tables) AS table_name{% else %}{{ (t.source.project ~ "." ~ t.source.dataset ~ ".INFORMATION_SCHEMA.TABLES")|ident }}{% endif %}

)
WHERE preference IS NOT NULL AND day BETWEEN bqflat_window_start AND bqflat_window_end
QUALIFY ROW_NUMBER() OVER (PARTITION BY day ORDER BY preference) = 1
ORDER BY day
{%- endmacro %}

{#- Lists the sharded `source` dataset's table names once, into `bqflat_source_tables`, for
    `discover_shards(t, listed=true)` of each table that reads it. -#}
{% macro list_source_tables(source) -%}
SET bqflat_source_tables = ARRAY(
  SELECT table_name
  FROM {{ (source.project ~ "." ~ source.dataset ~ ".INFORMATION_SCHEMA.TABLES")|ident }}
  WHERE STARTS_WITH(table_name, {{ source.prefix|literal }})
);
{%- endmacro %}

{#- A table's window and the export's shards inside it, from the source's list. -#}
{% macro set_window(t) -%}
SET bqflat_window_start = {{ window_start(t.window) }};
SET bqflat_window_end = {{ window_end(t.window) }};
{{ discover_shards(t, listed=true) }}
{%- endmacro %}

{#- The day `days` before (`-`) or after (`+`) the date variable `var`. -#}
{% macro shift(var, op, days) -%}
{% if not days %}{{ var|ident }}{% elif op == "-" %}DATE_SUB({{ var|ident }}, INTERVAL {{ days }} DAY){% else %}DATE_ADD({{ var|ident }}, INTERVAL {{ days }} DAY){% endif %}
{%- endmacro %}

{#- The day of a chosen shard's suffix. -#}
{% macro suffix_day(s) -%}
PARSE_DATE('%Y%m%d', RIGHT({{ s|ident }}, 8))
{%- endmacro %}

{#- The values the day variables take, as expressions over the variables before them: the
    BigQuery script SETs them, Dataform DECLAREs them. -#}
{% macro shards_expr(t, listed=false) -%}
ARRAY(
{{ chosen_shards(t, listed)|indent(2, true) }}
)
{%- endmacro %}

{% macro oldest_shard_expr(t) -%}
{% if t.source.sharded %}(SELECT MIN({{ suffix_day("s") }}) FROM UNNEST(bqflat_shards) AS s){% else %}bqflat_window_start{% endif %}
{%- endmacro %}

{% macro newest_shard_expr(t) -%}
{% if t.source.sharded %}(SELECT MAX({{ suffix_day("s") }}) FROM UNNEST(bqflat_shards) AS s){% else %}bqflat_window_end{% endif %}
{%- endmacro %}

{#- The newest day the table holds, from the dataset's metadata (never an event's timestamp).
    `this`: dbt's own relation (`{{ this }}`), so a dev target reads its own dataset.
    Days after the newest shard (an event with a clock in the future, in a table partitioned by
    event time) do not count. -#}
{% macro newest_day_expr(t, this=false) -%}
(
  SELECT MAX(PARSE_DATE('%Y%m%d', partition_id))
  FROM {% if this %}`{% raw %}{{ this.database }}.{{ this.schema }}{% endraw %}.INFORMATION_SCHEMA.PARTITIONS`{% else %}{{ (t.project ~ "." ~ t.dataset ~ ".INFORMATION_SCHEMA.PARTITIONS")|ident }}{% endif %}

  WHERE table_name = {% if this %}'{% raw %}{{ this.identifier }}{% endraw %}'{% else %}{{ t.name|literal }}{% endif %}

    AND partition_id NOT IN ('__NULL__', '__UNPARTITIONED__')
    AND total_rows > 0
    AND partition_id <= FORMAT_DATE('%Y%m%d', {{ shift("bqflat_newest_shard", "+", t.day_margin) }})
)
{%- endmacro %}

{#- The first partition day a run replaces: `lookback_days` before the newest day the table holds,
    or, when it holds none, the first shard's. GA4 rewrites a day's export for up to 72 hours. -#}
{% macro first_day_expr(t) -%}
IF(
  bqflat_newest_day IS NULL,
  {{ shift("bqflat_oldest_shard", "-", t.day_margin) }},
  {{ shift("bqflat_newest_day", "-", t.lookback_days) }}
)
{%- endmacro %}

{% macro last_day_expr(t) -%}
{{ shift("bqflat_newest_shard", "+", t.day_margin) }}
{%- endmacro %}

{% macro read_from_expr(t) -%}
GREATEST(bqflat_window_start, {{ shift("bqflat_day_from", "-", t.day_margin) }})
{%- endmacro %}

{% macro read_to_expr(t) -%}
LEAST(bqflat_window_end, {{ shift("bqflat_day_to", "+", t.day_margin) }})
{%- endmacro %}

{% macro suffixes_expr(t) -%}
ARRAY(
  SELECT s FROM UNNEST(bqflat_shards) AS s WHERE {{ suffix_day("s") }} BETWEEN bqflat_read_from AND bqflat_read_to
)
{%- endmacro %}

{#- The day variables as DECLAREs with their values, for the dbt SQL header and Dataform's
    pre-operations (the BigQuery script SETs them step by step). `newest_day` is the target's
    own expression for the newest day the table holds; none: a full build, NULL. -#}
{% macro declare_days(t, newest_day=none) -%}
-- Days and shards are script variables so the `_TABLE_SUFFIX` filter is a constant and BigQuery
-- reads only the chosen shards.
DECLARE bqflat_window_start DATE DEFAULT {{ window_start(t.window) }};
DECLARE bqflat_window_end DATE DEFAULT {{ window_end(t.window) }};
{% if t.source.sharded %}
-- The export's shards, listed before the scan: each day is read from one shard only.
DECLARE bqflat_shards ARRAY<STRING> DEFAULT {{ shards_expr(t) }};
{% endif %}
DECLARE bqflat_oldest_shard DATE DEFAULT {{ oldest_shard_expr(t) }};
DECLARE bqflat_newest_shard DATE DEFAULT {{ newest_shard_expr(t) }};
{% if newest_day is not none %}
-- The table decides where the run resumes: the newest day it holds.
DECLARE bqflat_newest_day DATE DEFAULT {{ newest_day }};
{% else %}
DECLARE bqflat_newest_day DATE DEFAULT NULL;
{% endif %}
-- The partition days the run replaces, and the shard days it reads.
DECLARE bqflat_day_from DATE DEFAULT {{ first_day_expr(t) }};
DECLARE bqflat_day_to DATE DEFAULT {{ last_day_expr(t) }};
DECLARE bqflat_last_day DATE DEFAULT bqflat_day_to;
DECLARE bqflat_read_from DATE DEFAULT {{ read_from_expr(t) }};
DECLARE bqflat_read_to DATE DEFAULT {{ read_to_expr(t) }};
{% if t.source.sharded %}
DECLARE bqflat_suffixes ARRAY<STRING> DEFAULT {{ suffixes_expr(t) }};
DECLARE bqflat_shard_from STRING DEFAULT FORMAT_DATE('%Y%m%d', bqflat_read_from);
DECLARE bqflat_shard_to STRING DEFAULT FORMAT_DATE('%Y%m%d', bqflat_read_to);
{% endif %}
{%- endmacro %}

{#- Lists the export's shards inside the window (one query on the dataset's metadata) and the
    first and last day they cover. A source that is not sharded covers the window. -#}
{% macro discover_shards(t, listed=false) -%}
{% if t.source.sharded %}
-- The export's shards, listed before the scan: each day is read from one shard only.
SET bqflat_shards = {{ shards_expr(t, listed) }};
{% endif %}
SET bqflat_oldest_shard = {{ oldest_shard_expr(t) }};
SET bqflat_newest_shard = {{ newest_shard_expr(t) }};
{%- endmacro %}

{#- Sets what one step reads: the shards of the days from `bqflat_day_from` − margin to
    `bqflat_day_to` + margin, inside the window. -#}
{% macro choose_shards(t) -%}
SET bqflat_read_from = {{ read_from_expr(t) }};
SET bqflat_read_to = {{ read_to_expr(t) }};
{% if t.source.sharded %}
SET bqflat_suffixes = {{ suffixes_expr(t) }};
SET bqflat_shard_from = FORMAT_DATE('%Y%m%d', bqflat_read_from);
SET bqflat_shard_to = FORMAT_DATE('%Y%m%d', bqflat_read_to);
{%- else %}
-- A partitioned source is read between bqflat_read_from and bqflat_read_to.
{%- endif %}
{%- endmacro %}

{#- The export rows a step reads: its chosen shards only. The bounds per kind keep the scan
    pruned to the step's days whatever BigQuery does with the array. A shared `scan`'s copy is
    partitioned by each row's shard day (`scan.day`), so the step reads its days only, and keeps
    the shard in a column. -#}
{% macro read_shards(t, lead, scan=none) -%}
{% if scan -%}
{{ lead|keyword }} e.{{ scan.day|ident }} BETWEEN bqflat_read_from AND bqflat_read_to
{%- if t.source.sharded %}

    AND e.bqflat_suffix IN UNNEST(bqflat_suffixes)
{%- endif %}
{%- elif t.source.sharded -%}
{{ lead|keyword }} _TABLE_SUFFIX IN UNNEST(bqflat_suffixes)
    {{ source_days(t.source, "AND") }}
{%- elif t.source.date_column -%}
{{ lead|keyword }} e.{{ t.source.date_column|ident }} BETWEEN bqflat_read_from AND bqflat_read_to
{%- else -%}
{{ lead|keyword }} PARSE_DATE('%Y%m%d', e.event_date) BETWEEN bqflat_read_from AND bqflat_read_to
{%- endif %}
{%- endmacro %}

{#- Reads the whole window: the shards of every day in it. Custom templates call it before
    `flat_rows(t, false)`. -#}
{% macro set_shards(t) -%}
{{ discover_shards(t) }}
SET bqflat_day_from = bqflat_window_start;
SET bqflat_day_to = bqflat_window_end;
{{ choose_shards(t) }}
{%- endmacro %}

{#- Keeps the rows of `alias` whose partition day is between `bqflat_day_from` and
    `bqflat_day_to`. On the table itself the condition prunes to those partitions. -#}
{% macro partition_days(t, alias) -%}
{% if t.partition.type == "DATE" -%}
{{ alias|ident }}.{{ t.partition.column|ident }} BETWEEN bqflat_day_from AND bqflat_day_to
{%- else -%}
{{ alias|ident }}.{{ t.partition.column|ident }} >= TIMESTAMP(bqflat_day_from) AND {{ alias|ident }}.{{ t.partition.column|ident }} < TIMESTAMP(DATE_ADD(bqflat_day_to, INTERVAL 1 DAY))
{%- endif %}
{%- endmacro %}

{% macro read_newest_day(t) -%}
SET bqflat_newest_day = {{ newest_day_expr(t) }};
{%- endmacro %}

{#- Keeps the rows of `alias` whose partition day is after the last day the run replaces: only an
    event with a clock in the future puts a row there, in a table not partitioned by the
    export's `event_date`. -#}
{% macro after_run(t, alias) -%}
{% if t.partition.type == "DATE" -%}
{{ alias|ident }}.{{ t.partition.column|ident }} > bqflat_last_day
{%- else -%}
{{ alias|ident }}.{{ t.partition.column|ident }} >= TIMESTAMP(DATE_ADD(bqflat_last_day, INTERVAL 1 DAY))
{%- endif %}
{%- endmacro %}

{#- The rows a step stages: those of its days, and (when the table's partition days can run
    ahead of the shards) those dated after the run's last day, which no step replaces. -#}
{% macro staged_days(t, alias) -%}
{% if t.day_margin %}({{ partition_days(t, alias) }} OR {{ after_run(t, alias) }}){% else %}{{ partition_days(t, alias) }}{% endif %}
{%- endmacro %}

{#- A condition over every partition of the table `alias`: tables that require a partition filter
    accept it, and it costs nothing. -#}
{% macro all_partitions(t, alias) -%}
{% if t.partition.require_filter %}{{ alias|ident }}.{{ t.partition.column|ident }} >= {{ epoch(t) }}{% else %}TRUE{% endif %}
{%- endmacro %}

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
