with

source as (

    select * from {{ source('raw', 'load_ledger') }}

),

final as (

    select
        batch_id,
        file_name,
        source_path,
        file_sha256,
        file_kind,
        status,
        column_mapping,
        ignored_columns,
        error,
        records,
        rows_landed,
        rows_rejected,
        attempts,
        duration_seconds,
        started_at,
        finished_at
    from source

)

select * from final
