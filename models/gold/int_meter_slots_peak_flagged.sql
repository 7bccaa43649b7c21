{{ config(materialized='view') }}

with

meter_slots as (

    select * from {{ ref('meter_slots') }}

),

peak_periods as (

    select * from {{ ref('peak_periods') }}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

-- the calendar of each slot. A view: callers filter the meter-days they need first, so
-- the work is done for those slots only
slots_in_local_time as (

    select
        *,
        {{ local_timestamp('slot_start') }} as local_ts
    from meter_slots

),

slots_calendared as (

    select
        *,
        cast(extract(hour from local_ts) as integer) as local_hour,
        cast(extract(isodow from local_ts) as integer) as iso_weekday,
        cast(local_ts as time) as local_time
    from slots_in_local_time

),

-- exists() so that overlapping peak periods cannot repeat a slot
slots_peak_flagged as (

    select
        *,
        exists(
            select 1
            from peak_periods
            where
                peak_periods.iso_weekday = slots_calendared.iso_weekday
                and peak_periods.start_local_time <= slots_calendared.local_time
                and peak_periods.end_local_time > slots_calendared.local_time
        ) as is_peak
    from slots_calendared

),

final as (

    select
        slots_peak_flagged.meter_id,
        registry_versions.neighbourhood,
        slots_peak_flagged.source,
        slots_peak_flagged.kw,
        slots_peak_flagged.kw * {{ var('reading_interval_minutes') }} / 60 as kwh,
        slots_peak_flagged.local_hour,
        slots_peak_flagged.iso_weekday,
        slots_peak_flagged.iso_weekday in (6, 7) as is_weekend,
        slots_peak_flagged.is_peak,
        coalesce(slots_peak_flagged.is_out_of_bounds, false) as is_out_of_bounds,
        slots_peak_flagged.local_date,
        slots_peak_flagged.local_ts,
        slots_peak_flagged.slot_start
    from slots_peak_flagged
    left join registry_versions
        on
            slots_peak_flagged.meter_id = registry_versions.meter_id
            and slots_peak_flagged.local_date >= registry_versions.valid_from_date
            and slots_peak_flagged.local_date < registry_versions.valid_to_date

)

select * from final
