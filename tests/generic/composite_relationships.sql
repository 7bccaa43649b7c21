{#- dbt's `relationships` over several columns: returns each distinct combination of
    `columns` in the model (among rows matching `from_condition`) that no row of `to`
    (among rows matching `to_condition`) has in `to_columns` (default: the same names).
    Combinations with a NULL are skipped, as `relationships` skips NULLs: use not_null
    for them. An `except` (a hashed set operation on both engines) rather than an anti-join:
    PostgreSQL, without statistics on a table just built, planned the anti-join as a nested
    loop (169 s at 50,000 meter-days). -#}
{% test composite_relationships(
    model, to, columns, to_columns=none, from_condition='1 = 1', to_condition='1 = 1'
) %}
{%- set to_columns = to_columns or columns -%}
{%- if to_columns | length != columns | length -%}
    {{ exceptions.raise_compiler_error(
        'composite_relationships: columns and to_columns differ in length'
    ) }}
{%- endif %}

with

children as (

    select
        {{ columns | join(',\n        ') }}
    from {{ model }}
    where
        ({{ from_condition }})
        {%- for column in columns %}
        and {{ column }} is not null
        {%- endfor %}

),

parents as (

    select
        {{ to_columns | join(',\n        ') }}
    from {{ to }}
    where {{ to_condition }}

),

failing as (

    select * from children
    except
    select * from parents

)

select * from failing

{% endtest %}
