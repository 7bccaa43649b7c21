{#- Each combination of `combination_of_columns` appears at most once; returns
    the repeated combinations with how often they occur. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

combinations as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

),

repeated as (

    select *
    from combinations
    where occurrences > 1

)

select * from repeated

{% endtest %}
