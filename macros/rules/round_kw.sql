{#- A kW value rounded to 6 decimals (half away from zero) as a double: the key under which
    readings count as "the same kW" (duplicates, stuck runs) and the precision of hourly
    profiles. Doubles of magnitude >= 1e15 carry at most 3 decimals, so they are already
    rounded and pass through unchanged (which also keeps them inside the decimal range).
    Monotone (a <= b gives round_kw(a) <= round_kw(b)): the shortest decimal of a double,
    rounding a decimal, and reading it back each keep the order. -#}
{% macro round_kw(kw) -%}
    case
        when abs({{ kw }}) < 1e15
            then cast({{ greenstream.round_half_away(kw, 6) }} as {{ greenstream.type_double() }})
        else {{ kw }}
    end
{%- endmacro %}
