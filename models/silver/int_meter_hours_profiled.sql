with

slots as (

    select * from {{ ref('meter_slots') }}

),

measured_slots as (

    select
        meter_id,
        local_date,
        cast(extract(hour from {{ local_timestamp('slot_start') }}) as integer) as local_hour,
        kw
    from slots
    where source = 'measured'

),

final as (

    select
        meter_id,
        local_date,
        local_hour,
        {{ round_kw('avg(kw)') }} as mean_kw,
        count(*) as measured_slots
    from measured_slots
    group by meter_id, local_date, local_hour

)

select * from final
