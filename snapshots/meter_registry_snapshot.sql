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

    -- the registry as most recently delivered, per meter: the latest landing, and in it
    -- the row with the latest effective_from_date (a later file wins even when the change
    -- it announces takes effect earlier than an earlier file's load date)
    ranked as (

        select
            *,
            row_number() over (
                partition by meter_id
                order by
                    _loaded_at desc,
                    effective_from_date desc,
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
            _loaded_at,
            -- the build that recorded the version (kept as is while the version is current)
            {{ greenstream.built_at() }} as _built_at
        from ranked
        where recency_rank = 1

    )

    select * from final

{% endsnapshot %}
