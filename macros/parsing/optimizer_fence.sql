{#- Put at the end of a CTE's select whose columns later steps use many times
    (trimmed text fed to the parsing macros): it stops the planner from
    inlining those expressions into every use. PostgreSQL pulls simple
    subqueries up into their parent, so without it the trim would be repeated
    in every field check of the grammar; `offset 0` is the documented way to
    keep the subquery. DuckDB keeps its projections, so nothing is emitted. -#}
{% macro optimizer_fence() -%}
    {{ return(adapter.dispatch('optimizer_fence', 'greenstream')()) }}
{%- endmacro %}

{% macro default__optimizer_fence() -%}
    offset 0
{%- endmacro %}

{% macro duckdb__optimizer_fence() -%}
{%- endmacro %}

{% macro spark__optimizer_fence() -%}
{%- endmacro %}
