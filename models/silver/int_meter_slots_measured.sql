{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot',
) }}
{%- set slot_us = slot_length_us() -%}
{#- enough slot numbers for a 25-hour day -#}
{%- set last_slot_number = (25 * 60) // (var('reading_interval_minutes') | int) -%}

with

-- in scope: each meter from its first slot that can change (doc `build_scope_design`)
meter_days as (

    select * from {{ scoped(ref('int_meter_days_spanned'), 'meter_slot_day') }}

),

readings as (

    select * from {{ scoped(ref('meter_readings'), 'meter_slot') }}

),

valid_readings as (

    select
        meter_id,
        slot_start,
        unit,
        kw,
        is_out_of_bounds
    from readings
    where status = 'valid'

),

local_dates as (

    select distinct local_date
    from meter_days

),

-- the local day [midnight, next midnight) in epoch microseconds: 23, 24 or 25 hours
day_bounds as (

    select
        local_date,
        {{ epoch_us(utc_instant_of_local_midnight('local_date')) }} as day_start_epoch_us,
        {{ epoch_us(utc_instant_of_local_midnight('local_date + 1')) }} as day_end_epoch_us
    from local_dates

),

-- the first grid slot at or after local midnight (midnight need not be on the grid)
first_slots as (

    select
        local_date,
        day_end_epoch_us,
        day_start_epoch_us
        + mod(mod(-day_start_epoch_us, {{ slot_us }}) + {{ slot_us }}, {{ slot_us }})
            as first_slot_epoch_us
    from day_bounds

),

slot_numbers as (

    select cast(slot_number as bigint) as slot_number
    from {{ integer_series(last_slot_number, 'numbers', 'slot_number') }}

),

day_slot_epochs as (

    select
        first_slots.local_date,
        first_slots.first_slot_epoch_us + slot_numbers.slot_number * {{ slot_us }}
            as slot_epoch_us
    from first_slots
    cross join slot_numbers
    where
        first_slots.first_slot_epoch_us + slot_numbers.slot_number * {{ slot_us }}
        < first_slots.day_end_epoch_us

),

-- every slot of each local day with its instant, worked out once per day and slot (the
-- fence keeps PostgreSQL from working it out again for every meter)
day_slots as (

    select
        local_date,
        slot_epoch_us,
        {{ timestamptz_of_epoch_us('slot_epoch_us') }} as slot_start
    from day_slot_epochs
    {{ optimizer_fence() }}

),

grid_slots as (

    select
        meter_days.meter_id,
        meter_days.local_date,
        day_slots.slot_epoch_us,
        day_slots.slot_start
    from meter_days
    inner join day_slots
        on meter_days.local_date = day_slots.local_date

),

-- the slots to write: in scope, from the meter's first slot that can change
slots_in_scope as (

    select * from {{ scoped('grid_slots', 'meter_slot') }}

),

final as (

    select
        slots_in_scope.meter_id,
        valid_readings.unit,
        slots_in_scope.slot_epoch_us,
        valid_readings.kw,
        slots_in_scope.local_date,
        slots_in_scope.slot_start,
        valid_readings.kw is not null as is_measured,
        coalesce(valid_readings.is_out_of_bounds, false) as is_out_of_bounds,
        {{ built_at() }} as _built_at
    from slots_in_scope
    left join valid_readings
        on
            slots_in_scope.meter_id = valid_readings.meter_id
            and slots_in_scope.slot_start = valid_readings.slot_start

)

select * from final
