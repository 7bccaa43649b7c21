-- Primary key of bronze `stg_raw__rejected_rows`: one row per (file, line). Returns the
-- (_file_sha256, _source_line) pairs that occur more than once among the rows of every
-- file that landed rows since the last successful build (doc `bronze_tests_scope`): a
-- repeat always shares the file's hash, so older files need no second look.

with

rejected_rows as (

    select * from {{ ref('stg_raw__rejected_rows') }}

),

files_landed as (

    select distinct _file_sha256
    from rejected_rows
    where {{ landed_since_last_build() }}

),

lines_of_files_landed as (

    select
        rejected_rows._file_sha256,
        rejected_rows._source_line
    from rejected_rows
    inner join files_landed
        on rejected_rows._file_sha256 = files_landed._file_sha256

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
