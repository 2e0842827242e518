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
{%- elif ty == "text" -%}
p.value.string_value
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

{#- The export row `e` was sent with analytics consent, and not as a cookieless ping (`consent:
    drop_denied` keeps only those). -#}
{% macro consented() -%}
e.user_pseudo_id IS NOT NULL AND IFNULL(e.privacy_info.analytics_storage, '') != 'No'
{%- endmacro %}

{#- A hash of the export fields that identify one event, its params sorted by key. -#}
{% macro event_key() -%}
TO_HEX(MD5(TO_JSON_STRING(STRUCT(e.stream_id AS stream_id, e.user_pseudo_id AS user_pseudo_id, e.event_timestamp AS event_timestamp, e.event_name AS event_name, e.event_bundle_sequence_id AS event_bundle_sequence_id, e.batch_page_id AS batch_page_id, e.batch_ordering_id AS batch_ordering_id, e.batch_event_index AS batch_event_index, ARRAY(SELECT AS STRUCT p.key, p.value FROM UNNEST(e.event_params) AS p ORDER BY p.key, TO_JSON_STRING(p.value)) AS event_params))))
{%- endmacro %}

{#- `scan` (a scan's `computed` map): the columns a shared scan already computed, read from it. -#}
{% macro column_expr(t, c, scan=none) -%}
{% set kind = c.origin.kind %}
{% if kind == "param" and c.origin.strip -%}
{% set v %}{% if scan and c.name in scan %}e.{{ scan[c.name]|ident }}{% else %}{{ param_value(c) }}{% endif %}{% endset -%}
{{ url_strip(v, c.origin.strip) }}
{%- elif scan and c.name in scan -%}
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
{%- elif kind == "property_id" -%}
{{ c.origin.value|literal }}
{%- elif kind == "session_number" -%}
{{ param_value({"origin": {"array": "event_params", "key": "ga_session_number", "param_type": "int64"}}) }}
{%- elif kind == "session_engaged" -%}
{{ param_value({"origin": {"array": "event_params", "key": "session_engaged", "param_type": "bool"}}) }}
{%- elif kind == "url_host" -%}
{{ url_host(url_value(c.origin.param, scan)) }}
{%- elif kind == "url_path" -%}
{{ url_path(url_value(c.origin.param, scan)) }}
{%- elif kind == "url_param" -%}
{{ url_query_param(url_value(c.origin.url, scan), c.origin.key, c.origin.param_type) }}
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

{#- Page URLs. The parts of a URL are RFC 3986's (its appendix B regex): `scheme:`, `//authority`,
    path, `?query`, `#fragment`; a URL without `//` (`www.example.com/a`, `/a`) has no
    authority, so no host, and is all path. `u` is an expression of the URL text. -#}

{#- The URL in the event param `param`: its `string_value`, from the scan when it read it. -#}
{% macro url_value(param, scan) -%}
{% if scan and ("bqflat:" ~ param) in scan %}e.{{ scan["bqflat:" ~ param]|ident }}{% else %}{{ param_value({"origin": {"array": "event_params", "key": param, "param_type": "text"}}) }}{% endif %}
{%- endmacro %}

{#- The host: the authority without userinfo (up to the last `@`) and port (from the first `:`),
    lowercased; an IPv6 literal without its brackets. NULL without an authority or when empty. -#}
{% macro url_host(u) -%}
(SELECT NULLIF(LOWER(IF(STARTS_WITH(hp, '['), REGEXP_EXTRACT(hp, r'^\[([^\]]*)\]'), REGEXP_REPLACE(hp, r':.*$', ''))), '') FROM UNNEST([REGEXP_REPLACE(REGEXP_EXTRACT({{ u }}, r'^(?:[^:/?#]+:)?//([^/?#]*)'), r'^.*@', '')]) AS hp)
{%- endmacro %}

{#- The path as sent (not decoded): `/` for an empty path after an authority, NULL when empty
    otherwise. -#}
{% macro url_path(u) -%}
(SELECT IF(up = '' AND REGEXP_CONTAINS({{ u }}, r'^(?:[^:/?#]+:)?//'), '/', NULLIF(up, '')) FROM UNNEST([REGEXP_EXTRACT({{ u }}, r'^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)')]) AS up)
{%- endmacro %}

{#- The query's `&`-separated pairs of `u`, with their position `pair_at`: none without a `?`
    before the fragment. -#}
{% macro url_pairs(u) -%}
UNNEST(SPLIT(REGEXP_EXTRACT({{ u }}, r'^[^?#]*\?([^#]*)'), '&')) AS pair WITH OFFSET AS pair_at
{%- endmacro %}

{#- The decoded name of the query pair `pair` (the text before its first `=`). -#}
{% macro url_pair_name() -%}
{% set name %}REGEXP_EXTRACT(pair, r'^[^=]*'){% endset -%}
{{ url_decode(name) }}
{%- endmacro %}

{#- Percent-decoding of the text `s` as a form value: `+` is a space, `%XX` the byte XX, the
    bytes read as UTF-8 (an invalid sequence becomes U+FFFD); a `%` not followed by two hex
    digits stays as it is. Only text with a `%` or `+` is rebuilt. -#}
{% macro url_decode(s) -%}
IF(REGEXP_CONTAINS({{ s }}, r'[%+]'), SAFE_CONVERT_BYTES_TO_STRING(ARRAY_TO_STRING(ARRAY(SELECT IF(LENGTH(part) = 3 AND STARTS_WITH(part, '%'), FROM_HEX(SUBSTR(part, 2)), CAST(part AS BYTES)) FROM UNNEST(REGEXP_EXTRACT_ALL(REPLACE({{ s }}, '+', ' '), r'%[0-9A-Fa-f]{2}|[^%]+|%')) AS part WITH OFFSET AS part_at ORDER BY part_at), b'')), {{ s }})
{%- endmacro %}

{#- The decoded value of the first query parameter of `u` named `key` (`''` for `key` without
    `=`), as `ty`: text that is not of the type is NULL. -#}
{% macro url_query_param(u, key, ty) -%}
{% set d %}d{% endset %}{% set v %}IF(STRPOS(pair, '=') > 0, SUBSTR(pair, STRPOS(pair, '=') + 1), ''){% endset -%}
(SELECT {{ url_typed(d, ty) }} FROM (SELECT {{ url_decode(v) }} AS d FROM {{ url_pairs(u) }} WHERE {{ url_pair_name() }} = {{ key|literal }} ORDER BY pair_at LIMIT 1))
{%- endmacro %}

{% macro url_typed(d, ty) -%}
{% if ty == "int64" -%}
IF(REGEXP_CONTAINS({{ d }}, r'^[+-]?[0-9]+$'), SAFE_CAST({{ d }} AS INT64), NULL)
{%- elif ty == "float64" -%}
IF(REGEXP_CONTAINS({{ d }}, r'^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$'), SAFE_CAST({{ d }} AS FLOAT64), NULL)
{%- elif ty == "bool" -%}
CASE WHEN LOWER({{ d }}) IN ('true', '1', 'yes') THEN TRUE WHEN LOWER({{ d }}) IN ('false', '0', 'no') THEN FALSE END
{%- else -%}
{{ d }}
{%- endif %}
{%- endmacro %}

{#- `u` without the query parameters named in `keys` (every occurrence): the other pairs keep
    their text and order, the fragment stays, the `?` goes when no pair is left. A URL with none
    of them is returned as it is. The pairs are decoded once, in a derived table, which keeps the
    expression shallow enough for the analyzer. -#}
{% macro url_strip(u, keys) -%}
{% set names %}({% for k in keys %}{{ k|literal }}{% if not loop.last %}, {% endif %}{% endfor %}){% endset -%}
IFNULL(CONCAT(REGEXP_EXTRACT({{ u }}, r'^([^?#]*)'), (SELECT IF(LOGICAL_OR(gone), CONCAT(IF(LOGICAL_AND(gone), '', '?'), IFNULL(STRING_AGG(IF(gone, NULL, pair), '&' ORDER BY pair_at), '')), NULL) FROM (SELECT pair, pair_at, IFNULL({{ url_pair_name() }}, '') IN {{ names }} AS gone FROM {{ url_pairs(u) }})), IFNULL(REGEXP_EXTRACT({{ u }}, r'^[^#]*(#.*)$'), '')), {{ u }})
{%- endmacro %}
