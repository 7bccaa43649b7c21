{#- Local calendar date (date) of the instant `ts` in var('local_timezone'). -#}
{% macro local_date(ts) -%}
    {{ return(adapter.dispatch('local_date', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__local_date(ts) -%}
    cast({{ greenstream.local_timestamp(ts) }} as date)
{%- endmacro %}
