{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
) }}

with

-- in scope: the meters' days from the first that can change (doc `build_scope_design`)
meter_days as (

    select * from {{ scoped(ref('int_meter_days_spanned'), 'meter_day') }}

),

registry_versions as (

    select * from {{ ref('int_meter_registry_versions') }}

),

-- the registry as it stood on each meter-day (doc `silver_registry_history`); NULLs for
-- a meter the registry does not know
final as (

    select
        meter_days.meter_id,
        registry_versions.customer_key,
        registry_versions.neighbourhood,
        registry_versions.tariff,
        meter_days.local_date,
        {{ built_at() }} as _built_at
    from meter_days
    left join registry_versions
        on
            meter_days.meter_id = registry_versions.meter_id
            and meter_days.local_date >= registry_versions.valid_from_date
            and meter_days.local_date < registry_versions.valid_to_date

)

select * from final
