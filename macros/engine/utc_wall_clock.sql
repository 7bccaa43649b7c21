{#- Between an instant (timestamptz) and its wall-clock time at UTC (timestamp without
    time zone). Spark has one timestamp type, read and shown at the session time zone,
    which the profile pins to UTC: there both are the value itself. -#}
{% macro utc_wall_clock(ts) -%}
    {{ return(adapter.dispatch('utc_wall_clock', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__utc_wall_clock(ts) -%}
    (({{ ts }}) at time zone 'UTC')
{%- endmacro %}

{% macro spark__utc_wall_clock(ts) -%}
    {{ ts }}
{%- endmacro %}

{#- The instant whose wall-clock time at UTC is the timestamp `ts`. -#}
{% macro instant_of_utc_wall_clock(ts) -%}
    {{ return(adapter.dispatch('instant_of_utc_wall_clock', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__instant_of_utc_wall_clock(ts) -%}
    (({{ ts }}) at time zone 'UTC')
{%- endmacro %}

{% macro spark__instant_of_utc_wall_clock(ts) -%}
    {{ ts }}
{%- endmacro %}
