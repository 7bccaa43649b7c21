{#- Epoch microseconds (bigint) of the reading slot nearest to the instant `ts`: slots are
    the instants whose epoch seconds are multiples of I × 60 (I = reading_interval_minutes);
    a tie (exactly half a slot away) goes to the later slot. Integer arithmetic only, with a
    non-negative remainder, so both engines agree to the microsecond. -#}
{% macro slot_epoch_us(ts) -%}
    {%- set slot_us = greenstream.slot_length_us() -%}
    {%- set shifted = '(' ~ greenstream.epoch_us(ts) ~ ' + ' ~ (slot_us // 2) ~ ')' -%}
    ({{ shifted }} - mod(mod({{ shifted }}, {{ slot_us }}) + {{ slot_us }}, {{ slot_us }}))
{%- endmacro %}

{#- Length of one reading slot in microseconds (a Jinja integer). -#}
{% macro slot_length_us() -%}
    {{ return((var('reading_interval_minutes') | int) * 60 * 1000000) }}
{%- endmacro %}
