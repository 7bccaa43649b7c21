{#- SPEC §4 status 8: the rows of the CTE `rows` (statuses 1-7 in `row_status`, `meter_id`,
    `slot_epoch_us`, `kw` and the lineage columns), each with `is_in_crowded_slot` (its
    row_status is NULL and so is that of another row of its meter and slot), the least
    and greatest kW of those rows (`slot_min_kw`, `slot_max_kw`), and `arrival_rank`, its
    place among them in order of arrival (1 for a row alone). Rounding is monotone, so
    the rounded least and greatest kW of a slot are its least and greatest kW rounded.
    Which shape is cheaper depends on the engine (BENCHMARKS.md, sessions 16 and 17). -#}
{% macro ranked_by_arrival(rows) -%}
    {{ return(adapter.dispatch('ranked_by_arrival', 'greenstream')(rows)) }}
{%- endmacro %}

{% macro arrival_order() -%}
    order by _loaded_at asc, _source_file asc, _source_line asc, _file_sha256 asc
{%- endmacro %}

{#- Windows over every row: one sort by status, meter, slot and arrival serves all four. -#}
{% macro default__ranked_by_arrival(rows) -%}
    select
        *,
        row_status is null
        and count(*) over rows_of_slot > 1 as is_in_crowded_slot,
        min(kw) over rows_of_slot as slot_min_kw,
        max(kw) over rows_of_slot as slot_max_kw,
        row_number() over (
            partition by row_status, meter_id, slot_epoch_us {{ greenstream.arrival_order() }}
        ) as arrival_rank
    from {{ rows }}
    window rows_of_slot as (partition by row_status, meter_id, slot_epoch_us)
{%- endmacro %}

{#- DuckDB: almost every slot holds one row, so an aggregate finds the slots of several
    and only their rows are ranked; the rows of other slots are kept by an anti-join.
    Sorting every row for the windows took 8 s and 1.8 GiB at 50,000 meters against 5 s
    and 1.5 GiB. -#}
{% macro duckdb__ranked_by_arrival(rows) -%}
    {%- set on_crowded_slot -%}
        on
            {{ rows }}.row_status is null
            and {{ rows }}.meter_id = crowded_slots.meter_id
            and {{ rows }}.slot_epoch_us = crowded_slots.slot_epoch_us
    {%- endset -%}
    with crowded_slots as (
        select
            meter_id,
            slot_epoch_us,
            min(kw) as slot_min_kw,
            max(kw) as slot_max_kw
        from {{ rows }}
        where row_status is null
        group by meter_id, slot_epoch_us
        having count(*) > 1
    )

    select
        {{ rows }}.*,
        false as is_in_crowded_slot,
        cast(null as {{ greenstream.type_double() }}) as slot_min_kw,
        cast(null as {{ greenstream.type_double() }}) as slot_max_kw,
        1 as arrival_rank
    from {{ rows }}
    anti join crowded_slots {{ on_crowded_slot }}

    union all

    select
        {{ rows }}.*,
        true as is_in_crowded_slot,
        crowded_slots.slot_min_kw,
        crowded_slots.slot_max_kw,
        row_number() over (
            partition by {{ rows }}.meter_id, {{ rows }}.slot_epoch_us
            {{ greenstream.arrival_order() }}
        ) as arrival_rank
    from {{ rows }}
    inner join crowded_slots {{ on_crowded_slot }}
{%- endmacro %}
