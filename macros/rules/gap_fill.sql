{#- True when a run of missing slots between measured anchors at epoch microseconds t0_us
    and t1_us is short enough to fill (SPEC §5): its length, slots × I, strictly below
    max_interpolation_gap_hours. Integer microseconds: (t1 − t0 − I) < hours × 3600e6. -#}
{% macro is_fillable_gap(t0_us, t1_us) -%}
    {%- set limit_us = var('max_interpolation_gap_hours') * 3600 * 1000000 -%}
    ({{ t1_us }} - {{ t0_us }} - {{ greenstream.slot_length_us() }} < {{ limit_us | int if limit_us == limit_us | int else limit_us }})
{%- endmacro %}

{#- Linear interpolation between measured anchors (t0_us, v0) and (t1_us, v1) at t_us
    (SPEC §5): v0 + (t − t0)(v1 − v0)/(t1 − t0), in double precision, same evaluation order
    on both engines. -#}
{% macro interpolated_kw(t_us, t0_us, v0, t1_us, v1) -%}
    ({{ v0 }} + cast({{ t_us }} - {{ t0_us }} as {{ greenstream.type_double() }}) * ({{ v1 }} - {{ v0 }})
    / cast({{ t1_us }} - {{ t0_us }} as {{ greenstream.type_double() }}))
{%- endmacro %}
