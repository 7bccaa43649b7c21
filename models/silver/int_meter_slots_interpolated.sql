-- sqlfluff:indentation:template_blocks_indent:false
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['meter_id', 'slot_start'],
    on_schema_change='append_new_columns',
) }}
{%- set incremental = is_incremental() and greenstream.is_stamped(this) %}

with

all_slots as (

    select * from {{ ref('int_meter_slots_measured') }}

),

{%- if incremental %}

-- per meter with slots built since the last build: the earliest such slot
changed_meters as (

    select
        meter_id,
        min(slot_epoch_us) as first_changed_epoch_us
    from all_slots
    where _built_at > {{ watermark() }}
    group by meter_id

),

-- nothing before the last measured slot ahead of the earliest change can change: the gap
-- filling reads from that anchor (or from the meter's first slot) to the meter's last slot
read_bounds as (

    select
        changed_meters.meter_id,
        max(all_slots.slot_epoch_us) as read_from_epoch_us
    from changed_meters
    left join all_slots
        on
            changed_meters.meter_id = all_slots.meter_id
            and all_slots.slot_epoch_us < changed_meters.first_changed_epoch_us
            and all_slots.is_measured
    group by changed_meters.meter_id

),

slots as (

    select all_slots.*
    from all_slots
    inner join read_bounds
        on
            all_slots.meter_id = read_bounds.meter_id
            and (
                read_bounds.read_from_epoch_us is null
                or all_slots.slot_epoch_us >= read_bounds.read_from_epoch_us
            )

),
{%- else %}

slots as (

    select * from all_slots

),
{%- endif %}

-- the measured slots at or before and at or after every slot: a running max (min) of the
-- measured slots' epochs, one sort per direction; their kW joined back by key (the
-- meter's slots are unique). A measured slot is its own anchor both ways.
anchored_epochs as (

    select
        *,
        max(case when is_measured then slot_epoch_us end) over (
            partition by meter_id
            order by slot_epoch_us asc
            rows between unbounded preceding and current row
        ) as anchor_before_epoch_us,
        min(case when is_measured then slot_epoch_us end) over (
            partition by meter_id
            order by slot_epoch_us desc
            rows between unbounded preceding and current row
        ) as anchor_after_epoch_us
    from slots

),

measured_slots as (

    select
        meter_id,
        slot_epoch_us,
        kw
    from slots
    where is_measured

),

anchored as (

    select
        anchored_epochs.*,
        before_anchor.kw as anchor_before_kw,
        after_anchor.kw as anchor_after_kw
    from anchored_epochs
    left join measured_slots as before_anchor
        on
            anchored_epochs.meter_id = before_anchor.meter_id
            and anchored_epochs.anchor_before_epoch_us = before_anchor.slot_epoch_us
    left join measured_slots as after_anchor
        on
            anchored_epochs.meter_id = after_anchor.meter_id
            and anchored_epochs.anchor_after_epoch_us = after_anchor.slot_epoch_us

),

filled as (

    select
        *,
        case
            when is_measured then 'measured'
            when
                anchor_before_epoch_us is not null
                and anchor_after_epoch_us is not null
                and {{ is_fillable_gap('anchor_before_epoch_us', 'anchor_after_epoch_us') }}
                then 'interpolated'
            else 'missing'
        end as source  -- noqa: RF04
    from anchored

),

final as (

    select
        meter_id,
        unit,
        source,
        slot_epoch_us,
        case
            when source = 'measured' then kw
            when source = 'interpolated'
                then {{ interpolated_kw(
                    'slot_epoch_us',
                    'anchor_before_epoch_us', 'anchor_before_kw',
                    'anchor_after_epoch_us', 'anchor_after_kw'
                ) }}
        end as kw,
        case when source = 'interpolated' then anchor_before_kw end as anchor_before_kw,
        case when source = 'interpolated' then anchor_after_kw end as anchor_after_kw,
        is_measured,
        is_out_of_bounds,
        local_date,
        slot_start,
        {{ built_at() }} as _built_at
    from filled

)

select * from final
