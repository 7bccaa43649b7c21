{#- A model's post-hook (dbt_project.yml, bronze, silver and gold): on PostgreSQL,
    `analyze` a table the model has just written whole, so that the models after it are
    planned with its statistics. Autovacuum gathers them only about a minute after a
    table changes, when most of a first build has run; without them the planner guessed
    how many distinct values a column holds and chose sorts and merge joins of millions
    of slots. A table model is written whole every build; an incremental one in the first
    complete build and on a full refresh only: a build scope changes a small part of a
    large table, whose statistics stay true, and analyzing a year of slots every
    15 minutes would cost more than it saves. Nothing for views, nor on other engines. -#}
{% macro analyze_table() -%}
    {{ return(adapter.dispatch('analyze_table', 'greenstream')()) }}
{%- endmacro %}

{% macro default__analyze_table() -%}
{%- endmacro %}

{% macro postgres__analyze_table() -%}
    {%- set materialized = config.get('materialized') -%}
    {%- if materialized == 'table' or (materialized == 'incremental' and (
        flags.FULL_REFRESH or greenstream.last_build_started_at() == greenstream.the_beginning()
    )) -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
