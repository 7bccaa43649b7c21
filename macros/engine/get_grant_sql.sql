{#- dbt's grant statement, on PostgreSQL granting only to roles that exist:
    `greenstream setup-roles` creates them once per cluster, and a cluster
    without them (a developer's, CI's) still builds, exposing nothing. -#}
{% macro postgres__get_grant_sql(relation, privilege, grantees) -%}
    do $grant$
    begin
    {%- for grantee in grantees %}
        if exists (select from pg_roles where rolname = '{{ grantee }}') then
            grant {{ privilege }} on {{ relation.render() }} to {{ grantee }};
        end if;
    {%- endfor %}
    end
    $grant$
{%- endmacro %}
