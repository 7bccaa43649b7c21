{#- Gaps-and-islands key: rows of one partition, in `order_by` order, that are consecutive
    and share `value` get the same key. A run is identified by (partition_by, value, key):
    always partition or group by `value` too. Rows left out of the query (e.g. slots that
    are not measured) are skipped, so a run continues across them. -#}
{% macro run_key(partition_by, order_by, value) -%}
    (
        row_number() over (partition by {{ partition_by }} order by {{ order_by }})
        - row_number() over (partition by {{ partition_by }}, {{ value }} order by {{ order_by }})
    )
{%- endmacro %}
