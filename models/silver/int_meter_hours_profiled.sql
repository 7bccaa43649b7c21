with

slots as (

    select * from {{ ref('meter_slots') }}

),

-- measured kW in whole micro-kW (exact integers, so that every sum and mean below is
-- exact and identical on both engines); absurd readings (1e6 kW or more) stay out
measured_slots as (

    select
        meter_id,
        local_date,
        cast(extract(hour from {{ local_timestamp('slot_start') }}) as integer) as local_hour,
        cast(floor(kw * 1000000 + 0.5) as bigint) as micro_kw
    from slots
    where
        source = 'measured'
        and kw < 1000000

),

hour_sums as (

    select
        meter_id,
        local_date,
        local_hour,
        sum(micro_kw) as sum_micro_kw,
        count(*) as measured_slots
    from measured_slots
    group by meter_id, local_date, local_hour

),

-- mean rounded half up to a whole micro-kW: floor((2 × sum + n) / (2 × n))
hour_means as (

    select
        meter_id,
        local_date,
        local_hour,
        measured_slots,
        cast(
            {{ integer_floor_divide(
                'cast(2 * sum_micro_kw + measured_slots as bigint)',
                'cast(2 * measured_slots as bigint)'
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
        measured_slots,
        cast(mean_micro_kw as double precision) / 1000000 as mean_kw
    from hour_means

)

select * from final
