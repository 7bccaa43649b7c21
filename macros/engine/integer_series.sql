{#- A relation `alias` of one integer column `column`: 0, 1, ..., `last` (an integer
    expression), for a `from` clause. -#}
{% macro integer_series(last, alias, column) -%}
    {{ return(adapter.dispatch('integer_series', 'greenstream')(last, alias, column)) }}
{%- endmacro %}

{% macro default__integer_series(last, alias, column) -%}
    generate_series(0, {{ last }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__integer_series(last, alias, column) -%}
    (select explode(sequence(0, {{ last }})) as {{ column }}) as {{ alias }}
{%- endmacro %}
