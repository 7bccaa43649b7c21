{#- dbt-spark's listing of a schema's relations (`show table extended`), with Apache
    Iceberg tables told apart: through Iceberg's SparkSessionCatalog a Hive metastore
    reports them as `Provider: hive` with the table property `table_type=ICEBERG`, and
    dbt-spark reads only the provider (upstream bug dbt-labs/dbt-adapters#489), so the
    snapshot would refuse its own table. Returns the rows dbt-spark parses: (schema,
    name, is temporary, information). -#}
{% macro spark__list_relations_without_caching(relation) -%}
    {%- call statement('list_relations_without_caching', fetch_result=True) -%}
        show table extended in {{ relation.schema }} like '*'
    {%- endcall -%}
    {%- set rows = [] -%}
    {%- for row in load_result('list_relations_without_caching').table -%}
        {%- set information = row[3] -%}
        {%- if 'table_type=ICEBERG' in information -%}
            {%- set information = information | replace('Provider: hive', 'Provider: iceberg') -%}
        {%- endif -%}
        {%- do rows.append([row[0], row[1], row[2], information]) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}
