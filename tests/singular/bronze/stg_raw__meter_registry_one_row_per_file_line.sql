-- Primary key of bronze `stg_raw__meter_registry`: one row per (file, line). Returns the
-- (_file_sha256, _source_line) pairs that occur more than once among the rows of every
-- file that landed rows since the last successful build (doc `bronze_tests_scope`): a
-- repeat always shares the file's hash, so older files need no second look.

with

registry as (

    select * from {{ ref('stg_raw__meter_registry') }}

),

files_landed as (

    select distinct _file_sha256
    from registry
    where {{ landed_since_last_build() }}

),

lines_of_files_landed as (

    select
        registry._file_sha256,
        registry._source_line
    from registry
    inner join files_landed
        on registry._file_sha256 = files_landed._file_sha256

),

final as (

    select
        _file_sha256,
        _source_line,
        count(*) as occurrences
    from lines_of_files_landed
    group by _file_sha256, _source_line
    having count(*) > 1

)

select * from final
