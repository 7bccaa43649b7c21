{#- `expr` rounded to `digits` decimals (0..12), half away from zero, identically on both
    engines. Goes through an exact decimal: PostgreSQL numeric (a double converts with 15
    significant digits), DuckDB DECIMAL(38, 12). Returns a numeric/decimal: cast it to the
    type you need. |expr| must stay below 1e26 (DuckDB's decimal range). -#}
{% macro round_half_away(expr, digits) -%}
    {{ return(adapter.dispatch('round_half_away', 'greenstream')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_half_away(expr, digits) -%}
    round(cast({{ expr }} as numeric), {{ digits }})
{%- endmacro %}

{% macro duckdb__round_half_away(expr, digits) -%}
    round(cast({{ expr }} as decimal(38, 12)), {{ digits }})
{%- endmacro %}
