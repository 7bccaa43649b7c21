{#- Wall-clock time (timestamp without time zone) of the instant `ts` in
    var('local_timezone'). Never depends on the session time zone. -#}
{% macro local_timestamp(ts) -%}
    {{ return(adapter.dispatch('local_timestamp', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__local_timestamp(ts) -%}
    (cast({{ ts }} as timestamp with time zone) at time zone '{{ var("local_timezone") }}')
{%- endmacro %}

{#- Spark's timestamps are instants shown in the session time zone (UTC):
    `from_utc_timestamp` shifts one to the wall clock of the zone. -#}
{% macro spark__local_timestamp(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("local_timezone") }}')
{%- endmacro %}
