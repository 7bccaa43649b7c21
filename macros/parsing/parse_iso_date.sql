{#- The date written as exactly `YYYY-MM-DD` in `text` (already trimmed), or
    NULL when the text has another shape or names an impossible date. -#}
{% macro parse_iso_date(text) -%}
    {%- set year = cast_validated('substr(' ~ text ~ ', 1, 4)', 'integer') -%}
    {%- set month = cast_validated('substr(' ~ text ~ ', 6, 2)', 'integer') -%}
    {%- set day = cast_validated('substr(' ~ text ~ ', 9, 2)', 'integer') -%}
    case
        when not {{ regex_matches(text, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }} then null
        when {{ is_valid_calendar_date(year, month, day) }}
            then {{ cast_validated(text, 'date') }}
    end
{%- endmacro %}
