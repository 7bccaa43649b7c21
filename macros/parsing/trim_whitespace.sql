{#- `expr` without leading and trailing ASCII whitespace (space, tab, line
    feed, vertical tab, form feed, carriage return). Both engines' plain
    trim() remove spaces only, so the characters are listed explicitly. Text
    whose first and last characters are above the space (the usual case)
    is returned as is: trim() with a character list is slow on DuckDB. -#}
{% macro trim_whitespace(expr) -%}
    case
        when ascii({{ expr }}) > 32 and ascii(right({{ expr }}, 1)) > 32 then {{ expr }}
        else {{ greenstream.trim_characters(expr, 'chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32)') }}
    end
{%- endmacro %}
