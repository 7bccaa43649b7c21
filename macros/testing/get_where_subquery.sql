{#- The `where` config of the data tests (overrides dbt's): besides plain SQL it takes
    two named scopes, replaced when the test runs, because dbt does not render project
    macros in a generic test's YAML config:
    - `__landed_since_last_build__`: the raw rows landed since the last successful
      build (macro `landed_since_last_build`, doc `bronze_tests_scope`);
    - `__latest_build__`: the rows the model wrote in its latest build (macro
      `built_in_latest_build`). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set where = where
        | replace('__landed_since_last_build__', greenstream.landed_since_last_build())
        | replace('__latest_build__', greenstream.built_in_latest_build(relation)) -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
{%- endmacro %}
