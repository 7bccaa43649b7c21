{#- Cast text that the grammar has ALREADY validated (always inside a CASE
    branch guarded by that validation). PostgreSQL evaluates CASE branches
    lazily, so a plain cast is safe there; on DuckDB try_cast is a second
    guard in case the optimizer ever evaluates the branch for other rows. -#}
{% macro cast_validated(expr, data_type) -%}
    {{ return(adapter.dispatch('cast_validated', 'greenstream')(expr, data_type)) }}
{%- endmacro %}

{% macro default__cast_validated(expr, data_type) -%}
    cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__cast_validated(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}
