{{ config(materialized='view') }}

with

meter_slots as (

    select * from {{ ref('meter_slots') }}

),

peak_periods as (

    select * from {{ ref('peak_periods') }}

),

registered_days as (

    select * from {{ ref('int_meter_days_registered') }}

),

-- the calendar depends on the slot only: work it out once per grid slot. Keyed by local
-- date too, so that a caller's filter on local_date reaches both sides of the join below.
-- Read from the table, not from the CTE above: PostgreSQL keeps a CTE read twice as a
-- result without statistics, and then sorted every meter slot to merge-join the 96 grid
-- slots of a day
grid_slots as (

    select distinct
        local_date,
        slot_start
    from {{ ref('meter_slots') }}

),

grid_slots_in_local_time as (

    select
        local_date,
        slot_start,
        {{ local_timestamp('slot_start') }} as local_ts
    from grid_slots

),

grid_slots_calendared as (

    select
        local_date,
        slot_start,
        local_ts,
        cast(extract(hour from local_ts) as integer) as local_hour,
        {{ iso_weekday('local_ts') }} as iso_weekday,
        {{ time_of_day('local_ts') }} as local_time
    from grid_slots_in_local_time

),

-- grouped per grid slot, so that overlapping peak periods cannot repeat a slot, and so
-- that PostgreSQL computes the flag once per grid slot: it pulls a plain subquery up into
-- the join below and would then evaluate it once per meter slot
grid_slots_peak_flagged as (

    select
        grid_slots_calendared.local_date,
        grid_slots_calendared.slot_start,
        grid_slots_calendared.local_ts,
        grid_slots_calendared.local_hour,
        grid_slots_calendared.iso_weekday,
        count(peak_periods.iso_weekday) > 0 as is_peak
    from grid_slots_calendared
    left join peak_periods
        on
            grid_slots_calendared.iso_weekday = peak_periods.iso_weekday
            and grid_slots_calendared.local_time >= peak_periods.start_local_time
            and grid_slots_calendared.local_time < peak_periods.end_local_time
    group by
        grid_slots_calendared.local_date,
        grid_slots_calendared.slot_start,
        grid_slots_calendared.local_ts,
        grid_slots_calendared.local_hour,
        grid_slots_calendared.iso_weekday

),

final as (

    select
        meter_slots.meter_id,
        registered_days.neighbourhood,
        meter_slots.source,
        meter_slots.kw,
        meter_slots.kw_rounded,
        meter_slots.kw * {{ var('reading_interval_minutes') }} / 60 as kwh,
        grid_slots_peak_flagged.local_hour,
        grid_slots_peak_flagged.iso_weekday,
        grid_slots_peak_flagged.iso_weekday in (6, 7) as is_weekend,
        grid_slots_peak_flagged.is_peak,
        coalesce(meter_slots.is_out_of_bounds, false) as is_out_of_bounds,
        meter_slots.local_date,
        grid_slots_peak_flagged.local_ts,
        meter_slots.slot_start
    from meter_slots
    inner join grid_slots_peak_flagged
        on
            meter_slots.local_date = grid_slots_peak_flagged.local_date
            and meter_slots.slot_start = grid_slots_peak_flagged.slot_start
    inner join registered_days
        on
            meter_slots.meter_id = registered_days.meter_id
            and meter_slots.local_date = registered_days.local_date

)

select * from final
