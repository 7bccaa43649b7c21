{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot_day',
) }}

with

-- in scope: the meters' readings from the day of their first slot that can change, a
-- day in their span (doc `build_scope_design`)
readings as (

    select * from {{ scoped(ref('meter_readings'), 'meter_slot_day') }}

),

-- dates with a row on a valid slot: statuses 5-10 of SPEC §4
active_days as (

    select distinct
        meter_id,
        local_date
    from readings
    where
        meter_id is not null
        and slot_start is not null
        and status not in (
            'missing_meter_id', 'invalid_timestamp', 'future_timestamp', 'off_grid_timestamp'
        )

),

active_days_paired as (

    select
        meter_id,
        local_date,
        lead(local_date) over (partition by meter_id order by local_date) as next_active_date
    from active_days

),

-- an active day spans the days up to the next active day, unless the silence between
-- them is longer than max_silent_days (SPEC §5): then it spans itself only
spans as (

    select
        meter_id,
        local_date as first_local_date,
        case
            when
                {{ days_between('local_date', 'next_active_date') }} - 1
                <= {{ var('max_silent_days') }}
                then next_active_date - 1
            else local_date
        end as last_local_date
    from active_days_paired

),

calendar_bounds as (

    select
        min(first_local_date) as first_local_date,
        {{ days_between('min(first_local_date)', 'max(last_local_date)') }} as days_spanned
    from spans

),

day_offsets as (

    select cast(day_offset as integer) as day_offset
    from
        {{ integer_series('(select days_spanned from calendar_bounds)', 'numbers', 'day_offset') }}

),

calendar as (

    select calendar_bounds.first_local_date + day_offsets.day_offset as local_date
    from calendar_bounds
    cross join day_offsets

),

final as (

    select
        spans.meter_id,
        calendar.local_date,
        {{ built_at() }} as _built_at
    from spans
    inner join calendar
        on
            spans.first_local_date <= calendar.local_date
            and spans.last_local_date >= calendar.local_date

)

select * from final
