{#- Rows where any of `column_names` is NULL, with `null_columns` naming them: one query
    (and one dbt node) for all of a model's required columns instead of a `not_null` test
    each. Input-quality checks of single columns with `severity: warn` stay `not_null`. -#}
{% test not_null_columns(model, column_names) %}

with

failing as (

    select
        *,
        concat_ws(
            ', '
            {%- for column in column_names %},
            case when {{ column }} is null then '{{ column }}' end
            {%- endfor %}
        ) as null_columns
    from {{ model }}
    where
        {% for column in column_names -%}
            {{ column }} is null{{ ' or' if not loop.last }}
        {% endfor %}

)

select * from failing

{% endtest %}
