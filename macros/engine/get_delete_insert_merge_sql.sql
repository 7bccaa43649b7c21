{#- The `delete+insert` step of the incremental models on DuckDB: dbt-core's default
    (the one PostgreSQL uses) instead of dbt-duckdb's. Our unique keys are often coarser
    than the rows (a meter-day key on a slot-grain model: 96 rows per key); dbt-duckdb
    joins the target to every new row, so each old row was matched 96 times and one
    15-minute file took minutes, where the default deletes the keys `in (select
    distinct ...)`. -#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {{ return(dbt.default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates)) }}
{%- endmacro %}
