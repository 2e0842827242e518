{#- Rows and keys: the export's rows for one event, flattened and deduplicated, and the
    statements that replace a table's days with them. -#}
{% import "bigquery/_expressions.sql" as x %}
{% import "bigquery/_window.sql" as win %}

{#- Rows of the export for this event, flattened and deduplicated on the table's key: from the
    shards the script variables choose, or (dbt and Dataform) from their own `source` relation
    and `bounds` (the conditions after the event name). `scan` (`{table, columns}`) reads a shared
    scan's copy instead, with the columns it computed. `days` keeps the rows whose partition day
    the step replaces; rows are never filtered by their timestamp. -#}
{% macro flat_rows(t, incremental, source=none, bounds=none, days=false, scan=none) -%}
SELECT *
FROM (
  SELECT
{% for c in t.columns %}
    {{ x.column_expr(t, c, scan.columns if scan else none) }} AS {{ c.name|ident }}{% if not loop.last %},{% endif +%}
{% endfor %}
  FROM {% if source is not none %}{{ source }}{% elif scan %}{{ scan.table|ident }}{% else %}{{ t.source.full_name|ident }}{% endif %} AS e
{% if t.explode_items %}
  LEFT JOIN UNNEST(e.items) AS item WITH OFFSET AS item_index
{% endif %}
  WHERE e.event_name = {{ t.event|literal }}
{% if t.drop_denied %}
    -- consent: drop_denied (no analytics consent, or a cookieless ping)
    AND {{ x.consented() }}
{% endif %}
{% if bounds is not none %}
{{ bounds|trim("\n") }}
{% else %}
    {{ win.read_shards(t, "AND", scan=scan) }}
{% endif %}
) AS flat
WHERE {% if days %}{{ win.staged_days(t, "flat") }}{% else %}TRUE{% endif +%}
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY {% for k in t.dedupe.key %}flat.{{ k|ident }}{% if not loop.last %}, {% endif %}{% endfor %}
{% if t.dedupe.nullable %}
, IF({% for k in t.dedupe.nullable %}flat.{{ k|ident }} IS NULL{% if not loop.last %} OR {% endif %}{% endfor %}, flat.event_key, NULL)
{%- endif %}

  ORDER BY flat.{{ t.dedupe.order_by|ident }} {% if t.dedupe.strategy == "keep_latest" %}DESC{% else %}ASC{% endif +%}
) = 1
{%- endmacro %}

{#- One value for the whole dedupe key of a row, as its QUALIFY partitions: rows with a NULL in
    a chosen key are told apart by event_key. dbt and Dataform merge on it. -#}
{% macro row_key(t, alias) -%}
TO_JSON_STRING(STRUCT({% for k in t.dedupe.key %}{{ alias|ident }}.{{ k|ident }}{% if not loop.last %}, {% endif %}{% endfor %}{% if t.dedupe.nullable %}, IF({% for k in t.dedupe.nullable %}{{ alias|ident }}.{{ k|ident }} IS NULL{% if not loop.last %} OR {% endif %}{% endfor %}, {{ alias|ident }}.event_key, NULL) AS fallback{% endif %}))
{%- endmacro %}

{#- The table's rows for dbt and Dataform, with the row key column when the table merges on it.
    `newer` (the target's own syntax) keeps, in incremental runs, only the rows the dedupe
    strategy prefers to what the table holds: their merges replace every matched row. -#}
{% macro keyed_rows(t, incremental, source, bounds=none, newer=none, days=false, scan=none) -%}
{% if t.merge_key.row_key or newer %}
SELECT keyed.*{% if t.merge_key.row_key %}, {{ row_key(t, "keyed") }} AS {{ t.merge_key.row_key|ident }}{% endif %}

FROM (
{{ flat_rows(t, incremental, source=source, bounds=bounds, days=days, scan=scan)|indent(2, true) }}
) AS keyed
{% if newer %}
{{ newer|trim("\n") }}
{% endif %}
{%- else %}
{{ flat_rows(t, incremental, source=source, bounds=bounds, days=days, scan=scan) }}
{%- endif %}
{%- endmacro %}

{#- On one line, what follows `FROM <the table>` in that filter: `stored_filter` limits the stored
    rows looked at (to the partitions the merge may touch). -#}
{% macro stored_is_preferred(t, stored_filter) -%}
AS stored WHERE {{ stored_filter }} AND {% if t.merge_key.row_key %}stored.{{ t.merge_key.row_key|ident }} = {{ row_key(t, "keyed") }}{% else %}stored.event_key = keyed.event_key{% endif %} AND stored.{{ t.dedupe.order_by|ident }} {% if t.dedupe.strategy == "keep_latest" %}>={% else %}<={% endif %} keyed.{{ t.dedupe.order_by|ident }})
{%- endmacro %}

{#- A MERGE's clause that inserts the staged row `s` as it is. -#}
{% macro insert_staged(t) -%}
WHEN NOT MATCHED THEN INSERT ({% for c in t.columns %}{{ c.name|ident }}{% if not loop.last %}, {% endif %}{% endfor %})
  VALUES ({% for c in t.columns %}s.{{ c.name|ident }}{% if not loop.last %}, {% endif %}{% endfor %});
{%- endmacro %}

{#- Brings the staged rows into `into` (the table, or the table a batched rebuild builds).
    With `event_key` alone as the key an event cannot recur on another day: an INSERT, billed by
    the staged rows it reads (a MERGE that only inserts, when rows dated after the run's last day
    can be read again). Other keys can: a MERGE over the whole table on the key, so a stored row
    the strategy prefers stays and a staged row it prefers replaces the stored one wherever it is
    (billed by the key columns it reads and the partitions it updates). -#}
{% macro merge(t, into) -%}
{% if not t.dedupe.across_days and not t.day_margin %}
INSERT INTO {{ into|ident }} ({% for c in t.columns %}{{ c.name|ident }}{% if not loop.last %}, {% endif %}{% endfor %})
SELECT {% for c in t.columns %}{{ c.name|ident }}{% if not loop.last %}, {% endif %}{% endfor %} FROM bqflat_staged;
{%- elif not t.dedupe.across_days %}
{#- Rows dated after the run's last day stay in the table between runs: a row read again there
    is inserted only once. The MERGE reads those partitions only, and inserts only. -#}
MERGE {{ into|ident }} AS t
USING bqflat_staged AS s
ON {{ win.after_run(t, "t") }}
{% for k in t.dedupe.key %}
  AND t.{{ k|ident }} IS NOT DISTINCT FROM s.{{ k|ident }}
{% endfor %}
{{ insert_staged(t) }}
{%- else %}
MERGE {{ into|ident }} AS t
USING bqflat_staged AS s
ON {% if t.partition.require_filter %}{{ win.all_partitions(t, "t") }}

  AND {% endif %}{% for k in t.dedupe.key %}{% if not loop.first %}

  AND {% endif %}t.{{ k|ident }} IS NOT DISTINCT FROM s.{{ k|ident }}{% endfor %}

{% if t.dedupe.nullable %}
  AND (({% for k in t.dedupe.nullable %}s.{{ k|ident }} IS NOT NULL{% if not loop.last %} AND {% endif %}{% endfor %}) OR t.event_key = s.event_key)
{% endif %}
WHEN MATCHED AND s.{{ t.dedupe.order_by|ident }} {% if t.dedupe.strategy == "keep_latest" %}>{% else %}<{% endif %} t.{{ t.dedupe.order_by|ident }} THEN UPDATE SET
{% for c in t.columns %}
  {{ c.name|ident }} = s.{{ c.name|ident }}{% if not loop.last %},{% endif +%}
{% endfor %}
{{ insert_staged(t) }}
{%- endif %}
{%- endmacro %}

{#- The rows one step replaces, staged once: the shards of its days (or a shared `scan`'s copy of
    them), flattened and deduplicated. -#}
{% macro stage(t, scan=none) -%}
{{ win.choose_shards(t) }}
CREATE OR REPLACE TEMP TABLE bqflat_staged AS
{{ flat_rows(t, true, days=true, scan=scan) }};
{%- endmacro %}

{#- Replaces the step's partition days of `into` with the staged rows. -#}
{% macro replace_days(t, into) -%}
DELETE FROM {{ into|ident }} AS stored WHERE {{ win.partition_days(t, "stored") }};
{{ merge(t, into) }}
{%- endmacro %}
