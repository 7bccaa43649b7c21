{#- Q-Score of a meter-day (SPEC §7), in three pieces so every deduction can be
    its own column:

    - q_deduction_once(condition, deduction_var): the var's points when the
      condition holds, else 0 (unit conversion, out of bounds, fault).
    - q_deduction_per_hour(slots, deduction_var): the var's points per hour of
      `slots` slots: points x slots x reading_interval_minutes / 60
      (interpolated, missing).
    - q_score(deductions): 100 minus the sum of the deduction expressions,
      floored at 0, rounded half away from zero to 2 decimals.

    Deductions are numeric(12, 4): exact for every deduction size with up to 4
    decimals and every interval that divides an hour. DuckDB divides decimals
    in double precision, so the per-hour quotient is rounded to 4 decimals
    before it is cast, which gives PostgreSQL's exact answer. -#}

{% macro q_deduction_once(condition, deduction_var) -%}
    cast(
        case
            when {{ condition }} then cast({{ var(deduction_var) }} as numeric(12, 4))
            else 0
        end as numeric(12, 4)
    )
{%- endmacro %}

{% macro q_deduction_per_hour(slots, deduction_var) -%}
    {%- set point_minutes = 'cast(' ~ slots ~ ' as numeric(12, 4)) * '
        ~ 'cast(' ~ var(deduction_var) ~ ' as numeric(12, 4)) * '
        ~ var('reading_interval_minutes') -%}
    cast({{ round_half_away(point_minutes ~ ' / 60.0', 4) }} as numeric(12, 4))
{%- endmacro %}

{% macro q_score(deductions) -%}
    cast(
        {{ round_half_away('greatest(0, 100 - (' ~ deductions | join(' + ') ~ '))', 2) }}
        as numeric(5, 2)
    )
{%- endmacro %}
