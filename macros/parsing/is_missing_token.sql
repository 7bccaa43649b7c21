{#- True when `text` (already trimmed) is NULL or one of SPEC §3's missing
    tokens, case-insensitively: empty, null, none, nan, na, n/a. -#}
{% macro is_missing_token(text) -%}
    coalesce(lower({{ text }}) in ('', 'null', 'none', 'nan', 'na', 'n/a'), true)
{%- endmacro %}
