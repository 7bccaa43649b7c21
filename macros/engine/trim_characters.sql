{#- `expr` without the characters of the text `characters` at both ends (side 'both') or
    at its start (side 'leading'). Spark's two-argument trim and ltrim take the characters
    first, the other engines' take them second: its standard `trim(... from ...)` form. -#}
{% macro trim_characters(expr, characters, side='both') -%}
    {{ return(adapter.dispatch('trim_characters', 'greenstream')(expr, characters, side)) }}
{%- endmacro %}

{% macro default__trim_characters(expr, characters, side) -%}
    {{ 'trim' if side == 'both' else 'ltrim' }}({{ expr }}, {{ characters }})
{%- endmacro %}

{% macro spark__trim_characters(expr, characters, side) -%}
    trim({{ side }} {{ characters }} from {{ expr }})
{%- endmacro %}
