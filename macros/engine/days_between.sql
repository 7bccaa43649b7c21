{#- The number of days from the date `earlier` to the date `later` (an integer; Spark's
    difference of two dates is an interval). -#}
{% macro days_between(earlier, later) -%}
    {{ return(adapter.dispatch('days_between', 'greenstream')(earlier, later)) }}
{%- endmacro %}

{% macro default__days_between(earlier, later) -%}
    ({{ later }} - {{ earlier }})
{%- endmacro %}

{% macro spark__days_between(earlier, later) -%}
    datediff({{ later }}, {{ earlier }})
{%- endmacro %}
