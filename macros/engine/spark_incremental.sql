{#- dbt-spark's incremental materialisation, taught the project's `build_scope` strategy
    (doc `build_scope_design`). These two override dbt-spark's macros of the same names,
    which know only append, merge, insert_overwrite and microbatch. `build_scope` needs
    row-level deletes, so an Iceberg table (`file_format`, dbt_project.yml); Spark runs one
    statement per call and has no transactions: each delete commits on its own, then the
    insert. A build that fails between them leaves no build-log row, so the next build
    recomputes the same scope again. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy not in ('append', 'build_scope') -%}
        {{ exceptions.raise_compiler_error(
            "incremental strategy " ~ raw_strategy ~ " is not used by this project: 'append' or 'build_scope'"
        ) }}
    {%- endif -%}
    {%- if raw_strategy == 'build_scope' and file_format != 'iceberg' -%}
        {{ exceptions.raise_compiler_error(
            "the build_scope strategy deletes rows: it needs file_format 'iceberg', not " ~ file_format
        ) }}
    {%- endif -%}
    {{ return(raw_strategy) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='name') | list -%}
        {%- set statements = greenstream.build_scope_statements(target, source, columns) -%}
        {%- for delete in statements[:-1] -%}
            {%- call statement('build_scope_delete', fetch_result=False) -%}
                {{ delete }}
            {%- endcall -%}
        {%- endfor -%}
        {{ statements[-1] }}
    {%- endif -%}
{%- endmacro %}
