-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}
{%- set slot_us = slot_length_us() -%}
{#- enough slot numbers for a 25-hour day -#}
{%- set last_slot_number = (25 * 60) // (var('reading_interval_minutes') | int) -%}

with

all_meter_days as (

    select * from {{ ref('int_meter_days_spanned') }}

),

readings as (

    select * from {{ ref('meter_readings') }}

),

{%- if incremental %}

-- the meter-days to rebuild whole: new meter-days, and meter-days with readings built
-- since the last build of this model (any status change can add or remove a valid one)
changed_meter_days as (

    select
        meter_id,
        local_date
    from all_meter_days
    where _built_at > {{ watermark() }}
    union
    select
        meter_id,
        local_date
    from readings
    where
        _built_at > {{ watermark() }}
        and meter_id is not null
        and local_date is not null

),

meter_days as (

    select
        all_meter_days.meter_id,
        all_meter_days.local_date
    from all_meter_days
    inner join changed_meter_days
        on
            all_meter_days.meter_id = changed_meter_days.meter_id
            and all_meter_days.local_date = changed_meter_days.local_date

),

valid_readings as (

    select
        readings.meter_id,
        readings.slot_start,
        readings.unit,
        readings.kw,
        readings.is_out_of_bounds
    from readings
    inner join meter_days
        on
            readings.meter_id = meter_days.meter_id
            and readings.local_date = meter_days.local_date
    where readings.status = 'valid'

),
{%- else %}

meter_days as (

    select
        meter_id,
        local_date
    from all_meter_days

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
{%- endif %}

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
    from generate_series(0, {{ last_slot_number }}) as numbers (slot_number)

),

day_slots as (

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

meter_slots as (

    select
        meter_days.meter_id,
        meter_days.local_date,
        day_slots.slot_epoch_us,
        {{ timestamptz_of_epoch_us('day_slots.slot_epoch_us') }} as slot_start
    from meter_days
    inner join day_slots
        on meter_days.local_date = day_slots.local_date

),

final as (

    select
        meter_slots.meter_id,
        valid_readings.unit,
        meter_slots.slot_epoch_us,
        valid_readings.kw,
        meter_slots.local_date,
        meter_slots.slot_start,
        valid_readings.kw is not null as is_measured,
        coalesce(valid_readings.is_out_of_bounds, false) as is_out_of_bounds,
        {{ built_at() }} as _built_at
    from meter_slots
    left join valid_readings
        on
            meter_slots.meter_id = valid_readings.meter_id
            and meter_slots.slot_start = valid_readings.slot_start

)

select * from final
