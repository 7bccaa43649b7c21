with

source as (

    select * from {{ source('raw', 'meter_registry') }}

),

trimmed as (

    select
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at,
        nullif({{ trim_whitespace('meter_id') }}, '') as meter_id,
        nullif({{ trim_whitespace('neighbourhood') }}, '') as neighbourhood,
        nullif({{ trim_whitespace('tariff') }}, '') as tariff,
        nullif({{ trim_whitespace('customer_key') }}, '') as customer_key,
        nullif({{ trim_whitespace('valid_from') }}, '') as valid_from_text
    from source
    {{ optimizer_fence() }}

),

final as (

    select
        meter_id,
        neighbourhood,
        tariff,
        customer_key,
        valid_from_text,
        coalesce(
            {{ parse_iso_date('valid_from_text') }},
            cast({{ at_utc('_loaded_at') }} as date)
        ) as effective_from_date,
        _batch_id,
        _source_file,
        _source_line,
        _file_sha256,
        _loaded_at
    from trimmed

)

select * from final
