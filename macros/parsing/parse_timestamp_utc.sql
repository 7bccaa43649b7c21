{#- SPEC §3 timestamp grammar. Returns the UTC instant (timestamptz) written
    in `text` (already trimmed), or NULL when the text is unparseable.

    Accepted: YYYY-MM-DD, then `T` or one space, HH:MM, optional :SS with an
    optional `.` and one or more fraction digits, optional zone `Z`, ±HH,
    ±HHMM or ±HH:MM (no zone = UTC). Rejected as well: impossible dates and
    times, year 0000, zone offsets beyond ±18:00, instants outside
    0001-01-01 .. 9999-12-31 UTC. Fractions are truncated to microseconds.

    The engine never parses unvalidated text and the session time zone is
    never consulted: the grammar is checked with a regex, every field is range
    checked, then a canonical `YYYY-MM-DD HH:MM:SS.ffffff` string is cast to a
    timestamp, the offset is subtracted, and the result is read at UTC. -#}
{% macro parse_timestamp_utc(text) -%}
    {%- set grammar = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$' -%}
    {%- set before_zone = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?' -%}
    {#- the zone designator: '', 'Z', '+HH', '+HHMM' or '+HH:MM' -#}
    {%- set zone = "regexp_replace(" ~ text ~ ", '" ~ before_zone ~ "', '')" -%}
    {%- set second_text = "case when substr(" ~ text ~ ", 17, 1) = ':' then substr(" ~ text ~ ", 18, 2) else '00' end" -%}
    {%- set fraction_text = "case when substr(" ~ text ~ ", 20, 1) = '.' then substr(" ~ text ~ ", 21, length(" ~ text ~ ") - length(" ~ zone ~ ") - 20) else '' end" -%}
    {%- set offset_hour_text = "case when length(" ~ zone ~ ") >= 3 then substr(" ~ zone ~ ", 2, 2) else '00' end" -%}
    {%- set offset_minute_text = "case length(" ~ zone ~ ") when 5 then substr(" ~ zone ~ ", 4, 2) when 6 then substr(" ~ zone ~ ", 5, 2) else '00' end" -%}
    {%- set year = cast_validated('substr(' ~ text ~ ', 1, 4)', 'integer') -%}
    {%- set month = cast_validated('substr(' ~ text ~ ', 6, 2)', 'integer') -%}
    {%- set day = cast_validated('substr(' ~ text ~ ', 9, 2)', 'integer') -%}
    {%- set hour = cast_validated('substr(' ~ text ~ ', 12, 2)', 'integer') -%}
    {%- set minute = cast_validated('substr(' ~ text ~ ', 15, 2)', 'integer') -%}
    {%- set second = cast_validated(second_text, 'integer') -%}
    {%- set offset_hour = cast_validated(offset_hour_text, 'integer') -%}
    {%- set offset_minute = cast_validated(offset_minute_text, 'integer') -%}
    {%- set offset_minutes = "(case when substr(" ~ zone ~ ", 1, 1) = '-' then -1 else 1 end) * (" ~ offset_hour ~ " * 60 + " ~ offset_minute ~ ")" -%}
    {%- set canonical = "substr(" ~ text ~ ", 1, 10) || ' ' || substr(" ~ text ~ ", 12, 5) || ':' || " ~ second_text ~ " || '.' || substr(" ~ fraction_text ~ " || '000000', 1, 6)" -%}
    {%- set utc_wall_clock = dbt.dateadd('minute', '-(' ~ offset_minutes ~ ')', cast_validated(canonical, 'timestamp')) -%}
    case
        when not {{ regex_matches(text, grammar) }} then null
        when
            {{ is_valid_calendar_date(year, month, day) }}
            and {{ hour }} <= 23
            and {{ minute }} <= 59
            and {{ second }} <= 59
            and {{ offset_minute }} <= 59
            and {{ offset_hour }} * 60 + {{ offset_minute }} <= 18 * 60
            then case
                when ({{ utc_wall_clock }}) between cast('0001-01-01 00:00:00' as timestamp)
                    and cast('9999-12-31 23:59:59.999999' as timestamp)
                    then ({{ utc_wall_clock }}) at time zone 'UTC'
            end
    end
{%- endmacro %}
