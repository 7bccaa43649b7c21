-- silver.meter_readings holds exactly one row per raw reading row (SPEC §4, §9): returns
-- the raw rows landed since the last successful build (doc `bronze_tests_scope`) that are
-- missing from silver or repeated there. Rows landed earlier were checked by the build
-- after they landed, and a silver row is only ever replaced by its own raw row's key
-- (`reading_id`, unique: tested on the rows of each build). A silver row carries its raw
-- row's `_loaded_at`, so the same scope finds it; the keys of both sides are counted in
-- one aggregate (no join).

with

landed_keys as (

    select
        _file_sha256,
        _source_line,
        1 as raw_row,
        0 as silver_row
    from {{ ref('stg_raw__meter_readings') }}
    where {{ landed_since_last_build() }}

    union all

    select
        _file_sha256,
        _source_line,
        0 as raw_row,
        1 as silver_row
    from {{ ref('meter_readings') }}
    where {{ landed_since_last_build() }}

),

rows_per_key as (

    select
        _file_sha256,
        _source_line,
        sum(silver_row) as silver_rows
    from landed_keys
    group by _file_sha256, _source_line
    having sum(raw_row) > 0

),

final as (

    select * from rows_per_key
    where silver_rows <> 1

)

select * from final
