{#- on Spark this table is the Parquet export of quarantine: partitioned by month of
    local_date (doc `gold_lake_exports`) -#}
{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
    partition_by=('months(local_date)' if target.type == 'spark' else none),
) }}
{%- set interval_minutes = var('reading_interval_minutes') %}

with

-- in scope: the meters' days from the first that can change (doc `build_scope_design`)
scored_days as (

    select * from {{ scoped(ref('meter_day_quality'), 'meter_day') }}

),

bronze_days as (

    select * from scored_days
    where tier = 'BRONZE'

),

-- hours as text with 2 decimals, e.g. 12.50
hours_spelled as (

    select
        *,
        cast(cast(
            {{ round_half_away('missing_slots * ' ~ interval_minutes ~ ' / 60.0', 2) }}
            as numeric(12, 2)
        ) as {{ type_text() }}) as missing_hours_text,
        cast(cast(
            {{ round_half_away('interpolated_slots * ' ~ interval_minutes ~ ' / 60.0', 2) }}
            as numeric(12, 2)
        ) as {{ type_text() }}) as interpolated_hours_text
    from bronze_days

),

-- one phrase per deduction that applies, largest kinds of loss first
reasons_listed as (

    select
        *,
        concat_ws(
            '; ',
            case when missing_slots > 0 then 'missing ' || missing_hours_text || ' h' end,
            case
                when interpolated_slots > 0
                    then 'interpolated ' || interpolated_hours_text || ' h'
            end,
            case when fault_types <> '' then replace(fault_types, ',', '; ') end,
            case when has_out_of_bounds then 'out of bounds' end,
            case when has_unit_conversion then 'unit conversion' end
        ) as reasons
    from hours_spelled

),

quarantined as (

    select
        meter_id,
        neighbourhood,
        local_date,
        expected_slots,
        measured_slots,
        interpolated_slots,
        missing_slots,
        invalid_readings,
        has_unit_conversion,
        has_out_of_bounds,
        has_fault,
        fault_types,
        neighbour_correlation,
        deduction_unit_conversion,
        deduction_interpolation,
        deduction_out_of_bounds,
        deduction_fault,
        deduction_unfilled,
        q_score,
        tier,
        cast(reasons as {{ type_text() }}) as reasons
    from reasons_listed

),

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from quarantined

)

select * from final
