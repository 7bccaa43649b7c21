{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
) }}

with

-- in scope: the meters' days from the first that can change (doc `build_scope_design`)
scored_days as (

    select * from {{ scoped(ref('meter_day_quality'), 'meter_day') }}

),

slots as (

    select * from {{ scoped(ref('int_meter_slots_peak_flagged'), 'meter_day') }}

),

registered_days as (

    select * from {{ scoped(ref('int_meter_days_registered'), 'meter_day') }}

),

billable_days as (

    select
        meter_id,
        tier,
        local_date
    from scored_days
    where tier in ('GOLD', 'SILVER')

),

-- measured (in or out of bounds) and interpolated slots; missing slots carry no kW. Every
-- day's, billable or not: the billed days keep theirs below (one aggregate of the slots,
-- no join of every slot first)
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

billed as (

    select
        cast(billable_days.meter_id as {{ type_text() }}) as meter_id,
        cast(registered_days.customer_key as {{ type_text() }}) as customer_key,
        cast(registered_days.tariff as {{ type_text() }}) as tariff,
        cast(registered_days.neighbourhood as {{ type_text() }}) as neighbourhood,
        cast(billable_days.local_date as date) as local_date,
        cast(billable_days.tier as {{ type_text() }}) as tier,
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
    left join registered_days
        on
            billable_days.meter_id = registered_days.meter_id
            and billable_days.local_date = registered_days.local_date

),

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from billed

)

select * from final
