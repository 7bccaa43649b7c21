with

snapshot as (

    select * from {{ ref('meter_registry_snapshot') }}

),

-- versions in order of the date they take effect; among equal dates the later snapshot
-- wins (the earlier one gets an empty validity range)
ordered as (

    select
        meter_id,
        neighbourhood,
        tariff,
        customer_key,
        effective_from_date,
        dbt_valid_from,
        row_number() over (
            partition by meter_id
            order by effective_from_date asc, dbt_valid_from asc
        ) as version_number,
        lead(effective_from_date) over (
            partition by meter_id
            order by effective_from_date asc, dbt_valid_from asc
        ) as next_effective_from_date
    from snapshot

),

final as (

    select
        meter_id,
        neighbourhood,
        tariff,
        customer_key,
        version_number,
        effective_from_date,
        dbt_valid_from as snapshotted_at,
        case
            when version_number = 1 then cast('0001-01-01' as date)
            else effective_from_date
        end as valid_from_date,
        coalesce(next_effective_from_date, cast('9999-12-31' as date)) as valid_to_date
    from ordered

)

select * from final
