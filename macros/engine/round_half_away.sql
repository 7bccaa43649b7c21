{#- `expr` rounded to `digits` decimals (0..18), half away from zero, identically on both
    engines. A double first becomes its shortest round-trip decimal text (the same string
    on both engines, so 2.675 rounds to 2.68 everywhere), then an exact decimal is rounded:
    PostgreSQL numeric, DuckDB DECIMAL(38, 18). Returns a numeric/decimal: cast it to the
    type you need. |expr| must stay below 1e20 (DuckDB's decimal range). -#}
{% macro round_half_away(expr, digits) -%}
    {{ return(adapter.dispatch('round_half_away', 'greenstream')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_half_away(expr, digits) -%}
    round(cast(cast({{ expr }} as text) as numeric), {{ digits }})
{%- endmacro %}

{% macro duckdb__round_half_away(expr, digits) -%}
    round(cast(cast({{ expr }} as varchar) as decimal(38, 18)), {{ digits }})
{%- endmacro %}

{#- Spark's round of a decimal is half up (away from zero); a double's text is Java's
    shortest decimal that reads back as the same double. -#}
{% macro spark__round_half_away(expr, digits) -%}
    round(cast(cast({{ expr }} as string) as decimal(38, 18)), {{ digits }})
{%- endmacro %}
