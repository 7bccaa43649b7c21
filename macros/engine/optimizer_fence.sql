{#- Put at the end of a CTE's select whose columns cost to compute, so that they are
    computed once per row of that CTE: columns later steps use many times (trimmed text
    fed to the parsing macros, a rounded kW), or columns of a small step joined to a large
    one (a day's slot instants, joined to every meter). PostgreSQL pulls simple subqueries
    up into their parent, so without it the expression would be repeated in every use
    and every joined row; an `offset` clause keeps the subquery. It is `offset null` (no
    offset), not the documented `offset 0`: with `offset 0` PostgreSQL 15 planned the
    fenced steps on one core, seen in EXPLAIN (apparently it takes the cast of `0` to
    bigint, not yet folded, for a limit that parallel workers cannot share); with
    `offset null` they run in parallel workers (the parse: 53 s against 33 s). DuckDB and
    Spark keep their projections, so nothing is emitted. -#}
{% macro optimizer_fence() -%}
    {{ return(adapter.dispatch('optimizer_fence', 'greenstream')()) }}
{%- endmacro %}

{% macro default__optimizer_fence() -%}
    offset null
{%- endmacro %}

{% macro duckdb__optimizer_fence() -%}
{%- endmacro %}

{% macro spark__optimizer_fence() -%}
{%- endmacro %}
