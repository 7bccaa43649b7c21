{#- True when `expr` contains a match of the regular expression `pattern`
    (anchor it with ^ and $ to match the whole text); false for NULL.
    Patterns stay in the common subset of RE2 (DuckDB) and POSIX ARE
    (PostgreSQL): bracket classes such as [0-9] and [.], no \d, no backslashes. -#}
{% macro regex_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'greenstream')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expr, pattern) -%}
    coalesce(({{ expr }}) ~ {{ dbt.string_literal(pattern) }}, false)
{%- endmacro %}

{% macro duckdb__regex_matches(expr, pattern) -%}
    coalesce(regexp_matches({{ expr }}, {{ dbt.string_literal(pattern) }}), false)
{%- endmacro %}

{% macro spark__regex_matches(expr, pattern) -%}
    coalesce(({{ expr }}) rlike {{ dbt.string_literal(pattern) }}, false)
{%- endmacro %}
