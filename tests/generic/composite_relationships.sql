{#- dbt's `relationships` over several columns: returns each distinct combination of
    `columns` in the model (among rows matching `from_condition`) that no row of `to`
    (among rows matching `to_condition`) has in `to_columns` (default: the same names).
    Combinations with a NULL are skipped, as `relationships` skips NULLs: use not_null
    for them. -#}
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

    select distinct
        {{ columns | join(',\n        ') }}
    from {{ model }}
    where
        ({{ from_condition }})
        {%- for column in columns %}
        and {{ column }} is not null
        {%- endfor %}

),

parents as (

    select distinct
        {%- for column in to_columns %}
        {{ column }} as parent_column_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ to }}
    where {{ to_condition }}

),

failing as (

    select children.*
    from children
    left join parents
        on
            {%- for column in columns %}
            {{ 'and ' if not loop.first }}children.{{ column }} = parents.parent_column_{{ loop.index }}
            {%- endfor %}
    where parents.parent_column_1 is null

)

select * from failing

{% endtest %}
