{#- floor(a / b) of two integer expressions (b > 0) as an exact integer on both engines
    (DuckDB's `/` returns a double, PostgreSQL's truncates): the exact multiple
    a − (a mod b, made non-negative) is divided by b with the engine's integer division. -#}
{% macro integer_floor_divide(a, b) -%}
    {{ return(adapter.dispatch('integer_floor_divide', 'greenstream')(a, b)) }}
{%- endmacro %}

{% macro default__integer_floor_divide(a, b) -%}
    (({{ a }} - mod(mod({{ a }}, {{ b }}) + {{ b }}, {{ b }})) / {{ b }})
{%- endmacro %}

{% macro duckdb__integer_floor_divide(a, b) -%}
    (({{ a }} - mod(mod({{ a }}, {{ b }}) + {{ b }}, {{ b }})) // {{ b }})
{%- endmacro %}

{% macro spark__integer_floor_divide(a, b) -%}
    (({{ a }} - pmod({{ a }}, {{ b }})) div {{ b }})
{%- endmacro %}
