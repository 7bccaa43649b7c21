{#- The timestamptz that lies `us` microseconds (a bigint) after 1970-01-01 00:00:00 UTC:
    the inverse of epoch_us, exact to the microsecond and independent of the session
    time zone. -#}
{% macro timestamptz_of_epoch_us(us) -%}
    {{ return(adapter.dispatch('timestamptz_of_epoch_us', 'greenstream')(us)) }}
{%- endmacro %}

{% macro default__timestamptz_of_epoch_us(us) -%}
    (cast('1970-01-01 00:00:00+00' as timestamp with time zone) + cast({{ us }} as bigint) * interval '1 microsecond')
{%- endmacro %}

{% macro duckdb__timestamptz_of_epoch_us(us) -%}
    (cast('1970-01-01 00:00:00+00' as timestamp with time zone) + to_microseconds(cast({{ us }} as bigint)))
{%- endmacro %}

{% macro spark__timestamptz_of_epoch_us(us) -%}
    timestamp_micros(cast({{ us }} as bigint))
{%- endmacro %}
