{#- Microseconds since 1970-01-01 00:00:00 UTC of a timestamptz, as a bigint (exact on
    both engines: DuckDB's epoch_us, PostgreSQL's numeric extract(epoch)). -#}
{% macro epoch_us(ts) -%}
    {{ return(adapter.dispatch('epoch_us', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__epoch_us(ts) -%}
    cast(extract(epoch from cast({{ ts }} as timestamp with time zone)) * 1000000 as bigint)
{%- endmacro %}

{% macro duckdb__epoch_us(ts) -%}
    epoch_us(cast({{ ts }} as timestamp with time zone))
{%- endmacro %}

{% macro postgres__epoch_us(ts) -%}
    cast(round(extract(epoch from cast({{ ts }} as timestamp with time zone)) * 1000000) as bigint)
{%- endmacro %}

{% macro spark__epoch_us(ts) -%}
    unix_micros(cast({{ ts }} as timestamp))
{%- endmacro %}
