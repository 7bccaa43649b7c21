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

measured_slots as (

    select
        meter_id,
        slot_epoch_us,
        slot_start,
        {{ round_kw('kw') }} as kw_rounded,
        {{ round_kw('kw') }} <= {{ var('near_zero_kw') }} as is_near_zero_reading
    from slots
    where source = 'measured'

),

-- stuck and near-zero runs (SPEC §6): over measured slots only, in time order; other
-- slots are skipped
value_runs as (

    select
        meter_id,
        slot_epoch_us,
        min(slot_start) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_started_at,
        count(*) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_readings
    from (
        select
            *,
            {{ run_key('meter_id', 'slot_epoch_us', 'kw_rounded') }} as value_run_key
        from measured_slots
    ) as value_run_keyed

),

near_zero_runs as (

    select
        meter_id,
        slot_epoch_us,
        is_near_zero_reading,
        min(slot_start) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_started_at,
        count(*) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_readings
    from (
        select
            *,
            {{ run_key('meter_id', 'slot_epoch_us', 'is_near_zero_reading') }} as near_zero_run_key
        from measured_slots
    ) as near_zero_run_keyed

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
            value_runs.value_run_readings * {{ interval_minutes }}
            >= {{ var('stuck_min_hours') }} * 60,
            false
        ) as is_stuck,
        coalesce(
            near_zero_runs.is_near_zero_reading
            and near_zero_runs.near_zero_run_readings * {{ interval_minutes }}
            >= {{ var('near_zero_min_hours') }} * 60,
            false
        ) as is_near_zero,
        slots.is_out_of_bounds,
        slots.local_date,
        slots.slot_start,
        value_runs.value_run_started_at,
        case
            when near_zero_runs.is_near_zero_reading then near_zero_runs.near_zero_run_started_at
        end as near_zero_run_started_at,
        {{ built_at() }} as _built_at
    from slots
    left join value_runs
        on
            slots.meter_id = value_runs.meter_id
            and slots.slot_epoch_us = value_runs.slot_epoch_us
    left join near_zero_runs
        on
            slots.meter_id = near_zero_runs.meter_id
            and slots.slot_epoch_us = near_zero_runs.slot_epoch_us

)

select * from final
