{#- SQL that is true when a row breaks `rule`: a condition to meet (text), or a mapping
    of `expression` to meet where `condition` holds. -#}
{% macro breaks_rule(rule) -%}
    {%- if rule is mapping -%}
        (({{ rule.condition }}) and not coalesce(({{ rule.expression }}), false))
    {%- else -%}
        not coalesce(({{ rule }}), false)
    {%- endif -%}
{%- endmacro %}
