with

slots as (

    select * from {{ ref('int_meter_slots_measured') }}

),

-- group keys: every slot shares a group with the measured slot right before it
-- (running count) and with the measured slot right after it (reverse running count)
grouped as (

    select
        *,
        case when is_measured then slot_epoch_us end as measured_epoch_us,
        {{ fill_group_key(
            'case when is_measured then slot_epoch_us end', 'meter_id', 'slot_epoch_us asc'
        ) }} as group_before,
        {{ fill_group_key(
            'case when is_measured then slot_epoch_us end', 'meter_id', 'slot_epoch_us desc'
        ) }} as group_after
    from slots

),

-- each group holds exactly one measured slot, so max() picks its anchor
anchored as (

    select
        *,
        max(measured_epoch_us) over (partition by meter_id, group_before) as anchor_before_epoch_us,
        max(kw) over (partition by meter_id, group_before) as anchor_before_kw,
        max(measured_epoch_us) over (partition by meter_id, group_after) as anchor_after_epoch_us,
        max(kw) over (partition by meter_id, group_after) as anchor_after_kw
    from grouped

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
        slot_start
    from filled

)

select * from final
