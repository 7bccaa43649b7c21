{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot',
) }}
{%- set interval_minutes = var('reading_interval_minutes') | int -%}

with

-- in scope: each meter from its first slot that can change, a run start (or the meter's
-- first slot), so that its runs start afresh there (doc `build_scope_design`). Read by
-- three steps; in a full build each scans the table again (`inline_cte`): storing the
-- 4.8 M slots of 50,000 meters once cost 1-1.5 s on DuckDB and 6-7 s on PostgreSQL
slots as {{ inline_cte() }} (

    select * from {{ scoped(ref('int_meter_slots_interpolated'), 'meter_slot') }}

),

-- each distinct measured kW rounded once, joined back to its slots: readings are
-- quantized (6,000 distinct kW among 4.8 M slots at 50,000 meters), and rounding every
-- slot cost 1-2 s of 9 s on DuckDB (the fence keeps PostgreSQL from rounding again for
-- each joined slot)
measured_kws as (

    select distinct kw
    from slots
    where source = 'measured'

),

rounded_kws as (

    select
        kw,
        {{ round_kw('kw') }} as kw_rounded
    from measured_kws
    {{ optimizer_fence() }}

),

measured_slots as (

    select
        slots.meter_id,
        slots.slot_epoch_us,
        slots.slot_start,
        rounded_kws.kw_rounded,
        rounded_kws.kw_rounded <= {{ var('near_zero_kw') }} as is_near_zero_reading
    from slots
    inner join rounded_kws
        on slots.kw = rounded_kws.kw
    where slots.source = 'measured'

),

-- stuck and near-zero runs (SPEC §6): over measured slots only, in time order; other
-- slots are skipped. A run starts where the value differs from the previous slot's and
-- ends where it differs from the next's; the slots are numbered in the same sort
run_bounds as (

    select
        *,
        row_number() over measured_in_time as measured_slot_number,
        {{ starts_run('kw_rounded', 'measured_in_time') }} as starts_value_run,
        {{ ends_run('kw_rounded', 'measured_in_time') }} as ends_value_run,
        {{ starts_run('is_near_zero_reading', 'measured_in_time') }} as starts_near_zero_run,
        {{ ends_run('is_near_zero_reading', 'measured_in_time') }} as ends_near_zero_run
    from measured_slots
    window measured_in_time as (partition by meter_id order by slot_epoch_us)

),

-- a slot's run started at the latest start so far and ends at the next end from here;
-- its length is the difference of their numbers. Both directions are one sort on DuckDB
-- (`rows_at_or_after`); counting the slots per run start sorted every slot again for each
-- kind of run (about 1 s of 9.5 s on DuckDB at 50,000 meters)
runs as (

    select
        meter_id,
        slot_epoch_us,
        kw_rounded,
        is_near_zero_reading,
        max(case when starts_value_run then slot_start end) over measured_so_far
            as value_run_started_at,
        max(case when starts_near_zero_run then slot_start end) over measured_so_far
            as near_zero_run_started_at,
        min(case when ends_value_run then measured_slot_number end)
            {{ rows_at_or_after('meter_id', 'slot_epoch_us') }}
        - max(case when starts_value_run then measured_slot_number end)
            over measured_so_far
        + 1 as value_run_readings,
        min(case when ends_near_zero_run then measured_slot_number end)
            {{ rows_at_or_after('meter_id', 'slot_epoch_us') }}
        - max(case when starts_near_zero_run then measured_slot_number end)
            over measured_so_far
        + 1 as near_zero_run_readings
    from run_bounds
    window measured_so_far as (
        partition by meter_id
        order by slot_epoch_us
        rows between unbounded preceding and current row
    )

),

final as (

    select
        slots.meter_id,
        slots.unit,
        slots.source,
        slots.kw,
        runs.kw_rounded,
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
