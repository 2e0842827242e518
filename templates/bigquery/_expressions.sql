{#- Expressions: the value of each output column over the export row `e` (and the exploded
    `item`). Every identifier goes through `ident`, every value through `literal`. -#}

{#- The value of one key of a key/value array (`event_params`, `user_properties`, `item_params`),
    typed. The first entry with the key wins, so repeated keys give a stable result. -#}
{% macro param_value(c) -%}
(SELECT {{ param_type_expr(c.origin.param_type) }} FROM UNNEST({% if c.origin.array == "item_params" %}item{% else %}e{% endif %}.{{ c.origin.array|ident }}) AS p WITH OFFSET AS o WHERE p.key = {{ c.origin.key|literal }} ORDER BY o LIMIT 1)
{%- endmacro %}

{% macro param_type_expr(ty) -%}
{% if ty == "string" -%}
p.value.string_value
{%- elif ty == "int64" -%}
p.value.int_value
{%- elif ty == "float64" -%}
COALESCE(p.value.double_value, p.value.float_value)
{%- elif ty == "number" -%}
COALESCE(CAST(p.value.int_value AS FLOAT64), p.value.double_value, p.value.float_value)
{%- elif ty == "bool" -%}
CASE WHEN p.value.int_value IS NOT NULL THEN p.value.int_value != 0 WHEN LOWER(p.value.string_value) IN ('true', '1', 'yes') THEN TRUE WHEN LOWER(p.value.string_value) IN ('false', '0', 'no') THEN FALSE END
{%- else -%}
COALESCE(p.value.string_value, CAST(p.value.int_value AS STRING), CAST(p.value.double_value AS STRING), CAST(p.value.float_value AS STRING))
{%- endif %}
{%- endmacro %}

{% macro column_expr(t, c) -%}
{% set kind = c.origin.kind %}
{% if kind == "event_date" -%}
{% if t.timezone %}DATE(TIMESTAMP_MICROS(e.event_timestamp), {{ t.timezone|literal }}){% else %}PARSE_DATE('%Y%m%d', e.event_date){% endif %}
{%- elif kind == "event_ts" -%}
TIMESTAMP_MICROS(e.event_timestamp)
{%- elif kind == "event_key" -%}
TO_HEX(MD5(TO_JSON_STRING(STRUCT(e.stream_id AS stream_id, e.user_pseudo_id AS user_pseudo_id, e.event_timestamp AS event_timestamp, e.event_name AS event_name, e.event_bundle_sequence_id AS event_bundle_sequence_id, e.batch_page_id AS batch_page_id, e.batch_ordering_id AS batch_ordering_id, e.batch_event_index AS batch_event_index, e.event_params AS event_params))))
{%- elif kind == "field" -%}
e.{{ c.origin.path|path }}
{%- elif kind == "param" -%}
{{ param_value(c) }}
{%- elif kind == "item_field" -%}
item.{{ c.origin.field|ident }}
{%- elif kind == "item_index" -%}
item_index
{%- elif kind == "items" -%}
e.items
{%- endif %}
{%- endmacro %}
