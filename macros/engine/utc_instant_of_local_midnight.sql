{#- The instant (timestamptz) at which the local date `date_expr` starts, i.e. 00:00 wall
    clock in var('local_timezone'). The next day's value minus this one is 23, 24 or 25
    hours around DST changes. -#}
{% macro utc_instant_of_local_midnight(date_expr) -%}
    {{ return(adapter.dispatch('utc_instant_of_local_midnight', 'greenstream')(date_expr)) }}
{%- endmacro %}

{% macro default__utc_instant_of_local_midnight(date_expr) -%}
    (cast(cast({{ date_expr }} as date) as timestamp) at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{% macro spark__utc_instant_of_local_midnight(date_expr) -%}
    to_utc_timestamp(cast(cast({{ date_expr }} as date) as timestamp), '{{ var("local_timezone") }}')
{%- endmacro %}
