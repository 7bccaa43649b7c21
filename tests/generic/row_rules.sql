{#- Rows that break any of a model's row rules, with `failed_rules` naming the rules each
    breaks: one query (and one dbt node) for the rules of a model that share a severity and
    a `where` scope, instead of an `expression_is_true`, `accepted_range` or
    `accepted_values` test each (a dbt node costs about 50 ms however small its query).
    `rules` maps a rule's name to the SQL condition every row must meet, or to
    `{expression, condition}` when only the rows meeting `condition` must meet
    `expression`. A NULL result breaks the rule: a range or a list of values that lets NULL
    pass says so in its condition (`column is not null`). -#}
{% test row_rules(model, rules) %}

with

checked as (

    select
        *,
        concat_ws(
            ', '
            {%- for name, rule in rules.items() %},
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
