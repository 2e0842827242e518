{#- Every macro of the concern files under one name, for templates written against context
    version 1 that `{% import "bigquery/_macros.sql" as m %}`. New templates import the concern
    files they use. -#}
{% from "bigquery/_expressions.sql" import param_value, param_type_expr, column_expr %}
{% from "bigquery/_window.sql" import window_start, window_end, source_days, chosen_shards, discover_shards, choose_shards, read_shards, set_shards, partition_days, read_newest_day, partition_lower_bound, epoch %}
{% from "bigquery/_rows.sql" import flat_rows, row_key, keyed_rows, stored_is_preferred, merge, stage, replace_days %}
{% from "bigquery/_ddl.sql" import column_list, table_options, options_list, location_option, metadata_tables %}
{% from "bigquery/_state.sql" import prelude, header, declare_bounds, record_run, read_stored_watermark, set_watermark_after, plan_days, step, steps %}
