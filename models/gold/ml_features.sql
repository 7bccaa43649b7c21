{#- On DuckDB the features are written as Parquet (ZSTD) under the lake folder,
    partitioned by local_date, with a view over the files; on PostgreSQL they are
    a table. local_date is the last column on both engines because a partition
    column comes back last (and typed by its directory name: cast on read). -#}
{{ config(
    materialized='external' if target.type == 'duckdb' else 'table',
    format='parquet',
    options={'partition_by': 'local_date', 'compression': 'zstd', 'overwrite': 'true'},
    parquet_read_options={
        'union_by_name': false,
        'hive_partitioning': true,
        'hive_types': {'local_date': 'date'},
    },
) }}

with

meter_day_quality as (

    select * from {{ ref('meter_day_quality') }}

),

slots as (

    select * from {{ ref('int_meter_slots_peak_flagged') }}

),

gold_days as (

    select
        meter_id,
        local_date
    from meter_day_quality
    where tier = 'GOLD'

),

final as (

    select
        cast(slots.meter_id as text) as meter_id,
        cast(slots.neighbourhood as text) as neighbourhood,
        cast(slots.slot_start as timestamp with time zone) as slot_start,
        cast(slots.local_ts as timestamp) as local_ts,
        cast(slots.local_hour as integer) as hour,  -- noqa: RF04
        cast(slots.iso_weekday as integer) as iso_weekday,
        cast(slots.is_weekend as boolean) as is_weekend,
        cast(slots.is_peak as boolean) as is_peak,
        cast(slots.kw as double precision) as kw,
        cast(slots.source = 'interpolated' as boolean) as is_estimated,
        cast(slots.local_date as date) as local_date
    from gold_days
    inner join slots
        on
            gold_days.meter_id = slots.meter_id
            and gold_days.local_date = slots.local_date

)

select * from final
