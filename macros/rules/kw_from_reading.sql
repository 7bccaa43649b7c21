{#- kW of one reading (SPEC §3): power units `value × factor`, energy units (per slot)
    `value × factor × 60 / I`, evaluated left to right in double precision on both engines.
    NULL when the unit did not match (kind NULL) or when |value| > 1e300, where the result
    would overflow a double (PostgreSQL raises an error, DuckDB returns infinity). -#}
{% macro kw_from_reading(value, factor, kind) -%}
    case
        when abs({{ value }}) > 1e300 then null
        when {{ kind }} = 'power'
            then cast({{ value }} as {{ greenstream.type_double() }}) * {{ factor }}
        when {{ kind }} = 'energy'
            then cast({{ value }} as {{ greenstream.type_double() }}) * {{ factor }} * cast(60 as {{ greenstream.type_double() }})
            / cast({{ var('reading_interval_minutes') | int }} as {{ greenstream.type_double() }})
    end
{%- endmacro %}
