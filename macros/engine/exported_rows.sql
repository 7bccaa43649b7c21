{#- The rows a gold export publishes. On DuckDB, the Parquet files its export model lists
    (one row per current partition file, see `greenstream.lake`), read with the partition
    column typed from its folder name by `hive_types`; before any file exists, the
    table's (empty) rows, so that the view has the same columns. On other engines, the
    incremental table itself. -#}
{% macro exported_rows(listing_model, table_model, hive_types) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return(ref(table_model)) }}
    {%- endif -%}
    {%- set listing = ref(listing_model) -%}
    {%- set files = run_query('select path from ' ~ listing ~ ' order by path').columns[0].values()
        if execute and load_relation(listing) is not none else [] -%}
    {%- if files | length == 0 -%}
        (select * from {{ ref(table_model) }} where 1 = 0) as no_export_yet
    {%- else -%}
        read_parquet(
            [{% for file in files %}'{{ file }}'{{ ', ' if not loop.last }}{% endfor %}],
            hive_partitioning = true,
            hive_types = {{ hive_types }}
        )
    {%- endif -%}
{%- endmacro %}
