with

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

slots as (

    select * from {{ ref('int_meter_slots_peak_flagged') }}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

billable_days as (

    select
        meter_id,
        tier,
        local_date
    from meter_day_quality
    where tier in ('GOLD', 'SILVER')

),

-- measured (in or out of bounds) and interpolated slots; missing slots carry no kW
energy_per_day as (

    select
        meter_id,
        local_date,
        sum(case when is_peak then kwh else 0 end) as peak_kwh,
        sum(case when is_peak then 0 else kwh end) as off_peak_kwh,
        sum(case when source = 'interpolated' then kwh else 0 end) as estimated_kwh
    from slots
    where source in ('measured', 'interpolated')
    group by meter_id, local_date

),

energy_rounded as (

    select
        meter_id,
        local_date,
        cast({{ round_half_away('peak_kwh', 6) }} as numeric(18, 6)) as peak_kwh,
        cast({{ round_half_away('off_peak_kwh', 6) }} as numeric(18, 6)) as off_peak_kwh,
        cast({{ round_half_away('estimated_kwh', 6) }} as numeric(18, 6)) as estimated_kwh
    from energy_per_day

),

final as (

    select
        cast(billable_days.meter_id as text) as meter_id,
        cast(registry_versions.customer_key as text) as customer_key,
        cast(registry_versions.tariff as text) as tariff,
        cast(registry_versions.neighbourhood as text) as neighbourhood,
        cast(billable_days.local_date as date) as local_date,
        cast(billable_days.tier as text) as tier,
        -- the total is the sum of its rounded parts, so total = peak + off-peak exactly
        cast(
            coalesce(energy_rounded.peak_kwh, 0) + coalesce(energy_rounded.off_peak_kwh, 0)
            as numeric(18, 6)
        ) as total_kwh,
        cast(coalesce(energy_rounded.peak_kwh, 0) as numeric(18, 6)) as peak_kwh,
        cast(coalesce(energy_rounded.off_peak_kwh, 0) as numeric(18, 6)) as off_peak_kwh,
        cast(coalesce(energy_rounded.estimated_kwh, 0) as numeric(18, 6)) as estimated_kwh
    from billable_days
    left join energy_rounded
        on
            billable_days.meter_id = energy_rounded.meter_id
            and billable_days.local_date = energy_rounded.local_date
    left join registry_versions
        on
            billable_days.meter_id = registry_versions.meter_id
            and billable_days.local_date >= registry_versions.valid_from_date
            and billable_days.local_date < registry_versions.valid_to_date

)

select * from final
