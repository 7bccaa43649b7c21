{#- The rows of a Parquet export (DuckDB): the files its export model lists (one row per
    current partition file, see `int_ml_features_exported`), read with the partition
    column typed from its folder name. Before any file exists, the incremental table's
    (empty) rows, so that the view has the same columns. -#}
{% macro read_exported_parquet(listing, table, hive_types) -%}
    {%- set files = run_query('select path from ' ~ listing ~ ' order by path').columns[0].values()
        if execute else [] -%}
    {%- if files | length == 0 -%}
        (select * from {{ table }} where 1 = 0) as no_export_yet
    {%- else -%}
        read_parquet(
            [{% for file in files %}'{{ file }}'{{ ', ' if not loop.last }}{% endfor %}],
            hive_partitioning = true,
            hive_types = {{ hive_types }}
        )
    {%- endif -%}
{%- endmacro %}
