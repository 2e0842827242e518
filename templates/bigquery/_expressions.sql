{#- Expressions: the value of each output column over the export row `e` (and the exploded
    `item`). Every identifier goes through `ident`, every value through `literal`. -#}

{#- The value of one key of a key/value array (`event_params`, `user_properties`, `item_params`),
    typed. The first entry with the key wins, so repeated keys give a stable result. -#}
{% macro param_value(c) -%}
(SELECT {{ param_type_expr(c.origin.param_type) }} FROM UNNEST({% if c.origin.array == "item_params" %}item{% else %}e{% endif %}.{{ c.origin.array|ident }}) AS p WITH OFFSET AS o WHERE p.key = {{ c.origin.key|literal }} ORDER BY o LIMIT 1)
{%- endmacro %}

{#- Which value columns a type reads, in order; a value is dropped only when it does not convert
    without loss (a non-integral double under `int64`). -#}
{% macro param_type_expr(ty) -%}
{% if ty == "int64" -%}
COALESCE(p.value.int_value, {{ integral("double_value") }}, {{ integral("float_value") }})
{%- elif ty == "float64" -%}
COALESCE(p.value.double_value, p.value.float_value, CAST(p.value.int_value AS FLOAT64))
{%- elif ty == "number" -%}
COALESCE(CAST(p.value.int_value AS FLOAT64), p.value.double_value, p.value.float_value)
{%- elif ty == "bool" -%}
CASE WHEN p.value.int_value IS NOT NULL THEN p.value.int_value != 0 WHEN LOWER(p.value.string_value) IN ('true', '1', 'yes') THEN TRUE WHEN LOWER(p.value.string_value) IN ('false', '0', 'no') THEN FALSE END
{%- else -%}
{#- string, any -#}
COALESCE(p.value.string_value, CAST(p.value.int_value AS STRING), CAST(p.value.double_value AS STRING), CAST(p.value.float_value AS STRING))
{%- endif %}
{%- endmacro %}

{#- The FLOAT64 `p.value.<col>` as INT64 when it is a whole number inside INT64's range (so the
    CAST never fails), else NULL. -#}
{% macro integral(col) -%}
{% set v %}p.value.{{ col|ident }}{% endset -%}
IF(ABS({{ v }}) < 9.2e18 AND {{ v }} = TRUNC({{ v }}), CAST({{ v }} AS INT64), NULL)
{%- endmacro %}

{#- A copy of the STRUCT value at the dotted path `src` with exactly the fields listed
    (`{name, repeated, fields}`, nested for STRUCT fields), in their order: fields the export adds
    later are left out. Arrays of STRUCTs keep their order; `depth` names the aliases of nested
    UNNESTs apart. -#}
{% macro struct_fields(src, fields, depth) -%}
{% for f in fields %}{{ field_copy(src ~ "." ~ f.name, f, depth) }} AS {{ f.name|ident }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}

{% macro field_copy(src, f, depth) -%}
{% if f.fields and f.repeated -%}
{% set x = "x" ~ depth %}{% set o = "o" ~ depth -%}
ARRAY(SELECT AS STRUCT {{ struct_fields(x, f.fields, depth + 1) }} FROM UNNEST({{ src|path }}) AS {{ x|ident }} WITH OFFSET AS {{ o|ident }} ORDER BY {{ o|ident }})
{%- elif f.fields -%}
STRUCT({{ struct_fields(src, f.fields, depth) }})
{%- else -%}
{{ src|path }}
{%- endif %}
{%- endmacro %}

{#- A hash of the export fields that identify one event, its params sorted by key. -#}
{% macro event_key() -%}
TO_HEX(MD5(TO_JSON_STRING(STRUCT(e.stream_id AS stream_id, e.user_pseudo_id AS user_pseudo_id, e.event_timestamp AS event_timestamp, e.event_name AS event_name, e.event_bundle_sequence_id AS event_bundle_sequence_id, e.batch_page_id AS batch_page_id, e.batch_ordering_id AS batch_ordering_id, e.batch_event_index AS batch_event_index, ARRAY(SELECT AS STRUCT p.key, p.value FROM UNNEST(e.event_params) AS p ORDER BY p.key, TO_JSON_STRING(p.value)) AS event_params))))
{%- endmacro %}

{#- `scan` (a scan's `computed` map): the columns a shared scan already computed, read from it. -#}
{% macro column_expr(t, c, scan=none) -%}
{% set kind = c.origin.kind %}
{% if scan and c.name in scan -%}
e.{{ scan[c.name]|ident }}
{%- elif kind == "event_date" -%}
{% if t.timezone %}DATE(TIMESTAMP_MICROS(e.event_timestamp), {{ t.timezone|literal }}){% else %}PARSE_DATE('%Y%m%d', e.event_date){% endif %}
{%- elif kind == "event_ts" -%}
TIMESTAMP_MICROS(e.event_timestamp)
{%- elif kind == "event_key" -%}
{{ event_key() }}
{%- elif kind == "client_key" -%}
IF(e.user_pseudo_id IS NULL, NULL, TO_HEX(MD5(TO_JSON_STRING(STRUCT(e.stream_id AS stream_id, e.user_pseudo_id AS user_pseudo_id)))))
{%- elif kind == "session_key" -%}
{% set sid %}{% if scan and "bqflat:ga_session_id" in scan %}e.{{ scan["bqflat:ga_session_id"]|ident }}{% else %}{{ param_value({"origin": {"array": "event_params", "key": "ga_session_id", "param_type": "int64"}}) }}{% endif %}{% endset -%}
IF(e.user_pseudo_id IS NULL OR {{ sid }} IS NULL, NULL, TO_HEX(MD5(TO_JSON_STRING(STRUCT(e.stream_id AS stream_id, e.user_pseudo_id AS user_pseudo_id, {{ sid }} AS ga_session_id)))))
{%- elif kind == "session_number" -%}
{{ param_value({"origin": {"array": "event_params", "key": "ga_session_number", "param_type": "int64"}}) }}
{%- elif kind == "session_engaged" -%}
{{ param_value({"origin": {"array": "event_params", "key": "session_engaged", "param_type": "bool"}}) }}
{%- elif kind == "field" -%}
e.{{ c.origin.path|path }}
{%- elif kind == "param" -%}
{{ param_value(c) }}
{%- elif kind == "item_field" -%}
item.{{ c.origin.field|ident }}
{%- elif kind == "item_index" -%}
item_index
{%- elif kind == "items" -%}
ARRAY(SELECT AS STRUCT {{ struct_fields("item", c.origin.fields, 1) }} FROM UNNEST(e.items) AS item WITH OFFSET AS o ORDER BY o)
{%- endif %}
{%- endmacro %}
