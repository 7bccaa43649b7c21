{% snapshot meter_registry_snapshot %}

{{
    config(
        schema='snapshots',
        unique_key='meter_id',
        strategy='check',
        check_cols=['neighbourhood', 'tariff', 'customer_key'],
    )
}}

    with

    registry as (

        select * from {{ ref('stg_raw__meter_registry') }}

    ),

    -- the registry row in effect most recently per meter: latest effective_from_date, then
    -- the latest landing (a re-delivery of the same date wins over the earlier one)
    ranked as (

        select
            *,
            row_number() over (
                partition by meter_id
                order by
                    effective_from_date desc,
                    _loaded_at desc,
                    _source_file desc,
                    _source_line desc
            ) as recency_rank
        from registry
        where meter_id is not null

    ),

    final as (

        select
            meter_id,
            neighbourhood,
            tariff,
            customer_key,
            effective_from_date,
            _batch_id,
            _source_file,
            _source_line,
            _file_sha256,
            _loaded_at
        from ranked
        where recency_rank = 1

    )

    select * from final

{% endsnapshot %}
