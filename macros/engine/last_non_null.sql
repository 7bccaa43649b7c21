{#- Window expression: over the rows of `partition_by` in order of `order_by` (a numeric
    column, unique within a partition; descending when `descending`), the last value of
    `value` that is not NULL at or before the current row. A running maximum of an
    epoch finds where it is; this carries the value along in the same pass, instead of
    joining it back by key. `value` is a double (or NULL). -#}
{% macro last_non_null(value, partition_by, order_by, descending=false) -%}
    {{ return(adapter.dispatch('last_non_null', 'greenstream')(value, partition_by, order_by, descending)) }}
{%- endmacro %}

{% macro last_non_null_window(partition_by, order_by, descending) -%}
    over (
        partition by {{ partition_by }}
        order by {{ order_by }} {{ 'desc' if descending else 'asc' }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{% macro default__last_non_null(value, partition_by, order_by, descending) -%}
    last_value({{ value }} ignore nulls) {{ greenstream.last_non_null_window(partition_by, order_by, descending) }}
{%- endmacro %}

{% macro spark__last_non_null(value, partition_by, order_by, descending) -%}
    last_value({{ value }}, true) {{ greenstream.last_non_null_window(partition_by, order_by, descending) }}
{%- endmacro %}

{#- PostgreSQL 15 has no IGNORE NULLS: the running maximum (minimum, descending) of
    [order key, value] pairs, whose second element is the value at the greatest (least)
    order key so far. Arrays compare element by element. A double holds an order key
    exactly below 2^53 and keeps the order of keys that differ by more than its spacing
    (64 at slot epochs in microseconds of year 9999, which differ by 900 million). -#}
{% macro postgres__last_non_null(value, partition_by, order_by, descending) -%}
    ({{ 'min' if descending else 'max' }}(
        case
            when ({{ value }}) is not null
                then array[cast({{ order_by }} as double precision), {{ value }}]
        end
    ) {{ greenstream.last_non_null_window(partition_by, order_by, descending) }})[2]
{%- endmacro %}

{#- Window expression: the first value of `value` that is not NULL at or after the current
    row (arguments as `last_non_null`), over the window of `rows_at_or_after`. -#}
{% macro next_non_null(value, partition_by, order_by) -%}
    {{ return(adapter.dispatch('next_non_null', 'greenstream')(value, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__next_non_null(value, partition_by, order_by) -%}
    {{ greenstream.last_non_null(value, partition_by, order_by, descending=true) }}
{%- endmacro %}

{% macro duckdb__next_non_null(value, partition_by, order_by) -%}
    first_value({{ value }} ignore nulls) {{ greenstream.rows_at_or_after(partition_by, order_by) }}
{%- endmacro %}

{#- The window clause of the rows of `partition_by` from the current row to the last in
    order of `order_by`. DuckDB reads them forward, in the same sort as the windows that
    read backward (`last_non_null`): one sort for both directions. PostgreSQL and Spark
    would work out a frame that ends at the partition's end again for every row, so they
    read backward in descending order, a second sort. -#}
{% macro rows_at_or_after(partition_by, order_by) -%}
    {{ return(adapter.dispatch('rows_at_or_after', 'greenstream')(partition_by, order_by)) }}
{%- endmacro %}

{% macro default__rows_at_or_after(partition_by, order_by) -%}
    {{ greenstream.last_non_null_window(partition_by, order_by, descending=true) }}
{%- endmacro %}

{% macro duckdb__rows_at_or_after(partition_by, order_by) -%}
    over (
        partition by {{ partition_by }}
        order by {{ order_by }} asc
        rows between current row and unbounded following
    )
{%- endmacro %}
