{#- Rows whose column lies outside [min_value, max_value] (bounds optional,
    inclusive unless `inclusive: false`). NULLs pass: use not_null for them. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

checked as (

    select *
    from {{ model }}
    where {{ column_name }} is not null

),

failing as (

    select *
    from checked
    where
        1 = 0
        {%- if min_value is not none %}
            or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
            or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}

)

select * from failing

{% endtest %}
