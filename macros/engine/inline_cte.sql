{#- Between `as` and the body of a CTE that several later steps read and that only
    filters one scoped table. Reading the whole table (a first build, a full refresh),
    each reader scans the table again rather than the engine storing the CTE's rows to
    read them back: DuckDB and PostgreSQL store a CTE read more than once, which at
    50,000 meters cost 1-1.5 s of 8 s in `meter_slots` on DuckDB and 6-7 s of 47-50 s on
    PostgreSQL (4.8 M slots spilled to disk). Reading a build scope, the rows stay stored:
    a scope is small, and each reader would scan the table's whole history again to find
    it (PostgreSQL has no index on these tables). Not for a CTE that computes, which each
    reader would compute again (`peak_consumption`'s slots come from a view: PostgreSQL
    19 s stored, 28-32 s inlined). Spark inlines such CTEs itself and has no such
    clause. -#}
{% macro inline_cte() -%}
    {%- if not greenstream.is_scoped() -%}
        {{ return(adapter.dispatch('inline_cte', 'greenstream')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__inline_cte() -%}
    not materialized
{%- endmacro %}

{% macro spark__inline_cte() -%}
{%- endmacro %}
