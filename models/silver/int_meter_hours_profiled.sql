{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_slot_day',
) }}

with

-- in scope: the days whose slots can change (doc `build_scope_design`)
slots as (

    select * from {{ scoped(ref('meter_slots'), 'meter_slot_day') }}

),

-- measured kW in whole micro-kW (exact integers, so that every sum and mean below is
-- exact and identical on both engines); absurd readings (1e6 kW or more) stay out
hour_slots as (

    select
        meter_id,
        local_date,
        cast(extract(hour from {{ local_timestamp('slot_start') }}) as integer) as local_hour,
        case
            when source = 'measured' and kw < 1000000
                then cast(floor(kw * 1000000 + 0.5) as bigint)
        end as micro_kw
    from slots

),

-- every hour of the day that has slots, measured or not
hour_sums as (

    select
        meter_id,
        local_date,
        local_hour,
        sum(micro_kw) as sum_micro_kw,
        count(micro_kw) as measured_slots
    from hour_slots
    group by meter_id, local_date, local_hour

),

-- mean rounded half up to a whole micro-kW: floor((2 × sum + n) / (2 × n))
hour_means as (

    select
        meter_id,
        local_date,
        local_hour,
        measured_slots,
        -- NULL (not a division by zero) for an hour without a measured slot
        cast(
            {{ integer_floor_divide(
                'cast(2 * sum_micro_kw + measured_slots as bigint)',
                'cast(2 * nullif(measured_slots, 0) as bigint)'
            ) }} as bigint
        ) as mean_micro_kw
    from hour_sums

),

final as (

    select
        meter_id,
        local_date,
        local_hour,
        mean_micro_kw,
        cast(measured_slots as integer) as measured_slots,
        cast(mean_micro_kw as {{ type_double() }}) / 1000000 as mean_kw,
        {{ built_at() }} as _built_at
    from hour_means

)

select * from final
