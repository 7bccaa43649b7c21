{#- Rows that break any of a model's row rules, with `failed_rules` naming the rules each
    breaks: one query (and one dbt node) for the rules of a model that share a severity and
    a `where` scope, instead of a test per rule (a dbt node costs about 0.1 s however small
    its query, and each test reads the table again). `not_null` lists the required
    columns: each is the rule `<column>_not_null`, first. `rules` maps a rule's name to the
    SQL condition every row must meet, or to `{expression, condition}` when only the rows
    meeting `condition` must meet `expression`. A NULL result breaks the rule: a range or
    a list of values that lets NULL pass says so in its condition (`column is not null`). -#}
{% test row_rules(model, rules={}, not_null=[]) %}

{%- set every_rule = {} -%}
{%- for column in not_null -%}
    {%- do every_rule.update({column ~ '_not_null': column ~ ' is not null'}) -%}
{%- endfor -%}
{%- do every_rule.update(rules) %}

with

checked as (

    select
        *,
        concat_ws(
            ', '
            {%- for name, rule in every_rule.items() %},
            case when {{ greenstream.breaks_rule(rule) }} then '{{ name }}' end
            {%- endfor %}
        ) as failed_rules
    from {{ model }}

),

failing as (

    select * from checked
    where failed_rules <> ''

)

select * from failing

{% endtest %}
