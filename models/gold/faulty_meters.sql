{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='fault_episode',
) }}
{%- set interval_minutes = var('reading_interval_minutes') %}

with

-- in scope: the meters' days from the first that can change. Their latest measured slot
-- is among these slots whenever an episode in scope contains it (doc `build_scope_design`)
meter_slots as (

    select * from {{ scoped(ref('meter_slots'), 'meter_day') }}

),

neighbour_checks as (

    select * from {{ scoped(ref('int_meter_days_neighbour_checked'), 'meter_day') }}

),

-- read by four steps; in a full build each scans the table again (`inline_cte`; the
-- model took 5 s against 7-9 s on PostgreSQL at 50,000 meters)
measured_slots as {{ inline_cte() }} (

    select * from meter_slots
    where source = 'measured'

),

latest_measured as (

    select
        meter_id,
        max(slot_start) as latest_measured_slot
    from measured_slots
    group by meter_id

),

-- every slot of a maximal run shares the run's first slot: one group per episode
stuck_runs as (

    select
        meter_id,
        'stuck' as fault_type,
        min(slot_start) as first_slot,
        max(slot_start) as last_slot,
        count(*) as readings
    from measured_slots
    where is_stuck
    group by meter_id, value_run_started_at

),

near_zero_runs as (

    select
        meter_id,
        'near_zero' as fault_type,
        min(slot_start) as first_slot,
        max(slot_start) as last_slot,
        count(*) as readings
    from measured_slots
    where is_near_zero
    group by meter_id, near_zero_run_started_at

),

runs as (

    select * from stuck_runs
    union all
    select * from near_zero_runs

),

run_episodes as (

    select
        runs.meter_id,
        runs.fault_type,
        runs.readings,
        runs.first_slot as started_at,
        {{ dbt.dateadd('minute', interval_minutes, 'runs.last_slot') }} as ended_at,
        -- runs skip non-measured slots, so every measured slot in range is in the run
        latest_measured.latest_measured_slot between runs.first_slot and runs.last_slot
            as is_active
    from runs
    inner join latest_measured
        on runs.meter_id = latest_measured.meter_id

),

measured_per_day as (

    select
        meter_id,
        local_date,
        count(*) as readings
    from measured_slots
    group by meter_id, local_date

),

mismatch_days as (

    select
        neighbour_checks.meter_id,
        coalesce(measured_per_day.readings, 0) as readings,
        {{ utc_instant_of_local_midnight('neighbour_checks.local_date') }} as started_at,
        {{ utc_instant_of_local_midnight('neighbour_checks.local_date + 1') }} as ended_at
    from neighbour_checks
    left join measured_per_day
        on
            neighbour_checks.meter_id = measured_per_day.meter_id
            and neighbour_checks.local_date = measured_per_day.local_date
    where neighbour_checks.is_neighbour_mismatch

),

mismatch_episodes as (

    select
        mismatch_days.meter_id,
        'neighbour_mismatch' as fault_type,
        mismatch_days.readings,
        mismatch_days.started_at,
        mismatch_days.ended_at,
        coalesce(
            latest_measured.latest_measured_slot >= mismatch_days.started_at
            and latest_measured.latest_measured_slot < mismatch_days.ended_at,
            false
        ) as is_active
    from mismatch_days
    left join latest_measured
        on mismatch_days.meter_id = latest_measured.meter_id

),

episodes as (

    select * from run_episodes
    union all
    select * from mismatch_episodes

),

-- a run that started before the meter's first slot that can change is partly out of
-- the slots read: only the episodes in scope are written (a run never crosses that slot)
episodes_in_scope as (

    select * from {{ scoped('episodes', 'fault_episode') }}

),

final as (

    select
        cast(meter_id as {{ type_text() }}) as meter_id,
        cast(fault_type as {{ type_text() }}) as fault_type,
        cast(started_at as {{ type_timestamptz() }}) as started_at,
        cast(ended_at as {{ type_timestamptz() }}) as ended_at,
        cast(readings as integer) as readings,
        is_active,
        {{ built_at() }} as _built_at
    from episodes_in_scope

)

select * from final
