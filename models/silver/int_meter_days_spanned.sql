-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'local_date'],
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

-- incremental: the readings built since the last build of this model
readings as (

    select * from {{ ref('meter_readings') }}
    {%- if incremental %}
        where _built_at > {{ watermark() }}
    {%- endif %}

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

new_ranges as (

    select
        meter_id,
        min(local_date) as first_local_date,
        max(local_date) as last_local_date
    from slotted_readings
    group by meter_id

),

{%- if incremental %}

-- a meter's range only grows: the stored range of every meter with new rows
stored_ranges as (

    select
        stored.meter_id,
        min(stored.local_date) as first_local_date,
        max(stored.local_date) as last_local_date
    from {{ this }} as stored
    inner join new_ranges
        on stored.meter_id = new_ranges.meter_id
    group by stored.meter_id

),

meter_ranges as (

    select
        new_ranges.meter_id,
        stored_ranges.first_local_date as stored_first_local_date,
        stored_ranges.last_local_date as stored_last_local_date,
        case
            when stored_ranges.first_local_date < new_ranges.first_local_date
                then stored_ranges.first_local_date
            else new_ranges.first_local_date
        end as first_local_date,
        case
            when stored_ranges.last_local_date > new_ranges.last_local_date
                then stored_ranges.last_local_date
            else new_ranges.last_local_date
        end as last_local_date
    from new_ranges
    left join stored_ranges
        on new_ranges.meter_id = stored_ranges.meter_id

),
{%- else %}

meter_ranges as (

    select
        meter_id,
        cast(null as date) as stored_first_local_date,
        cast(null as date) as stored_last_local_date,
        first_local_date,
        last_local_date
    from new_ranges

),
{%- endif %}

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

-- every day of the range; incremental: only the days the stored range did not have
final as (

    select
        meter_ranges.meter_id,
        calendar.local_date,
        {{ built_at() }} as _built_at
    from meter_ranges
    inner join calendar
        on
            meter_ranges.first_local_date <= calendar.local_date
            and meter_ranges.last_local_date >= calendar.local_date
    where
        meter_ranges.stored_first_local_date is null
        or calendar.local_date < meter_ranges.stored_first_local_date
        or calendar.local_date > meter_ranges.stored_last_local_date

)

select * from final
