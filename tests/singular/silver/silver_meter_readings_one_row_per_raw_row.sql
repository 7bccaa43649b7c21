-- silver.meter_readings holds exactly one row per raw reading row (SPEC §4, §9): returns
-- the raw rows missing from silver and the silver rows not in raw (or repeated).

with

raw_rows as (

    select
        _file_sha256,
        _source_line,
        count(*) as raw_rows
    from {{ ref('stg_raw__meter_readings') }}
    group by _file_sha256, _source_line

),

silver_rows as (

    select
        _file_sha256,
        _source_line,
        count(*) as silver_rows
    from {{ ref('meter_readings') }}
    group by _file_sha256, _source_line

),

compared as (

    select
        coalesce(raw_rows._file_sha256, silver_rows._file_sha256) as _file_sha256,
        coalesce(raw_rows._source_line, silver_rows._source_line) as _source_line,
        coalesce(raw_rows.raw_rows, 0) as raw_rows,
        coalesce(silver_rows.silver_rows, 0) as silver_rows
    from raw_rows
    full outer join silver_rows
        on
            raw_rows._file_sha256 = silver_rows._file_sha256
            and raw_rows._source_line = silver_rows._source_line

),

final as (

    select *
    from compared
    where raw_rows <> silver_rows

)

select * from final
