{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
) }}

with

-- in scope: the meters' days from the first that can change (doc `build_scope_design`)
meter_slots as (

    select * from {{ scoped(ref('meter_slots'), 'meter_day') }}

),

meter_readings as (

    select * from {{ scoped(ref('meter_readings'), 'meter_day') }}

),

neighbour_checks as (

    select * from {{ scoped(ref('int_meter_days_neighbour_checked'), 'meter_day') }}

),

slots_per_day as (

    select
        meter_id,
        local_date,
        count(*) as expected_slots,
        sum(case when source = 'measured' then 1 else 0 end) as measured_slots,
        sum(case when source = 'interpolated' then 1 else 0 end) as interpolated_slots,
        sum(case when source = 'missing' then 1 else 0 end) as missing_slots,
        max(case when is_stuck then 1 else 0 end) = 1 as has_stuck,
        max(case when is_near_zero then 1 else 0 end) = 1 as has_near_zero
    from meter_slots
    group by meter_id, local_date

),

readings_per_day as (

    select
        meter_id,
        local_date,
        sum(case when is_invalid_reading then 1 else 0 end) as invalid_readings,
        max(
            case when status = 'valid' and unit <> 'kW' then 1 else 0 end
        ) = 1 as has_unit_conversion,
        max(
            case
                when status = 'valid' and is_out_of_bounds then 1
                when status = 'negative_value' then 1
                else 0
            end
        ) = 1 as has_out_of_bounds
    from meter_readings
    where meter_id is not null and local_date is not null
    group by meter_id, local_date

),

meter_days as (

    select
        slots_per_day.meter_id,
        neighbour_checks.neighbourhood,
        slots_per_day.local_date,
        slots_per_day.expected_slots,
        slots_per_day.measured_slots,
        slots_per_day.interpolated_slots,
        slots_per_day.missing_slots,
        slots_per_day.has_stuck,
        slots_per_day.has_near_zero,
        neighbour_checks.neighbour_correlation,
        coalesce(readings_per_day.invalid_readings, 0) as invalid_readings,
        coalesce(readings_per_day.has_unit_conversion, false) as has_unit_conversion,
        coalesce(readings_per_day.has_out_of_bounds, false) as has_out_of_bounds,
        coalesce(neighbour_checks.is_neighbour_mismatch, false) as has_neighbour_mismatch
    from slots_per_day
    left join readings_per_day
        on
            slots_per_day.meter_id = readings_per_day.meter_id
            and slots_per_day.local_date = readings_per_day.local_date
    left join neighbour_checks
        on
            slots_per_day.meter_id = neighbour_checks.meter_id
            and slots_per_day.local_date = neighbour_checks.local_date

),

faults_named as (

    select
        *,
        has_stuck or has_near_zero or has_neighbour_mismatch as has_fault,
        -- alphabetical order; concat_ws skips the NULLs of absent faults
        coalesce(
            concat_ws(
                ',',
                case when has_near_zero then 'near_zero' end,
                case when has_neighbour_mismatch then 'neighbour_mismatch' end,
                case when has_stuck then 'stuck' end
            ),
            ''
        ) as fault_types
    from meter_days

),

deductions as (

    select
        *,
        {{ q_deduction_once('has_unit_conversion', 'q_deduction_unit_conversion') }}
            as deduction_unit_conversion,
        {{ q_deduction_per_hour('interpolated_slots', 'q_deduction_interpolation_per_hour') }}
            as deduction_interpolation,
        {{ q_deduction_once('has_out_of_bounds', 'q_deduction_out_of_bounds') }}
            as deduction_out_of_bounds,
        {{ q_deduction_once('has_fault', 'q_deduction_fault') }}
            as deduction_fault,
        {{ q_deduction_per_hour('missing_slots', 'q_deduction_unfilled_per_hour') }}
            as deduction_unfilled
    from faults_named

),

scored as (

    select
        *,
        {{ q_score([
            'deduction_unit_conversion',
            'deduction_interpolation',
            'deduction_out_of_bounds',
            'deduction_fault',
            'deduction_unfilled',
        ]) }} as q_score
    from deductions

),

final as (

    select
        cast(meter_id as {{ type_text() }}) as meter_id,
        cast(neighbourhood as {{ type_text() }}) as neighbourhood,
        cast(local_date as date) as local_date,
        cast(expected_slots as integer) as expected_slots,
        cast(measured_slots as integer) as measured_slots,
        cast(interpolated_slots as integer) as interpolated_slots,
        cast(missing_slots as integer) as missing_slots,
        cast(invalid_readings as integer) as invalid_readings,
        has_unit_conversion,
        has_out_of_bounds,
        has_fault,
        cast(fault_types as {{ type_text() }}) as fault_types,
        cast(neighbour_correlation as {{ type_double() }}) as neighbour_correlation,
        deduction_unit_conversion,
        deduction_interpolation,
        deduction_out_of_bounds,
        deduction_fault,
        deduction_unfilled,
        q_score,
        cast({{ quality_tier('q_score') }} as {{ type_text() }}) as tier,
        {{ built_at() }} as _built_at
    from scored

)

select * from final
