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

slots_in_local_time as (

    select
        meter_id,
        source,
        kw,
        is_out_of_bounds,
        local_date,
        slot_start,
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

-- a left join plus max() so that overlapping peak periods cannot repeat a slot
slots_peak_flagged as (

    select
        slots_calendared.meter_id,
        slots_calendared.source,
        slots_calendared.kw,
        slots_calendared.local_hour,
        slots_calendared.iso_weekday,
        slots_calendared.is_out_of_bounds,
        slots_calendared.local_date,
        slots_calendared.local_ts,
        slots_calendared.slot_start,
        max(case when peak_periods.iso_weekday is null then 0 else 1 end) = 1 as is_peak
    from slots_calendared
    left join peak_periods
        on
            slots_calendared.iso_weekday = peak_periods.iso_weekday
            and slots_calendared.local_time >= peak_periods.start_local_time
            and slots_calendared.local_time < peak_periods.end_local_time
    group by
        slots_calendared.meter_id,
        slots_calendared.source,
        slots_calendared.kw,
        slots_calendared.local_hour,
        slots_calendared.iso_weekday,
        slots_calendared.is_out_of_bounds,
        slots_calendared.local_date,
        slots_calendared.local_ts,
        slots_calendared.slot_start

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
