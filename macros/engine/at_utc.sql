{#- `ts at time zone 'UTC'`, which turns either way between an instant (timestamptz) and
    its wall-clock time at UTC (timestamp without time zone) on DuckDB and PostgreSQL.
    Spark has one timestamp type, read and shown at the session time zone, which the
    profile pins to UTC: there both are the value itself. -#}
{% macro at_utc(ts) -%}
    {{ return(adapter.dispatch('at_utc', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__at_utc(ts) -%}
    (({{ ts }}) at time zone 'UTC')
{%- endmacro %}

{% macro spark__at_utc(ts) -%}
    {{ ts }}
{%- endmacro %}
