{#- Gaps and islands: true where a run of `value` starts, i.e. where it differs from the
    previous row's in the named window `in_order` (partitioned and ordered, e.g. a meter's
    measured slots in time order), and on the partition's first row. Rows left out of the
    query (slots that are not measured) are skipped, so a run continues across them.
    `value` is never NULL here. -#}
{% macro starts_run(value, in_order) -%}
    coalesce({{ value }} <> lag({{ value }}) over {{ in_order }}, true)
{%- endmacro %}

{#- True where a run of `value` ends: it differs from the next row's in `in_order`, or
    the row is the partition's last (as `starts_run`, the other way). -#}
{% macro ends_run(value, in_order) -%}
    coalesce({{ value }} <> lead({{ value }}) over {{ in_order }}, true)
{%- endmacro %}
