{#- Helpers of the incremental models (issue 4, SPEC §9). See the doc block
    `silver_incremental_design` for how each model finds its work. -#}

{#- The instant this dbt invocation started (UTC), as a timestamptz literal: every row an
    incremental model writes carries it in `_built_at`. -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamp with time zone)
{%- endmacro %}

{#- True when the model runs incrementally on a table that already carries `_built_at`.
    Call it as `is_incremental() and greenstream.is_stamped(this)`: a table built before the
    incremental models existed (no `_built_at`) is rebuilt whole once (its rows all get
    replaced through the unique key, and `on_schema_change` adds the column). -#}
{% macro is_stamped(relation) -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return('_built_at' in names) }}
{%- endmacro %}

{#- Scalar subquery: the latest `column` (default `_built_at`) of `relation` (default the
    model's own table), or 0001-01-01 when the table is empty. Upstream rows with a later
    `_built_at` are the ones this model has not seen yet (watermark chaining). -#}
{% macro watermark(column='_built_at', relation=none) -%}
    (
        select
            coalesce(
                max({{ column }}),
                cast('0001-01-01 00:00:00+00' as timestamp with time zone)
            )
        from {{ relation if relation is not none else this }}
    )
{%- endmacro %}

{#- Post-hook of the incremental marts whose rows can disappear (a day that drops out of
    a tier, a fault episode that no longer exists): the model writes one placeholder row
    for every key it recomputed that now has no row, so that `delete+insert` deletes the
    key's old rows; this hook then deletes the placeholders, recognised by `marker` being
    NULL (a column never NULL in a real row), in the same transaction. -#}
{% macro delete_placeholders(marker) -%}
    delete from {{ this }} where {{ marker }} is null
{%- endmacro %}

{#- The select list of a placeholder row. An incremental mart whose rows can disappear
    writes, for every key it recomputed that now has no row, one row with the key and NULL
    everywhere else, so that `delete+insert` deletes the key's old rows; its post-hook
    `delete_placeholders` deletes these rows again. They are unioned with the real rows,
    so `columns` lists every column in the model's contract order: a string is written as
    it is (a key column such as `meter_id`, or an expression with its alias such as
    `'meter_day' as grain`), a (name, sql type) pair becomes the typed NULL
    `cast(null as <sql type>) as <name>`, with the type of the real rows. -#}
{% macro placeholder_columns(columns) -%}
    {%- for column in columns -%}
        {%- if column is string -%}
            {{ column }}
        {%- elif column | length == 2 -%}
            cast(null as {{ column[1] }}) as {{ column[0] }}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                'placeholder_columns: expected a string or a (name, sql type) pair, got '
                ~ column
            ) }}
        {%- endif -%}
        {{- ',\n        ' if not loop.last -}}
    {%- endfor -%}
{%- endmacro %}

{#- The earliest `local_date` among the rows of `relation` built after the model's
    watermark, as a date literal (9999-12-31 when there is none), read when the model
    runs. A constant bound lets both engines push the filter into the scan of a view
    (`int_meter_slots_peak_flagged`), which a subquery would not. -#}
{% macro first_changed_date(relation) -%}
    {%- if not execute -%}
        {{ return("cast('0001-01-01' as date)") }}
    {%- endif -%}
    {%- set query -%}
        select cast(min(local_date) as varchar(10)) from {{ relation }}
        where _built_at > {{ greenstream.watermark() }}
    {%- endset -%}
    {%- set first = run_query(query).columns[0].values()[0] -%}
    {{ return("cast('" ~ (first if first else '9999-12-31') ~ "' as date)") }}
{%- endmacro %}
