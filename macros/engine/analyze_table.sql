{#- A model's post-hook (dbt_project.yml, silver and gold): on PostgreSQL, `analyze` the
    table the model has just written, so that the models after it are planned with its
    statistics. Autovacuum gathers them only about a minute after a table changes, when
    most of a build has run; without them the planner guesses how many distinct values a
    column holds, and chose sorts and merge joins of millions of slots. Nothing for views,
    nor on other engines. -#}
{% macro analyze_table() -%}
    {{ return(adapter.dispatch('analyze_table', 'greenstream')()) }}
{%- endmacro %}

{% macro default__analyze_table() -%}
{%- endmacro %}

{% macro postgres__analyze_table() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
