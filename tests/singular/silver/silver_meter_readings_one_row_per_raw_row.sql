-- silver.meter_readings holds exactly one row per raw reading row (SPEC §4, §9): returns
-- the raw rows landed since the last successful build (doc `bronze_tests_scope`) that are
-- missing from silver or repeated there. Rows landed earlier were checked by the build
-- after they landed, and a silver row is only ever replaced by its own raw row's key
-- (`reading_id`, unique: tested on the rows of each build).

with

landed_rows as (

    select distinct
        _file_sha256,
        _source_line
    from {{ ref('stg_raw__meter_readings') }}
    where {{ landed_since_last_build() }}

),

silver_rows as (

    select
        meter_readings._file_sha256,
        meter_readings._source_line,
        count(*) as silver_rows
    from {{ ref('meter_readings') }} as meter_readings
    inner join landed_rows
        on
            meter_readings._file_sha256 = landed_rows._file_sha256
            and meter_readings._source_line = landed_rows._source_line
    group by meter_readings._file_sha256, meter_readings._source_line

),

final as (

    select
        landed_rows._file_sha256,
        landed_rows._source_line,
        coalesce(silver_rows.silver_rows, 0) as silver_rows
    from landed_rows
    left join silver_rows
        on
            landed_rows._file_sha256 = silver_rows._file_sha256
            and landed_rows._source_line = silver_rows._source_line
    where coalesce(silver_rows.silver_rows, 0) <> 1

)

select * from final
