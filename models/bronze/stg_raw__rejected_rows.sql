with

source as (

    select * from {{ source('raw', 'rejected_rows') }}

),

final as (

    select
        _batch_id,
        _source_file,
        _source_line,
        raw_text,
        reason,
        _file_sha256,
        _loaded_at
    from source

)

select * from final
