{#- A model's pre-hook (dbt_project.yml, silver and gold): on PostgreSQL, the memory each
    sort and hash of the model's query may use before it spills to disk, for the length of
    the model's transaction (`set local`): the slot windows sort millions of rows, and a
    server's default (4MB) sends them to disk. `GREENSTREAM_PG_WORK_MEM` (default 256MB)
    overrides it. Nothing on other engines (DuckDB's memory is the profile's
    `memory_limit`). -#}
{% macro set_work_mem() -%}
    {{ return(adapter.dispatch('set_work_mem', 'greenstream')()) }}
{%- endmacro %}

{% macro default__set_work_mem() -%}
{%- endmacro %}

{% macro postgres__set_work_mem() -%}
    set local work_mem = '{{ env_var("GREENSTREAM_PG_WORK_MEM", "256MB") }}'
{%- endmacro %}
