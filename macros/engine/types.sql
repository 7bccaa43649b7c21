{#- The engine's names of the types the models cast to. DuckDB and PostgreSQL share the
    SQL standard's names; Spark has `string`, `double`, and one `timestamp` type, an
    instant (shown in the session time zone, UTC: see profiles.yml). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'greenstream')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    {{ return('text') }}
{%- endmacro %}

{% macro spark__type_text() -%}
    {{ return('string') }}
{%- endmacro %}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'greenstream')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro spark__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'greenstream')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    {{ return('timestamp with time zone') }}
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    {{ return('timestamp') }}
{%- endmacro %}
