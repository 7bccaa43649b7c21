-- Input quality (warn): files in which more than 10 % of the readings have an
-- unparseable timestamp. Usually the head-end changed its timestamp format, so
-- the whole file needs a look rather than its rows one by one.
{{ config(severity='warn') }}

with

readings as (

    select * from {{ ref('stg_raw__meter_readings') }}
    where {{ landed_since_last_build() }}

),

per_file as (

    select
        _batch_id,
        _source_file,
        count(*) as readings,
        sum(case when reading_at is null then 1 else 0 end) as unparseable_timestamps
    from readings
    group by _batch_id, _source_file

),

final as (

    select
        _batch_id,
        _source_file,
        readings,
        unparseable_timestamps
    from per_file
    where unparseable_timestamps * 10 > readings

)

select * from final
