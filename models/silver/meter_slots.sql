{%- set interval_minutes = var('reading_interval_minutes') | int -%}

with

slots as (

    select * from {{ ref('int_meter_slots_interpolated') }}

),

-- runs are over measured slots only, in time order: other slots are skipped (SPEC §6)
measured_slots as (

    select
        meter_id,
        slot_epoch_us,
        slot_start,
        {{ round_kw('kw') }} as kw_rounded,
        kw <= {{ var('near_zero_kw') }} as is_near_zero_reading
    from slots
    where source = 'measured'

),

run_keyed as (

    select
        *,
        {{ run_key('meter_id', 'slot_epoch_us', 'kw_rounded') }} as value_run_key,
        {{ run_key('meter_id', 'slot_epoch_us', 'is_near_zero_reading') }} as near_zero_run_key
    from measured_slots

),

runs as (

    select
        meter_id,
        slot_epoch_us,
        is_near_zero_reading,
        min(slot_start) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_started_at,
        count(*) over (
            partition by meter_id, kw_rounded, value_run_key
        ) as value_run_readings,
        min(slot_start) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_started_at,
        count(*) over (
            partition by meter_id, is_near_zero_reading, near_zero_run_key
        ) as near_zero_run_readings
    from run_keyed

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
        end as near_zero_run_started_at
    from slots
    left join runs
        on
            slots.meter_id = runs.meter_id
            and slots.slot_epoch_us = runs.slot_epoch_us

)

select * from final
