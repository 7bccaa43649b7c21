{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot',
) }}
{%- set interval_minutes = var('reading_interval_minutes') | int -%}

with

-- in scope: each meter from its first slot that can change, a run start (or the meter's
-- first slot), so that its runs start afresh there (doc `build_scope_design`)
slots as (

    select * from {{ scoped(ref('int_meter_slots_interpolated'), 'meter_slot') }}

),

-- rounded once per slot (the fence keeps PostgreSQL from rounding again for each use)
measured_slots_rounded as (

    select
        meter_id,
        slot_epoch_us,
        slot_start,
        {{ round_kw('kw') }} as kw_rounded
    from slots
    where source = 'measured'
    {{ optimizer_fence() }}

),

measured_slots as (

    select
        *,
        kw_rounded <= {{ var('near_zero_kw') }} as is_near_zero_reading
    from measured_slots_rounded

),

-- stuck and near-zero runs (SPEC §6): over measured slots only, in time order; other
-- slots are skipped. A run starts where the value changes; a running count of the starts
-- numbers the runs of each kind within the meter.
run_starts as (

    select
        *,
        {{ starts_run('kw_rounded', 'measured_in_time') }} as starts_value_run,
        {{ starts_run('is_near_zero_reading', 'measured_in_time') }} as starts_near_zero_run
    from measured_slots
    window measured_in_time as (partition by meter_id order by slot_epoch_us)

),

run_numbers as (

    select
        *,
        sum(cast(starts_value_run as integer)) over measured_so_far as value_run_number,
        sum(cast(starts_near_zero_run as integer)) over measured_so_far as near_zero_run_number
    from run_starts
    window measured_so_far as (
        partition by meter_id
        order by slot_epoch_us
        rows between unbounded preceding and current row
    )

),

runs as (

    select
        meter_id,
        slot_epoch_us,
        is_near_zero_reading,
        min(slot_start) over value_run as value_run_started_at,
        count(*) over value_run as value_run_readings,
        min(slot_start) over near_zero_run as near_zero_run_started_at,
        count(*) over near_zero_run as near_zero_run_readings
    from run_numbers
    window
        value_run as (partition by meter_id, value_run_number),
        near_zero_run as (partition by meter_id, near_zero_run_number)

),

final as (

    select
        slots.meter_id,
        slots.unit,
        slots.source,
        slots.kw,
        slots.anchor_before_kw,
        slots.anchor_after_kw,
        coalesce(
            runs.value_run_readings * {{ interval_minutes }}
            >= {{ var('stuck_min_hours') }} * 60,
            false
        ) as is_stuck,
        coalesce(
            runs.is_near_zero_reading
            and runs.near_zero_run_readings * {{ interval_minutes }}
            >= {{ var('near_zero_min_hours') }} * 60,
            false
        ) as is_near_zero,
        slots.is_out_of_bounds,
        slots.local_date,
        slots.slot_start,
        runs.value_run_started_at,
        case
            when runs.is_near_zero_reading then runs.near_zero_run_started_at
        end as near_zero_run_started_at,
        {{ built_at() }} as _built_at
    from slots
    left join runs
        on
            slots.meter_id = runs.meter_id
            and slots.slot_epoch_us = runs.slot_epoch_us

)

select * from final
