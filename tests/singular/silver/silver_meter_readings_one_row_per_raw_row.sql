-- One raw row per key and exactly one silver row per raw row (SPEC §2, §4, §9), the key
-- being a row's file hash and line (`reading_id` in silver). One aggregate over the keys
-- of both sides checks three things, each on the rows that can break it:
-- - the raw rows landed since the last successful build (doc `bronze_tests_scope`): each
--   key at most once (a repeat shares its file's hash, so only these can repeat a key),
--   and exactly once among the silver rows of the same landing (a silver row carries its
--   raw row's `_loaded_at`). Rows landed earlier were checked by the build after they
--   landed;
-- - the silver rows the latest build wrote: each key at most once among them (a silver
--   row is only ever replaced by its own raw row's key).
-- Returns each failing key with its counts.

with

raw_keys as (

    select
        _file_sha256,
        _source_line,
        1 as raw_row,
        0 as landed_silver_row,
        0 as latest_silver_row
    from {{ ref('stg_raw__meter_readings') }}
    where {{ landed_since_last_build() }}

),

silver_rows as (

    select
        _file_sha256,
        _source_line,
        0 as raw_row,
        case
            when {{ landed_since_last_build() }} then 1
            else 0
        end as landed_silver_row,
        case
            when
                {{ built_in_latest_build(ref('meter_readings')) }}
                then 1
            else 0
        end as latest_silver_row
    from {{ ref('meter_readings') }}

),

silver_keys as (

    select * from silver_rows
    where landed_silver_row = 1 or latest_silver_row = 1

),

keys as (

    select * from raw_keys
    union all
    select * from silver_keys

),

rows_per_key as (

    select
        _file_sha256,
        _source_line,
        sum(raw_row) as raw_rows,
        sum(landed_silver_row) as silver_rows,
        sum(latest_silver_row) as silver_rows_of_latest_build
    from keys
    group by _file_sha256, _source_line

),

final as (

    select * from rows_per_key
    where
        raw_rows > 1
        or silver_rows_of_latest_build > 1
        or (raw_rows = 1 and silver_rows <> 1)

)

select * from final
