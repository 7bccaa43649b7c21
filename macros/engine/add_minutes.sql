{#- The timestamp `minutes` (an integer expression) after `ts`, to the microsecond
    (dbt-spark's `dateadd` drops the fraction of a second and fails on NULL). -#}
{% macro add_minutes(ts, minutes) -%}
    {{ return(adapter.dispatch('add_minutes', 'greenstream')(ts, minutes)) }}
{%- endmacro %}

{% macro default__add_minutes(ts, minutes) -%}
    {{ dbt.dateadd('minute', minutes, ts) }}
{%- endmacro %}

{% macro spark__add_minutes(ts, minutes) -%}
    ({{ ts }} + make_dt_interval(0, 0, cast({{ minutes }} as int)))
{%- endmacro %}
