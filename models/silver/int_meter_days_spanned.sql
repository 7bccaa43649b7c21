with

readings as (

    select * from {{ ref('meter_readings') }}

),

-- rows with a valid slot: statuses 4-9 of SPEC §4
slotted_readings as (

    select
        meter_id,
        local_date
    from readings
    where
        meter_id is not null
        and slot_start is not null
        and status not in ('missing_meter_id', 'invalid_timestamp', 'off_grid_timestamp')

),

meter_ranges as (

    select
        meter_id,
        min(local_date) as first_local_date,
        max(local_date) as last_local_date
    from slotted_readings
    group by meter_id

),

calendar_bounds as (

    select
        min(first_local_date) as first_local_date,
        max(last_local_date) - min(first_local_date) as days_spanned
    from meter_ranges

),

day_offsets as (

    select cast(day_offset as integer) as day_offset
    from generate_series(0, (select days_spanned from calendar_bounds)) as day_numbers (day_offset)

),

calendar as (

    select calendar_bounds.first_local_date + day_offsets.day_offset as local_date
    from calendar_bounds
    cross join day_offsets

),

final as (

    select
        meter_ranges.meter_id,
        calendar.local_date
    from meter_ranges
    inner join calendar
        on
            meter_ranges.first_local_date <= calendar.local_date
            and meter_ranges.last_local_date >= calendar.local_date

)

select * from final
