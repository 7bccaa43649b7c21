{#- on Spark this table is the Parquet export of ml_features: partitioned by local_date
    (doc `gold_lake_exports`) -#}
{{ config(
    materialized='incremental',
    incremental_strategy='build_scope',
    scope_grain='meter_day',
    partition_by=('local_date' if target.type == 'spark' else none),
) }}

with

-- in scope: the meters' days from the first that can change (doc `build_scope_design`)
scored_days as (

    select * from {{ scoped(ref('meter_day_quality'), 'meter_day') }}

),

slots as (

    select * from {{ scoped(ref('int_meter_slots_peak_flagged'), 'meter_day') }}

),

gold_days as (

    select
        meter_id,
        local_date
    from scored_days
    where tier = 'GOLD'

),

featured as (

    select
        cast(slots.meter_id as {{ type_text() }}) as meter_id,
        cast(slots.neighbourhood as {{ type_text() }}) as neighbourhood,
        cast(slots.slot_start as {{ type_timestamptz() }}) as slot_start,
        cast(slots.local_ts as timestamp) as local_ts,
        cast(slots.local_hour as integer) as hour,  -- noqa: RF04
        cast(slots.iso_weekday as integer) as iso_weekday,
        cast(slots.is_weekend as boolean) as is_weekend,
        cast(slots.is_peak as boolean) as is_peak,
        cast(slots.kw as {{ type_double() }}) as kw,
        cast(slots.source = 'interpolated' as boolean) as is_estimated,
        cast(slots.local_date as date) as local_date
    from gold_days
    inner join slots
        on
            gold_days.meter_id = slots.meter_id
            and gold_days.local_date = slots.local_date

),

final as (

    select
        *,
        {{ built_at() }} as _built_at
    from featured

)

select * from final
