{#- Between `as` and the body of a CTE that several later steps read and that only
    filters one input, or adds cheap columns to it. When the model reads its inputs
    whole (a first build, a full refresh), each reader scans the input again rather than
    the engine storing the CTE's rows to read them back: DuckDB and PostgreSQL store a CTE
    read more than once, and at 50,000 meters that cost 1-1.5 s of 8 s in `meter_slots` on
    DuckDB, 6-7 s of 47-50 s on PostgreSQL (4.8 M slots spilled to disk), and 4-7 s of
    20-24 s of the parse on PostgreSQL. An incremental run keeps the rows stored: they are
    few, and each reader would scan the input's whole history again to find them
    (PostgreSQL has no index on these tables). Not for a CTE that computes, which each
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
