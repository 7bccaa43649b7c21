{#- The calendar of a wall-clock timestamp `ts` (from `local_timestamp`). -#}

{#- ISO day of the week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(ts) -%}
    {{ return(adapter.dispatch('iso_weekday', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__iso_weekday(ts) -%}
    cast(extract(isodow from {{ ts }}) as integer)
{%- endmacro %}

{% macro spark__iso_weekday(ts) -%}
    (weekday({{ ts }}) + 1)
{%- endmacro %}

{#- The time of day, comparable with the `peak_periods` seed's times: a `time` where the
    engine has one, `HH:MM:SS` text on Spark (the seed's column is text there too). -#}
{% macro time_of_day(ts) -%}
    {{ return(adapter.dispatch('time_of_day', 'greenstream')(ts)) }}
{%- endmacro %}

{% macro default__time_of_day(ts) -%}
    cast({{ ts }} as time)
{%- endmacro %}

{% macro spark__time_of_day(ts) -%}
    date_format({{ ts }}, 'HH:mm:ss')
{%- endmacro %}
