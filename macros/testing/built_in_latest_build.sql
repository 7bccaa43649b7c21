{#- True for the rows of `relation` its latest build wrote (`_built_at` is the model's
    latest): in an incremental build the rows in scope, in a full refresh every row (doc
    `silver_tests_scope`). -#}
{% macro built_in_latest_build(relation) -%}
    _built_at = (select max(_built_at) from {{ relation }})
{%- endmacro %}
