with

snapshot as (

    select * from {{ ref('meter_registry_snapshot') }}

),

-- versions in the order the snapshot recorded them. A version applies from its
-- effective_from_date (the first version: from 0001-01-01) until a LATER-recorded version
-- takes effect: the registry as delivered last is right, even about the past. A version
-- whose range is overridden whole gets an empty range
ordered as (

    select
        meter_id,
        neighbourhood,
        tariff,
        customer_key,
        effective_from_date,
        dbt_valid_from,
        _built_at,
        row_number() over (
            partition by meter_id
            order by dbt_valid_from asc, effective_from_date asc
        ) as version_number
    from snapshot

),

ranged as (

    select
        *,
        case
            when version_number = 1 then cast('0001-01-01' as date)
            else effective_from_date
        end as valid_from_date,
        min(effective_from_date) over (
            partition by meter_id
            order by version_number asc
            rows between 1 following and unbounded following
        ) as next_override_date
    from ordered

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
        valid_from_date,
        _built_at as version_built_at,
        case
            when next_override_date is null then cast('9999-12-31' as date)
            when next_override_date < valid_from_date then valid_from_date
            else next_override_date
        end as valid_to_date
    from ranged

)

select * from final
