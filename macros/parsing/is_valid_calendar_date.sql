{#- True when the integer expressions year, month, day name a real date of
    the proleptic Gregorian calendar in years 0001–9999 (leap years: divisible
    by 4, except centuries not divisible by 400). -#}
{% macro is_valid_calendar_date(year, month, day) -%}
    (
        ({{ year }}) between 1 and 9999
        and ({{ month }}) between 1 and 12
        and ({{ day }}) >= 1
        and ({{ day }}) <= case
            when ({{ month }}) in (4, 6, 9, 11) then 30
            when ({{ month }}) = 2
                then case
                    when
                        (({{ year }}) % 4 = 0 and ({{ year }}) % 100 <> 0)
                        or ({{ year }}) % 400 = 0
                        then 29
                    else 28
                end
            else 31
        end
    )
{%- endmacro %}
