-- silver.meter_readings holds exactly one row per raw reading row (SPEC §4, §9): returns
-- the raw rows missing from silver or repeated there, and any silver row that is repeated.
-- Silver rows whose raw row is gone are expected: retention archives old raw rows and
-- silver keeps its history.

with

raw_rows as (

    select distinct
        _file_sha256,
        _source_line
    from {{ ref('stg_raw__meter_readings') }}

),

silver_rows as (

    select
        _file_sha256,
        _source_line,
        count(*) as silver_rows
    from {{ ref('meter_readings') }}
    group by _file_sha256, _source_line

),

raw_rows_not_once_in_silver as (

    select
        raw_rows._file_sha256,
        raw_rows._source_line,
        coalesce(silver_rows.silver_rows, 0) as silver_rows
    from raw_rows
    left join silver_rows
        on
            raw_rows._file_sha256 = silver_rows._file_sha256
            and raw_rows._source_line = silver_rows._source_line
    where coalesce(silver_rows.silver_rows, 0) <> 1

),

repeated_silver_rows as (

    select
        _file_sha256,
        _source_line,
        silver_rows
    from silver_rows
    where silver_rows > 1

),

final as (

    select * from raw_rows_not_once_in_silver
    union
    select * from repeated_silver_rows

)

select * from final
