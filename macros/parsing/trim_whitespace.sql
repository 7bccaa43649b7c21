{#- `expr` without leading and trailing ASCII whitespace (space, tab, line
    feed, vertical tab, form feed, carriage return). Both engines' plain
    trim() remove spaces only, so the characters are listed explicitly. -#}
{% macro trim_whitespace(expr) -%}
    trim({{ expr }}, chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32))
{%- endmacro %}
