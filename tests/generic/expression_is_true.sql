{#- Rows for which `expression` is not true (false or NULL), optionally only
    among rows matching `where`-style `condition`. -#}
{% test expression_is_true(model, expression, condition='1 = 1') %}

with

scoped as (

    select *
    from {{ model }}
    where {{ condition }}

),

failing as (

    select *
    from scoped
    where not coalesce({{ expression }}, false)

)

select * from failing

{% endtest %}
