{#- SPEC §3 number grammar. `text` (already trimmed) as a double precision,
    or NULL when it is not a decimal number `[+-]digits[.digits]` /
    `[+-].digits` with an optional exponent `e|E[+-]digits`, or when its
    magnitude is 1e308 or more (infinite as a double: invalid). Magnitudes
    below 1e-307 (underflow) give 0, as does any zero mantissa (`-0`, `0e999`).

    The order of magnitude is worked out on the text first, so the engine
    only ever casts text that is a finite, normal double: PostgreSQL would
    raise on overflow and underflow, DuckDB would return inf or 0. -#}
{% macro parse_decimal_number(text) -%}
    {%- set grammar = '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' -%}
    {%- set mantissa = "split_part(lower(" ~ text ~ "), 'e', 1)" -%}
    {%- set exponent_text = "split_part(lower(" ~ text ~ "), 'e', 2)" -%}
    {#- integer digits without sign and leading zeros; fraction digits -#}
    {%- set integer_digits = greenstream.trim_characters("split_part(" ~ mantissa ~ ", '.', 1)", "'+-0'", 'leading') -%}
    {%- set fraction_digits = "split_part(" ~ mantissa ~ ", '.', 2)" -%}
    {%- set fraction_significant = greenstream.trim_characters(fraction_digits, "'0'", 'leading') -%}
    {%- set exponent_digits = greenstream.trim_characters(exponent_text, "'+-0'", 'leading') -%}
    {%- set exponent = "(case when substr(" ~ exponent_text ~ ", 1, 1) = '-' then -1 else 1 end) * " ~ cast_validated("case when " ~ exponent_digits ~ " = '' then '0' else " ~ exponent_digits ~ " end", 'bigint') -%}
    {#- k such that 10^k <= |value| < 10^(k + 1) -#}
    {%- set order_of_magnitude = "(case when " ~ integer_digits ~ " <> '' then length(" ~ integer_digits ~ ") - 1 else length(" ~ fraction_significant ~ ") - length(" ~ fraction_digits ~ ") - 1 end) + " ~ exponent -%}
    {%- set value = cast_validated(text, greenstream.type_double()) -%}
    case
        when not {{ regex_matches(text, grammar) }} then null
        {#- fast path: without an exponent, 300 characters cannot leave the range #}
        when position('e' in lower({{ text }})) = 0 and length({{ text }}) <= 300
            then case when {{ value }} = 0 then cast(0 as {{ greenstream.type_double() }}) else {{ value }} end
        when {{ integer_digits }} = '' and {{ fraction_significant }} = ''
            then cast(0 as {{ greenstream.type_double() }})
        when length({{ exponent_digits }}) > 15
            then case
                when substr({{ exponent_text }}, 1, 1) = '-' then cast(0 as {{ greenstream.type_double() }})
            end
        when {{ order_of_magnitude }} >= 308 then null
        when {{ order_of_magnitude }} < -307 then cast(0 as {{ greenstream.type_double() }})
        else {{ value }}
    end
{%- endmacro %}
